//! The typed model of Amazon States Language (ASL) in JSONata mode: what generated code builds
//! and what `synth` serialises. Field names, order and defaults are the specification's; the
//! same model always serialises to the same bytes.

use crate::expr;
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use stepcraft_local::limits;

/// A state machine (or a Parallel branch, or a Map's item processor).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StateMachine {
    /// A description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Always `JSONata` for machines stepcraft writes (omitted in branches and processors,
    /// which inherit it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_language: Option<QueryLanguage>,
    /// The first state.
    pub start_at: String,
    /// The states, in the order they were written.
    pub states: States,
    /// Executions running longer fail with `States.Timeout`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u32>,
    /// Processor settings of a Map's item processor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processor_config: Option<ProcessorConfig>,
}

impl StateMachine {
    /// A machine (or branch) starting at `start_at`, with no states yet.
    pub fn new(start_at: impl Into<String>) -> Self {
        StateMachine {
            comment: None,
            query_language: None,
            start_at: start_at.into(),
            states: States::default(),
            timeout_seconds: None,
            processor_config: None,
        }
    }

    /// The definition as pretty JSON, with a final newline: byte-identical for the same model.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("an ASL model always serialises");
        text.push('\n');
        text
    }

    /// Every state of the machine, branches and item processors included, with its name.
    pub fn all_states(&self) -> Vec<(&str, &State)> {
        let mut out = Vec::new();
        collect_states(self, &mut out);
        out
    }
}

fn collect_states<'a>(machine: &'a StateMachine, out: &mut Vec<(&'a str, &'a State)>) {
    for (name, state) in &machine.states.0 {
        out.push((name, state));
        match state {
            State::Parallel(p) => p.branches.iter().for_each(|b| collect_states(b, out)),
            State::Map(m) => collect_states(&m.item_processor, out),
            _ => {}
        }
    }
}

/// `QueryLanguage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum QueryLanguage {
    /// Expressions are `{% … %}` JSONata templates.
    #[serde(rename = "JSONata")]
    Jsonata,
}

/// `ProcessorConfig` of a Map.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessorConfig {
    /// `INLINE`, or `DISTRIBUTED`: each item is a child execution.
    pub mode: &'static str,
    /// A Distributed Map's children: `STANDARD` or `EXPRESS` executions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_type: Option<&'static str>,
}

impl ProcessorConfig {
    /// An inline Map's: the iterations run in the parent execution.
    pub fn inline() -> Self {
        ProcessorConfig { mode: "INLINE", execution_type: None }
    }

    /// A Distributed Map's: each item a child execution, of type `EXPRESS` (`express`) or
    /// `STANDARD`.
    pub fn distributed(express: bool) -> Self {
        ProcessorConfig { mode: "DISTRIBUTED", execution_type: Some(if express { "EXPRESS" } else { "STANDARD" }) }
    }
}

/// The states of a machine, in insertion order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct States(pub Vec<(String, State)>);

impl States {
    /// Adds a state at the end.
    pub fn push(&mut self, name: impl Into<String>, state: State) {
        self.0.push((name.into(), state));
    }

    /// Adds a Task calling a child workflow (`child`) or an activity. A child execution that
    /// fails surfaces as `States.TaskFailed` with its `DescribeExecution` as the cause; a child
    /// task without Catch therefore gets one that raises the child's own error and cause, as
    /// calling the workflow does in Rust.
    pub fn push_task(&mut self, name: impl Into<String>, mut task: Task, child: bool) {
        let name = name.into();
        if !(child && task.catch.is_empty()) {
            self.push(name, State::Task(task));
            return;
        }
        let failed = format!("{name} failed");
        task.catch.push(Catcher {
            error_equals: vec!["States.TaskFailed".into()],
            next: failed.clone(),
            output: Some(expr::error_output().template()),
            assign: Assign::new(),
        });
        self.push(name, State::Task(task));
        let fail = Fail {
            comment: None,
            error: Some(expr::child_failure_error().template_string()),
            cause: Some(expr::child_failure_cause().template_string()),
        };
        self.push(failed, State::Fail(fail));
    }

    /// The state named `name`.
    pub fn get(&self, name: &str) -> Option<&State> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, s)| s)
    }
}

impl Serialize for States {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, state) in &self.0 {
            map.serialize_entry(name, state)?;
        }
        map.end()
    }
}

/// Where a state goes next.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    /// `"Next": name`.
    State(String),
    /// `"End": true`.
    End,
}

impl Next {
    fn write<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        match self {
            Next::State(name) => map.serialize_entry("Next", name),
            Next::End => map.serialize_entry("End", &true),
        }
    }
}

/// `Assign`: variables set when the state completes, as JSON templates.
pub type Assign = serde_json::Map<String, Value>;

/// One state.
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    /// `Task`.
    Task(Task),
    /// `Pass`.
    Pass(Pass),
    /// `Choice`.
    Choice(Choice),
    /// `Wait`.
    Wait(Wait),
    /// `Parallel`.
    Parallel(Parallel),
    /// `Map`.
    Map(Map),
    /// `Succeed`.
    Succeed(Succeed),
    /// `Fail`.
    Fail(Fail),
}

impl State {
    /// The `Type` of the state.
    pub fn type_name(&self) -> &'static str {
        match self {
            State::Task(_) => "Task",
            State::Pass(_) => "Pass",
            State::Choice(_) => "Choice",
            State::Wait(_) => "Wait",
            State::Parallel(_) => "Parallel",
            State::Map(_) => "Map",
            State::Succeed(_) => "Succeed",
            State::Fail(_) => "Fail",
        }
    }
}

fn entry_if<M: SerializeMap, T: Serialize + ?Sized>(map: &mut M, key: &str, value: Option<&T>) -> Result<(), M::Error> {
    match value {
        Some(value) => map.serialize_entry(key, value),
        None => Ok(()),
    }
}

fn assign_if<M: SerializeMap>(map: &mut M, assign: &Assign) -> Result<(), M::Error> {
    if assign.is_empty() { Ok(()) } else { map.serialize_entry("Assign", assign) }
}

fn list_if<M: SerializeMap, T: Serialize>(map: &mut M, key: &str, list: &[T]) -> Result<(), M::Error> {
    if list.is_empty() { Ok(()) } else { map.serialize_entry(key, list) }
}

impl Serialize for State {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("Type", self.type_name())?;
        match self {
            State::Task(t) => {
                entry_if(&mut map, "Comment", t.comment.as_ref())?;
                map.serialize_entry("Resource", &t.resource)?;
                entry_if(&mut map, "Arguments", t.arguments.as_ref())?;
                entry_if(&mut map, "Output", t.output.as_ref())?;
                assign_if(&mut map, &t.assign)?;
                entry_if(&mut map, "TimeoutSeconds", t.timeout_seconds.as_ref())?;
                entry_if(&mut map, "HeartbeatSeconds", t.heartbeat_seconds.as_ref())?;
                list_if(&mut map, "Retry", &t.retry)?;
                list_if(&mut map, "Catch", &t.catch)?;
                t.next.write(&mut map)?;
            }
            State::Pass(p) => {
                entry_if(&mut map, "Comment", p.comment.as_ref())?;
                entry_if(&mut map, "Output", p.output.as_ref())?;
                assign_if(&mut map, &p.assign)?;
                p.next.write(&mut map)?;
            }
            State::Choice(c) => {
                entry_if(&mut map, "Comment", c.comment.as_ref())?;
                map.serialize_entry("Choices", &c.choices)?;
                entry_if(&mut map, "Default", c.default.as_ref())?;
                assign_if(&mut map, &c.assign)?;
            }
            State::Wait(w) => {
                entry_if(&mut map, "Comment", w.comment.as_ref())?;
                match &w.until {
                    WaitFor::Seconds(v) => map.serialize_entry("Seconds", v)?,
                    WaitFor::Timestamp(v) => map.serialize_entry("Timestamp", v)?,
                }
                assign_if(&mut map, &w.assign)?;
                w.next.write(&mut map)?;
            }
            State::Parallel(p) => {
                entry_if(&mut map, "Comment", p.comment.as_ref())?;
                map.serialize_entry("Branches", &p.branches)?;
                entry_if(&mut map, "Arguments", p.arguments.as_ref())?;
                entry_if(&mut map, "Output", p.output.as_ref())?;
                assign_if(&mut map, &p.assign)?;
                list_if(&mut map, "Retry", &p.retry)?;
                list_if(&mut map, "Catch", &p.catch)?;
                p.next.write(&mut map)?;
            }
            State::Map(m) => {
                entry_if(&mut map, "Comment", m.comment.as_ref())?;
                map.serialize_entry("Items", &m.items)?;
                entry_if(&mut map, "ItemSelector", m.item_selector.as_ref())?;
                map.serialize_entry("ItemProcessor", &m.item_processor)?;
                entry_if(&mut map, "MaxConcurrency", m.max_concurrency.as_ref())?;
                entry_if(&mut map, "Label", m.label.as_ref())?;
                entry_if(&mut map, "Output", m.output.as_ref())?;
                assign_if(&mut map, &m.assign)?;
                list_if(&mut map, "Retry", &m.retry)?;
                list_if(&mut map, "Catch", &m.catch)?;
                m.next.write(&mut map)?;
            }
            State::Succeed(s) => {
                entry_if(&mut map, "Comment", s.comment.as_ref())?;
                entry_if(&mut map, "Output", s.output.as_ref())?;
            }
            State::Fail(f) => {
                entry_if(&mut map, "Comment", f.comment.as_ref())?;
                entry_if(&mut map, "Error", f.error.as_ref())?;
                entry_if(&mut map, "Cause", f.cause.as_ref())?;
            }
        }
        map.end()
    }
}

/// A `Task` state.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub comment: Option<String>,
    /// The integration, e.g. `arn:aws:states:::lambda:invoke`.
    pub resource: String,
    pub arguments: Option<Value>,
    pub output: Option<Value>,
    pub assign: Assign,
    pub timeout_seconds: Option<u32>,
    pub heartbeat_seconds: Option<u32>,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
    pub next: Next,
}

/// A `Pass` state.
#[derive(Debug, Clone, PartialEq)]
pub struct Pass {
    pub comment: Option<String>,
    pub output: Option<Value>,
    pub assign: Assign,
    pub next: Next,
}

/// A `Choice` state.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub comment: Option<String>,
    pub choices: Vec<ChoiceRule>,
    pub default: Option<String>,
    pub assign: Assign,
}

/// One rule of a `Choice`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChoiceRule {
    /// A `{% … %}` boolean.
    pub condition: String,
    pub next: String,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub assign: Assign,
}

/// A `Wait` state.
#[derive(Debug, Clone, PartialEq)]
pub struct Wait {
    pub comment: Option<String>,
    pub until: WaitFor,
    pub assign: Assign,
    pub next: Next,
}

/// What a `Wait` waits for.
#[derive(Debug, Clone, PartialEq)]
pub enum WaitFor {
    /// `Seconds`: a number, or a `{% … %}` template.
    Seconds(Value),
    /// `Timestamp`: an RFC 3339 string, or a `{% … %}` template.
    Timestamp(Value),
}

/// A `Parallel` state.
#[derive(Debug, Clone, PartialEq)]
pub struct Parallel {
    pub comment: Option<String>,
    pub branches: Vec<StateMachine>,
    pub arguments: Option<Value>,
    pub output: Option<Value>,
    pub assign: Assign,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
    pub next: Next,
}

/// A `Map` state: inline, or distributed (`item_processor`'s `ProcessorConfig`).
#[derive(Debug, Clone, PartialEq)]
pub struct Map {
    pub comment: Option<String>,
    /// A `{% … %}` array.
    pub items: Value,
    pub item_selector: Option<Value>,
    pub item_processor: StateMachine,
    /// 0 = unbounded.
    pub max_concurrency: Option<u32>,
    /// A Distributed Map's Map Run label.
    pub label: Option<String>,
    pub output: Option<Value>,
    pub assign: Assign,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
    pub next: Next,
}

/// A `Succeed` state.
#[derive(Debug, Clone, PartialEq)]
pub struct Succeed {
    pub comment: Option<String>,
    pub output: Option<Value>,
}

/// A `Fail` state.
#[derive(Debug, Clone, PartialEq)]
pub struct Fail {
    pub comment: Option<String>,
    /// The error name, or a `{% … %}` template.
    pub error: Option<String>,
    /// The cause, or a `{% … %}` template.
    pub cause: Option<String>,
}

/// A `Retry` rule of a Task, Parallel or Map state.
///
/// Unset fields take Step Functions' defaults: `IntervalSeconds` 1, `MaxAttempts` 3,
/// `BackoffRate` 2.0, no `MaxDelaySeconds`, `JitterStrategy` `NONE`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Retrier {
    /// The error names this rule applies to (`States.ALL` alone matches every error).
    pub error_equals: Vec<String>,
    /// Seconds before the first retry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_seconds: Option<u32>,
    /// Retries at most (0 = never).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// Multiplier of the interval at each retry (≥ 1.0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backoff_rate: Option<f64>,
    /// Upper bound of any one delay, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_delay_seconds: Option<u32>,
    /// Whether delays are randomised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jitter_strategy: Option<Jitter>,
}

impl Retrier {
    /// A rule for `errors` with every setting at Step Functions' default.
    pub fn new(errors: Vec<String>) -> Self {
        Retrier {
            error_equals: errors,
            interval_seconds: None,
            max_attempts: None,
            backoff_rate: None,
            max_delay_seconds: None,
            jitter_strategy: None,
        }
    }

    /// The retrier AWS recommends for every Lambda task: the Lambda service's transient errors,
    /// with Step Functions' defaults written out.
    pub fn lambda_service_errors() -> Self {
        Retrier {
            error_equals: [
                "Lambda.ServiceException",
                "Lambda.AWSLambdaException",
                "Lambda.SdkClientException",
                "Lambda.TooManyRequestsException",
            ]
            .map(String::from)
            .to_vec(),
            interval_seconds: Some(limits::DEFAULT_INTERVAL_SECONDS),
            max_attempts: Some(limits::DEFAULT_MAX_ATTEMPTS),
            backoff_rate: Some(limits::DEFAULT_BACKOFF_RATE),
            max_delay_seconds: None,
            jitter_strategy: None,
        }
    }

    /// `rules` followed by the Lambda service retrier (before a final `States.ALL` rule), for
    /// tasks invoking a Lambda function (`lambda`, a `Step::LAMBDA`); child workflows and AWS
    /// service calls get `rules` alone.
    pub fn with_service_errors(mut rules: Vec<Retrier>, lambda: bool) -> Vec<Retrier> {
        if lambda {
            let service = Retrier::lambda_service_errors();
            match rules.iter().position(Retrier::is_catch_all) {
                Some(i) => rules.insert(i, service),
                None => rules.push(service),
            }
        }
        rules
    }

    /// Whether this rule is the catch-all `States.ALL`.
    pub fn is_catch_all(&self) -> bool {
        self.error_equals.iter().any(|e| e == "States.ALL")
    }
}

/// `JitterStrategy` of a retrier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Jitter {
    /// Exact delays.
    None,
    /// Each delay drawn uniformly from `[0, computed delay]`.
    Full,
}

/// A `Catch` rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Catcher {
    pub error_equals: Vec<String>,
    pub next: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub assign: Assign,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retrier_serialises_with_asl_names_and_omits_defaults() {
        let mut r = Retrier::new(vec!["GatewayDown".into()]);
        r.interval_seconds = Some(2);
        r.jitter_strategy = Some(Jitter::Full);
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"ErrorEquals":["GatewayDown"],"IntervalSeconds":2,"JitterStrategy":"FULL"}"#
        );
    }

    #[test]
    fn states_keep_their_order_and_fields_their_specified_names() {
        let mut machine = StateMachine::new("B");
        machine.query_language = Some(QueryLanguage::Jsonata);
        machine.states.push(
            "B",
            State::Pass(Pass { comment: None, output: None, assign: Assign::new(), next: Next::State("A".into()) }),
        );
        machine.states.push("A", State::Succeed(Succeed { comment: None, output: Some(Value::from("{% 1 %}")) }));
        assert_eq!(
            serde_json::to_string(&machine).unwrap(),
            r#"{"QueryLanguage":"JSONata","StartAt":"B","States":{"B":{"Type":"Pass","Next":"A"},"A":{"Type":"Succeed","Output":"{% 1 %}"}}}"#
        );
    }
}
