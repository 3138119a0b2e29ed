//! What a stepcraft binary hosts, as its `manifest` command prints it: the functions (with the
//! memory, timeout and trigger their attributes declare) and the workflows. The shape is
//! written by `stepcraft`'s `cli.rs` (`BINARY manifest`); this is its reader.

use serde::Deserialize;
use serde_json::Value;

/// One binary's `manifest`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hosted {
    pub functions: Vec<Function>,
    pub workflows: Vec<Workflow>,
}

/// A Lambda function the binary serves under `Handler = name`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Function {
    /// The name `_HANDLER` selects.
    pub name: String,
    /// The `${..}` name workflows use for this function's ARN.
    pub placeholder: String,
    pub kind: Kind,
    /// Memory in MB.
    pub memory: Option<u32>,
    /// The function's timeout in seconds.
    pub timeout: Option<u32>,
    pub trigger: Option<Trigger>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Activity,
    Json,
    Http,
    Sqs,
}

/// What invokes a handler.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Trigger {
    Http(Http),
    Sqs(Sqs),
    S3(S3),
    #[serde(rename = "eventbridge")]
    EventBridge(EventBridge),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Http {
    pub api: HttpApi,
    pub cors: Option<Cors>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HttpApi {
    /// An API Gateway HTTP API.
    Http,
    /// A Lambda function URL.
    Url,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cors {
    pub origins: Vec<String>,
    pub methods: Vec<String>,
    pub headers: Vec<String>,
    pub expose: Vec<String>,
    pub max_age: Option<u64>,
    pub credentials: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sqs {
    pub batch_size: u32,
    /// `MaximumBatchingWindowInSeconds`.
    pub window: Option<u32>,
    pub fifo: bool,
    /// The redrive policy's `maxReceiveCount`.
    pub max_receive: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3 {
    pub events: Vec<String>,
    pub prefix: Option<String>,
    pub suffix: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBridge {
    pub pattern: Value,
}

/// A workflow: a state machine whose definition `synth` writes as `<name>.asl.json`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workflow {
    pub name: String,
    /// The `${..}` name parent workflows use for this state machine's ARN.
    pub placeholder: String,
    #[serde(rename = "type")]
    pub kind: WorkflowType,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum WorkflowType {
    #[serde(rename = "STANDARD")]
    Standard,
    #[serde(rename = "EXPRESS")]
    Express,
}

impl WorkflowType {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkflowType::Standard => "STANDARD",
            WorkflowType::Express => "EXPRESS",
        }
    }
}
