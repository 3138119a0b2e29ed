//! One test per rule of the executor: Retry arithmetic, Catch matching, variable
//! scoping, timeouts, callbacks, Parallel and Map, child executions, limits and
//! virtual time. Each runs a small definition from a plain `#[tokio::test]`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use stepcraft_local::{
    Clock, ExecutionResult, Executor, Mock, StateMachine, Status, TaskFailure, TaskRequest, TaskResponse,
};

fn sm(def: Value) -> StateMachine {
    StateMachine::from_json(&def).unwrap_or_else(|e| panic!("invalid definition: {e}"))
}

/// A Task state calling the plain Lambda function `name`.
fn lambda(name: &str) -> String {
    format!("arn:aws:lambda:us-east-1:111111111111:function:{name}")
}

/// Virtual milliseconds between each failure and the next call, from the history.
fn retry_gaps(r: &ExecutionResult) -> Vec<i64> {
    let mut gaps = Vec::new();
    let mut failed_at = None;
    for e in &r.history {
        match e.event_type {
            "LambdaFunctionFailed" | "TaskFailed" => failed_at = Some(e.timestamp_ms),
            "LambdaFunctionScheduled" | "TaskScheduled" => {
                if let Some(t) = failed_at.take() {
                    gaps.push(e.timestamp_ms - t);
                }
            }
            _ => {}
        }
    }
    gaps
}

fn retrying(retry: Value) -> StateMachine {
    sm(json!({
        "StartAt": "Call",
        "States": {"Call": {"Type": "Task", "Resource": lambda("f"), "Retry": retry, "End": true}}
    }))
}

#[tokio::test]
async fn retry_backs_off_2_4_8() {
    let m = retrying(json!([{"ErrorEquals": ["Busy"], "IntervalSeconds": 2, "BackoffRate": 2, "MaxAttempts": 3}]));
    let ex = Executor::new().mock_function(
        "f",
        Mock::fails("Busy", "1").then_fails("Busy", "2").then_fails("Busy", "3").then_returns(json!("done")),
    );
    let r = ex.run(&m, json!({})).await;
    assert_eq!(r.status, Status::Succeeded);
    assert_eq!(retry_gaps(&r), [2000, 4000, 8000]);
    assert_eq!(r.trace[0].retries, 3);
    assert_eq!(r.duration(), Duration::from_secs(14));
}

#[tokio::test]
async fn retry_exhausts_max_attempts_then_fails_with_the_error() {
    let m = retrying(json!([{"ErrorEquals": ["Busy"], "IntervalSeconds": 2, "MaxAttempts": 2}]));
    let r = Executor::new().mock_function("f", Mock::fails("Busy", "still busy")).run(&m, json!({})).await;
    assert_eq!(r.status, Status::Failed);
    assert_eq!(r.error.as_deref(), Some("Busy"));
    assert_eq!(r.cause.as_deref(), Some("still busy"));
    assert_eq!(retry_gaps(&r), [2000, 4000]);
}

#[tokio::test]
async fn retry_delay_is_capped_by_max_delay_seconds() {
    let m = retrying(
        json!([{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3, "BackoffRate": 2, "MaxAttempts": 4, "MaxDelaySeconds": 10}]),
    );
    let r = Executor::new().mock_function("f", Mock::fails("E", "c")).run(&m, json!({})).await;
    assert_eq!(retry_gaps(&r), [3000, 6000, 10_000, 10_000]);
}

#[tokio::test]
async fn full_jitter_stays_within_the_computed_delay_and_follows_the_seed() {
    let m = retrying(
        json!([{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 4, "BackoffRate": 2, "MaxAttempts": 5, "JitterStrategy": "FULL"}]),
    );
    let run = |seed| Executor::new().seed(seed).mock_function("f", Mock::fails("E", "c")).run_blocking(&m, json!({}));
    let a = retry_gaps(&run(1));
    assert_eq!(a.len(), 5);
    for (gap, max) in a.iter().zip([4000, 8000, 16_000, 32_000, 64_000]) {
        assert!((0..=max).contains(gap), "{gap} not within [0, {max}]");
    }
    assert_eq!(a, retry_gaps(&run(1)), "the same seed gives the same delays");
    assert_ne!(a, retry_gaps(&run(2)), "another seed gives other delays");
}

#[tokio::test]
async fn each_retrier_counts_its_own_attempts() {
    let m = retrying(json!([
        {"ErrorEquals": ["A"], "IntervalSeconds": 1, "MaxAttempts": 1, "BackoffRate": 1},
        {"ErrorEquals": ["B"], "IntervalSeconds": 10, "MaxAttempts": 2, "BackoffRate": 1}
    ]));
    // A (retry A#1), B (retry B#1), B (retry B#2), A: A's retrier is exhausted.
    let mock = Mock::fails("A", "").then_fails("B", "").then_fails("B", "").then_fails("A", "").then_returns(json!(1));
    let r = Executor::new().mock_function("f", mock).run(&m, json!({})).await;
    assert_eq!(r.status, Status::Failed);
    assert_eq!(r.error.as_deref(), Some("A"));
    assert_eq!(retry_gaps(&r), [1000, 10_000, 10_000]);
}

#[tokio::test]
async fn max_attempts_zero_never_retries() {
    let m = retrying(json!([{"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}]));
    let r = Executor::new().mock_function("f", Mock::fails("E", "c").then_returns(json!(1))).run(&m, json!({})).await;
    assert_eq!(r.error.as_deref(), Some("E"));
    assert!(retry_gaps(&r).is_empty());
}

fn catching(catch: Value) -> StateMachine {
    let mut catch = catch;
    // Every handler state must be reachable.
    for target in ["First", "Second", "All"] {
        if !catch.as_array().unwrap().iter().any(|c| c["Next"] == target) {
            catch
                .as_array_mut()
                .unwrap()
                .insert(0, json!({"ErrorEquals": [format!("Unused{target}")], "Next": target}));
        }
    }
    sm(json!({
        "StartAt": "Call",
        "States": {
            "Call": {"Type": "Task", "Resource": lambda("f"), "Catch": catch, "End": true},
            "First": {"Type": "Pass", "Result": "first", "End": true},
            "Second": {"Type": "Pass", "Result": "second", "End": true},
            "All": {"Type": "Pass", "End": true}
        }
    }))
}

#[tokio::test]
async fn the_first_matching_catcher_wins() {
    let m = catching(json!([
        {"ErrorEquals": ["Other"], "Next": "First"},
        {"ErrorEquals": ["Oops", "Other"], "Next": "Second"},
        {"ErrorEquals": ["States.ALL"], "Next": "All"}
    ]));
    let r = Executor::new().mock_function("f", Mock::fails("Oops", "bad")).run(&m, json!({})).await;
    assert_eq!(r.output, Some(json!("second")));
    assert_eq!(r.states_entered(), ["Call", "Second"]);
}

#[tokio::test]
async fn catch_all_receives_the_error_output() {
    let m = catching(json!([{"ErrorEquals": ["States.ALL"], "Next": "All"}]));
    let ex = Executor::new().mock_function("f", Mock::fails("Oops", "bad"));
    let r = ex.run(&m, json!({})).await;
    assert_eq!(r.output, Some(json!({"Error": "Oops", "Cause": "bad"})));
}

#[tokio::test]
async fn task_failed_matches_task_errors_but_not_timeouts() {
    let m = sm(json!({
        "StartAt": "Call",
        "States": {
            "Call": {"Type": "Task", "Resource": lambda("f"), "TimeoutSeconds": 5, "End": true,
                     "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}]},
            "Caught": {"Type": "Succeed"}
        }
    }));
    let r = Executor::new().mock_function("f", Mock::fails("Custom", "")).run(&m, json!({})).await;
    assert_eq!(r.status, Status::Succeeded);
    let slow = Mock::returns(json!(1)).taking(Duration::from_secs(60));
    let r = Executor::new().mock_function("f", slow).run(&m, json!({})).await;
    assert_eq!((r.status, r.error.as_deref()), (Status::Failed, Some("States.Timeout")));
}

#[tokio::test]
async fn states_runtime_is_never_caught() {
    let m = sm(json!({
        "StartAt": "Call",
        "States": {
            "Call": {"Type": "Task", "Resource": lambda("f"), "OutputPath": "$.missing", "End": true,
                     "Catch": [{"ErrorEquals": ["States.Runtime"], "Next": "Caught"}, {"ErrorEquals": ["States.ALL"], "Next": "Caught"}]},
            "Caught": {"Type": "Succeed"}
        }
    }));
    let r = Executor::new().mock_function("f", Mock::returns(json!({}))).run(&m, json!({})).await;
    assert_eq!(r.error.as_deref(), Some("States.Runtime"));
    assert_eq!(
        r.cause.as_deref(),
        Some(
            "An error occurred while executing the state 'Call' (entered at the event id #2). Invalid path '$.missing' : No results for path: $['missing']"
        )
    );
}

#[tokio::test]
async fn task_timeout_is_virtual() {
    let m = sm(
        json!({"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": lambda("f"), "TimeoutSeconds": 5, "End": true}}}),
    );
    let ex = Executor::new().mock_function("f", Mock::echo().taking(Duration::from_secs(3600)));
    let started = std::time::Instant::now();
    let r = ex.run(&m, json!({})).await;
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!((r.status, r.error.as_deref(), r.cause.as_deref()), (Status::Failed, Some("States.Timeout"), None));
    assert_eq!(r.duration(), Duration::from_secs(5));
    assert!(r.history.iter().any(|e| e.event_type == "LambdaFunctionTimedOut"));
}

#[tokio::test]
async fn a_day_long_wait_takes_no_time() {
    let m = sm(json!({"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 86400, "End": true}}}));
    let started = std::time::Instant::now();
    let r = Executor::new().run(&m, json!({"x": 1})).await;
    assert!(started.elapsed() < Duration::from_millis(100));
    assert_eq!(r.output, Some(json!({"x": 1})));
    assert_eq!(r.duration(), Duration::from_secs(86400));
    let exited = r.history.iter().find(|e| e.event_type == "WaitStateExited").unwrap();
    assert_eq!(exited.timestamp_ms - r.start_ms, 86_400_000);
}

#[tokio::test]
async fn assign_reads_values_at_state_entry() {
    let m = sm(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Assign": {"x": 1, "y": 2}, "Next": "Swap"},
            "Swap": {"Type": "Pass", "Assign": {"x": "{% $y %}", "y": "{% $x %}"}, "Output": {"x": "{% $x %}"}, "Next": "Show"},
            "Show": {"Type": "Pass", "Output": {"x": "{% $x %}", "y": "{% $y %}"}, "End": true}
        }
    }));
    let r = Executor::new().run(&m, json!({})).await;
    assert_eq!(r.output, Some(json!({"x": 2, "y": 1})));
    let swap_exit = r.history.iter().find(|e| e.event_type == "PassStateExited" && e.name() == Some("Swap")).unwrap();
    assert_eq!(
        swap_exit.to_json()["stateExitedEventDetails"]["output"],
        json!("{\"x\":1}"),
        "Output sees entry values"
    );
}

#[tokio::test]
async fn branches_read_outer_variables_and_keep_their_own() {
    let m = sm(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Assign": {"outer": "o"}, "Next": "Fork"},
            "Fork": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "A", "States": {
                        "A": {"Type": "Pass", "Assign": {"mine": "a"}, "Next": "A2"},
                        "A2": {"Type": "Pass", "Output": "{% $outer & $mine %}", "End": true}}},
                    {"StartAt": "B", "States": {
                        "B": {"Type": "Pass", "Output": "{% $exists($mine) %}", "End": true}}}
                ],
                "Next": "After"
            },
            "After": {"Type": "Pass", "Output": {"results": "{% $states.input %}", "mine": "{% $exists($mine) %}"}, "End": true}
        }
    }));
    let r = Executor::new().run(&m, json!({})).await;
    assert_eq!(r.output, Some(json!({"results": ["oa", false], "mine": false})));
}

#[tokio::test]
async fn an_iteration_cannot_assign_an_outer_variable() {
    let m = sm(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Assign": {"total": 0}, "Next": "Each"},
            "Each": {"Type": "Map", "Items": [1, 2],
                     "ItemProcessor": {"StartAt": "Add", "States": {"Add": {"Type": "Pass", "Assign": {"total": 1}, "End": true}}},
                     "End": true}
        }
    }));
    let r = Executor::new().run(&m, json!({})).await;
    assert_eq!(r.error.as_deref(), Some("States.Runtime"));
    assert!(r.cause.as_deref().unwrap_or_default().contains("'total' is defined in an outer scope"), "{:?}", r.cause);
}

#[tokio::test]
async fn jsonpath_variables_and_intrinsics() {
    let m = sm(json!({
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Assign": {"name.$": "$.who", "n": 2}, "Next": "Use"},
            "Use": {"Type": "Pass", "Parameters": {"msg.$": "States.Format('hi {} x{}', $name, $n)", "sum.$": "States.MathAdd($n, 40)"}, "End": true}
        }
    }));
    let r = Executor::new().run(&m, json!({"who": "ann"})).await;
    assert_eq!(r.output, Some(json!({"msg": "hi ann x2", "sum": 42})));
}

// AWS docs, "Choice workflow state", section "Using Assign with Choice states": "These two
// placements are mutually exclusive at runtime. If a Choice Rule matches, Step Functions
// evaluates only that rule's `Assign` field and does not evaluate the top-level `Assign`
// field. Step Functions evaluates the top-level `Assign` only when no Choice Rule matches
// and the workflow transitions to the `Default` state."
fn choice_assigning(rule_assign: Option<Value>, state_assign: Value, condition: &str) -> StateMachine {
    let mut rule = json!({"Condition": condition, "Next": "Show"});
    if let Some(a) = rule_assign {
        rule["Assign"] = a;
    }
    sm(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Assign": {"v": 4, "w": 0}, "Next": "Pick"},
            "Pick": {"Type": "Choice", "Choices": [rule], "Default": "Show", "Assign": state_assign},
            "Show": {"Type": "Pass", "Output": {"v": "{% $v %}", "w": "{% $w %}"}, "End": true}
        }
    }))
}

#[tokio::test]
async fn a_matching_rule_without_assign_does_not_run_the_choice_states_assign() {
    let m = choice_assigning(None, json!({"v": 5}), "{% true %}");
    let r = Executor::new().run(&m, json!({})).await;
    assert_eq!(r.output, Some(json!({"v": 4, "w": 0})), "the top-level Assign is not evaluated");
    let exited = r.history.iter().find(|e| e.event_type == "ChoiceStateExited").unwrap();
    assert_eq!(exited.to_json()["stateExitedEventDetails"].get("assignedVariables"), None);
}

#[tokio::test]
async fn a_matching_rule_runs_only_its_own_assign() {
    // Evaluating the top-level Assign would fail the execution ($error raises).
    let m = choice_assigning(Some(json!({"w": 7})), json!({"v": "{% $error('evaluated') %}"}), "{% true %}");
    let r = Executor::new().run(&m, json!({})).await;
    assert_eq!(r.status, Status::Succeeded, "{:?}", r.cause);
    assert_eq!(r.output, Some(json!({"v": 4, "w": 7})));
}

#[tokio::test]
async fn the_choice_states_assign_runs_on_the_way_to_default() {
    let m = choice_assigning(Some(json!({"w": "{% $error('evaluated') %}"})), json!({"v": 5}), "{% false %}");
    let r = Executor::new().run(&m, json!({})).await;
    assert_eq!(r.status, Status::Succeeded, "{:?}", r.cause);
    assert_eq!(r.output, Some(json!({"v": 5, "w": 0})), "no rule matched: only the top-level Assign runs");
}

#[tokio::test]
async fn jsonpath_choice_assign_is_exclusive_too() {
    let m = sm(json!({
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Assign": {"v": 4}, "Next": "Pick"},
            "Pick": {"Type": "Choice",
                     "Choices": [{"Variable": "$.go", "BooleanEquals": true, "Next": "Show"}],
                     "Default": "Show", "Assign": {"v": 5}},
            "Show": {"Type": "Pass", "Parameters": {"v.$": "$v"}, "End": true}
        }
    }));
    let ex = Executor::new();
    assert_eq!(ex.run(&m, json!({"go": true})).await.output, Some(json!({"v": 4})), "a rule matched");
    assert_eq!(ex.run(&m, json!({"go": false})).await.output, Some(json!({"v": 5})), "Default taken");
}

#[tokio::test]
async fn no_choice_matched() {
    let m = sm(json!({
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Big"}]},
            "Big": {"Type": "Succeed"}
        }
    }));
    let r = Executor::new().run(&m, json!({"n": 0})).await;
    assert_eq!(r.error.as_deref(), Some("States.NoChoiceMatched"));
    let r = Executor::new().run(&m, json!({"n": 2})).await;
    assert_eq!(r.states_entered(), ["C", "Big"]);
}

#[tokio::test]
async fn parallel_branch_failure_is_caught_by_the_parallel_state() {
    let m = sm(json!({
        "StartAt": "Fork",
        "States": {
            "Fork": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Slow", "States": {"Slow": {"Type": "Wait", "Seconds": 100, "End": true}}},
                    {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Boom", "Cause": "branch 2"}}}
                ],
                "Catch": [{"ErrorEquals": ["Boom"], "ResultPath": "$.err", "Next": "Handled"}],
                "Next": "Done"
            },
            "Handled": {"Type": "Pass", "End": true},
            "Done": {"Type": "Succeed"}
        }
    }));
    let r = Executor::new().run(&m, json!({"in": 1})).await;
    assert_eq!(r.output, Some(json!({"in": 1, "err": {"Error": "Boom", "Cause": "branch 2"}})));
    assert_eq!(r.duration(), Duration::ZERO, "the failing branch ends the state at once");
    let types: Vec<&str> = r.history.iter().map(|e| e.event_type).collect();
    assert!(types.contains(&"ParallelStateFailed"), "{types:?}");
    assert!(types.contains(&"WaitStateAborted"), "the sibling branch is aborted: {types:?}");
    assert_eq!(r.trace.iter().find(|t| &*t.state == "Slow").unwrap().status, stepcraft_local::TraceStatus::Aborted);
}

#[tokio::test]
async fn map_runs_items_with_max_concurrency_and_keeps_item_order() {
    let m = sm(json!({
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
                "ItemSelector": {"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index"},
                "ItemProcessor": {"StartAt": "Nap", "States": {
                    "Nap": {"Type": "Wait", "SecondsPath": "$.v", "Next": "Out"},
                    "Out": {"Type": "Pass", "Parameters": {"i.$": "$.i"}, "End": true}}},
                "End": true
            }
        }
    }));
    let r = Executor::new().run(&m, json!({"items": [30, 10, 20, 5]})).await;
    assert_eq!(r.output, Some(json!([{"i": 0}, {"i": 1}, {"i": 2}, {"i": 3}])));
    // Two at a time: 10 ends at 10 (20 starts), 30 ends at 30 (5 starts), 20 at 30, 5 at 35.
    assert_eq!(r.duration(), Duration::from_secs(35));
}

#[tokio::test]
async fn map_item_failure_fails_the_map() {
    let m = sm(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map", "Items": "{% $states.input %}", "MaxConcurrency": 1,
                "ItemProcessor": {"StartAt": "Check", "States": {
                    "Check": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input > 2 %}", "Next": "TooBig"}], "Default": "Ok"},
                    "TooBig": {"Type": "Fail", "Error": "TooBig", "Cause": "{% 'item ' & $string($states.input) %}"},
                    "Ok": {"Type": "Succeed"}}},
                "End": true
            }
        }
    }));
    let r = Executor::new().run(&m, json!([1, 2, 3, 4])).await;
    assert_eq!((r.error.as_deref(), r.cause.as_deref()), (Some("TooBig"), Some("item 3")));
    let types: Vec<&str> = r.history.iter().map(|e| e.event_type).collect();
    assert!(types.contains(&"MapIterationFailed") && types.contains(&"MapStateFailed"), "{types:?}");
    assert_eq!(types.iter().filter(|t| **t == "MapIterationStarted").count(), 3, "no item starts after a failure");
}

#[tokio::test]
async fn a_handler_answers_tasks_with_the_attempt_number() {
    let calls = Arc::new(AtomicU32::new(0));
    let seen = calls.clone();
    let ex = Executor::new().handler(move |req: TaskRequest| {
        let seen = seen.clone();
        async move {
            seen.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            if req.attempt < 2 {
                Err(TaskFailure::function_error("Flaky", format!("attempt {}", req.attempt)))
            } else {
                Ok(json!({"fn": req.function_name, "payload": req.payload, "attempt": req.attempt}))
            }
        }
    });
    let m = sm(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Call",
        "States": {"Call": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Arguments": {"FunctionName": "arn:aws:lambda:us-east-1:111111111111:function:charge:prod", "Payload": {"n": "{% $states.input.n %}"}},
            "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1}],
            "Output": "{% $states.result.Payload %}",
            "End": true}}
    }));
    let r = ex.run(&m, json!({"n": 5})).await;
    assert_eq!(r.output, Some(json!({"fn": "charge", "payload": {"n": 5}, "attempt": 2})));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn lambda_invoke_results_have_the_invoke_shape() {
    let m = sm(json!({"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f", "Payload.$": "$"}, "End": true}}}));
    let r = Executor::new().mock_function("f", Mock::echo()).run(&m, json!({"a": 1})).await;
    let out = r.output.unwrap();
    assert_eq!(out["Payload"], json!({"a": 1}));
    assert_eq!(out["StatusCode"], json!(200));
    assert_eq!(out["ExecutedVersion"], json!("$LATEST"));
    assert!(out.get("SdkHttpMetadata").is_some() && out.get("SdkResponseMetadata").is_some());
    let keys: Vec<&String> = out.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["ExecutedVersion", "Payload", "SdkHttpMetadata", "SdkResponseMetadata", "StatusCode"]);
}

fn callback_machine(heartbeat: Option<u64>) -> StateMachine {
    let mut task = json!({
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": "ask", "Payload": {"token.$": "$$.Task.Token", "q.$": "$.q"}},
        "TimeoutSeconds": 3600,
        "End": true
    });
    if let Some(h) = heartbeat {
        task["HeartbeatSeconds"] = json!(h);
    }
    sm(json!({"StartAt": "Ask", "States": {"Ask": task}}))
}

#[tokio::test]
async fn callbacks_complete_through_the_api() {
    let ex = Executor::new().mock_function("ask", Mock::returns(json!(null)));
    let mut exec = ex.start(&callback_machine(None), json!({"q": "ok?"}));
    let cb = exec.next_callback().await.expect("the task waits for its token");
    assert_eq!(cb.state_name.as_ref(), "Ask");
    assert_eq!(cb.payload["token"], json!(cb.token));
    assert_eq!(cb.payload["q"], json!("ok?"));
    exec.send_task_success(&cb.token, json!({"approved": true})).unwrap();
    let r = exec.await;
    assert_eq!(r.output, Some(json!({"approved": true})));
    assert!(ex.send_task_success(&cb.token, json!(1)).is_err(), "the token is gone");

    let mut exec = ex.start(&callback_machine(None), json!({"q": "no?"}));
    let cb = exec.next_callback().await.unwrap();
    exec.send_task_failure(&cb.token, "Rejected", "nope").unwrap();
    let r = exec.await;
    assert_eq!((r.error.as_deref(), r.cause.as_deref()), (Some("Rejected"), Some("nope")));
}

#[tokio::test]
async fn an_unanswered_callback_times_out_in_virtual_time() {
    let ex = Executor::new().mock_function("ask", Mock::returns(json!(null)));
    let r = ex.run(&callback_machine(None), json!({"q": "?"})).await;
    assert_eq!((r.status, r.error.as_deref()), (Status::Failed, Some("States.Timeout")));
    assert_eq!(r.duration(), Duration::from_secs(3600));
    assert!(r.history.iter().any(|e| e.event_type == "TaskTimedOut"));
}

#[tokio::test]
async fn heartbeats_keep_a_callback_alive() {
    let ex = Executor::new().mock_function("ask", Mock::returns(json!(null)));
    let mut exec = ex.start(&callback_machine(Some(60)), json!({"q": "?"}));
    let cb = exec.next_callback().await.unwrap();
    for _ in 0..3 {
        exec.advance(Duration::from_secs(50));
        exec.send_task_heartbeat(&cb.token).unwrap();
        assert!(!exec.run_until_idle().await, "still waiting for the token");
    }
    // No more heartbeats: the heartbeat timer fires 60 s after the last one.
    let r = exec.await;
    assert_eq!(r.error.as_deref(), Some("States.HeartbeatTimeout"));
    assert_eq!(r.duration(), Duration::from_secs(150 + 60));
}

#[tokio::test]
async fn mocked_callbacks_arrive_after_virtual_time() {
    let ex = Executor::new()
        .mock_function("ask", Mock::returns(json!(null)).then_callback_success(json!("yes"), Duration::from_secs(600)));
    let r = ex.run(&callback_machine(None), json!({"q": "?"})).await;
    assert_eq!(r.output, Some(json!("yes")));
    assert_eq!(r.duration(), Duration::from_secs(600));
}

#[tokio::test]
async fn child_executions_run_registered_machines() {
    let child = sm(json!({"QueryLanguage": "JSONata", "StartAt": "Double", "States": {
        "Double": {"Type": "Wait", "Seconds": 30, "Next": "Out"},
        "Out": {"Type": "Pass", "Output": {"n": "{% $states.input.n * 2 %}"}, "End": true}}}))
    .named("doubler");
    let parent = sm(json!({"StartAt": "Run", "States": {"Run": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:111111111111:stateMachine:doubler", "Input": {"n.$": "$.n"}},
        "OutputPath": "$.Output", "End": true}}}));
    let r = Executor::new().register(child).run(&parent, json!({"n": 21})).await;
    assert_eq!(r.output, Some(json!({"n": 42})));
    assert_eq!(r.duration(), Duration::from_secs(30));
}

#[tokio::test]
async fn child_executions_sync_give_output_as_text_and_fire_and_forget_gives_the_arn() {
    let child = sm(json!({"StartAt": "Out", "States": {"Out": {"Type": "Pass", "Result": {"n": 1}, "End": true}}}))
        .named("child");
    let parent = |resource: &str| {
        sm(json!({"StartAt": "Run", "States": {"Run": {
            "Type": "Task", "Resource": resource,
            "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:111111111111:stateMachine:child", "Name": "kid"},
            "End": true}}}))
    };
    let ex = Executor::new().register(child);
    let r = ex.run(&parent("arn:aws:states:::states:startExecution.sync"), json!({})).await;
    let out = r.output.unwrap();
    assert_eq!((out["Status"].clone(), out["Output"].clone()), (json!("SUCCEEDED"), json!("{\"n\":1}")));
    let r = ex.run(&parent("arn:aws:states:::states:startExecution"), json!({})).await;
    let out = r.output.unwrap();
    assert_eq!(out["ExecutionArn"], json!("arn:aws:states:us-east-1:111111111111:execution:child:kid"));
    assert!(out.get("Output").is_none(), "fire and forget does not wait: {out}");
}

#[tokio::test]
async fn results_over_256_kib_exceed_the_data_limit() {
    let m = sm(json!({"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": lambda("big"), "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": true},
        "Caught": {"Type": "Pass", "End": true}}}));
    let big = Value::String("a".repeat(262_145));
    let r = Executor::new().mock_function("big", Mock::returns(big)).run(&m, json!({})).await;
    assert_eq!(r.output.unwrap()["Error"], json!("States.DataLimitExceeded"));
}

#[tokio::test]
async fn unsupported_expressions_fail_the_execution_cleanly() {
    let m = sm(
        json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass", "Output": "{% $eval('1') %}", "End": true}}}),
    );
    let r = Executor::new().run(&m, json!({})).await;
    assert_eq!(r.error.as_deref(), Some("States.QueryEvaluationError"));
    assert!(r.history.iter().any(|e| e.event_type == "EvaluationFailed"));
}

#[tokio::test]
async fn a_task_nothing_answers_fails_with_a_clear_cause() {
    let m =
        sm(json!({"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": lambda("nobody"), "End": true}}}));
    let r = Executor::new().run(&m, json!({})).await;
    assert_eq!(r.error.as_deref(), Some("States.Runtime"));
    assert!(r.cause.unwrap().contains("no mock or handler for the state 'Call'"));
}

#[tokio::test]
async fn execution_timeout_times_the_execution_out() {
    let m = sm(
        json!({"TimeoutSeconds": 60, "StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 120, "End": true}}}),
    );
    let r = Executor::new().run(&m, json!({})).await;
    assert_eq!(r.status, Status::TimedOut);
    assert_eq!(r.duration(), Duration::from_secs(60));
    assert_eq!(r.history.last().unwrap().event_type, "ExecutionTimedOut");
}

#[tokio::test]
async fn history_ids_chain_like_aws() {
    let m =
        sm(json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "End": true}}}));
    let r = Executor::new().run(&m, json!({})).await;
    let ids: Vec<(u64, u64, &str)> = r.history.iter().map(|e| (e.id, e.previous_event_id, e.event_type)).collect();
    assert_eq!(
        ids,
        [
            (1, 0, "ExecutionStarted"),
            (2, 0, "PassStateEntered"),
            (3, 2, "PassStateExited"),
            (4, 3, "PassStateEntered"),
            (5, 4, "PassStateExited"),
            (6, 5, "ExecutionSucceeded")
        ]
    );
}

#[tokio::test]
async fn a_manual_clock_parks_executions_until_advanced() {
    let clock = Clock::manual(0);
    let ex = Executor::new().clock(clock.clone());
    let m = sm(json!({"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 3600, "End": true}}}));
    let handles: Vec<_> = (0..100).map(|i| tokio::spawn(ex.start(&m, json!({"i": i})))).collect();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(handles.iter().all(|h| !h.is_finished()), "parked in the Wait state");
    // Each waits in its Wait state (and under its execution deadline).
    assert_eq!(clock.pending_timers(), 200);
    clock.advance(Duration::from_secs(3600));
    for (i, h) in handles.into_iter().enumerate() {
        let r = h.await.unwrap();
        assert_eq!(r.output, Some(json!({"i": i})));
    }
}

#[tokio::test]
async fn a_handler_response_can_take_virtual_time() {
    let ex = Executor::new()
        .handler(|_req: TaskRequest| async { TaskResponse::ok(json!(1)).after(Duration::from_secs(90)) });
    let m = sm(json!({"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": lambda("f"), "End": true}}}));
    let r = ex.run(&m, json!({})).await;
    assert_eq!((r.duration(), r.output), (Duration::from_secs(90), Some(json!(1))));
}

#[test]
fn invalid_definitions_are_rejected_with_every_problem() {
    let err = StateMachine::from_json(&json!({
        "StartAt": "A",
        "States": {
            "A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Missing",
                  "Retry": [{"ErrorEquals": ["States.Bogus"], "BackoffRate": 0.5}]},
            "B": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% 1 + %}", "End": true}
        }
    }))
    .unwrap_err();
    let text = err.to_string();
    for needle in ["Missing 'Next' target: Missing", "States.Bogus", "BackoffRate", "INVALID_JSONATA_EXPRESSION"] {
        assert!(text.contains(needle), "{needle} not in {text}");
    }
}

#[tokio::test]
async fn an_endless_loop_stops_at_25000_history_events() {
    let m = sm(json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": true, "Next": "End"}], "Default": "A"},
        "End": {"Type": "Succeed"}}}));
    let r = Executor::new().record_payloads(false).run(&m, json!({})).await;
    assert_eq!(r.error.as_deref(), Some("States.Runtime"));
    assert_eq!(r.cause.as_deref(), Some("The execution reached the maximum number of history events (25000)."));
    assert_eq!(r.history.len(), 25_000);
    assert_eq!(r.history.last().unwrap().event_type, "ExecutionFailed");
}

#[tokio::test]
async fn stop_aborts_a_running_execution() {
    let m = callback_machine(None);
    let ex = Executor::new().mock_function("ask", Mock::returns(json!(null)));
    let mut exec = ex.start(&m, json!({"q": "?"}));
    let cb = exec.next_callback().await.unwrap();
    let r = exec.stop(Some("Cancelled"), Some("by the test")).unwrap();
    assert_eq!((r.status, r.error.as_deref()), (Status::Aborted, Some("Cancelled")));
    assert_eq!(r.history.last().unwrap().event_type, "ExecutionAborted");
    assert!(ex.send_task_success(&cb.token, json!(1)).is_err(), "the token died with the execution");
}

#[tokio::test]
async fn an_item_reader_of_a_missing_object_fails_with_item_reader_failed() {
    // The object store is empty: the read fails as `States.ItemReaderFailed` (the
    // Distributed Map's ItemReader tests are in `distributed_map.rs`).
    let m = sm(json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": "k"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
        "End": true}}}));
    let r = Executor::new().run(&m, json!({})).await;
    assert_eq!(r.error.as_deref(), Some("States.ItemReaderFailed"));
    assert!(r.cause.unwrap().contains("NoSuchBucket"));
}

#[tokio::test]
async fn deployment_placeholders_name_functions_and_child_machines() {
    let child = sm(json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "from child", "End": true}}}));
    let parent = sm(json!({"QueryLanguage": "JSONata", "StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                 "Arguments": {"FunctionName": "${Charge}", "Payload": {}}, "Output": "{% $states.result.Payload %}", "Next": "Child"},
        "Child": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                  "Arguments": {"StateMachineArn": "${ChildMachine}", "Input": {}},
                  "Output": "{% [$states.input, $states.result.Output] %}", "End": true}}}));
    let ex =
        Executor::new().mock_function("Charge", Mock::returns(json!("charged"))).register_as("ChildMachine", child);
    let r = ex.run(&parent, json!({})).await;
    assert_eq!(r.output, Some(json!(["charged", "from child"])));
}

#[tokio::test]
async fn a_handler_can_answer_its_own_task_token() {
    let ex = Executor::new().handler(|req: TaskRequest| async move {
        let token = req.task_token.clone().expect("a callback task has a token");
        req.callbacks.send_task_success(&token, json!({"approved": req.payload["q"] == "ok?"})).unwrap();
        Ok::<_, TaskFailure>(json!(null))
    });
    let r = ex.run(&callback_machine(None), json!({"q": "ok?"})).await;
    assert_eq!(r.output, Some(json!({"approved": true})));
    assert_eq!(r.duration(), Duration::ZERO);
}
