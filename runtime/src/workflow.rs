//! Workflows: `#[workflow]` functions, compiled into Step Functions state machines, and the
//! things a workflow calls ([`Step`]: activities as Lambda tasks, workflows as child
//! executions).

use crate::activity::Activity;
use crate::asl::{self, Retrier};
use crate::error::Error;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::future::Future;

/// A workflow, implemented by `#[workflow]` for a type of the same name as the function.
///
/// The function itself stays callable (natively, e.g. in unit tests); the state machine is
/// [`Workflow::definition`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a workflow",
    note = "annotate the function with `#[stepcraft::workflow]`"
)]
pub trait Workflow: 'static {
    /// The execution's input.
    type Input: DeserializeOwned + Serialize + schemars::JsonSchema;
    /// The execution's output.
    type Output: Serialize + DeserializeOwned + schemars::JsonSchema;
    /// The failure, with stable names.
    type Error: Error;

    /// The state machine's name (`CheckoutOrder`): its file is `<NAME>.asl.json`.
    const NAME: &'static str;

    /// Whether the state machine is of type `EXPRESS` (`#[workflow(express)]`), else `STANDARD`.
    const EXPRESS: bool = false;

    /// The state machine.
    fn definition() -> asl::StateMachine;

    /// The state machine as JSON (byte-identical for the same source).
    fn definition_json() -> String {
        Self::definition().to_json()
    }

    /// Runs the workflow natively: the body as written, calling activities in-process.
    fn run(input: Self::Input) -> impl Future<Output = Result<Self::Output, Self::Error>> + Send;
}

/// Something a workflow can call: an activity (a Lambda task) or another workflow (a child
/// execution). Implemented by `#[activity]` and `#[workflow]`.
#[diagnostic::on_unimplemented(
    message = "a workflow can only call activities and workflows",
    label = "`{Self}` is neither an `#[activity]` nor a `#[workflow]`",
    note = "annotate the function with `#[stepcraft::activity]` (it then runs as a Lambda function), \
            or make the computation part of an activity the workflow calls"
)]
pub trait Step: 'static {
    /// What the call takes.
    type Input;
    /// What the call returns.
    type Output;
    /// How the call fails.
    type Error: Error;
    /// Whether this is a workflow (a child execution) rather than an activity.
    const CHILD_WORKFLOW: bool;
    /// Whether the Task invokes a Lambda function, so that it may fail with Lambda's service
    /// errors and gets the retrier AWS recommends for them: activities (the default), not
    /// child workflows nor AWS service calls (`stepcraft::aws`).
    const LAMBDA: bool = true;

    /// The Task state that calls it with this payload (a JSON template); the workflow sets
    /// its transitions.
    fn task(payload: Value) -> asl::Task;

    /// Where the call's value is in the Task's result.
    fn result() -> Value;
}

/// What an express workflow can call: an express state machine cannot wait for a child
/// execution (`.sync`), so it calls activities only. Implemented by `#[activity]`.
#[diagnostic::on_unimplemented(
    message = "an express workflow cannot call the workflow `{Self}`",
    label = "a child execution is awaited with `startExecution.sync`, which express workflows cannot use",
    note = "remove `express` from this `#[workflow(..)]` to make it a standard workflow, or move the child's work \
            into activities"
)]
pub trait ExpressStep: Step {
    #[doc(hidden)]
    const IS: () = ();
}

/// The placeholder of an activity's function ARN or a workflow's state machine ARN, resolved
/// by the deployment template's `DefinitionSubstitutions`: `charge_payment` →
/// `${ChargePayment}`.
pub fn placeholder(name: &str, suffix: &str) -> String {
    let mut out = String::from("${");
    for word in name.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out.push_str(suffix);
    out.push('}');
    out
}

/// The Task calling activity `A`: Lambda's optimised integration, the activity's retry rules
/// followed by the retrier AWS recommends for Lambda's own transient errors, its timeouts.
pub fn activity_task<A: Activity>(payload: Value) -> asl::Task {
    let config = A::config();
    let retry = Retrier::with_service_errors(config.retry, true);
    asl::Task {
        comment: None,
        resource: "arn:aws:states:::lambda:invoke".into(),
        arguments: Some(serde_json::json!({ "FunctionName": placeholder(A::NAME, ""), "Payload": payload })),
        output: None,
        assign: asl::Assign::new(),
        timeout_seconds: config.timeout_seconds,
        heartbeat_seconds: config.heartbeat_seconds,
        retry,
        catch: Vec::new(),
        next: asl::Next::End,
    }
}

/// The Task starting workflow `W` as a child execution and waiting for it.
pub fn workflow_task<W: Workflow>(payload: Value) -> asl::Task {
    asl::Task {
        comment: None,
        resource: "arn:aws:states:::states:startExecution.sync:2".into(),
        arguments: Some(serde_json::json!({
            "StateMachineArn": placeholder(W::NAME, "StateMachine"),
            "Input": payload,
        })),
        output: None,
        assign: asl::Assign::new(),
        timeout_seconds: None,
        heartbeat_seconds: None,
        retry: Vec::new(),
        catch: Vec::new(),
        next: asl::Next::End,
    }
}

/// The stable names of variant `variant` of error type `E`: what `ErrorEquals` lists.
pub fn error_names<E: Error>(variant: &str) -> Vec<String> {
    let names = E::__names_of_variant(variant);
    if names.is_empty() {
        panic!("`{variant}` is not a variant of `{}` known to `stepcraft::Error`", std::any::type_name::<E>());
    }
    names.into_iter().map(String::from).collect()
}

/// The stable name of variant `variant` of error type `E`: what a `Fail` state raises.
pub fn error_name<E: Error>(variant: &str) -> String {
    let mut names = error_names::<E>(variant);
    if names.len() != 1 {
        panic!(
            "`{variant}` of `{}` is transparent: it has the name of the error it wraps, which a workflow only \
             knows for a caught error (`Err(e) => return Err(e.into())`)",
            std::any::type_name::<E>()
        );
    }
    names.remove(0)
}

/// Sleeps for `duration`: in a state machine, a `Wait` state.
pub async fn sleep(duration: std::time::Duration) {
    tokio::time::sleep(duration).await;
}

/// Sleeps until `timestamp`, an RFC 3339 date-time (`2026-11-23T04:00:00Z`): in a state
/// machine, a `Wait` state with `Timestamp`. A timestamp in the past does not wait; one that
/// Step Functions would not accept panics (a state machine fails the execution with
/// `States.Runtime`).
pub async fn sleep_until(timestamp: impl AsRef<str>) {
    let text = timestamp.as_ref();
    let target = parse_rfc3339(text).unwrap_or_else(|| panic!("`{text}` is not an RFC 3339 timestamp"));
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
    if target > now {
        sleep(std::time::Duration::from_secs_f64(target - now)).await;
    }
}

/// Seconds since the Unix epoch of a timestamp in the form Step Functions' `Wait` accepts, read
/// by the same parser as the local executor's: native runs and state machines reject alike.
fn parse_rfc3339(text: &str) -> Option<f64> {
    stepcraft_local::parse_timestamp(text).map(|ms| ms as f64 / 1000.0)
}

/* ------------------------------------------ NATIVE RUNS ------------------------------------------ */

/// How a native call of an activity copies its input for another attempt: by `Clone`, else
/// through JSON (`Serialize` + `Deserialize`, as Lambda receives it), else not at all. Generated
/// code asks `(&&&InputCopy(&input)).copier()` with [`CopyByClone`], [`CopyBySerde`] and
/// [`NoCopy`] in scope: method resolution picks the first that applies to the input's type.
pub struct InputCopy<'a, T>(pub &'a T);

impl<T> std::fmt::Debug for InputCopy<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InputCopy")
    }
}

/// See [`InputCopy`]: inputs that are `Clone`.
pub trait CopyByClone<T> {
    /// How to copy the input.
    fn copier(&self) -> Option<fn(&T) -> T>;
}

impl<T: Clone> CopyByClone<T> for &&InputCopy<'_, T> {
    fn copier(&self) -> Option<fn(&T) -> T> {
        Some(T::clone)
    }
}

/// See [`InputCopy`]: inputs that go through JSON.
pub trait CopyBySerde<T> {
    /// How to copy the input.
    fn copier(&self) -> Option<fn(&T) -> T>;
}

impl<T: Serialize + DeserializeOwned> CopyBySerde<T> for &InputCopy<'_, T> {
    fn copier(&self) -> Option<fn(&T) -> T> {
        Some(|input| {
            let json = serde_json::to_value(input).expect("an activity's input serializes to JSON");
            serde_json::from_value(json).expect("an activity's input deserializes from its own JSON")
        })
    }
}

/// See [`InputCopy`]: inputs that cannot be copied (a native call is then attempted once).
pub trait NoCopy<T> {
    /// No way to copy the input.
    fn copier(&self) -> Option<fn(&T) -> T>;
}

impl<T> NoCopy<T> for InputCopy<'_, T> {
    fn copier(&self) -> Option<fn(&T) -> T> {
        None
    }
}

/// How a native run of a workflow ended, in the terms of the state machine's execution: the
/// error name and the cause Step Functions would report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeFailure {
    /// The execution's error name.
    pub error: String,
    /// The execution's cause: the JSON error report Lambda gives (`{"errorType":…,
    /// "errorMessage":…}`) when an activity's error ends the execution (raised by its task, or
    /// caught and raised again), the error's message when the workflow returns an error of its
    /// own, the `cause` given to `fail` for a failed callback; `None` after a timeout that
    /// nothing caught (Step Functions gives no cause then).
    pub cause: Option<String>,
}

impl std::fmt::Display for NativeFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.cause.as_deref().unwrap_or(""))
    }
}

impl std::error::Error for NativeFailure {}

/// The largest integer magnitude a JSON number (a double) holds exactly, with every integer
/// below it: `2^53 − 1`. A workflow's integer arithmetic stays within it (and its type's
/// bounds), natively and in the state machine.
pub const SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// `+`, `-` and `*` of a workflow's body natively, as the state machine computes them:
/// generated code calls [`add`], [`sub`] and [`mul`] for them. On integers, a result beyond the
/// type's bounds or ±[`SAFE_INTEGER`] (past which a double skips integers) fails the state
/// machine's evaluation (`States.QueryEvaluationError`), so it ends the native run too
/// ([`NotComputable`]), in debug and release builds alike; floats and strings as Rust has them.
pub trait Exact<Rhs> {
    /// The result's type.
    type Output;
    /// `self + rhs`.
    fn exact_add(self, rhs: Rhs) -> Self::Output;
}

/// `-` and `*`, as [`Exact`] does `+`.
pub trait ExactArith<Rhs>: Exact<Rhs> {
    /// `self - rhs`.
    fn exact_sub(self, rhs: Rhs) -> Self::Output;
    /// `self * rhs`.
    fn exact_mul(self, rhs: Rhs) -> Self::Output;
}

/// An integer result the state machine holds exactly, or the end of the run.
fn exact_integer<T: Copy + std::fmt::Display + TryInto<i64>>(result: Option<T>, what: &str) -> T {
    match result {
        Some(value) if value.try_into().is_ok_and(|v: i64| v.unsigned_abs() <= SAFE_INTEGER as u64) => value,
        Some(value) => not_computable(format!(
            "integer overflow: {value} is outside -9007199254740991..9007199254740991, the integers a JSON \
             number (a double) holds exactly"
        )),
        None => not_computable(format!("integer overflow: {what} overflows its type")),
    }
}

macro_rules! exact_integers {
    ($($t:ty),*) => {$(
        impl Exact<$t> for $t {
            type Output = $t;
            fn exact_add(self, rhs: $t) -> $t {
                exact_integer(self.checked_add(rhs), &format!("{self} + {rhs}"))
            }
        }
        impl ExactArith<$t> for $t {
            fn exact_sub(self, rhs: $t) -> $t {
                exact_integer(self.checked_sub(rhs), &format!("{self} - {rhs}"))
            }
            fn exact_mul(self, rhs: $t) -> $t {
                exact_integer(self.checked_mul(rhs), &format!("{self} * {rhs}"))
            }
        }
        exact_by_value!($t);
    )*};
}

macro_rules! exact_floats {
    ($($t:ty),*) => {$(
        impl Exact<$t> for $t {
            type Output = $t;
            fn exact_add(self, rhs: $t) -> $t {
                self + rhs
            }
        }
        impl ExactArith<$t> for $t {
            fn exact_sub(self, rhs: $t) -> $t {
                self - rhs
            }
            fn exact_mul(self, rhs: $t) -> $t {
                self * rhs
            }
        }
        exact_by_value!($t);
    )*};
}

/// References to numbers, as Rust's operators take them.
macro_rules! exact_by_value {
    ($t:ty) => {
        impl Exact<&$t> for $t {
            type Output = $t;
            fn exact_add(self, rhs: &$t) -> $t {
                self.exact_add(*rhs)
            }
        }
        impl ExactArith<&$t> for $t {
            fn exact_sub(self, rhs: &$t) -> $t {
                self.exact_sub(*rhs)
            }
            fn exact_mul(self, rhs: &$t) -> $t {
                self.exact_mul(*rhs)
            }
        }
        impl<R> Exact<R> for &$t
        where
            $t: Exact<R, Output = $t>,
        {
            type Output = $t;
            fn exact_add(self, rhs: R) -> $t {
                (*self).exact_add(rhs)
            }
        }
        impl<R> ExactArith<R> for &$t
        where
            $t: ExactArith<R, Output = $t>,
        {
            fn exact_sub(self, rhs: R) -> $t {
                (*self).exact_sub(rhs)
            }
            fn exact_mul(self, rhs: R) -> $t {
                (*self).exact_mul(rhs)
            }
        }
    };
}

exact_integers!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);
exact_floats!(f32, f64);

impl Exact<&str> for String {
    type Output = String;
    fn exact_add(self, rhs: &str) -> String {
        self + rhs
    }
}
impl Exact<&String> for String {
    type Output = String;
    fn exact_add(self, rhs: &String) -> String {
        self + rhs
    }
}

/// `left + right` as the state machine computes it ([`Exact`]).
pub fn add<A: Exact<B>, B>(left: A, right: B) -> A::Output {
    left.exact_add(right)
}

/// `left - right` as the state machine computes it ([`Exact`]).
pub fn sub<A: ExactArith<B>, B>(left: A, right: B) -> A::Output {
    left.exact_sub(right)
}

/// `left * right` as the state machine computes it ([`Exact`]).
pub fn mul<A: ExactArith<B>, B>(left: A, right: B) -> A::Output {
    left.exact_mul(right)
}

/// A divisor the state machine can divide by ([`divisor`]).
pub trait Divisor {
    /// Whether it is zero.
    fn is_zero(&self) -> bool;
}

macro_rules! divisors {
    ($($t:ty),*) => {$(
        impl Divisor for $t {
            #[allow(clippy::float_cmp, reason = "zero is exact")]
            fn is_zero(&self) -> bool {
                *self == (0 as $t)
            }
        }
    )*};
}
divisors!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64);
impl<T: Divisor> Divisor for &T {
    fn is_zero(&self) -> bool {
        (**self).is_zero()
    }
}

/// `divisor`, which the state machine cannot divide by when it is zero (an integer's division
/// panics natively, a float's gives infinity, which JSON cannot hold).
pub fn divisor<T: Divisor>(divisor: T) -> T {
    if divisor.is_zero() {
        not_computable("division by zero".to_owned());
    }
    divisor
}

/// A value the state machine cannot compute, met natively: under [`run_native`] the run ends
/// with `States.QueryEvaluationError`, as the execution does; otherwise a panic that says so.
#[derive(Debug)]
struct NotComputable(String);

fn not_computable(what: String) -> ! {
    let failure = NotComputable(what);
    match FAILURES.try_with(|_| ()) {
        // `run_native` ends the run with it: no panic message.
        Ok(()) => std::panic::resume_unwind(Box::new(failure)),
        Err(_) => panic!(
            "{}: the state machine's evaluation fails with States.QueryEvaluationError (run the workflow with \
             `stepcraft::workflow::run_native` to get that failure as a result)",
            failure.0
        ),
    }
}

/// A task that timed out natively where its caller's error type cannot say so: the native run
/// ends with `States.Timeout`, as the execution does (see [`run_native`]).
#[derive(Debug)]
struct TaskTimedOut {
    step: &'static str,
    seconds: u32,
    /// Whether a `Catch` on `States.ALL` would have caught it.
    caught_all: bool,
}

/// The failures the tasks of a native run ended with: (name, message, the cause Step Functions
/// reports for it), the latest last.
type Failures = std::cell::RefCell<Vec<(String, String, Option<String>)>>;

tokio::task_local! {
    static FAILURES: Failures;
}

/// Notes that a task of the running native workflow failed with `name`/`message`, which Step
/// Functions reports with `cause`.
pub(crate) fn record_failure(name: &str, message: &str, cause: Option<String>) {
    let _ = FAILURES.try_with(|f| f.borrow_mut().push((name.to_owned(), message.to_owned(), cause)));
}

/// Runs workflow `W` natively (as [`Workflow::run`]) and reports its failure as the state
/// machine's execution would: error name and cause ([`NativeFailure`]). A task that times out
/// where the caller's error type has no room for `States.Timeout` ends the run here with it.
/// An input `StartExecution` would refuse (over 256 KiB as JSON) runs nothing: the failure is
/// the API's (`ValidationException`), as no execution would start.
pub async fn run_native<W: Workflow>(input: W::Input) -> Result<W::Output, NativeFailure> {
    if let Ok(json) = serde_json::to_value(&input)
        && let Err(refused) = stepcraft_local::limits::execution_input_value(&json)
    {
        return Err(NativeFailure { error: refused.code.to_owned(), cause: Some(refused.message) });
    }
    let run = FAILURES.scope(Failures::default(), async {
        let result = W::run(input).await;
        (result, FAILURES.with(|f| f.take()))
    });
    let mut run = std::pin::pin!(run);
    let ended = std::future::poll_fn(move |cx| {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run.as_mut().poll(cx))) {
            Ok(std::task::Poll::Ready(done)) => std::task::Poll::Ready(Ok(done)),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(payload) => std::task::Poll::Ready(Err(payload)),
        }
    })
    .await;
    match ended {
        Ok((Ok(output), _)) => Ok(output),
        Ok((Err(error), failures)) => {
            let (name, message) = (error.name(), error.to_string());
            // An error a task raised (and maybe caught and raised again) carries the task's
            // cause; one the workflow made itself, a Fail state's: its message.
            let cause = match failures.iter().rev().find(|(n, m, _)| n == name && *m == message) {
                Some((_, _, cause)) => cause.clone(),
                None => Some(message),
            };
            Err(NativeFailure { error: name.to_owned(), cause })
        }
        Err(payload) => match payload.downcast::<TaskTimedOut>() {
            Ok(_) => Err(NativeFailure { error: "States.Timeout".into(), cause: None }),
            Err(payload) => match payload.downcast::<NotComputable>() {
                Ok(failure) => {
                    Err(NativeFailure { error: "States.QueryEvaluationError".into(), cause: Some(failure.0) })
                }
                Err(payload) => std::panic::resume_unwind(payload),
            },
        },
    }
}

/// The error a re-raised caught error carries: the same, except that a `States.*` name, which
/// only Step Functions may raise, becomes `Stepcraft.*` (`States.Timeout` →
/// `Stepcraft.Timeout`), as the `Fail` state raising it does.
pub fn reraised<E: Error>(error: E) -> E {
    error.__reraised()
}

/// The name a `Fail` state gives a caught error it raises again: see [`reraised`].
pub fn reraised_name(name: &str) -> std::borrow::Cow<'_, str> {
    match name.strip_prefix(RESERVED_PREFIX) {
        Some(rest) => format!("{RERAISED_PREFIX}{rest}").into(),
        None => name.into(),
    }
}

/// The prefix of the error names only Step Functions raises.
pub const RESERVED_PREFIX: &str = "States.";
/// What a re-raised error's `States.` prefix becomes.
pub const RERAISED_PREFIX: &str = "Stepcraft.";

/// Calls step `step` natively as its Task state does: `task` is the Task (the step's
/// [`Step::task`] with the call's `#[task(..)]` overrides), whose `Retry` and `TimeoutSeconds`
/// apply to `call(input)`. Back-offs and timeouts are `tokio` timers: virtual under a paused
/// runtime (`invoke`, `#[tokio::test(start_paused = true)]`). `JitterStrategy: FULL` draws
/// from a generator with a fixed seed, so a native run always waits the same.
///
/// A timed-out attempt is `E`'s value for `States.Timeout` when `E` can hold one
/// ([`Error::__from_states`]). When it cannot, the run cannot go on as the state machine's
/// does: under [`run_native`] it ends with `States.Timeout` — unless the call is `caught_all`
/// (under a catch-all `Err(e)` arm or in a `join!` branch, whose `Catch` on `States.ALL` would
/// run code that needs an `E`): then it panics, saying how to give `E` room for it.
pub async fn native_call<I, O, E, F, Fut>(
    task: asl::Task,
    step: &'static str,
    caught_all: bool,
    input: I,
    copy: Option<fn(&I) -> I>,
    mut call: F,
) -> Result<O, E>
where
    E: Error,
    F: FnMut(I) -> Fut,
    Fut: Future<Output = Result<O, E>>,
{
    enum Attempt<O, E> {
        Done(Result<O, E>),
        TimedOut,
    }
    let mut retries = Retries::new(&task.retry);
    let mut input = Some(input);
    loop {
        let this = match (copy, &input) {
            (Some(copy), Some(kept)) if !task.retry.is_empty() => copy(kept),
            _ => input.take().expect("an input for each attempt"),
        };
        let attempt = match task.timeout_seconds {
            Some(seconds) => {
                match tokio::time::timeout(std::time::Duration::from_secs(seconds.into()), call(this)).await {
                    Ok(result) => Attempt::Done(result),
                    Err(_) => Attempt::TimedOut,
                }
            }
            None => Attempt::Done(call(this).await),
        };
        let name = match &attempt {
            Attempt::Done(Ok(_)) => None,
            Attempt::Done(Err(error)) => Some(error.name()),
            Attempt::TimedOut => Some("States.Timeout"),
        };
        if let Some(name) = name
            && input.is_some()
            && let Some(delay) = retries.delay(name)
        {
            tokio::time::sleep(delay).await;
            continue;
        }
        return match attempt {
            Attempt::Done(Ok(output)) => Ok(output),
            Attempt::Done(Err(error)) => {
                // A child execution's failure was noted by its own run.
                if task.resource.starts_with("arn:aws:states:::lambda:") {
                    let cause = serde_json::json!({ "errorType": error.name(), "errorMessage": error.to_string() });
                    record_failure(error.name(), &error.to_string(), Some(cause.to_string()));
                }
                Err(error)
            }
            Attempt::TimedOut => {
                // Step Functions' `TaskTimedOut` event has no cause.
                if let Some(error) = E::__from_states("States.Timeout", "") {
                    record_failure(error.name(), &error.to_string(), None);
                    return Err(error);
                }
                let timed_out = TaskTimedOut { step, seconds: task.timeout_seconds.unwrap_or_default(), caught_all };
                // Under `run_native` the run ends with `States.Timeout`; a direct
                // `Workflow::run` has no `Result` that can carry it: a panic that says so.
                match FAILURES.try_with(|_| ()) {
                    Ok(()) if !caught_all => std::panic::resume_unwind(Box::new(timed_out)),
                    _ => panic!("{timed_out}"),
                }
            }
        };
    }
}

/// The retriers of a native call, and the attempts each has made.
pub(crate) struct Retries<'a> {
    retry: &'a [Retrier],
    counts: Vec<u32>,
    seed: u64,
}

impl<'a> Retries<'a> {
    pub(crate) fn new(retry: &'a [Retrier]) -> Self {
        Retries { retry, counts: vec![0; retry.len()], seed: 0x9e37_79b9_7f4a_7c15 }
    }

    /// The back-off before the next attempt after an error named `error` ([`retry_delay`]).
    pub(crate) fn delay(&mut self, error: &str) -> Option<std::time::Duration> {
        retry_delay(self.retry, &mut self.counts, error, &mut self.seed)
    }
}

/// The back-off before the next attempt after an error named `error`, if a retrier applies:
/// the first whose `ErrorEquals` matches, while it has attempts left (each counts its own),
/// `min(IntervalSeconds × BackoffRate^(n−1), MaxDelaySeconds)`, drawn below that with
/// `JitterStrategy: FULL`, as the local executor and Step Functions do.
fn retry_delay(retry: &[Retrier], counts: &mut [u32], error: &str, seed: &mut u64) -> Option<std::time::Duration> {
    use stepcraft_local::limits::{DEFAULT_BACKOFF_RATE, DEFAULT_INTERVAL_SECONDS, DEFAULT_MAX_ATTEMPTS};
    let (i, rule) =
        retry.iter().enumerate().find(|(_, r)| stepcraft_local::ErrorEquals(r.error_equals.clone()).matches(error))?;
    if counts[i] >= rule.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS) {
        return None;
    }
    counts[i] += 1;
    let interval = f64::from(rule.interval_seconds.unwrap_or(DEFAULT_INTERVAL_SECONDS));
    let mut seconds = interval * rule.backoff_rate.unwrap_or(DEFAULT_BACKOFF_RATE).powi(counts[i] as i32 - 1);
    if let Some(max) = rule.max_delay_seconds {
        seconds = seconds.min(f64::from(max));
    }
    if rule.jitter_strategy == Some(asl::Jitter::Full) {
        // splitmix64
        *seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        seconds *= ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64;
    }
    Some(std::time::Duration::from_secs_f64(seconds))
}

impl std::fmt::Display for TaskTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` timed out natively after its Task's TimeoutSeconds ({} s): the state machine's Task fails \
             with States.Timeout, which the activity's error type cannot carry",
            self.step, self.seconds
        )?;
        if self.caught_all {
            f.write_str(
                ", so the `Err` arm (or `join!` branch) whose Catch takes it on AWS cannot run natively; give the \
                 error type a variant for it, `#[error(transparent)] #[stepcraft(transparent)] \
                 Failed(#[from] stepcraft::CallbackError)`, or raise the activity's `timeout`",
            )
        } else {
            f.write_str(
                ", so `Workflow::run` cannot return it; run the workflow with `stepcraft::workflow::run_native` \
                 (its execution then fails with States.Timeout) or with `stepcraft::local`, or give the error \
                 type a transparent `stepcraft::CallbackError` variant",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_pascal_case() {
        assert_eq!(placeholder("charge_payment", ""), "${ChargePayment}");
        assert_eq!(placeholder("lookup-order", ""), "${LookupOrder}");
        assert_eq!(placeholder("Checkout", "StateMachine"), "${CheckoutStateMachine}");
    }

    #[test]
    fn rfc3339_timestamps() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(parse_rfc3339("2026-11-23T04:00:00Z"), Some(1_795_406_400.0));
        assert_eq!(parse_rfc3339("2026-11-23T05:00:00+01:00"), Some(1_795_406_400.0));
        assert_eq!(parse_rfc3339("2026-11-23T04:00:00.5Z"), Some(1_795_406_400.5));
        assert_eq!(parse_rfc3339("2026-13-23T04:00:00Z"), None);
        assert_eq!(parse_rfc3339("2026-11-23 04:00:00Z"), None);
        assert_eq!(parse_rfc3339("2026-11-23T04:00:00"), None);
    }
}
