//! Fuzz target: the local executor's ASL reader (`StateMachine::from_json`) and, for what it
//! accepts, a run. Definitions are the repository's own (the golden state machines and the
//! validators' samples, valid and invalid) mutated structurally: keys dropped, added from the
//! ASL vocabulary or retyped, state names and transitions rewired, strings (JSONPath, JSONata,
//! timestamps) mutated as text. A case passes when the reader answers a diagnostic or a state
//! machine, and the state machine's run ends (any status), renders its trace and history, and
//! its diagram renders, without a panic.

use super::Gen;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use stepcraft_local::diagram::{Diagram, Format};
use stepcraft_local::{Executor, StateMachine, TaskFailure, TaskRequest};

/// The seed definitions: `tests/golden/*.asl.json`, `tests/asl-tools/samples/**.json`.
pub fn seeds() -> &'static [Value] {
    static SEEDS: OnceLock<Vec<Value>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut out = Vec::new();
        for dir in ["tests/golden", "tests/asl-tools/samples"] {
            for (path, text) in super::corpus(dir, ".json") {
                match serde_json::from_str::<Value>(&text) {
                    Ok(v) if v.get("States").is_some() => out.push(v),
                    Ok(_) => {}
                    Err(e) => panic!("{path}: {e}"),
                }
            }
        }
        assert!(out.len() >= 30, "the seed definitions are there ({} found)", out.len());
        out
    })
}

const KEYS: &[&str] = &[
    "Type",
    "Next",
    "End",
    "Default",
    "Choices",
    "Condition",
    "Variable",
    "StringEquals",
    "NumericGreaterThan",
    "BooleanEquals",
    "IsPresent",
    "And",
    "Or",
    "Not",
    "Resource",
    "Parameters",
    "Arguments",
    "Output",
    "Assign",
    "InputPath",
    "OutputPath",
    "ResultPath",
    "ResultSelector",
    "Result",
    "Retry",
    "Catch",
    "ErrorEquals",
    "MaxAttempts",
    "IntervalSeconds",
    "BackoffRate",
    "MaxDelaySeconds",
    "JitterStrategy",
    "TimeoutSeconds",
    "TimeoutSecondsPath",
    "HeartbeatSeconds",
    "Seconds",
    "SecondsPath",
    "Timestamp",
    "TimestampPath",
    "Branches",
    "Iterator",
    "ItemProcessor",
    "ProcessorConfig",
    "ItemsPath",
    "Items",
    "ItemSelector",
    "MaxConcurrency",
    "ToleratedFailurePercentage",
    "ItemReader",
    "ResultWriter",
    "ItemBatcher",
    "Error",
    "Cause",
    "ErrorPath",
    "CausePath",
    "QueryLanguage",
    "StartAt",
    "States",
    "Comment",
    "Version",
    "Credentials",
    "Label",
];

const TYPES: &[&str] = &["Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map", "Bogus"];

const STRINGS: &[&str] = &[
    "$",
    "$.a",
    "$$.Execution.Input",
    "$.a[0].b",
    "$..x",
    "$.a[?(@.b > 1)]",
    "States.Format('{}', $.a)",
    "States.ArrayRange(1, 1000000, 1)",
    "States.StringToJson($.s)",
    "{% $states.input %}",
    "{% $x := 1 %}",
    "{% $states.input.a + %}",
    "{% %}",
    "{%",
    "%}",
    "arn:aws:states:::lambda:invoke",
    "arn:aws:states:::lambda:invoke.waitForTaskToken",
    "arn:aws:states:::states:startExecution.sync:2",
    "arn:aws:lambda:us-east-1:123456789012:function:f",
    "2024-01-01T00:00:00Z",
    "2024-13-45T99:99:99Z",
    "States.ALL",
    "States.TaskFailed",
    "JSONata",
    "JSONPath",
    "INLINE",
    "DISTRIBUTED",
    "FULL",
    "NONE",
];

fn random_value(g: &mut Gen<'_>) -> Value {
    match g.below(8) {
        0 => Value::String(g.pick(STRINGS).to_owned()),
        1 => Value::String(g.nasty_string(3)),
        2 => g.pick(&[json!(-1), json!(0), json!(1), json!(1.5), json!(99999999), json!(1e20), json!(-1e-9)]),
        3 => Value::Bool(g.chance(1, 2)),
        4 => Value::Null,
        5 => json!([]),
        6 => json!({}),
        _ => super::jsonata::value(g, 2),
    }
}

/// Every container of `v` (objects and arrays), as paths of keys and indices.
fn containers(v: &Value, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match v {
        Value::Object(map) => {
            out.push(path.clone());
            for (k, child) in map {
                path.push(Step::Key(k.clone()));
                containers(child, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            out.push(path.clone());
            for (i, child) in items.iter().enumerate() {
                path.push(Step::Index(i));
                containers(child, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn at<'v>(v: &'v mut Value, path: &[Step]) -> &'v mut Value {
    path.iter().fold(v, |v, step| match step {
        Step::Key(k) => &mut v[k.as_str()],
        Step::Index(i) => &mut v[*i],
    })
}

/// State names anywhere in the definition (keys of every `States`).
fn state_names(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::Object(states)) = map.get("States") {
                out.extend(states.keys().cloned());
            }
            map.values().for_each(|c| state_names(c, out));
        }
        Value::Array(items) => items.iter().for_each(|c| state_names(c, out)),
        _ => {}
    }
}

/// One structural mutation of `def`.
pub fn mutate(g: &mut Gen<'_>, def: &mut Value) {
    let mut paths = Vec::new();
    containers(def, &mut Vec::new(), &mut paths);
    let mut names = Vec::new();
    state_names(def, &mut names);
    let path = g.pick(&paths);
    let node = at(def, &path);
    match node {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            match g.below(7) {
                0 if !keys.is_empty() => {
                    map.remove(&g.pick(&keys));
                }
                1 => {
                    map.insert(g.pick(KEYS).to_owned(), random_value(g));
                }
                2 if !keys.is_empty() => {
                    let key = g.pick(&keys);
                    let new = match &map[&key] {
                        Value::String(s) => {
                            if g.chance(1, 2) {
                                Value::String(g.mutate_text(s))
                            } else if !names.is_empty() {
                                Value::String(g.pick(&names))
                            } else {
                                random_value(g)
                            }
                        }
                        _ => random_value(g),
                    };
                    map.insert(key, new);
                }
                3 if !keys.is_empty() => {
                    // A key renamed (a state renamed, its transitions left dangling).
                    let key = g.pick(&keys);
                    let value = map.remove(&key).unwrap_or(Value::Null);
                    map.insert(g.mutate_text(&key), value);
                }
                4 => {
                    map.insert("Type".into(), Value::String(g.pick(TYPES).to_owned()));
                }
                5 if !keys.is_empty() && !names.is_empty() => {
                    map.insert(g.pick(&["Next", "Default", "StartAt"]).to_owned(), Value::String(g.pick(&names)));
                }
                _ if !keys.is_empty() => {
                    // A subtree copied over another (a state machine inside a Choice rule, …).
                    let key = g.pick(&keys);
                    let other = map[&g.pick(&keys)].clone();
                    map.insert(key, other);
                }
                _ => {}
            }
        }
        Value::Array(items) => match g.below(3) {
            0 if !items.is_empty() => {
                let i = g.below(items.len());
                items.remove(i);
            }
            1 if !items.is_empty() => {
                let i = g.below(items.len());
                let copy = items[i].clone();
                items.push(copy);
            }
            _ => items.push(random_value(g)),
        },
        _ => {}
    }
}

/// A definition made up from nothing: a few states of random types and fields.
fn from_scratch(g: &mut Gen<'_>) -> Value {
    let names: Vec<String> = (0..1 + g.below(4)).map(|i| format!("S{i}")).collect();
    let mut states = Map::new();
    for name in &names {
        let mut state = Map::new();
        state.insert("Type".into(), json!(g.pick(TYPES)));
        for _ in 0..g.below(5) {
            let value = if g.chance(1, 3) { Value::String(g.pick(&names)) } else { random_value(g) };
            state.insert(g.pick(KEYS).to_owned(), value);
        }
        states.insert(name.clone(), Value::Object(state));
    }
    let mut def = json!({"StartAt": g.pick(&names), "States": states});
    if g.chance(1, 2) {
        def["QueryLanguage"] = json!(g.pick(&["JSONata", "JSONPath"]));
    }
    def
}

/// One case: a mutated (or made-up) definition through the reader, and a run of what it accepts.
pub fn case(g: &mut Gen<'_>) {
    let mut def = if g.chance(1, 10) { from_scratch(g) } else { g.pick(seeds()) };
    for _ in 0..1 + g.below(4) {
        mutate(g, &mut def);
    }
    let input = if g.chance(1, 2) { json!({"a": 1, "items": [1, 2], "s": "{\"k\": 1}"}) } else { random_value(g) };
    let fail_every = 1 + g.below(4) as u32;
    check(&def, input, fail_every);
}

/// Reads `def`; runs what the reader accepts, its tasks answered in-process (every
/// `fail_every`-th call fails).
pub fn check(def: &Value, input: Value, fail_every: u32) {
    let machine = match StateMachine::from_json(def) {
        Ok(machine) => machine,
        Err(error) => {
            assert!(!error.problems.is_empty(), "a refusal names its problems");
            assert!(!error.to_string().is_empty());
            return;
        }
    };
    if let Ok(diagram) = Diagram::from_json(def) {
        for format in [Format::Mermaid, Format::Dot, Format::Svg] {
            let _ = diagram.render(format);
        }
    }
    let executor = Executor::new().seed(7).handler(move |request: TaskRequest| async move {
        if request.invocation % fail_every == fail_every - 1 {
            Err(TaskFailure::new("Boom", "an injected failure"))
        } else {
            Ok(json!({"echo": request.payload, "n": request.invocation}))
        }
    });
    let result = executor.run_blocking(&machine, input);
    let _ = result.trace();
    let _ = result.history_json();
    let _ = stepcraft_local::report::html_report(def, &result, "fuzz");
}
