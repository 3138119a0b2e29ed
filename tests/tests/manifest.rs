//! `BINARY manifest`: what each example binary hosts, as `stepcraft build` reads it to write
//! the deployment template — names, placeholders, kinds, memory, timeouts, triggers and state
//! machine types, in a fixed key order.

use serde_json::{Value, json};
use std::process::Command;
use stepcraft_tests::function::workspace_binary;

fn manifest(package: &str, bin: &str) -> Value {
    let binary = workspace_binary(package, bin);
    let output = Command::new(&binary).arg("manifest").output().expect("run the binary");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let manifest: Value = serde_json::from_slice(&output.stdout).expect("the manifest is JSON");
    let keys = |value: &Value| value.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default();
    assert_eq!(keys(&manifest), ["functions", "workflows"]);
    for function in manifest["functions"].as_array().expect("functions") {
        assert_eq!(keys(function), ["name", "placeholder", "kind", "memory", "timeout", "trigger"], "{function}");
    }
    for workflow in manifest["workflows"].as_array().expect("workflows") {
        assert_eq!(keys(workflow), ["name", "placeholder", "type"], "{workflow}");
    }
    manifest
}

fn activity(name: &str, placeholder: &str, memory: Option<u32>, timeout: Option<u32>) -> Value {
    json!({"name": name, "placeholder": placeholder, "kind": "activity", "memory": memory, "timeout": timeout, "trigger": null})
}

#[test]
fn checkout_hosts_its_activities_and_a_standard_state_machine() {
    assert_eq!(
        manifest("checkout", "checkout"),
        json!({
            "functions": [
                activity("reserve_inventory", "ReserveInventory", None, Some(10)),
                activity("charge_payment", "ChargePayment", Some(256), Some(30)),
                activity("release_inventory", "ReleaseInventory", None, Some(10)),
                activity("pack_item", "PackItem", None, Some(20)),
                activity("ship_order", "ShipOrder", None, Some(30)),
                activity("send_receipt", "SendReceipt", None, Some(10)),
            ],
            "workflows": [{"name": "Checkout", "placeholder": "CheckoutStateMachine", "type": "STANDARD"}],
        })
    );
}

#[test]
fn a_callback_activity_has_no_function_timeout() {
    let manifest = manifest("stepcraft-tests", "golden");
    let functions = manifest["functions"].as_array().expect("functions");
    let ask_manager = functions.iter().find(|f| f["name"] == "ask_manager").expect("ask_manager is hosted");
    assert_eq!(*ask_manager, activity("ask_manager", "AskManager", None, None));
    let workflows = manifest["workflows"].as_array().expect("workflows");
    assert!(workflows.iter().all(|w| w["type"] == "STANDARD"), "{workflows:?}");
    assert!(workflows.iter().any(|w| w["name"] == "ParentOrder" && w["placeholder"] == "ParentOrderStateMachine"));
}

#[test]
fn an_express_workflow_is_an_express_state_machine() {
    assert_eq!(
        manifest("stepcraft-tests", "fixture_express"),
        json!({
            "functions": [activity("score_order", "ScoreOrder", Some(1024), Some(20))],
            "workflows": [{"name": "FraudCheck", "placeholder": "FraudCheckStateMachine", "type": "EXPRESS"}],
        })
    );
}

#[test]
fn handlers_carry_their_triggers() {
    let function = |bin: &str| manifest("handlers", bin)["functions"][0].clone();
    assert_eq!(
        function("todo_api"),
        json!({
            "name": "todo_api", "placeholder": "TodoApi", "kind": "http", "memory": 512, "timeout": null,
            "trigger": {"http": {"api": "http", "cors": {
                "origins": ["https://app.example.com"], "methods": ["GET", "POST"], "headers": ["content-type"],
                "expose": [], "max_age": 600, "credentials": false,
            }}},
        })
    );
    assert_eq!(
        function("order_queue"),
        json!({
            "name": "order_queue", "placeholder": "OrderQueue", "kind": "sqs", "memory": 256, "timeout": 30,
            "trigger": {"sqs": {"batch_size": 5, "window": null, "fifo": false, "max_receive": 3}},
        })
    );
    assert_eq!(
        function("uploads"),
        json!({
            "name": "uploads", "placeholder": "Uploads", "kind": "json", "memory": 256, "timeout": null,
            "trigger": {"s3": {"events": ["s3:ObjectCreated:*"], "prefix": "incoming/", "suffix": null}},
        })
    );
    assert_eq!(
        function("shipments"),
        json!({
            "name": "shipments", "placeholder": "Shipments", "kind": "json", "memory": null, "timeout": 10,
            "trigger": {"eventbridge": {"pattern": {"source": ["shop.orders"], "detail-type": ["OrderShipped"]}}},
        })
    );
    assert_eq!(manifest("handlers", "todo_api")["workflows"], json!([]));
}

#[test]
fn synth_writes_the_schemas_of_handlers_whose_types_have_one() {
    let out = std::env::temp_dir().join(format!("stepcraft-manifest-synth-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    for bin in ["todo_api", "order_queue", "uploads", "shipments"] {
        let binary = workspace_binary("handlers", bin);
        let status = Command::new(&binary).arg("synth").arg("--out").arg(&out).output().expect("run synth");
        assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    }
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .expect("synth's folder")
        .map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    // `Json<NewTodo>`'s body and `OrderPlaced` have schemas; `S3Event`, `EventBridgeEvent<_>`, the
    // outputs without `JsonSchema` and an SQS handler's `()` have none.
    assert_eq!(files, ["order_queue.input.schema.json", "todo_api.input.schema.json"]);
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("todo_api.input.schema.json")).expect("read"))
            .expect("JSON");
    assert_eq!(schema["title"], "NewTodo");
    assert_eq!(schema["required"], json!(["title"]));
    let _ = std::fs::remove_dir_all(&out);
}
