//! An activity reads the Lambda invocation it runs for (`stepcraft::Invocation`): the real
//! glue, served by `lambda_runtime` against the test's Runtime API, hands it the request id,
//! the trace header and the deadline, and the activity's work stops at the deadline.

use serde_json::json;
use std::time::{Duration, Instant, SystemTime};
use stepcraft_tests::function::{Function, workspace_binary};
use stepcraft_tests::runtime_api::{Event, RuntimeApi};

#[tokio::test]
async fn the_deadline_reaches_the_activity_and_its_work_stops_at_it() {
    let api = RuntimeApi::start().await;
    let _function = Function::spawn_with(
        workspace_binary("stepcraft-tests", "fixture_deadline"),
        &api,
        &[("_HANDLER", "pack_parcels")],
    );
    let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    // Twenty parcels of 100 ms do not fit in 800 ms: the activity stops with 200 ms left.
    let deadline = SystemTime::now() + Duration::from_millis(800);
    let started = Instant::now();
    let event = Event::json(&json!({"count": 20, "millisEach": 100, "marginMillis": 200}))
        .with_request_id("req-deadline-1")
        .with_trace_id(trace)
        .with_deadline(deadline);
    let answer = api.invoke_event(event).await;
    assert!(SystemTime::now() < deadline, "answered before the deadline, after {:?}", started.elapsed());
    let packed = answer.json();
    assert_eq!(packed["stoppedForDeadline"], true, "{packed}");
    let count = packed["packed"].as_u64().unwrap();
    assert!((1..=7).contains(&count), "{packed}");
    assert_eq!(packed["requestId"], "req-deadline-1");
    assert_eq!(packed["traceId"], trace);
    // With time enough, all of it.
    let event = Event::json(&json!({"count": 3, "millisEach": 10, "marginMillis": 200}))
        .with_deadline_in(Duration::from_secs(30));
    let packed = api.invoke_event(event).await.json();
    assert_eq!((packed["packed"].as_u64(), &packed["stoppedForDeadline"]), (Some(3), &json!(false)), "{packed}");
}

#[test]
fn from_the_command_line_there_is_no_deadline() {
    let output = std::process::Command::new(workspace_binary("stepcraft-tests", "fixture_deadline"))
        .args(["invoke", "pack_parcels", "--input", r#"{"count": 2, "millisEach": 1, "marginMillis": 0}"#])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let packed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(packed["packed"], 2);
    assert_eq!(packed["requestId"], "local");
    assert_eq!(packed["stoppedForDeadline"], false);
}
