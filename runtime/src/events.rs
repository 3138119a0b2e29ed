//! Event types of the AWS services a handler can be triggered by, re-exported from
//! `aws_lambda_events` so a stepcraft crate needs no other dependency for them.

pub use aws_lambda_events::eventbridge::EventBridgeEvent;
pub use aws_lambda_events::s3::{S3Event, S3EventRecord};
pub use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
