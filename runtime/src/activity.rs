//! Activities: units of work a workflow calls, each run as a Lambda function.

use crate::asl::Retrier;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::future::Future;

/// A unit of work run as a Lambda function, implemented by `#[activity]`.
///
/// `#[activity] async fn charge(..)` keeps the function as written and adds a type of the same
/// name (`charge`, in the type namespace) implementing this trait, so `charge` can be named in
/// `stepcraft::main!(charge)` and resolved by workflows.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an activity",
    note = "annotate the function with `#[stepcraft::activity]`"
)]
pub trait Activity: 'static {
    /// The decoded event.
    type Input: DeserializeOwned + schemars::JsonSchema + Send;
    /// The successful result.
    type Output: Serialize + schemars::JsonSchema + Send;
    /// The failure, with stable names.
    type Error: crate::Error;

    /// The function's name: the Lambda handler name (`_HANDLER`) it is served under.
    const NAME: &'static str;

    /// What the deployment template needs: memory and the function's timeout.
    const SPEC: crate::handler::FunctionSpec = crate::handler::FunctionSpec::NONE;

    /// Retry rules and timeouts declared in the attribute.
    fn config() -> ActivityConfig;

    /// Runs the activity.
    fn run(input: Self::Input) -> impl Future<Output = Result<Self::Output, Self::Error>> + Send;

    /// The JSON Schema of the input.
    fn input_schema() -> schemars::Schema {
        schemars::schema_for!(Self::Input)
    }

    /// The JSON Schema of the output.
    fn output_schema() -> schemars::Schema {
        schemars::schema_for!(Self::Output)
    }
}

/// The defaults an activity declares for the Task states that call it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActivityConfig {
    /// `TimeoutSeconds` of the task (and the Lambda function's timeout).
    pub timeout_seconds: Option<u32>,
    /// `HeartbeatSeconds` of the task.
    pub heartbeat_seconds: Option<u32>,
    /// `Retry` rules, in order.
    pub retry: Vec<Retrier>,
}
