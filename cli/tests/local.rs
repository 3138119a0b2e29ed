//! `stepcraft local` end to end: the binary, definition files, mock configurations,
//! exit statuses and the `--json` shape the conformance adapter reads.

use std::process::Output;

use serde_json::{Value, json};

mod common;

use common::{Dir, stepcraft};

fn json_out(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

fn order_machine() -> Value {
    json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Charge",
        "States": {
            "Charge": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {"FunctionName": "charge", "Payload": "{% $states.input %}"},
                "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "IntervalSeconds": 2}],
                "Catch": [{"ErrorEquals": ["Declined"], "Output": "{% $states.errorOutput %}", "Next": "Refuse"}],
                "Output": "{% $states.result.Payload %}",
                "Next": "Ship"
            },
            "Ship": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Pack", "States": {"Pack": {"Type": "Wait", "Seconds": 3600, "End": true}}},
                    {"StartAt": "Label", "States": {"Label": {"Type": "Pass", "Output": "label", "End": true}}}
                ],
                "End": true
            },
            "Refuse": {"Type": "Fail", "Error": "Refused", "Cause": "{% $states.input.Cause %}"}
        }
    })
}

fn mock_config() -> Value {
    json!({
        "StateMachines": {"order": {"TestCases": {
            "HappyPath": {"Charge": "ChargeOk"},
            "Throttled": {"Charge": "ChargeThrottledThenOk"},
            "Declined": {"Charge": "ChargeDeclined"}
        }}},
        "MockedResponses": {
            "ChargeOk": {"0": {"Return": {"StatusCode": 200, "Payload": {"paid": true}}}},
            "ChargeThrottledThenOk": {
                "0-1": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "slow down"}},
                "2": {"Return": {"StatusCode": 200, "Payload": {"paid": true}}}
            },
            "ChargeDeclined": {"0": {"Throw": {"Error": "Declined", "Cause": "card declined"}}}
        }
    })
}

#[test]
fn runs_a_test_case_and_prints_json() {
    let d = Dir::new("json");
    let def = d.file("order.asl.json", &order_machine());
    let mocks = d.file("mocks.json", &mock_config());
    let o = stepcraft(&[
        "local",
        &def,
        "--input",
        r#"{"total": 10}"#,
        "--mock-config",
        &mocks,
        "--test-case",
        "HappyPath",
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r = json_out(&o);
    assert_eq!(r["status"], "SUCCEEDED");
    assert_eq!(r["output"], json!([{"paid": true}, "label"]));
    let entered: Vec<&str> = r["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"].as_str().unwrap().ends_with("StateEntered"))
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(entered.len(), 4);
    assert_eq!(r["states_entered"], json!(entered));
    assert_eq!(&entered[..2], ["Charge", "Ship"]);
    assert_eq!(r["history"][0]["type"], "ExecutionStarted");
    assert_eq!(r["history"][0]["id"], 1);
}

#[test]
fn retries_follow_the_attempt_keys() {
    let d = Dir::new("retry");
    let def = d.file("order.asl.json", &order_machine());
    let mocks = d.file("mocks.json", &mock_config());
    let o = stepcraft(&["local", &def, "--mock-config", &mocks, "--test-case", "Throttled", "--json"]);
    assert!(o.status.success());
    let r = json_out(&o);
    let failed = r["history"].as_array().unwrap().iter().filter(|e| e["type"] == "TaskFailed").count();
    assert_eq!(failed, 2);
}

#[test]
fn a_failed_execution_exits_1_with_error_and_cause() {
    let d = Dir::new("fail");
    let def = d.file("order.asl.json", &order_machine());
    let mocks = d.file("mocks.json", &mock_config());
    let o = stepcraft(&["local", &def, "--mock-config", &mocks, "--test-case", "Declined", "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let r = json_out(&o);
    assert_eq!(
        (r["status"].as_str(), r["error"].as_str(), r["cause"].as_str()),
        (Some("FAILED"), Some("Refused"), Some("card declined"))
    );
}

#[test]
fn the_readable_trace_shows_states_and_virtual_times() {
    let d = Dir::new("trace");
    let def = d.file("order.asl.json", &order_machine());
    let mocks = d.file("mocks.json", &mock_config());
    let o = stepcraft(&[
        "local",
        &def,
        "--mock-config",
        &mocks,
        "--test-case",
        "Throttled",
        "--start-time",
        "2024-05-01T00:00:00Z",
    ]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("Charge") && text.contains("Task") && text.contains("Parallel"), "{text}");
    assert!(text.contains("status: SUCCEEDED"), "{text}");
    // Two retries (2 s, 4 s), then a one-hour wait.
    let charge = text.lines().find(|l| l.starts_with("Charge")).unwrap();
    assert!(charge.contains("6.000s") && charge.trim_end().ends_with('2'), "{text}");
    let pack = text.lines().find(|l| l.contains("Pack")).unwrap();
    assert!(pack.contains("+6.000s") && pack.contains("01:00:00"), "{text}");
    assert!(text.contains("virtual duration: 3606.000s"), "{text}");
}

#[test]
fn an_invalid_definition_exits_3() {
    let d = Dir::new("invalid");
    let def = d.file("bad.asl.json", &json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}));
    let o = stepcraft(&["local", &def]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("Missing 'Next' target: Nowhere at /States/A/Next"), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(stepcraft(&[]).status.code(), Some(2));
    assert_eq!(stepcraft(&["local"]).status.code(), Some(2));
    assert_eq!(stepcraft(&["local", "x.json", "--frobnicate"]).status.code(), Some(2));
    assert_eq!(stepcraft(&["local", "/nonexistent/x.json"]).status.code(), Some(2));
    let d = Dir::new("usage");
    let def = d.file("order.asl.json", &order_machine());
    let mocks = d.file("mocks.json", &mock_config());
    let o = stepcraft(&["local", &def, "--mock-config", &mocks, "--test-case", "Nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no test case named 'Nope'"));
    let o = stepcraft(&["local", &def, "--input", "{not json"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn input_can_come_from_a_file_and_unmocked_tasks_fail_clearly() {
    let d = Dir::new("input");
    let def = d.file("order.asl.json", &order_machine());
    let input = d.file("input.json", &json!({"total": 1}));
    let o = stepcraft(&["local", &def, "--input", &format!("@{input}"), "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let r = json_out(&o);
    assert_eq!(r["error"], "States.Runtime");
    assert!(r["cause"].as_str().unwrap().contains("no mock or handler for the state 'Charge'"));
}

#[test]
fn validate_reports_each_file() {
    let d = Dir::new("validate");
    let good = d.file("good.asl.json", &order_machine());
    let bad = d.file("bad.asl.json", &json!({"StartAt": "A", "States": {}}));
    let o = stepcraft(&["validate", &good, &bad]);
    assert_eq!(o.status.code(), Some(3));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("good.asl.json: ok") && text.contains("bad.asl.json: invalid"), "{text}");
}
