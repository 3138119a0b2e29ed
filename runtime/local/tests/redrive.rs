//! `RedriveExecution` and `StopExecution` against AWS's documented behaviour. Each test
//! quotes the section of the documentation it checks: the developer guide's
//! "Restarting state machine executions with redrive in Step Functions"
//! (redrive-executions.html) and the API reference's `StopExecution`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use stepcraft_local::{
    Clock, ExecutionResult, Executor, Mock, StateMachine, Status, TaskFailure, TaskRequest, TaskResponse,
};

fn sm(def: Value) -> StateMachine {
    StateMachine::from_json(&def).unwrap_or_else(|e| panic!("invalid definition: {e}"))
}

fn lambda(name: &str) -> String {
    format!("arn:aws:lambda:us-east-1:111111111111:function:{name}")
}

/// The states entered since the last `ExecutionRedriven` event.
fn entered_on_redrive(r: &ExecutionResult) -> Vec<&str> {
    let from = r.history.iter().rposition(|e| e.event_type == "ExecutionRedriven").expect("a redriven execution");
    r.history[from..].iter().filter(|e| e.event_type.ends_with("StateEntered")).filter_map(|e| e.name()).collect()
}

fn sorted(mut v: Vec<&str>) -> Vec<&str> {
    v.sort_unstable();
    v
}

/// Calls per function name, shared with a handler.
#[derive(Clone, Default)]
struct Calls(Arc<Mutex<HashMap<String, u32>>>);

impl Calls {
    /// Counts the call; the number of calls of this function before it.
    fn count(&self, req: &TaskRequest) -> u32 {
        let mut m = self.0.lock().unwrap();
        let n = m.entry(req.function_name.clone().unwrap_or_default()).or_insert(0);
        *n += 1;
        *n - 1
    }

    fn of(&self, f: &str) -> u32 {
        self.0.lock().unwrap().get(f).copied().unwrap_or(0)
    }
}

// "When you redrive an execution, Step Functions continues the failed execution from the
// unsuccessful step and uses the same input. Step Functions preserves the results and
// execution history of the successful steps, which are not rerun when you redrive an
// execution. For example, say that your workflow contains two states: a Pass workflow state
// state followed by a Task workflow state state. If your workflow execution fails at the
// Task state, and you redrive the execution, the execution reschedules and then reruns the
// Task state." (Restarting state machine executions with redrive)
#[tokio::test]
async fn redrive_reruns_the_failed_task_with_its_input_not_the_states_before_it() {
    let m = sm(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Prepare",
        "States": {
            "Prepare": {"Type": "Pass", "Assign": {"order": "{% $states.input.order %}"},
                        "Output": {"amount": 5}, "Next": "Charge"},
            "Charge": {"Type": "Task", "Resource": lambda("charge"), "Next": "Done"},
            "Done": {"Type": "Pass", "Output": {
                "charged": "{% $states.input %}",
                "order": "{% $order %}",
                "redrives": "{% $states.context.Execution.RedriveCount %}",
                "redriven": "{% $exists($states.context.Execution.RedriveTime) %}"}, "End": true}
        }
    }));
    let calls = Calls::default();
    let c = calls.clone();
    let ex = Executor::new().handler(move |req: TaskRequest| {
        let n = c.count(&req);
        async move {
            if n == 0 {
                Err(TaskFailure::new("GatewayDown", "503"))
            } else {
                Ok(json!({"paid": req.payload["amount"]}))
            }
        }
    });
    let first = ex.run(&m, json!({"order": "o-1"})).await;
    assert_eq!((first.status, first.error.as_deref()), (Status::Failed, Some("GatewayDown")));
    assert_eq!(first.redrive_count, 0);

    let r = ex.redrive(&first).expect("a failed execution is redrivable").await;
    assert_eq!(r.status, Status::Succeeded, "{:?}", r.cause);
    assert_eq!(r.output, Some(json!({"charged": {"paid": 5}, "order": "o-1", "redrives": 1, "redriven": true})));
    assert_eq!(entered_on_redrive(&r), ["Charge", "Done"], "Prepare is not rerun");
    assert_eq!(r.states_entered(), ["Prepare", "Charge", "Charge", "Done"], "the history continues");
    assert_eq!(calls.of("charge"), 2);
    // The same execution: same name, same start, the previous events kept, ids continued.
    assert_eq!((r.execution_name.as_str(), r.start_ms), (first.execution_name.as_str(), first.start_ms));
    assert_eq!(r.history[..first.history.len()], first.history[..]);
    let redriven = &r.history[first.history.len()];
    assert_eq!(redriven.event_type, "ExecutionRedriven");
    assert_eq!(redriven.previous_event_id, first.history.last().unwrap().id);
    assert_eq!(redriven.to_json()["executionRedrivenEventDetails"], json!({"redriveCount": 1}));
    assert!(r.history.windows(2).all(|w| w[1].id == w[0].id + 1), "event ids continue");
    // "…uses the same input": Charge is entered with the input it failed with.
    let charge_inputs: Vec<Value> = r
        .history
        .iter()
        .filter(|e| e.name() == Some("Charge") && e.event_type == "TaskStateEntered")
        .map(|e| e.input().unwrap())
        .collect();
    assert_eq!(charge_inputs, [json!({"amount": 5}), json!({"amount": 5})]);
    assert_eq!(r.redrive_count, 1);
}

// "If your redriven execution reruns a Task workflow state, Parallel workflow state, or
// Inline Map state, for which you have defined retries, the retry attempt count for these
// states is reset to 0 to allow for the maximum number of attempts on redrive." (Retry
// behavior of redriven executions)
#[tokio::test]
async fn a_redriven_task_gets_its_retries_again() {
    let m = sm(json!({"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": lambda("flaky"),
        "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 1, "MaxAttempts": 2}],
        "ResultSelector": {"attempt.$": "$$.State.RetryCount", "value.$": "$"}, "End": true}}}));
    let calls = Calls::default();
    let c = calls.clone();
    let ex = Executor::new().handler(move |req: TaskRequest| {
        let n = c.count(&req);
        async move { if n < 5 { Err(TaskFailure::new("Busy", format!("call {n}"))) } else { Ok(json!(n)) } }
    });
    let first = ex.run(&m, json!({})).await;
    assert_eq!((first.error.as_deref(), calls.of("flaky")), (Some("Busy"), 3), "1 call + 2 retries");
    let r = ex.redrive(&first).unwrap().await;
    assert_eq!(r.status, Status::Succeeded, "{:?}", r.cause);
    assert_eq!(calls.of("flaky"), 6, "the retry count started again at 0");
    assert_eq!(r.output, Some(json!({"attempt": 2, "value": 5})));
}

// Redrive behavior of individual states, Parallel workflow state: "Reschedules and redrives
// only those branches that failed or aborted." (Restarting state machine executions with
// redrive)
#[tokio::test]
async fn a_redriven_parallel_reruns_only_its_failed_and_aborted_branches() {
    let m = sm(json!({
        "StartAt": "Fork",
        "States": {
            "Fork": {"Type": "Parallel", "Next": "Join", "Branches": [
                {"StartAt": "Quick", "States": {"Quick": {"Type": "Task", "Resource": lambda("quick"), "End": true}}},
                {"StartAt": "Before", "States": {
                    "Before": {"Type": "Task", "Resource": lambda("before"), "Next": "Flaky"},
                    "Flaky": {"Type": "Task", "Resource": lambda("flaky"), "End": true}}},
                {"StartAt": "Slow", "States": {
                    "Slow": {"Type": "Wait", "Seconds": 100, "Next": "AfterWait"},
                    "AfterWait": {"Type": "Task", "Resource": lambda("after"), "End": true}}}
            ]},
            "Join": {"Type": "Pass", "End": true}
        }
    }));
    let calls = Calls::default();
    let c = calls.clone();
    let ex = Executor::new().handler(move |req: TaskRequest| {
        let n = c.count(&req);
        let f = req.function_name.clone().unwrap_or_default();
        async move {
            // The first call fails after a second, while the third branch waits.
            if f == "flaky" && n == 0 {
                TaskResponse::fail(TaskFailure::new("Boom", "first time")).after(Duration::from_secs(1))
            } else {
                TaskResponse::ok(json!(format!("{f}#{n}")))
            }
        }
    });
    let first = ex.run(&m, json!({})).await;
    assert_eq!(first.error.as_deref(), Some("Boom"));
    assert!(first.history.iter().any(|e| e.event_type == "WaitStateAborted"), "the waiting branch was aborted");

    let r = ex.redrive(&first).unwrap().await;
    assert_eq!(r.status, Status::Succeeded, "{:?}", r.cause);
    assert_eq!(r.output, Some(json!(["quick#0", "flaky#1", "after#0"])), "the kept branch's output is its first one");
    assert_eq!(sorted(entered_on_redrive(&r)), ["AfterWait", "Flaky", "Fork", "Join", "Slow"]);
    assert_eq!((calls.of("quick"), calls.of("before"), calls.of("flaky")), (1, 1, 2));
    // The aborted Wait waits its 100 seconds again.
    let redriven_at = r.history.iter().find(|e| e.event_type == "ExecutionRedriven").unwrap().timestamp_ms;
    assert_eq!(r.stop_ms - redriven_at, 100_000);
}

// Redrive behavior of individual states, Inline Map state: "Reschedules and redrives only
// those iterations that failed or aborted." Iterations that never started start on redrive.
#[tokio::test]
async fn a_redriven_map_reruns_only_its_failed_iterations_and_starts_the_rest() {
    let m = sm(json!({
        "StartAt": "Each",
        "States": {"Each": {"Type": "Map", "MaxConcurrency": 1, "End": true,
            "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": lambda("work"), "End": true}}}}}
    }));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let ex = Executor::new().handler(move |req: TaskRequest| {
        let item = req.payload.clone();
        let again = s.lock().unwrap().contains(&item);
        s.lock().unwrap().push(item.clone());
        async move {
            if item == json!(3) && !again { Err(TaskFailure::new("Bad", "item 3")) } else { Ok(json!({"done": item})) }
        }
    });
    let first = ex.run(&m, json!([1, 2, 3, 4])).await;
    assert_eq!(first.error.as_deref(), Some("Bad"));
    assert_eq!(*seen.lock().unwrap(), [json!(1), json!(2), json!(3)], "item 4 never started");

    let r = ex.redrive(&first).unwrap().await;
    assert_eq!(r.status, Status::Succeeded, "{:?}", r.cause);
    assert_eq!(r.output, Some(json!([{"done": 1}, {"done": 2}, {"done": 3}, {"done": 4}])));
    assert_eq!(*seen.lock().unwrap(), [json!(1), json!(2), json!(3), json!(3), json!(4)]);
    assert_eq!(entered_on_redrive(&r), ["Each", "Work", "Work"]);
}

// Parallel workflow state: "If the state failed because of a States.DataLimitExceeded error,
// the Parallel state is rerun, including the branches that were successful in the original
// execution attempt."
#[tokio::test]
async fn a_parallel_that_exceeded_the_data_limit_reruns_whole() {
    let m = sm(json!({"StartAt": "Fork", "States": {"Fork": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": lambda("a"), "End": true}}},
        {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": lambda("b"), "End": true}}}]}}}));
    let calls = Calls::default();
    let c = calls.clone();
    let ex = Executor::new().handler(move |req: TaskRequest| {
        let n = c.count(&req);
        // 140 KB each: two of them exceed the 256 KiB a state may output.
        async move { if n == 0 { json!("x".repeat(140_000)) } else { json!("small") } }
    });
    let first = ex.run(&m, json!({})).await;
    assert_eq!(first.error.as_deref(), Some("States.DataLimitExceeded"));
    let r = ex.redrive(&first).unwrap().await;
    assert_eq!(r.output, Some(json!(["small", "small"])));
    assert_eq!((calls.of("a"), calls.of("b")), (2, 2), "the successful branches ran again");
}

// Fail workflow state: "Reenters the Fail state and fails again." Choice workflow state:
// "Reevaluates the Choice state rules."
#[tokio::test]
async fn a_fail_state_fails_again_on_every_redrive() {
    let m = sm(json!({"StartAt": "Start", "States": {
        "Start": {"Type": "Pass", "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.ok", "BooleanEquals": true, "Next": "Fine"}], "Default": "Give up"},
        "Give up": {"Type": "Fail", "Error": "Rejected", "Cause": "not ok"},
        "Fine": {"Type": "Succeed"}}}));
    let ex = Executor::new();
    let first = ex.run(&m, json!({"ok": false})).await;
    let second = ex.redrive(&first).unwrap().await;
    assert_eq!(
        (second.status, second.error.as_deref(), second.cause.as_deref()),
        (Status::Failed, Some("Rejected"), Some("not ok"))
    );
    assert_eq!(entered_on_redrive(&second), ["Give up"]);
    let third = ex.redrive(&second).unwrap().await;
    assert_eq!((third.redrive_count, third.status), (2, Status::Failed));
    let counts: Vec<Value> = third
        .history
        .iter()
        .filter(|e| e.event_type == "ExecutionRedriven")
        .map(|e| e.to_json()["executionRedrivenEventDetails"]["redriveCount"].clone())
        .collect();
    assert_eq!(counts, [json!(1), json!(2)]);

    // A Choice that failed is evaluated again.
    let m = sm(json!({"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Fine"}]},
        "Fine": {"Type": "Succeed"}}}));
    let first = ex.run(&m, json!({"n": 0})).await;
    assert_eq!(first.error.as_deref(), Some("States.NoChoiceMatched"));
    let again = ex.redrive(&first).unwrap().await;
    assert_eq!((again.error.as_deref(), entered_on_redrive(&again)), (Some("States.NoChoiceMatched"), vec!["Check"]));
}

// "Step Functions preserves the results … of the successful steps": variables that
// succeeded states assigned, at the top level and in a branch, are there after a redrive.
#[tokio::test]
async fn variables_of_the_states_that_succeeded_are_kept() {
    let m = sm(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Assign": {"total": 10}, "Next": "Fork"},
            "Fork": {"Type": "Parallel", "Next": "Show", "Branches": [{"StartAt": "Note", "States": {
                "Note": {"Type": "Pass", "Assign": {"mine": "{% $total + 1 %}"}, "Next": "Use"},
                "Use": {"Type": "Task", "Resource": lambda("use"), "Arguments": {"mine": "{% $mine %}"}, "End": true}}}]},
            "Show": {"Type": "Pass", "Output": {"total": "{% $total %}", "branch": "{% $states.input[0] %}"}, "End": true}
        }
    }));
    let calls = Calls::default();
    let c = calls.clone();
    let ex = Executor::new().handler(move |req: TaskRequest| {
        let n = c.count(&req);
        async move { if n == 0 { Err(TaskFailure::new("Later", "")) } else { Ok(req.payload) } }
    });
    let first = ex.run(&m, json!({})).await;
    let r = ex.redrive(&first).unwrap().await;
    assert_eq!(r.status, Status::Succeeded, "{:?}", r.cause);
    assert_eq!(r.output, Some(json!({"total": 10, "branch": {"mine": 11}})));
    assert_eq!(entered_on_redrive(&r), ["Fork", "Use", "Show"]);
}

// "When you redrive an execution, the state machine level timeout, if defined, is reset to
// 0." and, Task workflow state: "When you redrive an execution that reruns a Task state,
// the TimeoutSeconds for the state, if defined, is reset to 0."
#[tokio::test]
async fn a_timed_out_execution_redrives_with_its_timeout_reset() {
    let m = sm(json!({"TimeoutSeconds": 10, "StartAt": "Nap", "States": {
        "Nap": {"Type": "Wait", "Seconds": 6, "Next": "Slow"},
        "Slow": {"Type": "Task", "Resource": lambda("slow"), "TimeoutSeconds": 8, "End": true}}}));
    let calls = Calls::default();
    let c = calls.clone();
    let ex = Executor::new().handler(move |req: TaskRequest| {
        let n = c.count(&req);
        // 6 s the first time (cut off by the execution's 10 s), 7 s the second.
        async move { TaskResponse::ok(json!(n)).after(Duration::from_secs(6 + u64::from(n))) }
    });
    let first = ex.run(&m, json!({})).await;
    assert_eq!((first.status, first.duration()), (Status::TimedOut, Duration::from_secs(10)));
    let r = ex.redrive(&first).unwrap().await;
    assert_eq!(r.status, Status::Succeeded, "7 s fit in a fresh 10 s and a fresh 8 s: {:?}", r.error);
    assert_eq!(r.output, Some(json!(1)));
    assert_eq!(entered_on_redrive(&r), ["Slow"], "the finished Wait does not wait again");
    assert_eq!(r.duration(), Duration::from_secs(17));
}

fn callback_machine() -> StateMachine {
    sm(json!({"QueryLanguage": "JSONata", "StartAt": "Ask", "States": {
        "Ask": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Arguments": {"FunctionName": "ask", "Payload": {"token": "{% $states.context.Task.Token %}"}},
                "Next": "Done"},
        "Done": {"Type": "Pass", "End": true}}}))
}

// "You can use redrive to restart executions of Standard Workflows that didn't complete
// successfully in the last 14 days. These include failed, aborted, or timed out executions."
#[tokio::test]
async fn a_stopped_execution_redrives_the_state_it_stopped_in() {
    let m = callback_machine();
    let ex = Executor::new().mock_function("ask", Mock::returns(json!(null)));
    let mut exec = ex.start(&m, json!({}));
    let first_token = exec.next_callback().await.unwrap().token;
    let stopped = exec.stop(Some("Paused"), Some("operator")).unwrap();
    assert_eq!(stopped.status, Status::Aborted);

    let mut again = ex.redrive(&stopped).unwrap();
    let cb = again.next_callback().await.expect("Ask is scheduled again");
    assert_ne!(cb.token, first_token, "a new task token");
    again.send_task_success(&cb.token, json!({"answer": 42})).unwrap();
    let r = again.await;
    assert_eq!(r.status, Status::Succeeded, "{:?}", r.cause);
    assert_eq!(r.output, Some(json!({"answer": 42})));
    assert_eq!(entered_on_redrive(&r), ["Ask", "Done"]);
}

// Redrive eligibility for unsuccessful executions: "The execution status isn't SUCCEEDED."
// and, from DescribeExecution's redriveStatusReason, "Execution is SUCCEEDED and cannot be
// redriven."
#[tokio::test]
async fn a_succeeded_execution_is_not_redrivable() {
    let m = sm(json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}));
    let ex = Executor::new();
    let r = ex.run(&m, json!({})).await;
    let e = ex.redrive(&r).unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        ("ExecutionNotRedrivable", "Execution is SUCCEEDED and cannot be redriven.")
    );
}

// "The workflow execution hasn't exceeded the redrivable period of 14 days. Redrivable period
// refers to the time during which you can redrive a given execution. This period starts from
// the day a state machine completes its execution."
#[tokio::test]
async fn redrive_is_refused_14_days_after_the_execution_stopped() {
    let m = sm(json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}}));
    let clock = Clock::manual(1_704_067_200_000);
    let ex = Executor::new().clock(clock.clone());
    let first = ex.run(&m, json!({})).await;
    clock.advance(Duration::from_secs(14 * 86_400));
    let redriven = ex.redrive(&first).expect("still within 14 days").await;
    clock.advance(Duration::from_secs(14 * 86_400) + Duration::from_millis(1));
    let e = ex.redrive(&redriven).unwrap_err();
    assert_eq!((e.code, e.message.as_str()), ("ExecutionNotRedrivable", "Execution redrivable period exceeded."));
}

// "The workflow execution hasn't exceeded the maximum open time of one year."
#[tokio::test]
async fn redrive_is_refused_once_the_execution_has_been_open_a_year() {
    let m = sm(json!({"StartAt": "Long", "States": {
        "Long": {"Type": "Wait", "Seconds": 360 * 86_400, "Next": "F"},
        "F": {"Type": "Fail", "Error": "E"}}}));
    let first = Executor::new().run(&m, json!({})).await;
    assert_eq!(first.error.as_deref(), Some("E"));
    let later = Executor::new().clock(Clock::manual(first.stop_ms + 6 * 86_400_000));
    let e = later.redrive(&first).unwrap_err();
    assert_eq!(e.message, "Execution has exceeded the max execution time.");
    let sooner = Executor::new().clock(Clock::manual(first.stop_ms + 86_400_000));
    assert!(sooner.redrive(&first).is_ok(), "361 days open");
}

// "The execution event history count is less than 24,999. Redriven executions append their
// event history to the existing event history."
#[tokio::test]
async fn redrive_is_refused_with_a_full_history() {
    let m = sm(json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": true, "Next": "End"}], "Default": "A"},
        "End": {"Type": "Succeed"}}}));
    let ex = Executor::new().record_payloads(false);
    let r = ex.run(&m, json!({})).await;
    assert_eq!((r.error.as_deref(), r.history.len()), (Some("States.Runtime"), 25_000));
    let e = ex.redrive(&r).unwrap_err();
    assert_eq!(e.message, "Execution history event limit exceeded.");
}

// StopExecution (API reference): "Stops an execution." Request parameters: `error`, "The
// error code of the failure", Length Constraints: Maximum length of 256; `cause`, "A more
// detailed explanation of the cause of the failure", Maximum length of 32768.
#[tokio::test]
async fn stop_ends_the_execution_aborted_with_its_error_and_cause() {
    let m = callback_machine();
    let ex = Executor::new().mock_function("ask", Mock::returns(json!(null)));
    let mut exec = ex.start(&m, json!({}));
    let cb = exec.next_callback().await.unwrap();
    let r = exec.stop(Some("Cancelled"), Some("by the operator")).unwrap();
    assert_eq!(
        (r.status, r.error.as_deref(), r.cause.as_deref()),
        (Status::Aborted, Some("Cancelled"), Some("by the operator"))
    );
    let last = r.history.last().unwrap();
    assert_eq!(last.event_type, "ExecutionAborted");
    assert_eq!(last.previous_event_id, r.history[r.history.len() - 2].id);
    assert_eq!(
        last.to_json()["executionAbortedEventDetails"],
        json!({"error": "Cancelled", "cause": "by the operator"})
    );
    assert_eq!(r.trace.iter().find(|t| &*t.state == "Ask").unwrap().status, stepcraft_local::TraceStatus::Aborted);
    assert!(ex.send_task_success(&cb.token, json!(1)).is_err(), "the token died with the execution");

    // Without error and cause.
    let mut exec = ex.start(&m, json!({}));
    exec.next_callback().await.unwrap();
    let r = exec.stop(None, None).unwrap();
    assert_eq!((r.status, r.error, r.cause), (Status::Aborted, None, None));
    assert_eq!(r.history.last().unwrap().to_json()["executionAbortedEventDetails"], json!({}));
}

#[tokio::test]
async fn stop_refuses_an_error_over_256_or_a_cause_over_32768_characters() {
    let m = callback_machine();
    let ex = Executor::new().mock_function("ask", Mock::returns(json!(null)));
    let exec = ex.start(&m, json!({}));
    let stopper = exec.stopper();
    let e = stopper.stop(Some(&"e".repeat(257)), None).unwrap_err();
    assert_eq!(e.code, "ValidationException");
    assert!(e.message.contains("'error'") && e.message.contains("256"), "{e}");
    let e = stopper.stop(None, Some(&"c".repeat(32_769))).unwrap_err();
    assert!(e.message.contains("'cause'"), "{e}");
    let r = exec.stop(Some(&"é".repeat(256)), Some(&"c".repeat(32_768))).unwrap();
    assert_eq!(r.status, Status::Aborted, "lengths count characters");
}

#[tokio::test]
async fn a_stopper_stops_an_execution_spawned_elsewhere() {
    let m = callback_machine();
    let ex = Executor::new().mock_function("ask", Mock::returns(json!(null))).hold_time_for_callbacks(true);
    let exec = ex.start(&m, json!({}));
    let stopper = exec.stopper();
    let handle = tokio::spawn(exec);
    while ex.callbacks().pending().is_empty() {
        tokio::task::yield_now().await;
    }
    stopper.stop(Some("Shutdown"), None).unwrap();
    let r = handle.await.unwrap();
    assert_eq!((r.status, r.error.as_deref()), (Status::Aborted, Some("Shutdown")));
    assert!(ex.callbacks().pending().is_empty());
}

#[tokio::test]
async fn stopping_an_ended_execution_changes_nothing() {
    let m = sm(json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}));
    let mut exec = Executor::new().start(&m, json!({"a": 1}));
    assert!(exec.run_until_idle().await);
    let r = exec.stop(Some("Late"), None).unwrap();
    assert_eq!((r.status, r.output), (Status::Succeeded, Some(json!({"a": 1}))));
}

// The rule holds at every depth: in a Map iteration, a Parallel that failed keeps its
// succeeded branch; the iterations that succeeded are kept whole.
#[tokio::test]
async fn redrive_keeps_what_succeeded_inside_nested_branches_and_iterations() {
    let m = sm(json!({"StartAt": "Each", "States": {"Each": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "Fork", "States": {"Fork": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "Left", "States": {"Left": {"Type": "Task", "Resource": lambda("left"), "End": true}}},
            {"StartAt": "Right", "States": {"Right": {"Type": "Task", "Resource": lambda("right"), "End": true}}}]}}}}}}));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let ex = Executor::new().handler(move |req: TaskRequest| {
        let f = req.function_name.clone().unwrap_or_default();
        let call = format!("{f}({})", req.payload);
        let again = s.lock().unwrap().contains(&call);
        s.lock().unwrap().push(call);
        async move {
            if f == "right" && req.payload == json!(2) && !again {
                Err(TaskFailure::new("Oops", "right of 2"))
            } else {
                Ok(json!(format!("{f}{}", req.payload)))
            }
        }
    });
    let first = ex.run(&m, json!([1, 2])).await;
    assert_eq!(first.error.as_deref(), Some("Oops"));
    let before = seen.lock().unwrap().len();
    let r = ex.redrive(&first).unwrap().await;
    assert_eq!(r.status, Status::Succeeded, "{:?}", r.cause);
    assert_eq!(r.output, Some(json!([["left1", "right1"], ["left2", "right2"]])));
    assert_eq!(seen.lock().unwrap()[before..], ["right(2)".to_string()], "only the failed branch ran again");
    assert_eq!(entered_on_redrive(&r), ["Each", "Fork", "Right"]);
}

// Distributed Map state: "redrives the unsuccessful child workflow executions in a Map Run."
#[tokio::test]
async fn a_redriven_distributed_map_reruns_only_its_unsuccessful_children() {
    let m = sm(json!({"StartAt": "Each", "States": {"Each": {"Type": "Map", "End": true,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": lambda("work"), "End": true}}}}}}));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let ex = Executor::new().handler(move |req: TaskRequest| {
        let item = req.payload.clone();
        let again = s2.lock().unwrap().contains(&item);
        s2.lock().unwrap().push(item.clone());
        async move { if item == json!("b") && !again { Err(TaskFailure::new("Flaky", "")) } else { Ok(item) } }
    });
    let first = ex.run(&m, json!(["a", "b", "c"])).await;
    assert_eq!(first.error.as_deref(), Some("Flaky"));
    let before = seen.lock().unwrap().clone();
    let r = ex.redrive(&first).unwrap().await;
    assert_eq!(r.output, Some(json!(["a", "b", "c"])), "{:?} {:?}", r.error, r.cause);
    let after = seen.lock().unwrap().clone();
    let rerun: Vec<&Value> = after[before.len()..].iter().collect();
    assert!(rerun.contains(&&json!("b")) && !rerun.contains(&&json!("a")), "a succeeded and is kept: {rerun:?}");
    assert_eq!(after.iter().filter(|x| **x == json!("c")).count(), 1, "c runs once, in whichever attempt");
}

// Wait workflow state: "If the state specifies Timestamp or TimestampPath that refers to a
// timestamp in the past, redrive causes the Wait state to be exited and enters the state
// specified in the Next field."
#[tokio::test]
async fn a_wait_for_a_timestamp_already_past_is_exited_on_redrive() {
    // Starts 2024-01-01T00:00:00Z; waits until 00:10; stopped at 00:05; redriven at 00:20.
    let m = sm(json!({"StartAt": "Until", "States": {
        "Until": {"Type": "Wait", "Timestamp": "2024-01-01T00:10:00Z", "Next": "After"},
        "After": {"Type": "Pass", "End": true}}}));
    let clock = Clock::manual(1_704_067_200_000);
    let ex = Executor::new().clock(clock.clone());
    let mut exec = ex.start(&m, json!({}));
    exec.run_until_idle().await;
    clock.advance(Duration::from_secs(300));
    let stopped = exec.stop(Some("Paused"), None).unwrap();
    clock.advance(Duration::from_secs(900));
    let mut again = ex.redrive(&stopped).unwrap();
    assert!(again.run_until_idle().await, "the timestamp is past: no waiting");
    let r = again.await;
    assert_eq!(r.status, Status::Succeeded);
    assert_eq!(entered_on_redrive(&r), ["Until", "After"]);
    assert_eq!(r.stop_ms - r.start_ms, 1_200_000);
}
