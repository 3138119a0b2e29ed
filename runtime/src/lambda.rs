//! The Lambda glue every generated `main` runs: decoding events into the function's input
//! with errors that name the field, catching panics, enforcing the payload limit, reporting
//! init errors, all on `lambda_runtime`'s own loop.

use crate::BoxError;
use crate::error::FunctionError;
use bytes::Bytes;
use lambda_runtime::tower::{Service, layer::layer_fn};
use lambda_runtime::{LambdaEvent, LambdaInvocation, Runtime, layers::TracingLayer, service_fn};
use serde::Serialize;
use serde::de::{Deserialize, DeserializeOwned, Deserializer};
use std::cell::Cell;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context as TaskContext, Poll};

/// A boxed future, as stored in a binary's table of functions.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Lambda's limit on a synchronous invocation's payload (6 MiB).
pub(crate) const MAX_PAYLOAD: usize = 6 * 1024 * 1024;

/// Environment variables Lambda sets for a custom runtime; `lambda_runtime` needs them all.
const REQUIRED_ENV: [&str; 4] = [
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];

thread_local! {
    // The size of an event the payload limit refused, for `Decoded` to report. The runtime
    // loop handles one invocation at a time on one thread, and deserialises the event
    // synchronously inside the limit layer's `call`, so the hand-over cannot leak to another
    // invocation.
    static REFUSED_PAYLOAD: Cell<Option<usize>> = const { Cell::new(None) };
    // The event being decoded, for `Decoded` to describe a failure (with the path of the field)
    // by decoding it again: a successful decoding then pays nothing for paths.
    static EVENT: std::cell::RefCell<Option<Bytes>> = const { std::cell::RefCell::new(None) };
}

/// An event decoded into `T`, or the error that says why it could not be.
///
/// Deserialising never fails: a bad event becomes a `FunctionError` named `InvalidInput`
/// (with the path of the offending field) that the function reports, instead of
/// `lambda_runtime`'s own error whose `errorType` is a Rust type name.
pub(crate) struct Decoded<T>(pub(crate) Result<T, FunctionError>);

impl<'de, T: DeserializeOwned> Deserialize<'de> for Decoded<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if let Some(len) = REFUSED_PAYLOAD.take() {
            return Ok(Decoded(Err(too_large(len))));
        }
        Ok(Decoded(match T::deserialize(deserializer) {
            Ok(value) => Ok(value),
            Err(error) => Err(match EVENT.take() {
                Some(event) => describe::<T>(&event),
                None => FunctionError::invalid_input(".", error),
            }),
        }))
    }
}

fn too_large(len: usize) -> FunctionError {
    FunctionError::new(
        FunctionError::PAYLOAD_TOO_LARGE,
        format!("the event is {len} bytes; Lambda accepts at most {MAX_PAYLOAD} bytes"),
    )
}

/// Why `json` does not decode into `T`, naming the path of the offending field.
pub(crate) fn describe<T: DeserializeOwned>(json: &[u8]) -> FunctionError {
    let mut de = serde_json::Deserializer::from_slice(json);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(error) => FunctionError::invalid_input(&error.path().to_string(), error.inner()),
        Ok(_) => match de.end() {
            Err(error) => FunctionError::invalid_input(".", error),
            Ok(()) => FunctionError::invalid_input(".", "the event does not decode"),
        },
    }
}

/// Decodes a JSON document the way an invocation's event is decoded.
pub(crate) fn decode<T: DeserializeOwned>(json: &[u8]) -> Result<T, FunctionError> {
    if json.len() > MAX_PAYLOAD {
        return Err(too_large(json.len()));
    }
    serde_json::from_slice(json).map_err(|_| describe::<T>(json))
}

/// Replaces an event over [`MAX_PAYLOAD`] before it is deserialised, so that a huge event is
/// answered with `PayloadTooLarge` instead of being parsed.
#[derive(Clone)]
struct PayloadLimit<S>(S);

impl<S> Service<LambdaInvocation> for PayloadLimit<S>
where
    S: Service<LambdaInvocation, Response = (), Error = BoxError>,
{
    type Response = ();
    type Error = BoxError;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), BoxError>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, mut invocation: LambdaInvocation) -> S::Future {
        INVOCATIONS.fetch_add(1, Ordering::Relaxed);
        if invocation.body.len() > MAX_PAYLOAD {
            REFUSED_PAYLOAD.set(Some(invocation.body.len()));
            invocation.body = Bytes::from_static(b"null");
        } else {
            EVENT.set(Some(invocation.body.clone()));
        }
        let future = self.0.call(invocation);
        REFUSED_PAYLOAD.set(None);
        EVENT.set(None);
        future
    }
}

/// Runs `future`, catching a panic while polling it.
async fn catch_unwind_future<T>(
    mut future: Pin<&mut impl Future<Output = T>>,
) -> Result<T, Box<dyn std::any::Any + Send>> {
    std::future::poll_fn(move |cx| match std::panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
        Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
        Ok(Poll::Pending) => Poll::Pending,
        Err(payload) => Poll::Ready(Err(payload)),
    })
    .await
}

/// Runs `future`, turning a panic while polling it into a `Panic` error.
pub(crate) async fn catch_panic<T>(future: impl Future<Output = Result<T, FunctionError>>) -> Result<T, FunctionError> {
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(move |cx| match std::panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
        Ok(poll) => poll,
        Err(payload) => Poll::Ready(Err(FunctionError::from_panic(&*payload))),
    })
    .await
}

/// Serves a JSON function on `lambda_runtime` until the process ends.
pub(crate) async fn serve_json<In, Out, F, Fut>(function: F) -> Result<(), BoxError>
where
    In: DeserializeOwned,
    Out: Serialize,
    F: Fn(In, lambda_runtime::Context) -> Fut + Clone,
    Fut: Future<Output = Result<Out, FunctionError>>,
{
    run_restarting(|| {
        let function = function.clone();
        let service = service_fn(move |event: LambdaEvent<Decoded<In>>| {
            let function = function.clone();
            catch_panic(async move {
                if let Some(error) = past_deadline(&event.context) {
                    return Err(error);
                }
                function(event.payload.0?, event.context).await
            })
        });
        Runtime::new(service).layer(layer_fn(PayloadLimit)).layer(TracingLayer::new()).run()
    })
    .await
}

/// Invocations handed to a service by `lambda_runtime` in this process (see [`run_restarting`]).
pub(crate) static INVOCATIONS: AtomicU64 = AtomicU64::new(0);

/// How many times in a row, without an invocation in between, the loop is started again.
const MAX_RESTARTS: u32 = 3;

/// Runs `lambda_runtime`'s loop (`run` starts a fresh one) and starts it again when it ends on
/// an error: `lambda_runtime` returns from its loop on a failed `next` (the Runtime API
/// answering `500`, a connection closed mid-response; it panics on an answer without a request
/// id), which would end the process and, on Lambda, the execution environment with it. After
/// [`MAX_RESTARTS`] failures in a row with no invocation served in between, the error is
/// returned (and the process exits), as for a Runtime API that is gone.
pub(crate) async fn run_restarting<Fut>(mut run: impl FnMut() -> Fut) -> Result<(), BoxError>
where
    Fut: Future<Output = Result<(), BoxError>>,
{
    let mut failures = 0;
    let mut served = INVOCATIONS.load(Ordering::Relaxed);
    loop {
        // `lambda_runtime` also panics on a `next` answer without a request id (a `500`).
        let outcome = std::pin::pin!(run());
        let error = match catch_unwind_future(outcome).await {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(error)) => error,
            Err(panic) => FunctionError::from_panic(&*panic).message.into(),
        };
        let now = INVOCATIONS.load(Ordering::Relaxed);
        if now != served {
            (failures, served) = (0, now);
        }
        failures += 1;
        if failures > MAX_RESTARTS {
            tracing::error!(error = %error, "the Runtime API loop failed {MAX_RESTARTS} times in a row; exiting");
            return Err(error);
        }
        tracing::warn!(error = %error, attempt = failures, "the Runtime API loop failed; starting it again");
        tokio::time::sleep(std::time::Duration::from_millis(50 << failures)).await;
    }
}

/// The stable name of the error of an invocation that arrives after its deadline.
pub(crate) const DEADLINE_EXCEEDED: &str = "DeadlineExceeded";

/// The error of an invocation whose deadline has already passed: Lambda would have stopped it,
/// so the function is not called (its work would be lost, its side effects not). A context
/// without a deadline (the command line's) has none to pass.
pub(crate) fn past_deadline(context: &lambda_runtime::Context) -> Option<FunctionError> {
    // No deadline (an invocation from the command line).
    if context.deadline == 0 {
        return None;
    }
    let deadline = std::time::UNIX_EPOCH + std::time::Duration::from_millis(context.deadline);
    let late = std::time::SystemTime::now().duration_since(deadline).ok()?;
    Some(FunctionError::new(
        DEADLINE_EXCEEDED,
        format!("the invocation's deadline passed {} ms before it reached the function", late.as_millis()),
    ))
}

/// Checks that the process runs as a Lambda custom runtime would have started it.
pub(crate) fn check_environment() -> Result<(), FunctionError> {
    match REQUIRED_ENV.iter().find(|name| std::env::var_os(name).is_none()) {
        None => Ok(()),
        Some(name) => Err(FunctionError::new(
            "Runtime.InitError",
            format!("the environment variable `{name}` is not set; is this process started by Lambda?"),
        )),
    }
}

/// Reports a failed initialisation to the Runtime API (`/runtime/init/error`).
pub(crate) async fn report_init_error(error: &FunctionError) -> Result<(), BoxError> {
    use lambda_runtime_api_client::{Client, body::Body, build_request};
    let body = serde_json::to_vec(&serde_json::json!({
        "errorType": error.error_type,
        "errorMessage": error.message,
    }))?;
    let request = build_request()
        .method("POST")
        .uri("/2018-06-01/runtime/init/error")
        .header("lambda-runtime-function-error-type", error.error_type.as_ref())
        .body(Body::from(body))?;
    let response = Client::builder().build()?.call(request).await?;
    if !response.status().is_success() {
        return Err(format!("the Runtime API answered {} to the init error", response.status()).into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Order {
        id: String,
        items: Vec<Item>,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Item {
        qty: u32,
    }

    #[test]
    fn a_mistyped_nested_field_is_named_by_its_path() {
        let err = decode::<Order>(br#"{"id":"o1","items":[{"qty":1},{"qty":"two"}]}"#).unwrap_err();
        assert_eq!(err.error_type, "InvalidInput");
        assert!(
            err.message.starts_with("invalid input at `items[1].qty`: invalid type: string \"two\""),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_missing_field_is_named() {
        let err = decode::<Order>(br#"{"items":[]}"#).unwrap_err();
        assert!(err.message.contains("missing field `id`"), "{}", err.message);
    }

    #[test]
    fn malformed_json_is_invalid_input() {
        let err = decode::<Order>(br#"{"id": "#).unwrap_err();
        assert_eq!(err.error_type, "InvalidInput");
        assert!(err.message.contains("EOF while parsing"), "{}", err.message);
        let err = decode::<Order>(br#"{"id":"a","items":[]} trailing"#).unwrap_err();
        assert!(err.message.contains("trailing characters"), "{}", err.message);
    }

    #[test]
    fn an_oversized_payload_is_refused_before_parsing() {
        let big = vec![b' '; MAX_PAYLOAD + 1];
        let err = decode::<Order>(&big).unwrap_err();
        assert_eq!(err.error_type, "PayloadTooLarge");
    }

    #[test]
    fn a_panic_becomes_an_error() {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let result: Result<(), _> = rt.block_on(catch_panic(async { panic!("boom") }));
        let err = result.unwrap_err();
        assert_eq!(err.error_type, "Panic");
        assert_eq!(err.message, "the function panicked: boom");
    }
}
