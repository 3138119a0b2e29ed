//! Throughput and memory figures of the local executor.
//!
//! ```text
//! cargo run --release -p stepcraft-local --example executor_bench [-- ITERATIONS]
//! ```
//!
//! * executions per second of the 5-state benchmark machine (Pass, Task, Choice,
//!   Pass, Succeed; `tools/asl/samples/bench-5state*.asl.json`), JSONata and JSONPath,
//!   the task answered in-process by an async handler, on one thread;
//! * resident memory of 10,000 executions parked in a `Wait` state (manual clock)
//!   and of 10,000 parked on task tokens, and that all of them complete once resumed.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use serde_json::{Value, json};
use stepcraft_local::{Clock, ExecutionResult, Executor, StateMachine, TaskRequest};

const JSONATA: &str = r#"{
  "QueryLanguage": "JSONata",
  "StartAt": "In",
  "States": {
    "In": {"Type": "Pass", "Assign": {"n": "{% $states.input.n %}"}, "Next": "Work"},
    "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Arguments": {"FunctionName": "work", "Payload": {"n": "{% $n %}"}}, "Output": "{% $states.result.Payload %}", "Next": "Big"},
    "Big": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.r > 10 %}", "Next": "Yes"}], "Default": "No"},
    "No": {"Type": "Pass", "Output": {"big": false}, "Next": "Yes"},
    "Yes": {"Type": "Succeed"}
  }
}"#;

const JSONPATH: &str = r#"{
  "StartAt": "In",
  "States": {
    "In": {"Type": "Pass", "Parameters": {"n.$": "$.n"}, "Next": "Work"},
    "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "work", "Payload.$": "$"}, "OutputPath": "$.Payload", "Next": "Big"},
    "Big": {"Type": "Choice", "Choices": [{"Variable": "$.r", "NumericGreaterThan": 10, "Next": "Yes"}], "Default": "No"},
    "No": {"Type": "Pass", "Result": {"big": false}, "Next": "Yes"},
    "Yes": {"Type": "Succeed"}
  }
}"#;

/// The in-process activity: `{"r": n * 10}`.
async fn work(req: TaskRequest) -> Result<Value, stepcraft_local::TaskFailure> {
    let n = req.payload["n"].as_i64().unwrap_or(0);
    Ok(json!({"r": n * 10}))
}

fn rss_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
}

fn throughput(label: &str, def: &str, ex: &Executor, n: usize) {
    let sm = StateMachine::from_json_str(def).expect("a valid benchmark machine");
    // Warm up, and check the answer.
    let r = ex.run_blocking(&sm, json!({"n": 3}));
    assert_eq!(r.output, Some(json!({"r": 30})), "{label}: {r:?}");
    let start = Instant::now();
    for i in 0..n {
        let r = ex.run_blocking(&sm, json!({"n": i % 5}));
        assert!(r.succeeded());
    }
    let secs = start.elapsed().as_secs_f64();
    println!("{label:<58} {:>9.0} executions/s ({:.1} µs each)", n as f64 / secs, secs * 1e6 / n as f64);
}

/// Polls every execution once (they run until they park).
fn poll_all(execs: &mut [Pin<Box<dyn Future<Output = ExecutionResult> + Send>>], done: &mut [Option<ExecutionResult>]) {
    let mut cx = Context::from_waker(Waker::noop());
    for (i, e) in execs.iter_mut().enumerate() {
        if done[i].is_none()
            && let Poll::Ready(r) = e.as_mut().poll(&mut cx)
        {
            done[i] = Some(r);
        }
    }
}

fn parked_in_wait(n: usize) {
    let clock = Clock::manual(0);
    let ex = Executor::new().clock(clock.clone());
    let sm = StateMachine::from_json(&json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Hold",
        "States": {
            "Hold": {"Type": "Wait", "Seconds": 86400, "Next": "Done"},
            "Done": {"Type": "Pass", "Output": {"i": "{% $states.input.i %}"}, "End": true}
        }
    }))
    .expect("valid");
    let before = rss_mib();
    let start = Instant::now();
    let mut execs: Vec<Pin<Box<dyn Future<Output = ExecutionResult> + Send>>> =
        (0..n).map(|i| Box::pin(ex.start(&sm, json!({"i": i}))) as Pin<Box<dyn Future<Output = _> + Send>>).collect();
    let mut done: Vec<Option<ExecutionResult>> = (0..n).map(|_| None).collect();
    poll_all(&mut execs, &mut done);
    let parked = rss_mib();
    assert!(done.iter().all(Option::is_none), "all parked in the Wait state");
    clock.advance(std::time::Duration::from_secs(86400));
    poll_all(&mut execs, &mut done);
    let ok =
        done.iter().enumerate().filter(|(i, r)| r.as_ref().is_some_and(|r| r.output == Some(json!({"i": i})))).count();
    println!("process resident set: {:.1} MiB", rss_mib());
    println!(
        "{n} executions parked in a Wait state: {:.1} MiB resident ({:.1} KiB each); {ok} of {n} completed after advancing the clock ({:.0} ms in all)",
        parked - before,
        (parked - before) * 1024.0 / n as f64,
        start.elapsed().as_secs_f64() * 1000.0
    );
    assert_eq!(ok, n);
}

fn parked_on_tokens(n: usize) {
    let ex = Executor::new()
        .hold_time_for_callbacks(true)
        .handler(|_req: TaskRequest| async { Ok::<_, stepcraft_local::TaskFailure>(json!(null)) });
    let sm = StateMachine::from_json(&json!({
        "StartAt": "Ask",
        "States": {"Ask": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "ask", "Payload": {"token.$": "$$.Task.Token"}},
            "HeartbeatSeconds": 3600, "TimeoutSeconds": 86400,
            "End": true}}
    }))
    .expect("valid");
    let before = rss_mib();
    let start = Instant::now();
    let mut execs: Vec<Pin<Box<dyn Future<Output = ExecutionResult> + Send>>> =
        (0..n).map(|i| Box::pin(ex.start(&sm, json!({"i": i}))) as Pin<Box<dyn Future<Output = _> + Send>>).collect();
    let mut done: Vec<Option<ExecutionResult>> = (0..n).map(|_| None).collect();
    poll_all(&mut execs, &mut done);
    let parked = rss_mib();
    let pending = ex.callbacks().pending();
    assert_eq!(pending.len(), n, "every execution waits for its token");
    for (k, p) in pending.iter().enumerate() {
        ex.send_task_success(&p.token, json!({"k": k})).expect("a live token");
    }
    poll_all(&mut execs, &mut done);
    let ok = done.iter().filter(|r| r.as_ref().is_some_and(ExecutionResult::succeeded)).count();
    println!("process resident set: {:.1} MiB", rss_mib());
    println!(
        "{n} executions parked on task tokens:  {:.1} MiB resident ({:.1} KiB each); {ok} of {n} completed after SendTaskSuccess ({:.0} ms in all)",
        parked - before,
        (parked - before) * 1024.0 / n as f64,
        start.elapsed().as_secs_f64() * 1000.0
    );
    assert_eq!(ok, n);
}

fn main() {
    // Each memory figure is taken in a fresh process, so that memory the allocator
    // kept from other phases does not hide it.
    match std::env::args().nth(1).as_deref() {
        Some("--parked-wait") => return parked_in_wait(10_000),
        Some("--parked-tokens") => return parked_on_tokens(10_000),
        _ => {}
    }
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let handler = |req: TaskRequest| work(req);
    let full = Executor::new().handler(handler);
    let lean = Executor::new().handler(handler).record_payloads(false).lambda_sdk_metadata(false);
    println!("5-state machine (Pass, Task, Choice, Pass, Succeed), in-process task, one thread, {n} executions:");
    throughput("JSONata, full history (payloads, Lambda SDK metadata)", JSONATA, &full, n);
    throughput("JSONata, history without payloads", JSONATA, &lean, n);
    throughput("JSONPath, full history (payloads, Lambda SDK metadata)", JSONPATH, &full, n);
    throughput("JSONPath, history without payloads", JSONPATH, &lean, n);
    println!();
    let me = std::env::current_exe().expect("the bench's own path");
    for mode in ["--parked-wait", "--parked-tokens"] {
        let status = std::process::Command::new(&me).arg(mode).status().expect("the bench runs");
        assert!(status.success(), "{mode} failed");
    }
}
