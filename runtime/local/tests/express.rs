//! Express state machines against AWS's "Standard vs. Express Workflows" page: what
//! `CreateStateMachine` refuses for the type, the five-minute limit, no redrive, and the
//! unlimited history.

use serde_json::{Value, json};
use stepcraft_local::{Executor, MachineType, Mock, StateMachine, Status};

fn express(def: &Value) -> Result<StateMachine, String> {
    StateMachine::from_json_as(def, MachineType::Express).map_err(|e| e.to_string())
}

fn task(resource: &str) -> Value {
    json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "End": true}}})
}

// "Service integrations — Express Workflows: Supports all service integrations. Express
// Workflows do not support Job-run (.sync) or Callback (.waitForTaskToken) service
// integration patterns." "Step Functions activities — Express Workflows: Does not support
// Step Functions activities."
#[test]
fn create_state_machine_refuses_sync_callbacks_and_activities_for_express() {
    for (resource, said) in [
        ("arn:aws:states:::states:startExecution.sync:2", "does not support '.sync'"),
        ("arn:aws:states:::ecs:runTask.sync", "does not support '.sync'"),
        ("arn:aws:states:::lambda:invoke.waitForTaskToken", "does not support '.waitForTaskToken'"),
        ("arn:aws:states:::sqs:sendMessage.waitForTaskToken", "does not support '.waitForTaskToken'"),
        ("arn:aws:states:us-east-1:111111111111:activity:review", "does not support Activities"),
    ] {
        let e = express(&task(resource)).unwrap_err();
        assert!(e.contains("SCHEMA_VALIDATION_FAILED: Express state machine") && e.contains(said), "{resource}: {e}");
        assert!(e.contains("/States/T/Resource"), "{e}");
        assert!(StateMachine::from_json(&task(resource)).is_ok(), "a Standard machine may use {resource}");
    }
    // Request-response integrations are the same for both types.
    for resource in
        ["arn:aws:states:::lambda:invoke", "arn:aws:states:::sqs:sendMessage", "arn:aws:states:::states:startExecution"]
    {
        let m = express(&task(resource)).unwrap();
        assert_eq!(m.machine_type(), MachineType::Express);
    }
    // Nested states are checked too.
    let nested = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "End": true}}}]}}});
    assert!(express(&nested).unwrap_err().contains("/States/P/Branches[0]/States/T/Resource"));
}

// The agent notes AWS keeps for Step Functions ("Standard vs Express": "Distributed Map |
// Not supported" for Express): an Express execution cannot start a Map Run's children.
#[test]
fn create_state_machine_refuses_a_distributed_map_for_express() {
    let def = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
        "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}});
    assert!(express(&def).unwrap_err().contains("does not support Distributed Map"));
    assert!(StateMachine::from_json(&def).is_ok());
}

// The children of a Distributed Map with `ExecutionType: EXPRESS` are Express executions
// ("Distributed Map state", ProcessorConfig: "ExecutionType … EXPRESS"): the same rules apply to
// its item processor, and only there.
#[test]
fn express_children_are_checked_as_express_machines() {
    let map = |execution: &str, resource: &str| {
        json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution},
            "StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "End": true}}}}}})
    };
    let e = StateMachine::from_json(&map("EXPRESS", "arn:aws:states:::lambda:invoke.waitForTaskToken"))
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("does not support '.waitForTaskToken'") && e.contains("/States/M/ItemProcessor/States/T"),
        "{e}"
    );
    assert!(StateMachine::from_json(&map("STANDARD", "arn:aws:states:::lambda:invoke.waitForTaskToken")).is_ok());
    assert!(StateMachine::from_json(&map("EXPRESS", "arn:aws:states:::lambda:invoke")).is_ok());
}

fn wait(seconds: u64) -> Value {
    json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": seconds, "End": true}}})
}

// "Maximum duration — Standard Workflows: 1 year. Express Workflows: 5 minutes."
#[tokio::test]
async fn an_express_execution_times_out_after_five_minutes() {
    let ex = Executor::new();
    let r = ex.run(&express(&wait(299)).unwrap(), json!({})).await;
    assert_eq!(r.status, Status::Succeeded);
    let r = ex.run(&express(&wait(301)).unwrap(), json!({})).await;
    assert_eq!(r.status, Status::TimedOut);
    assert_eq!(r.error.as_deref(), Some("States.Timeout"));
    assert_eq!(r.duration().as_secs(), 300);
    assert_eq!(r.history.last().unwrap().event_type, "ExecutionTimedOut");
    // The same wait in a Standard machine is nothing special.
    let r = ex.run(&StateMachine::from_json(&wait(301)).unwrap(), json!({})).await;
    assert_eq!(r.status, Status::Succeeded);
}

// Redrive eligibility ("Restarting state machine executions with redrive"): "Redrive is not
// supported by EXPRESS state machines"; "Standard vs. Express": Express executions are not
// kept by Step Functions ("Execution history is not captured by Step Functions").
#[tokio::test]
async fn an_express_execution_cannot_be_redriven() {
    let def = task("arn:aws:lambda:us-east-1:111111111111:function:f");
    let ex = Executor::new().mock_function("f", Mock::fails("Boom", "no"));
    let r = ex.run(&express(&def).unwrap(), json!({})).await;
    assert_eq!(r.status, Status::Failed);
    let e = ex.redrive(&r).unwrap_err();
    assert_eq!(e.code, "ExecutionNotRedrivable");
    assert!(e.message.contains("EXPRESS"), "{e}");
    let r = ex.run(&StateMachine::from_json(&def).unwrap(), json!({})).await;
    assert!(ex.redrive(&r).is_ok(), "a Standard one can");
}

// "Execution history — Express Workflows: Unlimited execution history, that is, as many
// execution history entries are maintained as you can generate within a 5-minute period."
#[tokio::test]
async fn an_express_history_has_no_25000_event_cap() {
    let def = json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Result": 0, "ResultPath": "$.n", "Next": "Loop"},
        "Loop": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "Done?"},
        "Done?": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": 7000, "Next": "End"}], "Default": "Loop"},
        "End": {"Type": "Succeed"}}});
    let ex = Executor::new().record_payloads(false);
    let r = ex.run(&express(&def).unwrap(), json!({})).await;
    assert_eq!(r.status, Status::Succeeded, "{:?}", r.cause);
    assert!(r.history.len() > 25_000, "{}", r.history.len());
    let r = ex.run(&StateMachine::from_json(&def).unwrap(), json!({})).await;
    assert_eq!(r.status, Status::Failed, "a Standard execution stops at 25,000 events");
}
