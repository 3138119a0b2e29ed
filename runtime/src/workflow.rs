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
    /// What the call returns.
    type Output;
    /// How the call fails.
    type Error: Error;
    /// Whether this is a workflow (a child execution) rather than an activity.
    const CHILD_WORKFLOW: bool;

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
    let retry = Retrier::with_service_errors(config.retry, false);
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
