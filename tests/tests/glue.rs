//! The generated Lambda glue, end to end: the real example binaries run against a Lambda
//! Runtime API served on loopback by the test, exactly as Lambda runs a custom runtime.

use serde_json::{Value, json};
use stepcraft_tests::function::{Function, workspace_binary};
use stepcraft_tests::runtime_api::{Event, Outcome, RuntimeApi};

async fn start(package: &str, bin: &str, env: &[(&str, &str)]) -> (RuntimeApi, Function) {
    let api = RuntimeApi::start().await;
    let function = Function::spawn_with(workspace_binary(package, bin), &api, env);
    (api, function)
}

fn assert_error(outcome: &Outcome, error_type: &str, message_part: &str) {
    let error = outcome.unwrap_err();
    assert_eq!(error.error_type, error_type, "{outcome:?}");
    assert!(error.error_message.contains(message_part), "{:?} does not contain {message_part:?}", error.error_message);
}

#[tokio::test]
async fn hello_answers_and_reports_its_typed_error() {
    let (api, _function) = start("hello", "hello", &[]).await;
    assert_eq!(api.invoke_json(&json!({"user_id": "u-1"})).await.json(), json!({"status": "success"}));
    let outcome = api.invoke_json(&json!({"user_id": ""})).await;
    assert_error(&outcome, "MissingUserId", "`user_id` must not be empty");
}

#[tokio::test]
async fn bad_input_is_an_invalid_input_error_naming_the_field_and_the_process_keeps_serving() {
    let (api, _function) = start("hello", "hello", &[]).await;
    let cases: [(&[u8], &str); 5] = [
        (br#"{"user_id": "#, "EOF while parsing"),
        (b"not json at all", "expected ident"),
        (br#"{"name": "x"}"#, "missing field `user_id`"),
        (br#"{"user_id": 42}"#, "invalid input at `user_id`: invalid type: integer `42`, expected a string"),
        (br#""just a string""#, "invalid type: string \"just a string\", expected struct Request"),
    ];
    for (payload, message) in cases {
        assert_error(&api.invoke(payload.to_vec()).await, "InvalidInput", message);
    }
    let huge = format!(r#"{{"user_id": "{}"}}"#, "x".repeat(7 * 1024 * 1024));
    assert_error(&api.invoke(huge).await, "PayloadTooLarge", "Lambda accepts at most 6291456 bytes");
    assert_eq!(api.invoke_json(&json!({"user_id": "u-2"})).await.json(), json!({"status": "success"}));
    assert_eq!(api.stats().errors, 6);
}

#[tokio::test]
async fn every_log_line_carries_the_request_id_and_trace_id() {
    let (api, function) = start("hello", "hello", &[]).await;
    let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    let event = Event::json(&json!({"user_id": "u-9"})).with_request_id("req-logs-1").with_trace_id(trace);
    assert!(api.invoke_event(event).await.is_response());
    let line =
        function.wait_for_log("saying hello", std::time::Duration::from_secs(5)).await.expect("the user's log line");
    let line: Value = serde_json::from_str(&line).expect("a JSON log line");
    assert_eq!(line["requestId"], "req-logs-1");
    assert_eq!(line["xrayTraceId"], trace);
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["user_id"], "u-9");
    assert!(line["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
}

#[tokio::test]
async fn a_panic_is_reported_as_an_error_and_the_next_invocation_is_served() {
    let (api, function) = start("stepcraft-tests", "fixture_panics", &[]).await;
    for _ in 0..3 {
        let outcome = api.invoke_json(&json!({"panic": true})).await;
        assert_error(&outcome, "Panic", "the function panicked: index out of bounds");
        assert_eq!(api.invoke_json(&json!({"panic": false})).await.json(), json!({"survived": true}));
    }
    let logged = function.json_logs().into_iter().find(|l| l["message"] == "the function panicked");
    let logged = logged.expect("the panic is logged as JSON");
    assert!(logged["requestId"].is_string() && logged["location"].is_string(), "{logged}");
}

#[tokio::test]
async fn a_failing_init_is_reported_to_the_init_error_endpoint() {
    let (api, mut function) = start("stepcraft-tests", "fixture_init_fails", &[]).await;
    match api.invoke_json(&json!({})).await {
        Outcome::InitError(error) | Outcome::Exited(error) if error.error_type != "Runtime.ExitError" => {
            assert_eq!(error.error_type, "Runtime.InitError");
            assert!(error.error_message.contains("refused the connection"), "{error:?}");
        }
        other => panic!("expected an init error, got {other:?}"),
    }
    let error = api.init_error().expect("posted to /init/error");
    assert_eq!(error.error_type, "Runtime.InitError");
    assert_eq!(api.stats().next, 0, "no invocation is requested after a failed init");
    function.wait_exit(std::time::Duration::from_secs(5)).await;
    assert!(!function.is_running());
}

#[tokio::test]
async fn init_runs_once_per_cold_start_however_many_invocations() {
    let (api, function) = start("handlers", "todo_api", &[]).await;
    for id in 1..=25u64 {
        let outcome = api.invoke_json(&http_event("POST", &format!(r#"{{"title": "todo {id}"}}"#), None)).await;
        let response = outcome.json();
        assert_eq!(response["statusCode"], 201, "{response}");
        let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["id"], id, "the state outlives invocations");
    }
    let opened = function.logs().iter().filter(|l| l.contains("opening the store")).count();
    assert_eq!(opened, 1, "init ran {opened} times");
}

#[tokio::test]
async fn one_binary_hosts_several_activities_and_dispatches_on_the_handler_name() {
    let binary = workspace_binary("orders-activities", "orders-activities");
    let api = RuntimeApi::start().await;
    let _charge = Function::spawn_with(&binary, &api, &[("_HANDLER", "charge_payment")]);
    let payment = |card: &str| json!({"order_id": "o-1", "amount_cents": 1200, "card": card});
    assert_eq!(api.invoke_json(&payment("4242")).await.json(), json!({"order_id": "o-1", "charged_cents": 1200}));
    assert_error(&api.invoke_json(&payment("0000")).await, "CardDeclined", "card declined: insufficient funds");
    assert_error(&api.invoke_json(&payment("5555")).await, "GatewayDown", "gateway did not answer");

    let api = RuntimeApi::start().await;
    let _reserve = Function::spawn_with(&binary, &api, &[("_HANDLER", "reserve_inventory")]);
    let hold = api.invoke_json(&json!({"order_id": "o-1", "sku": "s-1", "quantity": 2})).await.json();
    assert_eq!(hold, json!({"hold_id": "hold-o-1", "order_id": "o-1"}));
    let outcome = api.invoke_json(&json!({"order_id": "o-1", "sku": "s-1", "quantity": 500})).await;
    assert_error(&outcome, "OutOfStock", "sku `s-1` is out of stock");
}

#[tokio::test]
async fn an_unknown_handler_name_is_an_init_error_listing_the_hosted_functions() {
    let api = RuntimeApi::start().await;
    let binary = workspace_binary("orders-activities", "orders-activities");
    let mut function = Function::spawn_with(&binary, &api, &[("_HANDLER", "refund_payment")]);
    let outcome = api.invoke_json(&json!({})).await;
    assert!(matches!(outcome, Outcome::InitError(_) | Outcome::Exited(_)), "{outcome:?}");
    let error = api.init_error().expect("posted to /init/error");
    assert_eq!(error.error_type, "Runtime.HandlerNotFound");
    assert!(
        error.error_message.contains("reserve_inventory, charge_payment, release_inventory")
            && error.error_message.contains("`refund_payment`"),
        "{error:?}"
    );
    function.wait_exit(std::time::Duration::from_secs(5)).await;
    assert!(!function.is_running());
}

/// An API Gateway HTTP API (payload 2.0) event.
fn http_event(method: &str, body: &str, origin: Option<&str>) -> Value {
    let mut headers = json!({"content-type": "application/json"});
    if let Some(origin) = origin {
        headers["origin"] = json!(origin);
    }
    json!({
        "version": "2.0", "routeKey": "$default", "rawPath": "/todos", "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "111111111111", "apiId": "api", "domainName": "api.example.com", "domainPrefix": "api",
            "http": {"method": method, "path": "/todos", "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "test"},
            "requestId": "apigw-1", "routeKey": "$default", "stage": "$default",
            "time": "23/Nov/2026:04:00:00 +0000", "timeEpoch": 1795406400000u64
        },
        "body": body, "isBase64Encoded": false
    })
}

fn preflight_event(origin: &str, method: &str) -> Value {
    let mut event = http_event("OPTIONS", "", Some(origin));
    event["headers"]["access-control-request-method"] = json!(method);
    event["headers"]["access-control-request-headers"] = json!("content-type");
    event
}

fn body_of(response: &Value) -> Value {
    serde_json::from_str(response["body"].as_str().expect("a body")).expect("a JSON body")
}

#[tokio::test]
async fn http_cors_preflight_is_answered_by_the_glue() {
    let (api, _function) = start("handlers", "todo_api", &[]).await;
    let response = api.invoke_json(&preflight_event("https://app.example.com", "POST")).await.json();
    assert_eq!(response["statusCode"], 204, "{response}");
    let headers = &response["headers"];
    assert_eq!(headers["access-control-allow-origin"], "https://app.example.com");
    assert_eq!(headers["access-control-allow-methods"], "GET, POST");
    assert_eq!(headers["access-control-allow-headers"], "content-type");
    assert_eq!(headers["access-control-max-age"], "600");
    assert_eq!(headers["vary"], "Origin");

    let refused = api.invoke_json(&preflight_event("https://evil.example.net", "POST")).await.json();
    assert_eq!(refused["statusCode"], 403);
    assert_eq!(refused["headers"].get("access-control-allow-origin"), None);
    assert_eq!(body_of(&refused)["error"]["type"], "CorsOriginNotAllowed");

    let refused = api.invoke_json(&preflight_event("https://app.example.com", "DELETE")).await.json();
    assert_eq!(refused["statusCode"], 403);
    assert_eq!(body_of(&refused)["error"]["type"], "CorsMethodNotAllowed");
}

#[tokio::test]
async fn http_errors_are_uniform_json_with_the_right_status() {
    let (api, _function) = start("handlers", "todo_api", &[]).await;
    let origin = Some("https://app.example.com");
    let created = api.invoke_json(&http_event("POST", r#"{"title": "ship it"}"#, origin)).await.json();
    assert_eq!(created["statusCode"], 201);
    assert_eq!(created["headers"]["access-control-allow-origin"], "https://app.example.com");
    assert_eq!(created["headers"]["content-type"], "application/json");
    let cases = [
        (r#"{"title": "   "}"#, 422, "EmptyTitle", "`title` must not be empty"),
        (r#"{"title": 7}"#, 400, "InvalidInput", "invalid input at `title`: invalid type: integer `7`"),
        (r#"{"title": "#, 400, "InvalidInput", "EOF while parsing"),
        ("", 400, "InvalidInput", "EOF while parsing"),
    ];
    for (body, status, error_type, message) in cases {
        let response = api.invoke_json(&http_event("POST", body, origin)).await.json();
        assert_eq!(response["statusCode"], status, "{response}");
        assert_eq!(response["headers"]["content-type"], "application/json");
        assert_eq!(response["headers"]["access-control-allow-origin"], "https://app.example.com");
        let error = &body_of(&response)["error"];
        assert_eq!(error["type"], error_type);
        assert!(error["message"].as_str().unwrap().contains(message), "{error}");
    }
    let long = format!(r#"{{"title": "{}"}}"#, "a".repeat(201));
    let response = api.invoke_json(&http_event("POST", &long, None)).await.json();
    assert_eq!(
        (response["statusCode"].clone(), body_of(&response)["error"]["type"].clone()),
        (json!(422), json!("TitleTooLong"))
    );
    assert_eq!(response["headers"].get("access-control-allow-origin"), None, "no origin, no CORS headers");
}

#[tokio::test]
async fn http_handlers_also_answer_rest_api_events_and_see_the_request_id() {
    let (api, _function) = start("handlers", "todo_api", &[]).await;
    let rest = json!({
        "resource": "/todos", "path": "/todos", "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"}, "multiValueHeaders": {},
        "queryStringParameters": null, "multiValueQueryStringParameters": null, "pathParameters": null,
        "stageVariables": null, "requestContext": {"accountId": "111111111111", "resourceId": "r", "stage": "prod",
        "requestId": "rest-1", "identity": {"sourceIp": "192.0.2.1"}, "resourcePath": "/todos", "httpMethod": "POST",
        "apiId": "api", "path": "/prod/todos"}, "body": "{\"title\": \"rest\"}", "isBase64Encoded": false
    });
    let outcome = api.invoke_event(Event::json(&rest).with_request_id("lambda-req-7")).await;
    let response = outcome.json();
    assert_eq!(response["statusCode"], 201, "{response}");
    assert_eq!(body_of(&response)["request_id"], "lambda-req-7");
}

#[tokio::test]
async fn sqs_batches_report_only_the_failed_records() {
    let (api, function) = start("handlers", "order_queue", &[]).await;
    let record =
        |id: &str, body: &str| json!({"messageId": id, "receiptHandle": "h", "body": body, "eventSource": "aws:sqs"});
    let batch = json!({"Records": [
        record("m-ok", r#"{"order_id": "a", "amount_cents": 500}"#),
        record("m-garbled", "not json"),
        record("m-empty", r#"{"order_id": "b", "amount_cents": 0}"#),
        record("m-poison", r#"{"order_id": "poison", "amount_cents": 1}"#),
        record("m-ok-2", r#"{"order_id": "c", "amount_cents": 7}"#),
    ]});
    let response = api.invoke_json(&batch).await.json();
    assert_eq!(
        response,
        json!({"batchItemFailures": [{"itemIdentifier": "m-garbled"}, {"itemIdentifier": "m-empty"}, {"itemIdentifier": "m-poison"}]})
    );
    // Log lines arrive a little after the response: wait for the last record's.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while function.logs().iter().filter(|l| l.contains("order accepted")).count() < 2
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let accepted = function.logs().iter().filter(|l| l.contains("order accepted")).count();
    assert_eq!(accepted, 2);
    let failed: Vec<Value> = function
        .json_logs()
        .into_iter()
        .filter(|l| l["message"].as_str().is_some_and(|m| m.starts_with("record failed")))
        .collect();
    let types: Vec<&str> = failed.iter().map(|l| l["errorType"].as_str().unwrap()).collect();
    assert_eq!(types, ["InvalidInput", "EmptyOrder", "Panic"]);
    assert!(failed.iter().all(|l| l["requestId"].is_string() && l["messageId"].is_string()));
    let empty = api.invoke_json(&json!({"Records": []})).await.json();
    assert_eq!(empty, json!({"batchItemFailures": []}));
}

#[tokio::test]
async fn s3_and_eventbridge_events_are_decoded_into_their_types() {
    let (api, _uploads) = start("handlers", "uploads", &[]).await;
    let s3 = json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1", "eventTime": "2026-11-23T04:00:00.000Z",
        "eventName": "ObjectCreated:Put", "userIdentity": {"principalId": "p"}, "requestParameters": {"sourceIPAddress": "192.0.2.1"},
        "responseElements": {}, "s3": {"s3SchemaVersion": "1.0", "configurationId": "c",
            "bucket": {"name": "uploads", "ownerIdentity": {"principalId": "p"}, "arn": "arn:aws:s3:::uploads"},
            "object": {"key": "photos/cat.png", "size": 1024, "eTag": "e", "sequencer": "s"}}
    }]});
    assert_eq!(api.invoke_json(&s3).await.json(), json!({"objects": ["s3://uploads/photos/cat.png"], "bytes": 1024}));
    assert_error(&api.invoke_json(&json!({"Records": []})).await, "NoRecords", "no records");

    let (api, _shipments) = start("handlers", "shipments", &[]).await;
    let event = |detail_type: &str| {
        json!({
            "version": "0", "id": "e-1", "detail-type": detail_type, "source": "orders", "account": "111111111111",
            "time": "2026-11-23T04:00:00Z", "region": "us-east-1", "resources": [],
            "detail": {"order_id": "o-7", "carrier": "ACME"}
        })
    };
    assert_eq!(
        api.invoke_json(&event("OrderShipped")).await.json(),
        json!({"order_id": "o-7", "message": "order o-7 is on its way with ACME"})
    );
    assert_error(&api.invoke_json(&event("OrderLost")).await, "UnexpectedDetailType", "`OrderLost`");
}
