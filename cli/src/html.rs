//! `stepcraft local .. --html FILE`: the self-contained HTML page of the execution.

use serde_json::Value;
use stepcraft_local::ExecutionResult;

/// Writes the page of `result`, an execution of `definition` named `name`, to `path`.
pub(crate) fn write_report(path: &str, definition: &Value, result: &ExecutionResult, name: &str) -> Result<(), String> {
    let page = stepcraft_local::report::html_report(definition, result, name)
        .map_err(|e| format!("cannot draw the state machine: {e}"))?;
    std::fs::write(path, page).map_err(|e| format!("cannot write `{path}`: {e}"))
}
