//! Runs the execution samples of `../shared/tools/asl/samples` (`*.cases.json`, written
//! for the third-party interpreter there) through the library. Skips, with a notice,
//! when the samples are absent. Two samples pin down interpreter bugs that AWS does not
//! share; they are expected to differ (see `DIFFERENT_ON_PURPOSE`).

mod common;

use std::path::Path;

use serde_json::Value;
use stepcraft_local::{ExecutionResult, Executor, StateMachine};

/// Samples whose expectation records the interpreter's deviation from AWS.
const DIFFERENT_ON_PURPOSE: &[(&str, &str)] = &[
    (
        "a Parallel branch assigning an outer-scope variable",
        "the interpreter mis-reports the write; here it is States.Runtime with a cause naming the variable",
    ),
    (
        "swap via Assign",
        "AWS documents that Output sees the variables at state entry; the interpreter shows the new ones",
    ),
    (
        "Choice Default -> Undo reads $failure",
        "AWS's cause names the field (`specified for the field 'Output/why'`), which the interpreter leaves out",
    ),
];

fn subset(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => w.iter().all(|(k, v)| g.get(k).is_some_and(|x| subset(v, x))),
        _ => want == got,
    }
}

fn problems(expect: &Value, r: &ExecutionResult) -> Vec<String> {
    let mut p = Vec::new();
    if expect["status"].as_str() != Some(r.status.as_str()) {
        p.push(format!("status {} ({:?}: {:?})", r.status, r.error, r.cause));
        return p;
    }
    if let Some(o) = expect.get("output")
        && r.output.as_ref() != Some(o)
    {
        p.push(format!("output {:?}", r.output));
    }
    if let Some(o) = expect.get("output_subset")
        && !r.output.as_ref().is_some_and(|g| subset(o, g))
    {
        p.push(format!("output {:?}", r.output));
    }
    if let Some(e) = expect.get("error")
        && e.as_str() != r.error.as_deref()
    {
        p.push(format!("error {:?}", r.error));
    }
    if let Some(c) = expect.get("cause")
        && c.as_str() != r.cause.as_deref()
    {
        p.push(format!("cause {:?}", r.cause));
    }
    if let Some(c) = expect.get("cause_contains").and_then(Value::as_str)
        && !r.cause.as_deref().unwrap_or_default().contains(c)
    {
        p.push(format!("cause {:?}", r.cause));
    }
    let types: Vec<&str> = r.history.iter().map(|e| e.event_type).collect();
    for t in expect.get("events_include").and_then(Value::as_array).into_iter().flatten() {
        let t = t.as_str().unwrap_or_default();
        let want = expect["events_include"].as_array().into_iter().flatten().filter(|x| x.as_str() == Some(t)).count();
        if types.iter().filter(|x| **x == t).count() < want {
            p.push(format!("events lack {t}: {types:?}"));
        }
    }
    p
}

#[test]
fn tools_asl_samples_run() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tools/asl/samples");
    if !dir.is_dir() {
        eprintln!("notice: ../shared/tools/asl/samples is absent; the samples test is skipped");
        return;
    }
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    let mut failures = Vec::new();
    let mut ran = 0;
    for cases_file in files.iter().filter(|p| p.to_string_lossy().ends_with(".cases.json")) {
        let asl = cases_file.to_string_lossy().replace(".cases.json", ".asl.json");
        let def: Value = serde_json::from_str(&std::fs::read_to_string(&asl).unwrap()).unwrap();
        let sm = StateMachine::from_json(&def).unwrap_or_else(|e| panic!("{asl}: {e}"));
        let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(cases_file).unwrap()).unwrap();
        for case in cases {
            let name = case["name"].as_str().unwrap_or_default().to_string();
            let ex = Executor::new().mocks(common::mocks_of(&def, &case["mocks"]));
            let r = ex.run_blocking(&sm, case["input"].clone());
            ran += 1;
            let p = problems(&case["expect"], &r);
            let on_purpose = DIFFERENT_ON_PURPOSE.iter().any(|(prefix, _)| name.starts_with(prefix));
            match (p.is_empty(), on_purpose) {
                (true, true) => failures.push(format!("{name}: now agrees with the interpreter's deviation")),
                (false, false) => failures.push(format!("{name}: {}", p.join("; "))),
                _ => {}
            }
        }
    }
    assert!(ran > 20, "only {ran} samples ran");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
