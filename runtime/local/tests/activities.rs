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

/// One call of the Step Functions JSON protocol over a fresh connection: status and body.
fn call(addr: std::net::SocketAddr, action: &str, body: Value) -> (u16, Value) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let body = body.to_string();
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AWSStepFunctions.{action}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(head.contains("Content-Type: application/x-amz-json-1.0"), "{head}");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, serde_json::from_str(body).unwrap())
}

// GetActivityTask, Request Syntax `{"activityArn": "string", "workerName": "string"}`,
// Response Syntax `{"input": "string", "taskToken": "string"}`; SendTaskSuccess
// `{"output": "string", "taskToken": "string"}`; errors as `__type` (TaskDoesNotExist,
// InvalidOutput). Spoken over HTTP on loopback, as an AWS SDK client would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_http_endpoint_speaks_the_step_functions_json_protocol() {
    let m = approval(json!({"HeartbeatSeconds": 30}));
    let ex = Executor::new();
    let endpoint = stepcraft_local::ActivityEndpoint::bind(&ex, "127.0.0.1:0", Duration::from_secs(5)).unwrap();
    assert!(endpoint.url().starts_with("http://127.0.0.1:"));
    let addr = endpoint.addr();
    let execution = tokio::spawn(ex.start(&m, json!({"order": "o-9"})));
    let worker = tokio::task::spawn_blocking(move || {
        // The long poll holds the request until the execution schedules its task.
        let (status, task) = call(addr, "GetActivityTask", json!({"activityArn": ARN, "workerName": "python-1"}));
        assert_eq!(status, 200, "{task}");
        let token = task["taskToken"].as_str().unwrap().to_string();
        assert_eq!(task["input"], json!("{\"order\":\"o-9\"}"), "the input is JSON text");
        assert_eq!(call(addr, "SendTaskHeartbeat", json!({"taskToken": token})), (200, json!({})));
        let (status, err) = call(addr, "SendTaskSuccess", json!({"taskToken": token, "output": "{not json"}));
        assert_eq!((status, err["__type"].as_str()), (400, Some("InvalidOutput")));
        let (status, err) = call(addr, "SendTaskSuccess", json!({"taskToken": "nope", "output": "{}"}));
        assert_eq!((status, err["__type"].as_str()), (400, Some("TaskDoesNotExist")));
        let (status, err) = call(addr, "StartExecution", json!({}));
        assert_eq!((status, err["__type"].as_str()), (400, Some("UnknownOperationException")));
        assert_eq!(
            call(addr, "SendTaskSuccess", json!({"taskToken": token, "output": "{\"approved\":true}"})),
            (200, json!({}))
        );
        token
    });
    let token = worker.await.unwrap();
    let r = execution.await.unwrap();
    assert_eq!(r.output, Some(json!({"approved": true})));
    assert_eq!(event(&r, "ActivityStarted").unwrap()["activityStartedEventDetails"], json!({"workerName": "python-1"}));
    let (status, err) =
        tokio::task::spawn_blocking(move || call(addr, "SendTaskFailure", json!({"taskToken": token}))).await.unwrap();
    assert_eq!((status, err["__type"].as_str()), (400, Some("TaskDoesNotExist")), "the task is over");
}

// "If no task is available within 60 seconds, the poll returns a taskToken with a null
// string." (GetActivityTask; the endpoint's poll is shortened here.)
#[test]
fn a_poll_with_no_task_returns_no_token() {
    let ex = Executor::new();
    let endpoint = stepcraft_local::ActivityEndpoint::bind(&ex, "127.0.0.1:0", Duration::from_millis(50)).unwrap();
    let (status, body) = call(endpoint.addr(), "GetActivityTask", json!({"activityArn": ARN}));
    assert_eq!((status, body), (200, json!({})));
    let (status, err) = call(endpoint.addr(), "GetActivityTask", json!({}));
    assert_eq!((status, err["__type"].as_str()), (400, Some("ValidationException")));
}

/// A worker written with the AWS SDK for Python (boto3), if it is installed: it polls the
/// endpoint for one task and answers it with its input's order doubled.
const BOTO3_WORKER: &str = r#"
import json, sys, boto3
sfn = boto3.client("stepfunctions", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="local", aws_secret_access_key="local")
task = sfn.get_activity_task(activityArn=sys.argv[2], workerName="boto3")
order = json.loads(task["input"])["order"]
sfn.send_task_heartbeat(taskToken=task["taskToken"])
sfn.send_task_success(taskToken=task["taskToken"], output=json.dumps({"doubled": order * 2}))
try:
    sfn.send_task_success(taskToken=task["taskToken"], output="{}")
except sfn.exceptions.TaskDoesNotExist:
    print("answered once")
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_boto3_worker_answers_through_the_endpoint() {
    let has_boto3 =
        std::process::Command::new("python3").args(["-c", "import boto3"]).output().is_ok_and(|o| o.status.success());
    if !has_boto3 {
        eprintln!("notice: python3 with boto3 is not installed; the boto3 worker test is skipped");
        return;
    }
    let m = approval(json!({}));
    let ex = Executor::new();
    let endpoint = stepcraft_local::ActivityEndpoint::start(&ex).unwrap();
    let url = endpoint.url();
    let execution = tokio::spawn(ex.start(&m, json!({"order": 21})));
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3").args(["-c", BOTO3_WORKER, &url, ARN]).output().unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "answered once");
    let r = execution.await.unwrap();
    assert_eq!(r.output, Some(json!({"doubled": 42})));
    assert_eq!(event(&r, "ActivityStarted").unwrap()["activityStartedEventDetails"], json!({"workerName": "boto3"}));
}

// Redrive (AWS docs, "Restarting state machine executions with redrive", Task workflow
// state): "Schedules and starts the Task state again." An activity task that was stopped
// is scheduled anew, under a new token; the old one is gone.
#[tokio::test]
async fn a_redriven_activity_task_is_scheduled_again() {
    let m = approval(json!({}));
    let ex = Executor::new();
    let mut exec = ex.start(&m, json!({"order": 3}));
    exec.run_until_idle().await;
    let old = ex.get_activity_task(ARN, Some("w1")).unwrap();
    let stopped = exec.stop(Some("Deploy"), None).unwrap();
    assert!(ex.send_task_success(&old.task_token, json!(1)).is_err(), "the stopped task's token died");
    let mut again = ex.redrive(&stopped).unwrap();
    again.run_until_idle().await;
    let new = ex.get_activity_task(ARN, Some("w2")).expect("scheduled again");
    assert_ne!(new.task_token, old.task_token);
    assert_eq!(new.input, json!({"order": 3}));
    ex.send_task_success(&new.task_token, json!("ok")).unwrap();
    let r = again.await;
    assert_eq!(r.output, Some(json!("ok")));
    let scheduled = r.history.iter().filter(|e| e.event_type == "ActivityScheduled").count();
    assert_eq!(scheduled, 2);
}
