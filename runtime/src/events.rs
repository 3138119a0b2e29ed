//! Event types of the AWS services a handler can be triggered by, re-exported from
//! `aws_lambda_events` so a stepcraft crate needs no other dependency for them.

pub use aws_lambda_events::eventbridge::EventBridgeEvent;
pub use aws_lambda_events::s3::{S3Event, S3EventRecord};
pub use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};

/// The event of an `s3(..)` handler: implemented by [`S3Event`] only.
#[diagnostic::on_unimplemented(
    message = "an `s3` handler takes `stepcraft::events::S3Event`, not `{Self}`",
    label = "S3 invokes the function with a notification of object events",
    note = "write `event: stepcraft::events::S3Event`"
)]
pub trait S3Notification {
    #[doc(hidden)]
    const IS: () = ();
}

impl S3Notification for S3Event {}

/// The event of an `eventbridge(..)` handler: implemented by [`EventBridgeEvent<T>`] only.
#[diagnostic::on_unimplemented(
    message = "an `eventbridge` handler takes `stepcraft::events::EventBridgeEvent<T>`, not `{Self}`",
    label = "EventBridge invokes the function with an event envelope",
    note = "write `event: stepcraft::events::EventBridgeEvent<Detail>`, with `Detail` the type of the events' `detail`"
)]
pub trait EventBridgeNotification {
    #[doc(hidden)]
    const IS: () = ();
}

impl<T: serde::Serialize + serde::de::DeserializeOwned> EventBridgeNotification for EventBridgeEvent<T> {}
