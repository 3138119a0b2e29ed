//! Tests of the Runtime API server and the process harness themselves, with the hand-written
//! `hello_baseline` (and `probe_fn` for init errors and panics).
//!
//! They also pin down how `lambda_runtime` 1.x reports things, which stepcraft's glue builds on.

use std::{path::PathBuf, time::Duration};

use serde_json::{Value, json};
use stepcraft_tests::{
    function::{Function, workspace_binary},
    runtime_api::{Event, Outcome, RuntimeApi},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

fn baseline() -> PathBuf {
    workspace_binary("stepcraft-tests", "hello_baseline")
}

fn probe() -> PathBuf {
    workspace_binary("stepcraft-tests", "probe_fn")
}

#[tokio::test]
async fn success_round_trip_over_one_kept_alive_connection() {
    let api = RuntimeApi::start().await;
    let mut function = Function::spawn(baseline(), &api);
    for i in 0..50 {
        let outcome = api.invoke(format!(r#"{{"user_id":"u-{i}"}}"#)).await;
        assert_eq!(outcome.json(), json!({"status": "success"}));
    }
    assert!(function.is_running());
    let stats = api.stats();
    assert_eq!(stats.responses, 50);
    assert_eq!(stats.errors, 0);
    assert_eq!(stats.delivered, 50);
    assert_eq!(stats.connections, 1, "lambda_runtime keeps one pooled connection: {stats:?}");
    assert_eq!(api.pending(), (0, 0));
}

#[tokio::test]
async fn missing_user_id_is_a_typed_error() {
    let api = RuntimeApi::start().await;
    let mut function = Function::spawn(baseline(), &api);
    let outcome = api.invoke_json(&json!({"user_id": ""})).await;
    let error = outcome.unwrap_err();
    assert_eq!(error.error_type, "MissingUserId");
    assert_eq!(error.error_message, "`user_id` must not be empty");
    assert_eq!(error.raw, json!({"errorType": "MissingUserId", "errorMessage": "`user_id` must not be empty"}));
    // lambda_runtime sends the same header for every error: the errorType is only in the body.
    assert_eq!(outcome.error_header(), Some("unhandled"));
    // ...and the process keeps serving.
    assert!(api.invoke_json(&json!({"user_id": "u-1"})).await.is_response());
    assert!(function.is_running());
}

#[tokio::test]
async fn malformed_input_is_an_error_and_the_function_keeps_serving() {
    let api = RuntimeApi::start().await;
    let mut function = Function::spawn(baseline(), &api);

    let outcome = api.invoke("{not json").await;
    let error = outcome.unwrap_err();
    assert_eq!(error.error_type, "&lambda_runtime::deserializer::DeserializeError");
    assert!(
        error.error_message.starts_with("failed to deserialize the incoming data into the function's payload type: "),
        "{error:?}"
    );
    assert_eq!(outcome.error_header(), Some("unhandled"));

    // A well-formed document of the wrong shape: the path and serde's message are in errorMessage.
    let error = api.invoke_json(&json!({"user_id": 42})).await.unwrap_err().clone();
    assert_eq!(error.error_type, "&lambda_runtime::deserializer::DeserializeError");
    assert!(error.error_message.contains("[user_id]"), "{error:?}");
    assert!(error.error_message.contains("invalid type: integer `42`"), "{error:?}");

    let error = api.invoke_json(&json!({})).await.unwrap_err().clone();
    assert!(error.error_message.contains("missing field `user_id`"), "{error:?}");

    assert_eq!(api.invoke_json(&json!({"user_id": "u-1"})).await.json(), json!({"status": "success"}));
    assert!(function.is_running());
    let stats = api.stats();
    assert_eq!((stats.errors, stats.responses), (3, 1), "{stats:?}");
}

#[tokio::test]
async fn request_id_and_trace_id_reach_the_function_and_its_json_logs() {
    let api = RuntimeApi::start().await;
    let function = Function::spawn_with(baseline(), &api, &[("AWS_LAMBDA_LOG_FORMAT", "JSON")]);
    let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    let event = Event::json(&json!({"user_id": "u-7"})).with_request_id("req-0123-stepcraft").with_trace_id(trace);
    assert!(api.invoke_event(event).await.is_response());

    let line = function
        .wait_for_log("req-0123-stepcraft", Duration::from_secs(5))
        .await
        .unwrap_or_else(|| panic!("request id not in the logs: {:#?}", function.logs()));
    let log: Value = serde_json::from_str(&line).expect("JSON log line");
    assert_eq!(log["level"], "INFO");
    assert_eq!(log["fields"]["message"], "saying hello");
    assert_eq!(log["fields"]["user_id"], "u-7");
    assert_eq!(log["span"]["requestId"], "req-0123-stepcraft");
    assert_eq!(log["span"]["xrayTraceId"], trace);
    assert_eq!(log["span"]["name"], "Lambda runtime invoke");
}

#[tokio::test]
async fn text_logs_by_default() {
    let api = RuntimeApi::start().await;
    let function = Function::spawn(baseline(), &api);
    let event = Event::json(&json!({"user_id": "u-8"})).with_request_id("req-text-1");
    assert!(api.invoke_event(event).await.is_response());
    let line = function.wait_for_log("req-text-1", Duration::from_secs(5)).await.expect("request id in the text logs");
    assert!(line.contains("INFO"), "{line}");
    assert!(line.contains("user_id=u-8"), "{line}");
    assert!(function.json_logs().is_empty(), "{:?}", function.logs());
}

#[tokio::test]
async fn init_error_resolves_pending_and_later_invocations() {
    let api = RuntimeApi::start().await;
    let probe = probe();
    // Queued before the function even starts: must not hang.
    let (outcome, mut function) = tokio::join!(api.invoke_json(&json!({"user_id": "u-1"})), async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(api.pending(), (1, 0));
        Function::spawn_with(&probe, &api, &[("_HANDLER", "init_error")])
    });
    let Outcome::InitError(error) = &outcome else {
        panic!("expected an init error, got {outcome:?}");
    };
    assert_eq!(error.error_type, "Runtime.ConfigError");
    assert_eq!(error.error_message, "DATABASE_URL is not set");
    assert_eq!(api.init_error().as_ref(), Some(error));

    let status = function.wait_exit(Duration::from_secs(5)).await.expect("exits");
    assert_eq!(status.code(), Some(1));
    // Later invocations answer at once, with the init error (not the exit).
    assert!(matches!(api.invoke("{}").await, Outcome::InitError(_)));
    assert_eq!(api.stats().init_errors, 1);
}

#[tokio::test]
async fn bogus_environment_makes_lambda_runtime_exit_without_reporting() {
    let api = RuntimeApi::start().await;
    let mut function = Function::spawn_with(baseline(), &api, &[("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "lots")]);
    let outcome = api.invoke_event(Event::json(&json!({"user_id": "u-1"})).with_request_id("req-exit")).await;
    let Outcome::Exited(error) = &outcome else {
        panic!("expected the runtime to exit, got {outcome:?}");
    };
    assert_eq!(error.error_type, "Runtime.ExitError");
    assert_eq!(error.error_message, "RequestId: req-exit Error: Runtime exited with error: exit status: 101");
    assert!(!function.is_running());
    // lambda_runtime panics in Config::from_env; it does not post /init/error.
    assert_eq!(api.init_error(), None);
    assert!(
        function
            .wait_for_log("AWS_LAMBDA_FUNCTION_MEMORY_SIZE env var is not <i32>", Duration::from_secs(5))
            .await
            .is_some(),
        "{:#?}",
        function.logs()
    );
}

#[tokio::test]
async fn handler_panic_is_reported_and_the_function_keeps_serving() {
    let api = RuntimeApi::start().await;
    let mut function = Function::spawn_with(probe(), &api, &[("_HANDLER", "panic")]);
    let outcome = api.invoke_json(&json!({"panic": true})).await;
    let error = outcome.unwrap_err();
    assert_eq!(error.error_type, "&alloc::boxed::Box<dyn core::any::Any + core::marker::Send>");
    assert_eq!(error.error_message, "Lambda panicked: asked to panic");
    assert_eq!(outcome.error_header(), Some("unhandled"));
    assert_eq!(api.invoke_json(&json!({"n": 1})).await.json(), json!({"n": 1}));
    assert!(function.is_running());
}

#[tokio::test]
async fn a_response_that_fails_to_serialise_ends_lambda_runtime() {
    // lambda_runtime serialises the handler's Ok value itself; when that fails, `run` returns
    // the error and the process exits: nothing is posted for the invocation.
    let api = RuntimeApi::start().await;
    let mut function = Function::spawn_with(probe(), &api, &[("_HANDLER", "unserialisable")]);
    let outcome = api.invoke("{}").await;
    assert!(matches!(outcome, Outcome::Exited(_)), "{outcome:?}");
    assert_eq!(function.wait_exit(Duration::from_secs(5)).await.and_then(|s| s.code()), Some(1));
    let stats = api.stats();
    assert_eq!((stats.responses, stats.errors), (0, 0), "{stats:?}");
    assert!(
        function.wait_for_log("this response cannot be serialised", Duration::from_secs(5)).await.is_some(),
        "{:#?}",
        function.logs()
    );
}

#[tokio::test]
async fn a_client_context_that_is_not_json_ends_lambda_runtime() {
    // lambda_runtime parses Lambda-Runtime-Client-Context (and -Cognito-Identity) as JSON
    // before the handler; a failure there ends `run` with an error instead of failing the one
    // invocation. (The service always sends valid JSON; this pins the behaviour down.)
    let api = RuntimeApi::start().await;
    let mut function = Function::spawn(baseline(), &api);
    let event = Event::json(&json!({"user_id": "u-1"})).with_client_context("not json");
    let outcome = api.invoke_event(event).await;
    assert!(matches!(outcome, Outcome::Exited(_)), "{outcome:?}");
    assert_eq!(function.wait_exit(Duration::from_secs(5)).await.and_then(|s| s.code()), Some(1));
}

#[tokio::test]
async fn invoke_times_out_cleanly_when_no_function_runs() {
    let api = RuntimeApi::start().await;
    let started = std::time::Instant::now();
    let outcome = api.invoke_event(Event::new("{}").with_timeout(Duration::from_millis(300))).await;
    assert_eq!(outcome, Outcome::TimedOut);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(api.pending(), (0, 0), "a timed-out event is withdrawn");
    // What a test sees when it calls json() or unwrap_err() on it:
    let shown = format!("{outcome:?}");
    assert!(shown.starts_with("TimedOut (no function answered in time"), "{shown}");
}

#[tokio::test]
async fn a_killed_function_fails_invocations_at_once_until_another_is_spawned() {
    let api = RuntimeApi::start().await;
    let mut function = Function::spawn(baseline(), &api);
    assert!(api.invoke_json(&json!({"user_id": "a"})).await.is_response());
    let status = function.kill().expect("killed");
    assert!(!status.success());
    let started = std::time::Instant::now();
    let outcome = api.invoke_json(&json!({"user_id": "b"})).await;
    assert!(
        matches!(&outcome, Outcome::Exited(e) if e.error_message.contains("killed by the test harness")),
        "{outcome:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(1));

    let _again = Function::spawn(baseline(), &api);
    assert!(api.invoke_json(&json!({"user_id": "c"})).await.is_response());
}

#[tokio::test]
async fn dropping_the_server_stops_the_function() {
    let api = RuntimeApi::start().await;
    let mut function = Function::spawn(baseline(), &api);
    assert!(api.invoke_json(&json!({"user_id": "a"})).await.is_response());
    drop(api);
    // lambda_runtime's `next` fails with a transport error: `run` returns Err and main exits 1.
    let status = function.wait_exit(Duration::from_secs(5)).await.expect("the function exits");
    assert_eq!(status.code(), Some(1));
}

#[tokio::test]
async fn concurrent_invocations_are_matched_by_request_id() {
    let api = RuntimeApi::start().await;
    let _function = Function::spawn(baseline(), &api);
    // Awaited together: the function takes them one at a time, the server matches answers by id.
    let outcomes = join_all((0..10).map(|i| {
        let user_id = if i % 2 == 0 { "x" } else { "" };
        api.invoke_event(Event::json(&json!({ "user_id": user_id })))
    }))
    .await;
    for (i, outcome) in outcomes.iter().enumerate() {
        assert_eq!(outcome.is_response(), i % 2 == 0, "{i}: {outcome:?}");
    }
}

/// Awaits all futures concurrently on the current task (no extra dependency for it).
async fn join_all<F: std::future::Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut futures: Vec<_> = futures.into_iter().map(|f| Some(Box::pin(f))).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if let Some(f) = future {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => {
                        *output = Some(value);
                        *future = None;
                    }
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
    })
    .await;
    outputs.into_iter().map(|o| o.expect("completed")).collect()
}

/* --------------------------- the protocol, with a hand-made client --------------------------- */

/// One HTTP/1.1 exchange on a fresh connection: (status, lower-cased headers, body).
async fn http(
    endpoint: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut stream = TcpStream::connect(endpoint).await.expect("connect");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {endpoint}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    stream.write_all(body).await.expect("write body");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").expect("end of head");
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().expect("status line").split(' ').nth(1).expect("status").parse().expect("number");
    let headers =
        lines.filter_map(|l| l.split_once(": ")).map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned())).collect();
    (status, headers, answer[split + 4..].to_vec())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn next_carries_the_event_and_its_headers() {
    let api = RuntimeApi::start().await;
    let endpoint = api.endpoint();
    let deadline = std::time::UNIX_EPOCH + Duration::from_millis(4_102_444_800_123);
    let event = Event::new(r#"{"k":1}"#)
        .with_request_id("req-headers")
        .with_deadline(deadline)
        .with_trace_id("Root=1-abc")
        .with_client_context(r#"{"client":{}}"#)
        .with_cognito_identity(r#"{"identity_id":"i","identity_pool_id":"p"}"#);
    let runtime = async {
        let (status, headers, body) = http(&endpoint, "GET", "/2018-06-01/runtime/invocation/next", &[], b"").await;
        assert_eq!(status, 200);
        assert_eq!(body, br#"{"k":1}"#);
        assert_eq!(header(&headers, "lambda-runtime-aws-request-id"), Some("req-headers"));
        assert_eq!(header(&headers, "lambda-runtime-deadline-ms"), Some("4102444800123"));
        assert_eq!(
            header(&headers, "lambda-runtime-invoked-function-arn"),
            Some("arn:aws:lambda:us-east-1:123456789012:function:stepcraft-test")
        );
        assert_eq!(header(&headers, "lambda-runtime-trace-id"), Some("Root=1-abc"));
        assert_eq!(header(&headers, "lambda-runtime-client-context"), Some(r#"{"client":{}}"#));
        assert!(header(&headers, "lambda-runtime-cognito-identity").is_some());
        assert_eq!(header(&headers, "content-type"), Some("application/json"));

        let path = "/2018-06-01/runtime/invocation/req-headers/response";
        let (status, _, body) = http(&endpoint, "POST", path, &[], b"\"done\"").await;
        assert_eq!((status, body.as_slice()), (202, br#"{"status":"OK"}"#.as_slice()));
        // A second answer for the same invocation is refused like an unknown id.
        let (status, _, body) = http(&endpoint, "POST", path, &[], b"\"again\"").await;
        assert_eq!(status, 400);
        assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["errorType"], "InvalidRequestID");
    };
    let (outcome, ()) = tokio::join!(api.invoke_event(event), runtime);
    assert_eq!(outcome, Outcome::Response("\"done\"".into()));
}

#[tokio::test]
async fn unknown_ids_paths_and_oversized_responses_are_refused() {
    let api = RuntimeApi::start().await;
    let endpoint = api.endpoint();
    let (status, _, body) = http(&endpoint, "POST", "/2018-06-01/runtime/invocation/nope/error", &[], b"{}").await;
    assert_eq!(status, 400);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        json!({"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"})
    );
    for (method, path) in [
        ("GET", "/2018-06-01/runtime/invocation/x/response"),
        ("POST", "/2018-06-01/runtime/invocation/next"),
        ("GET", "/2015-03-31/functions/function/invocations"),
        ("POST", "/2018-06-01/runtime/invocation/a/b/response"),
    ] {
        let (status, _, _) = http(&endpoint, method, path, &[], b"").await;
        assert_eq!(status, 404, "{method} {path}");
    }

    let runtime = async {
        let (_, headers, _) = http(&endpoint, "GET", "/2018-06-01/runtime/invocation/next", &[], b"").await;
        let id = header(&headers, "lambda-runtime-aws-request-id").unwrap().to_owned();
        let huge = vec![b'x'; 6 * 1024 * 1024 + 101];
        let path = format!("/2018-06-01/runtime/invocation/{id}/response");
        let (status, _, body) = http(&endpoint, "POST", &path, &[], &huge).await;
        assert_eq!(status, 413);
        assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["errorType"], "RequestEntityTooLarge");
    };
    let (outcome, ()) = tokio::join!(api.invoke("{}"), runtime);
    assert_eq!(outcome.unwrap_err().error_type, "Function.ResponseSizeTooLarge");

    let runtime = async {
        let (_, headers, _) = http(&endpoint, "GET", "/2018-06-01/runtime/invocation/next", &[], b"").await;
        let id = header(&headers, "lambda-runtime-aws-request-id").unwrap().to_owned();
        let path = format!("/2018-06-01/runtime/invocation/{id}/error");
        let headers = [("Lambda-Runtime-Function-Error-Type", "Custom.Thing")];
        let (status, _, _) = http(&endpoint, "POST", &path, &headers, b"not json").await;
        assert_eq!(status, 202);
    };
    let (outcome, ()) = tokio::join!(api.invoke("{}"), runtime);
    // With no JSON body, the error type comes from the header, as the service does.
    assert_eq!(outcome.error_header(), Some("Custom.Thing"));
    assert_eq!(outcome.unwrap_err().error_type, "Custom.Thing");
    assert_eq!(outcome.unwrap_err().raw, json!("not json"));
    let stats = api.stats();
    assert_eq!(stats.rejected, 6, "{stats:?}");
}

/* ------------------------------- THE GLUE UNDER FAULTS ------------------------------- */

fn panics_fixture() -> PathBuf {
    workspace_binary("stepcraft-tests", "fixture_panics")
}

async fn served(api: &RuntimeApi, n: usize) {
    for _ in 0..n {
        assert_eq!(api.invoke_json(&json!({"panic": false})).await.json(), json!({"survived": true}));
    }
}

#[tokio::test]
async fn the_glue_survives_a_500_on_next_and_serves_the_next_invocation() {
    use stepcraft_tests::runtime_api::Fault;
    let api = RuntimeApi::start().await;
    let mut function = Function::spawn(panics_fixture(), &api);
    served(&api, 1).await;
    api.inject(Fault::ServerError);
    served(&api, 3).await;
    // Three in a row, then an invocation: still within the glue's budget of restarts.
    for _ in 0..3 {
        api.inject(Fault::ServerError);
    }
    served(&api, 2).await;
    assert!(function.is_running());
    assert_eq!(api.stats().faults, 4);
    assert!(
        function.wait_for_log("starting it again", Duration::from_secs(5)).await.is_some(),
        "{:#?}",
        function.logs()
    );
}

#[tokio::test]
async fn a_runtime_api_that_keeps_failing_ends_the_function_promptly() {
    use stepcraft_tests::runtime_api::Fault;
    let api = RuntimeApi::start().await;
    for _ in 0..10 {
        api.inject(Fault::ServerError);
    }
    let mut function = Function::spawn(panics_fixture(), &api);
    let status = function.wait_exit(Duration::from_secs(10)).await.expect("the function exits, it does not hang");
    assert!(!status.success(), "{status:?}");
    assert_eq!(api.stats().faults, 4, "the first try and three restarts");
}

#[tokio::test]
async fn the_glue_survives_a_connection_closed_mid_response() {
    use stepcraft_tests::runtime_api::Fault;
    let api = RuntimeApi::start().await;
    let function = Function::spawn(panics_fixture(), &api);
    served(&api, 1).await;
    api.inject(Fault::CloseMidResponse);
    // The event stays queued: the restarted loop takes it.
    served(&api, 3).await;
    assert_eq!(api.stats().faults, 1);
    assert!(api.stats().connections >= 2, "{:?}", api.stats());
    drop(function);
}

#[tokio::test]
async fn a_next_delayed_for_seconds_is_waited_for() {
    use stepcraft_tests::runtime_api::Fault;
    let api = RuntimeApi::start().await;
    let _function = Function::spawn(panics_fixture(), &api);
    served(&api, 1).await;
    api.inject(Fault::Delay(Duration::from_secs(3)));
    let started = std::time::Instant::now();
    served(&api, 1).await;
    assert!(started.elapsed() >= Duration::from_secs(3));
    served(&api, 1).await;
}

#[tokio::test]
async fn an_invocation_past_its_deadline_is_refused_with_deadline_exceeded() {
    let api = RuntimeApi::start().await;
    let _function = Function::spawn(panics_fixture(), &api);
    let past = std::time::SystemTime::now() - Duration::from_secs(5);
    let outcome = api.invoke_event(Event::json(&json!({"panic": true})).with_deadline(past)).await;
    let error = outcome.unwrap_err();
    assert_eq!(error.error_type, "DeadlineExceeded", "{outcome:?}");
    assert!(error.error_message.starts_with("the invocation's deadline passed"), "{}", error.error_message);
    served(&api, 1).await;
}

#[tokio::test]
async fn a_thousand_invocations_with_a_panic_every_tenth_leak_nothing() {
    let api = RuntimeApi::start().await;
    let function = Function::spawn(panics_fixture(), &api);
    let pid = function.pid().to_string();
    let run = async |from: usize, to: usize| {
        for i in from..to {
            let outcome = api.invoke_json(&json!({"panic": i % 10 == 9})).await;
            if i % 10 == 9 {
                let error = outcome.unwrap_err();
                assert_eq!(error.error_type, "Panic", "invocation {i}: {outcome:?}");
                assert!(error.error_message.contains("index out of bounds"), "{}", error.error_message);
            } else {
                assert_eq!(outcome.json(), json!({"survived": true}), "invocation {i}");
            }
        }
    };
    // Warm up (allocator pools, the connection), then measure across a thousand.
    run(0, 100).await;
    let before = stepcraft_tests::fuzz::rss_of(&pid);
    let started = std::time::Instant::now();
    run(100, 1100).await;
    let elapsed = started.elapsed();
    let after = stepcraft_tests::fuzz::rss_of(&pid);
    let stats = api.stats();
    assert_eq!((stats.responses, stats.errors), (990, 110), "{stats:?}");
    let kib = |b: u64| b as f64 / 1024.0;
    eprintln!(
        "1000 invocations (100 panicking) in {:.2} s: function resident {:.0} KiB before, {:.0} KiB after ({:+.0} KiB)",
        elapsed.as_secs_f64(),
        kib(before),
        kib(after),
        kib(after) - kib(before)
    );
    assert!(before > 0 && after > 0, "the function's RSS is readable");
    assert!(
        after < before + 4 * 1024 * 1024,
        "the function grew by {:.0} KiB over 1000 invocations",
        kib(after) - kib(before)
    );
}
