//! Fuzzing event decoding for every kind of handler (`stepcraft_tests::fuzz::events`): a fixed
//! time budget in the test command, longer with `STEPCRAFT_FUZZ_SECONDS` (see
//! `RELIABILITY.md`). Memory stays bounded: the process's peak resident set after the run
//! (events up to 8 MiB among them) is checked.

use std::time::Duration;
use stepcraft_tests::fuzz::{self, Budget, events};

#[test]
fn fuzz_event_decoding() {
    fuzz::run("events", Budget::from_env(15.0), Duration::from_secs(30), events::case);
    let peak = stepcraft_tests::load::peak_rss_bytes();
    eprintln!("fuzz events: peak resident set {:.0} MiB", peak as f64 / (1024.0 * 1024.0));
    assert!(peak < 768 * 1024 * 1024, "decoding events took {} MiB at its peak", peak / (1024 * 1024));
}

#[test]
fn every_seed_event_is_accepted() {
    for kind in events::KINDS {
        let event = serde_json::to_vec(&events::seed(kind)).unwrap();
        events::check(&events::Case { kind, event, retyped: None });
    }
}

/// Found by the fuzzer: `lambda_http` tries each kind of HTTP event in turn and its error named
/// no field; the glue now decodes the event again as the kind its shape says.
#[test]
fn an_http_event_that_does_not_decode_names_its_field() {
    let mut rest = events::seed(events::Kind::RestApi);
    rest["requestContext"]["stage"] = serde_json::json!(["prod"]);
    let mut http = events::seed(events::Kind::HttpApi);
    http["requestContext"]["http"]["method"] = serde_json::json!(7);
    let cases = [
        (rest, "invalid input at `requestContext.stage`", "(read as an API Gateway REST API event)"),
        (
            http,
            "invalid input at `requestContext.http.method`",
            "(read as an API Gateway HTTP API or function URL event)",
        ),
    ];
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    for (event, start, end) in cases {
        let entry = events::Kind::HttpApi.entry();
        let error = rt.block_on(entry.invoke(serde_json::to_vec(&event).unwrap())).unwrap_err();
        assert_eq!(error.error_type, "InvalidInput");
        assert!(error.message.starts_with(start) && error.message.ends_with(end), "{}", error.message);
    }
}

/// Found by the fuzzer: `lambda_http` (and `query_map`, `aws_lambda_events` under it) panic on
/// requests whose URL does not parse, on a REST API query parameter without values and on a
/// body marked base64 that is not; the glue refuses them first with a `400` naming the field.
#[test]
fn http_requests_lambda_http_would_panic_on_are_refused_naming_the_field() {
    use serde_json::json;
    let mut cases = Vec::new();
    let mut e = events::seed(events::Kind::HttpApi);
    e["headers"]["host"] = json!("?");
    cases.push((e, "headers.host"));
    let mut e = events::seed(events::Kind::HttpApi);
    e["rawQueryString"] = json!("a=\"b c\"");
    cases.push((e, "rawQueryString"));
    let mut e = events::seed(events::Kind::HttpApi);
    e["rawPath"] = json!(":99999");
    e["requestContext"]["stage"] = json!("$default");
    e["headers"].as_object_mut().unwrap().remove("host");
    e["requestContext"].as_object_mut().unwrap().remove("domainName");
    cases.push((e, "rawPath"));
    let mut e = events::seed(events::Kind::RestApi);
    e["multiValueQueryStringParameters"] = json!({"page": []});
    cases.push((e, "multiValueQueryStringParameters.page"));
    let mut e = events::seed(events::Kind::FunctionUrl);
    e["isBase64Encoded"] = json!(true);
    e["body"] = json!("{not base64}");
    cases.push((e, "body"));
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    for (event, field) in cases {
        let response = rt.block_on(events::Kind::HttpApi.entry().invoke(serde_json::to_vec(&event).unwrap()));
        let response = response.unwrap_or_else(|e| panic!("{field}: {e}"));
        assert_eq!(response["statusCode"], 400, "{field}: {response}");
        let body: serde_json::Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["error"]["type"], "InvalidInput");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(&format!("invalid input at `{field}`")), "{message}");
    }
}
