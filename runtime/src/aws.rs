//! AWS service calls a workflow makes itself, without a Lambda function: a small typed surface
//! over Step Functions' AWS SDK integrations (DynamoDB `GetItem`/`PutItem`/`UpdateItem`, SNS
//! `Publish`, SQS `SendMessage`, EventBridge `PutEvents`, Step Functions `StartExecution`).
//!
//! Each call is a pair, as an `#[activity]` is: an `async fn` the workflow calls
//! (`dynamodb::put_item(request).await`) and a unit struct of the same name implementing
//! [`Step`], whose Task is `arn:aws:states:::aws-sdk:SERVICE:action` with the request, serialized
//! with AWS's field names, as its `Arguments` (literal `null`s, Rust's `None`, left out), and
//! the service's response as its result. Each error enum carries the names Step Functions gives
//! the service's errors: `ServiceName.ErrorName`, both in Pascal case, the error name always with
//! the suffix `Exception` (AWS docs, "Learning to use AWS service SDK integrations in Step
//! Functions"), so `Err(DynamoDbError::ConditionalCheckFailed(_))` is a `Catch` on
//! `DynamoDb.ConditionalCheckFailedException`.
//!
//! Natively (unit tests, `run_native`) nothing calls AWS: a call is answered by the [`Mocks`] the
//! test runs the workflow under ([`Mocks::run`]), by a typed closure ([`mock`], [`Mocks::on`]) or
//! by a Step Functions Local mocked response ([`Mocks::responses`]), and panics, naming the call
//! and how to mock it, when nothing answers. The local executor answers the same Tasks from its
//! own mocks (`Local::mock_state`, a Step Functions Local configuration).
//!
//! A workflow has no map literals, so DynamoDB items and keys ([`dynamodb::Item`]) come from the
//! workflow's input or an activity's output.
//!
//! These are not Lambda functions: `stepcraft::main!` does not list them, and every binary
//! "hosts" them (`Hosts` holds for any binary), so a workflow calling them needs nothing more.

use crate::asl;
use crate::data::{Data, Field, Repr, Variant};
use crate::error::Error;
use crate::handler::Hosts;
use crate::retry_names::{ErrorNames, NameTable, RetryErrors};
use crate::workflow::{ExpressStep, Step};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

/// A typed AWS service call: its Task's `Resource`, and how the workflow names it.
pub trait Call: Step {
    /// The Task's `Resource`, e.g. `arn:aws:states:::aws-sdk:dynamodb:putItem`.
    const RESOURCE: &'static str;
    /// The function, as a workflow calls it (`dynamodb::put_item`).
    const PATH: &'static str;
}

/// The error of a typed call, from the name and cause of a failure.
pub trait ServiceError: Error + Sized {
    /// The value named `name` (`DynamoDb.ConditionalCheckFailedException`), with `cause` as its
    /// message; `None` if the type has no such name.
    fn from_name(name: &str, cause: String) -> Option<Self>;
}

/// The Task calling `S`: its resource, with the request as its arguments.
fn service_task<S: Call>(mut payload: Value) -> asl::Task {
    drop_nulls(&mut payload);
    asl::Task {
        comment: None,
        resource: S::RESOURCE.into(),
        arguments: Some(payload),
        output: None,
        assign: asl::Assign::new(),
        timeout_seconds: None,
        heartbeat_seconds: None,
        retry: Vec::new(),
        catch: Vec::new(),
        next: asl::Next::End,
    }
}

/// Removes the members whose value is a literal `null` (a `None` the workflow wrote), at any
/// depth: AWS's request fields are absent, never `null`, and serde leaves them out natively.
fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/* ------------------------------------------ NATIVE RUNS ------------------------------------------ */

type Answer<S> = dyn Fn(<S as Step>::Input) -> Result<<S as Step>::Output, <S as Step>::Error> + Send + Sync;

enum Entry {
    /// A `Box<Answer<S>>`.
    Typed(Arc<dyn Any + Send + Sync>),
    /// A Step Functions Local mocked response, and the calls it answered.
    Responses(stepcraft_local::Mock, AtomicU32),
}

/// The answers of typed calls in a native run, by call. Run the workflow under them with
/// [`Mocks::run`].
#[derive(Default)]
pub struct Mocks {
    entries: HashMap<&'static str, Entry>,
}

impl std::fmt::Debug for Mocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mocks").field("calls", &self.entries.keys().collect::<Vec<_>>()).finish()
    }
}

tokio::task_local! {
    static MOCKS: Arc<Mocks>;
}

/// Mocks answering every call of `S` with `answer`: `aws::mock::<dynamodb::put_item>(|_| Ok(..))`.
pub fn mock<S: Call>(answer: impl Fn(S::Input) -> Result<S::Output, S::Error> + Send + Sync + 'static) -> Mocks {
    Mocks::new().on::<S>(answer)
}

impl Mocks {
    /// No answers.
    pub fn new() -> Mocks {
        Mocks::default()
    }

    /// Every call of `S` is answered by `answer`.
    pub fn on<S: Call>(
        mut self,
        answer: impl Fn(S::Input) -> Result<S::Output, S::Error> + Send + Sync + 'static,
    ) -> Mocks {
        let answer: Box<Answer<S>> = Box::new(answer);
        self.entries.insert(S::RESOURCE, Entry::Typed(Arc::new(answer)));
        self
    }

    /// The calls of `S` are answered, call by call, by a mocked response in the format of Step
    /// Functions Local's `MockedResponses` (`{"0": {"Throw": {"Error": …, "Cause": …}}, "1":
    /// {"Return": …}}`): a `Return` is the service's response, a `Throw` the error of that name.
    pub fn responses<S: Call>(mut self, response: &Value) -> Result<Mocks, String> {
        let mock = stepcraft_local::Mock::from_response(S::PATH, response)?;
        self.entries.insert(S::RESOURCE, Entry::Responses(mock, AtomicU32::new(0)));
        Ok(self)
    }

    /// Runs `future` (a workflow's native run) with these answers.
    pub fn run<F: Future>(self, future: F) -> impl Future<Output = F::Output> {
        MOCKS.scope(Arc::new(self), future)
    }

    fn answer<S>(&self, input: S::Input) -> Option<Result<S::Output, S::Error>>
    where
        S: Call,
        S::Input: Serialize,
        S::Output: DeserializeOwned,
        S::Error: ServiceError,
    {
        match self.entries.get(S::RESOURCE)? {
            Entry::Typed(answer) => {
                let answer = answer.downcast_ref::<Box<Answer<S>>>().expect("an answer of this call's types");
                Some(answer(input))
            }
            Entry::Responses(mock, calls) => {
                let call = calls.fetch_add(1, Ordering::SeqCst);
                let payload = serde_json::to_value(&input).expect("a request serializes to JSON");
                let Some(outcome) = mock.outcome(call, &payload) else {
                    panic!("the mocked responses of `{}` have no answer for call #{call}", S::PATH)
                };
                Some(match outcome {
                    Ok(value) => Ok(serde_json::from_value(value.clone()).unwrap_or_else(|e| {
                        panic!("the mocked response of `{}` is not its response ({e}): {value}", S::PATH)
                    })),
                    Err(f) => {
                        let cause = f.cause.unwrap_or_default();
                        Err(S::Error::from_name(&f.error, cause).unwrap_or_else(|| {
                            panic!(
                                "the mocked response of `{}` throws `{}`, which is not an error of `{}`: it fails \
                                 with {}",
                                S::PATH,
                                f.error,
                                std::any::type_name::<S::Error>(),
                                S::Error::names().join(", ")
                            )
                        }))
                    }
                })
            }
        }
    }
}

/// A typed call in a native run: the answer of the mocks it runs under, else a panic that says
/// how to mock it.
fn native<S>(input: S::Input) -> Result<S::Output, S::Error>
where
    S: Call,
    S::Input: Serialize,
    S::Output: DeserializeOwned,
    S::Error: ServiceError,
{
    let mocks = MOCKS.try_with(Arc::clone).ok();
    match mocks.and_then(|m| m.answer::<S>(input)) {
        Some(answer) => answer,
        None => panic!(
            "nothing answers `{path}` ({resource}): a native run calls no AWS service; run the workflow under \
             mocks, e.g. `stepcraft::aws::mock::<{path}>(|request| Ok(..)).run(run_native::<W>(input)).await`, or \
             give Step Functions Local mocked responses with `Mocks::responses::<{path}>(..)`",
            path = S::PATH,
            resource = S::RESOURCE,
        ),
    }
}

/* ------------------------------------------ DEFINITIONS ------------------------------------------ */

/// An error enum of a service, each variant with the name Step Functions gives it and the
/// service's message.
macro_rules! service_error {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $aws:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vmeta])* #[doc = concat!("`", $aws, "`.")] $variant(String),)+
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self {
                    $(Self::$variant(message) => f.write_str(message),)+
                }
            }
        }

        impl std::error::Error for $name {}

        #[diagnostic::do_not_recommend]
        impl Error for $name {
            fn names() -> Vec<&'static str> {
                vec![$($aws),+]
            }

            fn name(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $aws,)+
                }
            }

            fn __names_of_variant(variant: &str) -> Vec<&'static str> {
                match variant {
                    $(stringify!($variant) => vec![$aws],)+
                    _ => Vec::new(),
                }
            }
        }

        #[diagnostic::do_not_recommend]
        impl ErrorNames for $name {
            const NAMES: NameTable = NameTable {
                ty: stringify!($name),
                variants: &[$(stringify!($variant)),+],
                own: &[$($aws),+],
                wrapped: &[],
            };
        }

        impl ServiceError for $name {
            fn from_name(name: &str, cause: String) -> Option<Self> {
                match name {
                    $($aws => Some(Self::$variant(cause)),)+
                    _ => None,
                }
            }
        }
    };
}

/// `Data` of a struct: the JSON key of each field, and the fields that may be absent.
macro_rules! data {
    ($ty:ty { $($field:ident => $key:literal $(, $optional:ident)?;)* }) => {
        impl Data for $ty {
            fn json_field(field: &str) -> Option<Field> {
                match field {
                    $(stringify!($field) => Some(Field::Key($key)),)*
                    _ => None,
                }
            }

            fn json_default(field: &str) -> Option<Value> {
                match field {
                    $($(stringify!($field) => { let _ = stringify!($optional); Some(Value::Null) })?)*
                    _ => None,
                }
            }
        }
    };
}

/// The async fn a workflow calls and its `Step`.
macro_rules! call {
    ($(#[$meta:meta])* $fn_name:ident($input:ty) -> Result<$output:ty, $error:ty>, $resource:literal, $path:literal) => {
        $(#[$meta])*
        #[doc = concat!("\n\nIn a state machine, a Task of `", $resource, "`.")]
        pub async fn $fn_name(request: $input) -> Result<$output, $error> {
            super::native::<$fn_name>(request)
        }

        #[doc = concat!("The call [`", stringify!($fn_name), "`](fn@", stringify!($fn_name), "): what a workflow's Task calls.")]
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy)]
        pub struct $fn_name {}

        // Not offered in diagnostics about a user's own steps and errors (nor the error
        // types' impls above): the fix there is never one of these.
        #[diagnostic::do_not_recommend]
        impl Step for $fn_name {
            type Input = $input;
            type Output = $output;
            type Error = $error;
            const CHILD_WORKFLOW: bool = false;
            // A service call is no Lambda function: `Lambda.*` errors cannot reach it.
            const LAMBDA: bool = false;

            fn task(payload: Value) -> asl::Task {
                super::service_task::<Self>(payload)
            }

            fn result() -> Value {
                crate::expr::task_result::<crate::expr::Any>().template()
            }
        }

        impl super::Call for $fn_name {
            const RESOURCE: &'static str = $resource;
            const PATH: &'static str = $path;
        }

        #[diagnostic::do_not_recommend]
        impl ExpressStep for $fn_name {}

        impl RetryErrors for $fn_name {
            type Error = $error;
        }

        // Not a Lambda function: no binary deploys it, every binary may call it.
        impl<M: ?Sized> Hosts<$fn_name> for M {}
    };
}

/// Amazon DynamoDB (`arn:aws:states:::aws-sdk:dynamodb:…`).
pub mod dynamodb {
    use super::*;
    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};
    use std::collections::BTreeMap;

    /// An item or a key: attribute names and their typed values.
    pub type Item = BTreeMap<String, AttributeValue>;

    /// A DynamoDB attribute value, as the API writes it (`{"S": "o-1"}`, `{"N": "42"}`).
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
    pub enum AttributeValue {
        /// A string.
        S(String),
        /// A number, as a string.
        N(String),
        /// Binary data, base64.
        B(String),
        /// A string set.
        #[serde(rename = "SS")]
        Ss(Vec<String>),
        /// A number set.
        #[serde(rename = "NS")]
        Ns(Vec<String>),
        /// A binary set.
        #[serde(rename = "BS")]
        Bs(Vec<String>),
        /// A map.
        M(BTreeMap<String, AttributeValue>),
        /// A list.
        L(Vec<AttributeValue>),
        /// Null.
        #[serde(rename = "NULL")]
        Null(bool),
        /// A boolean.
        #[serde(rename = "BOOL")]
        Bool(bool),
    }

    impl Data for AttributeValue {
        fn json_field(_: &str) -> Option<Field> {
            None
        }

        fn json_variant(variant: &str) -> Option<Variant> {
            let name = match variant {
                "S" => "S",
                "N" => "N",
                "B" => "B",
                "M" => "M",
                "L" => "L",
                "Ss" => "SS",
                "Ns" => "NS",
                "Bs" => "BS",
                "Null" => "NULL",
                "Bool" => "BOOL",
                _ => return None,
            };
            Some(Variant { name, repr: Repr::External, unit: false })
        }
    }

    /// `GetItem`'s request.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "PascalCase")]
    pub struct GetItem {
        /// The table.
        pub table_name: String,
        /// The item's primary key.
        pub key: Item,
        /// Whether the read is strongly consistent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub consistent_read: Option<bool>,
        /// The attributes to read.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub projection_expression: Option<String>,
        /// Substitutions for attribute names in the expression (`#n`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub expression_attribute_names: Option<BTreeMap<String, String>>,
    }
    data!(GetItem {
        table_name => "TableName";
        key => "Key";
        consistent_read => "ConsistentRead", optional;
        projection_expression => "ProjectionExpression", optional;
        expression_attribute_names => "ExpressionAttributeNames", optional;
    });

    /// `GetItem`'s response.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "PascalCase")]
    pub struct GetItemOutput {
        /// The item; absent if there is none with the key.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub item: Option<Item>,
    }
    data!(GetItemOutput { item => "Item", optional; });

    /// `PutItem`'s request.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "PascalCase")]
    pub struct PutItem {
        /// The table.
        pub table_name: String,
        /// The item, with its primary key.
        pub item: Item,
        /// The condition the put needs (`attribute_not_exists(id)`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub condition_expression: Option<String>,
        /// Substitutions for attribute names in the expression (`#n`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub expression_attribute_names: Option<BTreeMap<String, String>>,
        /// Substitutions for values in the expression (`:v`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub expression_attribute_values: Option<Item>,
        /// `NONE` or `ALL_OLD`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub return_values: Option<String>,
    }
    data!(PutItem {
        table_name => "TableName";
        item => "Item";
        condition_expression => "ConditionExpression", optional;
        expression_attribute_names => "ExpressionAttributeNames", optional;
        expression_attribute_values => "ExpressionAttributeValues", optional;
        return_values => "ReturnValues", optional;
    });

    /// `PutItem`'s and `UpdateItem`'s response.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "PascalCase")]
    pub struct WriteOutput {
        /// The attributes `ReturnValues` asked for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub attributes: Option<Item>,
    }
    data!(WriteOutput { attributes => "Attributes", optional; });

    /// `UpdateItem`'s request.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "PascalCase")]
    pub struct UpdateItem {
        /// The table.
        pub table_name: String,
        /// The item's primary key.
        pub key: Item,
        /// The update (`SET #s = :s`).
        pub update_expression: String,
        /// The condition the update needs.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub condition_expression: Option<String>,
        /// Substitutions for attribute names in the expressions (`#n`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub expression_attribute_names: Option<BTreeMap<String, String>>,
        /// Substitutions for values in the expressions (`:v`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub expression_attribute_values: Option<Item>,
        /// `NONE`, `ALL_OLD`, `UPDATED_OLD`, `ALL_NEW` or `UPDATED_NEW`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub return_values: Option<String>,
    }
    data!(UpdateItem {
        table_name => "TableName";
        key => "Key";
        update_expression => "UpdateExpression";
        condition_expression => "ConditionExpression", optional;
        expression_attribute_names => "ExpressionAttributeNames", optional;
        expression_attribute_values => "ExpressionAttributeValues", optional;
        return_values => "ReturnValues", optional;
    });

    service_error! {
        /// The errors of `GetItem`, `PutItem` and `UpdateItem` (the DynamoDB API reference) as
        /// Step Functions names them.
        DynamoDbError {
            /// A write's `ConditionExpression` was false.
            ConditionalCheckFailed = "DynamoDb.ConditionalCheckFailedException",
            /// No such table.
            ResourceNotFound = "DynamoDb.ResourceNotFoundException",
            /// The table's provisioned throughput is exhausted.
            ProvisionedThroughputExceeded = "DynamoDb.ProvisionedThroughputExceededException",
            /// The account's request rate is exceeded.
            RequestLimitExceeded = "DynamoDb.RequestLimitExceededException",
            /// A transaction on the item is in progress.
            TransactionConflict = "DynamoDb.TransactionConflictException",
            /// An item collection is over 10 GB.
            ItemCollectionSizeLimitExceeded = "DynamoDb.ItemCollectionSizeLimitExceededException",
            /// DynamoDB failed.
            InternalServerError = "DynamoDb.InternalServerErrorException",
        }
    }

    call! {
        /// Reads an item (`GetItem`).
        get_item(GetItem) -> Result<GetItemOutput, DynamoDbError>,
        "arn:aws:states:::aws-sdk:dynamodb:getItem", "dynamodb::get_item"
    }
    call! {
        /// Writes an item (`PutItem`).
        put_item(PutItem) -> Result<WriteOutput, DynamoDbError>,
        "arn:aws:states:::aws-sdk:dynamodb:putItem", "dynamodb::put_item"
    }
    call! {
        /// Changes an item (`UpdateItem`).
        update_item(UpdateItem) -> Result<WriteOutput, DynamoDbError>,
        "arn:aws:states:::aws-sdk:dynamodb:updateItem", "dynamodb::update_item"
    }
}

/// Amazon SNS (`arn:aws:states:::aws-sdk:sns:…`).
pub mod sns {
    use super::*;
    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};

    /// `Publish`'s request, to a topic.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "PascalCase")]
    pub struct Publish {
        /// The topic.
        pub topic_arn: String,
        /// The message.
        pub message: String,
        /// The subject of email deliveries.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub subject: Option<String>,
        /// For FIFO topics.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub message_group_id: Option<String>,
        /// For FIFO topics.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub message_deduplication_id: Option<String>,
    }
    data!(Publish {
        topic_arn => "TopicArn";
        message => "Message";
        subject => "Subject", optional;
        message_group_id => "MessageGroupId", optional;
        message_deduplication_id => "MessageDeduplicationId", optional;
    });

    /// `Publish`'s response.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "PascalCase")]
    pub struct PublishOutput {
        /// The message's id.
        pub message_id: String,
        /// For FIFO topics.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub sequence_number: Option<String>,
    }
    data!(PublishOutput { message_id => "MessageId"; sequence_number => "SequenceNumber", optional; });

    service_error! {
        /// The errors of `Publish` (the SNS API reference) as Step Functions names them.
        SnsError {
            /// No such topic.
            NotFound = "Sns.NotFoundException",
            /// The caller may not publish.
            AuthorizationError = "Sns.AuthorizationErrorException",
            /// A request parameter is invalid.
            InvalidParameter = "Sns.InvalidParameterException",
            /// A parameter's value is invalid.
            InvalidParameterValue = "Sns.InvalidParameterValueException",
            /// SNS failed.
            InternalError = "Sns.InternalErrorException",
        }
    }

    call! {
        /// Publishes a message to a topic (`Publish`).
        publish(Publish) -> Result<PublishOutput, SnsError>,
        "arn:aws:states:::aws-sdk:sns:publish", "sns::publish"
    }
}

/// Amazon SQS (`arn:aws:states:::aws-sdk:sqs:…`).
pub mod sqs {
    use super::*;
    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};

    /// `SendMessage`'s request.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "PascalCase")]
    pub struct SendMessage {
        /// The queue's URL.
        pub queue_url: String,
        /// The message.
        pub message_body: String,
        /// Seconds before the message can be received.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub delay_seconds: Option<u32>,
        /// For FIFO queues.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub message_group_id: Option<String>,
        /// For FIFO queues.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub message_deduplication_id: Option<String>,
    }
    data!(SendMessage {
        queue_url => "QueueUrl";
        message_body => "MessageBody";
        delay_seconds => "DelaySeconds", optional;
        message_group_id => "MessageGroupId", optional;
        message_deduplication_id => "MessageDeduplicationId", optional;
    });

    /// `SendMessage`'s response.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "PascalCase")]
    pub struct SendMessageOutput {
        /// The message's id.
        pub message_id: String,
        /// The MD5 digest of the body.
        #[serde(rename = "MD5OfMessageBody", default, skip_serializing_if = "Option::is_none")]
        pub md5_of_message_body: Option<String>,
        /// For FIFO queues.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub sequence_number: Option<String>,
    }
    data!(SendMessageOutput {
        message_id => "MessageId";
        md5_of_message_body => "MD5OfMessageBody", optional;
        sequence_number => "SequenceNumber", optional;
    });

    service_error! {
        /// The errors of `SendMessage` (the SQS API reference) as Step Functions names them.
        SqsError {
            /// No such queue.
            QueueDoesNotExist = "Sqs.QueueDoesNotExistException",
            /// The body has characters SQS does not accept.
            InvalidMessageContents = "Sqs.InvalidMessageContentsException",
            /// The request rate is exceeded.
            RequestThrottled = "Sqs.RequestThrottledException",
            /// The operation is not supported.
            UnsupportedOperation = "Sqs.UnsupportedOperationException",
        }
    }

    call! {
        /// Sends a message to a queue (`SendMessage`).
        send_message(SendMessage) -> Result<SendMessageOutput, SqsError>,
        "arn:aws:states:::aws-sdk:sqs:sendMessage", "sqs::send_message"
    }
}

/// Amazon EventBridge (`arn:aws:states:::aws-sdk:eventbridge:…`).
pub mod events {
    use super::*;
    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};

    /// `PutEvents`'s request.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "PascalCase")]
    pub struct PutEvents {
        /// The events (up to 10).
        pub entries: Vec<PutEventsEntry>,
    }
    data!(PutEvents { entries => "Entries"; });

    /// One event.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "PascalCase")]
    pub struct PutEventsEntry {
        /// The event's source (`com.example.orders`).
        pub source: String,
        /// The event's type (`OrderPlaced`).
        pub detail_type: String,
        /// The event, a JSON object as text.
        pub detail: String,
        /// The bus; the account's default bus when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub event_bus_name: Option<String>,
    }
    data!(PutEventsEntry {
        source => "Source";
        detail_type => "DetailType";
        detail => "Detail";
        event_bus_name => "EventBusName", optional;
    });

    /// `PutEvents`'s response: an entry per event, in order. A failed event is not an error of
    /// the call: it has an `ErrorCode`, and `FailedEntryCount` counts them.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "PascalCase")]
    pub struct PutEventsOutput {
        /// The events' results.
        #[serde(default)]
        pub entries: Vec<PutEventsResultEntry>,
        /// How many events failed.
        #[serde(default)]
        pub failed_entry_count: u32,
    }
    data!(PutEventsOutput { entries => "Entries"; failed_entry_count => "FailedEntryCount"; });

    /// The result of one event.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "PascalCase")]
    pub struct PutEventsResultEntry {
        /// The event's id, if it was put.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub event_id: Option<String>,
        /// Why it was not.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub error_code: Option<String>,
        /// Why it was not, in words.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub error_message: Option<String>,
    }
    data!(PutEventsResultEntry {
        event_id => "EventId", optional;
        error_code => "ErrorCode", optional;
        error_message => "ErrorMessage", optional;
    });

    service_error! {
        /// The errors of `PutEvents` (the EventBridge API reference) as Step Functions names them.
        EventBridgeError {
            /// EventBridge failed.
            Internal = "EventBridge.InternalException",
        }
    }

    call! {
        /// Puts events on a bus (`PutEvents`).
        put_events(PutEvents) -> Result<PutEventsOutput, EventBridgeError>,
        "arn:aws:states:::aws-sdk:eventbridge:putEvents", "events::put_events"
    }
}

/// AWS Step Functions (`arn:aws:states:::aws-sdk:sfn:…`).
pub mod states {
    use super::*;
    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};

    /// `StartExecution`'s request: start and do not wait (for a child workflow the workflow
    /// waits for, call the workflow itself).
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "PascalCase")]
    pub struct StartExecution {
        /// The state machine.
        pub state_machine_arn: String,
        /// The execution's input, JSON as text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub input: Option<String>,
        /// The execution's name; a UUID when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
    }
    data!(StartExecution {
        state_machine_arn => "StateMachineArn";
        input => "Input", optional;
        name => "Name", optional;
    });

    /// `StartExecution`'s response.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "PascalCase")]
    pub struct StartExecutionOutput {
        /// The execution started.
        pub execution_arn: String,
        /// When it started.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub start_date: Option<Value>,
    }
    data!(StartExecutionOutput { execution_arn => "ExecutionArn"; start_date => "StartDate", optional; });

    service_error! {
        /// The errors of `StartExecution` (the Step Functions API reference) as Step Functions
        /// names them.
        SfnError {
            /// An execution of that name exists with another input.
            ExecutionAlreadyExists = "Sfn.ExecutionAlreadyExistsException",
            /// Too many open executions.
            ExecutionLimitExceeded = "Sfn.ExecutionLimitExceededException",
            /// The ARN is malformed.
            InvalidArn = "Sfn.InvalidArnException",
            /// The input is not JSON, or too large.
            InvalidExecutionInput = "Sfn.InvalidExecutionInputException",
            /// The name is not valid.
            InvalidName = "Sfn.InvalidNameException",
            /// No such state machine.
            StateMachineDoesNotExist = "Sfn.StateMachineDoesNotExistException",
            /// The state machine is being deleted.
            StateMachineDeleting = "Sfn.StateMachineDeletingException",
        }
    }

    call! {
        /// Starts an execution and does not wait for it (`StartExecution`).
        start_execution(StartExecution) -> Result<StartExecutionOutput, SfnError>,
        "arn:aws:states:::aws-sdk:sfn:startExecution", "states::start_execution"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tasks_name_the_sdk_integration_and_leave_out_literal_nulls() {
        let task = <dynamodb::put_item as Step>::task(json!({
            "TableName": "orders",
            "Item": "{% $item %}",
            "ConditionExpression": null,
            "ReturnValues": null,
        }));
        assert_eq!(task.resource, "arn:aws:states:::aws-sdk:dynamodb:putItem");
        assert_eq!(task.arguments, Some(json!({"TableName": "orders", "Item": "{% $item %}"})));
        assert!(task.retry.is_empty(), "no Lambda retrier on a service call");
    }

    #[test]
    fn error_names_follow_step_functions_rule() {
        use dynamodb::DynamoDbError;
        assert_eq!(
            DynamoDbError::ConditionalCheckFailed("x".into()).name(),
            "DynamoDb.ConditionalCheckFailedException"
        );
        assert_eq!(
            crate::workflow::error_names::<sqs::SqsError>("QueueDoesNotExist"),
            ["Sqs.QueueDoesNotExistException"]
        );
        // Every name is `ServiceName.ErrorName` with the suffix `Exception`, as the local
        // executor's rule writes it.
        for (service, names) in [
            ("dynamodb", dynamodb::DynamoDbError::names()),
            ("sns", sns::SnsError::names()),
            ("sqs", sqs::SqsError::names()),
            ("eventbridge", events::EventBridgeError::names()),
            ("sfn", states::SfnError::names()),
        ] {
            for name in names {
                let code = name.split_once('.').unwrap().1;
                assert_eq!(stepcraft_local::Mock::sdk_error(service, code), name);
            }
        }
        assert_eq!(
            DynamoDbError::from_name("DynamoDb.ResourceNotFoundException", "no table".into()),
            Some(DynamoDbError::ResourceNotFound("no table".into()))
        );
    }

    #[test]
    fn data_names_the_json_keys() {
        assert_eq!(dynamodb::PutItem::json_field("table_name"), Some(Field::Key("TableName")));
        assert_eq!(dynamodb::PutItem::json_default("condition_expression"), Some(Value::Null));
        assert_eq!(dynamodb::PutItem::json_default("item"), None);
        assert_eq!(sqs::SendMessageOutput::json_field("md5_of_message_body"), Some(Field::Key("MD5OfMessageBody")));
        assert_eq!(dynamodb::AttributeValue::json_variant("Bool").map(|v| v.name), Some("BOOL"));
        assert_eq!(dynamodb::AttributeValue::json_variant("S").map(|v| v.name), Some("S"));
        let value = serde_json::to_value(dynamodb::AttributeValue::Bool(true)).unwrap();
        assert_eq!(value, json!({"BOOL": true}));
    }

    #[tokio::test]
    async fn native_calls_answer_from_typed_mocks_and_mocked_responses() {
        let request = sns::Publish {
            topic_arn: "arn:aws:sns:us-east-1:123456789012:orders".into(),
            message: "placed".into(),
            subject: None,
            message_group_id: None,
            message_deduplication_id: None,
        };
        let mocks = mock::<sns::publish>(|r| {
            assert_eq!(r.message, "placed");
            Ok(sns::PublishOutput { message_id: "m-1".into(), sequence_number: None })
        })
        .responses::<sqs::send_message>(&json!({
            "0": {"Throw": {"Error": "Sqs.QueueDoesNotExistException", "Cause": "no queue"}},
            "1": {"Return": {"MessageId": "q-1"}}
        }))
        .unwrap();
        let send = || sqs::SendMessage {
            queue_url: "https://sqs.us-east-1.amazonaws.com/123456789012/q".into(),
            message_body: "hi".into(),
            delay_seconds: None,
            message_group_id: None,
            message_deduplication_id: None,
        };
        let (published, first, second) = mocks
            .run(async {
                (sns::publish(request).await, sqs::send_message(send()).await, sqs::send_message(send()).await)
            })
            .await;
        assert_eq!(published.unwrap().message_id, "m-1");
        assert_eq!(first, Err(sqs::SqsError::QueueDoesNotExist("no queue".into())));
        assert_eq!(second.unwrap().message_id, "q-1");
    }

    #[tokio::test]
    async fn an_unmocked_call_says_how_to_mock_it() {
        let call = tokio::spawn(states::start_execution(states::StartExecution {
            state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:child".into(),
            input: None,
            name: None,
        }));
        let panic = call.await.unwrap_err().into_panic();
        let message = panic.downcast_ref::<String>().unwrap();
        assert!(
            message.contains("nothing answers `states::start_execution` (arn:aws:states:::aws-sdk:sfn:startExecution)")
        );
        assert!(message.contains("stepcraft::aws::mock::<states::start_execution>"), "{message}");
    }

    #[test]
    fn a_mocked_error_of_another_type_is_refused_clearly() {
        let mocks = Mocks::new()
            .responses::<sns::publish>(&json!({"0": {"Throw": {"Error": "Sqs.QueueDoesNotExistException"}}}))
            .unwrap();
        let request = sns::Publish {
            topic_arn: "t".into(),
            message: "m".into(),
            subject: None,
            message_group_id: None,
            message_deduplication_id: None,
        };
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| mocks.answer::<sns::publish>(request)));
        let message = *result.unwrap_err().downcast::<String>().unwrap();
        assert!(message.contains("throws `Sqs.QueueDoesNotExistException`, which is not an error of"), "{message}");
        assert!(message.contains("Sns.NotFoundException"), "{message}");
    }
}
