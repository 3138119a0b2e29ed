//! Fuzz target: event decoding for every kind of handler (custom JSON, API Gateway REST (v1)
//! and HTTP (v2) APIs, function URLs, SQS, S3, EventBridge), in-process through
//! [`Entry::invoke`], the path `BINARY invoke` and Lambda share. Events are the samples of
//! `examples/handlers/events` (and a REST and a function URL event written here), mutated as
//! JSON (fields dropped, retyped, renamed, nested bodies mutated) and as bytes (truncated,
//! spliced, invalid UTF-8, nested past serde's limit, over Lambda's 6 MiB).
//!
//! A case passes when the invocation answers (no panic: the handlers here never panic, so a
//! `Panic` error is a finding), with `InvalidInput` exactly when the event does not decode
//! (`PayloadTooLarge` past 6 MiB), the error naming the field a retyped leaf sits at, an SQS
//! batch reporting exactly the records whose body does not decode, and an HTTP body that does
//! not decode answered `400`.

use super::Gen;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::future::Future;
use std::sync::OnceLock;
use stepcraft::__private::{Entry, FunctionError, Handler, HttpHandler};
use stepcraft::events::{EventBridgeEvent, S3Event};
use stepcraft::http::{Cors, Json};

/// A handler's error; the handlers here do not fail.
#[derive(Debug, thiserror::Error, stepcraft::Error)]
pub enum Never {}

/// The event of the custom JSON and SQS handlers (the checkout's order, with nested records).
pub type Order = checkout::Order;

/// The JSON body of the HTTP handler.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct NewTodo {
    pub title: String,
    #[serde(default)]
    pub done: bool,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// The `detail` of the EventBridge handler.
#[derive(Debug, Serialize, Deserialize)]
pub struct OrderShipped {
    pub order_id: String,
    pub carrier: String,
    #[serde(default)]
    pub parcels: Vec<u32>,
}

macro_rules! handler {
    ($name:ident, $event:ty, $output:ty, |$e:ident| $body:expr) => {
        #[derive(Debug)]
        pub struct $name;
        impl Handler for $name {
            const NAME: &'static str = stringify!($name);
            type State = ();
            type Event = $event;
            type Output = $output;
            type Error = Never;
            fn init() -> impl Future<Output = Result<(), FunctionError>> {
                async { Ok(()) }
            }
            fn call(
                $e: $event,
                _: &'static (),
                _: stepcraft::Context,
            ) -> impl Future<Output = Result<$output, Never>> + Send {
                async move { Ok($body) }
            }
        }
    };
}

handler!(JsonOrders, Order, Value, |order| json!({"orderId": order.order_id, "items": order.items.len()}));
handler!(SqsOrders, Order, (), |_order| ());
handler!(Uploads, S3Event, Value, |event| json!({"records": event.records.len()}));
handler!(Shipments, EventBridgeEvent<OrderShipped>, Value, |event| json!({"orderId": event.detail.order_id}));
handler!(Todos, Json<NewTodo>, (u16, Json<Value>), |todo| (201, Json(json!({"title": todo.0.title}))));

impl HttpHandler for Todos {
    const CORS: Option<Cors> = None;
}

/// The kinds of handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Json,
    RestApi,
    HttpApi,
    FunctionUrl,
    Sqs,
    S3,
    EventBridge,
}

/// Every kind, in order.
pub const KINDS: [Kind; 7] =
    [Kind::Json, Kind::RestApi, Kind::HttpApi, Kind::FunctionUrl, Kind::Sqs, Kind::S3, Kind::EventBridge];

impl Kind {
    /// The table entry of this kind's handler.
    pub fn entry(self) -> Entry {
        match self {
            Kind::Json => Entry::json::<JsonOrders>(),
            Kind::RestApi | Kind::HttpApi | Kind::FunctionUrl => Entry::http::<Todos>(),
            Kind::Sqs => Entry::sqs::<SqsOrders>(),
            Kind::S3 => Entry::json::<Uploads>(),
            Kind::EventBridge => Entry::json::<Shipments>(),
        }
    }
}

fn sample(file: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/handlers/events").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn order_json() -> Value {
    json!({"orderId": "o-1", "customerEmail": "a@example.com", "items": [{"sku": "a", "quantity": 2},
           {"sku": "b", "quantity": 1}], "totalCents": 4599, "card": "4242424242424242", "express": false})
}

/// The valid seed event of each kind.
pub fn seed(kind: Kind) -> Value {
    static SEEDS: OnceLock<Vec<Value>> = OnceLock::new();
    let seeds = SEEDS.get_or_init(|| {
        let todo = json!({"title": "write the README", "done": false, "tags": ["docs"]}).to_string();
        let mut http_api = sample("todo_api.json");
        http_api["body"] = json!(todo);
        let mut url = http_api.clone();
        url["routeKey"] = json!("$default");
        url["requestContext"]["routeKey"] = json!("$default");
        url["requestContext"]["domainName"] = json!("abcdefg.lambda-url.us-east-1.on.aws");
        url["requestContext"]["apiId"] = json!("abcdefg");
        let rest = json!({
            "resource": "/todos", "path": "/todos", "httpMethod": "POST",
            "headers": {"content-type": "application/json", "Host": "abc.execute-api.us-east-1.amazonaws.com"},
            "multiValueHeaders": {"content-type": ["application/json"]},
            "queryStringParameters": {"page": "1"}, "multiValueQueryStringParameters": {"page": ["1"]},
            "pathParameters": null, "stageVariables": null,
            "requestContext": {"accountId": "111122223333", "resourceId": "abc", "stage": "prod",
                "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "identity": {"sourceIp": "192.0.2.10"},
                "resourcePath": "/todos", "httpMethod": "POST", "apiId": "abc123", "path": "/prod/todos"},
            "body": todo, "isBase64Encoded": false
        });
        let mut sqs = sample("order_queue.json");
        for record in sqs["Records"].as_array_mut().expect("records") {
            record["body"] = json!(order_json().to_string());
        }
        let mut eventbridge = sample("shipments.json");
        eventbridge["detail"]["parcels"] = json!([1, 2]);
        vec![order_json(), rest, http_api, url, sqs, sample("uploads.json"), eventbridge]
    });
    seeds[KINDS.iter().position(|k| *k == kind).expect("a kind")].clone()
}

/// A leaf's path in the `serde_path_to_error` spelling (`items[1].quantity`).
fn path_text(path: &[Result<String, usize>]) -> String {
    let mut s = String::new();
    for step in path {
        match step {
            Ok(key) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(key);
            }
            Err(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

fn leaves(v: &Value, path: &mut Vec<Result<String, usize>>, out: &mut Vec<Vec<Result<String, usize>>>) {
    match v {
        Value::Object(map) => map.iter().for_each(|(k, c)| {
            path.push(Ok(k.clone()));
            leaves(c, path, out);
            path.pop();
        }),
        Value::Array(items) => items.iter().enumerate().for_each(|(i, c)| {
            path.push(Err(i));
            leaves(c, path, out);
            path.pop();
        }),
        _ => out.push(path.clone()),
    }
}

fn leaf_mut<'v>(v: &'v mut Value, path: &[Result<String, usize>]) -> &'v mut Value {
    path.iter().fold(v, |v, step| match step {
        Ok(k) => &mut v[k.as_str()],
        Err(i) => &mut v[*i],
    })
}

/// A value of another JSON type than `v`'s.
fn retyped(g: &mut Gen<'_>, v: &Value) -> Value {
    let others: Vec<Value> = [json!(null), json!(true), json!(-7), json!(1.5), json!("text"), json!([]), json!({})]
        .into_iter()
        .filter(|new| std::mem::discriminant(new) != std::mem::discriminant(v))
        .collect();
    g.pick(&others)
}

/// One structural mutation of a JSON document (any shape).
pub fn mutate_json(g: &mut Gen<'_>, v: &mut Value) {
    let mut all = Vec::new();
    leaves(v, &mut Vec::new(), &mut all);
    if all.is_empty() || g.chance(1, 10) {
        *v = super::jsonata::value(g, 3);
        return;
    }
    let path = g.pick(&all);
    match g.below(6) {
        0 => {
            // The leaf's field (or element) removed.
            if let Some((last, parent)) = path.split_last() {
                match (leaf_mut(v, parent), last) {
                    (Value::Object(map), Ok(k)) => {
                        map.remove(k);
                    }
                    (Value::Array(items), Err(i)) => {
                        items.remove(*i);
                    }
                    _ => {}
                }
            }
        }
        1 => {
            let leaf = leaf_mut(v, &path);
            *leaf = retyped(g, leaf);
        }
        2 => *leaf_mut(v, &path) = json!(g.nasty_string(4)),
        3 => {
            *leaf_mut(v, &path) =
                g.pick(&[json!(-1), json!(u64::MAX), json!(i64::MIN), json!(1e308), json!(0.5), json!(4294967296u64)])
        }
        4 => {
            // A string leaf holding JSON (an SQS or HTTP body) mutated inside.
            let leaf = leaf_mut(v, &path);
            if let Some(Ok(mut inner)) = leaf.as_str().map(serde_json::from_str::<Value>) {
                mutate_json(g, &mut inner);
                *leaf = json!(inner.to_string());
            } else if let Some(s) = leaf.as_str() {
                *leaf = json!(g.mutate_text(s));
            }
        }
        _ => {
            if let Some((Ok(key), parent)) = path.split_last()
                && let Value::Object(map) = leaf_mut(v, parent)
                && let Some(value) = map.remove(key)
            {
                map.insert(g.mutate_text(key), value);
            }
        }
    }
}

/// Byte-level damage: truncation, splicing, invalid UTF-8, deep nesting, size past the limit.
fn damage(g: &mut Gen<'_>, mut bytes: Vec<u8>) -> Vec<u8> {
    match g.below(6) {
        0 => {
            let at = g.below(bytes.len() + 1);
            bytes.truncate(at);
        }
        1 => {
            let at = g.below(bytes.len() + 1);
            let junk = g.pick(&[&b"\xff\xfe"[..], b"\xc3", b"\\u", b"\"", b"}", b"]]]", b"\\uD800", b"\x00", b"1e999"]);
            bytes.splice(at..at, junk.iter().copied());
        }
        2 => {
            let depth = g.pick(&[100usize, 127, 128, 129, 10_000, 1_000_000]);
            let mut deep = vec![b'['; depth];
            deep.extend_from_slice(&bytes);
            deep.extend(std::iter::repeat_n(b']', depth));
            bytes = deep;
        }
        3 => {
            let at = g.below(bytes.len() + 1);
            let len = g.below(16).min(bytes.len() - at);
            bytes.drain(at..at + len);
        }
        4 => {
            // A document padded to around Lambda's 6 MiB limit (the limit counts bytes).
            let size: usize = g.pick(&[6 * 1024 * 1024 - 64, 6 * 1024 * 1024 + 1, 8 * 1024 * 1024]);
            let mut big = b"{\"pad\": \"".to_vec();
            big.resize(size.saturating_sub(2), b'x');
            big.extend_from_slice(b"\"}");
            bytes = big;
        }
        _ => bytes.extend_from_slice(b" trailing"),
    }
    bytes
}

/// One invocation's event: the kind, the bytes, and the path of a retyped leaf if that was the
/// only change (the error must name it).
#[derive(Debug)]
pub struct Case {
    pub kind: Kind,
    pub event: Vec<u8>,
    pub retyped: Option<String>,
}

/// Generates one case.
pub fn generate(g: &mut Gen<'_>) -> Case {
    let kind = g.pick(&KINDS);
    let mut event = seed(kind);
    let mut retyped_path = None;
    if matches!(kind, Kind::Json | Kind::EventBridge) && g.chance(1, 4) {
        // One leaf of a field the handler's type reads, retyped.
        let mut all = Vec::new();
        let root = if kind == Kind::Json { &event } else { &event["detail"] };
        leaves(root, &mut Vec::new(), &mut all);
        let mut path = g.pick(&all);
        if kind == Kind::EventBridge {
            path.insert(0, Ok("detail".to_owned()));
        }
        let leaf = leaf_mut(&mut event, &path);
        *leaf = retyped(g, leaf);
        retyped_path = Some(path_text(&path));
    } else {
        for _ in 0..g.below(4) {
            mutate_json(g, &mut event);
        }
    }
    let mut bytes = serde_json::to_vec(&event).expect("JSON serialises");
    if g.chance(1, 6) {
        bytes = damage(g, bytes);
        retyped_path = None;
    }
    Case { kind, event: bytes, retyped: retyped_path }
}

/// One case: generated, invoked, checked.
pub fn case(g: &mut Gen<'_>) {
    check(&generate(g));
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime"))
}

const MAX_PAYLOAD: usize = 6 * 1024 * 1024;

/// Invokes `case` and checks the answer against what the event is.
pub fn check(case: &Case) {
    let entry = case.kind.entry();
    let outcome = std::thread::scope(|s| {
        // A thread of its own, so that the runtime is never entered twice.
        s.spawn(|| runtime().block_on(entry.invoke(case.event.clone()))).join().expect("the invocation does not panic")
    });
    let shown = String::from_utf8_lossy(&case.event[..case.event.len().min(300)]).into_owned();
    if case.event.len() > MAX_PAYLOAD {
        let error = outcome.expect_err("an oversized event is refused");
        assert_eq!(error.error_type, "PayloadTooLarge", "{shown}");
        return;
    }
    // An object that does not fit must be told what does not fit (a top-level array may be
    // read as a struct's fields in order, as serde does, and fail without a name).
    let json: Result<Value, _> = serde_json::from_slice::<Value>(&case.event)
        .and_then(|v| if v.is_object() { Ok(v) } else { Err(serde::de::Error::custom("not an object")) });
    match case.kind {
        Kind::Json | Kind::S3 | Kind::EventBridge => {
            let decodes = match case.kind {
                Kind::Json => serde_json::from_slice::<Order>(&case.event).is_ok(),
                Kind::S3 => serde_json::from_slice::<S3Event>(&case.event).is_ok(),
                _ => serde_json::from_slice::<EventBridgeEvent<OrderShipped>>(&case.event).is_ok(),
            };
            match outcome {
                Ok(_) => assert!(decodes, "an event that does not decode was accepted: {shown}"),
                Err(error) => {
                    assert!(!decodes, "a valid event was refused ({error}): {shown}");
                    assert_invalid_input(&error, json.is_ok(), &shown);
                    if let Some(path) = &case.retyped {
                        assert!(
                            error.message.starts_with(&format!("invalid input at `{path}`")),
                            "the error names the retyped field `{path}`: {}",
                            error.message
                        );
                    }
                }
            }
        }
        Kind::Sqs => match outcome {
            Ok(response) => {
                let batch: stepcraft::events::SqsEvent =
                    serde_json::from_slice(&case.event).expect("an accepted batch decodes");
                let expected: Vec<String> = batch
                    .records
                    .iter()
                    .filter(|r| serde_json::from_str::<Order>(r.body.as_deref().unwrap_or_default()).is_err())
                    .map(|r| r.message_id.clone().unwrap_or_default())
                    .collect();
                let reported: Vec<String> = response["batchItemFailures"]
                    .as_array()
                    .expect("batchItemFailures")
                    .iter()
                    .map(|f| f["itemIdentifier"].as_str().unwrap_or_default().to_owned())
                    .collect();
                assert_eq!(reported, expected, "the failed records are exactly those that do not decode: {shown}");
            }
            Err(error) => {
                assert!(
                    serde_json::from_slice::<stepcraft::events::SqsEvent>(&case.event).is_err(),
                    "{error}: {shown}"
                );
                assert_invalid_input(&error, json.is_ok(), &shown);
            }
        },
        Kind::RestApi | Kind::HttpApi | Kind::FunctionUrl => match outcome {
            Ok(response) => {
                let status = response["statusCode"].as_u64().expect("a status code");
                let body = response["body"].as_str().unwrap_or_default();
                match status {
                    201 => {}
                    400 => {
                        let body: Value = serde_json::from_str(body).expect("the error body is JSON");
                        assert_eq!(body["error"]["type"], "InvalidInput", "{body}");
                        let message = body["error"]["message"].as_str().unwrap_or_default();
                        assert!(message.starts_with("invalid input"), "{message}");
                    }
                    other => panic!("status {other} for {shown}: {body}"),
                }
            }
            Err(error) => assert_invalid_input(&error, json.is_ok(), &shown),
        },
    }
}

fn assert_invalid_input(error: &FunctionError, valid_json: bool, shown: &str) {
    assert_eq!(error.error_type, "InvalidInput", "{}: {shown}", error.message);
    assert!(error.message.starts_with("invalid input"), "{}", error.message);
    if valid_json {
        // A document that parses but does not fit names what does not fit.
        assert!(error.message.contains('`') || error.message.contains("expected"), "{}: {shown}", error.message);
    }
}
