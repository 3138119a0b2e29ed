//! Step Functions' limits and defaults, as the executor enforces them on any definition and any
//! execution.
//!
//! This is their one home on the runtime side: the checker (`check.rs`) reads the definition
//! limits, the run loop the execution limits (payloads, history), both command lines that start
//! an execution (`stepcraft local`, a binary's `run`) the `StartExecution` checks, and the
//! `stepcraft` crate's ASL model takes its retry defaults from here. The proc-macro compiler
//! keeps a compile-time copy (`stepcraft_macros_core::limits`); `tests/tests/one_home.rs`
//! asserts that the two agree.
//!
//! Each limit applies where Step Functions applies it:
//!
//! | limit | where | what AWS answers |
//! | --- | --- | --- |
//! | execution input ≤ 256 KiB (UTF-8 bytes, as sent) | `StartExecution` | `ValidationException`, no execution |
//! | execution name 1–80 characters | `StartExecution` | `ValidationException`, no execution |
//! | execution name without whitespace, brackets, wildcards, special or control characters ([`check_name`]) | `StartExecution` | `InvalidName`, no execution |
//! | state machine name: the same rules | `CreateStateMachine` | `ValidationException` / `InvalidName` |
//! | state name ≤ 80 characters | `CreateStateMachine` | the definition is invalid |
//! | a state's input, output, effective input (`Parameters`, `Arguments`) or a task's result ≤ 256 KiB | the state that produced it | the execution fails with `States.DataLimitExceeded` |
//! | a variable ≤ 256 KiB, one `Assign` ≤ 256 KiB, the variables stored ≤ 10 MiB ([`check_assigned`]) | the state assigning them | the execution fails with `States.DataLimitExceeded` |
//! | 25,000 history events | the 25,000th event | it is `ExecutionFailed` (`States.Runtime`) unless it is `ExecutionSucceeded` |
//! | one year of execution | the deadline | `ExecutionTimedOut` (`States.Timeout`) |
//!
//! Sources: <https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html>,
//! <https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html>,
//! <https://docs.aws.amazon.com/step-functions/latest/dg/bp-history-limit.html>,
//! <https://docs.aws.amazon.com/step-functions/latest/dg/statemachine-structure.html> and the
//! state pages it links (Task, Wait, "Handling errors").

use std::fmt;

use serde_json::Value;

/// The largest `TimeoutSeconds`, `HeartbeatSeconds`, `IntervalSeconds` and `Wait` `Seconds`.
pub const MAX_SECONDS: u64 = 99_999_999;
/// The largest `MaxAttempts`.
pub const MAX_ATTEMPTS: u64 = 99_999_999;
/// The largest `MaxDelaySeconds` (366 days).
pub const MAX_DELAY_SECONDS: u64 = 31_622_400;
/// The longest state name, in characters.
pub const MAX_STATE_NAME: usize = 80;

/// The longest execution or state machine name, in characters.
pub const MAX_NAME: usize = 80;
/// The largest execution input, state input or output and task result: 256 KiB, counted as
/// bytes of UTF-8 JSON text.
pub const MAX_PAYLOAD_BYTES: usize = 262_144;
/// The largest variable, and the most bytes of variables one `Assign` field assigns: 256 KiB
/// (AWS docs, "Passing data between states with variables", Variable size limits).
pub const MAX_ASSIGN_BYTES: usize = 262_144;
/// The most bytes of variables an execution stores at once: 10 MiB (the same section).
pub const MAX_STORED_VARIABLES_BYTES: usize = 10 * 1024 * 1024;
/// The most events one (standard) execution's history holds.
pub const MAX_HISTORY_EVENTS: u64 = 25_000;
/// The longest a standard execution runs (one year).
pub const MAX_EXECUTION_SECONDS: u64 = 31_536_000;

/// A retrier's `IntervalSeconds` when unset.
pub const DEFAULT_INTERVAL_SECONDS: u32 = 1;
/// A retrier's `MaxAttempts` when unset.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// A retrier's `BackoffRate` when unset.
pub const DEFAULT_BACKOFF_RATE: f64 = 2.0;
/// The values of `JitterStrategy` (unset is `NONE`).
pub const JITTER_STRATEGIES: &[&str] = &["FULL", "NONE"];

/// A request Step Functions' API refuses before anything runs: its error code
/// (`ValidationException`, `InvalidName`, `InvalidExecutionInput`) and message, worded as AWS
/// words them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: &'static str,
    pub message: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

/// The checks `StartExecution` makes of its request: the execution's name (when one is given;
/// AWS generates a valid one otherwise) and the input, as the JSON text sent. Gives the input.
pub fn start_execution(name: Option<&str>, input: &[u8]) -> Result<Value, ApiError> {
    if let Some(name) = name {
        check_name(name)?;
    }
    execution_input(input)
}

/// The execution input as `StartExecution` receives it: at most 256 KiB of UTF-8, and JSON.
pub fn execution_input(input: &[u8]) -> Result<Value, ApiError> {
    // The input's "Length Constraints: Maximum length of 262144" are "expressed as bytes in
    // UTF-8 encoding" (API_StartExecution); the API refuses a request breaking a member's
    // constraint with a ValidationException and, the input being sensitive data, without
    // echoing its value.
    input_size(input.len())?;
    serde_json::from_slice(input).map_err(|e| ApiError {
        code: "InvalidExecutionInput",
        message: format!("Invalid State Machine Execution Input: '{e}'"),
    })
}

/// An execution input given as a value (`stepcraft::local::Local::run`, a native run), as
/// `StartExecution` would receive it: its compact JSON text at most 256 KiB.
pub fn execution_input_value(input: &Value) -> Result<(), ApiError> {
    input_size(crate::value::size_past(input, usize::MAX))
}

fn input_size(bytes: usize) -> Result<(), ApiError> {
    if bytes > MAX_PAYLOAD_BYTES {
        return Err(ApiError {
            code: "ValidationException",
            message: format!(
                "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to {MAX_PAYLOAD_BYTES} (the input is {bytes} bytes)"
            ),
        });
    }
    Ok(())
}

/// An execution's or a state machine's name as `StartExecution` and `CreateStateMachine` check
/// it: 1 to 80 characters, none of them whitespace, brackets, wildcards, the special characters
/// `" # % \ ^ | ~ ` $ & , ; : /` or control characters.
pub fn check_name(name: &str) -> Result<(), ApiError> {
    let length = name.chars().count();
    let constraint = if length == 0 {
        Some("greater than or equal to 1")
    } else if length > MAX_NAME {
        Some("less than or equal to 80")
    } else {
        None
    };
    if let Some(constraint) = constraint {
        return Err(ApiError {
            code: "ValidationException",
            message: format!(
                "1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must have length {constraint}"
            ),
        });
    }
    if let Some(c) = name.chars().find(|&c| !name_char(c)) {
        return Err(ApiError {
            code: "InvalidName",
            message: format!("Invalid Name: '{name}' (it contains {})", describe_char(c)),
        });
    }
    Ok(())
}

/// Whether `c` may appear in an execution or state machine name.
fn name_char(c: char) -> bool {
    const SPECIAL: &str = "<>{}[]?*\"#%\\^|~`$&,;:/";
    !(c.is_whitespace()
        || SPECIAL.contains(c)
        || matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}' | '\u{10ffff}'))
}

fn describe_char(c: char) -> String {
    if c.is_control() || c.is_whitespace() { format!("U+{:04X}", c as u32) } else { format!("`{c}`") }
}

/// A state's output (or effective input) against the 256 KiB limit: the error and cause that
/// fail the execution at that state when it is larger.
pub fn check_state_payload(state: &str, value: &Value) -> Result<(), (&'static str, String)> {
    if crate::value::exceeds(value, MAX_PAYLOAD_BYTES) {
        return Err((
            "States.DataLimitExceeded",
            format!(
                "The state/task '{state}' returned a result with a size exceeding the maximum number of bytes service limit."
            ),
        ));
    }
    Ok(())
}

/// What a state's `Assign` assigns (`assigned`, after evaluation) against the variable size
/// limits: no variable over 256 KiB, at most 256 KiB in all; and, with `stored` the size of
/// the variables the execution holds besides them, at most 10 MiB stored. The error and cause
/// that fail the execution at that state when a limit is broken. (AWS's page gives the limits,
/// not the wording of the failure; the error is the one AWS raises for every payload limit.)
pub fn check_assigned(state: &str, assigned: &[(&str, &Value)], stored: usize) -> Result<(), (&'static str, String)> {
    let failure = |what: String| {
        Err((
            "States.DataLimitExceeded",
            format!("The state '{state}' assigned {what}, exceeding the maximum number of bytes service limit."),
        ))
    };
    let mut total = 0usize;
    for (name, value) in assigned {
        let size = crate::value::size_past(value, MAX_ASSIGN_BYTES);
        if size > MAX_ASSIGN_BYTES {
            return failure(format!("the variable '{name}' with a size over {MAX_ASSIGN_BYTES} bytes"));
        }
        total += size;
    }
    if total > MAX_ASSIGN_BYTES {
        return failure(format!("variables of {total} bytes in all, over {MAX_ASSIGN_BYTES} bytes for one Assign"));
    }
    if stored + total > MAX_STORED_VARIABLES_BYTES {
        return failure(format!(
            "variables that bring the execution's stored variables over {MAX_STORED_VARIABLES_BYTES} bytes"
        ));
    }
    Ok(())
}

/// The cause of the failure of an execution whose history reached [`MAX_HISTORY_EVENTS`] (or
/// the executor's lower cap), as AWS words it; the error is `States.Runtime`.
pub fn history_limit_cause(max_events: u64) -> String {
    format!("The execution reached the maximum number of history events ({max_events}).")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_start_execution_rules() {
        assert_eq!(check_name("order-1_A.b@x+y=z!'()"), Ok(()));
        assert_eq!(check_name(&"n".repeat(80)), Ok(()));
        assert_eq!(check_name("zürich-注文"), Ok(()), "non-ASCII letters are allowed");
        let long = check_name(&"n".repeat(81)).unwrap_err();
        assert_eq!(long.code, "ValidationException");
        assert!(long.message.ends_with("Member must have length less than or equal to 80"), "{long}");
        assert_eq!(check_name("").unwrap_err().code, "ValidationException");
        for bad in [
            "a b",
            "a\tb",
            "a<b",
            "a}b",
            "a?b",
            "a*b",
            "a\"b",
            "a#b",
            "a%b",
            "a\\b",
            "a^b",
            "a|b",
            "a~b",
            "a`b",
            "a$b",
            "a&b",
            "a,b",
            "a;b",
            "a:b",
            "a/b",
            "a\u{1}b",
            "a\u{85}b",
            "a\u{ffff}b",
        ] {
            let e = check_name(bad).unwrap_err();
            assert_eq!(e.code, "InvalidName", "{bad:?}");
            assert!(e.message.starts_with(&format!("Invalid Name: '{bad}'")), "{e}");
        }
    }
}
/// Step Functions' limit on a Distributed Map's `Label`, in characters (AWS docs, "Using Map
/// state in Distributed mode", Label).
pub const MAX_MAP_LABEL: usize = 40;
/// The characters a `Label` may not hold, besides whitespace and control characters.
pub const MAP_LABEL_FORBIDDEN: &str = "<>{}[]?*\"#%\\^|~`$&,;:/";
