//! How Task states reach code: the [`TaskHandler`] trait (the `stepcraft` runtime
//! implements it to run activities in-process), the request it receives and the
//! response it gives.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

/// What kind of resource a task calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    /// `arn:aws:states:::lambda:invoke`: the payload is the Lambda event; the answer is
    /// the function's return value (the executor wraps it in the Invoke response).
    LambdaInvoke,
    /// A plain function ARN: the state input is the event, the return value the result.
    LambdaFunction,
    /// An activity ARN.
    Activity,
    /// Any other service integration; the answer is the task result itself.
    Service,
}

/// One call of a Task state's resource.
#[derive(Debug, Clone)]
pub struct TaskRequest {
    /// The Task state's name.
    pub state_name: Arc<str>,
    /// The `Resource` as written in the definition.
    pub resource: Arc<str>,
    /// What the resource is.
    pub kind: TaskKind,
    /// For Lambda resources, the bare function name (no ARN, no qualifier).
    pub function_name: Option<String>,
    /// The event: the Lambda `Payload` (`{}` when absent or null), or the state's
    /// effective parameters for other resources.
    pub payload: Value,
    /// The full effective parameters (`Parameters` / `Arguments`).
    pub parameters: Value,
    /// Retry attempt of this state entry: 0 for the first call.
    pub attempt: u32,
    /// How many times this state called its resource before, in this execution.
    pub invocation: u32,
    /// The task token of a `.waitForTaskToken` task.
    pub task_token: Option<String>,
    /// The execution's name.
    pub execution_name: Arc<str>,
    /// The task-token registry: a handler of a `.waitForTaskToken` task may answer
    /// [`TaskRequest::task_token`] through it (`send_task_success`, …), during the call
    /// or later.
    pub callbacks: Arc<crate::Callbacks>,
}

/// A task failure: an error name and a cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFailure {
    pub error: String,
    pub cause: Option<String>,
}

impl TaskFailure {
    /// A failure with this error name and cause, passed through unchanged.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        TaskFailure { error: error.into(), cause: Some(cause.into()) }
    }

    /// A Lambda function that returned an error, as the Rust Lambda runtime reports
    /// it: the error is `error_type`, the cause `{"errorType":…,"errorMessage":…}`.
    pub fn function_error(error_type: impl Into<String>, message: impl Into<String>) -> Self {
        let error_type = error_type.into();
        let cause = serde_json::json!({"errorType": error_type, "errorMessage": message.into()});
        TaskFailure { cause: Some(cause.to_string()), error: error_type }
    }
}

impl fmt::Display for TaskFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Some(c) => write!(f, "{}: {c}", self.error),
            None => f.write_str(&self.error),
        }
    }
}

/// How the answer of a callback task arrives.
#[derive(Debug, Clone, PartialEq)]
pub enum Callback {
    /// `SendTaskSuccess` with this output.
    Success(Value),
    /// `SendTaskFailure`.
    Failure(TaskFailure),
}

/// The answer to a [`TaskRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct TaskResponse {
    /// The value returned, or the failure.
    pub outcome: Result<Value, TaskFailure>,
    /// The value is already the task result (an Invoke response for `lambda:invoke`),
    /// not a function's return value to wrap. Step Functions Local mocks are.
    pub raw: bool,
    /// Virtual time the call takes.
    pub duration: Duration,
    /// For `.waitForTaskToken`: a callback delivered after this much virtual time.
    pub callback: Option<(Callback, Duration)>,
}

impl TaskResponse {
    /// The function returned `value`.
    pub fn ok(value: Value) -> Self {
        TaskResponse { outcome: Ok(value), raw: false, duration: Duration::ZERO, callback: None }
    }

    /// The call failed.
    pub fn fail(failure: TaskFailure) -> Self {
        TaskResponse { outcome: Err(failure), raw: false, duration: Duration::ZERO, callback: None }
    }

    /// The call takes `d` of virtual time.
    pub fn after(mut self, d: Duration) -> Self {
        self.duration = d;
        self
    }
}

impl From<Result<Value, TaskFailure>> for TaskResponse {
    fn from(r: Result<Value, TaskFailure>) -> Self {
        TaskResponse { outcome: r, raw: false, duration: Duration::ZERO, callback: None }
    }
}

impl From<Value> for TaskResponse {
    fn from(v: Value) -> Self {
        TaskResponse::ok(v)
    }
}

/// A boxed task future.
pub type TaskFuture = Pin<Box<dyn Future<Output = TaskResponse> + Send + 'static>>;

/// Answers Task states. Return `None` to leave a request to the next handler (and,
/// in the end, to fail the task: nothing answers it).
///
/// Implemented for closures `Fn(TaskRequest) -> impl Future<Output = R>` where `R`
/// converts into a [`TaskResponse`] (a `Result<Value, TaskFailure>`, a `Value`, …).
pub trait TaskHandler: Send + Sync + 'static {
    /// Starts the call.
    fn call(&self, request: TaskRequest) -> Option<TaskFuture>;
}

impl<F, Fut, R> TaskHandler for F
where
    F: Fn(TaskRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: Into<TaskResponse> + 'static,
{
    fn call(&self, request: TaskRequest) -> Option<TaskFuture> {
        let fut = self(request);
        Some(Box::pin(async move { fut.await.into() }))
    }
}
