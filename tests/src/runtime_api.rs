//! A Lambda Runtime API server on loopback, so that function binaries can be run for real as
//! child processes (see [`crate::function`]).
//!
//! It implements the 2018-06-01 Runtime API the way the Lambda service does:
//!
//! | request | answer |
//! | --- | --- |
//! | `GET /2018-06-01/runtime/invocation/next` | long-polls until an event is queued, then `200` with the payload and the `Lambda-Runtime-*` headers |
//! | `POST /2018-06-01/runtime/invocation/{id}/response` | `202`, completes that invocation; `413` past 6 MiB + 100 bytes (the invocation then fails with `Function.ResponseSizeTooLarge`) |
//! | `POST /2018-06-01/runtime/invocation/{id}/error` | `202`, completes that invocation as an error |
//! | `POST /2018-06-01/runtime/init/error` | `202`, records an init error: pending and later invocations resolve as [`Outcome::InitError`] |
//! | an unknown or already completed `{id}` | `400` `{"errorType":"InvalidRequestID",...}` |
//! | anything else | `404` |
//!
//! ```no_run
//! # async fn demo() {
//! use stepcraft_tests::{function::{Function, workspace_binary}, runtime_api::RuntimeApi};
//! let api = RuntimeApi::start().await;
//! let _function = Function::spawn(workspace_binary("stepcraft-tests", "hello_baseline"), &api);
//! let outcome = api.invoke(r#"{"user_id":"u-1"}"#).await;
//! assert_eq!(outcome.json()["status"], "success");
//! # }
//! ```
//!
//! Differences from the service, on purpose: the deadline is only told to the function (the
//! server does not kill anything when it passes; [`Event::timeout`] bounds how long the test
//! waits instead), several invocations may be in flight at once (as with Lambda Managed
//! Instances), and when the last [`Function`](crate::function::Function) attached to the
//! server exits, pending and later invocations fail at once with [`Outcome::Exited`] (the
//! service would start a new execution environment; a test would rather know).

use std::{
    collections::{HashMap, VecDeque},
    convert::Infallible,
    fmt,
    hash::{BuildHasher, Hasher},
    net::SocketAddr,
    sync::{
        Arc, Mutex, MutexGuard, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::{
    HeaderMap, Method, Request, Response, StatusCode,
    body::Incoming,
    header::{CONTENT_TYPE, HeaderName, HeaderValue},
    server::conn::http1,
    service::service_fn,
};
use hyper_util::rt::TokioIo;
use tokio::{
    net::TcpListener,
    sync::{Notify, oneshot},
    task::{JoinHandle, JoinSet},
};

/// How long [`RuntimeApi::invoke`] waits for the function before answering
/// [`Outcome::TimedOut`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The deadline given to the function by default, counted from the invocation.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(30);
/// The largest response body the service accepts for a buffered invocation (6 MiB + 100 bytes).
pub const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024 + 100;
/// The function ARN's account and region when the event does not give one.
const DEFAULT_ARN_PREFIX: &str = "arn:aws:lambda:us-east-1:123456789012:function:";
/// The function name in the default ARN when no function was spawned against the server.
const DEFAULT_FUNCTION_NAME: &str = "stepcraft-test";

const PREFIX: &str = "/2018-06-01/runtime/";
const REQUEST_ID: HeaderName = HeaderName::from_static("lambda-runtime-aws-request-id");
const DEADLINE_MS: HeaderName = HeaderName::from_static("lambda-runtime-deadline-ms");
const FUNCTION_ARN: HeaderName = HeaderName::from_static("lambda-runtime-invoked-function-arn");
const TRACE_ID: HeaderName = HeaderName::from_static("lambda-runtime-trace-id");
const CLIENT_CONTEXT: HeaderName = HeaderName::from_static("lambda-runtime-client-context");
const COGNITO_IDENTITY: HeaderName = HeaderName::from_static("lambda-runtime-cognito-identity");
const TENANT_ID: HeaderName = HeaderName::from_static("lambda-runtime-aws-tenant-id");
const ERROR_TYPE: HeaderName = HeaderName::from_static("lambda-runtime-function-error-type");

/* ------------------------------------------- EVENT ------------------------------------------- */

/// One invocation to send: the payload and everything the Runtime API tells the function
/// about it. Build it with [`Event::new`] or [`Event::json`] and the `with_*` methods.
#[derive(Debug, Clone)]
pub struct Event {
    /// The event body, sent as is.
    pub payload: Bytes,
    /// `Lambda-Runtime-Aws-Request-Id`; unique by default (a UUID v4 look-alike).
    pub request_id: String,
    /// `Lambda-Runtime-Deadline-Ms`; now + [`DEFAULT_DEADLINE`] by default.
    pub deadline: SystemTime,
    /// `Lambda-Runtime-Invoked-Function-Arn`; by default built from the name of the function
    /// last spawned against the server.
    pub function_arn: Option<String>,
    /// `Lambda-Runtime-Trace-Id`, sent only when set.
    pub trace_id: Option<String>,
    /// `Lambda-Runtime-Client-Context` (JSON), sent only when set.
    pub client_context: Option<String>,
    /// `Lambda-Runtime-Cognito-Identity` (JSON), sent only when set.
    pub cognito_identity: Option<String>,
    /// `Lambda-Runtime-Aws-Tenant-Id`, sent only when set.
    pub tenant_id: Option<String>,
    /// How long [`RuntimeApi::invoke_event`] waits for the outcome; [`DEFAULT_TIMEOUT`] by default.
    pub timeout: Duration,
}

impl Event {
    /// An event with this payload and the defaults above.
    pub fn new(payload: impl Into<Bytes>) -> Event {
        Event {
            payload: payload.into(),
            request_id: new_request_id(),
            deadline: SystemTime::now() + DEFAULT_DEADLINE,
            function_arn: None,
            trace_id: None,
            client_context: None,
            cognito_identity: None,
            tenant_id: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// An event whose payload is this JSON value.
    pub fn json(value: &serde_json::Value) -> Event {
        Event::new(serde_json::to_vec(value).expect("a serde_json::Value always serialises"))
    }

    /// Sets the request id.
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Event {
        self.request_id = request_id.into();
        self
    }

    /// Sets the deadline to now + `after`.
    pub fn with_deadline_in(mut self, after: Duration) -> Event {
        self.deadline = SystemTime::now() + after;
        self
    }

    /// Sets the deadline.
    pub fn with_deadline(mut self, deadline: SystemTime) -> Event {
        self.deadline = deadline;
        self
    }

    /// Sets the invoked function ARN.
    pub fn with_function_arn(mut self, arn: impl Into<String>) -> Event {
        self.function_arn = Some(arn.into());
        self
    }

    /// Sets the X-Ray trace id, e.g. `Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1`.
    pub fn with_trace_id(mut self, trace_id: impl Into<String>) -> Event {
        self.trace_id = Some(trace_id.into());
        self
    }

    /// Sets the client context (a JSON document).
    pub fn with_client_context(mut self, client_context: impl Into<String>) -> Event {
        self.client_context = Some(client_context.into());
        self
    }

    /// Sets the Cognito identity (a JSON document).
    pub fn with_cognito_identity(mut self, identity: impl Into<String>) -> Event {
        self.cognito_identity = Some(identity.into());
        self
    }

    /// Sets the tenant id.
    pub fn with_tenant_id(mut self, tenant_id: impl Into<String>) -> Event {
        self.tenant_id = Some(tenant_id.into());
        self
    }

    /// Sets how long the test waits for the outcome.
    pub fn with_timeout(mut self, timeout: Duration) -> Event {
        self.timeout = timeout;
        self
    }

    /// The headers of the `next` answer; panics with a clear message on a value HTTP can't carry.
    fn headers(&self, default_function_name: &str) -> HeaderMap {
        fn value(name: &HeaderName, value: &str) -> HeaderValue {
            HeaderValue::from_str(value).unwrap_or_else(|_| panic!("{name} {value:?} is not a valid HTTP header value"))
        }
        let deadline_ms = self.deadline.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
        let arn = match &self.function_arn {
            Some(arn) => arn.clone(),
            None => format!("{DEFAULT_ARN_PREFIX}{default_function_name}"),
        };
        let mut headers = HeaderMap::with_capacity(8);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(REQUEST_ID, value(&REQUEST_ID, &self.request_id));
        headers.insert(DEADLINE_MS, HeaderValue::from(deadline_ms as u64));
        headers.insert(FUNCTION_ARN, value(&FUNCTION_ARN, &arn));
        for (name, v) in [
            (TRACE_ID, &self.trace_id),
            (CLIENT_CONTEXT, &self.client_context),
            (COGNITO_IDENTITY, &self.cognito_identity),
            (TENANT_ID, &self.tenant_id),
        ] {
            if let Some(v) = v {
                let v = value(&name, v);
                headers.insert(name, v);
            }
        }
        headers
    }
}

/// A fresh request id shaped like the service's (a UUID v4), unique within this process.
pub fn new_request_id() -> String {
    static SEED: OnceLock<(u64, u64)> = OnceLock::new();
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let (hi, lo) = *SEED.get_or_init(|| {
        let random = || std::collections::hash_map::RandomState::new().build_hasher().finish();
        (random(), random())
    });
    let n = lo.wrapping_add(SEQ.fetch_add(1, Ordering::Relaxed));
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xfff,
        0x8000 | ((n >> 48) & 0x3fff),
        n & 0xffff_ffff_ffff
    )
}

/* ------------------------------------------ OUTCOME ------------------------------------------ */

/// An error document as the function posted it (`{"errorType","errorMessage",...}`), or as the
/// service makes one up.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorBody {
    /// `errorType`, or the `Lambda-Runtime-Function-Error-Type` header when the body has none.
    pub error_type: String,
    /// `errorMessage`, empty when the body has none.
    pub error_message: String,
    /// The whole body as JSON (a JSON string holding the text when it was not JSON).
    pub raw: serde_json::Value,
}

impl ErrorBody {
    /// An error the server itself reports, shaped like the service's.
    pub fn new(error_type: &str, error_message: impl Into<String>) -> ErrorBody {
        let error_message = error_message.into();
        ErrorBody {
            raw: serde_json::json!({ "errorType": error_type, "errorMessage": error_message }),
            error_type: error_type.to_owned(),
            error_message,
        }
    }

    fn parse(body: &[u8], header_type: Option<&str>) -> ErrorBody {
        let raw = serde_json::from_slice(body)
            .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(body).into_owned()));
        let field = |name: &str| raw.get(name).and_then(serde_json::Value::as_str).map(str::to_owned);
        ErrorBody {
            error_type: field("errorType").or_else(|| header_type.map(str::to_owned)).unwrap_or_default(),
            error_message: field("errorMessage").unwrap_or_default(),
            raw,
        }
    }
}

/// How an invocation ended.
#[derive(Clone, PartialEq)]
pub enum Outcome {
    /// The function posted this body to `/response`.
    Response(Bytes),
    /// The function posted to `/error`: its `Lambda-Runtime-Function-Error-Type` header and body.
    Error {
        /// The `Lambda-Runtime-Function-Error-Type` header; `lambda_runtime` always sends `unhandled`.
        header_type: Option<String>,
        /// The posted body.
        body: ErrorBody,
    },
    /// The function posted to `/init/error` (before or while this invocation was pending).
    InitError(ErrorBody),
    /// The function's process exited (every function attached to the server has):
    /// `errorType` is `Runtime.ExitError` like the service's, the message tells the exit status.
    Exited(ErrorBody),
    /// Nothing answered within the event's timeout.
    TimedOut,
}

impl Outcome {
    /// The response body. Panics, telling what happened instead, unless this is a response.
    pub fn body(&self) -> &Bytes {
        match self {
            Outcome::Response(body) => body,
            other => panic!("expected a response from the function, got {other:?}"),
        }
    }

    /// The response body as JSON. Panics unless this is a response holding JSON.
    pub fn json(&self) -> serde_json::Value {
        let body = self.body();
        serde_json::from_slice(body).unwrap_or_else(|e| {
            panic!("the function's response is not JSON ({e}): {:?}", String::from_utf8_lossy(body))
        })
    }

    /// The error the function posted to `/error`. Panics unless this is [`Outcome::Error`].
    pub fn unwrap_err(&self) -> &ErrorBody {
        match self {
            Outcome::Error { body, .. } => body,
            other => panic!("expected an error from the function, got {other:?}"),
        }
    }

    /// The `Lambda-Runtime-Function-Error-Type` header of an [`Outcome::Error`]. Panics otherwise.
    pub fn error_header(&self) -> Option<&str> {
        match self {
            Outcome::Error { header_type, .. } => header_type.as_deref(),
            other => panic!("expected an error from the function, got {other:?}"),
        }
    }

    /// Whether the function posted a response.
    pub fn is_response(&self) -> bool {
        matches!(self, Outcome::Response(_))
    }

    /// Whether the function posted an error.
    pub fn is_error(&self) -> bool {
        matches!(self, Outcome::Error { .. })
    }
}

impl fmt::Debug for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Response(body) => f.debug_tuple("Response").field(&String::from_utf8_lossy(body)).finish(),
            Outcome::Error { header_type, body } => {
                f.debug_struct("Error").field("header_type", header_type).field("body", &body.raw).finish()
            }
            Outcome::InitError(body) => f.debug_tuple("InitError").field(&body.raw).finish(),
            Outcome::Exited(body) => f.debug_tuple("Exited").field(&body.raw).finish(),
            Outcome::TimedOut => {
                f.write_str("TimedOut (no function answered in time: is one running against this server? see its logs)")
            }
        }
    }
}

/// A fault the server injects into its next answer to `GET .../invocation/next` (faults are
/// used once each, in the order injected), to see the function survive what a Runtime API may
/// do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `next` is answered `500` (the service's "container error"); the event stays queued.
    ServerError,
    /// Once an event is queued, `next` sends its headers and half its body, then closes the
    /// connection; the event stays queued.
    CloseMidResponse,
    /// `next` waits this long (after an event is queued) before answering.
    Delay(Duration),
}

/// Counts of what the server has seen, to assert e.g. that a process kept serving.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// TCP connections accepted (`lambda_runtime` keeps one pooled connection).
    pub connections: u64,
    /// `GET .../invocation/next` requests received (including one still waiting).
    pub next: u64,
    /// Invocations handed to a function by `next`.
    pub delivered: u64,
    /// Accepted posts to `.../response`.
    pub responses: u64,
    /// Accepted posts to `.../error`.
    pub errors: u64,
    /// Posts to `/init/error`.
    pub init_errors: u64,
    /// Requests answered with a 4xx status (unknown request id, unknown path, too large).
    pub rejected: u64,
    /// Invocations started by [`RuntimeApi::invoke_event`].
    pub invocations: u64,
    /// Faults injected into answers (see [`Fault`]).
    pub faults: u64,
}

/* ------------------------------------------- SERVER ------------------------------------------ */

/// The Runtime API server. Dropping it shuts it down (its connections are closed).
pub struct RuntimeApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl fmt::Debug for RuntimeApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeApi").field("addr", &self.addr).field("stats", &self.stats()).finish()
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        // The accept task owns the connections' JoinSet: aborting it aborts them all.
        self.accept.abort();
    }
}

impl RuntimeApi {
    /// Binds `127.0.0.1:0` and starts serving on the current tokio runtime.
    pub async fn start() -> RuntimeApi {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the Runtime API server on 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address of a bound listener");
        let shared = Arc::new(Shared::default());
        let accept = tokio::spawn(accept_loop(listener, shared.clone()));
        RuntimeApi { addr, shared, accept }
    }

    /// `127.0.0.1:PORT`: the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn endpoint(&self) -> String {
        self.addr.to_string()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Invokes with this payload and the defaults of [`Event::new`].
    pub async fn invoke(&self, payload: impl Into<Bytes>) -> Outcome {
        self.invoke_event(Event::new(payload)).await
    }

    /// Invokes with this JSON payload and the defaults of [`Event::new`]. (The payload is
    /// serialised at once: the future does not borrow it.)
    pub fn invoke_json(&self, payload: &serde_json::Value) -> impl std::future::Future<Output = Outcome> + '_ {
        self.invoke_event(Event::json(payload))
    }

    /// Queues the event for the next `next`, and waits for its outcome at most `event.timeout`.
    /// Invocations may run concurrently (each is matched by its request id); a request id
    /// already pending panics.
    pub async fn invoke_event(&self, event: Event) -> Outcome {
        let request_id = event.request_id.clone();
        let timeout = event.timeout;
        let (reply, outcome) = oneshot::channel();
        {
            let mut state = self.shared.lock();
            state.stats.invocations += 1;
            if let Some(failure) = &state.failure {
                return failure.outcome(&request_id);
            }
            assert!(
                !state.in_flight.contains_key(&request_id) && !state.queue.iter().any(|p| p.request_id == request_id),
                "request id {request_id:?} is already pending on this server"
            );
            let name = state.function_name.as_deref().unwrap_or(DEFAULT_FUNCTION_NAME);
            let headers = event.headers(name);
            state.queue.push_back(Pending { request_id: request_id.clone(), headers, payload: event.payload, reply });
        }
        self.shared.queued.notify_one();
        match tokio::time::timeout(timeout, outcome).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) | Err(_) => {
                let mut state = self.shared.lock();
                state.queue.retain(|p| p.request_id != request_id);
                state.in_flight.remove(&request_id);
                Outcome::TimedOut
            }
        }
    }

    /// Injects `fault` into a coming answer to `next` (see [`Fault`]).
    pub fn inject(&self, fault: Fault) {
        self.shared.lock().faults.push_back(fault);
    }

    /// The last error posted to `/init/error`, if any.
    pub fn init_error(&self) -> Option<ErrorBody> {
        self.shared.lock().init_error.clone()
    }

    /// What the server has seen so far.
    pub fn stats(&self) -> Stats {
        self.shared.lock().stats
    }

    /// Invocations waiting for a `next`, and invocations handed out but not completed.
    pub fn pending(&self) -> (usize, usize) {
        let state = self.shared.lock();
        (state.queue.len(), state.in_flight.len())
    }

    pub(crate) fn handle(&self) -> ApiHandle {
        ApiHandle(self.shared.clone())
    }
}

/// What [`crate::function::Function`] tells the server about its process.
#[derive(Debug, Clone)]
pub(crate) struct ApiHandle(Arc<Shared>);

impl ApiHandle {
    /// A function process was started against this server: forget an earlier exit or init
    /// error (a new execution environment), and name the default ARN after it.
    pub(crate) fn attach(&self, function_name: &str) {
        let mut state = self.0.lock();
        state.live_functions += 1;
        state.failure = None;
        state.function_name = Some(function_name.to_owned());
    }

    /// A function process exited (`status` as `ExitStatus` displays it). When none is left,
    /// pending and later invocations fail with [`Outcome::Exited`] (unless an init error
    /// already explains why).
    pub(crate) fn detach(&self, status: String) {
        let mut state = self.0.lock();
        state.live_functions = state.live_functions.saturating_sub(1);
        if state.live_functions == 0 {
            if state.failure.is_none() {
                state.failure = Some(Failure::Exited(status));
            }
            state.fail_pending();
        }
    }
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    /// Signalled once per queued event, so that one waiting `next` takes it.
    queued: Notify,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data: carry on.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[derive(Default)]
struct State {
    queue: VecDeque<Pending>,
    in_flight: HashMap<String, Pending>,
    init_error: Option<ErrorBody>,
    failure: Option<Failure>,
    live_functions: usize,
    function_name: Option<String>,
    stats: Stats,
    faults: VecDeque<Fault>,
}

impl State {
    fn fail_pending(&mut self) {
        let Some(failure) = &self.failure else { return };
        for pending in self.queue.drain(..).chain(self.in_flight.drain().map(|(_, p)| p)) {
            let _ = pending.reply.send(failure.outcome(&pending.request_id));
        }
    }
}

struct Pending {
    request_id: String,
    headers: HeaderMap,
    payload: Bytes,
    reply: oneshot::Sender<Outcome>,
}

enum Failure {
    Init(ErrorBody),
    Exited(String),
}

impl Failure {
    fn outcome(&self, request_id: &str) -> Outcome {
        match self {
            Failure::Init(body) => Outcome::InitError(body.clone()),
            Failure::Exited(status) => Outcome::Exited(ErrorBody::new(
                "Runtime.ExitError",
                format!("RequestId: {request_id} Error: Runtime exited with error: {status}"),
            )),
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let Ok((stream, peer)) = with_peer(stream) else { continue };
                shared.lock().stats.connections += 1;
                let shared = shared.clone();
                connections.spawn(async move {
                    let peer = Arc::new(peer);
                    let service = service_fn(move |request| {
                        let shared = shared.clone();
                        let peer = peer.clone();
                        async move { Ok::<_, Infallible>(route(&shared, &peer, request).await) }
                    });
                    let _ = http1::Builder::new()
                        .keep_alive(true)
                        .title_case_headers(true)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// The connection's socket, and a second handle on it to see whether the peer has gone.
fn with_peer(stream: tokio::net::TcpStream) -> std::io::Result<(tokio::net::TcpStream, Peer)> {
    let stream = stream.into_std()?;
    let probe = stream.try_clone()?;
    Ok((tokio::net::TcpStream::from_std(stream)?, Peer(probe)))
}

/// A non-blocking clone of a connection's socket (same open file description).
struct Peer(std::net::TcpStream);

impl Peer {
    /// Whether the peer closed the connection. hyper notices it only when the connection's task
    /// runs next; a `next` waiting on a dead process (killed, or exited) may be woken first, so
    /// it must check before taking an event that would then be lost.
    fn has_gone(&self) -> bool {
        let mut byte = [0u8; 1];
        match self.0.peek(&mut byte) {
            Ok(n) => n == 0,
            Err(e) => !matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted),
        }
    }
}

type Answer = Response<Reply>;

/// The body of an answer: whole, or cut short (its full length announced, then the connection
/// dropped after part of it: [`Fault::CloseMidResponse`]).
enum Reply {
    Whole(Option<Bytes>),
    Cut { part: Option<Bytes>, announced: u64 },
}

impl Reply {
    fn whole(bytes: Bytes) -> Reply {
        Reply::Whole(Some(bytes))
    }
}

impl hyper::body::Body for Reply {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
        std::task::Poll::Ready(match self.get_mut() {
            Reply::Whole(bytes) => bytes.take().map(|b| Ok(hyper::body::Frame::data(b))),
            Reply::Cut { part, .. } => Some(match part.take() {
                Some(b) => Ok(hyper::body::Frame::data(b)),
                None => Err(std::io::Error::other("the connection is closed mid-response (an injected fault)")),
            }),
        })
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Reply::Whole(None))
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        match self {
            Reply::Whole(bytes) => hyper::body::SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Reply::Cut { announced, .. } => hyper::body::SizeHint::with_exact(*announced),
        }
    }
}

async fn route(shared: &Shared, peer: &Peer, request: Request<Incoming>) -> Answer {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return rejected(shared, not_found());
    };
    if rest == "invocation/next" && method == Method::GET {
        return next(shared, peer).await;
    }
    if method != Method::POST {
        return rejected(shared, not_found());
    }
    let header_type = request.headers().get(ERROR_TYPE).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    if rest == "init/error" {
        let body = read_body(request).await;
        let error = ErrorBody::parse(&body, header_type.as_deref());
        let mut state = shared.lock();
        state.stats.init_errors += 1;
        state.init_error = Some(error.clone());
        state.failure = Some(Failure::Init(error));
        state.fail_pending();
        return accepted();
    }
    let Some(rest) = rest.strip_prefix("invocation/") else {
        return rejected(shared, not_found());
    };
    let (id, is_error) = if let Some(id) = rest.strip_suffix("/response") {
        (id, false)
    } else if let Some(id) = rest.strip_suffix("/error") {
        (id, true)
    } else {
        return rejected(shared, not_found());
    };
    if id.is_empty() || id.contains('/') {
        return rejected(shared, not_found());
    }
    let body = read_body(request).await;
    let mut state = shared.lock();
    let Some(pending) = state.in_flight.remove(id) else {
        state.stats.rejected += 1;
        return json(
            StatusCode::BAD_REQUEST,
            r#"{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}"#,
        );
    };
    if is_error {
        state.stats.errors += 1;
        let body = ErrorBody::parse(&body, header_type.as_deref());
        let _ = pending.reply.send(Outcome::Error { header_type, body });
        accepted()
    } else if body.len() > MAX_RESPONSE_BYTES {
        state.stats.rejected += 1;
        let _ = pending.reply.send(Outcome::Error {
            header_type: Some("Function.ResponseSizeTooLarge".to_owned()),
            body: ErrorBody::new(
                "Function.ResponseSizeTooLarge",
                format!(
                    "Response payload size ({} bytes) exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes).",
                    body.len()
                ),
            ),
        });
        json(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                r#"{{"errorMessage":"Exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes).","errorType":"RequestEntityTooLarge"}}"#
            ),
        )
    } else {
        state.stats.responses += 1;
        let _ = pending.reply.send(Outcome::Response(body));
        accepted()
    }
}

/// Long-polls until an event is queued, then hands it out. Dropped (with the connection) while
/// waiting, it takes nothing: a `notify_one` it had received goes to the next waiter; woken
/// for a peer that has gone, it passes the turn on too.
async fn next(shared: &Shared, peer: &Peer) -> Answer {
    shared.lock().stats.next += 1;
    loop {
        let queued = shared.queued.notified();
        tokio::pin!(queued);
        queued.as_mut().enable();
        let delay = 'locked: {
            let mut state = shared.lock();
            if !state.queue.is_empty() && peer.has_gone() {
                drop(state);
                shared.queued.notify_one();
                return json(StatusCode::GONE, r#"{"errorMessage":"connection closed","errorType":"Gone"}"#);
            }
            state.queue.retain(|pending| !pending.reply.is_closed()); // their invokers gave up
            let fault = match state.faults.front() {
                Some(Fault::ServerError) => state.faults.pop_front(),
                Some(_) if !state.queue.is_empty() => state.faults.pop_front(),
                _ => None,
            };
            if let Some(fault) = fault {
                state.stats.faults += 1;
                match fault {
                    Fault::ServerError => {
                        return json(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            r#"{"errorMessage":"injected fault","errorType":"ServiceException"}"#,
                        );
                    }
                    Fault::CloseMidResponse => {
                        // The whole length announced, half the body sent: hyper then drops
                        // the connection.
                        let pending = state.queue.front().expect("an event is queued");
                        let part = pending.payload.slice(..pending.payload.len() / 2);
                        let announced = pending.payload.len().max(2) as u64;
                        let mut answer = Response::new(Reply::Cut { part: Some(part), announced });
                        *answer.headers_mut() = pending.headers.clone();
                        return answer;
                    }
                    Fault::Delay(delay) => break 'locked Some(delay),
                }
            }
            if let Some(mut pending) = state.queue.pop_front() {
                state.stats.delivered += 1;
                let mut answer = Response::new(Reply::whole(std::mem::take(&mut pending.payload)));
                *answer.headers_mut() = std::mem::take(&mut pending.headers);
                state.in_flight.insert(pending.request_id.clone(), pending);
                return answer;
            }
            None
        };
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
            continue;
        }
        queued.await;
    }
}

async fn read_body(request: Request<Incoming>) -> Bytes {
    match request.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    }
}

fn json(status: StatusCode, body: &str) -> Answer {
    let mut answer = Response::new(Reply::whole(Bytes::copy_from_slice(body.as_bytes())));
    *answer.status_mut() = status;
    answer.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    answer
}

fn accepted() -> Answer {
    json(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
}

fn not_found() -> Answer {
    json(StatusCode::NOT_FOUND, r#"{"errorMessage":"Not Found","errorType":"NotFound"}"#)
}

fn rejected(shared: &Shared, answer: Answer) -> Answer {
    shared.lock().stats.rejected += 1;
    answer
}
