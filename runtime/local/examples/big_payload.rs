//! How execution time grows with the size of the data (the 5-state machine, JSONata,
//! an input of N items of ~100 bytes): `cargo run --release --example big_payload`.

use std::time::Instant;

use serde_json::{Value, json};
use stepcraft_local::{Executor, StateMachine, TaskFailure, TaskRequest};

const MACHINE: &str = r#"{
  "QueryLanguage": "JSONata",
  "StartAt": "In",
  "States": {
    "In": {"Type": "Pass", "Assign": {"n": "{% $count($states.input.items) %}"}, "Next": "Work"},
    "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
             "Arguments": {"FunctionName": "work", "Payload": {"n": "{% $n %}", "order": "{% $states.context.Execution.Input.id %}"}},
             "Output": "{% $merge([$states.input, {'r': $states.result.Payload.r}]) %}", "Next": "Big"},
    "Big": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.r > 10 %}", "Next": "Yes"}], "Default": "No"},
    "No": {"Type": "Pass", "Next": "Yes"},
    "Yes": {"Type": "Succeed"}
  }
}"#;

fn main() {
    let sm = StateMachine::from_json_str(MACHINE).expect("valid");
    let handler = |req: TaskRequest| async move {
        Ok::<Value, TaskFailure>(json!({"r": req.payload["n"].as_i64().unwrap_or(0) * 10}))
    };
    for (label, ex) in [
        ("history with payloads", Executor::new().handler(handler)),
        ("history without payloads", Executor::new().handler(handler).record_payloads(false)),
    ] {
        println!("{label}:");
        for items in [10usize, 100, 1000] {
            let input = json!({"id": "o-1", "items": (0..items).map(|i| json!({"sku": format!("sku-{i:06}"), "qty": i, "note": "x".repeat(60)})).collect::<Vec<_>>()});
            let size = serde_json::to_string(&input).unwrap().len();
            let n = 2000;
            let start = Instant::now();
            for _ in 0..n {
                assert!(ex.run_blocking(&sm, input.clone()).succeeded());
            }
            let us = start.elapsed().as_secs_f64() * 1e6 / n as f64;
            println!("  input of {size:>7} bytes: {us:>8.1} µs per execution");
        }
    }
}
