//! Callbacks: a task that hands a token to someone (a person approving, a webhook, another
//! system) and waits until they answer with it. In a state machine, a
//! `lambda:invoke.waitForTaskToken` task; `SendTaskSuccess`/`SendTaskFailure` complete it.
//!
//! ```ignore
//! #[activity(callback = Decision, timeout = "7d", heartbeat = "1d")]
//! async fn ask_manager(request: Request, token: TaskToken) -> Result<(), MailError> {
//!     send_approval_mail(&request, &token).await   // the mail's link completes the token
//! }
//!
//! #[workflow]
//! async fn expense(request: Request) -> Result<Decision, ExpenseError> {
//!     let decision = callback(ask_manager, request).await?;
//!     Ok(decision)
//! }
//! ```
//!
//! Run natively (in tests, or `invoke` from the command line), the token is completed in the
//! process with [`succeed`] or [`fail`]; a callback nobody completes fails with
//! `States.Timeout` (and an empty cause) after the activity's `timeout`, as in Step Functions.

use crate::activity::Activity;
use crate::asl::{self, Retrier};
use crate::error::{Error, FunctionError};
use crate::workflow::{Step, placeholder};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::oneshot;

/// The token that completes a callback task.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct TaskToken(pub String);

impl fmt::Display for TaskToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a callback activity's Lambda function receives.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallbackInput<T> {
    /// The activity's input.
    pub input: T,
    /// The token to complete the task with.
    pub task_token: TaskToken,
}

/// A callback activity: implemented by `#[activity(callback = T)]`.
pub trait CallbackActivity: Step + Activity {
    /// The activity's own input (without the token).
    type Request;
}

/// How a callback failed: the error name given to `SendTaskFailure` (or the activity's own
/// error, or `States.Timeout`), and its cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackError {
    /// The error name.
    pub name: &'static str,
    /// The cause.
    pub cause: String,
}

impl CallbackError {
    fn new(name: &str, cause: impl Into<String>) -> Self {
        // Names are few and live as long as the process, like a variant's name.
        let name: &'static str = Box::leak(name.to_owned().into_boxed_str());
        CallbackError { name, cause: cause.into() }
    }
}

impl fmt::Display for CallbackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.cause)
    }
}

impl std::error::Error for CallbackError {}

impl Error for CallbackError {
    fn names() -> Vec<&'static str> {
        Vec::new()
    }

    fn name(&self) -> &'static str {
        self.name
    }

    fn __names_of_variant(_: &str) -> Vec<&'static str> {
        Vec::new()
    }

    fn __from_states(name: &str, cause: &str) -> Option<Self> {
        Some(CallbackError::new(name, cause))
    }

    fn __reraised(self) -> Self {
        let name = crate::workflow::reraised_name(self.name).into_owned();
        CallbackError::new(&name, self.cause)
    }
}

/// The Task calling callback activity `A` and waiting for the token to come back.
pub fn callback_task<A: CallbackActivity>(payload: Value) -> asl::Task {
    let config = A::config();
    asl::Task {
        comment: None,
        resource: "arn:aws:states:::lambda:invoke.waitForTaskToken".into(),
        arguments: Some(serde_json::json!({
            "FunctionName": placeholder(A::NAME, ""),
            "Payload": { "input": payload, "taskToken": crate::expr::task_token().template() },
        })),
        output: None,
        assign: asl::Assign::new(),
        timeout_seconds: config.timeout_seconds,
        heartbeat_seconds: config.heartbeat_seconds,
        retry: Retrier::with_service_errors(config.retry, true),
        catch: Vec::new(),
        next: asl::Next::End,
    }
}

type Outcome = Result<Value, CallbackError>;

fn pending() -> &'static Mutex<HashMap<String, oneshot::Sender<Outcome>>> {
    static PENDING: std::sync::OnceLock<Mutex<HashMap<String, oneshot::Sender<Outcome>>>> = std::sync::OnceLock::new();
    PENDING.get_or_init(Default::default)
}

fn complete(token: &TaskToken, outcome: Outcome) -> bool {
    let sender = pending().lock().unwrap_or_else(|e| e.into_inner()).remove(&token.0);
    sender.is_some_and(|s| s.send(outcome).is_ok())
}

/// Registers `token` so that [`succeed`]/[`fail`] called during a local run's activity reach
/// the local executor.
pub(crate) fn register_local(token: &TaskToken) -> oneshot::Receiver<Outcome> {
    let (sender, receiver) = oneshot::channel();
    pending().lock().unwrap_or_else(|e| e.into_inner()).insert(token.0.clone(), sender);
    receiver
}

/// Forgets a token registered with [`register_local`].
pub(crate) fn forget_local(token: &TaskToken) {
    pending().lock().unwrap_or_else(|e| e.into_inner()).remove(&token.0);
}

/// Completes a callback of this process with its result (what `SendTaskSuccess` does in
/// Step Functions). Returns whether a callback was waiting for `token`.
pub fn succeed(token: &TaskToken, output: &impl Serialize) -> bool {
    match serde_json::to_value(output) {
        Ok(value) => complete(token, Ok(value)),
        Err(e) => complete(token, Err(CallbackError::new("States.Runtime", e.to_string()))),
    }
}

/// Fails a callback of this process (what `SendTaskFailure` does in Step Functions).
pub fn fail(token: &TaskToken, error: &str, cause: &str) -> bool {
    complete(token, Err(CallbackError::new(error, cause)))
}

/// Runs a callback natively: calls `activity` with a fresh token, then waits until the token is
/// completed with [`succeed`] or [`fail`] (at most the activity's `timeout`).
///
/// In a workflow, write `callback(ask_manager, request).await?`; the compiler makes it a
/// `waitForTaskToken` task.
pub async fn callback<A, F, Fut, E>(activity: F, request: A::Request) -> Result<<A as Step>::Output, CallbackError>
where
    A: CallbackActivity,
    <A as Step>::Output: DeserializeOwned,
    F: FnOnce(A::Request, TaskToken) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Error,
{
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let token = TaskToken(format!("local-task-token-{}", NEXT.fetch_add(1, Ordering::Relaxed)));
    let (sender, receiver) = oneshot::channel();
    pending().lock().unwrap_or_else(|e| e.into_inner()).insert(token.0.clone(), sender);
    if let Err(error) = activity(request, token.clone()).await {
        pending().lock().unwrap_or_else(|e| e.into_inner()).remove(&token.0);
        let report = FunctionError::from_error(&error);
        let cause = serde_json::json!({ "errorType": report.error_type, "errorMessage": report.message });
        crate::workflow::record_failure(&report.error_type, &report.message, Some(cause.to_string()));
        return Err(CallbackError::new(&report.error_type, report.message));
    }
    // Natively nobody sends heartbeats: whichever of the heartbeat and the timeout comes first
    // ends the wait, as in Step Functions. The Task's, when `native_callback` runs this one.
    let limits = LIMITS.try_with(|l| *l).unwrap_or_else(|_| {
        let task = <A as Step>::task(Value::Null);
        (task.heartbeat_seconds, task.timeout_seconds)
    });
    let limit = match limits {
        (Some(h), Some(t)) if h < t => Some((h, "States.HeartbeatTimeout")),
        (Some(h), None) => Some((h, "States.HeartbeatTimeout")),
        (_, Some(t)) => Some((t, "States.Timeout")),
        (None, None) => None,
    };
    let outcome = match limit {
        Some((seconds, error)) => {
            match tokio::time::timeout(std::time::Duration::from_secs(seconds.into()), receiver).await {
                Ok(outcome) => outcome,
                Err(_) => {
                    pending().lock().unwrap_or_else(|e| e.into_inner()).remove(&token.0);
                    // Step Functions' timeout has an empty cause (`""` in a Catch's error
                    // output) and ends an execution with none.
                    crate::workflow::record_failure(error, "", None);
                    return Err(CallbackError::new(error, ""));
                }
            }
        }
        None => receiver.await,
    };
    let value = outcome.map_err(|_| CallbackError::new("States.Runtime", "the callback was dropped"))?;
    let value = value.inspect_err(|e| crate::workflow::record_failure(e.name, &e.cause, Some(e.cause.clone())))?;
    serde_json::from_value(value).map_err(|e| CallbackError::new("States.Runtime", e.to_string()))
}

tokio::task_local! {
    /// The `HeartbeatSeconds` and `TimeoutSeconds` of the Task a [`native_callback`] attempt
    /// runs for.
    static LIMITS: (Option<u32>, Option<u32>);
}

/// Runs a workflow's `callback(activity, request)` natively as its `.waitForTaskToken` Task
/// does: `task` is the Task (the activity's [`Step::task`] with the statement's `#[task(..)]`
/// overrides); `call(request)` is one attempt ([`callback`]), waiting at most the Task's
/// `HeartbeatSeconds`/`TimeoutSeconds`; the Task's `Retry` (the activity's rules and the Lambda
/// service retrier) applies to each failure, `States.Timeout`/`States.HeartbeatTimeout` included,
/// with the back-off of [`native_call`](crate::workflow::native_call) in `tokio` time.
pub async fn native_callback<I, O, F, Fut>(
    task: asl::Task,
    request: I,
    copy: Option<fn(&I) -> I>,
    mut call: F,
) -> Result<O, CallbackError>
where
    F: FnMut(I) -> Fut,
    Fut: Future<Output = Result<O, CallbackError>>,
{
    let limits = (task.heartbeat_seconds, task.timeout_seconds);
    let mut retries = crate::workflow::Retries::new(&task.retry);
    let mut request = Some(request);
    loop {
        let this = match (copy, &request) {
            (Some(copy), Some(kept)) if !task.retry.is_empty() => copy(kept),
            _ => request.take().expect("a request for each attempt"),
        };
        let error = match LIMITS.scope(limits, call(this)).await {
            Ok(output) => return Ok(output),
            Err(error) => error,
        };
        match retries.delay(error.name).filter(|_| request.is_some()) {
            Some(delay) => tokio::time::sleep(delay).await,
            None => return Err(error),
        }
    }
}
