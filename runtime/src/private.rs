//! What generated code reaches, and only through `::stepcraft::__private`. Not a public API:
//! it changes in any release.

pub use crate::activity::{Activity, ActivityConfig};
pub use crate::asl::{self, Jitter, Retrier};
pub use crate::callback::{CallbackActivity, CallbackError, CallbackInput, callback, callback_task, native_callback};
pub use crate::cli::main;
pub use crate::data::{Data, Field, Repr, Variant};
pub use crate::error::{Error, FunctionError};
pub use crate::events::{EventBridgeNotification, S3Notification};
pub use crate::expr;
pub use crate::handler::{
    BodySchema, Entry, EventPattern, FunctionSpec, Handler, Host, Hosts, HttpApi, HttpHandler, NoSchema, SchemaOf,
    Trigger, TypeSchema,
};
pub use crate::http::{Cors, FromHttpRequest, IntoHttpResponse};
pub use crate::input::checking_input;
pub use crate::lambda::BoxFuture;
pub use crate::retry_names::{ErrorNames, NameTable, RetryErrors, check_retry_name, check_retry_variant};
pub use crate::workflow::{
    CopyByClone, CopyBySerde, ExpressStep, InputCopy, NoCopy, Step, Workflow, activity_task, add, divisor, error_name,
    error_names, mul, native_call, reraised, sub, workflow_task,
};
pub use ::core;
pub use ::lambda_runtime::Context;
pub use ::schemars;
pub use ::serde;
pub use ::serde_json;
pub use ::std;

/// Compile-time assertions placed at the user's tokens by generated code.
pub mod assert {
    /// An activity's or handler's input must be decodable from the invocation's JSON.
    pub fn input<T: ::serde::de::DeserializeOwned + ::schemars::JsonSchema>() {}
    /// An activity's output must be encodable to JSON and describable by a JSON Schema.
    pub fn output<T: ::serde::Serialize + ::schemars::JsonSchema>() {}
    /// An activity's or handler's error must have stable names.
    pub fn error<E: crate::Error>() {}
    /// The future of an activity must be `Send`: Step Functions runs activities concurrently.
    pub fn send<F: ::core::future::Future + Send>(_: &F) {}
}

/// An activity's error type, as its `Activity` and `Step` impls name it: one bound, so that a
/// type that is not a [`crate::Error`] is one error, not one per impl.
pub trait ErrorType {
    type Type: crate::Error;
}

impl<T: crate::Error> ErrorType for T {
    type Type = T;
}
