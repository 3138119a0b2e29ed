//! The checked, executable form of a state machine: what [`crate::check`] builds from
//! the ASL JSON and what the executor runs. State references are indexes; paths,
//! templates and expressions are compiled.

use std::sync::Arc;

use serde_json::Value;

use crate::ata::{AtaExpr, AtaTemplate};
use crate::intrinsics::Call;
use crate::jsonpath::JsonPath;
use crate::template::PathTemplate;

/// A state's query language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryLanguage {
    JsonPath,
    JsonAta,
}

/// A machine: the top-level states and the machine-wide settings.
#[derive(Debug)]
pub struct Machine {
    pub timeout_seconds: Option<u64>,
    pub root: StateSet,
}

/// The states of the machine, a Parallel branch or a Map item processor.
#[derive(Debug)]
pub struct StateSet {
    pub start: usize,
    pub states: Vec<State>,
}

/// Where control goes after a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Next(usize),
    End,
    /// Choice, Succeed and Fail decide themselves.
    None,
}

/// `InputPath`/`OutputPath`: `$` (absent), `null`, or a path.
#[derive(Debug)]
pub enum PathSpec {
    Root,
    Null,
    Path(JsonPath),
}

/// `ResultPath`: `$` (absent), `null` (discard the result), or a reference path.
#[derive(Debug)]
pub enum ResultPathSpec {
    Root,
    Null,
    Path(JsonPath),
}

/// How a state shapes its data, per query language.
#[derive(Debug)]
pub enum DataFlow {
    Path {
        input_path: PathSpec,
        parameters: Option<Box<PathTemplate>>,
        result_selector: Option<Box<PathTemplate>>,
        result_path: ResultPathSpec,
        output_path: PathSpec,
    },
    Ata {
        arguments: Option<AtaTemplate>,
        output: Option<AtaTemplate>,
    },
}

/// `Assign` in either language.
#[derive(Debug)]
pub enum Assign {
    /// A JSONPath template: `"x.$": "$.a"`, `"y": 1`.
    Path(PathTemplate),
    /// JSONata: per variable, a template.
    Ata(Vec<(Arc<str>, AtaTemplate)>),
}

/// A state.
#[derive(Debug)]
pub struct State {
    pub name: Arc<str>,
    pub query_language: QueryLanguage,
    pub kind: Kind,
    pub transition: Transition,
    pub flow: DataFlow,
    pub assign: Option<Assign>,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
}

/// A number given literally, by a path, or by a JSONata expression.
#[derive(Debug)]
pub enum Dynamic<T> {
    Lit(T),
    Path(JsonPath),
    Ata(Box<AtaExpr>),
}

/// A `Fail` field: absent, literal, by path/intrinsic, or JSONata.
#[derive(Debug)]
pub enum FailField {
    None,
    Lit(String),
    Path(JsonPath),
    Call(Call),
    Ata(AtaTemplate),
}

/// The state-type specific part.
#[derive(Debug)]
pub enum Kind {
    Pass { result: Option<Value> },
    Task(Box<Task>),
    Choice(Box<Choice>),
    Wait(Wait),
    Succeed,
    Fail { error: FailField, cause: FailField },
    Parallel(Box<Parallel>),
    Map(Box<MapState>),
}

impl Kind {
    /// The type name used in history events (`Task` → `TaskStateEntered`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Kind::Pass { .. } => "Pass",
            Kind::Task(_) => "Task",
            Kind::Choice(_) => "Choice",
            Kind::Wait(_) => "Wait",
            Kind::Succeed => "Succeed",
            Kind::Fail { .. } => "Fail",
            Kind::Parallel(_) => "Parallel",
            Kind::Map(_) => "Map",
        }
    }
}

/// How a task waits for its outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// Request/response.
    Call,
    /// `.sync` (and `.sync:2`).
    Sync { v2: bool },
    /// `.waitForTaskToken`.
    Callback,
}

/// What a Task calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// `arn:aws:states:::lambda:invoke[.waitForTaskToken]`.
    LambdaInvoke { pattern: Pattern },
    /// `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`.
    LambdaFunction { arn: String, name: String },
    /// `arn:aws:states:::states:startExecution[.sync[:2]]`.
    StartExecution { pattern: Pattern },
    /// `arn:aws:states:REGION:ACCOUNT:activity:NAME`.
    Activity { arn: String },
    /// Any other service integration (`arn:aws:states:::sqs:sendMessage`,
    /// `arn:aws:states:::aws-sdk:s3:getObject`, …).
    Service { service: String, action: String, pattern: Pattern },
}

impl Resource {
    /// The waiting pattern.
    pub fn pattern(&self) -> Pattern {
        match self {
            Resource::LambdaInvoke { pattern }
            | Resource::StartExecution { pattern }
            | Resource::Service { pattern, .. } => *pattern,
            Resource::LambdaFunction { .. } | Resource::Activity { .. } => Pattern::Call,
        }
    }

    /// `resourceType` and `resource` of `TaskScheduled` events.
    pub fn event_names(&self) -> (Arc<str>, Arc<str>) {
        let suffix = |p: Pattern| match p {
            Pattern::Call => "",
            Pattern::Sync { v2: false } => ".sync",
            Pattern::Sync { v2: true } => ".sync:2",
            Pattern::Callback => ".waitForTaskToken",
        };
        let (t, r) = match self {
            Resource::LambdaInvoke { pattern } => ("lambda".to_string(), format!("invoke{}", suffix(*pattern))),
            Resource::StartExecution { pattern } => {
                ("states".to_string(), format!("startExecution{}", suffix(*pattern)))
            }
            Resource::Service { service, action, pattern } => {
                (service.clone(), format!("{action}{}", suffix(*pattern)))
            }
            Resource::LambdaFunction { arn, .. } => ("lambda".to_string(), arn.clone()),
            Resource::Activity { arn } => ("activity".to_string(), arn.clone()),
        };
        (Arc::from(t), Arc::from(r))
    }
}

/// A Task state.
#[derive(Debug)]
pub struct Task {
    pub resource: Resource,
    /// The Resource string as written.
    pub resource_arn: String,
    /// `resourceType` and `resource` of its history events.
    pub event_resource_type: Arc<str>,
    pub event_resource: Arc<str>,
    pub timeout: Option<Dynamic<u64>>,
    pub heartbeat: Option<Dynamic<u64>>,
}

/// A comparison operator of a JSONPath Choice rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpKind {
    String,
    Numeric,
    Timestamp,
    Boolean,
}

/// `Equals`, `LessThan`, …
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Lt,
    Gt,
    Le,
    Ge,
}

/// A comparison's right-hand side.
#[derive(Debug)]
pub enum Operand {
    Lit(Value),
    Path(JsonPath),
}

/// A JSONPath Choice rule, or a JSONata `Condition`.
#[derive(Debug)]
pub enum Rule {
    And(Vec<Rule>),
    Or(Vec<Rule>),
    Not(Box<Rule>),
    Compare { variable: JsonPath, kind: CmpKind, op: CmpOp, operand: Operand },
    StringMatches { variable: JsonPath, pattern: String },
    IsNull { variable: JsonPath, expect: bool },
    IsPresent { variable: JsonPath, expect: bool },
    IsNumeric { variable: JsonPath, expect: bool },
    IsString { variable: JsonPath, expect: bool },
    IsBoolean { variable: JsonPath, expect: bool },
    IsTimestamp { variable: JsonPath, expect: bool },
    Condition(Box<AtaExpr>),
}

/// One entry of `Choices`.
#[derive(Debug)]
pub struct ChoiceBranch {
    pub rule: Rule,
    pub next: usize,
    pub assign: Option<Assign>,
    pub output: Option<AtaTemplate>,
}

/// A Choice state.
#[derive(Debug)]
pub struct Choice {
    pub branches: Vec<ChoiceBranch>,
    pub default: Option<usize>,
}

/// How long a Wait state waits.
#[derive(Debug)]
pub enum Wait {
    Seconds(u64),
    SecondsPath(JsonPath),
    SecondsAta(Box<AtaExpr>),
    /// Milliseconds since the epoch.
    Timestamp(i64),
    TimestampPath(JsonPath),
    TimestampAta(Box<AtaExpr>),
}

/// A Parallel state.
#[derive(Debug)]
pub struct Parallel {
    pub branches: Vec<StateSet>,
}

/// An inline Map state.
#[derive(Debug)]
pub struct MapState {
    pub items_path: PathSpec,
    pub items: Option<AtaTemplate>,
    pub item_selector: Option<ItemSelector>,
    pub processor: StateSet,
    pub max_concurrency: Dynamic<u64>,
    pub tolerated_failure_count: Option<Dynamic<u64>>,
    pub tolerated_failure_percentage: Option<Dynamic<f64>>,
    /// `ProcessorConfig.Mode` is `DISTRIBUTED`: each item (or batch) is a child execution.
    pub distributed: bool,
    /// `ItemReader`: the items come from the object store instead of the state input.
    pub item_reader: Option<ItemReader>,
    /// `ItemBatcher`: items are grouped, a batch per child execution.
    pub item_batcher: Option<ItemBatcher>,
    /// `ResultWriter`: the children's results are written to the object store.
    pub result_writer: Option<ResultWriter>,
    /// `Label`: names the Map Run and its child executions instead of the state name.
    pub label: Option<String>,
}

/// The S3 call of an `ItemReader`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum S3Read {
    /// `arn:aws:states:::s3:listObjectsV2`: one item per object.
    ListObjectsV2,
    /// `arn:aws:states:::s3:getObject`: the items of one object, read as `InputType`.
    GetObject,
}

/// `ReaderConfig.InputType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReaderInput {
    Json,
    JsonLines,
    Csv,
    /// An S3 inventory report's `manifest.json`: the rows of its CSV files.
    Manifest,
    /// Apache Parquet, which the local executor cannot read.
    Parquet,
}

/// Where the column names of a CSV file come from (`CSVHeaderLocation`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsvHeaders {
    FirstRow,
    /// `GIVEN`, with `CSVHeaders`.
    Given(Vec<String>),
}

/// A Distributed Map's `ItemReader`.
#[derive(Debug)]
pub struct ItemReader {
    pub action: S3Read,
    /// `Parameters` (JSONPath) or `Arguments` (JSONata): `Bucket`, `Key`, `Prefix`, …
    pub parameters: Option<ItemSelector>,
    /// `ReaderConfig.InputType` (`getObject` only).
    pub input_type: Option<ReaderInput>,
    pub csv_headers: CsvHeaders,
    /// `ReaderConfig.CSVDelimiter`, as a byte (`,` by default).
    pub csv_delimiter: u8,
    /// `ReaderConfig.MaxItems` or `MaxItemsPath`.
    pub max_items: Option<Dynamic<u64>>,
}

/// A Distributed Map's `ItemBatcher`.
#[derive(Debug)]
pub struct ItemBatcher {
    /// `MaxItemsPerBatch` or `MaxItemsPerBatchPath`.
    pub max_items: Option<Dynamic<u64>>,
    /// `MaxInputBytesPerBatch` or `MaxInputBytesPerBatchPath`.
    pub max_bytes: Option<Dynamic<u64>>,
    /// `BatchInput`: the same value in every batch.
    pub batch_input: Option<ItemSelector>,
}

/// `WriterConfig.Transformation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transformation {
    /// Each child's output with its execution's metadata.
    None,
    /// The children's outputs only.
    Compact,
    /// The outputs, arrays among them flattened one level.
    Flatten,
}

/// A Distributed Map's `ResultWriter`.
#[derive(Debug)]
pub struct ResultWriter {
    /// `Parameters`/`Arguments` (`Bucket`, `Prefix`) of `s3:putObject`; `None` with only a
    /// `WriterConfig`, which shapes the state's result without exporting it.
    pub parameters: Option<ItemSelector>,
    /// `WriterConfig.Transformation`, if given.
    pub transformation: Option<Transformation>,
    /// `WriterConfig.OutputType` is `JSONL` (else a JSON array per file).
    pub json_lines: bool,
}

/// `ItemSelector` (or the legacy `Parameters`) of a Map.
#[derive(Debug)]
pub enum ItemSelector {
    Path(PathTemplate),
    Ata(AtaTemplate),
}

/// Error names of a retrier or catcher.
#[derive(Debug, Clone)]
pub struct ErrorEquals(pub Vec<String>);

impl ErrorEquals {
    /// Whether `error` is matched: by name, `States.ALL` (all but `States.Runtime`), or
    /// `States.TaskFailed` (every error whose name is not a `States.` one). A heartbeat
    /// expiry also matches `States.Timeout`.
    pub fn matches(&self, error: &str) -> bool {
        // AWS never catches nor retries `States.Runtime`, even when named explicitly.
        if error == "States.Runtime" {
            return false;
        }
        self.0.iter().any(|e| match e.as_str() {
            "States.ALL" => true,
            "States.TaskFailed" => !error.starts_with("States.") || error == "States.TaskFailed",
            "States.Timeout" => error == "States.Timeout" || error == "States.HeartbeatTimeout",
            name => name == error,
        })
    }
}

/// `JitterStrategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    None,
    Full,
}

/// A retrier.
#[derive(Debug, Clone)]
pub struct Retrier {
    pub error_equals: ErrorEquals,
    pub interval_seconds: f64,
    pub max_attempts: u32,
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<f64>,
    pub jitter: Jitter,
}

impl Retrier {
    /// The delay before retry `n` (1-based), before jitter:
    /// `min(IntervalSeconds × BackoffRate^(n−1), MaxDelaySeconds)`.
    pub fn delay_seconds(&self, n: u32) -> f64 {
        let d = self.interval_seconds * self.backoff_rate.powi(n.saturating_sub(1) as i32);
        match self.max_delay_seconds {
            Some(max) => d.min(max),
            None => d,
        }
    }
}

/// A catcher.
#[derive(Debug)]
pub struct Catcher {
    pub error_equals: ErrorEquals,
    pub next: usize,
    pub result_path: ResultPathSpec,
    pub output: Option<AtaTemplate>,
    pub assign: Option<Assign>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> ErrorEquals {
        ErrorEquals(n.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn error_equals_follows_the_step_functions_rules() {
        assert!(names(&["States.ALL"]).matches("MyError"));
        assert!(!names(&["States.ALL"]).matches("States.Runtime"));
        assert!(!names(&["States.Runtime"]).matches("States.Runtime"));
        assert!(names(&["States.TaskFailed"]).matches("Declined"));
        assert!(!names(&["States.TaskFailed"]).matches("States.Timeout"));
        assert!(names(&["States.Timeout"]).matches("States.HeartbeatTimeout"));
        assert!(!names(&["Declined"]).matches("GatewayDown"));
    }

    #[test]
    fn retry_delays_back_off_up_to_the_maximum() {
        let r = Retrier {
            error_equals: names(&["States.ALL"]),
            interval_seconds: 2.0,
            max_attempts: 5,
            backoff_rate: 2.0,
            max_delay_seconds: Some(10.0),
            jitter: Jitter::None,
        };
        let delays: Vec<f64> = (1..=5).map(|n| r.delay_seconds(n)).collect();
        assert_eq!(delays, [2.0, 4.0, 8.0, 10.0, 10.0]);
    }
}
