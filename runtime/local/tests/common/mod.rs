//! Helpers shared by the tests that run third-party corpora: mocks in the
//! `tools/asl` format.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;
use stepcraft_local::{Mock, Mocks, TaskFailure};

/// A case's mock entry as a [`Mock`].
/// `{"$repeat": ["a", n]}` (tools/asl's shorthand for a long string) expanded.
pub fn expand(v: &Value) -> Value {
    match v.get("$repeat").and_then(Value::as_array).map(Vec::as_slice) {
        Some([Value::String(s), n]) => Value::String(s.repeat(n.as_u64().unwrap_or(0) as usize)),
        _ => v.clone(),
    }
}

enum Step {
    Return(Value),
    Echo,
    Fail(String, String),
}

fn then(m: Option<Mock>, step: Step) -> Mock {
    match (m, step) {
        (None, Step::Return(v)) => Mock::returns(v),
        (None, Step::Echo) => Mock::echo(),
        (None, Step::Fail(e, c)) => Mock::fails(e, c),
        (Some(m), Step::Return(v)) => m.then_returns(v),
        (Some(m), Step::Echo) => m.then_echoes(),
        (Some(m), Step::Fail(e, c)) => m.then_fails(e, c),
    }
}

/// One mocked function or state: its answers in call order, the last repeating.
fn mock_of(entries: &[Value]) -> Mock {
    let mut mock: Option<Mock> = None;
    for e in entries {
        let step = if let Some(v) = e.get("return") {
            Step::Return(expand(v))
        } else if e.get("echo").is_some() {
            Step::Echo
        } else if let Some(code) = e.get("service_error").and_then(Value::as_str) {
            Step::Fail(
                format!("Lambda.{code}"),
                format!("{code} (Service: AWSLambda; Status Code: 404; Error Code: {code})"),
            )
        } else if e.get("callback").is_some() {
            Step::Return(Value::Null)
        } else {
            let error = e.get("error").and_then(Value::as_str).unwrap_or("Exception");
            let message = e.get("cause").and_then(Value::as_str).unwrap_or("");
            let f = TaskFailure::function_error(error, message);
            Step::Fail(f.error, f.cause.unwrap_or_default())
        };
        let mut m = then(mock, step);
        if let Some(d) = e.get("delay").and_then(Value::as_f64) {
            m = m.taking(Duration::from_secs_f64(d));
        }
        if let Some(cb) = e.get("callback") {
            let after = Duration::from_secs_f64(
                e.get("after").or_else(|| cb.get("after")).and_then(Value::as_f64).unwrap_or(0.0),
            );
            m = match cb.get("output") {
                Some(out) => m.then_callback_success(out.clone(), after),
                None => m.then_callback_failure(
                    cb.get("error").and_then(Value::as_str).unwrap_or("Error"),
                    cb.get("cause").and_then(Value::as_str).unwrap_or(""),
                    after,
                ),
            };
        }
        mock = Some(m);
    }
    mock.unwrap_or_else(|| Mock::returns(Value::Null))
}

fn state_names(states: &Value, out: &mut BTreeSet<String>) {
    if let Some(m) = states.as_object() {
        for (name, st) in m {
            out.insert(name.clone());
            for b in st.get("Branches").and_then(Value::as_array).into_iter().flatten() {
                state_names(&b["States"], out);
            }
            for k in ["ItemProcessor", "Iterator"] {
                if let Some(p) = st.get(k) {
                    state_names(&p["States"], out);
                }
            }
        }
    }
}

/// The mocks of a case, in the format of `tools/asl` (`{"fn": {"return": …}}`, keyed
/// by state name, function name or `*`).
pub fn mocks_of(definition: &Value, mocks_json: &Value) -> Mocks {
    let mut names = BTreeSet::new();
    state_names(&definition["States"], &mut names);
    let mut mocks = Mocks::new();
    for (key, v) in mocks_json.as_object().into_iter().flatten() {
        let entries: Vec<Value> = match v {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        let mock = mock_of(&entries);
        mocks = if key == "*" {
            mocks.fallback(mock)
        } else if names.contains(key) {
            mocks.state(key.clone(), mock)
        } else {
            mocks.function(key.clone(), mock)
        };
    }
    mocks
}
