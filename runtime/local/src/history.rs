//! The execution history, shaped like `GetExecutionHistory` (event types, ids,
//! `previousEventId`, details with JSON payloads as strings), and the readable trace.

use std::fmt::Write as _;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::time::format_timestamp;

/// A payload of an event (an input, an output, parameters), kept as compact JSON
/// text as `GetExecutionHistory` returns it; absent when the executor does not
/// record payloads.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Payload(Option<Box<str>>);

impl Payload {
    /// Serializes `v`, or records nothing when `record` is false.
    pub fn of(v: &Value, record: bool) -> Payload {
        Payload(record.then(|| serde_json::to_string(v).unwrap_or_default().into_boxed_str()))
    }

    /// The JSON text.
    pub fn text(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// The value.
    pub fn value(&self) -> Option<Value> {
        self.0.as_deref().and_then(|t| serde_json::from_str(t).ok())
    }

    fn json(&self) -> Value {
        self.0.as_deref().map(|t| Value::String(t.to_string())).unwrap_or(Value::Null)
    }
}

/// The details of an event.
#[derive(Debug, Clone, PartialEq)]
pub enum Details {
    None,
    ExecutionStarted {
        input: Payload,
        role_arn: Arc<str>,
    },
    ExecutionSucceeded {
        output: Payload,
    },
    ExecutionFailed {
        error: Option<String>,
        cause: Option<String>,
    },
    ExecutionTimedOut {
        error: Option<String>,
        cause: Option<String>,
    },
    ExecutionAborted {
        error: Option<String>,
        cause: Option<String>,
    },
    /// `RedriveExecution`: the how-manieth redrive this is.
    ExecutionRedriven {
        redrive_count: u32,
    },
    StateEntered {
        name: Arc<str>,
        input: Payload,
    },
    StateExited {
        name: Arc<str>,
        output: Payload,
        assigned: Option<Vec<(Arc<str>, Payload)>>,
    },
    TaskScheduled {
        resource_type: Arc<str>,
        resource: Arc<str>,
        region: String,
        parameters: Payload,
        timeout: Option<u64>,
        heartbeat: Option<u64>,
    },
    TaskStarted {
        resource_type: Arc<str>,
        resource: Arc<str>,
    },
    TaskSubmitted {
        resource_type: Arc<str>,
        resource: Arc<str>,
        output: Payload,
    },
    TaskSucceeded {
        resource_type: Arc<str>,
        resource: Arc<str>,
        output: Payload,
    },
    TaskFailed {
        resource_type: Arc<str>,
        resource: Arc<str>,
        error: Option<String>,
        cause: Option<String>,
    },
    TaskTimedOut {
        resource_type: Arc<str>,
        resource: Arc<str>,
        error: Option<String>,
        cause: Option<String>,
    },
    ActivityScheduled {
        resource: Arc<str>,
        input: Payload,
        timeout: Option<u64>,
        heartbeat: Option<u64>,
    },
    ActivityStarted {
        /// The `workerName` the worker gave `GetActivityTask`; none for a handler.
        worker: Option<String>,
    },
    ActivitySucceeded {
        output: Payload,
    },
    ActivityFailed {
        error: Option<String>,
        cause: Option<String>,
    },
    ActivityTimedOut {
        error: Option<String>,
        cause: Option<String>,
    },
    LambdaFunctionScheduled {
        resource: Arc<str>,
        input: Payload,
        timeout: Option<u64>,
    },
    LambdaFunctionSucceeded {
        output: Payload,
    },
    LambdaFunctionFailed {
        error: Option<String>,
        cause: Option<String>,
    },
    LambdaFunctionTimedOut {
        error: Option<String>,
        cause: Option<String>,
    },
    MapStateStarted {
        length: usize,
    },
    MapIteration {
        name: Arc<str>,
        index: usize,
    },
    EvaluationFailed {
        error: String,
        cause: String,
        location: String,
        state: Arc<str>,
    },
}

/// One history event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: u64,
    pub previous_event_id: u64,
    /// Virtual time, milliseconds since the epoch.
    pub timestamp_ms: i64,
    /// `TaskStateEntered`, `MapIterationStarted`, `ExecutionSucceeded`, …
    pub event_type: &'static str,
    pub details: Details,
}

fn err_cause(error: &Option<String>, cause: &Option<String>) -> Map<String, Value> {
    let mut m = Map::new();
    if let Some(c) = cause {
        m.insert("cause".into(), Value::String(c.clone()));
    }
    if let Some(e) = error {
        m.insert("error".into(), Value::String(e.clone()));
    }
    m
}

impl Event {
    /// The input of an event that has one (`*StateEntered`, `ExecutionStarted`,
    /// `LambdaFunctionScheduled`; the parameters of `TaskScheduled`).
    pub fn input(&self) -> Option<Value> {
        match &self.details {
            Details::ExecutionStarted { input, .. }
            | Details::StateEntered { input, .. }
            | Details::LambdaFunctionScheduled { input, .. }
            | Details::ActivityScheduled { input, .. } => input.value(),
            Details::TaskScheduled { parameters, .. } => parameters.value(),
            _ => None,
        }
    }

    /// The output of an event that has one (`*StateExited`, `*Succeeded`, …).
    pub fn output(&self) -> Option<Value> {
        match &self.details {
            Details::ExecutionSucceeded { output }
            | Details::StateExited { output, .. }
            | Details::TaskSubmitted { output, .. }
            | Details::TaskSucceeded { output, .. }
            | Details::LambdaFunctionSucceeded { output }
            | Details::ActivitySucceeded { output } => output.value(),
            _ => None,
        }
    }

    /// The state name of a state or map-iteration event.
    pub fn name(&self) -> Option<&str> {
        match &self.details {
            Details::StateEntered { name, .. }
            | Details::StateExited { name, .. }
            | Details::MapIteration { name, .. } => Some(name),
            _ => None,
        }
    }

    /// The event as `GetExecutionHistory` returns it.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("timestamp".into(), Value::String(format_timestamp(self.timestamp_ms)));
        m.insert("type".into(), Value::String(self.event_type.into()));
        m.insert("id".into(), json!(self.id));
        m.insert("previousEventId".into(), json!(self.previous_event_id));
        let (key, details): (&str, Value) = match &self.details {
            Details::None => return Value::Object(m),
            Details::ExecutionStarted { input, role_arn } => (
                "executionStartedEventDetails",
                json!({"input": input.json(), "inputDetails": {"truncated": false}, "roleArn": &**role_arn}),
            ),
            Details::ExecutionSucceeded { output } => (
                "executionSucceededEventDetails",
                json!({"output": output.json(), "outputDetails": {"truncated": false}}),
            ),
            Details::ExecutionFailed { error, cause } => {
                ("executionFailedEventDetails", Value::Object(err_cause(error, cause)))
            }
            Details::ExecutionTimedOut { error, cause } => {
                ("executionTimedOutEventDetails", Value::Object(err_cause(error, cause)))
            }
            Details::ExecutionAborted { error, cause } => {
                ("executionAbortedEventDetails", Value::Object(err_cause(error, cause)))
            }
            Details::ExecutionRedriven { redrive_count } => {
                ("executionRedrivenEventDetails", json!({"redriveCount": redrive_count}))
            }
            Details::StateEntered { name, input } => (
                "stateEnteredEventDetails",
                json!({"name": &**name, "input": input.json(), "inputDetails": {"truncated": false}}),
            ),
            Details::StateExited { name, output, assigned } => {
                let mut d = json!({"name": &**name, "output": output.json(), "outputDetails": {"truncated": false}});
                if let Some(a) = assigned {
                    let vars: Map<String, Value> = a.iter().map(|(k, v)| (k.to_string(), v.json())).collect();
                    d["assignedVariables"] = Value::Object(vars);
                    d["assignedVariablesDetails"] = json!({"truncated": false});
                }
                ("stateExitedEventDetails", d)
            }
            Details::TaskScheduled { resource_type, resource, region, parameters, timeout, heartbeat } => {
                let mut d = json!({"resourceType": &**resource_type, "resource": &**resource, "region": region, "parameters": parameters.json()});
                if let Some(t) = timeout {
                    d["timeoutInSeconds"] = json!(t);
                }
                if let Some(h) = heartbeat {
                    d["heartbeatInSeconds"] = json!(h);
                }
                ("taskScheduledEventDetails", d)
            }
            Details::TaskStarted { resource_type, resource } => {
                ("taskStartedEventDetails", json!({"resourceType": &**resource_type, "resource": &**resource}))
            }
            Details::TaskSubmitted { resource_type, resource, output } => (
                "taskSubmittedEventDetails",
                json!({"resourceType": &**resource_type, "resource": &**resource, "output": output.json(), "outputDetails": {"truncated": false}}),
            ),
            Details::TaskSucceeded { resource_type, resource, output } => (
                "taskSucceededEventDetails",
                json!({"resourceType": &**resource_type, "resource": &**resource, "output": output.json(), "outputDetails": {"truncated": false}}),
            ),
            Details::TaskFailed { resource_type, resource, error, cause } => {
                let mut d = err_cause(error, cause);
                d.insert("resourceType".into(), json!(&**resource_type));
                d.insert("resource".into(), json!(&**resource));
                ("taskFailedEventDetails", Value::Object(d))
            }
            Details::TaskTimedOut { resource_type, resource, error, cause } => {
                let mut d = err_cause(error, cause);
                d.insert("resourceType".into(), json!(&**resource_type));
                d.insert("resource".into(), json!(&**resource));
                ("taskTimedOutEventDetails", Value::Object(d))
            }
            Details::ActivityScheduled { resource, input, timeout, heartbeat } => {
                let mut d =
                    json!({"resource": &**resource, "input": input.json(), "inputDetails": {"truncated": false}});
                if let Some(t) = timeout {
                    d["timeoutInSeconds"] = json!(t);
                }
                if let Some(h) = heartbeat {
                    d["heartbeatInSeconds"] = json!(h);
                }
                ("activityScheduledEventDetails", d)
            }
            Details::ActivityStarted { worker } => {
                let mut d = Map::new();
                if let Some(w) = worker {
                    d.insert("workerName".into(), json!(w));
                }
                ("activityStartedEventDetails", Value::Object(d))
            }
            Details::ActivitySucceeded { output } => (
                "activitySucceededEventDetails",
                json!({"output": output.json(), "outputDetails": {"truncated": false}}),
            ),
            Details::ActivityFailed { error, cause } => {
                ("activityFailedEventDetails", Value::Object(err_cause(error, cause)))
            }
            Details::ActivityTimedOut { error, cause } => {
                ("activityTimedOutEventDetails", Value::Object(err_cause(error, cause)))
            }
            Details::LambdaFunctionScheduled { resource, input, timeout } => {
                let mut d =
                    json!({"resource": &**resource, "input": input.json(), "inputDetails": {"truncated": false}});
                if let Some(t) = timeout {
                    d["timeoutInSeconds"] = json!(t);
                }
                ("lambdaFunctionScheduledEventDetails", d)
            }
            Details::LambdaFunctionSucceeded { output } => (
                "lambdaFunctionSucceededEventDetails",
                json!({"output": output.json(), "outputDetails": {"truncated": false}}),
            ),
            Details::LambdaFunctionFailed { error, cause } => {
                ("lambdaFunctionFailedEventDetails", Value::Object(err_cause(error, cause)))
            }
            Details::LambdaFunctionTimedOut { error, cause } => {
                ("lambdaFunctionTimedOutEventDetails", Value::Object(err_cause(error, cause)))
            }
            Details::MapStateStarted { length } => ("mapStateStartedEventDetails", json!({"length": length})),
            Details::MapIteration { name, index } => {
                let key = match self.event_type {
                    "MapIterationStarted" => "mapIterationStartedEventDetails",
                    "MapIterationSucceeded" => "mapIterationSucceededEventDetails",
                    "MapIterationFailed" => "mapIterationFailedEventDetails",
                    _ => "mapIterationAbortedEventDetails",
                };
                (key, json!({"name": &**name, "index": index}))
            }
            Details::EvaluationFailed { error, cause, location, state } => (
                "evaluationFailedEventDetails",
                json!({"error": error, "cause": cause, "location": location, "state": &**state}),
            ),
        };
        m.insert(key.into(), details);
        Value::Object(m)
    }
}

/// What became of a state in the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceStatus {
    Running,
    Succeeded,
    Caught,
    Failed,
    Aborted,
}

/// One state visit, for the readable trace.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceEntry {
    /// Nesting: 0 at top level, +1 per Parallel branch / Map iteration.
    pub depth: usize,
    /// `branch 1`, `item 3` for the first state of a branch or iteration.
    pub label: Option<String>,
    pub state: Arc<str>,
    pub state_type: &'static str,
    pub status: TraceStatus,
    pub start_ms: i64,
    pub end_ms: i64,
    pub retries: u32,
    /// Error of a failed or caught state.
    pub error: Option<String>,
    /// Id of the state's `*StateEntered` event.
    pub entered_event_id: u64,
}

/// Renders trace entries as an aligned table; times relative to `start_ms`. The state column is
/// as wide as its longest entry (at least 40 characters), so that state names up to Step
/// Functions' 80 characters, indented and labelled inside branches and iterations, keep every
/// column in line.
pub fn render_trace(entries: &[TraceEntry], start_ms: i64) -> String {
    let names: Vec<String> = entries
        .iter()
        .map(|e| {
            let mut name = "  ".repeat(e.depth);
            if let Some(l) = &e.label {
                let _ = write!(name, "[{l}] ");
            }
            name.push_str(&e.state);
            name
        })
        .collect();
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0).max(40);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<width$} {:<9} {:<10} {:>12} {:>12} {:>7}",
        "STATE", "TYPE", "STATUS", "START", "DURATION", "RETRIES"
    );
    for (e, name) in entries.iter().zip(&names) {
        let status = match e.status {
            TraceStatus::Running => "running",
            TraceStatus::Succeeded => "ok",
            TraceStatus::Caught => "caught",
            TraceStatus::Failed => "failed",
            TraceStatus::Aborted => "aborted",
        };
        let _ = write!(
            out,
            "{:<width$} {:<9} {:<10} {:>12} {:>12} {:>7}",
            name,
            e.state_type,
            status,
            human(e.start_ms - start_ms, true),
            human(e.end_ms - e.start_ms, false),
            e.retries
        );
        if let Some(err) = &e.error {
            let _ = write!(out, "  {err}");
        }
        out.push('\n');
    }
    out
}

/// `+1d 02:03:04.500` style durations, or `1.250s` below a minute.
fn human(ms: i64, plus: bool) -> String {
    let sign = if plus { "+" } else { "" };
    let (s, rem) = (ms / 1000, ms % 1000);
    if s < 60 {
        format!("{sign}{s}.{rem:03}s")
    } else {
        let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
        if d > 0 { format!("{sign}{d}d{h:02}:{m:02}:{sec:02}") } else { format!("{sign}{h:02}:{m:02}:{sec:02}") }
    }
}
