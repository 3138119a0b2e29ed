//! Execution-level limits, enforced where Step Functions enforces them: the request that starts
//! an execution (`stepcraft_local::limits::start_execution`), the state whose output is too
//! large, the event that fills the history, the definition that names a state too long. Each
//! test quotes the AWS documentation it follows.

use serde_json::{Value, json};
use stepcraft_local::limits::{self, MAX_HISTORY_EVENTS, MAX_PAYLOAD_BYTES};
use stepcraft_local::{ExecutionResult, Executor, Mock, StateMachine, Status, TraceStatus};

fn sm(def: Value) -> StateMachine {
    StateMachine::from_json(&def).unwrap_or_else(|e| panic!("invalid definition: {e}"))
}

/// A JSON string whose compact text is exactly `bytes` bytes long.
fn string_of(bytes: usize) -> Value {
    Value::String("x".repeat(bytes - 2))
}

fn assert_data_limit_at(r: &ExecutionResult, state: &str) {
    assert_eq!(r.status, Status::Failed, "{}", r.trace());
    assert_eq!(r.error.as_deref(), Some("States.DataLimitExceeded"), "{}", r.trace());
    assert_eq!(
        r.cause.as_deref(),
        Some(
            format!(
                "The state/task '{state}' returned a result with a size exceeding the maximum number of bytes service limit."
            )
            .as_str()
        )
    );
    // The execution fails at the state that produced the payload: its trace entry failed, it
    // never exited, and no state came after it.
    let entry = r.trace.iter().find(|t| &*t.state == state).unwrap();
    assert_eq!(entry.status, TraceStatus::Failed);
    assert!(!r.states_entered().contains(&"After") && !r.states_entered().contains(&"Done"));
    assert!(!r.history.iter().any(|e| e.event_type.ends_with("StateExited") && e.name() == Some(state)));
    assert_eq!(r.history.last().unwrap().event_type, "ExecutionFailed");
}

// "Maximum input or output size for a task, state, or execution: 256 KiB of data as a UTF-8
// encoded string. This quota affects tasks (activity, Lambda function, or integrated service),
// state or execution output, and input data when scheduling a task, entering a state, or
// starting an execution." (Step Functions service quotas)
#[test]
fn a_state_output_of_256_kib_passes_and_one_byte_more_fails_at_that_state() {
    let pass = |bytes: usize| {
        sm(json!({"StartAt": "Big", "States": {
            "Big": {"Type": "Pass", "Result": string_of(bytes), "Next": "After"},
            "After": {"Type": "Succeed"}}}))
    };
    let fits = Executor::new().run_blocking(&pass(MAX_PAYLOAD_BYTES), json!({}));
    assert_eq!(fits.status, Status::Succeeded, "{}", fits.trace());
    assert_eq!(fits.output, Some(string_of(262_144)));
    let over = Executor::new().run_blocking(&pass(MAX_PAYLOAD_BYTES + 1), json!({}));
    assert_data_limit_at(&over, "Big");
}

#[test]
fn every_kind_of_state_that_can_grow_its_output_is_held_to_the_limit() {
    // 200,000 bytes of input, doubled by the state's `Output`: each state kind whose JSONata
    // `Output` can make its output larger than its input.
    let doubled = "{% $states.input.s & $states.input.s %}";
    let cases = [
        ("Succeed", json!({"Type": "Succeed", "Output": doubled})),
        ("Wait", json!({"Type": "Wait", "Seconds": 1, "Output": doubled, "Next": "Done"})),
        ("Pass", json!({"Type": "Pass", "Output": doubled, "Next": "Done"})),
        (
            "Choice",
            json!({"Type": "Choice", "Choices": [{"Condition": "{% true %}", "Next": "Done"}], "Output": doubled}),
        ),
        (
            "Parallel",
            json!({"Type": "Parallel", "Output": doubled, "Next": "Done",
                   "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}]}),
        ),
    ];
    let input = json!({"s": "y".repeat(200_000)});
    for (kind, state) in cases {
        let mut def = json!({"QueryLanguage": "JSONata", "StartAt": "Grow", "States": {"Grow": state}});
        if kind != "Succeed" {
            def["States"]["Done"] = json!({"Type": "Succeed"});
        }
        let r = Executor::new().run_blocking(&sm(def), input.clone());
        assert_data_limit_at(&r, "Grow");
        assert_eq!(r.trace[0].state_type, kind);
    }
}

#[test]
fn a_task_result_over_the_limit_fails_the_task() {
    let def = json!({"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:big", "End": true}}});
    let r = Executor::new()
        .mock_function("big", Mock::returns(string_of(MAX_PAYLOAD_BYTES + 1)))
        .run_blocking(&sm(def), json!({}));
    assert_eq!(r.error.as_deref(), Some("States.DataLimitExceeded"), "{}", r.trace());
    assert_eq!(r.states_entered(), ["Call"]);
    assert_eq!(r.history.last().unwrap().event_type, "ExecutionFailed");
}

// The same quota covers "input data when scheduling a task": `Arguments` (or `Parameters`)
// that build more than 256 KiB from a smaller input fail the task before it is scheduled.
#[test]
fn arguments_over_the_limit_fail_the_task_before_it_is_scheduled() {
    let call = |arguments: Value| {
        sm(json!({"QueryLanguage": "JSONata", "StartAt": "Call", "States": {"Call": {
            "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:echo",
            "Arguments": arguments, "End": true}}}))
    };
    let input = json!({"s": "y".repeat(200_000)});
    let echo = || Executor::new().mock_function("echo", Mock::returns(json!("ok")));
    let r = echo().run_blocking(&call(json!({"a": "{% $states.input.s %}"})), input.clone());
    assert_eq!(r.status, Status::Succeeded, "{}", r.trace());
    let r = echo().run_blocking(&call(json!({"a": "{% $states.input.s %}", "b": "{% $states.input.s %}"})), input);
    assert_eq!(r.error.as_deref(), Some("States.DataLimitExceeded"), "{}", r.trace());
    assert!(!r.history.iter().any(|e| e.event_type == "TaskScheduled"), "never scheduled: {}", r.trace());
}

// "Passing data between states with variables", Variable size limits: "The maximum size of a
// single variable is 256 KiB, for both Standard and Express workflows. The maximum combined
// size of all variables in a single Assign field is also 256 KiB. [...] The total size of all
// stored variables cannot exceed 10 MiB per execution."
#[test]
fn variables_are_held_to_256_kib_each_and_per_assign_and_10_mib_stored() {
    let assign = |assign: Value| {
        sm(json!({"QueryLanguage": "JSONata", "StartAt": "Keep", "States": {
            "Keep": {"Type": "Pass", "Assign": assign, "Output": {}, "Next": "Done"},
            "Done": {"Type": "Succeed"}}}))
    };
    let input = json!({"s": "y".repeat(200_000)});
    let run = |def| Executor::new().run_blocking(&def, input.clone());
    // One variable of 200,000 bytes: fine.
    assert_eq!(run(assign(json!({"x": "{% $states.input.s %}"}))).status, Status::Succeeded);
    // One variable over 256 KiB, from an input under it.
    let r = run(assign(json!({"x": "{% $states.input.s & $states.input.s %}"})));
    assert_eq!(r.error.as_deref(), Some("States.DataLimitExceeded"), "{}", r.trace());
    assert!(r.cause.as_deref().unwrap().contains("the variable 'x'"), "{:?}", r.cause);
    // Two of 200,000 bytes in one Assign: each fits, together they do not.
    let r = run(assign(json!({"x": "{% $states.input.s %}", "y": "{% $states.input.s %}"})));
    assert_eq!(r.error.as_deref(), Some("States.DataLimitExceeded"), "{}", r.trace());
    assert!(r.cause.as_deref().unwrap().contains("for one Assign"), "{:?}", r.cause);
    assert!(!r.history.iter().any(|e| e.event_type == "PassStateExited"));
    // Fifty-two states each storing 200,000 bytes in a variable of its own pass 10 MiB at the
    // fifty-third; reassigning the same variable never does.
    let chain = |distinct: bool| {
        let mut states = serde_json::Map::new();
        for i in 0..60 {
            let name = if distinct { format!("v{i}") } else { "v".to_owned() };
            states.insert(format!("S{i}"), json!({"Type": "Pass", "Assign": {name: "{% $states.input.s %}"},
                                                  "Next": if i == 59 { "Done".to_owned() } else { format!("S{}", i + 1) }}));
        }
        states.insert("Done".into(), json!({"Type": "Succeed", "Output": {}}));
        sm(json!({"QueryLanguage": "JSONata", "StartAt": "S0", "States": states}))
    };
    assert_eq!(run(chain(false)).status, Status::Succeeded);
    let r = run(chain(true));
    assert_eq!(r.error.as_deref(), Some("States.DataLimitExceeded"), "{}", r.trace());
    assert!(r.cause.as_deref().unwrap().contains("stored variables"), "{:?}", r.cause);
    let size = 200_002usize; // each variable's JSON text
    let failing = limits::MAX_STORED_VARIABLES_BYTES / size; // the first state past 10 MiB
    assert_eq!(r.states_entered().last(), Some(&format!("S{failing}").as_str()), "{}", r.trace());
}

/// `Count` and `Check` loop `n` times (four events a round), then `Done` ends the execution:
/// 1 + 4n + 2 + 1 events in all.
fn counting_loop() -> StateMachine {
    sm(json!({"QueryLanguage": "JSONata", "StartAt": "Count", "States": {
        "Count": {"Type": "Pass", "Output": {"n": "{% $states.input.n - 1 %}"}, "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.n > 0 %}", "Next": "Count"}],
                  "Default": "Done"},
        "Done": {"Type": "Succeed"}}}))
}

// "AWS Step Functions has a hard quota of 25,000 entries in the execution event history. When an
// execution reaches 24,999 events, it waits for the next event to happen. If the event number
// 25,000 is ExecutionSucceeded, the execution finishes successfully. If the event number 25,000
// isn't ExecutionSucceeded, the ExecutionFailed event is logged and the state machine execution
// fails because of reaching the history limit" (Avoid reaching the history quota)
#[test]
fn the_25000th_event_ends_the_execution() {
    let machine = counting_loop();
    // 1 + 4 × 6249 + 2 + 1 = 25,000: the last event is ExecutionSucceeded, and it counts.
    let r = Executor::new().run_blocking(&machine, json!({"n": 6249}));
    assert_eq!(r.status, Status::Succeeded, "{:?}", r.error);
    assert_eq!(r.history.len() as u64, MAX_HISTORY_EVENTS);
    assert_eq!(r.history.last().map(|e| (e.id, e.event_type)), Some((25_000, "ExecutionSucceeded")));

    // One more round needs 25,004 events: event 25,000 would be `CountStateEntered`, so it is
    // ExecutionFailed instead.
    let r = Executor::new().run_blocking(&machine, json!({"n": 6250}));
    assert_eq!(r.status, Status::Failed);
    assert_eq!(r.error.as_deref(), Some("States.Runtime"));
    assert_eq!(r.cause.as_deref(), Some("The execution reached the maximum number of history events (25000)."));
    assert_eq!(r.cause, Some(limits::history_limit_cause(MAX_HISTORY_EVENTS)));
    assert_eq!(r.history.len() as u64, MAX_HISTORY_EVENTS);
    let last = r.history.last().unwrap();
    assert_eq!((last.id, last.event_type), (25_000, "ExecutionFailed"));
    let ids: Vec<u64> = r.history.iter().map(|e| e.id).collect();
    assert!(ids.iter().enumerate().all(|(i, id)| *id == i as u64 + 1), "event ids are 1..=25000, without gaps");
}

// "Names of state machines, executions, and activity tasks must not exceed 80 characters in
// length. These names must be unique for your account and AWS Region, and must not contain any
// of the following: Whitespace; Wildcard characters (? *); Bracket characters (< > { } [ ]);
// Special characters (" # % \ ^ | ~ ` $ & , ; : /); Control characters (\\u0000 - \\u001f or
// \\u007f - \\u009f)." (Step Functions service quotas, general quotas)
#[test]
fn start_execution_refuses_bad_names_as_aws_does() {
    assert_eq!(limits::start_execution(Some("order-42_retry.1"), b"{}").map(drop), Ok(()));
    assert_eq!(limits::start_execution(Some(&"n".repeat(80)), b"{}").map(drop), Ok(()));
    // StartExecution with an 81-character name: "ValidationException: 1 validation error detected:
    // Value '…' at 'name' failed to satisfy constraint: Member must have length less than or
    // equal to 80", as AWS answered it (github.com/wolfeidau/buildkite-serverless-agent#37).
    let name = "n".repeat(81);
    let e = limits::start_execution(Some(&name), b"{}").unwrap_err();
    assert_eq!(e.code, "ValidationException");
    assert_eq!(
        e.message,
        format!(
            "1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80"
        )
    );
    for bad in [
        "two words",
        "a?",
        "a*",
        "<a>",
        "{a}",
        "[a]",
        "\"a\"",
        "#a",
        "a%",
        "a\\b",
        "a^b",
        "a|b",
        "a~b",
        "a`b",
        "$a",
        "a&b",
        "a,b",
        "a;b",
        "a:b",
        "a/b",
        "a\u{0}b",
        "a\u{1f}b",
        "a\u{7f}b",
        "a\u{9f}b",
    ] {
        let e = limits::start_execution(Some(bad), b"{}").unwrap_err();
        assert_eq!(e.code, "InvalidName", "{bad:?}");
    }
    // "Step Functions allows you to create state machine, execution, activity, and label names
    // that contain non-ASCII characters." (same page)
    assert_eq!(limits::check_name("überprüfung-注文"), Ok(()));
}

// StartExecution's `input`: "Length constraints apply to the payload size, and are expressed as
// bytes in UTF-8 encoding. Type: String. Length Constraints: Maximum length of 262144."
// (API_StartExecution); a request breaking a length constraint is a ValidationException, and
// "InvalidExecutionInput: The provided JSON input data is not valid." (its Errors).
#[test]
fn start_execution_refuses_an_input_over_256_kib_in_utf8_bytes() {
    let fits = serde_json::to_vec(&string_of(MAX_PAYLOAD_BYTES)).unwrap();
    assert_eq!(limits::start_execution(None, &fits).unwrap(), string_of(MAX_PAYLOAD_BYTES));
    let over = serde_json::to_vec(&string_of(MAX_PAYLOAD_BYTES + 1)).unwrap();
    let e = limits::start_execution(None, &over).unwrap_err();
    assert_eq!(e.code, "ValidationException");
    assert!(e.message.starts_with("1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to 262144"), "{e}");
    // Bytes, not characters: 87,382 three-byte characters are 262,146 bytes with the quotes.
    let wide = format!("\"{}\"", "€".repeat(87_382));
    assert_eq!(wide.chars().count(), 87_384);
    assert_eq!(limits::start_execution(None, wide.as_bytes()).unwrap_err().code, "ValidationException");
    // The text as sent is what counts, whitespace included.
    let spaced = format!("{}{{}}", " ".repeat(MAX_PAYLOAD_BYTES));
    assert_eq!(limits::start_execution(None, spaced.as_bytes()).unwrap_err().code, "ValidationException");
    assert_eq!(limits::start_execution(None, b"{\"a\":").unwrap_err().code, "InvalidExecutionInput");
}

// "State names must have a length of less than or equal to 80 Unicode characters." (States
// Language specification, "States"); CreateStateMachine refuses a longer one.
#[test]
fn create_state_machine_refuses_a_state_name_over_80_characters() {
    let def = |name: &str| json!({"StartAt": name, "States": {name: {"Type": "Succeed"}}});
    assert!(StateMachine::from_json(&def(&"é".repeat(80))).is_ok(), "80 characters (160 bytes) are allowed");
    let e = StateMachine::from_json(&def(&"é".repeat(81))).unwrap_err();
    assert!(e.to_string().contains("longer than 80 characters"), "{e}");
}
