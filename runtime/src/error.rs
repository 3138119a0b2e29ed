//! Stable error names: what Lambda reports as `errorType` and Step Functions matches in
//! `ErrorEquals`.

use std::borrow::Cow;
use std::fmt;

/// An error whose every value has a stable name.
///
/// Derive it with `#[derive(Debug, stepcraft::Error)]` on an enum (one name per variant: the
/// variant's identifier, or `#[stepcraft(name = "…")]`) or on a struct (the struct's
/// identifier). The message reported next to the name is the error's `Display`.
///
/// The names never come from `std::any::type_name`: they are part of the workflow's contract
/// and must not change when a type moves between modules.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a stepcraft error: it has no stable error names",
    label = "Step Functions matches errors by name",
    note = "derive them: `#[derive(Debug, stepcraft::Error)]` on the error enum, one name per variant"
)]
pub trait Error: fmt::Display + fmt::Debug {
    /// Every name a value of this type can have, in declaration order (a transparent variant
    /// contributes the names of the error it wraps).
    fn names() -> Vec<&'static str>
    where
        Self: Sized;

    /// The stable name of this error, e.g. `"Declined"`.
    fn name(&self) -> &'static str;

    /// The HTTP status an HTTP handler answers with for this error (default 500).
    fn status(&self) -> u16 {
        500
    }

    /// The names of the variant declared with identifier `variant`: one, or the names of the
    /// wrapped error for a `#[stepcraft(transparent)]` variant; empty if there is no such variant.
    #[doc(hidden)]
    fn __names_of_variant(variant: &str) -> Vec<&'static str>
    where
        Self: Sized;

    /// This error raised again after it was caught (`Err(e) => return Err(e.into())`): the
    /// same, but for errors whose name can be one only Step Functions raises (`States.*`).
    #[doc(hidden)]
    fn __reraised(self) -> Self
    where
        Self: Sized,
    {
        self
    }

    /// This type's value for a failure named by Step Functions itself (`States.Timeout` when a
    /// Task's `TimeoutSeconds` passes natively), if the type can hold one: through a
    /// `#[stepcraft(transparent)]` variant wrapping [`CallbackError`](crate::CallbackError).
    /// A catch-all `Err(e)` arm then runs natively as its `Catch` (`States.ALL`) does.
    #[doc(hidden)]
    fn __from_states(name: &str, cause: &str) -> Option<Self>
    where
        Self: Sized,
    {
        let _ = (name, cause);
        None
    }

    /// The message template of variant `variant` (thiserror's `#[error("…")]`), so that a
    /// `Fail` state's cause reads like the error's `Display`.
    #[doc(hidden)]
    fn __message_template(variant: &str) -> Option<&'static str>
    where
        Self: Sized,
    {
        let _ = variant;
        None
    }
}

impl Error for std::convert::Infallible {
    fn names() -> Vec<&'static str> {
        Vec::new()
    }

    fn name(&self) -> &'static str {
        match *self {}
    }

    fn __names_of_variant(_: &str) -> Vec<&'static str> {
        Vec::new()
    }
}

/// A failed invocation as Lambda reports it: `{"errorType": …, "errorMessage": …}`.
///
/// Besides the user's own error names, the glue reports these:
///
/// | `errorType` | when |
/// | --- | --- |
/// | `InvalidInput` | the event is not valid JSON or does not fit the input type; the message names the field |
/// | `PayloadTooLarge` | the event is larger than Lambda's 6 MiB invocation limit |
/// | `Panic` | the function panicked; the process keeps serving |
/// | `Runtime.HandlerNotFound` | `_HANDLER` names no function hosted by the binary (reported as an init error) |
/// | `Runtime.InitError` | the init function failed (reported as an init error) |
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionError {
    /// The stable name, reported as `errorType`.
    pub error_type: Cow<'static, str>,
    /// A human-readable message, reported as `errorMessage`.
    pub message: String,
}

impl FunctionError {
    /// `errorType` for input that cannot be decoded.
    pub const INVALID_INPUT: &'static str = "InvalidInput";
    /// `errorType` for input over the size limit.
    pub const PAYLOAD_TOO_LARGE: &'static str = "PayloadTooLarge";
    /// `errorType` for a panic in user code.
    pub const PANIC: &'static str = "Panic";

    /// An error with the given name and message.
    pub fn new(error_type: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        FunctionError { error_type: error_type.into(), message: message.into() }
    }

    /// The report of a user error.
    pub fn from_error<E: Error + ?Sized>(error: &E) -> Self {
        FunctionError::new(error.name(), error.to_string())
    }

    /// The report of a panic, from the payload `catch_unwind` returns.
    pub(crate) fn from_panic(payload: &(dyn std::any::Any + Send)) -> Self {
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("a non-string panic payload");
        FunctionError::new(Self::PANIC, format!("the function panicked: {message}"))
    }

    /// The report of input that does not decode; `path` is where in the document it failed.
    pub(crate) fn invalid_input(path: &str, error: impl fmt::Display) -> Self {
        let message = if path == "." || path.is_empty() {
            format!("invalid input: {error}")
        } else {
            format!("invalid input at `{path}`: {error}")
        };
        FunctionError::new(Self::INVALID_INPUT, message)
    }
}

impl fmt::Display for FunctionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type, self.message)
    }
}

impl std::error::Error for FunctionError {}

impl From<FunctionError> for lambda_runtime::Diagnostic {
    fn from(error: FunctionError) -> Self {
        lambda_runtime::Diagnostic { error_type: error.error_type.into_owned(), error_message: error.message }
    }
}
