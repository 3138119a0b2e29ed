//! # stepcraft
//!
//! Serverless workflows on AWS in plain Rust. Annotate functions, and the compiler sees the
//! whole system:
//!
//! - [`macro@activity`] turns `async fn(Input) -> Result<Output, E>` into a unit of work that
//!   runs as a Lambda function, with JSON Schemas of its input and output and default
//!   Retry/timeout settings that Step Functions will apply.
//! - [`macro@handler`] turns a plain Lambda entry point (custom JSON, API Gateway HTTP, SQS
//!   batches, S3 and EventBridge events) into a binary's `main`.
//! - [`macro@Error`] gives every variant of an error enum a stable name, the string Step
//!   Functions matches in `ErrorEquals` and Lambda reports as `errorType`.
//!
//! A crate's binary hosts its activities with [`main!`]; under Lambda it serves the function
//! the runtime names in `_HANDLER`, outside Lambda it is a small command-line tool
//! (`list`, `invoke`, `describe`).
//!
//! ```no_run
//! use stepcraft::{activity, Error};
//! use serde::{Deserialize, Serialize};
//! use schemars::JsonSchema;
//!
//! #[derive(Deserialize, Serialize, JsonSchema)]
//! struct Order { id: String, total: u64 }
//! #[derive(Deserialize, Serialize, JsonSchema)]
//! struct Receipt { charged: u64 }
//!
//! #[derive(Debug, Error)]
//! enum PaymentError { Declined, GatewayDown }
//! # impl std::fmt::Display for PaymentError {
//! #     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { std::fmt::Debug::fmt(self, f) }
//! # }
//!
//! #[activity(retry(errors = [GatewayDown], interval = "2s", max_attempts = 3), timeout = "30s")]
//! async fn charge(order: Order) -> Result<Receipt, PaymentError> {
//!     Ok(Receipt { charged: order.total })
//! }
//!
//! stepcraft::main!(charge);
//! ```

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
pub mod activity;
pub mod asl;
pub mod aws;
pub mod callback;
mod cli;
pub mod data;
pub mod error;
pub mod events;
#[doc(hidden)]
pub mod expr;
pub mod handler;
pub mod http;
pub mod input;
mod invocation;
mod lambda;
pub mod local;
mod log;
mod retry_names;
pub mod workflow;

pub use activity::{Activity, ActivityConfig};
pub use callback::{CallbackError, TaskToken, callback};
pub use data::Data;
pub use error::{Error, FunctionError};
pub use handler::Handler;
pub use invocation::Invocation;
pub use lambda_runtime::Context;
/// The JSON Schema library behind the schemas of activities and handlers. Its derive names the
/// library as `schemars`, so import both: `use stepcraft::{JsonSchema, schemars};`, then
/// `#[derive(JsonSchema)]`, and the crate needs no `schemars` dependency of its own.
pub use schemars::{self, JsonSchema};
/// The JSON values [`local`] takes and returns (`serde_json::json!`, `Value`).
pub use serde_json;
pub use std::time::Duration;
pub use stepcraft_macros::{Data, Error, activity, handler, workflow};
/// The async runtime the binary runs on. Tests of workflows and activities use its test macro
/// without a `tokio` dependency: `use stepcraft::tokio;`, then `#[tokio::test]`.
pub use tokio;
/// Runs activities (or `async` blocks of them) concurrently and keeps each one's `Result`: in a
/// state machine, a Parallel state whose branches catch their own errors.
pub use tokio::join;
/// Runs activities (or `async` blocks of them) concurrently: in a state machine, a Parallel
/// state. Like a Parallel state, it stops at the first failure.
pub use tokio::try_join;
pub use tracing;
pub use workflow::{Step, Workflow, sleep, sleep_until};

/// The error type of a binary's `main` and of init functions that want a catch-all error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Hosts the given activities (and handlers) in this binary and generates its `main`.
///
/// Under Lambda (`AWS_LAMBDA_RUNTIME_API` is set) the binary serves the function whose name is
/// in `_HANDLER` (the `Handler` property of the function in the template); a binary hosting one
/// function serves it whatever `_HANDLER` says. Outside Lambda it is a command-line tool:
/// `list`, `invoke NAME --input JSON|@FILE` and `describe NAME`.
///
/// ```ignore
/// stepcraft::main!(reserve_inventory, charge_payment, release_inventory);
/// ```
#[macro_export]
macro_rules! main {
    ($($function:path),+ $(,)?) => {
        fn main() -> ::std::process::ExitCode {
            // Every activity and child workflow a hosted workflow calls must be hosted too: the
            // workflow's tasks invoke this binary's functions. `ThisBinary` hosts what is listed.
            #[doc(hidden)]
            struct ThisBinary;
            $(#[diagnostic::do_not_recommend] impl $crate::__private::Hosts<$function> for ThisBinary {})+
            $(<$function>::__stepcraft_calls::<ThisBinary>();)+
            $crate::__private::main(&[$($crate::__private::Entry::of::<$function>()),+])
        }
    };
}
