//! Data flow: what a state reads and what it hands on. For JSONPath states
//! `InputPath`, `Parameters`, `ResultSelector`, `ResultPath`, `OutputPath` and
//! `Assign`; for JSONata states `Arguments`, `Output` and `Assign` over `$states`;
//! the context object (`$$`, `$states.context`) and the dynamic fields of Task and
//! Map (`TimeoutSecondsPath`, `MaxConcurrency`, `Items`, …).
//!
//! Every JSONPath selection and JSONata evaluation of the executor happens here;
//! the other rooms ask. A failed JSONata evaluation is recorded here too
//! (`EvaluationFailed`, `States.QueryEvaluationError`). This room never sleeps,
//! calls a task or chooses a transition.

use std::borrow::Cow;
use std::sync::Arc;

use serde_json::{Map, Value, json};
use stepcraft_jsonata::Env;

use super::{Assigned, Ctx, Failure, Scope, Thread, Visit};
use crate::ata::{
    AtaError, AtaExpr, AtaTemplate, EXECUTION_INPUT, Needs, STATES_CONTEXT, STATES_ERROR_OUTPUT, STATES_INPUT,
    STATES_RESULT,
};
use crate::history::Details;
use crate::intrinsics;
use crate::jsonpath::{self, JsonPath, Root};
use crate::model::*;
use crate::rt::lock;
use crate::template::{PathTemplate, Resolve, TemplateError};
use crate::time::format_timestamp;
use crate::value::{to_json_string, type_name};

/// What a Map state iterates over and how, evaluated before its first iteration.
pub(super) struct MapInputs {
    /// What `ItemSelector` reads as `$` / `$states.input`.
    pub(super) effective: Value,
    pub(super) items: Vec<Value>,
    pub(super) max_concurrency: u64,
    pub(super) tolerated_count: Option<u64>,
    pub(super) tolerated_percentage: Option<f64>,
}

struct Host<'c, 'x>(&'x Ctx<'c>);

impl stepcraft_jsonata::Host for Host<'_, '_> {
    fn now_millis(&self) -> i64 {
        self.0.clock.now_ms()
    }

    fn random(&self) -> f64 {
        lock(&self.0.rng).next_f64()
    }

    fn uuid(&self) -> String {
        lock(&self.0.rng).uuid()
    }
}

impl intrinsics::Host for Host<'_, '_> {
    fn random(&mut self) -> f64 {
        lock(&self.0.rng).next_f64()
    }

    fn uuid(&mut self) -> String {
        lock(&self.0.rng).uuid()
    }
}

/// Calls its argument on each expression of a field.
type ExprVisitor<'v, 't> = dyn Fn(&mut dyn FnMut(&'t AtaExpr)) + 'v;

/// `$states` of one JSONata evaluation, by reference: the parts are bound as
/// separate variables (see [`crate::ata::STATES_INPUT`]), so nothing is copied.
pub(super) struct StatesView<'x> {
    visit: &'x Visit<'x>,
    input: &'x Value,
    result: Option<&'x Value>,
    error_output: Option<&'x Value>,
    map_item: Option<(usize, &'x Value)>,
}

/// Resolves JSONPath sources for one evaluation.
pub(super) struct Sources<'x, 'c> {
    ctx: &'x Ctx<'c>,
    visit: &'x Visit<'x>,
    input: &'x Value,
    scope: &'x Scope<'x>,
    map_item: Option<(usize, &'x Value)>,
    context: Option<Value>,
    host: Host<'c, 'x>,
}

impl<'x, 'c> Sources<'x, 'c> {
    pub(super) fn new(ctx: &'x Ctx<'c>, visit: &'x Visit<'x>, input: &'x Value, scope: &'x Scope<'x>) -> Self {
        Sources { ctx, visit, input, scope, map_item: None, context: None, host: Host(ctx) }
    }

    pub(super) fn root(&mut self, root: &Root) -> Option<&Value> {
        match root {
            Root::Input => Some(self.input),
            Root::Context => {
                if self.context.is_none() {
                    self.context = Some(self.ctx.context_object(self.visit, self.map_item, true));
                }
                self.context.as_ref()
            }
            Root::Var(n) => self.scope.get(n),
        }
    }

    /// A path for `InputPath`/`OutputPath`/`ItemsPath`: Jayway's message on failure.
    fn select(&mut self, path: &JsonPath) -> Result<Value, String> {
        let src = path.as_str().to_string();
        let Some(root) = self.root(path.root()) else {
            return Err(format!("Invalid path '{src}' : The variable '{}' is not defined", var_name(path)));
        };
        path.select(root).map(Cow::into_owned).map_err(|e| format!("Invalid path '{src}' : {}", e.0))
    }
}

fn var_name(p: &JsonPath) -> &str {
    match p.root() {
        Root::Var(n) => n,
        _ => "",
    }
}

impl Resolve for Sources<'_, '_> {
    fn resolve(&mut self, path: &JsonPath, field: &str) -> Result<Cow<'_, Value>, TemplateError> {
        let input = self.input;
        let not_found = || {
            TemplateError(format!(
                "The JSONPath '{}' specified for the field '{field}' could not be found in the input '{}'",
                path.as_str(),
                to_json_string(input)
            ))
        };
        let root = match self.root(path.root()) {
            Some(r) => r,
            None => return Err(not_found()),
        };
        path.select(root).map_err(|_| not_found())
    }

    fn host(&mut self) -> &mut dyn intrinsics::Host {
        &mut self.host
    }
}

fn items_path_text(p: &PathSpec) -> &str {
    match p {
        PathSpec::Path(p) => p.as_str(),
        _ => "$",
    }
}

/// A value as AWS prints it after `==` in causes: strings bare, others as JSON.
pub(super) fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => to_json_string(other),
    }
}

impl<'c> Ctx<'c> {
    /// A JSONata failure: records `EvaluationFailed`, gives `States.QueryEvaluationError`.
    pub(super) fn query_error(
        &self,
        th: &mut Thread<'_>,
        v: &Visit<'_>,
        location: &str,
        cause_tail: String,
    ) -> Failure {
        let cause = format!("{}{cause_tail}", self.prefix(v));
        self.emit(
            th,
            "EvaluationFailed",
            Details::EvaluationFailed {
                error: "States.QueryEvaluationError".into(),
                cause: cause.clone(),
                location: location.to_string(),
                state: v.state.name.clone(),
            },
        );
        Failure::new("States.QueryEvaluationError", Some(cause))
    }

    pub(super) fn ata_failure(&self, th: &mut Thread<'_>, v: &Visit<'_>, e: AtaError) -> Failure {
        let location = match &e {
            AtaError::Undefined { field, .. }
            | AtaError::Failed { field, .. }
            | AtaError::Unsupported { field, .. } => field.clone(),
        };
        self.query_error(th, v, &location, e.cause())
    }

    /// The context object (`$$`, `$states.context`) at this visit; without
    /// `Execution.Input` unless `with_input`.
    fn context_object(&self, v: &Visit<'_>, map_item: Option<(usize, &Value)>, with_input: bool) -> Value {
        let mut state = Map::new();
        state.insert("EnteredTime".into(), Value::String(format_timestamp(v.entered_ms)));
        state.insert("Name".into(), Value::String(v.state.name.to_string()));
        if matches!(v.state.kind, Kind::Task(_) | Kind::Parallel(_) | Kind::Map(_)) {
            state.insert("RetryCount".into(), json!(v.retry_count));
        }
        let mut m = Map::new();
        let mut execution = json!({
            "Id": &*self.info.arn,
            "Input": if with_input { self.info.input.clone() } else { Value::Null },
            "StartTime": format_timestamp(self.info.start_ms),
            "Name": &*self.info.name,
            "RoleArn": &*self.info.role_arn,
            "RedriveCount": self.info.redrive_count,
        });
        // `RedriveTime` exists only once the execution was redriven.
        if let Some(t) = self.info.redrive_ms {
            execution["RedriveTime"] = Value::String(format_timestamp(t));
        }
        m.insert("Execution".into(), execution);
        m.insert("StateMachine".into(), json!({"Id": &*self.info.sm_arn, "Name": &*self.info.sm_name}));
        m.insert("State".into(), Value::Object(state));
        if let Some(t) = &v.token {
            m.insert("Task".into(), json!({"Token": t}));
        }
        if let Some((i, item)) = map_item {
            m.insert("Map".into(), json!({"Item": {"Index": i, "Value": item.clone()}}));
        }
        Value::Object(m)
    }

    /// What `$states` holds for a JSONata evaluation (borrowed; see [`StatesView`]).
    pub(super) fn states_value<'x>(
        &self,
        v: &'x Visit<'x>,
        input: &'x Value,
        extra: &[(&str, &'x Value)],
        map_item: Option<(usize, &'x Value)>,
    ) -> StatesView<'x> {
        let mut sv = StatesView { visit: v, input, result: None, error_output: None, map_item };
        for (k, x) in extra {
            match *k {
                "result" => sv.result = Some(x),
                "errorOutput" => sv.error_output = Some(x),
                _ => {}
            }
        }
        sv
    }

    /// Binds `$states` (by parts) and the workflow variables `needs`/`names` ask for,
    /// then evaluates.
    fn with_env<'t, R>(
        &self,
        sv: &StatesView<'_>,
        scope: &Scope<'_>,
        visit_exprs: &ExprVisitor<'_, 't>,
        eval: impl FnOnce(&Env<'_>) -> R,
    ) -> R {
        let mut needs = Needs::default();
        visit_exprs(&mut |e| needs |= e.needs());
        let context;
        let whole;
        let host = Host(self);
        let mut env = Env::step_functions().with_host(&host);
        env.set(STATES_INPUT, sv.input);
        env.set(EXECUTION_INPUT, &self.info.input);
        if let Some(r) = sv.result {
            env.set(STATES_RESULT, r);
        }
        if let Some(e) = sv.error_output {
            env.set(STATES_ERROR_OUTPUT, e);
        }
        if needs.context || needs.whole {
            context = self.context_object(sv.visit, sv.map_item, needs.context_input || needs.whole);
            env.set(STATES_CONTEXT, &context);
            if needs.whole {
                let mut m = Map::with_capacity(4);
                m.insert("input".into(), sv.input.clone());
                if let Some(r) = sv.result {
                    m.insert("result".into(), r.clone());
                }
                if let Some(e) = sv.error_output {
                    m.insert("errorOutput".into(), e.clone());
                }
                m.insert("context".into(), context.clone());
                whole = Value::Object(m);
                env.set("states", &whole);
            }
        }
        visit_exprs(&mut |e| {
            for n in e.names() {
                if let Some(val) = scope.get(n) {
                    env.set(n, val);
                }
            }
        });
        eval(&env)
    }

    /// Evaluates a JSONata template.
    pub(super) fn eval_ata(&self, t: &AtaTemplate, sv: &StatesView<'_>, scope: &Scope<'_>) -> Result<Value, AtaError> {
        self.with_env(sv, scope, &|f| t.for_each_expr(f), |env| t.eval(env))
    }

    /// Evaluates one JSONata expression.
    pub(super) fn eval_expr(&self, e: &AtaExpr, sv: &StatesView<'_>, scope: &Scope<'_>) -> Result<Value, AtaError> {
        self.with_env(sv, scope, &|f| f(e), |env| e.eval(env))
    }

    /// A state's input or output is at most 256 KiB of UTF-8 (AWS docs, "Step Functions
    /// service quotas", Task, activity and input/output quotas): `limits.rs`.
    pub(super) fn check_size(&self, v: &Visit<'_>, value: &Value) -> Result<(), Failure> {
        crate::limits::check_state_payload(&v.state.name, value).map_err(|(e, c)| Failure::new(e, Some(c)))
    }

    pub(super) fn apply_path(
        &self,
        v: &Visit<'_>,
        th: &Thread<'_>,
        spec: &PathSpec,
        value: Value,
    ) -> Result<Value, Failure> {
        match spec {
            PathSpec::Root => Ok(value),
            PathSpec::Null => Ok(Value::Object(Map::new())),
            PathSpec::Path(p) => {
                let mut s = Sources::new(self, v, &value, &th.scope);
                s.select(p).map_err(|m| self.runtime(v, &m))
            }
        }
    }

    /// Merges `result` into `raw` per `ResultPath`.
    pub(super) fn apply_result_path(
        &self,
        v: &Visit<'_>,
        spec: &ResultPathSpec,
        raw: Value,
        result: Value,
    ) -> Result<Value, Failure> {
        match spec {
            ResultPathSpec::Root => Ok(result),
            ResultPathSpec::Null => Ok(raw),
            ResultPathSpec::Path(p) => {
                let steps = p.reference_steps().unwrap_or_default();
                let mut target = raw;
                let original = if matches!(target, Value::Object(_)) { None } else { Some(target.clone()) };
                jsonpath::write_at(&mut target, &steps, result).map_err(|()| {
                    Failure::new(
                        "States.ResultPathMatchFailure",
                        Some(format!(
                            "{}Unable to apply ReferencePath {} to input {}",
                            self.prefix(v),
                            p.as_str(),
                            to_json_string(original.as_ref().unwrap_or(&target))
                        )),
                    )
                })?;
                Ok(target)
            }
        }
    }

    pub(super) fn path_template(
        &self,
        v: &Visit<'_>,
        th: &Thread<'_>,
        t: &PathTemplate,
        input: &Value,
    ) -> Result<Value, Failure> {
        let mut s = Sources::new(self, v, input, &th.scope);
        t.eval(&mut s).map_err(|e| self.runtime(v, &e.0))
    }

    /// Evaluates a JSONPath `Assign` with `$` = `value`.
    fn assign_path(
        &self,
        v: &Visit<'_>,
        th: &Thread<'_>,
        t: &PathTemplate,
        value: &Value,
    ) -> Result<Vec<(Arc<str>, Value)>, Failure> {
        match self.path_template(v, th, t, value)? {
            Value::Object(m) => Ok(m.into_iter().map(|(k, x)| (Arc::from(k.as_str()), x)).collect()),
            _ => Ok(Vec::new()),
        }
    }

    /// Evaluates a JSONata `Assign`.
    fn assign_ata(
        &self,
        v: &Visit<'_>,
        th: &mut Thread<'_>,
        fields: &[(Arc<str>, AtaTemplate)],
        states: &StatesView<'_>,
    ) -> Result<Vec<(Arc<str>, Value)>, Failure> {
        let mut out = Vec::with_capacity(fields.len());
        for (k, t) in fields {
            match self.eval_ata(t, states, &th.scope) {
                Ok(x) => out.push((k.clone(), x)),
                Err(e) => return Err(self.ata_failure(th, v, e)),
            }
        }
        Ok(out)
    }

    pub(super) fn assign(
        &self,
        v: &Visit<'_>,
        th: &mut Thread<'_>,
        a: Option<&Assign>,
        path_value: &Value,
        states: Option<&StatesView<'_>>,
    ) -> Result<Vec<(Arc<str>, Value)>, Failure> {
        match (a, states) {
            (None, _) => Ok(Vec::new()),
            (Some(Assign::Path(t)), _) => self.assign_path(v, th, t, path_value),
            (Some(Assign::Ata(fields)), Some(st)) => self.assign_ata(v, th, fields, st),
            (Some(Assign::Ata(fields)), None) => {
                let st = self.states_value(v, path_value, &[], None);
                self.assign_ata(v, th, fields, &st)
            }
        }
    }

    pub(super) fn resolve_for(
        &self,
        v: &Visit<'_>,
        th: &Thread<'_>,
        p: &JsonPath,
        input: &Value,
        field: &str,
    ) -> Result<Value, Failure> {
        let mut s = Sources::new(self, v, input, &th.scope);
        s.resolve(p, field).map(Cow::into_owned).map_err(|e| self.runtime(v, &e.0))
    }

    /// After a successful call: result checks, `Assign`, `ResultSelector`,
    /// `ResultPath`, `OutputPath` (JSONPath) or `Assign`, `Output` (JSONata).
    pub(super) fn finish_result(
        &self,
        v: &Visit<'_>,
        th: &mut Thread<'_>,
        input: &Value,
        result: Value,
    ) -> Result<(Value, Assigned), Failure> {
        let state = v.state;
        match &state.flow {
            DataFlow::Path { result_selector, result_path, output_path, .. } => {
                let assigned = self.assign(v, th, state.assign.as_ref(), &result, None)?;
                let selected = match result_selector {
                    Some(t) => self.path_template(v, th, t, &result)?,
                    None => result,
                };
                let merged = match result_path {
                    ResultPathSpec::Root => selected,
                    _ => self.apply_result_path(v, result_path, input.clone(), selected)?,
                };
                self.check_size(v, &merged)?;
                let out = self.apply_path(v, th, output_path, merged)?;
                Ok((out, assigned))
            }
            DataFlow::Ata { output, .. } => {
                let states = self.states_value(v, input, &[("result", &result)], None);
                let assigned = self.assign(v, th, state.assign.as_ref(), &result, Some(&states))?;
                let out = match output {
                    Some(t) => self.eval_ata(t, &states, &th.scope).map_err(|e| self.ata_failure(th, v, e))?,
                    None => result,
                };
                self.check_size(v, &out)?;
                Ok((out, assigned))
            }
        }
    }

    /// The effective input of a Task or Parallel: `InputPath` then `Parameters`
    /// (JSONPath) or `Arguments` (JSONata).
    /// The effective input is a payload too: at most 256 KiB.
    pub(super) fn arguments(&self, v: &Visit<'_>, th: &mut Thread<'_>, input: &Value) -> Result<Value, Failure> {
        let effective = self.effective_input(v, th, input)?;
        self.check_size(v, &effective)?;
        Ok(effective)
    }

    fn effective_input(&self, v: &Visit<'_>, th: &mut Thread<'_>, input: &Value) -> Result<Value, Failure> {
        match &v.state.flow {
            DataFlow::Path { input_path, parameters, .. } => match (input_path, parameters) {
                // Parameters read the input in place when there is no InputPath.
                (PathSpec::Root, Some(p)) => self.path_template(v, th, p, input),
                (_, Some(p)) => {
                    let effective = self.apply_path(v, th, input_path, input.clone())?;
                    self.path_template(v, th, p, &effective)
                }
                (_, None) => self.apply_path(v, th, input_path, input.clone()),
            },
            DataFlow::Ata { arguments, .. } => match arguments {
                Some(t) => {
                    let states = self.states_value(v, input, &[], None);
                    self.eval_ata(t, &states, &th.scope).map_err(|e| self.ata_failure(th, v, e))
                }
                None => Ok(input.clone()),
            },
        }
    }

    pub(super) fn dynamic_u64(
        &self,
        v: &Visit<'_>,
        th: &mut Thread<'_>,
        d: &Dynamic<u64>,
        input: &Value,
        field: &str,
    ) -> Result<u64, Failure> {
        match d {
            Dynamic::Lit(n) => Ok(*n),
            Dynamic::Path(p) => {
                let x = self.resolve_for(v, th, p, input, &format!("{field}Path"))?;
                let n = match &x {
                    Value::Number(n) => {
                        n.as_u64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0).map(|f| f as u64))
                    }
                    Value::String(s) => s.parse::<u64>().ok(),
                    _ => None,
                };
                n.ok_or_else(|| {
                    self.runtime(
                        v,
                        &format!(
                            "The {field}Path field refers to value \"{}\" which is not a valid integer: {}",
                            plain(&x),
                            p.as_str()
                        ),
                    )
                })
            }
            Dynamic::Ata(e) => {
                let states = self.states_value(v, input, &[], None);
                let x = self.eval_expr(e, &states, &th.scope).map_err(|err| self.ata_failure(th, v, err))?;
                match x.as_f64() {
                    Some(f) if f >= 0.0 && f.fract() == 0.0 => Ok(f as u64),
                    _ => Err(self.query_error(
                        th,
                        v,
                        field,
                        format!(
                            "The JSONata expression '{}' specified for the field '{field}' returned an unexpected result type. Expected 'integer', but was '{}' for value: {}",
                            e.text(),
                            type_name(&x),
                            to_json_string(&x)
                        ),
                    )),
                }
            }
        }
    }

    /// The input of iteration `idx`: `ItemSelector` (or legacy `Parameters`) with
    /// `$$.Map.Item`, else the item. A JSONata failure is returned as is, for the
    /// caller to record.
    pub(super) fn item_input(
        &self,
        v: &Visit<'_>,
        scope: &Scope<'_>,
        m: &MapState,
        idx: usize,
        item: Value,
        effective: &Value,
    ) -> Result<Result<Value, AtaError>, Failure> {
        match &m.item_selector {
            None => Ok(Ok(item)),
            Some(ItemSelector::Path(t)) => {
                let mut s = Sources::new(self, v, effective, scope);
                s.map_item = Some((idx, &item));
                Ok(Ok(t.eval(&mut s).map_err(|e| self.runtime(v, &e.0))?))
            }
            Some(ItemSelector::Ata(t)) => {
                let states = self.states_value(v, effective, &[], Some((idx, &item)));
                Ok(self.eval_ata(t, &states, scope))
            }
        }
    }

    /// The inputs of a Map state, in the order AWS evaluates them: the items
    /// (`ItemsPath` or `Items`), `MaxConcurrency`, then the tolerated failures.
    pub(super) fn map_inputs(
        &self,
        v: &Visit<'_>,
        th: &mut Thread<'_>,
        input: &Value,
        m: &MapState,
    ) -> Result<MapInputs, Failure> {
        let state = v.state;
        // The items, and what ItemSelector reads as `$` / `$states.input`.
        let (effective, items) = match &state.flow {
            DataFlow::Path { input_path, .. } => {
                let effective = self.apply_path(v, th, input_path, input.clone())?;
                let items = match &m.items_path {
                    PathSpec::Root => effective.clone(),
                    PathSpec::Null => json!({}),
                    PathSpec::Path(p) => {
                        let mut s = Sources::new(self, v, &effective, &th.scope);
                        s.select(p).map_err(|msg| self.runtime(v, &msg))?
                    }
                };
                let items = match items {
                    Value::Array(a) => a,
                    other => {
                        return Err(self.runtime(
                            v,
                            &format!("Invalid path '{}' : The Map state's ItemsPath must reference a JSON array, but was: {}", items_path_text(&m.items_path), to_json_string(&other)),
                        ));
                    }
                };
                (effective, items)
            }
            DataFlow::Ata { .. } => {
                let items = match &m.items {
                    Some(t) => {
                        let states = self.states_value(v, input, &[], None);
                        let x = self.eval_ata(t, &states, &th.scope).map_err(|e| self.ata_failure(th, v, e))?;
                        match x {
                            Value::Array(a) => a,
                            other => {
                                let (text, field) = match t {
                                    AtaTemplate::Expr(e) => (e.text().to_string(), e.field().to_string()),
                                    _ => (String::new(), "Items".to_string()),
                                };
                                return Err(self.query_error(
                                    th,
                                    v,
                                    &field,
                                    format!(
                                        "The JSONata expression '{text}' specified for the field '{field}' returned an unexpected result type. Expected 'array', but was '{}' for value: {}",
                                        type_name(&other),
                                        to_json_string(&other)
                                    ),
                                ));
                            }
                        }
                    }
                    None => match input {
                        Value::Array(a) => a.clone(),
                        other => {
                            return Err(self.query_error(
                                th,
                                v,
                                "Items",
                                format!("Map state input must be an array but was: {}", to_json_string(other)),
                            ));
                        }
                    },
                };
                (input.clone(), items)
            }
        };
        let max_concurrency = self.dynamic_u64(v, th, &m.max_concurrency, &effective, "MaxConcurrency")?;
        let tolerated_count = match &m.tolerated_failure_count {
            Some(d) => Some(self.dynamic_u64(v, th, d, &effective, "ToleratedFailureCount")?),
            None => None,
        };
        let tolerated_percentage = match &m.tolerated_failure_percentage {
            Some(Dynamic::Lit(x)) => Some(*x),
            Some(Dynamic::Path(p)) => {
                let x = self.resolve_for(v, th, p, &effective, "ToleratedFailurePercentagePath")?;
                x.as_f64()
            }
            Some(Dynamic::Ata(e)) => {
                let states = self.states_value(v, input, &[], None);
                let x = self.eval_expr(e, &states, &th.scope).map_err(|err| self.ata_failure(th, v, err))?;
                x.as_f64()
            }
            None => None,
        };
        Ok(MapInputs { effective, items, max_concurrency, tolerated_count, tolerated_percentage })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::with_visit;
    use crate::model::ResultPathSpec;

    fn pass(extra: serde_json::Value) -> serde_json::Value {
        let mut state = json!({"Type": "Pass", "End": true});
        state.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        json!({"StartAt": "P", "States": {"P": state}})
    }

    #[test]
    fn result_path_writes_into_objects_and_fails_across_others() {
        let def = pass(json!({"ResultPath": "$.a.b"}));
        with_visit(def, |ctx, v, _| {
            let crate::model::DataFlow::Path { result_path, .. } = &v.state.flow else { panic!("a JSONPath state") };
            assert!(matches!(result_path, ResultPathSpec::Path(_)));
            let merged = ctx.apply_result_path(v, result_path, json!({"x": 1}), json!(2)).unwrap();
            assert_eq!(merged, json!({"x": 1, "a": {"b": 2}}), "missing objects on the way are created");
            let f = ctx.apply_result_path(v, result_path, json!([1]), json!(2)).unwrap_err();
            assert_eq!(f.error, "States.ResultPathMatchFailure");
            assert!(f.cause.unwrap().ends_with("Unable to apply ReferencePath $.a.b to input [1]"));
        });
    }

    #[test]
    fn the_context_object_shows_what_the_state_kind_has() {
        with_visit(pass(json!({})), |ctx, v, _| {
            let c = ctx.context_object(v, None, false);
            assert_eq!(c["State"]["Name"], json!("P"));
            assert_eq!(c["State"].get("RetryCount"), None, "only Task, Parallel and Map count retries");
            assert_eq!(c["Execution"]["Input"], json!(null), "the input only when asked for");
            assert_eq!(
                ctx.context_object(v, Some((3, &json!("i"))), true)["Map"]["Item"],
                json!({"Index": 3, "Value": "i"})
            );
            assert_eq!(ctx.context_object(v, None, true)["Execution"]["Input"], json!({"in": true}));
        });
    }

    #[test]
    fn oversized_payloads_are_a_data_limit_failure() {
        with_visit(pass(json!({})), |ctx, v, _| {
            assert!(ctx.check_size(v, &json!("x".repeat(1000))).is_ok());
            let f = ctx.check_size(v, &json!("x".repeat(300 * 1024))).unwrap_err();
            assert_eq!(f.error, "States.DataLimitExceeded");
        });
    }
}
