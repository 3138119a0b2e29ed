//! Handlers (`#[handler]`) and the table of functions a binary hosts.
//!
//! A hosted function is an [`Entry`]: its name, its kind, how to serve it on Lambda's loop and
//! how to invoke it once from the command line. Both paths decode, call and report errors
//! through the same code, so what `invoke` shows is what Lambda gets.

use crate::activity::Activity;
use crate::error::FunctionError;
use crate::http::{self, Cors, FromHttpRequest, IntoHttpResponse, Json};
use crate::lambda::{self, BoxFuture, catch_panic};
use crate::workflow::Workflow;
use crate::{BoxError, Error};
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_runtime::Context;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::future::Future;
use tracing::Instrument;

/// A Lambda entry point, implemented by `#[handler]`.
pub trait Handler: 'static {
    /// The handler's name (the function's identifier).
    const NAME: &'static str;
    /// State built once per cold start by the `init` function, `()` without one.
    type State: Sync + 'static;
    /// What one invocation receives (for SQS handlers: one record's decoded body).
    type Event;
    /// What one invocation returns.
    type Output;
    /// The failure, with stable names.
    type Error: Error;

    /// Builds the state; runs once, before the first invocation.
    fn init() -> impl Future<Output = Result<Self::State, FunctionError>>;

    /// What the deployment template needs: memory, timeout, trigger.
    const SPEC: FunctionSpec = FunctionSpec::NONE;

    /// Handles one event.
    fn call(
        event: Self::Event,
        state: &'static Self::State,
        context: Context,
    ) -> impl Future<Output = Result<Self::Output, Self::Error>> + Send;

    /// The JSON Schema of the event (of an HTTP handler's JSON body), if its type has one.
    fn event_schema() -> Option<schemars::Schema> {
        None
    }

    /// The JSON Schema of the output (of an HTTP handler's JSON body), if its type has one.
    fn output_schema() -> Option<schemars::Schema> {
        None
    }
}

/// An HTTP handler (`#[handler(http)]`): its CORS policy.
pub trait HttpHandler: Handler {
    /// The CORS policy from `#[handler(http(cors(..)))]`.
    const CORS: Option<Cors>;
}

/// A type that a binary can host: implemented by `#[activity]` for the activity's type.
pub trait Host {
    /// The table entry of this function.
    fn entry() -> Entry;
}

/// `stepcraft::main!` implements `Hosts<F>` on a type of its own for each function `F` it
/// lists; each hosted workflow requires it for every activity and workflow it calls, because
/// its tasks call the functions of its own binary.
#[diagnostic::on_unimplemented(
    message = "`{A}` is called by a workflow this binary hosts, but the binary does not host `{A}`",
    label = "add `{A}` to this `stepcraft::main!(..)`",
    note = "the workflow's tasks invoke the functions deployed from this binary; without `{A}` they would fail \
            at run time"
)]
pub trait Hosts<A: ?Sized> {}

/// What the deployment template needs to know about a function, from its attribute
/// (`memory`, `timeout`, the trigger): what `BINARY manifest` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionSpec {
    /// `MemorySize` in MB.
    pub memory: Option<u32>,
    /// The function's `Timeout` in seconds.
    pub timeout: Option<u32>,
    /// The event source that invokes the function, if any.
    pub trigger: Option<Trigger>,
}

impl FunctionSpec {
    /// Nothing declared: the template's defaults.
    pub const NONE: FunctionSpec = FunctionSpec { memory: None, timeout: None, trigger: None };
}

/// The event source of a handler, as `#[handler(..)]` declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// `http(..)`: an API Gateway HTTP API or a function URL.
    Http {
        /// Which of the two serves the function.
        api: HttpApi,
        /// The CORS policy the glue applies.
        cors: Option<Cors>,
    },
    /// `sqs(..)`: an SQS event source mapping.
    Sqs {
        /// `BatchSize`.
        batch_size: u32,
        /// `MaximumBatchingWindowInSeconds`.
        window: Option<u32>,
        /// Whether the queue is a FIFO queue.
        fifo: bool,
        /// The redrive policy's `maxReceiveCount` before a message goes to the dead-letter queue.
        max_receive: u32,
    },
    /// `s3(..)`: a bucket notification.
    S3 {
        /// The notification's event types (`s3:ObjectCreated:*`).
        events: &'static [&'static str],
        /// The object key's prefix filter.
        prefix: Option<&'static str>,
        /// The object key's suffix filter.
        suffix: Option<&'static str>,
    },
    /// `eventbridge(..)`: an EventBridge rule.
    EventBridge {
        /// The rule's event pattern.
        pattern: EventPattern,
    },
}

/// What serves an HTTP handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum HttpApi {
    /// An API Gateway HTTP API (the default).
    #[serde(rename = "http")]
    HttpApi,
    /// A Lambda function URL (`http(url)`).
    #[serde(rename = "url")]
    FunctionUrl,
}

/// An EventBridge event pattern: events whose `source` is one of `source` and whose
/// `detail-type` is one of `detail_type` (an empty list does not filter; EventBridge's empty
/// list would match nothing, so it is left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EventPattern {
    /// `source` values.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub source: &'static [&'static str],
    /// `detail-type` values.
    #[serde(rename = "detail-type", skip_serializing_if = "<[_]>::is_empty")]
    pub detail_type: &'static [&'static str],
}

/// The JSON Schema of type `T` if it has one, and of `T` in `Json<T>` and `(u16, Json<T>)` (an
/// HTTP body): generated code asks `(&&&SchemaOf::<Type>::new()).schema()` at the concrete
/// type, and method resolution picks the most specific of [`BodySchema`], [`TypeSchema`] and
/// [`NoSchema`] whose bounds hold (autoref specialisation), so no type needs `JsonSchema`.
pub struct SchemaOf<T: ?Sized>(std::marker::PhantomData<T>);

impl<T: ?Sized> SchemaOf<T> {
    /// The probe for `T`.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        SchemaOf(std::marker::PhantomData)
    }
}

impl<T: ?Sized> std::fmt::Debug for SchemaOf<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SchemaOf")
    }
}

/// See [`SchemaOf`]: an HTTP handler's JSON body.
pub trait BodySchema {
    /// The schema of the body.
    fn schema(&self) -> Option<schemars::Schema>;
}

impl<T: schemars::JsonSchema> BodySchema for &&SchemaOf<Json<T>> {
    fn schema(&self) -> Option<schemars::Schema> {
        Some(schemars::schema_for!(T))
    }
}

impl<T: schemars::JsonSchema> BodySchema for &&SchemaOf<(u16, Json<T>)> {
    fn schema(&self) -> Option<schemars::Schema> {
        Some(schemars::schema_for!(T))
    }
}

/// See [`SchemaOf`]: a type with a schema.
pub trait TypeSchema {
    /// The schema of the type.
    fn schema(&self) -> Option<schemars::Schema>;
}

impl<T: schemars::JsonSchema> TypeSchema for &SchemaOf<T> {
    fn schema(&self) -> Option<schemars::Schema> {
        Some(schemars::schema_for!(T))
    }
}

/// See [`SchemaOf`]: any other type.
pub trait NoSchema {
    /// No schema.
    fn schema(&self) -> Option<schemars::Schema>;
}

impl<T: ?Sized> NoSchema for SchemaOf<T> {
    fn schema(&self) -> Option<schemars::Schema> {
        None
    }
}

/// What kind of function an entry is (in `manifest`: its lowercase name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// An `#[activity]`.
    Activity,
    /// A `#[handler]` of JSON events.
    Json,
    /// A `#[handler(http)]` behind API Gateway or a function URL.
    Http,
    /// A `#[handler(sqs)]` of SQS batches.
    Sqs,
    /// A `#[workflow]`: a state machine, run by Step Functions (natively from the command line).
    Workflow,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Activity => "activity",
            Kind::Json => "handler (JSON)",
            Kind::Http => "handler (HTTP)",
            Kind::Sqs => "handler (SQS)",
            Kind::Workflow => "workflow",
        }
    }
}

/// One function hosted by a binary.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    pub(crate) serve: fn() -> BoxFuture<'static, Result<(), BoxError>>,
    pub(crate) invoke: fn(Vec<u8>) -> BoxFuture<'static, Result<Value, FunctionError>>,
    pub(crate) describe: fn() -> Value,
    /// The files `synth` writes for this function: (file name, contents).
    pub(crate) synth: fn() -> Vec<(String, String)>,
    /// An activity's invocation by the local executor: the JSON payload Lambda would get, the
    /// JSON result it would return.
    pub(crate) local: Option<LocalInvoke>,
    /// A workflow's definition, as JSON.
    pub(crate) definition: Option<fn() -> String>,
    /// A workflow's `run` and `graph` commands (the local executor): only workflows reference it.
    pub(crate) run: Option<RunLocally>,
    /// A function's deployment settings (`FunctionSpec::NONE` for a workflow).
    pub(crate) spec: FunctionSpec,
    /// Whether a workflow's state machine is of type `EXPRESS`.
    pub(crate) express: bool,
}

/// The `run` command of a workflow's binary.
pub(crate) type RunLocally = fn(&[Entry], &[String], &tokio::runtime::Runtime) -> Result<(), String>;

/// A boxed `Send` future.
pub(crate) type SendFuture<T> = std::pin::Pin<Box<dyn Future<Output = T> + Send>>;

/// An activity called by the local executor: Lambda's JSON payload in, its JSON result out.
pub(crate) type LocalInvoke = fn(Value) -> SendFuture<Result<Value, FunctionError>>;

impl Entry {
    /// The entry of a hostable type (what `stepcraft::main!` lists).
    pub fn of<T: Host>() -> Entry {
        T::entry()
    }

    /// The entry of an activity.
    pub fn activity<A: Activity + crate::workflow::Step>() -> Entry {
        async fn call<A: Activity>(
            input: <A as Activity>::Input,
            context: Context,
        ) -> Result<A::Output, FunctionError> {
            crate::invocation::scope(crate::invocation::Invocation::of(&context), A::run(input))
                .await
                .map_err(|e| FunctionError::from_error(&e))
        }
        Entry {
            name: A::NAME,
            kind: Kind::Activity,
            serve: || Box::pin(lambda::serve_json(call::<A>)),
            invoke: |event| Box::pin(invoke_json(event, call::<A>)),
            describe: describe_activity::<A>,
            synth: || {
                vec![
                    (format!("{}.input.schema.json", A::NAME), schema_file(&A::input_schema())),
                    (format!("{}.output.schema.json", A::NAME), schema_file(&A::output_schema())),
                ]
            },
            // The payload goes through the bytes Lambda would receive and the decoding the
            // glue does, so a local run fails where Lambda would.
            local: Some(|payload| {
                Box::pin(async move {
                    let bytes = serde_json::to_vec(&payload).map_err(|e| FunctionError::invalid_input(".", e))?;
                    let input = lambda::decode::<<A as Activity>::Input>(&bytes)?;
                    let output =
                        catch_panic(async { A::run(input).await.map_err(|e| FunctionError::from_error(&e)) }).await?;
                    serde_json::to_value(output).map_err(|e| FunctionError::new("InvalidOutput", e.to_string()))
                })
            }),
            definition: None,
            run: None,
            spec: A::SPEC,
            express: false,
        }
    }

    /// The entry of a JSON handler.
    pub fn json<H>() -> Entry
    where
        H: Handler,
        H::Event: DeserializeOwned,
        H::Output: Serialize,
    {
        Entry {
            name: H::NAME,
            kind: Kind::Json,
            serve: || {
                Box::pin(async {
                    let state = init::<H>().await?;
                    lambda::serve_json(move |event, context| call_json::<H>(event, state, context)).await
                })
            },
            invoke: |event| {
                Box::pin(async move {
                    let state = leak(H::init().await?);
                    invoke_json(event, move |event, context| call_json::<H>(event, state, context)).await
                })
            },
            describe: || Value::Null,
            synth: || handler_schemas::<H>(true),
            local: None,
            definition: None,
            run: None,
            spec: H::SPEC,
            express: false,
        }
    }

    /// The entry of an SQS handler: each record's body is decoded into `H::Event` and handled
    /// on its own; the records that fail are reported in `batchItemFailures` so that only they
    /// return to the queue (the event source mapping needs `ReportBatchItemFailures`).
    pub fn sqs<H>() -> Entry
    where
        H: Handler<Output = ()>,
        H::Event: DeserializeOwned,
    {
        Entry {
            name: H::NAME,
            kind: Kind::Sqs,
            serve: || {
                Box::pin(async {
                    let state = init::<H>().await?;
                    lambda::serve_json(
                        move |batch, context| async move { Ok(sqs_batch::<H>(batch, state, context).await) },
                    )
                    .await
                })
            },
            invoke: |event| {
                Box::pin(async move {
                    let state = leak(H::init().await?);
                    invoke_json(
                        event,
                        move |batch, context| async move { Ok(sqs_batch::<H>(batch, state, context).await) },
                    )
                    .await
                })
            },
            describe: || Value::Null,
            // The function's output is the batch response, not the handler's `()`.
            synth: || handler_schemas::<H>(false),
            local: None,
            definition: None,
            run: None,
            spec: H::SPEC,
            express: false,
        }
    }

    /// The entry of an HTTP handler (API Gateway REST or HTTP API, function URL).
    pub fn http<H>() -> Entry
    where
        H: HttpHandler,
        H::Event: FromHttpRequest,
        H::Output: IntoHttpResponse,
    {
        Entry {
            name: H::NAME,
            kind: Kind::Http,
            serve: || {
                Box::pin(async {
                    let state = init::<H>().await?;
                    http::serve::<H>(state).await
                })
            },
            invoke: |event| {
                Box::pin(async move {
                    let state = leak(H::init().await?);
                    http::invoke::<H>(event, state).await
                })
            },
            describe: || Value::Null,
            synth: || handler_schemas::<H>(true),
            local: None,
            definition: None,
            run: None,
            spec: H::SPEC,
            express: false,
        }
    }

    /// The entry of a workflow: under Lambda it is not a function (Step Functions runs it);
    /// from the command line `invoke` runs it natively and `synth` writes its state machine.
    pub fn workflow<W: Workflow>() -> Entry {
        // Reported as the execution would: its error name, and its cause as the message.
        async fn call<W: Workflow>(input: W::Input, _: Context) -> Result<W::Output, FunctionError> {
            crate::workflow::run_native::<W>(input)
                .await
                .map_err(|failure| FunctionError::new(failure.error, failure.cause.unwrap_or_default()))
        }
        Entry {
            name: W::NAME,
            kind: Kind::Workflow,
            serve: || {
                Box::pin(async {
                    let error = FunctionError::new(
                        "Runtime.HandlerNotFound",
                        format!("`{}` is a workflow: Step Functions runs it, not Lambda", W::NAME),
                    );
                    lambda::report_init_error(&error).await?;
                    Err(Box::new(error) as BoxError)
                })
            },
            // The state machine's first states check the input (`crate::input`): so does this.
            invoke: |event| {
                Box::pin(async move {
                    if let Ok(input) = serde_json::from_slice::<Value>(&event)
                        && let Some(problem) = crate::input::problem(&crate::input::checks::<W::Input>(), &input)
                    {
                        return Err(FunctionError::new(FunctionError::INVALID_INPUT, problem));
                    }
                    invoke_json(event, call::<W>).await
                })
            },
            describe: || {
                serde_json::json!({
                    "input": schemars::schema_for!(W::Input),
                    "output": schemars::schema_for!(W::Output),
                    "definition": W::definition(),
                })
            },
            synth: || {
                vec![
                    (format!("{}.asl.json", W::NAME), W::definition_json()),
                    (format!("{}.input.schema.json", W::NAME), schema_file(&schemars::schema_for!(W::Input))),
                    (format!("{}.output.schema.json", W::NAME), schema_file(&schemars::schema_for!(W::Output))),
                ]
            },
            local: None,
            definition: Some(W::definition_json),
            run: Some(crate::cli::run_locally),
            spec: FunctionSpec::NONE,
            express: W::EXPRESS,
        }
    }

    /// The function's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// What kind of function this is, for people.
    pub fn kind(&self) -> &'static str {
        self.kind.as_str()
    }

    /// One invocation as `BINARY invoke NAME` makes it: the event decoded, the function called
    /// and its output encoded exactly as on Lambda (for tests and fuzzing, in-process).
    pub fn invoke(&self, event: Vec<u8>) -> BoxFuture<'static, Result<Value, FunctionError>> {
        (self.invoke)(event)
    }
}

/// An activity's declaration: its schemas and the defaults of the tasks that call it, in ASL.
fn describe_activity<A: Activity + crate::workflow::Step>() -> Value {
    // What the Task calling it carries: the declared rules and the Lambda service retrier.
    let task = <A as crate::workflow::Step>::task(Value::Null);
    serde_json::json!({
        "input": A::input_schema(),
        "output": A::output_schema(),
        "task": {
            "TimeoutSeconds": task.timeout_seconds,
            "HeartbeatSeconds": task.heartbeat_seconds,
            "Retry": task.retry,
        },
    })
}

/// The schema files of a handler whose event (or output) type has a schema.
fn handler_schemas<H: Handler>(output: bool) -> Vec<(String, String)> {
    let files = [("input", H::event_schema()), ("output", if output { H::output_schema() } else { None })];
    files
        .into_iter()
        .filter_map(|(which, schema)| Some((format!("{}.{which}.schema.json", H::NAME), schema_file(&schema?))))
        .collect()
}

fn schema_file(schema: &schemars::Schema) -> String {
    let mut text = serde_json::to_string_pretty(schema).expect("schemas serialise");
    text.push('\n');
    text
}

fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

/// Runs the handler's init function once, reporting a failure to the Runtime API.
async fn init<H: Handler>() -> Result<&'static H::State, BoxError> {
    match catch_panic(H::init()).await {
        Ok(state) => Ok(leak(state)),
        Err(error) => {
            tracing::error!(errorType = %error.error_type, "init failed: {}", error.message);
            lambda::report_init_error(&error).await?;
            Err(Box::new(error))
        }
    }
}

async fn call_json<H: Handler>(
    event: H::Event,
    state: &'static H::State,
    context: Context,
) -> Result<H::Output, FunctionError> {
    let invocation = crate::invocation::Invocation::of(&context);
    crate::invocation::scope(invocation, H::call(event, state, context))
        .await
        .map_err(|e| FunctionError::from_error(&e))
}

/// One invocation from the command line: the event is decoded, handled and encoded exactly as
/// on Lambda.
async fn invoke_json<In, Out, Fut>(
    event: Vec<u8>,
    function: impl FnOnce(In, Context) -> Fut,
) -> Result<Value, FunctionError>
where
    In: DeserializeOwned,
    Out: Serialize,
    Fut: Future<Output = Result<Out, FunctionError>>,
{
    let input = lambda::decode::<In>(&event)?;
    let output = catch_panic(function(input, local_context())).await?;
    serde_json::to_value(output).map_err(|e| FunctionError::new("InvalidOutput", e.to_string()))
}

/// The context of an invocation made from the command line.
pub(crate) fn local_context() -> Context {
    let mut context = Context::default();
    context.request_id = "local".into();
    context
}

async fn sqs_batch<H>(batch: SqsEvent, state: &'static H::State, context: Context) -> SqsBatchResponse
where
    H: Handler<Output = ()>,
    H::Event: DeserializeOwned,
{
    let mut response = SqsBatchResponse::default();
    for record in batch.records {
        let id = record.message_id.unwrap_or_default();
        let body = record.body.unwrap_or_default();
        let outcome = catch_panic(async {
            let event = lambda::decode::<H::Event>(body.as_bytes())?;
            call_json::<H>(event, state, context.clone()).await
        })
        .instrument(tracing::info_span!("record", messageId = %id))
        .await;
        if let Err(error) = outcome {
            tracing::warn!(messageId = %id, errorType = %error.error_type, "record failed: {}", error.message);
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    response
}
