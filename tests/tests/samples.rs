//! The sample events shipped with `examples/handlers/events/`: each handler binary answers its
//! own, through `invoke`, exactly as the README tells a reader to run them.

use serde_json::{Value, json};
use std::path::Path;
use stepcraft_tests::function::workspace_binary;

/// `<bin> invoke <bin> --input @examples/handlers/events/<bin>.json`: its stdout, as JSON.
fn invoke_with_sample(bin: &str) -> Value {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../examples/handlers/events/{bin}.json"));
    let output = std::process::Command::new(workspace_binary("handlers", bin))
        .args(["invoke", bin, "--input", &format!("@{}", sample.display())])
        .output()
        .expect("the handler runs");
    assert!(output.status.success(), "{bin}: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{bin} printed no JSON ({e}): {output:?}"))
}

#[test]
fn the_s3_notification_is_indexed() {
    assert_eq!(invoke_with_sample("uploads"), json!({"objects": ["s3://my-uploads/incoming/cat.png"], "bytes": 1024}));
}

#[test]
fn the_eventbridge_event_notifies_the_customer() {
    assert_eq!(
        invoke_with_sample("shipments"),
        json!({"order_id": "o-1001", "message": "order o-1001 is on its way with GroundCo"})
    );
}

#[test]
fn only_the_poison_record_of_the_sqs_batch_fails() {
    assert_eq!(
        invoke_with_sample("order_queue"),
        json!({"batchItemFailures": [{"itemIdentifier": "2e1424d4-f796-459a-8184-9c92662be6da"}]})
    );
}

#[test]
fn the_http_api_request_creates_a_todo_for_the_allowed_origin() {
    let response = invoke_with_sample("todo_api");
    assert_eq!(response["statusCode"], 201, "{response}");
    assert_eq!(response["headers"]["access-control-allow-origin"], "https://app.example.com");
    let body: Value = serde_json::from_str(response["body"].as_str().expect("a body")).expect("a JSON body");
    assert_eq!((&body["title"], &body["done"]), (&json!("write the README"), &json!(false)));
}
