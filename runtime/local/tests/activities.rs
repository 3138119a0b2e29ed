//! Activity tasks (`arn:aws:states:<region>:<account>:activity:<name>`) answered by
//! workers that poll `GetActivityTask` and report with `SendTaskSuccess`,
//! `SendTaskFailure` and `SendTaskHeartbeat`, in-process. Each test quotes the AWS
//! documentation it checks ("Learn about Activities in Step Functions",
//! concepts-activities.html, and the API reference).

use std::time::Duration;

use serde_json::{Value, json};
use stepcraft_local::{Executor, StateMachine, Status, TaskRequest};

const ARN: &str = "arn:aws:states:us-east-1:111111111111:activity:approve";

fn sm(def: Value) -> StateMachine {
    StateMachine::from_json(&def).unwrap_or_else(|e| panic!("invalid definition: {e}"))
}

fn approval(extra: Value) -> StateMachine {
    let mut task = json!({"Type": "Task", "Resource": ARN, "Parameters": {"order.$": "$.order"}, "End": true});
    for (k, v) in extra.as_object().unwrap() {
        task[k] = v.clone();
    }
    sm(json!({"StartAt": "Approve", "States": {"Approve": task}}))
}

fn event(r: &stepcraft_local::ExecutionResult, ty: &str) -> Option<Value> {
    r.history.iter().find(|e| e.event_type == ty).map(|e| e.to_json())
}

// "When Step Functions reaches an activity task state, the workflow waits for an activity
// worker to poll for a task. An activity worker polls Step Functions by using
// GetActivityTask, and sending the ARN for the related activity. GetActivityTask returns a
// response including input (a string of JSON input for the task) and a taskToken (a unique
// identifier for the task). After the activity worker completes its work, it can provide a
// report of its success or failure by using SendTaskSuccess or SendTaskFailure."
#[tokio::test]
async fn a_worker_polls_the_task_and_reports_success() {
    let m = approval(json!({}));
    let ex = Executor::new();
    let mut exec = ex.start(&m, json!({"order": "o-1"}));
    assert!(!exec.run_until_idle().await, "the execution waits for a worker");
    assert_eq!(ex.get_activity_task("arn:aws:states:us-east-1:111111111111:activity:other", None), None);
    let task = ex.get_activity_task(ARN, Some("worker-1")).expect("a scheduled task");
    assert_eq!(task.input, json!({"order": "o-1"}));
    assert_eq!(ex.get_activity_task(ARN, Some("worker-2")), None, "a task goes to one worker");
    ex.send_task_success(&task.task_token, json!({"approved": true})).unwrap();
    let r = exec.await;
    assert_eq!(r.status, Status::Succeeded, "{:?}", r.cause);
    assert_eq!(r.output, Some(json!({"approved": true})));
    let types: Vec<&str> = r.history.iter().map(|e| e.event_type).collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivitySucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    let scheduled = event(&r, "ActivityScheduled").unwrap();
    assert_eq!(scheduled["activityScheduledEventDetails"]["resource"], json!(ARN));
    assert_eq!(scheduled["activityScheduledEventDetails"]["input"], json!("{\"order\":\"o-1\"}"));
    // GetActivityTask, workerName: "This name is used when it is logged in the execution history."
    assert_eq!(event(&r, "ActivityStarted").unwrap()["activityStartedEventDetails"], json!({"workerName": "worker-1"}));
    assert!(ex.send_task_success(&task.task_token, json!(1)).is_err(), "the task is over");
}

#[tokio::test]
async fn send_task_failure_fails_the_state_with_its_error_and_cause() {
    let m = sm(json!({"StartAt": "Approve", "States": {
        "Approve": {"Type": "Task", "Resource": ARN, "End": true,
                    "Catch": [{"ErrorEquals": ["Rejected"], "Next": "Declined"}]},
        "Declined": {"Type": "Pass", "End": true}}}));
    let ex = Executor::new();
    let mut exec = ex.start(&m, json!({}));
    exec.run_until_idle().await;
    let task = ex.get_activity_task(ARN, None).unwrap();
    ex.send_task_failure(&task.task_token, "Rejected", "over budget").unwrap();
    let r = exec.await;
    assert_eq!(r.output, Some(json!({"Error": "Rejected", "Cause": "over budget"})));
    assert_eq!(
        event(&r, "ActivityFailed").unwrap()["activityFailedEventDetails"],
        json!({"error": "Rejected", "cause": "over budget"})
    );
    assert_eq!(event(&r, "ActivityStarted").unwrap()["activityStartedEventDetails"], json!({"workerName": ""}));
}

// Task state, HeartbeatSeconds: "If more time than the specified seconds elapses between
// heartbeats from the task, this state fails with a States.Timeout error name." Activities:
// the worker keeps the task alive with SendTaskHeartbeat.
#[tokio::test]
async fn heartbeats_keep_a_taken_task_alive_and_their_absence_times_it_out() {
    let m = sm(json!({"StartAt": "Approve", "States": {
        "Approve": {"Type": "Task", "Resource": ARN, "HeartbeatSeconds": 10, "TimeoutSeconds": 100,
                    "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "Late"}], "End": true},
        "Late": {"Type": "Pass", "End": true}}}));
    let ex = Executor::new();
    let mut exec = ex.start(&m, json!({}));
    exec.run_until_idle().await;
    // Before a worker takes the task, only TimeoutSeconds runs.
    exec.advance(Duration::from_secs(30));
    assert!(!exec.run_until_idle().await);
    let task = ex.get_activity_task(ARN, Some("w")).unwrap();
    exec.run_until_idle().await;
    exec.advance(Duration::from_secs(8));
    ex.send_task_heartbeat(&task.task_token).unwrap();
    assert!(!exec.run_until_idle().await);
    exec.advance(Duration::from_secs(8));
    assert!(!exec.run_until_idle().await, "16 s after the start, 8 s after the heartbeat");
    exec.advance(Duration::from_secs(3));
    assert!(exec.run_until_idle().await, "11 s without a heartbeat");
    let r = exec.await;
    assert_eq!(r.output.as_ref().map(|o| o["Error"].clone()), Some(json!("States.HeartbeatTimeout")));
    assert_eq!(
        event(&r, "ActivityTimedOut").unwrap()["activityTimedOutEventDetails"]["error"],
        json!("States.HeartbeatTimeout")
    );
    let started = r.history.iter().find(|e| e.event_type == "ActivityStarted").unwrap();
    assert_eq!(started.timestamp_ms - r.start_ms, 30_000);
}

// Task state, TimeoutSeconds: "If the task runs longer than the specified seconds, this state
// fails with a States.Timeout error name." A task no worker took times out too.
#[tokio::test]
async fn a_task_no_worker_takes_times_out() {
    let m = approval(json!({"TimeoutSeconds": 60}));
    let ex = Executor::new();
    let mut exec = ex.start(&m, json!({"order": 1}));
    exec.run_until_idle().await;
    exec.advance(Duration::from_secs(60));
    let r = exec.await;
    assert_eq!((r.status, r.error.as_deref()), (Status::Failed, Some("States.Timeout")), "{:?}", r.cause);
    assert!(event(&r, "ActivityStarted").is_none());
    assert_eq!(
        event(&r, "ActivityTimedOut").unwrap()["activityTimedOutEventDetails"],
        json!({"error": "States.Timeout"})
    );
    assert_eq!(ex.get_activity_task(ARN, None), None, "the timed-out task is gone");
}

// GetActivityTask: "This initiates a long poll, where the service holds the HTTP connection
// open and responds as soon as a task becomes available".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_polling_worker_gets_tasks_as_they_are_scheduled() {
    let m = sm(json!({"StartAt": "Each", "States": {"Each": {"Type": "Map", "MaxConcurrency": 1, "End": true,
        "ItemProcessor": {"StartAt": "Approve", "States": {"Approve": {"Type": "Task", "Resource": ARN, "End": true}}}}}}));
    let ex = Executor::new();
    let worker = {
        let ex = ex.clone();
        tokio::spawn(async move {
            let mut seen = Vec::new();
            for _ in 0..3 {
                let task = ex.poll_activity_task(ARN, Some("poller")).await;
                seen.push(task.input.clone());
                ex.send_task_success(&task.task_token, json!({"ok": task.input})).unwrap();
            }
            seen
        })
    };
    let r = tokio::spawn(ex.start(&m, json!([1, 2, 3]))).await.unwrap();
    assert_eq!(r.status, Status::Succeeded, "{:?}", r.cause);
    assert_eq!(r.output, Some(json!([{"ok": 1}, {"ok": 2}, {"ok": 3}])));
    assert_eq!(worker.await.unwrap(), [json!(1), json!(2), json!(3)], "oldest first, one at a time");
}

// A TaskHandler (or a mock) still answers an activity's tasks in-process, before any
// worker: the history has no worker name then.
#[tokio::test]
async fn a_handler_answers_an_activity_before_workers() {
    let m = approval(json!({}));
    let ex = Executor::new().handler(|req: TaskRequest| async move {
        assert_eq!(&*req.resource, ARN);
        json!({"by": "handler", "order": req.payload["order"]})
    });
    let r = ex.run(&m, json!({"order": 7})).await;
    assert_eq!(r.output, Some(json!({"by": "handler", "order": 7})));
    assert_eq!(event(&r, "ActivityStarted").unwrap()["activityStartedEventDetails"], json!({}));
    assert!(event(&r, "ActivitySucceeded").is_some());
}
