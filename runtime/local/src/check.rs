//! Checking a definition: ASL JSON in, a [`Machine`] out, or every problem found (as
//! `CreateStateMachine` would reject it), each at its location in the definition
//! (`/States/Charge/Retry[0]/ErrorEquals`).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Value};
use stepcraft_jsonata::is_jsonata_template;

use crate::ata::{AtaExpr, AtaTemplate};
use crate::intrinsics;
use crate::jsonpath::JsonPath;
use crate::limits::{
    DEFAULT_BACKOFF_RATE, DEFAULT_INTERVAL_SECONDS, DEFAULT_MAX_ATTEMPTS, JITTER_STRATEGIES, MAX_ATTEMPTS,
    MAX_DELAY_SECONDS, MAX_SECONDS, MAX_STATE_NAME,
};
use crate::model::*;
use crate::template::PathTemplate;
use crate::time;

/// One problem in a definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// AWS's diagnostic code (`SCHEMA_VALIDATION_FAILED`, `MISSING_TRANSITION_TARGET`, …).
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// Where: a JSON pointer into the definition.
    pub location: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} at {}", self.code, self.message, if self.location.is_empty() { "/" } else { &self.location })
    }
}

/// Every problem found in a definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Invalid State Machine Definition: ")?;
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "'{p}'")?;
        }
        Ok(())
    }
}

impl std::error::Error for DefinitionError {}

/// The error names Step Functions predefines; no other `States.` name is valid.
const STATES_ERRORS: &[&str] = &[
    "States.ALL",
    "States.DataLimitExceeded",
    "States.ExceedToleratedFailureThreshold",
    "States.HeartbeatTimeout",
    "States.Http.Socket",
    "States.IntrinsicFailure",
    "States.ItemReaderFailed",
    "States.NoChoiceMatched",
    "States.ParameterPathFailure",
    "States.Permissions",
    "States.QueryEvaluationError",
    "States.ResultPathMatchFailure",
    "States.ResultWriterFailed",
    "States.Runtime",
    "States.TaskFailed",
    "States.Timeout",
    "States.BranchFailed",
];

struct Cx {
    problems: Vec<Problem>,
    machine_ql: QueryLanguage,
    names: HashSet<String>,
    /// The state machine is of type `EXPRESS`.
    express: bool,
}

impl Cx {
    fn err(&mut self, code: &'static str, location: &str, message: impl Into<String>) {
        self.problems.push(Problem { code, message: message.into(), location: location.to_string() });
    }

    fn schema(&mut self, location: &str, message: impl Into<String>) {
        self.err("SCHEMA_VALIDATION_FAILED", location, message);
    }

    /// Moves template compile errors (`(field, message)`, field relative to `base`).
    fn take(&mut self, base: &str, errors: Vec<(String, String)>) {
        for (field, msg) in errors {
            let code = if msg.starts_with("INVALID_JSONATA_EXPRESSION") {
                "INVALID_JSONATA_EXPRESSION"
            } else {
                "SCHEMA_VALIDATION_FAILED"
            };
            let msg = msg.strip_prefix("INVALID_JSONATA_EXPRESSION: ").unwrap_or(&msg).to_string();
            self.err(code, &format!("{base}/{field}"), msg);
        }
    }
}

/// Checks and compiles a definition of a `STANDARD` state machine.
#[cfg(test)]
pub fn check(def: &Value) -> Result<Machine, DefinitionError> {
    check_as(def, false)
}

/// Checks and compiles a definition for a state machine of type `EXPRESS` (`express`)
/// or `STANDARD`.
pub fn check_as(def: &Value, express: bool) -> Result<Machine, DefinitionError> {
    let Some(obj) = def.as_object() else {
        return Err(DefinitionError {
            problems: vec![Problem {
                code: "SCHEMA_VALIDATION_FAILED",
                message: "the definition must be a JSON object".into(),
                location: String::new(),
            }],
        });
    };
    let mut cx = Cx { problems: Vec::new(), machine_ql: QueryLanguage::JsonPath, names: HashSet::new(), express };
    for k in obj.keys() {
        if !matches!(k.as_str(), "StartAt" | "States" | "Comment" | "Version" | "TimeoutSeconds" | "QueryLanguage") {
            cx.schema(&format!("/{k}"), format!("The field '{k}' is not supported by Step Functions"));
        }
    }
    cx.machine_ql = match obj.get("QueryLanguage") {
        None => QueryLanguage::JsonPath,
        Some(Value::String(s)) if s == "JSONPath" => QueryLanguage::JsonPath,
        Some(Value::String(s)) if s == "JSONata" => QueryLanguage::JsonAta,
        Some(_) => {
            cx.schema("/QueryLanguage", "Value should be one of the following: [JSONPath, JSONata]");
            QueryLanguage::JsonPath
        }
    };
    if let Some(v) = obj.get("Version")
        && v.as_str() != Some("1.0")
    {
        cx.schema("/Version", "Value should be one of the following: [1.0]");
    }
    let timeout_seconds = match obj.get("TimeoutSeconds") {
        None => None,
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => Some(n),
            _ => {
                cx.schema("/TimeoutSeconds", "Expected a positive integer");
                None
            }
        },
    };
    let root = state_set(&mut cx, obj, "");
    if cx.problems.is_empty() {
        Ok(Machine { timeout_seconds, root })
    } else {
        Err(DefinitionError { problems: cx.problems })
    }
}

fn state_set(cx: &mut Cx, obj: &Map<String, Value>, base: &str) -> StateSet {
    let Some(states) = obj.get("States").and_then(Value::as_object) else {
        cx.schema(&format!("{base}/States"), "The field 'States' is required and must be an object");
        return StateSet { start: 0, states: Vec::new() };
    };
    if states.is_empty() {
        cx.schema(&format!("{base}/States"), "'States' must contain at least one state");
    }
    let index: HashMap<&str, usize> = states.keys().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
    let start = match obj.get("StartAt").and_then(Value::as_str) {
        Some(s) => match index.get(s) {
            Some(&i) => i,
            None => {
                cx.err(
                    "MISSING_TRANSITION_TARGET",
                    &format!("{base}/StartAt"),
                    format!("Missing 'StartAt' target: {s}"),
                );
                0
            }
        },
        None => {
            cx.schema(&format!("{base}/StartAt"), "The field 'StartAt' is required");
            0
        }
    };
    let mut out = Vec::with_capacity(states.len());
    for (name, st) in states {
        let loc = format!("{base}/States/{name}");
        if name.chars().count() > MAX_STATE_NAME {
            cx.schema(&loc, format!("State name '{name}' is longer than {MAX_STATE_NAME} characters"));
        }
        if name.is_empty() {
            cx.schema(&loc, "State names must not be empty");
        }
        if !cx.names.insert(name.clone()) {
            cx.err("DUPLICATE_STATE_NAME", &loc, format!("Duplicate State name: {name}"));
        }
        match st.as_object() {
            Some(st) => out.push(state(cx, name, st, &loc, &index)),
            None => cx.schema(&loc, "A state must be a JSON object"),
        }
    }
    let set = StateSet { start, states: out };
    if cx.problems.is_empty() {
        graph_checks(cx, &set, base);
    }
    set
}

/// Reachability from `StartAt`, and at least one way to end.
fn graph_checks(cx: &mut Cx, set: &StateSet, base: &str) {
    let mut seen = vec![false; set.states.len()];
    let mut stack = vec![set.start];
    let mut terminal = false;
    while let Some(i) = stack.pop() {
        if seen[i] {
            continue;
        }
        seen[i] = true;
        let s = &set.states[i];
        match s.transition {
            Transition::Next(n) => stack.push(n),
            Transition::End => terminal = true,
            Transition::None => {}
        }
        match &s.kind {
            Kind::Succeed | Kind::Fail { .. } => terminal = true,
            Kind::Choice(c) => {
                stack.extend(c.branches.iter().map(|b| b.next));
                stack.extend(c.default);
            }
            _ => {}
        }
        stack.extend(s.catch.iter().map(|c| c.next));
    }
    for (i, s) in set.states.iter().enumerate() {
        if !seen[i] {
            cx.err(
                "MISSING_TRANSITION_TARGET",
                &format!("{base}/States/{}", s.name),
                format!("State \"{}\" is not reachable.", s.name),
            );
        }
    }
    if !terminal {
        cx.err("MISSING_END_STATE", &format!("{base}/States"), "Workflow has no terminal state");
    }
}

const COMMON: &[&str] = &["Type", "Comment", "QueryLanguage"];
const PATH_ONLY: &[&str] = &[
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "Result",
    "ItemsPath",
    "MaxConcurrencyPath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "SecondsPath",
    "TimestampPath",
    "ErrorPath",
    "CausePath",
    "ToleratedFailureCountPath",
    "ToleratedFailurePercentagePath",
];
const ATA_ONLY: &[&str] = &["Arguments", "Output", "Items"];

fn allowed_fields(ty: &str) -> Option<&'static [&'static str]> {
    Some(match ty {
        "Pass" => &["Next", "End", "InputPath", "OutputPath", "Parameters", "Result", "ResultPath", "Assign", "Output"],
        "Task" => &[
            "Next",
            "End",
            "Resource",
            "InputPath",
            "OutputPath",
            "Parameters",
            "ResultSelector",
            "ResultPath",
            "Retry",
            "Catch",
            "TimeoutSeconds",
            "TimeoutSecondsPath",
            "HeartbeatSeconds",
            "HeartbeatSecondsPath",
            "Credentials",
            "Assign",
            "Arguments",
            "Output",
        ],
        "Choice" => &["Choices", "Default", "InputPath", "OutputPath", "Assign", "Output"],
        "Wait" => &[
            "Next",
            "End",
            "Seconds",
            "SecondsPath",
            "Timestamp",
            "TimestampPath",
            "InputPath",
            "OutputPath",
            "Assign",
            "Output",
        ],
        "Succeed" => &["InputPath", "OutputPath", "Output"],
        "Fail" => &["Error", "ErrorPath", "Cause", "CausePath"],
        "Parallel" => &[
            "Next",
            "End",
            "Branches",
            "InputPath",
            "OutputPath",
            "Parameters",
            "ResultSelector",
            "ResultPath",
            "Retry",
            "Catch",
            "Assign",
            "Arguments",
            "Output",
        ],
        "Map" => &[
            "Next",
            "End",
            "ItemsPath",
            "Items",
            "ItemSelector",
            "Parameters",
            "ItemProcessor",
            "Iterator",
            "MaxConcurrency",
            "MaxConcurrencyPath",
            "InputPath",
            "OutputPath",
            "ResultSelector",
            "ResultPath",
            "Retry",
            "Catch",
            "Assign",
            "Output",
            "ItemReader",
            "ItemBatcher",
            "ResultWriter",
            "ToleratedFailurePercentage",
            "ToleratedFailurePercentagePath",
            "ToleratedFailureCount",
            "ToleratedFailureCountPath",
            "Label",
        ],
        _ => return None,
    })
}

fn state(cx: &mut Cx, name: &str, st: &Map<String, Value>, loc: &str, index: &HashMap<&str, usize>) -> State {
    let ty = st.get("Type").and_then(Value::as_str).unwrap_or("");
    let ql = match st.get("QueryLanguage") {
        None => cx.machine_ql,
        Some(Value::String(s)) if s == "JSONPath" => {
            if cx.machine_ql == QueryLanguage::JsonAta {
                cx.schema(loc, "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine");
            }
            QueryLanguage::JsonPath
        }
        Some(Value::String(s)) if s == "JSONata" => QueryLanguage::JsonAta,
        Some(_) => {
            cx.schema(&format!("{loc}/QueryLanguage"), "Value should be one of the following: [JSONPath, JSONata]");
            QueryLanguage::JsonAta
        }
    };
    let allowed = match allowed_fields(ty) {
        Some(a) => a,
        None => {
            if st.contains_key("Type") {
                cx.schema(&format!("{loc}/Type"), format!("Unknown State Type: '{ty}'"));
            } else {
                cx.schema(loc, "The field 'Type' is required");
            }
            &[]
        }
    };
    if !allowed.is_empty() {
        for k in st.keys() {
            if COMMON.contains(&k.as_str()) {
                continue;
            }
            if !allowed.contains(&k.as_str()) {
                cx.schema(
                    &format!("{loc}/{k}"),
                    format!("The field '{k}' is not supported by Step Functions for {ty} states"),
                );
            } else if ql == QueryLanguage::JsonAta
                && PATH_ONLY.contains(&k.as_str())
                && !(ty == "Map" && k == "Parameters")
            {
                cx.schema(loc, format!("The QueryLanguage is set to 'JSONata', but field '{k}' is only supported for the 'JSONPath' QueryLanguage"));
            } else if ql == QueryLanguage::JsonPath && ATA_ONLY.contains(&k.as_str()) {
                cx.schema(loc, format!("The QueryLanguage is set to 'JSONPath', but field '{k}' is only supported for the 'JSONata' QueryLanguage"));
            }
        }
        if ql == QueryLanguage::JsonAta && ty == "Map" && st.contains_key("Parameters") {
            cx.schema(loc, "The QueryLanguage is set to 'JSONata', but field 'Parameters' is only supported for the 'JSONPath' QueryLanguage");
        }
    }

    let next = match (st.get("Next"), st.get("End")) {
        (Some(_), Some(Value::Bool(true))) => {
            cx.schema(loc, "A state may have either 'Next' or 'End', not both");
            Transition::End
        }
        (Some(Value::String(n)), _) => match index.get(n.as_str()) {
            Some(&i) => Transition::Next(i),
            None => {
                cx.err("MISSING_TRANSITION_TARGET", &format!("{loc}/Next"), format!("Missing 'Next' target: {n}"));
                Transition::End
            }
        },
        (Some(_), _) => {
            cx.schema(&format!("{loc}/Next"), "'Next' must be a state name");
            Transition::End
        }
        (None, Some(Value::Bool(true))) => Transition::End,
        (None, Some(_)) => {
            cx.schema(&format!("{loc}/End"), "'End' must be true");
            Transition::End
        }
        (None, None) => Transition::None,
    };
    let needs_transition = matches!(ty, "Pass" | "Task" | "Wait" | "Parallel" | "Map");
    if needs_transition && next == Transition::None {
        cx.schema(loc, "This state must have either 'Next' or 'End: true'");
    }
    if !needs_transition && next != Transition::None && allowed_fields(ty).is_some() {
        // `Next`/`End` on Choice, Succeed or Fail were already reported as unsupported.
    }

    let flow = data_flow(cx, st, loc, ql, ty);
    let assign = match st.get("Assign") {
        Some(v) => assign(cx, v, loc, ql, ""),
        None => None,
    };
    let retry = match st.get("Retry") {
        Some(v) => retriers(cx, v, &format!("{loc}/Retry")),
        None => Vec::new(),
    };
    let catch = match st.get("Catch") {
        Some(v) => catchers(cx, v, &format!("{loc}/Catch"), ql, index),
        None => Vec::new(),
    };

    let kind = match ty {
        "Pass" => Kind::Pass { result: st.get("Result").cloned() },
        "Task" => Kind::Task(Box::new(task(cx, st, loc, ql))),
        "Choice" => Kind::Choice(Box::new(choice(cx, st, loc, ql, index))),
        "Wait" => Kind::Wait(wait(cx, st, loc, ql)),
        "Succeed" => Kind::Succeed,
        "Fail" => {
            let error = fail_field(cx, st, loc, ql, "Error", "ErrorPath");
            let cause = fail_field(cx, st, loc, ql, "Cause", "CausePath");
            Kind::Fail { error, cause }
        }
        "Parallel" => {
            let branches = match st.get("Branches").and_then(Value::as_array) {
                Some(bs) if !bs.is_empty() => bs
                    .iter()
                    .enumerate()
                    .filter_map(|(i, b)| {
                        let bl = format!("{loc}/Branches[{i}]");
                        match b.as_object() {
                            Some(b) => Some(sub_machine(cx, b, &bl)),
                            None => {
                                cx.schema(&bl, "A branch must be an object with 'StartAt' and 'States'");
                                None
                            }
                        }
                    })
                    .collect(),
                _ => {
                    cx.schema(&format!("{loc}/Branches"), "'Branches' must be a non-empty array");
                    Vec::new()
                }
            };
            Kind::Parallel(Box::new(Parallel { branches }))
        }
        "Map" => Kind::Map(Box::new(map(cx, st, loc, ql))),
        _ => Kind::Succeed,
    };
    State { name: Arc::from(name), query_language: ql, kind, transition: next, flow, assign, retry, catch }
}

fn sub_machine(cx: &mut Cx, obj: &Map<String, Value>, loc: &str) -> StateSet {
    for k in obj.keys() {
        match k.as_str() {
            "StartAt" | "States" | "Comment" | "ProcessorConfig" => {}
            "QueryLanguage" => cx.schema(&format!("{loc}/QueryLanguage"), "Field 'QueryLanguage' is not supported"),
            other => {
                cx.schema(&format!("{loc}/{other}"), format!("The field '{other}' is not supported by Step Functions"))
            }
        }
    }
    state_set(cx, obj, loc)
}

fn path_spec(cx: &mut Cx, st: &Map<String, Value>, key: &str, loc: &str) -> PathSpec {
    match st.get(key) {
        None => PathSpec::Root,
        Some(Value::Null) => PathSpec::Null,
        Some(Value::String(s)) => match JsonPath::parse(s) {
            Ok(p) if p.is_root_only() && *p.root() == crate::jsonpath::Root::Input => PathSpec::Root,
            Ok(p) => PathSpec::Path(p),
            Err(e) => {
                cx.err(
                    "INVALID_JSON_PATH",
                    &format!("{loc}/{key}"),
                    format!("The value for the field '{key}' must be a valid JSONPath: {e}"),
                );
                PathSpec::Root
            }
        },
        Some(_) => {
            cx.schema(&format!("{loc}/{key}"), format!("'{key}' must be a string or null"));
            PathSpec::Root
        }
    }
}

fn result_path(cx: &mut Cx, v: Option<&Value>, loc: &str) -> ResultPathSpec {
    match v {
        None => ResultPathSpec::Root,
        Some(Value::Null) => ResultPathSpec::Null,
        Some(Value::String(s)) => match JsonPath::parse(s) {
            Ok(p) if p.is_root_only() && *p.root() == crate::jsonpath::Root::Input => ResultPathSpec::Root,
            Ok(p) if *p.root() == crate::jsonpath::Root::Input && p.reference_steps().is_some() => {
                ResultPathSpec::Path(p)
            }
            _ => {
                cx.err(
                    "INVALID_JSON_PATH",
                    loc,
                    format!("The value for the field 'ResultPath' must be a valid reference path: {s}"),
                );
                ResultPathSpec::Root
            }
        },
        Some(_) => {
            cx.schema(loc, "'ResultPath' must be a string or null");
            ResultPathSpec::Root
        }
    }
}

fn path_template(cx: &mut Cx, v: &Value, loc: &str, field: &str) -> PathTemplate {
    let mut errors = Vec::new();
    let t = PathTemplate::compile(v, field, &mut errors);
    cx.take(loc, errors);
    t
}

fn ata_template(cx: &mut Cx, v: &Value, loc: &str, field: &str) -> AtaTemplate {
    let mut errors = Vec::new();
    let t = AtaTemplate::compile(v, field, &mut errors);
    cx.take(loc, errors);
    check_ata_refs(cx, &t, loc);
    t
}

/// `$$` and `$states.errorOutput` outside a catcher are refused by AWS when the state
/// machine is created.
fn check_ata_refs(cx: &mut Cx, t: &AtaTemplate, loc: &str) {
    let mut bad = Vec::new();
    t.for_each_expr(&mut |e| {
        if e.text().contains("$$") && !e.text().contains("'$$") && !e.text().contains("\"$$") {
            bad.push((e.field().to_string(), "Reference to '$$' is not supported."));
        }
    });
    for (field, msg) in bad {
        cx.err("UNSUPPORTED_JSONATA_EXPRESSION", &format!("{loc}/{field}"), msg);
    }
}

fn ata_expr(cx: &mut Cx, s: &str, loc: &str, field: &str) -> Option<Box<AtaExpr>> {
    let inner = is_jsonata_template(s)?;
    match AtaExpr::compile(inner, field) {
        Ok(e) => Some(Box::new(e)),
        Err(msg) => {
            cx.err("INVALID_JSONATA_EXPRESSION", &format!("{loc}/{field}"), msg);
            None
        }
    }
}

fn data_flow(cx: &mut Cx, st: &Map<String, Value>, loc: &str, ql: QueryLanguage, ty: &str) -> DataFlow {
    match ql {
        QueryLanguage::JsonPath => {
            let parameters = if ty == "Map" {
                None // a Map's `Parameters` is its item selector
            } else {
                st.get("Parameters").map(|v| Box::new(path_template(cx, v, loc, "Parameters")))
            };
            DataFlow::Path {
                input_path: path_spec(cx, st, "InputPath", loc),
                parameters,
                result_selector: st
                    .get("ResultSelector")
                    .map(|v| Box::new(path_template(cx, v, loc, "ResultSelector"))),
                result_path: result_path(cx, st.get("ResultPath"), &format!("{loc}/ResultPath")),
                output_path: path_spec(cx, st, "OutputPath", loc),
            }
        }
        QueryLanguage::JsonAta => DataFlow::Ata {
            arguments: st.get("Arguments").map(|v| ata_template(cx, v, loc, "Arguments")),
            output: st.get("Output").map(|v| ata_template(cx, v, loc, "Output")),
        },
    }
}

/// `Assign` at `state_loc`; `prefix` names the rule or catcher it belongs to in
/// causes (`Catch[0]/`, `Choices[1]/`, or empty).
fn assign(cx: &mut Cx, v: &Value, state_loc: &str, ql: QueryLanguage, prefix: &str) -> Option<Assign> {
    let loc = format!("{state_loc}/{prefix}Assign");
    let loc = loc.as_str();
    let Some(m) = v.as_object() else {
        cx.schema(loc, "'Assign' must be an object");
        return None;
    };
    for k in m.keys() {
        let name = k.strip_suffix(".$").unwrap_or(k);
        let valid = !name.is_empty()
            && name.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_alphanumeric() || c == '_');
        if !valid {
            cx.schema(&format!("{loc}/{k}"), format!("Invalid variable name '{k}'"));
        } else if name == "states" {
            cx.schema(&format!("{loc}/{k}"), "The variable name 'states' is reserved");
        }
    }
    match ql {
        QueryLanguage::JsonPath => {
            let mut errors = Vec::new();
            let t = PathTemplate::compile(v, "", &mut errors);
            let base = loc.to_string();
            cx.take(&base, errors.into_iter().map(|(f, m)| (f.trim_start_matches('/').to_string(), m)).collect());
            Some(Assign::Path(t))
        }
        QueryLanguage::JsonAta => Some(Assign::Ata(
            m.iter()
                .map(|(k, x)| {
                    let field = format!("{prefix}Assign/{k}");
                    let mut errors = Vec::new();
                    let t = AtaTemplate::compile(x, &field, &mut errors);
                    cx.take(state_loc, errors);
                    (Arc::from(k.as_str()), t)
                })
                .collect(),
        )),
    }
}

fn error_equals(cx: &mut Cx, v: Option<&Value>, loc: &str) -> ErrorEquals {
    let Some(list) = v.and_then(Value::as_array).filter(|a| !a.is_empty()) else {
        cx.schema(loc, "'ErrorEquals' must be a non-empty array of error names");
        return ErrorEquals(Vec::new());
    };
    let mut names = Vec::new();
    for (i, e) in list.iter().enumerate() {
        match e.as_str() {
            Some(s) => {
                if s.starts_with("States.") && !STATES_ERRORS.contains(&s) {
                    cx.schema(
                        &format!("{loc}[{i}]"),
                        format!("Unknown error name '{s}': custom error names must not begin with 'States.'"),
                    );
                }
                names.push(s.to_string());
            }
            None => cx.schema(&format!("{loc}[{i}]"), "Error names must be strings"),
        }
    }
    if names.iter().any(|n| n == "States.ALL") && names.len() > 1 {
        cx.schema(loc, "States.ALL must appear alone in 'ErrorEquals'");
    }
    ErrorEquals(names)
}

fn retriers(cx: &mut Cx, v: &Value, loc: &str) -> Vec<Retrier> {
    let Some(list) = v.as_array() else {
        cx.schema(loc, "'Retry' must be an array");
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, r) in list.iter().enumerate() {
        let rl = format!("{loc}[{i}]");
        let Some(r) = r.as_object() else {
            cx.schema(&rl, "A retrier must be an object");
            continue;
        };
        for k in r.keys() {
            if !matches!(
                k.as_str(),
                "ErrorEquals"
                    | "IntervalSeconds"
                    | "MaxAttempts"
                    | "BackoffRate"
                    | "MaxDelaySeconds"
                    | "JitterStrategy"
                    | "Comment"
            ) {
                cx.schema(&format!("{rl}/{k}"), format!("The field '{k}' is not supported in a retrier"));
            }
        }
        let error_equals = error_equals(cx, r.get("ErrorEquals"), &format!("{rl}/ErrorEquals"));
        if error_equals.0.iter().any(|e| e == "States.ALL") && i + 1 != list.len() {
            cx.schema(&format!("{rl}/ErrorEquals"), "A retrier with States.ALL must be the last one");
        }
        let interval_seconds = match r.get("IntervalSeconds") {
            None => f64::from(DEFAULT_INTERVAL_SECONDS),
            Some(v) => match v.as_u64() {
                Some(n) if (1..=MAX_SECONDS).contains(&n) => n as f64,
                _ => {
                    cx.schema(
                        &format!("{rl}/IntervalSeconds"),
                        format!("'IntervalSeconds' must be an integer from 1 to {MAX_SECONDS}"),
                    );
                    f64::from(DEFAULT_INTERVAL_SECONDS)
                }
            },
        };
        let max_attempts = match r.get("MaxAttempts") {
            None => DEFAULT_MAX_ATTEMPTS,
            Some(v) => match v.as_u64() {
                Some(n) if n <= MAX_ATTEMPTS => n as u32,
                _ => {
                    cx.schema(
                        &format!("{rl}/MaxAttempts"),
                        format!("'MaxAttempts' must be an integer from 0 to {MAX_ATTEMPTS}"),
                    );
                    DEFAULT_MAX_ATTEMPTS
                }
            },
        };
        let backoff_rate = match r.get("BackoffRate") {
            None => DEFAULT_BACKOFF_RATE,
            Some(v) => match v.as_f64() {
                Some(x) if x >= 1.0 => x,
                _ => {
                    cx.schema(
                        &format!("{rl}/BackoffRate"),
                        "'BackoffRate' must be a number greater than or equal to 1.0",
                    );
                    DEFAULT_BACKOFF_RATE
                }
            },
        };
        let max_delay_seconds = match r.get("MaxDelaySeconds") {
            None => None,
            Some(v) => match v.as_u64() {
                Some(n) if (1..=MAX_DELAY_SECONDS).contains(&n) => Some(n as f64),
                _ => {
                    cx.schema(
                        &format!("{rl}/MaxDelaySeconds"),
                        format!("'MaxDelaySeconds' must be an integer from 1 to {MAX_DELAY_SECONDS}"),
                    );
                    None
                }
            },
        };
        let jitter = match r.get("JitterStrategy").map(|v| v.as_str()) {
            None | Some(Some("NONE")) => Jitter::None,
            Some(Some("FULL")) => Jitter::Full,
            Some(_) => {
                cx.schema(
                    &format!("{rl}/JitterStrategy"),
                    format!("Value should be one of the following: [{}]", JITTER_STRATEGIES.join(", ")),
                );
                Jitter::None
            }
        };
        out.push(Retrier { error_equals, interval_seconds, max_attempts, backoff_rate, max_delay_seconds, jitter });
    }
    out
}

fn catchers(cx: &mut Cx, v: &Value, loc: &str, ql: QueryLanguage, index: &HashMap<&str, usize>) -> Vec<Catcher> {
    let Some(list) = v.as_array() else {
        cx.schema(loc, "'Catch' must be an array");
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, c) in list.iter().enumerate() {
        let cl = format!("{loc}[{i}]");
        let Some(c) = c.as_object() else {
            cx.schema(&cl, "A catcher must be an object");
            continue;
        };
        for k in c.keys() {
            let ok = match k.as_str() {
                "ErrorEquals" | "Next" | "Comment" | "Assign" => true,
                "ResultPath" => ql == QueryLanguage::JsonPath,
                "Output" => ql == QueryLanguage::JsonAta,
                _ => false,
            };
            if !ok {
                cx.schema(&format!("{cl}/{k}"), format!("The field '{k}' is not supported in a catcher"));
            }
        }
        let error_equals = error_equals(cx, c.get("ErrorEquals"), &format!("{cl}/ErrorEquals"));
        if error_equals.0.iter().any(|e| e == "States.ALL") && i + 1 != list.len() {
            cx.schema(&format!("{cl}/ErrorEquals"), "A catcher with States.ALL must be the last one");
        }
        let next = match c.get("Next").and_then(Value::as_str) {
            Some(n) => match index.get(n) {
                Some(&i) => i,
                None => {
                    cx.err("MISSING_TRANSITION_TARGET", &format!("{cl}/Next"), format!("Missing 'Next' target: {n}"));
                    0
                }
            },
            None => {
                cx.schema(&format!("{cl}/Next"), "A catcher requires 'Next'");
                0
            }
        };
        let result_path = result_path(cx, c.get("ResultPath"), &format!("{cl}/ResultPath"));
        let output = match (ql, c.get("Output")) {
            (QueryLanguage::JsonAta, Some(v)) => {
                let state_loc = loc.strip_suffix("/Catch").unwrap_or(loc).to_string();
                Some(ata_template(cx, v, &state_loc, &format!("Catch[{i}]/Output")))
            }
            _ => None,
        };
        let state_loc = loc.strip_suffix("/Catch").unwrap_or(loc).to_string();
        let assign = c.get("Assign").and_then(|v| assign(cx, v, &state_loc, ql, &format!("Catch[{i}]/")));
        out.push(Catcher { error_equals, next, result_path, output, assign });
    }
    out
}

fn dynamic_u64(
    cx: &mut Cx,
    st: &Map<String, Value>,
    loc: &str,
    ql: QueryLanguage,
    key: &str,
    min: u64,
) -> Option<Dynamic<u64>> {
    let path_key = format!("{key}Path");
    if let Some(v) = st.get(key) {
        if st.contains_key(&path_key) {
            cx.schema(loc, format!("A state cannot have both '{key}' and '{path_key}'"));
        }
        if let (QueryLanguage::JsonAta, Some(s)) = (ql, v.as_str()) {
            return ata_expr(cx, s, loc, key).map(Dynamic::Ata);
        }
        return match v.as_u64() {
            Some(n) if n >= min && n <= MAX_SECONDS => Some(Dynamic::Lit(n)),
            _ => {
                cx.schema(&format!("{loc}/{key}"), format!("'{key}' must be an integer from {min} to {MAX_SECONDS}"));
                None
            }
        };
    }
    if let Some(v) = st.get(&path_key) {
        return match v.as_str().map(JsonPath::parse) {
            Some(Ok(p)) => Some(Dynamic::Path(p)),
            _ => {
                cx.err(
                    "INVALID_JSON_PATH",
                    &format!("{loc}/{path_key}"),
                    format!("'{path_key}' must be a valid JSONPath"),
                );
                None
            }
        };
    }
    None
}

fn task(cx: &mut Cx, st: &Map<String, Value>, loc: &str, ql: QueryLanguage) -> Task {
    let arn = match st.get("Resource").and_then(Value::as_str) {
        Some(a) => a.to_string(),
        None => {
            cx.schema(&format!("{loc}/Resource"), "A Task requires 'Resource' (a string)");
            String::new()
        }
    };
    let resource = match parse_resource(&arn) {
        Some(r) => r,
        None => {
            if !arn.is_empty() {
                cx.err("INVALID_RESOURCE", &format!("{loc}/Resource"), format!("Invalid resource: {arn}"));
            }
            Resource::Service { service: String::new(), action: String::new(), pattern: Pattern::Call }
        }
    };
    let timeout = dynamic_u64(cx, st, loc, ql, "TimeoutSeconds", 1);
    let heartbeat = dynamic_u64(cx, st, loc, ql, "HeartbeatSeconds", 1);
    if let (Some(Dynamic::Lit(t)), Some(Dynamic::Lit(h))) = (&timeout, &heartbeat)
        && h >= t
    {
        cx.schema(&format!("{loc}/HeartbeatSeconds"), "'HeartbeatSeconds' must be smaller than 'TimeoutSeconds'");
    }
    check_express_resource(cx, &resource, loc);
    let (event_resource_type, event_resource) = resource.event_names();
    Task { resource, resource_arn: arn, event_resource_type, event_resource, timeout, heartbeat }
}

// Express workflows "do not support Job-run (.sync) or Callback (.waitForTaskToken) service
// integration patterns" and do not support Step Functions activities (AWS docs, "Standard
// vs. Express Workflows"); `CreateStateMachine` refuses such a definition.
fn check_express_resource(cx: &mut Cx, resource: &Resource, loc: &str) {
    if !cx.express {
        return;
    }
    let at = format!("{loc}/Resource");
    match (resource, resource.pattern()) {
        (_, Pattern::Sync { .. }) => {
            cx.schema(&at, "Express state machine does not support '.sync' service integration")
        }
        (_, Pattern::Callback) => {
            cx.schema(&at, "Express state machine does not support '.waitForTaskToken' service integration")
        }
        (Resource::Activity { .. }, _) => cx.schema(&at, "Express state machine does not support Activities"),
        _ => {}
    }
}

/// Recognises a Task's `Resource`.
pub fn parse_resource(arn: &str) -> Option<Resource> {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    if parts.len() < 6 || parts[0] != "arn" {
        return None;
    }
    match (parts[2], parts.get(5).copied().unwrap_or("")) {
        ("lambda", "function") if parts.len() >= 7 => {
            let name = parts[6].split(':').next().unwrap_or("").to_string();
            Some(Resource::LambdaFunction { arn: arn.to_string(), name })
        }
        ("states", _) if parts[5] == "activity" => Some(Resource::Activity { arn: arn.to_string() }),
        ("states", service) if parts[3].is_empty() && parts[4].is_empty() => {
            let rest = parts.get(6).copied().unwrap_or("");
            let (action, pattern) = split_pattern(rest);
            match (service, action) {
                ("lambda", "invoke") => Some(Resource::LambdaInvoke { pattern }),
                ("states", "startExecution") => Some(Resource::StartExecution { pattern }),
                ("aws-sdk", _) => {
                    let (svc, act) = rest.split_once(':')?;
                    let (act, pattern) = split_pattern(act);
                    Some(Resource::Service { service: format!("aws-sdk:{svc}"), action: act.to_string(), pattern })
                }
                (svc, act) if !svc.is_empty() && !act.is_empty() => {
                    Some(Resource::Service { service: svc.to_string(), action: act.to_string(), pattern })
                }
                _ => None,
            }
        }
        _ => None,
    }
}

fn split_pattern(s: &str) -> (&str, Pattern) {
    if let Some(a) = s.strip_suffix(".sync:2") {
        (a, Pattern::Sync { v2: true })
    } else if let Some(a) = s.strip_suffix(".sync") {
        (a, Pattern::Sync { v2: false })
    } else if let Some(a) = s.strip_suffix(".waitForTaskToken") {
        (a, Pattern::Callback)
    } else {
        (s, Pattern::Call)
    }
}

fn choice(cx: &mut Cx, st: &Map<String, Value>, loc: &str, ql: QueryLanguage, index: &HashMap<&str, usize>) -> Choice {
    let mut branches = Vec::new();
    match st.get("Choices").and_then(Value::as_array) {
        Some(list) if !list.is_empty() => {
            for (i, c) in list.iter().enumerate() {
                let cl = format!("{loc}/Choices[{i}]");
                let Some(c) = c.as_object() else {
                    cx.schema(&cl, "A choice rule must be an object");
                    continue;
                };
                let next = match c.get("Next").and_then(Value::as_str) {
                    Some(n) => match index.get(n) {
                        Some(&j) => j,
                        None => {
                            cx.err(
                                "MISSING_TRANSITION_TARGET",
                                &format!("{cl}/Next"),
                                format!("Missing 'Next' target: {n}"),
                            );
                            0
                        }
                    },
                    None => {
                        cx.schema(&format!("{cl}/Next"), "A top-level choice rule requires 'Next'");
                        0
                    }
                };
                let rule = match ql {
                    QueryLanguage::JsonAta => match c.get("Condition") {
                        Some(Value::String(s)) if is_jsonata_template(s).is_some() => {
                            match ata_expr(cx, s, loc, &format!("Choices[{i}]/Condition")) {
                                Some(e) => Rule::Condition(e),
                                None => Rule::And(Vec::new()),
                            }
                        }
                        Some(Value::Bool(b)) => {
                            if *b {
                                Rule::And(Vec::new())
                            } else {
                                Rule::Or(Vec::new())
                            }
                        }
                        _ => {
                            cx.schema(
                                &format!("{cl}/Condition"),
                                "A JSONata choice rule requires 'Condition' (a {% %} expression)",
                            );
                            Rule::And(Vec::new())
                        }
                    },
                    QueryLanguage::JsonPath => rule(cx, c, &cl, true),
                };
                let assign = c.get("Assign").and_then(|v| assign(cx, v, loc, ql, &format!("Choices[{i}]/")));
                let output = match (ql, c.get("Output")) {
                    (QueryLanguage::JsonAta, Some(v)) => {
                        Some(ata_template(cx, v, loc, &format!("Choices[{i}]/Output")))
                    }
                    _ => None,
                };
                branches.push(ChoiceBranch { rule, next, assign, output });
            }
        }
        _ => cx.schema(&format!("{loc}/Choices"), "'Choices' must be a non-empty array"),
    }
    let default = match st.get("Default").and_then(Value::as_str) {
        Some(n) => match index.get(n) {
            Some(&j) => Some(j),
            None => {
                cx.err(
                    "MISSING_TRANSITION_TARGET",
                    &format!("{loc}/Default"),
                    format!("Missing 'Default' target: {n}"),
                );
                None
            }
        },
        None => None,
    };
    Choice { branches, default }
}

fn variable(cx: &mut Cx, c: &Map<String, Value>, loc: &str) -> JsonPath {
    match c.get("Variable").and_then(Value::as_str).map(JsonPath::parse) {
        Some(Ok(p)) => p,
        Some(Err(e)) => {
            cx.err("INVALID_JSON_PATH", &format!("{loc}/Variable"), format!("Invalid JSONPath in 'Variable': {e}"));
            JsonPath::parse("$").expect("`$` is a valid path")
        }
        None => {
            cx.schema(&format!("{loc}/Variable"), "A comparison requires 'Variable'");
            JsonPath::parse("$").expect("`$` is a valid path")
        }
    }
}

fn rule(cx: &mut Cx, c: &Map<String, Value>, loc: &str, top: bool) -> Rule {
    let sub = |cx: &mut Cx, v: &Value, l: &str| -> Rule {
        match v.as_object() {
            Some(o) => rule(cx, o, l, false),
            None => {
                cx.schema(l, "A choice rule must be an object");
                Rule::And(Vec::new())
            }
        }
    };
    if let Some(v) = c.get("And").or_else(|| c.get("Or")) {
        let is_and = c.contains_key("And");
        let key = if is_and { "And" } else { "Or" };
        let rules: Vec<Rule> = match v.as_array() {
            Some(a) if !a.is_empty() => {
                a.iter().enumerate().map(|(i, r)| sub(cx, r, &format!("{loc}/{key}[{i}]"))).collect()
            }
            _ => {
                cx.schema(&format!("{loc}/{key}"), format!("'{key}' must be a non-empty array of rules"));
                Vec::new()
            }
        };
        return if is_and { Rule::And(rules) } else { Rule::Or(rules) };
    }
    if let Some(v) = c.get("Not") {
        return Rule::Not(Box::new(sub(cx, v, &format!("{loc}/Not"))));
    }
    if !top && c.contains_key("Next") {
        cx.schema(&format!("{loc}/Next"), "Nested choice rules cannot have 'Next'");
    }
    let var = variable(cx, c, loc);
    const OPS: &[(&str, CmpKind, CmpOp)] = &[
        ("StringEquals", CmpKind::String, CmpOp::Eq),
        ("StringLessThan", CmpKind::String, CmpOp::Lt),
        ("StringGreaterThan", CmpKind::String, CmpOp::Gt),
        ("StringLessThanEquals", CmpKind::String, CmpOp::Le),
        ("StringGreaterThanEquals", CmpKind::String, CmpOp::Ge),
        ("NumericEquals", CmpKind::Numeric, CmpOp::Eq),
        ("NumericLessThan", CmpKind::Numeric, CmpOp::Lt),
        ("NumericGreaterThan", CmpKind::Numeric, CmpOp::Gt),
        ("NumericLessThanEquals", CmpKind::Numeric, CmpOp::Le),
        ("NumericGreaterThanEquals", CmpKind::Numeric, CmpOp::Ge),
        ("TimestampEquals", CmpKind::Timestamp, CmpOp::Eq),
        ("TimestampLessThan", CmpKind::Timestamp, CmpOp::Lt),
        ("TimestampGreaterThan", CmpKind::Timestamp, CmpOp::Gt),
        ("TimestampLessThanEquals", CmpKind::Timestamp, CmpOp::Le),
        ("TimestampGreaterThanEquals", CmpKind::Timestamp, CmpOp::Ge),
        ("BooleanEquals", CmpKind::Boolean, CmpOp::Eq),
    ];
    for (k, v) in c {
        if matches!(k.as_str(), "Variable" | "Next" | "Comment" | "Assign" | "Output") {
            continue;
        }
        let kl = format!("{loc}/{k}");
        if let Some(&(_, kind, op)) = OPS.iter().find(|(n, _, _)| *n == k) {
            let ok = match kind {
                CmpKind::String => v.is_string(),
                CmpKind::Numeric => v.is_number(),
                CmpKind::Boolean => v.is_boolean(),
                CmpKind::Timestamp => v.as_str().is_some_and(|s| time::parse_timestamp(s).is_some()),
            };
            if !ok {
                cx.schema(&kl, format!("'{k}' has a value of the wrong type"));
            }
            return Rule::Compare { variable: var, kind, op, operand: Operand::Lit(v.clone()) };
        }
        if let Some(base) = k.strip_suffix("Path")
            && let Some(&(_, kind, op)) = OPS.iter().find(|(n, _, _)| *n == base)
        {
            return match v.as_str().map(JsonPath::parse) {
                Some(Ok(p)) => Rule::Compare { variable: var, kind, op, operand: Operand::Path(p) },
                _ => {
                    cx.err("INVALID_JSON_PATH", &kl, format!("'{k}' must be a valid JSONPath"));
                    Rule::And(Vec::new())
                }
            };
        }
        let expect = || v.as_bool();
        let r = match k.as_str() {
            "StringMatches" => {
                v.as_str().map(|p| Rule::StringMatches { variable: var.clone(), pattern: p.to_string() })
            }
            "IsNull" => expect().map(|e| Rule::IsNull { variable: var.clone(), expect: e }),
            "IsPresent" => expect().map(|e| Rule::IsPresent { variable: var.clone(), expect: e }),
            "IsNumeric" => expect().map(|e| Rule::IsNumeric { variable: var.clone(), expect: e }),
            "IsString" => expect().map(|e| Rule::IsString { variable: var.clone(), expect: e }),
            "IsBoolean" => expect().map(|e| Rule::IsBoolean { variable: var.clone(), expect: e }),
            "IsTimestamp" => expect().map(|e| Rule::IsTimestamp { variable: var.clone(), expect: e }),
            _ => {
                cx.schema(&kl, format!("The field '{k}' is not a choice rule operator"));
                return Rule::And(Vec::new());
            }
        };
        return match r {
            Some(r) => r,
            None => {
                cx.schema(&kl, format!("'{k}' has a value of the wrong type"));
                Rule::And(Vec::new())
            }
        };
    }
    cx.schema(loc, "A choice rule requires a comparison operator");
    Rule::And(Vec::new())
}

fn wait(cx: &mut Cx, st: &Map<String, Value>, loc: &str, ql: QueryLanguage) -> Wait {
    let given: Vec<&str> =
        ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"].into_iter().filter(|k| st.contains_key(*k)).collect();
    if given.len() != 1 {
        cx.schema(loc, "A Wait state requires exactly one of 'Seconds', 'SecondsPath', 'Timestamp', 'TimestampPath'");
        return Wait::Seconds(0);
    }
    let key = given[0];
    let v = &st[key];
    let kl = format!("{loc}/{key}");
    match key {
        "Seconds" => {
            if let (QueryLanguage::JsonAta, Some(s)) = (ql, v.as_str())
                && let Some(e) = ata_expr(cx, s, loc, "Seconds")
            {
                return Wait::SecondsAta(e);
            }
            match v.as_u64() {
                Some(n) if n <= MAX_SECONDS => Wait::Seconds(n),
                _ => {
                    cx.schema(&kl, format!("'Seconds' must be an integer from 0 to {MAX_SECONDS}"));
                    Wait::Seconds(0)
                }
            }
        }
        "Timestamp" => {
            if let (QueryLanguage::JsonAta, Some(s)) = (ql, v.as_str())
                && let Some(e) = ata_expr(cx, s, loc, "Timestamp")
            {
                return Wait::TimestampAta(e);
            }
            match v.as_str().and_then(time::parse_timestamp) {
                Some(ms) => Wait::Timestamp(ms),
                None => {
                    cx.schema(&kl, "'Timestamp' must be an ISO-8601 extended offset date-time string");
                    Wait::Seconds(0)
                }
            }
        }
        _ => match v.as_str().map(JsonPath::parse) {
            Some(Ok(p)) => {
                if key == "SecondsPath" {
                    Wait::SecondsPath(p)
                } else {
                    Wait::TimestampPath(p)
                }
            }
            _ => {
                cx.err("INVALID_JSON_PATH", &kl, format!("'{key}' must be a valid JSONPath"));
                Wait::Seconds(0)
            }
        },
    }
}

fn fail_field(
    cx: &mut Cx,
    st: &Map<String, Value>,
    loc: &str,
    ql: QueryLanguage,
    key: &str,
    path_key: &str,
) -> FailField {
    match (st.get(key), st.get(path_key)) {
        (Some(_), Some(_)) => {
            cx.schema(loc, format!("A Fail state cannot have both '{key}' and '{path_key}'"));
            FailField::None
        }
        (Some(Value::String(s)), None) => {
            if ql == QueryLanguage::JsonAta && is_jsonata_template(s).is_some() {
                FailField::Ata(ata_template(cx, &Value::String(s.clone()), loc, key))
            } else {
                FailField::Lit(s.clone())
            }
        }
        (Some(_), None) => {
            cx.schema(&format!("{loc}/{key}"), format!("'{key}' must be a string"));
            FailField::None
        }
        (None, Some(Value::String(s))) => {
            if intrinsics::looks_like_call(s) {
                match intrinsics::parse(s) {
                    Ok(c) => FailField::Call(c),
                    Err(e) => {
                        cx.schema(&format!("{loc}/{path_key}"), format!("invalid intrinsic function: {e}"));
                        FailField::None
                    }
                }
            } else {
                match JsonPath::parse(s) {
                    Ok(p) => FailField::Path(p),
                    Err(e) => {
                        cx.err("INVALID_JSON_PATH", &format!("{loc}/{path_key}"), format!("invalid JSONPath: {e}"));
                        FailField::None
                    }
                }
            }
        }
        (None, Some(_)) => {
            cx.schema(&format!("{loc}/{path_key}"), format!("'{path_key}' must be a string"));
            FailField::None
        }
        (None, None) => FailField::None,
    }
}

fn map(cx: &mut Cx, st: &Map<String, Value>, loc: &str, ql: QueryLanguage) -> MapState {
    let proc_key = if st.contains_key("ItemProcessor") { "ItemProcessor" } else { "Iterator" };
    let mut distributed = false;
    let processor = match st.get(proc_key).and_then(Value::as_object) {
        Some(p) => {
            let config = p.get("ProcessorConfig");
            if let Some(mode) = config.and_then(|c| c.get("Mode")).and_then(Value::as_str) {
                distributed = mode == "DISTRIBUTED";
            }
            // The children of `ExecutionType: EXPRESS` are Express executions: their machine
            // is checked as one (no `.sync`, `.waitForTaskToken`, activities, nested
            // Distributed Map), as `CreateStateMachine` checks an Express machine.
            let express_children =
                distributed && config.and_then(|c| c.get("ExecutionType")).and_then(Value::as_str) == Some("EXPRESS");
            let outer = cx.express;
            cx.express |= express_children;
            let set = sub_machine(cx, p, &format!("{loc}/{proc_key}"));
            cx.express = outer;
            set
        }
        None => {
            cx.schema(loc, "A Map state requires 'ItemProcessor' (or the legacy 'Iterator')");
            StateSet { start: 0, states: Vec::new() }
        }
    };
    if st.contains_key("ItemProcessor") && st.contains_key("Iterator") {
        cx.schema(loc, "A Map state cannot have both 'ItemProcessor' and 'Iterator'");
    }
    if st.contains_key("ItemSelector") && st.contains_key("Parameters") {
        cx.schema(loc, "A Map state cannot have both 'ItemSelector' and 'Parameters'");
    }
    let item_selector = st.get("ItemSelector").or_else(|| st.get("Parameters")).map(|v| match ql {
        QueryLanguage::JsonPath => ItemSelector::Path(path_template(cx, v, loc, "ItemSelector")),
        QueryLanguage::JsonAta => ItemSelector::Ata(ata_template(cx, v, loc, "ItemSelector")),
    });
    let items = match (ql, st.get("Items")) {
        (QueryLanguage::JsonAta, Some(v)) => Some(ata_template(cx, v, loc, "Items")),
        _ => None,
    };
    let items_path = path_spec(cx, st, "ItemsPath", loc);
    let max_concurrency = dynamic_u64(cx, st, loc, ql, "MaxConcurrency", 0).unwrap_or(Dynamic::Lit(0));
    let tolerated_failure_count = dynamic_u64(cx, st, loc, ql, "ToleratedFailureCount", 0);
    let tolerated_failure_percentage =
        match (st.get("ToleratedFailurePercentage"), st.get("ToleratedFailurePercentagePath")) {
            (Some(v), _) => match (ql, v) {
                (QueryLanguage::JsonAta, Value::String(s)) => {
                    ata_expr(cx, s, loc, "ToleratedFailurePercentage").map(Dynamic::Ata)
                }
                (_, v) => match v.as_f64() {
                    Some(x) if (0.0..=100.0).contains(&x) => Some(Dynamic::Lit(x)),
                    _ => {
                        cx.schema(
                            &format!("{loc}/ToleratedFailurePercentage"),
                            "'ToleratedFailurePercentage' must be a number from 0 to 100",
                        );
                        None
                    }
                },
            },
            (None, Some(Value::String(s))) => JsonPath::parse(s).ok().map(Dynamic::Path),
            _ => None,
        };
    // An express execution cannot start the child executions of a Distributed Map.
    if distributed && cx.express {
        cx.schema(
            &format!("{loc}/{proc_key}/ProcessorConfig"),
            "Express state machine does not support Distributed Map (ProcessorConfig.Mode DISTRIBUTED)",
        );
    }
    let item_reader = st.get("ItemReader").and_then(|v| item_reader(cx, v, &format!("{loc}/ItemReader"), ql));
    let item_batcher = st.get("ItemBatcher").and_then(|v| item_batcher(cx, v, &format!("{loc}/ItemBatcher"), ql));
    let result_writer = st.get("ResultWriter").and_then(|v| result_writer(cx, v, &format!("{loc}/ResultWriter"), ql));
    let label = st.get("Label").and_then(|v| map_label(cx, v, &format!("{loc}/Label")));
    for (key, present) in [
        ("ItemReader", item_reader.is_some()),
        ("ItemBatcher", item_batcher.is_some()),
        ("ResultWriter", result_writer.is_some()),
        ("Label", label.is_some()),
    ] {
        // These fields "are only valid in a Distributed Map state" (AWS docs, "Using Map
        // state in Distributed mode", Distributed Map state fields).
        if present && !distributed {
            cx.schema(
                &format!("{loc}/{key}"),
                format!("The field '{key}' is only supported when ProcessorConfig.Mode is DISTRIBUTED"),
            );
        }
    }
    if item_reader.is_some() && st.contains_key("ItemsPath") {
        cx.schema(&format!("{loc}/ItemsPath"), "A Map state cannot have both 'ItemReader' and 'ItemsPath'");
    }
    if item_reader.is_some() && st.contains_key("Items") {
        cx.schema(&format!("{loc}/Items"), "A Map state cannot have both 'ItemReader' and 'Items'");
    }
    MapState {
        items_path,
        items,
        item_selector,
        processor,
        max_concurrency,
        tolerated_failure_count,
        tolerated_failure_percentage,
        distributed,
        item_reader,
        item_batcher,
        result_writer,
        label,
    }
}

/// Unknown fields of a Distributed Map sub-object.
fn only_fields(cx: &mut Cx, obj: &Map<String, Value>, loc: &str, what: &str, allowed: &[&str]) {
    for k in obj.keys() {
        if !allowed.contains(&k.as_str()) {
            cx.schema(&format!("{loc}/{k}"), format!("The field '{k}' is not supported in '{what}'"));
        }
    }
}

/// `Parameters` (JSONPath) or `Arguments` (JSONata) of an `ItemReader` or `ResultWriter`.
fn sub_template(cx: &mut Cx, obj: &Map<String, Value>, loc: &str, ql: QueryLanguage) -> Option<ItemSelector> {
    let (key, other) = match ql {
        QueryLanguage::JsonPath => ("Parameters", "Arguments"),
        QueryLanguage::JsonAta => ("Arguments", "Parameters"),
    };
    if obj.contains_key(other) {
        cx.schema(
            &format!("{loc}/{other}"),
            format!("The field '{other}' is not supported with QueryLanguage {}", ql_name(ql)),
        );
    }
    let v = obj.get(key)?;
    let whole_expression = ql == QueryLanguage::JsonAta && v.is_string();
    if !v.is_object() && !whole_expression {
        cx.schema(&format!("{loc}/{key}"), format!("'{key}' must be an object"));
        return None;
    }
    Some(match ql {
        QueryLanguage::JsonPath => ItemSelector::Path(path_template(cx, v, loc, key)),
        QueryLanguage::JsonAta => ItemSelector::Ata(ata_template(cx, v, loc, key)),
    })
}

fn ql_name(ql: QueryLanguage) -> &'static str {
    match ql {
        QueryLanguage::JsonPath => "JSONPath",
        QueryLanguage::JsonAta => "JSONata",
    }
}

/// A count given as `Key`, `KeyPath` (JSONPath) or a JSONata expression, from 0 to `max`.
fn sub_count(
    cx: &mut Cx,
    obj: &Map<String, Value>,
    loc: &str,
    ql: QueryLanguage,
    key: &str,
    max: u64,
) -> Option<Dynamic<u64>> {
    let path_key = format!("{key}Path");
    match (obj.get(key), obj.get(&path_key)) {
        (Some(_), Some(_)) => {
            cx.schema(loc, format!("'{key}' and '{path_key}' cannot both be given"));
            None
        }
        (Some(Value::String(s)), None) if ql == QueryLanguage::JsonAta => ata_expr(cx, s, loc, key).map(Dynamic::Ata),
        (Some(v), None) => match v.as_u64() {
            Some(n) if n <= max => Some(Dynamic::Lit(n)),
            _ => {
                cx.schema(&format!("{loc}/{key}"), format!("'{key}' must be an integer from 0 to {max}"));
                None
            }
        },
        (None, Some(v)) => {
            if ql == QueryLanguage::JsonAta {
                cx.schema(loc, format!("The QueryLanguage is set to 'JSONata', but field '{path_key}' is only supported for the 'JSONPath' QueryLanguage"));
                return None;
            }
            match v.as_str().map(JsonPath::parse) {
                Some(Ok(p)) => Some(Dynamic::Path(p)),
                _ => {
                    cx.err(
                        "INVALID_JSON_PATH",
                        &format!("{loc}/{path_key}"),
                        format!("'{path_key}' must be a valid JSONPath"),
                    );
                    None
                }
            }
        }
        (None, None) => None,
    }
}

/// The largest `MaxItems` of an `ItemReader` (AWS docs, "ItemReader (Map)", ReaderConfig).
const MAX_READER_ITEMS: u64 = 100_000_000;

fn item_reader(cx: &mut Cx, v: &Value, loc: &str, ql: QueryLanguage) -> Option<ItemReader> {
    let Some(obj) = v.as_object() else {
        cx.schema(loc, "'ItemReader' must be an object");
        return None;
    };
    only_fields(cx, obj, loc, "ItemReader", &["Resource", "ReaderConfig", "Parameters", "Arguments"]);
    let action = match obj.get("Resource").and_then(Value::as_str) {
        Some("arn:aws:states:::s3:getObject") => S3Read::GetObject,
        Some("arn:aws:states:::s3:listObjectsV2") => S3Read::ListObjectsV2,
        Some(other) => {
            cx.err(
                "INVALID_RESOURCE",
                &format!("{loc}/Resource"),
                format!("Invalid ItemReader resource: {other}; use arn:aws:states:::s3:getObject or arn:aws:states:::s3:listObjectsV2"),
            );
            return None;
        }
        None => {
            cx.schema(&format!("{loc}/Resource"), "An 'ItemReader' requires 'Resource' (a string)");
            return None;
        }
    };
    let parameters = sub_template(cx, obj, loc, ql);
    let empty = Map::new();
    let config = match obj.get("ReaderConfig") {
        Some(Value::Object(c)) => c,
        Some(_) => {
            cx.schema(&format!("{loc}/ReaderConfig"), "'ReaderConfig' must be an object");
            &empty
        }
        None => &empty,
    };
    let cl = format!("{loc}/ReaderConfig");
    only_fields(
        cx,
        config,
        &cl,
        "ReaderConfig",
        &["InputType", "CSVHeaderLocation", "CSVHeaders", "CSVDelimiter", "MaxItems", "MaxItemsPath"],
    );
    let input_type = match config.get("InputType").map(|t| t.as_str()) {
        None => None,
        Some(Some("JSON")) => Some(ReaderInput::Json),
        Some(Some("JSONL")) => Some(ReaderInput::JsonLines),
        Some(Some("CSV")) => Some(ReaderInput::Csv),
        Some(Some("MANIFEST")) => Some(ReaderInput::Manifest),
        Some(Some("PARQUET")) => Some(ReaderInput::Parquet),
        Some(_) => {
            cx.schema(
                &format!("{cl}/InputType"),
                "Value should be one of the following: [CSV, JSON, JSONL, MANIFEST, PARQUET]",
            );
            None
        }
    };
    // Without `InputType`, `getObject` reads a JSON array (the default this executor takes).
    if action == S3Read::ListObjectsV2 && input_type.is_some() {
        cx.schema(
            &format!("{cl}/InputType"),
            "'ReaderConfig.InputType' is not supported with arn:aws:states:::s3:listObjectsV2",
        );
    }
    let csv = input_type == Some(ReaderInput::Csv);
    let csv_headers = match (config.get("CSVHeaderLocation").map(|l| l.as_str()), config.get("CSVHeaders")) {
        (None, None) if csv => {
            cx.schema(&format!("{cl}/CSVHeaderLocation"), "A CSV 'ItemReader' requires 'CSVHeaderLocation'");
            CsvHeaders::FirstRow
        }
        (None, None) => CsvHeaders::FirstRow,
        (Some(Some("FIRST_ROW")), None) => CsvHeaders::FirstRow,
        (Some(Some("FIRST_ROW")), Some(_)) => {
            cx.schema(&format!("{cl}/CSVHeaders"), "'CSVHeaders' is only supported with CSVHeaderLocation GIVEN");
            CsvHeaders::FirstRow
        }
        (Some(Some("GIVEN")), Some(Value::Array(hs))) if !hs.is_empty() && hs.iter().all(Value::is_string) => {
            CsvHeaders::Given(hs.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        }
        (Some(Some("GIVEN")), _) => {
            cx.schema(
                &format!("{cl}/CSVHeaders"),
                "CSVHeaderLocation GIVEN requires 'CSVHeaders', a non-empty array of strings",
            );
            CsvHeaders::FirstRow
        }
        (Some(_), _) => {
            cx.schema(&format!("{cl}/CSVHeaderLocation"), "Value should be one of the following: [FIRST_ROW, GIVEN]");
            CsvHeaders::FirstRow
        }
        (None, Some(_)) => {
            cx.schema(&format!("{cl}/CSVHeaders"), "'CSVHeaders' requires CSVHeaderLocation GIVEN");
            CsvHeaders::FirstRow
        }
    };
    if !csv && config.contains_key("CSVHeaderLocation") {
        cx.schema(&format!("{cl}/CSVHeaderLocation"), "'CSVHeaderLocation' is only supported with InputType CSV");
    }
    let csv_delimiter = match config.get("CSVDelimiter").map(|d| d.as_str()) {
        None | Some(Some("COMMA")) => b',',
        Some(Some("PIPE")) => b'|',
        Some(Some("SEMICOLON")) => b';',
        Some(Some("SPACE")) => b' ',
        Some(Some("TAB")) => b'\t',
        Some(_) => {
            cx.schema(
                &format!("{cl}/CSVDelimiter"),
                "Value should be one of the following: [COMMA, PIPE, SEMICOLON, SPACE, TAB]",
            );
            b','
        }
    };
    let max_items = sub_count(cx, config, &cl, ql, "MaxItems", MAX_READER_ITEMS);
    Some(ItemReader { action, parameters, input_type, csv_headers, csv_delimiter, max_items })
}

fn item_batcher(cx: &mut Cx, v: &Value, loc: &str, ql: QueryLanguage) -> Option<ItemBatcher> {
    let Some(obj) = v.as_object() else {
        cx.schema(loc, "'ItemBatcher' must be an object");
        return None;
    };
    only_fields(
        cx,
        obj,
        loc,
        "ItemBatcher",
        &[
            "MaxItemsPerBatch",
            "MaxItemsPerBatchPath",
            "MaxInputBytesPerBatch",
            "MaxInputBytesPerBatchPath",
            "BatchInput",
        ],
    );
    let max_items = sub_count(cx, obj, loc, ql, "MaxItemsPerBatch", MAX_READER_ITEMS);
    // "MaxInputBytesPerBatch ... up to 256 KiB" (AWS docs, "ItemBatcher (Map)").
    let max_bytes = sub_count(cx, obj, loc, ql, "MaxInputBytesPerBatch", crate::limits::MAX_PAYLOAD_BYTES as u64);
    if max_items.is_none() && max_bytes.is_none() && !cx.problems.iter().any(|p| p.location.starts_with(loc)) {
        cx.schema(loc, "An 'ItemBatcher' requires 'MaxItemsPerBatch' or 'MaxInputBytesPerBatch' (or their Path forms)");
    }
    let batch_input = obj.get("BatchInput").map(|b| match ql {
        QueryLanguage::JsonPath => ItemSelector::Path(path_template(cx, b, loc, "BatchInput")),
        QueryLanguage::JsonAta => ItemSelector::Ata(ata_template(cx, b, loc, "BatchInput")),
    });
    Some(ItemBatcher { max_items, max_bytes, batch_input })
}

fn result_writer(cx: &mut Cx, v: &Value, loc: &str, ql: QueryLanguage) -> Option<ResultWriter> {
    let Some(obj) = v.as_object() else {
        cx.schema(loc, "'ResultWriter' must be an object");
        return None;
    };
    only_fields(cx, obj, loc, "ResultWriter", &["Resource", "Parameters", "Arguments", "WriterConfig"]);
    let parameters = match obj.get("Resource").map(|r| r.as_str()) {
        Some(Some("arn:aws:states:::s3:putObject")) => {
            let p = sub_template(cx, obj, loc, ql);
            if p.is_none() {
                cx.schema(loc, "A 'ResultWriter' with a 'Resource' requires its 'Bucket' and 'Prefix' in 'Parameters' (or 'Arguments')");
            }
            p
        }
        Some(other) => {
            cx.err(
                "INVALID_RESOURCE",
                &format!("{loc}/Resource"),
                format!("Invalid ResultWriter resource: {}; use arn:aws:states:::s3:putObject", other.unwrap_or("")),
            );
            None
        }
        None => None,
    };
    let empty = Map::new();
    let config = obj.get("WriterConfig").and_then(Value::as_object).unwrap_or(&empty);
    let wl = format!("{loc}/WriterConfig");
    only_fields(cx, config, &wl, "WriterConfig", &["Transformation", "OutputType"]);
    let transformation = match config.get("Transformation").map(|t| t.as_str()) {
        None => None,
        Some(Some("NONE")) => Some(Transformation::None),
        Some(Some("COMPACT")) => Some(Transformation::Compact),
        Some(Some("FLATTEN")) => Some(Transformation::Flatten),
        Some(_) => {
            cx.schema(
                &format!("{wl}/Transformation"),
                "Value should be one of the following: [NONE, COMPACT, FLATTEN]",
            );
            None
        }
    };
    let json_lines = match config.get("OutputType").map(|t| t.as_str()) {
        None | Some(Some("JSON")) => false,
        Some(Some("JSONL")) => true,
        Some(_) => {
            cx.schema(&format!("{wl}/OutputType"), "Value should be one of the following: [JSON, JSONL]");
            false
        }
    };
    // "The ResultWriter field cannot be empty" (AWS docs, "ResultWriter (Map)").
    if !obj.contains_key("Resource") && !obj.contains_key("WriterConfig") {
        cx.schema(loc, "A 'ResultWriter' requires 'Resource' and 'Parameters', or 'WriterConfig', or all three");
    }
    Some(ResultWriter { parameters, transformation, json_lines })
}

/// `Label`: up to 40 characters, none of them whitespace or the characters AWS refuses in
/// names (AWS docs, "Using Map state in Distributed mode", Label).
fn map_label(cx: &mut Cx, v: &Value, loc: &str) -> Option<String> {
    let Some(s) = v.as_str() else {
        cx.schema(loc, "'Label' must be a string");
        return None;
    };
    let bad = |c: char| c.is_whitespace() || c.is_control() || crate::limits::MAP_LABEL_FORBIDDEN.contains(c);
    if s.is_empty() || s.chars().count() > crate::limits::MAX_MAP_LABEL || s.chars().any(bad) {
        cx.schema(
            loc,
            "'Label' must be 1 to 40 characters, without whitespace or any of < > { } [ ] ? * \" # % \\ ^ | ~ ` $ & , ; : /",
        );
        return None;
    }
    Some(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(def: Value) -> Vec<String> {
        match check(&def) {
            Ok(_) => Vec::new(),
            Err(e) => e.problems.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn accepts_a_minimal_machine() {
        assert!(problems(json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}})).is_empty());
    }

    #[test]
    fn reports_every_problem() {
        let p = problems(json!({
            "StartAt": "A",
            "States": {
                "A": {"Type": "Pass", "Next": "Nope"},
                "B": {"Type": "Bogus"},
                "C": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
                      "Retry": [{"ErrorEquals": ["States.Bogus"]}]}
            }
        }));
        assert!(
            p.iter().any(|m| m.starts_with("MISSING_TRANSITION_TARGET: Missing 'Next' target: Nope at /States/A/Next")),
            "{p:?}"
        );
        assert!(p.iter().any(|m| m.contains("Unknown State Type: 'Bogus'")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("States.Bogus")), "{p:?}");
    }

    #[test]
    fn rejects_fields_of_the_other_language() {
        let p = problems(
            json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "InputPath": "$.x", "End": true}}}),
        );
        assert_eq!(
            p,
            [
                "SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONata', but field 'InputPath' is only supported for the 'JSONPath' QueryLanguage at /States/A"
            ]
        );
        let p = problems(json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Output": {}, "End": true}}}));
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn rejects_states_all_not_last_and_unreachable_states() {
        let p = problems(json!({"StartAt": "A", "States": {
            "A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "A"}, {"ErrorEquals": ["X"], "Next": "A"}]},
            "Lost": {"Type": "Succeed"}
        }}));
        assert!(p.iter().any(|m| m.contains("States.ALL must be the last")), "{p:?}");
        let p = problems(
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}, "Lost": {"Type": "Succeed"}}}),
        );
        assert_eq!(p, ["MISSING_TRANSITION_TARGET: State \"Lost\" is not reachable. at /States/Lost"]);
    }

    #[test]
    fn resources() {
        assert_eq!(
            parse_resource("arn:aws:states:::lambda:invoke"),
            Some(Resource::LambdaInvoke { pattern: Pattern::Call })
        );
        assert_eq!(
            parse_resource("arn:aws:states:::lambda:invoke.waitForTaskToken"),
            Some(Resource::LambdaInvoke { pattern: Pattern::Callback })
        );
        assert_eq!(
            parse_resource("arn:aws:lambda:us-east-1:111111111111:function:f:prod"),
            Some(Resource::LambdaFunction {
                arn: "arn:aws:lambda:us-east-1:111111111111:function:f:prod".into(),
                name: "f".into()
            })
        );
        assert_eq!(
            parse_resource("arn:aws:states:::states:startExecution.sync:2"),
            Some(Resource::StartExecution { pattern: Pattern::Sync { v2: true } })
        );
        assert_eq!(parse_resource("nope"), None);
    }
}
