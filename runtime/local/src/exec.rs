//! The interpreter: runs a checked [`Machine`] against an input, state by state,
//! recording history events and trace entries. Parallel branches and Map iterations
//! run as concurrent child futures; every wait (Wait states, retry back-offs, task
//! durations, timeouts) is a virtual-time sleep.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;

use serde_json::{Map, Value, json};
use stepcraft_jsonata::Env;

use crate::ata::{
    AtaError, AtaExpr, AtaTemplate, EXECUTION_INPUT, Needs, STATES_CONTEXT, STATES_ERROR_OUTPUT, STATES_INPUT,
    STATES_RESULT,
};
use crate::callback::{Callbacks, PendingCallback};
use crate::executor::Core;
use crate::history::{Details, Event, Payload, TraceEntry, TraceStatus};
use crate::intrinsics;
use crate::jsonpath::{self, JsonPath, Root};
use crate::model::*;
use crate::rt::{BoxFuture, Clock, Either, Group, lock, select};
use crate::task::{Callback, TaskFailure, TaskKind, TaskRequest, TaskResponse};
use crate::template::{PathTemplate, Resolve, TemplateError};
use crate::time::{format_timestamp, parse_timestamp};
use crate::value::{MAX_PAYLOAD_BYTES, exceeds, json_eq, to_json_string, type_name};

/// An error that ends a state: its name and cause.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure {
    pub(crate) error: String,
    pub(crate) cause: Option<String>,
}

impl Failure {
    fn new(error: impl Into<String>, cause: Option<String>) -> Failure {
        Failure { error: error.into(), cause }
    }

    /// The `{"Error", "Cause"}` object a catcher receives.
    fn error_output(&self) -> Value {
        json!({"Error": self.error, "Cause": self.cause.clone().unwrap_or_default()})
    }
}

/// Where control goes after a state.
enum Flow {
    Next(usize, Value),
    End(Value),
}

/// Facts about the execution that the context object exposes.
#[derive(Debug)]
pub(crate) struct ExecInfo {
    pub(crate) name: Arc<str>,
    pub(crate) arn: Arc<str>,
    pub(crate) sm_name: Arc<str>,
    pub(crate) sm_arn: Arc<str>,
    pub(crate) role_arn: Arc<str>,
    pub(crate) start_ms: i64,
    pub(crate) input: Value,
}

/// A small, seedable generator (SplitMix64) for jitter, `States.MathRandom`,
/// `$random()`, UUIDs and task tokens.
#[derive(Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(crate) fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&a.to_be_bytes());
        bytes[8..].copy_from_slice(&b.to_be_bytes());
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(36);
        for (i, b) in bytes.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                out.push('-');
            }
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
        out
    }
}

/// Variables of one scope: the top level, a Parallel branch or a Map iteration.
/// Inner scopes read outer variables and may not assign them.
#[derive(Debug, Default)]
pub(crate) struct Scope<'p> {
    vars: Vec<(Arc<str>, Value)>,
    parent: Option<&'p Scope<'p>>,
}

impl<'p> Scope<'p> {
    fn child(parent: &'p Scope<'p>) -> Scope<'p> {
        Scope { vars: Vec::new(), parent: Some(parent) }
    }

    fn get(&self, name: &str) -> Option<&Value> {
        let mut s = Some(self);
        while let Some(sc) = s {
            if let Some((_, v)) = sc.vars.iter().find(|(k, _)| &**k == name) {
                return Some(v);
            }
            s = sc.parent;
        }
        None
    }

    fn in_outer(&self, name: &str) -> bool {
        let mut s = self.parent;
        while let Some(sc) = s {
            if sc.vars.iter().any(|(k, _)| &**k == name) {
                return true;
            }
            s = sc.parent;
        }
        false
    }

    fn set(&mut self, name: Arc<str>, value: Value) {
        match self.vars.iter_mut().find(|(k, _)| *k == name) {
            Some(slot) => slot.1 = value,
            None => self.vars.push((name, value)),
        }
    }
}

/// A line of execution: the top level, a branch or an iteration.
pub(crate) struct Thread<'s> {
    scope: Scope<'s>,
    /// Id of this thread's last event (`previousEventId` of its next one).
    prev: u64,
    depth: usize,
    /// Label of the first state's trace entry (`branch 1`, `item 0`).
    label: Option<String>,
}

/// One visit of one state.
struct Visit<'v> {
    state: &'v State,
    entered_id: u64,
    entered_ms: i64,
    retry_count: u32,
    token: Option<String>,
    trace_idx: usize,
}

/// Execution-wide state shared by every thread of one execution.
pub(crate) struct Ctx<'c> {
    pub(crate) machine: &'c Machine,
    pub(crate) core: &'c Core,
    pub(crate) info: &'c ExecInfo,
    pub(crate) clock: Clock,
    pub(crate) history: Arc<Mutex<Vec<Event>>>,
    pub(crate) trace: Arc<Mutex<Vec<TraceEntry>>>,
    pub(crate) rng: Mutex<Rng>,
    pub(crate) inflight: Arc<AtomicUsize>,
    pub(crate) mock_counters: Mutex<HashMap<String, u32>>,
    pub(crate) invocations: Mutex<HashMap<Arc<str>, u32>>,
    pub(crate) next_id: AtomicU64,
    pub(crate) history_full: AtomicBool,
    pub(crate) child_depth: usize,
}

/// The end of an execution.
pub(crate) enum End {
    Succeeded(Value),
    Failed(Failure),
    TimedOut,
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

/// Decrements the in-flight counter when a handler call ends or is dropped.
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn start(c: &Arc<AtomicUsize>) -> InFlight {
        c.fetch_add(1, Ordering::AcqRel);
        InFlight(c.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn entered_type(k: &Kind) -> &'static str {
    match k {
        Kind::Pass { .. } => "PassStateEntered",
        Kind::Task(_) => "TaskStateEntered",
        Kind::Choice(_) => "ChoiceStateEntered",
        Kind::Wait(_) => "WaitStateEntered",
        Kind::Succeed => "SucceedStateEntered",
        Kind::Fail { .. } => "FailStateEntered",
        Kind::Parallel(_) => "ParallelStateEntered",
        Kind::Map(_) => "MapStateEntered",
    }
}

fn exited_type(k: &Kind) -> &'static str {
    match k {
        Kind::Pass { .. } => "PassStateExited",
        Kind::Task(_) => "TaskStateExited",
        Kind::Choice(_) => "ChoiceStateExited",
        Kind::Wait(_) => "WaitStateExited",
        Kind::Succeed => "SucceedStateExited",
        Kind::Fail { .. } => "FailStateExited",
        Kind::Parallel(_) => "ParallelStateExited",
        Kind::Map(_) => "MapStateExited",
    }
}

/// Calls its argument on each expression of a field.
type ExprVisitor<'v, 't> = dyn Fn(&mut dyn FnMut(&'t AtaExpr)) + 'v;

/// `$states` of one JSONata evaluation, by reference: the parts are bound as
/// separate variables (see [`crate::ata::STATES_INPUT`]), so nothing is copied.
struct StatesView<'x> {
    visit: &'x Visit<'x>,
    input: &'x Value,
    result: Option<&'x Value>,
    error_output: Option<&'x Value>,
    map_item: Option<(usize, &'x Value)>,
}

/// Resolves JSONPath sources for one evaluation.
struct Sources<'x, 'c> {
    ctx: &'x Ctx<'c>,
    visit: &'x Visit<'x>,
    input: &'x Value,
    scope: &'x Scope<'x>,
    map_item: Option<(usize, &'x Value)>,
    context: Option<Value>,
    host: Host<'c, 'x>,
}

impl<'x, 'c> Sources<'x, 'c> {
    fn new(ctx: &'x Ctx<'c>, visit: &'x Visit<'x>, input: &'x Value, scope: &'x Scope<'x>) -> Self {
        Sources { ctx, visit, input, scope, map_item: None, context: None, host: Host(ctx) }
    }

    fn root(&mut self, root: &Root) -> Option<&Value> {
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

impl<'c> Ctx<'c> {
    fn emit(&self, th: &mut Thread<'_>, event_type: &'static str, details: Details) -> u64 {
        let id = self.emit_with_prev(th.prev, event_type, details);
        th.prev = id;
        id
    }

    fn emit_with_prev(&self, prev: u64, event_type: &'static str, details: Details) -> u64 {
        // AWS keeps at most 25,000 events: the last one may end the execution; any
        // other event past the cap fails it instead (see `history_full`).
        let terminal = event_type.starts_with("Execution") && event_type != "ExecutionStarted";
        if !terminal && self.next_id.load(Ordering::Relaxed) >= self.core.options.max_history_events {
            self.history_full.store(true, Ordering::Relaxed);
            return prev;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let ev = Event { id, previous_event_id: prev, timestamp_ms: self.clock.now_ms(), event_type, details };
        lock(&self.history).push(ev);
        id
    }

    /// The failure of an execution whose history is full.
    fn check_history(&self) -> Result<(), Failure> {
        if self.history_full.load(Ordering::Relaxed) {
            return Err(Failure::new(
                "States.Runtime",
                Some(format!(
                    "The execution reached the maximum number of history events ({}).",
                    self.core.options.max_history_events
                )),
            ));
        }
        Ok(())
    }

    /// A payload for an event, or `null` when payloads are not recorded.
    fn payload(&self, v: &Value) -> Payload {
        Payload::of(v, self.core.options.record_payloads)
    }

    fn prefix(&self, v: &Visit<'_>) -> String {
        format!(
            "An error occurred while executing the state '{}' (entered at the event id #{}). ",
            v.state.name, v.entered_id
        )
    }

    fn runtime(&self, v: &Visit<'_>, msg: &str) -> Failure {
        Failure::new("States.Runtime", Some(format!("{}{msg}", self.prefix(v))))
    }

    /// A JSONata failure: records `EvaluationFailed`, gives `States.QueryEvaluationError`.
    fn query_error(&self, th: &mut Thread<'_>, v: &Visit<'_>, location: &str, cause_tail: String) -> Failure {
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

    fn ata_failure(&self, th: &mut Thread<'_>, v: &Visit<'_>, e: AtaError) -> Failure {
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
        m.insert(
            "Execution".into(),
            json!({
                "Id": &*self.info.arn,
                "Input": if with_input { self.info.input.clone() } else { Value::Null },
                "StartTime": format_timestamp(self.info.start_ms),
                "Name": &*self.info.name,
                "RoleArn": &*self.info.role_arn,
                "RedriveCount": 0,
            }),
        );
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
    fn states_value<'x>(
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
    fn eval_ata(&self, t: &AtaTemplate, sv: &StatesView<'_>, scope: &Scope<'_>) -> Result<Value, AtaError> {
        self.with_env(sv, scope, &|f| t.for_each_expr(f), |env| t.eval(env))
    }

    /// Evaluates one JSONata expression.
    fn eval_expr(&self, e: &AtaExpr, sv: &StatesView<'_>, scope: &Scope<'_>) -> Result<Value, AtaError> {
        self.with_env(sv, scope, &|f| f(e), |env| e.eval(env))
    }

    fn trace_start(&self, th: &mut Thread<'_>, state: &State, entered_event_id: u64) -> usize {
        let mut t = lock(&self.trace);
        t.push(TraceEntry {
            depth: th.depth,
            label: th.label.take(),
            state: state.name.clone(),
            state_type: state.kind.type_name(),
            status: TraceStatus::Running,
            start_ms: self.clock.now_ms(),
            end_ms: self.clock.now_ms(),
            retries: 0,
            error: None,
            entered_event_id,
        });
        t.len() - 1
    }

    fn trace_end(&self, v: &Visit<'_>, status: TraceStatus, error: Option<String>) {
        let mut t = lock(&self.trace);
        if let Some(e) = t.get_mut(v.trace_idx) {
            e.status = status;
            e.end_ms = self.clock.now_ms();
            e.retries = v.retry_count;
            e.error = error;
        }
    }

    /// Runs the whole execution.
    pub(crate) async fn run_execution(&self) -> End {
        let input = self.info.input.clone();
        self.emit_with_prev(
            0,
            "ExecutionStarted",
            Details::ExecutionStarted { input: self.payload(&input), role_arn: self.info.role_arn.clone() },
        );
        // The first state's `*StateEntered` points back at 0, as on AWS.
        let mut th = Thread { scope: Scope::default(), prev: 0, depth: 0, label: None };
        let timeout_s = self.machine.timeout_seconds.unwrap_or(self.core.options.max_execution_seconds);
        let deadline = self.info.start_ms.saturating_add((timeout_s as i64).saturating_mul(1000));
        let run = self.run_set(&self.machine.root, input, &mut th);
        let outcome = select(run, self.clock.sleep_until(deadline)).await;
        let prev = lock(&self.history).last().map(|e| e.id).unwrap_or(0);
        match outcome {
            Either::Left(Ok(output)) => {
                self.emit_with_prev(
                    prev,
                    "ExecutionSucceeded",
                    Details::ExecutionSucceeded { output: self.payload(&output) },
                );
                End::Succeeded(output)
            }
            Either::Left(Err(f)) => {
                self.emit_with_prev(
                    prev,
                    "ExecutionFailed",
                    Details::ExecutionFailed { error: Some(f.error.clone()), cause: f.cause.clone() },
                );
                End::Failed(f)
            }
            Either::Right(()) => {
                let mut t = lock(&self.trace);
                for e in t.iter_mut().filter(|e| e.status == TraceStatus::Running) {
                    e.status = TraceStatus::Aborted;
                    e.end_ms = self.clock.now_ms();
                }
                drop(t);
                self.emit_with_prev(
                    0,
                    "ExecutionTimedOut",
                    Details::ExecutionTimedOut { error: Some("States.Timeout".into()), cause: None },
                );
                End::TimedOut
            }
        }
    }

    fn run_set<'a, 's: 'a>(
        &'a self,
        set: &'a StateSet,
        input: Value,
        th: &'a mut Thread<'s>,
    ) -> BoxFuture<'a, Result<Value, Failure>>
    where
        'c: 'a,
    {
        Box::pin(async move {
            let mut idx = set.start;
            let mut input = input;
            loop {
                self.check_history()?;
                let state = &set.states[idx];
                let flow = self.run_state(state, input, th).await;
                self.check_history()?;
                match flow? {
                    Flow::Next(n, out) => {
                        idx = n;
                        input = out;
                    }
                    Flow::End(out) => return Ok(out),
                }
            }
        })
    }

    async fn run_state(&self, state: &State, input: Value, th: &mut Thread<'_>) -> Result<Flow, Failure> {
        let entered_id = self.emit(
            th,
            entered_type(&state.kind),
            Details::StateEntered { name: state.name.clone(), input: self.payload(&input) },
        );
        let trace_idx = self.trace_start(th, state, entered_id);
        let mut v =
            Visit { state, entered_id, entered_ms: self.clock.now_ms(), retry_count: 0, token: None, trace_idx };
        let r = match &state.kind {
            Kind::Pass { result } => self.pass(&v, th, input, result.as_ref()),
            Kind::Choice(c) => self.choice(&v, th, input, c),
            Kind::Wait(w) => self.wait(&v, th, input, w).await,
            Kind::Succeed => self.succeed(&v, th, input),
            Kind::Fail { error, cause } => self.fail(&v, th, input, error, cause),
            // Boxed: a parked execution then holds only the future of its current
            // state kind, not room for the largest one.
            Kind::Task(_) | Kind::Parallel(_) | Kind::Map(_) => {
                let fut: BoxFuture<'_, Result<Flow, Failure>> = Box::pin(self.execution_state(&mut v, th, input));
                fut.await
            }
        };
        match &r {
            Ok(_) => {}
            Err(f) => self.trace_end(&v, TraceStatus::Failed, Some(f.error.clone())),
        }
        r
    }

    /// Ends a state: size check, `OutputPath`/`Output` already applied by the caller,
    /// variables assigned, `*StateExited` recorded, transition chosen.
    fn exit(
        &self,
        v: &Visit<'_>,
        th: &mut Thread<'_>,
        output: Value,
        assigned: Vec<(Arc<str>, Value)>,
        next: Transition,
        status: TraceStatus,
    ) -> Result<Flow, Failure> {
        let mut assigned_map = None;
        if !assigned.is_empty() {
            let mut m = Vec::with_capacity(assigned.len());
            for (k, val) in assigned {
                if th.scope.in_outer(&k) {
                    return Err(self.runtime(
                        v,
                        &format!("The variable '{k}' is defined in an outer scope: a Parallel branch or Map iteration cannot assign it."),
                    ));
                }
                if self.core.options.record_payloads {
                    m.push((k.clone(), self.payload(&val)));
                }
                th.scope.set(k, val);
            }
            if self.core.options.record_payloads {
                assigned_map = Some(m);
            }
        }
        self.emit(
            th,
            exited_type(&v.state.kind),
            Details::StateExited { name: v.state.name.clone(), output: self.payload(&output), assigned: assigned_map },
        );
        self.trace_end(v, status, None);
        match next {
            Transition::Next(n) => Ok(Flow::Next(n, output)),
            _ => Ok(Flow::End(output)),
        }
    }

    fn check_size(&self, v: &Visit<'_>, value: &Value) -> Result<(), Failure> {
        if exceeds(value, MAX_PAYLOAD_BYTES) {
            return Err(Failure::new(
                "States.DataLimitExceeded",
                Some(format!(
                    "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.",
                    v.state.name
                )),
            ));
        }
        Ok(())
    }

    fn apply_path(&self, v: &Visit<'_>, th: &Thread<'_>, spec: &PathSpec, value: Value) -> Result<Value, Failure> {
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
    fn apply_result_path(
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

    fn path_template(&self, v: &Visit<'_>, th: &Thread<'_>, t: &PathTemplate, input: &Value) -> Result<Value, Failure> {
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

    fn assign(
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

    fn pass(&self, v: &Visit<'_>, th: &mut Thread<'_>, input: Value, result: Option<&Value>) -> Result<Flow, Failure> {
        let state = v.state;
        match &state.flow {
            DataFlow::Path { input_path, parameters, result_path, output_path, .. } => {
                // The raw input is copied only when ResultPath merges into it.
                let raw = match result_path {
                    ResultPathSpec::Root => None,
                    _ => Some(input.clone()),
                };
                let effective = self.apply_path(v, th, input_path, input)?;
                let res = match (parameters, result) {
                    (Some(p), _) => self.path_template(v, th, p, &effective)?,
                    (None, Some(r)) => r.clone(),
                    (None, None) => effective,
                };
                let assigned = self.assign(v, th, state.assign.as_ref(), &res, None)?;
                let merged = match raw {
                    None => res,
                    Some(raw) => self.apply_result_path(v, result_path, raw, res)?,
                };
                self.check_size(v, &merged)?;
                let out = self.apply_path(v, th, output_path, merged)?;
                self.exit(v, th, out, assigned, state.transition, TraceStatus::Succeeded)
            }
            DataFlow::Ata { output, .. } => {
                let states = self.states_value(v, &input, &[], None);
                let assigned = self.assign(v, th, state.assign.as_ref(), &input, Some(&states))?;
                let out = match output {
                    Some(t) => self.eval_ata(t, &states, &th.scope).map_err(|e| self.ata_failure(th, v, e))?,
                    None => input,
                };
                self.check_size(v, &out)?;
                self.exit(v, th, out, assigned, state.transition, TraceStatus::Succeeded)
            }
        }
    }

    fn succeed(&self, v: &Visit<'_>, th: &mut Thread<'_>, input: Value) -> Result<Flow, Failure> {
        let out = match &v.state.flow {
            DataFlow::Path { input_path, output_path, .. } => {
                let effective = self.apply_path(v, th, input_path, input)?;
                self.apply_path(v, th, output_path, effective)?
            }
            DataFlow::Ata { output: Some(t), .. } => {
                let states = self.states_value(v, &input, &[], None);
                self.eval_ata(t, &states, &th.scope).map_err(|e| self.ata_failure(th, v, e))?
            }
            DataFlow::Ata { output: None, .. } => input,
        };
        self.exit(v, th, out, Vec::new(), Transition::End, TraceStatus::Succeeded)
    }

    fn fail_field(
        &self,
        v: &Visit<'_>,
        th: &mut Thread<'_>,
        input: &Value,
        f: &FailField,
        name: &str,
    ) -> Result<Option<String>, Failure> {
        let as_text = |x: Value| match x {
            Value::String(s) => s,
            other => to_json_string(&other),
        };
        Ok(match f {
            FailField::None => None,
            FailField::Lit(s) => Some(s.clone()),
            FailField::Path(p) => {
                let mut s = Sources::new(self, v, input, &th.scope);
                let x = s.resolve(p, &format!("{name}Path")).map_err(|e| self.runtime(v, &e.0))?.into_owned();
                Some(as_text(x))
            }
            FailField::Call(c) => {
                let mut s = Sources::new(self, v, input, &th.scope);
                let x =
                    crate::template::eval_call(c, &format!("{name}Path"), &mut s).map_err(|e| self.runtime(v, &e.0))?;
                Some(as_text(x))
            }
            FailField::Ata(t) => {
                let states = self.states_value(v, input, &[], None);
                let x = self.eval_ata(t, &states, &th.scope).map_err(|e| self.ata_failure(th, v, e))?;
                Some(as_text(x))
            }
        })
    }

    fn fail(
        &self,
        v: &Visit<'_>,
        th: &mut Thread<'_>,
        input: Value,
        error: &FailField,
        cause: &FailField,
    ) -> Result<Flow, Failure> {
        let error = self.fail_field(v, th, &input, error, "Error")?;
        let cause = self.fail_field(v, th, &input, cause, "Cause")?;
        // A Fail state without `Error` reports no error name (an empty name here).
        Err(Failure { error: error.unwrap_or_default(), cause })
    }

    fn choice(&self, v: &Visit<'_>, th: &mut Thread<'_>, input: Value, c: &Choice) -> Result<Flow, Failure> {
        let state = v.state;
        match &state.flow {
            DataFlow::Path { input_path, output_path, .. } => {
                let effective = self.apply_path(v, th, input_path, input)?;
                let mut chosen = None;
                for b in &c.branches {
                    if self.rule(v, th, &b.rule, &effective)? {
                        chosen = Some(b);
                        break;
                    }
                }
                let (next, assign) = match chosen {
                    Some(b) => (b.next, b.assign.as_ref().or(state.assign.as_ref())),
                    None => match c.default {
                        Some(d) => (d, state.assign.as_ref()),
                        None => return Err(self.no_choice(v)),
                    },
                };
                let assigned = self.assign(v, th, assign, &effective, None)?;
                let out = self.apply_path(v, th, output_path, effective)?;
                self.exit(v, th, out, assigned, Transition::Next(next), TraceStatus::Succeeded)
            }
            DataFlow::Ata { output, .. } => {
                let states = self.states_value(v, &input, &[], None);
                let mut chosen = None;
                for b in &c.branches {
                    let Rule::Condition(e) = &b.rule else {
                        if self.rule(v, th, &b.rule, &input)? {
                            chosen = Some(b);
                            break;
                        }
                        continue;
                    };
                    match self.eval_expr(e, &states, &th.scope) {
                        Ok(Value::Bool(true)) => {
                            chosen = Some(b);
                            break;
                        }
                        Ok(Value::Bool(false)) => {}
                        Ok(other) => {
                            return Err(self.query_error(
                                th,
                                v,
                                e.field(),
                                format!(
                                    "The JSONata expression '{}' specified for the field '{}' returned an unexpected result type. Expected 'boolean', but was '{}' for value: {}",
                                    e.text(),
                                    e.field(),
                                    type_name(&other),
                                    to_json_string(&other)
                                ),
                            ));
                        }
                        Err(err) => return Err(self.ata_failure(th, v, err)),
                    }
                }
                let (next, assign, out_t) = match chosen {
                    Some(b) => {
                        (b.next, b.assign.as_ref().or(state.assign.as_ref()), b.output.as_ref().or(output.as_ref()))
                    }
                    None => match c.default {
                        Some(d) => (d, state.assign.as_ref(), output.as_ref()),
                        None => return Err(self.no_choice(v)),
                    },
                };
                let assigned = self.assign(v, th, assign, &input, Some(&states))?;
                let out = match out_t {
                    Some(t) => self.eval_ata(t, &states, &th.scope).map_err(|e| self.ata_failure(th, v, e))?,
                    None => input,
                };
                self.exit(v, th, out, assigned, Transition::Next(next), TraceStatus::Succeeded)
            }
        }
    }

    fn no_choice(&self, v: &Visit<'_>) -> Failure {
        Failure::new("States.NoChoiceMatched", Some(format!("{}No Matches!", self.prefix(v))))
    }

    /// Evaluates a JSONPath choice rule against `input`.
    fn rule(&self, v: &Visit<'_>, th: &Thread<'_>, r: &Rule, input: &Value) -> Result<bool, Failure> {
        let mut src = Sources::new(self, v, input, &th.scope);
        self.rule_in(v, r, &mut src)
    }

    fn rule_in(&self, v: &Visit<'_>, r: &Rule, src: &mut Sources<'_, '_>) -> Result<bool, Failure> {
        fn var(src: &mut Sources<'_, '_>, p: &JsonPath) -> Option<Value> {
            let root = src.root(p.root())?.clone();
            if p.is_definite() { p.select_one(&root).ok().cloned() } else { p.select(&root).ok().map(Cow::into_owned) }
        }
        Ok(match r {
            Rule::And(rs) => {
                for x in rs {
                    if !self.rule_in(v, x, src)? {
                        return Ok(false);
                    }
                }
                true
            }
            Rule::Or(rs) => {
                for x in rs {
                    if self.rule_in(v, x, src)? {
                        return Ok(true);
                    }
                }
                false
            }
            Rule::Not(x) => !self.rule_in(v, x, src)?,
            Rule::Condition(_) => false,
            Rule::IsPresent { variable, expect } => var(src, variable).is_some() == *expect,
            Rule::IsNull { variable, expect } => {
                let x = var(src, variable);
                if x.is_none() {
                    return Err(self.runtime(
                        v,
                        &format!(
                            "Invalid path '{}': The choice state's condition path references an undefined value.",
                            variable.as_str()
                        ),
                    ));
                }
                matches!(x, Some(Value::Null)) == *expect
            }
            Rule::IsNumeric { variable, expect } => var(src, variable).is_some_and(|x| x.is_number()) == *expect,
            Rule::IsString { variable, expect } => var(src, variable).is_some_and(|x| x.is_string()) == *expect,
            Rule::IsBoolean { variable, expect } => var(src, variable).is_some_and(|x| x.is_boolean()) == *expect,
            Rule::IsTimestamp { variable, expect } => {
                var(src, variable).is_some_and(|x| x.as_str().is_some_and(|s| parse_timestamp(s).is_some())) == *expect
            }
            Rule::StringMatches { variable, pattern } => {
                let Some(x) = var(src, variable) else {
                    return Err(self.undefined_variable(v, variable));
                };
                x.as_str().is_some_and(|s| string_matches(pattern, s))
            }
            Rule::Compare { variable, kind, op, operand } => {
                let Some(x) = var(src, variable) else {
                    return Err(self.undefined_variable(v, variable));
                };
                let rhs = match operand {
                    Operand::Lit(l) => l.clone(),
                    Operand::Path(p) => match var(src, p) {
                        Some(y) => y,
                        None => return Err(self.undefined_variable(v, p)),
                    },
                };
                compare(*kind, *op, &x, &rhs)
            }
        })
    }

    fn undefined_variable(&self, v: &Visit<'_>, p: &JsonPath) -> Failure {
        self.runtime(
            v,
            &format!("Invalid path '{}': The choice state's condition path references an invalid value.", p.as_str()),
        )
    }

    async fn wait(&self, v: &Visit<'_>, th: &mut Thread<'_>, input: Value, w: &Wait) -> Result<Flow, Failure> {
        let state = v.state;
        let effective = match &state.flow {
            DataFlow::Path { input_path, .. } => self.apply_path(v, th, input_path, input)?,
            DataFlow::Ata { .. } => input,
        };
        let now = self.clock.now_ms();
        let until = match w {
            Wait::Seconds(s) => now + (*s as i64) * 1000,
            Wait::Timestamp(t) => *t,
            Wait::SecondsPath(p) => {
                let x = self.resolve_for(v, th, p, &effective, "SecondsPath")?;
                let secs = match &x {
                    Value::Number(n) if n.is_i64() || n.is_u64() => n.as_i64().unwrap_or(i64::MAX),
                    _ => {
                        return Err(self.runtime(
                            v,
                            &format!(
                                "The SecondsPath parameter cannot be parsed as a long value: {} == {}",
                                p.as_str(),
                                plain(&x)
                            ),
                        ));
                    }
                };
                if secs < 0 {
                    return Err(self.runtime(
                        v,
                        &format!("The SecondsPath parameter references a negative value: {} == {}", p.as_str(), secs),
                    ));
                }
                now + secs.saturating_mul(1000)
            }
            Wait::TimestampPath(p) => {
                let x = self.resolve_for(v, th, p, &effective, "TimestampPath")?;
                match x.as_str().and_then(parse_timestamp) {
                    Some(t) => t,
                    None => {
                        return Err(self.runtime(
                            v,
                            &format!(
                                "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {} == {}",
                                p.as_str(),
                                plain(&x)
                            ),
                        ));
                    }
                }
            }
            Wait::SecondsAta(e) => {
                let st = self.states_value(v, &effective, &[], None);
                let st = &st;
                let x = self.eval_expr(e, st, &th.scope).map_err(|err| self.ata_failure(th, v, err))?;
                match x.as_f64() {
                    Some(s) if s >= 0.0 && s.fract() == 0.0 => now + (s as i64) * 1000,
                    _ => {
                        return Err(self.query_error(
                            th,
                            v,
                            "Seconds",
                            format!(
                                "The JSONata expression '{}' specified for the field 'Seconds' returned an unexpected result type. Expected 'integer', but was '{}' for value: {}",
                                e.text(),
                                type_name(&x),
                                to_json_string(&x)
                            ),
                        ));
                    }
                }
            }
            Wait::TimestampAta(e) => {
                let st = self.states_value(v, &effective, &[], None);
                let st = &st;
                let x = self.eval_expr(e, st, &th.scope).map_err(|err| self.ata_failure(th, v, err))?;
                match x.as_str().and_then(parse_timestamp) {
                    Some(t) => t,
                    None => {
                        return Err(self.query_error(
                            th,
                            v,
                            "Timestamp",
                            format!(
                                "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {}",
                                plain(&x)
                            ),
                        ));
                    }
                }
            }
        };
        if until > now {
            self.clock.sleep_until(until).await;
        }
        match &state.flow {
            DataFlow::Path { output_path, .. } => {
                let assigned = self.assign(v, th, state.assign.as_ref(), &effective, None)?;
                let out = self.apply_path(v, th, output_path, effective)?;
                self.exit(v, th, out, assigned, state.transition, TraceStatus::Succeeded)
            }
            DataFlow::Ata { output, .. } => {
                let st = self.states_value(v, &effective, &[], None);
                let assigned = self.assign(v, th, state.assign.as_ref(), &effective, Some(&st))?;
                let out = match output {
                    Some(t) => self.eval_ata(t, &st, &th.scope).map_err(|e| self.ata_failure(th, v, e))?,
                    None => effective,
                };
                self.exit(v, th, out, assigned, state.transition, TraceStatus::Succeeded)
            }
        }
    }

    fn resolve_for(
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

    /// Task, Parallel and Map: attempts with Retry, then Catch.
    async fn execution_state(&self, v: &mut Visit<'_>, th: &mut Thread<'_>, input: Value) -> Result<Flow, Failure> {
        let state = v.state;
        let mut counts = vec![0u32; state.retry.len()];
        let attempt_result = loop {
            // Each kind's attempt is boxed, so a parked execution holds only its own.
            let attempt: BoxFuture<'_, Result<(Value, Assigned), Failure>> = match &state.kind {
                Kind::Task(t) => Box::pin(self.task_attempt(v, th, &input, t)),
                Kind::Parallel(p) => Box::pin(self.parallel_attempt(v, th, &input, p)),
                Kind::Map(m) => Box::pin(self.map_attempt(v, th, &input, m)),
                _ => unreachable!("only Task, Parallel and Map are execution states"),
            };
            let r = attempt.await;
            match r {
                Ok(done) => break Ok(done),
                Err(f) => {
                    self.check_history()?;
                    if let Some(delay_ms) = self.retry_delay(state, &mut counts, &f) {
                        v.retry_count += 1;
                        if delay_ms > 0 {
                            self.clock.sleep_ms(delay_ms).await;
                        }
                        continue;
                    }
                    break Err(f);
                }
            }
        };
        match attempt_result {
            Ok((output, assigned)) => self.exit(v, th, output, assigned, state.transition, TraceStatus::Succeeded),
            Err(f) => self.catch(v, th, input, f),
        }
    }

    /// The back-off before the next attempt, if a retrier applies.
    fn retry_delay(&self, state: &State, counts: &mut [u32], f: &Failure) -> Option<i64> {
        let (i, r) = state.retry.iter().enumerate().find(|(_, r)| r.error_equals.matches(&f.error))?;
        if counts[i] >= r.max_attempts {
            return None;
        }
        counts[i] += 1;
        let mut secs = r.delay_seconds(counts[i]);
        if r.jitter == Jitter::Full {
            secs *= lock(&self.rng).next_f64();
        }
        Some((secs * 1000.0).round() as i64)
    }

    fn catch(&self, v: &Visit<'_>, th: &mut Thread<'_>, input: Value, f: Failure) -> Result<Flow, Failure> {
        let state = v.state;
        let Some((i, c)) = state.catch.iter().enumerate().find(|(_, c)| c.error_equals.matches(&f.error)) else {
            return Err(f);
        };
        let _ = i;
        let error_output = f.error_output();
        let (output, assigned) = match state.query_language {
            QueryLanguage::JsonPath => {
                let assigned = self.assign(v, th, c.assign.as_ref(), &error_output, None)?;
                let out = self.apply_result_path(v, &c.result_path, input, error_output)?;
                (out, assigned)
            }
            QueryLanguage::JsonAta => {
                let states = self.states_value(v, &input, &[("errorOutput", &error_output)], None);
                let assigned = self.assign(v, th, c.assign.as_ref(), &error_output, Some(&states))?;
                let out = match &c.output {
                    Some(t) => self.eval_ata(t, &states, &th.scope).map_err(|e| self.ata_failure(th, v, e))?,
                    None => error_output,
                };
                (out, assigned)
            }
        };
        let status = TraceStatus::Caught;
        let r = self.exit(v, th, output, assigned, Transition::Next(c.next), status);
        let mut t = lock(&self.trace);
        if let Some(e) = t.get_mut(v.trace_idx) {
            e.error = Some(f.error.clone());
        }
        r
    }

    /// After a successful call: result checks, `Assign`, `ResultSelector`,
    /// `ResultPath`, `OutputPath` (JSONPath) or `Assign`, `Output` (JSONata).
    fn finish_result(
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
    fn arguments(&self, v: &Visit<'_>, th: &mut Thread<'_>, input: &Value) -> Result<Value, Failure> {
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

    fn dynamic_u64(
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

    async fn task_attempt(
        &self,
        v: &mut Visit<'_>,
        th: &mut Thread<'_>,
        input: &Value,
        t: &Task,
    ) -> Result<(Value, Assigned), Failure> {
        let pattern = t.resource.pattern();
        if pattern == Pattern::Callback && v.token.is_none() {
            let n = lock(&self.rng).next_u64();
            v.token = Some(format!("{}-{:016x}", self.info.name, n));
        }
        let params = self.arguments(v, th, input)?;
        let timeout = match &t.timeout {
            Some(d) => Some(self.dynamic_u64(v, th, d, input, "TimeoutSeconds")?),
            None => None,
        };
        let heartbeat = match &t.heartbeat {
            Some(d) => Some(self.dynamic_u64(v, th, d, input, "HeartbeatSeconds")?),
            None => None,
        };
        let literal =
            |d: &Option<Dynamic<u64>>, x: Option<u64>| if matches!(d, Some(Dynamic::Lit(_))) { x } else { None };
        let (resource_type, resource) = (t.event_resource_type.clone(), t.event_resource.clone());
        let is_function = matches!(t.resource, Resource::LambdaFunction { .. });
        if is_function {
            self.emit(
                th,
                "LambdaFunctionScheduled",
                Details::LambdaFunctionScheduled {
                    resource: t.event_resource.clone(),
                    input: self.payload(&params),
                    timeout: literal(&t.timeout, timeout),
                },
            );
            self.emit(th, "LambdaFunctionStarted", Details::None);
        } else {
            self.emit(
                th,
                "TaskScheduled",
                Details::TaskScheduled {
                    resource_type: resource_type.clone(),
                    resource: resource.clone(),
                    region: self.core.options.region.clone(),
                    parameters: self.payload(&params),
                    timeout: literal(&t.timeout, timeout),
                    heartbeat: literal(&t.heartbeat, heartbeat),
                },
            );
            self.emit(
                th,
                "TaskStarted",
                Details::TaskStarted { resource_type: resource_type.clone(), resource: resource.clone() },
            );
        }
        let started = self.clock.now_ms();
        let deadline = timeout.map(|s| started.saturating_add((s as i64).saturating_mul(1000)));
        let outcome = self.invoke(v, th, t, params, deadline, heartbeat).await;
        let fail_event = |this: &Self, th: &mut Thread<'_>, f: &Failure, timed_out: bool| {
            let (error, cause) = (Some(f.error.clone()), f.cause.clone());
            let details = match (is_function, timed_out) {
                (true, false) => Details::LambdaFunctionFailed { error, cause },
                (true, true) => Details::LambdaFunctionTimedOut { error, cause },
                (false, false) => Details::TaskFailed {
                    resource_type: resource_type.clone(),
                    resource: resource.clone(),
                    error,
                    cause,
                },
                (false, true) => Details::TaskTimedOut {
                    resource_type: resource_type.clone(),
                    resource: resource.clone(),
                    error,
                    cause,
                },
            };
            let ty = match (is_function, timed_out) {
                (true, false) => "LambdaFunctionFailed",
                (true, true) => "LambdaFunctionTimedOut",
                (false, false) => "TaskFailed",
                (false, true) => "TaskTimedOut",
            };
            this.emit(th, ty, details);
        };
        match outcome {
            Invoked::Ok(result) => {
                if exceeds(&result, MAX_PAYLOAD_BYTES) {
                    let who = match &t.resource {
                        Resource::LambdaInvoke { .. } => "lambda".to_string(),
                        _ => t.resource_arn.clone(),
                    };
                    let f = Failure::new(
                        "States.DataLimitExceeded",
                        Some(format!(
                            "The state/task '{who}' returned a result with a size exceeding the maximum number of bytes service limit."
                        )),
                    );
                    fail_event(self, th, &f, false);
                    return Err(f);
                }
                if is_function {
                    self.emit(
                        th,
                        "LambdaFunctionSucceeded",
                        Details::LambdaFunctionSucceeded { output: self.payload(&result) },
                    );
                } else {
                    self.emit(
                        th,
                        "TaskSucceeded",
                        Details::TaskSucceeded {
                            resource_type: resource_type.clone(),
                            resource: resource.clone(),
                            output: self.payload(&result),
                        },
                    );
                }
                self.finish_result(v, th, input, result)
            }
            Invoked::Failed(f) => {
                if f.error != "States.Runtime" {
                    fail_event(self, th, &f, false);
                }
                Err(f)
            }
            Invoked::TimedOut(f) => {
                fail_event(self, th, &f, true);
                Err(f)
            }
        }
    }

    /// Calls the resource: mocks, child executions, handlers, in that order.
    async fn invoke(
        &self,
        v: &Visit<'_>,
        th: &mut Thread<'_>,
        t: &Task,
        params: Value,
        deadline: Option<i64>,
        heartbeat: Option<u64>,
    ) -> Invoked {
        let state = v.state;
        let (kind, function_name, payload) = match &t.resource {
            Resource::LambdaInvoke { .. } => {
                let fname = params.get("FunctionName").and_then(Value::as_str).map(bare_function_name);
                let payload = match params.get("Payload") {
                    None | Some(Value::Null) => json!({}),
                    Some(p) => p.clone(),
                };
                (TaskKind::LambdaInvoke, fname, payload)
            }
            Resource::LambdaFunction { name, .. } => (TaskKind::LambdaFunction, Some(name.clone()), params.clone()),
            Resource::Activity { .. } => (TaskKind::Activity, None, params.clone()),
            Resource::StartExecution { .. } | Resource::Service { .. } => (TaskKind::Service, None, params.clone()),
        };
        if kind == TaskKind::LambdaInvoke && function_name.is_none() {
            return Invoked::Failed(self.runtime(
                v,
                "The field 'FunctionName' is required for the resource 'arn:aws:states:::lambda:invoke'.",
            ));
        }
        let invocation = {
            let mut inv = lock(&self.invocations);
            let n = inv.entry(state.name.clone()).or_insert(0);
            *n += 1;
            *n - 1
        };
        let req = TaskRequest {
            state_name: state.name.clone(),
            resource: Arc::from(t.resource_arn.as_str()),
            kind,
            function_name,
            payload,
            parameters: params,
            attempt: v.retry_count,
            invocation,
            task_token: v.token.clone(),
            execution_name: self.info.name.clone(),
            callbacks: self.core.callbacks.clone(),
        };
        let pattern = t.resource.pattern();
        let token = req.task_token.clone();
        // The token is live before the call, so that the handler itself may answer it.
        let _unregister = match (&token, pattern) {
            (Some(tok), Pattern::Callback) => {
                self.core.callbacks.register(PendingCallback {
                    token: tok.clone(),
                    state_name: state.name.clone(),
                    execution_name: self.info.name.clone(),
                    payload: req.payload.clone(),
                });
                Some(Unregister(&self.core.callbacks, tok.clone()))
            }
            _ => None,
        };

        // The call itself, raced against TimeoutSeconds.
        let call: BoxFuture<'_, Result<TaskResponse, Failure>> = Box::pin(self.call_resource(v, t, req));
        let response = match deadline {
            Some(d) => match select(call, self.clock.sleep_until(d)).await {
                Either::Left(r) => r,
                Either::Right(()) => return Invoked::TimedOut(Failure::new("States.Timeout", None)),
            },
            None => call.await,
        };
        let response = match response {
            Ok(r) => r,
            Err(f) => return Invoked::Failed(f),
        };
        let TaskResponse { outcome, raw, duration, callback } = response;
        if !duration.is_zero() {
            let sleep = self.clock.sleep_ms(duration.as_millis() as i64);
            match deadline {
                Some(d) => {
                    if let Either::Right(()) = select(sleep, self.clock.sleep_until(d)).await {
                        return Invoked::TimedOut(Failure::new("States.Timeout", None));
                    }
                }
                None => sleep.await,
            }
        }
        let value = match outcome {
            Ok(x) => x,
            Err(f) => return Invoked::Failed(Failure::new(f.error, f.cause)),
        };
        if pattern == Pattern::Callback {
            let token = token.unwrap_or_default();
            let (resource_type, resource) = (t.event_resource_type.clone(), t.event_resource.clone());
            let submitted = wrap_result(&t.resource, value, raw, self);
            self.emit(
                th,
                "TaskSubmitted",
                Details::TaskSubmitted { resource_type, resource, output: self.payload(&submitted) },
            );
            let wait: BoxFuture<'_, Invoked> = Box::pin(self.await_callback(token, deadline, heartbeat, callback));
            return wait.await;
        }
        Invoked::Ok(wrap_result(&t.resource, value, raw, self))
    }

    /// Answers a request: mocks first, then registered state machines (child
    /// executions), then handlers.
    async fn call_resource(&self, v: &Visit<'_>, t: &Task, req: TaskRequest) -> Result<TaskResponse, Failure> {
        let mocked = {
            let mut counters = lock(&self.mock_counters);
            self.core.mocks.answer(&req, &mut counters)
        };
        if let Some(r) = mocked {
            if let Err(f) = &r.outcome
                && f.error == "States.Runtime"
            {
                return Err(self.runtime(v, f.cause.as_deref().unwrap_or_default()));
            }
            return Ok(r);
        }
        if let Resource::StartExecution { pattern } = t.resource
            && let Some(r) = self.child_execution(&req, pattern).await
        {
            return Ok(r);
        }
        for h in &self.core.handlers {
            if let Some(fut) = h.call(req.clone()) {
                let _guard = InFlight::start(&self.inflight);
                return Ok(fut.await);
            }
        }
        Err(self.runtime(
            v,
            &format!(
                "Nothing answers the task: no mock or handler for the state '{}' (resource '{}'{}).",
                req.state_name,
                req.resource,
                req.function_name.as_deref().map(|f| format!(", function '{f}'")).unwrap_or_default()
            ),
        ))
    }

    /// Waits for the answer to a task token (registered by the caller), under
    /// `TimeoutSeconds` and `HeartbeatSeconds`; a mocked answer arrives after its delay.
    async fn await_callback(
        &self,
        token: String,
        deadline: Option<i64>,
        heartbeat: Option<u64>,
        mocked: Option<(Callback, std::time::Duration)>,
    ) -> Invoked {
        let callbacks: &Callbacks = &self.core.callbacks;
        let mut mock_sleep = mocked.as_ref().map(|(_, after)| Box::pin(self.clock.sleep_ms(after.as_millis() as i64)));
        let mut mocked = mocked.map(|(c, _)| c);
        let mut timeout_sleep = deadline.map(|d| Box::pin(self.clock.sleep_until(d)));
        let hb_ms = heartbeat.map(|h| (h as i64) * 1000);
        let mut hb_sleep = hb_ms.map(|ms| Box::pin(self.clock.sleep_ms(ms)));
        let mut seen_heartbeats = 0u64;
        let outcome = std::future::poll_fn(|cx| {
            match callbacks.poll(&token, cx.waker()) {
                Ok(c) => return Poll::Ready(Ok(c)),
                Err(hb) => {
                    if hb != seen_heartbeats {
                        seen_heartbeats = hb;
                        if let Some(ms) = hb_ms {
                            hb_sleep = Some(Box::pin(self.clock.sleep_ms(ms)));
                        }
                    }
                }
            }
            if let Some(s) = mock_sleep.as_mut()
                && s.as_mut().poll(cx).is_ready()
            {
                mock_sleep = None;
                if let Some(c) = mocked.take() {
                    return Poll::Ready(Ok(c));
                }
            }
            if let Some(s) = timeout_sleep.as_mut()
                && s.as_mut().poll(cx).is_ready()
            {
                return Poll::Ready(Err("States.Timeout"));
            }
            if let Some(s) = hb_sleep.as_mut()
                && s.as_mut().poll(cx).is_ready()
            {
                return Poll::Ready(Err("States.HeartbeatTimeout"));
            }
            Poll::Pending
        })
        .await;
        match outcome {
            Ok(Callback::Success(v)) => Invoked::Ok(v),
            Ok(Callback::Failure(f)) => Invoked::Failed(Failure::new(f.error, f.cause)),
            Err(e) => Invoked::TimedOut(Failure::new(e, None)),
        }
    }

    /// `states:startExecution` of a registered state machine.
    async fn child_execution(&self, req: &TaskRequest, pattern: Pattern) -> Option<TaskResponse> {
        let arn = req.parameters.get("StateMachineArn").and_then(Value::as_str)?;
        let machine = self.core.machine_for(arn)?;
        if self.child_depth > 16 {
            return Some(TaskResponse::fail(TaskFailure::new("States.Runtime", "child executions nest too deep")));
        }
        let input = match req.parameters.get("Input") {
            None => json!({}),
            Some(Value::String(s)) => serde_json::from_str(s).unwrap_or(Value::String(s.clone())),
            Some(other) => other.clone(),
        };
        let name = req.parameters.get("Name").and_then(Value::as_str).map(str::to_owned);
        let start = self.clock.now_ms();
        let sm_name = arn.rsplit(':').next().unwrap_or(arn).to_string();
        let exec_name = name.unwrap_or_else(|| lock(&self.rng).uuid());
        let exec_arn = format!(
            "arn:aws:states:{}:{}:execution:{sm_name}:{exec_name}",
            self.core.options.region, self.core.options.account
        );
        if pattern == Pattern::Call {
            return Some(TaskResponse {
                raw: true,
                ..TaskResponse::ok(json!({"ExecutionArn": exec_arn, "StartDate": start}))
            });
        }
        let info = ExecInfo {
            name: Arc::from(exec_name.as_str()),
            arn: Arc::from(exec_arn.as_str()),
            sm_name: Arc::from(sm_name.as_str()),
            sm_arn: Arc::from(arn),
            role_arn: self.info.role_arn.clone(),
            start_ms: start,
            input: input.clone(),
        };
        let child = self.isolated(machine.machine(), &info);
        let end: BoxFuture<'_, End> = Box::pin(child.run_execution());
        let end = end.await;
        let stop = self.clock.now_ms();
        let v2 = pattern == Pattern::Sync { v2: true };
        let data = |v: &Value| if v2 { v.clone() } else { Value::String(to_json_string(v)) };
        let mut desc = json!({
            "ExecutionArn": exec_arn,
            "Input": data(&input),
            "InputDetails": {"Included": true},
            "Name": exec_name,
            "RedriveCount": 0,
            "RedriveStatus": "NOT_REDRIVABLE",
            "StartDate": start,
            "StateMachineArn": arn,
            "StopDate": stop,
        });
        Some(match end {
            End::Succeeded(out) => {
                desc["Output"] = data(&out);
                desc["OutputDetails"] = json!({"Included": true});
                desc["Status"] = json!("SUCCEEDED");
                TaskResponse { raw: true, ..TaskResponse::ok(desc) }
            }
            End::Failed(f) => {
                desc["Status"] = json!("FAILED");
                desc["Error"] = json!(f.error);
                if let Some(c) = f.cause {
                    desc["Cause"] = json!(c);
                }
                TaskResponse::fail(TaskFailure::new("States.TaskFailed", to_json_string(&desc)))
            }
            End::TimedOut => {
                desc["Status"] = json!("TIMED_OUT");
                TaskResponse::fail(TaskFailure::new("States.TaskFailed", to_json_string(&desc)))
            }
        })
    }

    async fn parallel_attempt(
        &self,
        v: &mut Visit<'_>,
        th: &mut Thread<'_>,
        input: &Value,
        p: &Parallel,
    ) -> Result<(Value, Assigned), Failure> {
        let branch_input = self.arguments(v, th, input)?;
        self.emit(th, "ParallelStateStarted", Details::None);
        let started_id = th.prev;
        let depth = th.depth + 1;
        let results = {
            let scope: &Scope<'_> = &th.scope;
            let mut group: Group<'_, Result<(Value, u64), Failure>> = Group::new();
            for (i, b) in p.branches.iter().enumerate() {
                let bi = branch_input.clone();
                group.push(Box::pin(async move {
                    let mut bt = Thread {
                        scope: Scope::child(scope),
                        prev: started_id,
                        depth,
                        label: Some(format!("branch {i}")),
                    };
                    let out = self.run_set(b, bi, &mut bt).await?;
                    Ok((out, bt.prev))
                }));
            }
            let mut results: Vec<Option<Value>> = vec![None; p.branches.len()];
            let mut failure = None;
            while let Some((i, r)) = group.next().await {
                match r {
                    Ok((out, _)) => results[i] = Some(out),
                    Err(f) => {
                        failure = Some(f);
                        break;
                    }
                }
            }
            drop(group);
            match failure {
                Some(f) => Err(f),
                None => Ok(results.into_iter().map(Option::unwrap_or_default).collect::<Vec<_>>()),
            }
        };
        match results {
            Ok(values) => {
                self.emit(th, "ParallelStateSucceeded", Details::None);
                self.finish_result(v, th, input, Value::Array(values))
            }
            Err(f) => {
                self.abort_running_trace(depth);
                self.emit(th, "ParallelStateFailed", Details::None);
                Err(f)
            }
        }
    }

    /// Marks the states still running in dropped branches or iterations as aborted,
    /// with a `*StateAborted` event each, as AWS records them.
    fn abort_running_trace(&self, depth: usize) {
        let mut aborted = Vec::new();
        {
            let mut t = lock(&self.trace);
            let now = self.clock.now_ms();
            for e in t.iter_mut().filter(|e| e.status == TraceStatus::Running && e.depth >= depth) {
                e.status = TraceStatus::Aborted;
                e.end_ms = now;
                aborted.push((e.state_type, e.entered_event_id));
            }
        }
        for (ty, entered) in aborted {
            let event_type = match ty {
                "Task" => "TaskStateAborted",
                "Wait" => "WaitStateAborted",
                "Parallel" => "ParallelStateAborted",
                "Map" => "MapStateAborted",
                _ => continue,
            };
            self.emit_with_prev(entered, event_type, Details::None);
        }
    }

    async fn map_attempt(
        &self,
        v: &mut Visit<'_>,
        th: &mut Thread<'_>,
        input: &Value,
        m: &MapState,
    ) -> Result<(Value, Assigned), Failure> {
        let state = v.state;
        if m.item_reader {
            return Err(self.runtime(
                v,
                "The local executor cannot read Map items with an ItemReader (from Amazon S3); pass the items in the state input instead.",
            ));
        }
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
        let limit = if max_concurrency == 0 {
            self.core.options.map_concurrency_limit.max(1)
        } else {
            max_concurrency as usize
        };
        let distributed = m.distributed;
        let n = items.len();
        // Inline iterations record their states in this history; the items of a
        // distributed Map are child executions, whose states it does not show.
        if distributed {
            self.emit(th, "MapRunStarted", Details::None);
        } else {
            self.emit(th, "MapStateStarted", Details::MapStateStarted { length: n });
        }
        let depth = th.depth + 1;
        let scope: &Scope<'_> = &th.scope;
        let map_prev = th.prev;
        let mut results: Vec<Option<Value>> = vec![None; n];
        let mut failure: Option<Failure> = None;
        let mut failed_items = 0usize;
        let tolerated = |failed: usize| {
            let by_count = tolerated_count.is_some_and(|c| failed as u64 <= c);
            let by_pct = tolerated_percentage.is_some_and(|p| n > 0 && (failed as f64) * 100.0 / (n as f64) <= p);
            distributed && (by_count || by_pct)
        };
        {
            let mut group: Group<'_, (usize, Result<Value, Failure>, u64)> = Group::new();
            let mut started_ids: Vec<u64> = vec![0; n];
            let mut next_item = 0usize;
            let mut item_iter = items.into_iter();
            loop {
                while failure.is_none() && group.running() < limit && next_item < n {
                    let idx = next_item;
                    next_item += 1;
                    let item = item_iter.next().unwrap_or(Value::Null);
                    let it_input = match self.item_input(v, scope, m, idx, item, &effective) {
                        Ok(Ok(x)) => x,
                        Ok(Err(e)) => {
                            let mut t = Thread {
                                scope: Scope::default(),
                                prev: th_prev_or(map_prev, &self.history),
                                depth: 0,
                                label: None,
                            };
                            return Err(self.ata_failure(&mut t, v, e));
                        }
                        Err(f) => return Err(f),
                    };
                    if distributed {
                        group.push(Box::pin(async move {
                            let r = self.run_isolated(&m.processor, it_input).await;
                            (idx, r, 0)
                        }));
                        continue;
                    }
                    let started = self.emit_with_prev(
                        map_prev,
                        "MapIterationStarted",
                        Details::MapIteration { name: state.name.clone(), index: idx },
                    );
                    started_ids[idx] = started;
                    group.push(Box::pin(async move {
                        let mut it = Thread {
                            scope: Scope::child(scope),
                            prev: started,
                            depth,
                            label: Some(format!("item {idx}")),
                        };
                        let r = self.run_set(&m.processor, it_input, &mut it).await;
                        (idx, r, it.prev)
                    }));
                }
                let Some((_, (idx, r, last))) = group.next().await else { break };
                match r {
                    Ok(out) => {
                        if !distributed {
                            self.emit_with_prev(
                                last,
                                "MapIterationSucceeded",
                                Details::MapIteration { name: state.name.clone(), index: idx },
                            );
                        }
                        results[idx] = Some(out);
                    }
                    Err(f) => {
                        failed_items += 1;
                        if distributed && tolerated(failed_items) {
                            results[idx] = Some(f.error_output());
                            continue;
                        }
                        if !distributed {
                            self.emit_with_prev(
                                last,
                                "MapIterationFailed",
                                Details::MapIteration { name: state.name.clone(), index: idx },
                            );
                        }
                        failure =
                            Some(if distributed && (tolerated_count.is_some() || tolerated_percentage.is_some()) {
                                Failure::new(
                                    "States.ExceedToleratedFailureThreshold",
                                    Some("The specified tolerated failure threshold was exceeded".into()),
                                )
                            } else {
                                f
                            });
                        break;
                    }
                }
            }
            if failure.is_some() && !distributed {
                for idx in group.running_indexes() {
                    let _ = idx;
                }
                let running: Vec<usize> = (0..n).filter(|i| results[*i].is_none() && started_ids[*i] != 0).collect();
                drop(group);
                for idx in running {
                    self.emit_with_prev(
                        started_ids[idx],
                        "MapIterationAborted",
                        Details::MapIteration { name: state.name.clone(), index: idx },
                    );
                }
            }
        }
        th.prev = lock(&self.history).last().map(|e| e.id).unwrap_or(th.prev);
        if let Some(f) = failure {
            self.abort_running_trace(depth);
            self.emit(th, if distributed { "MapRunFailed" } else { "MapStateFailed" }, Details::None);
            return Err(f);
        }
        self.emit(th, if distributed { "MapRunSucceeded" } else { "MapStateSucceeded" }, Details::None);
        let values: Vec<Value> = results.into_iter().map(Option::unwrap_or_default).collect();
        self.finish_result(v, th, input, Value::Array(values))
    }

    /// A context for a separate execution nested in this one (a child execution, or states run
    /// in isolation): its own history, trace, mock counters and random stream, the same clock.
    fn isolated<'b>(&'b self, machine: &'b Machine, info: &'b ExecInfo) -> Ctx<'b> {
        Ctx {
            machine,
            core: self.core,
            info,
            clock: self.clock.clone(),
            history: Arc::default(),
            trace: Arc::default(),
            rng: Mutex::new(Rng::new(lock(&self.rng).next_u64())),
            inflight: self.inflight.clone(),
            mock_counters: Mutex::new(HashMap::new()),
            invocations: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            history_full: AtomicBool::new(false),
            child_depth: self.child_depth + 1,
        }
    }

    /// Runs states as a separate execution would: own history, no outer variables.
    async fn run_isolated(&self, set: &StateSet, input: Value) -> Result<Value, Failure> {
        let child = self.isolated(self.machine, self.info);
        let mut th = Thread { scope: Scope::default(), prev: 0, depth: 0, label: None };
        let fut: BoxFuture<'_, Result<Value, Failure>> = Box::pin(async { child.run_set(set, input, &mut th).await });
        fut.await
    }

    /// The input of iteration `idx`: `ItemSelector` (or legacy `Parameters`) with
    /// `$$.Map.Item`, else the item. A JSONata failure is returned as is, for the
    /// caller to record.
    fn item_input(
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
}

fn th_prev_or(prev: u64, history: &Mutex<Vec<Event>>) -> u64 {
    lock(history).last().map(|e| e.id).unwrap_or(prev)
}

fn items_path_text(p: &PathSpec) -> &str {
    match p {
        PathSpec::Path(p) => p.as_str(),
        _ => "$",
    }
}

/// Variables a state assigns, applied when it exits.
type Assigned = Vec<(Arc<str>, Value)>;

/// Removes a task token from the registry when its task ends (or is dropped).
struct Unregister<'a>(&'a Callbacks, String);

impl Drop for Unregister<'_> {
    fn drop(&mut self) {
        self.0.remove(&self.1);
    }
}

/// What a call produced.
enum Invoked {
    Ok(Value),
    Failed(Failure),
    TimedOut(Failure),
}

/// The task result: for `lambda:invoke`, the Invoke response around the function's
/// return value (unless the answer is already a task result).
fn wrap_result(resource: &Resource, value: Value, raw: bool, ctx: &Ctx<'_>) -> Value {
    if raw || !matches!(resource, Resource::LambdaInvoke { pattern: Pattern::Call }) {
        return value;
    }
    let mut m = Map::with_capacity(5);
    m.insert("ExecutedVersion".into(), Value::String("$LATEST".into()));
    m.insert("Payload".into(), value);
    if ctx.core.options.lambda_sdk_metadata {
        let request_id = lock(&ctx.rng).uuid();
        let date = format_timestamp(ctx.clock.now_ms());
        m.insert(
            "SdkHttpMetadata".into(),
            json!({
                "AllHttpHeaders": {
                    "X-Amz-Executed-Version": ["$LATEST"],
                    "x-amzn-Remapped-Content-Length": ["0"],
                    "Connection": ["keep-alive"],
                    "x-amzn-RequestId": [request_id],
                    "Date": [date],
                    "Content-Type": ["application/json"]
                },
                "HttpHeaders": {
                    "Connection": "keep-alive",
                    "Content-Type": "application/json",
                    "Date": date,
                    "X-Amz-Executed-Version": "$LATEST",
                    "x-amzn-Remapped-Content-Length": "0",
                    "x-amzn-RequestId": request_id
                },
                "HttpStatusCode": 200
            }),
        );
        m.insert("SdkResponseMetadata".into(), json!({"RequestId": request_id}));
    }
    m.insert("StatusCode".into(), json!(200));
    Value::Object(m)
}

/// `my-fn`, from `my-fn`, `my-fn:alias`, `123456789012:function:my-fn` or a full ARN;
/// and `Name` from a deployment placeholder `${Name}` (as stepcraft's emitter writes).
pub(crate) fn bare_function_name(s: &str) -> String {
    if let Some(p) = placeholder(s) {
        return p.to_string();
    }
    let s = s.rsplit_once(":function:").map(|(_, r)| r).unwrap_or(s);
    s.split(':').next().unwrap_or(s).to_string()
}

/// The name inside a `${Name}` deployment placeholder.
pub(crate) fn placeholder(s: &str) -> Option<&str> {
    s.strip_prefix("${").and_then(|r| r.strip_suffix('}'))
}

/// A value as AWS prints it after `==` in causes: strings bare, others as JSON.
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => to_json_string(other),
    }
}

/// `StringMatches`: `*` matches any run of characters; `\*` and `\\` are literals.
pub(crate) fn string_matches(pattern: &str, s: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Tok {
        Star,
        Ch(char),
    }
    let mut toks = Vec::new();
    let mut it = pattern.chars();
    while let Some(c) = it.next() {
        match c {
            '\\' => {
                if let Some(n) = it.next() {
                    toks.push(Tok::Ch(n));
                }
            }
            '*' => toks.push(Tok::Star),
            other => toks.push(Tok::Ch(other)),
        }
    }
    let text: Vec<char> = s.chars().collect();
    // Classic wildcard matching with backtracking on the last star.
    let (mut p, mut t) = (0usize, 0usize);
    let (mut star, mut mark) = (None, 0usize);
    while t < text.len() {
        if p < toks.len() && toks[p] == Tok::Ch(text[t]) {
            p += 1;
            t += 1;
        } else if p < toks.len() && toks[p] == Tok::Star {
            star = Some(p);
            mark = t;
            p += 1;
        } else if let Some(sp) = star {
            p = sp + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    while p < toks.len() && toks[p] == Tok::Star {
        p += 1;
    }
    p == toks.len()
}

/// A JSONPath comparison. Mismatched types compare false.
fn compare(kind: CmpKind, op: CmpOp, x: &Value, rhs: &Value) -> bool {
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match kind {
        CmpKind::String => match (x, rhs) {
            (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
            _ => None,
        },
        CmpKind::Numeric => match (x, rhs) {
            (Value::Number(a), Value::Number(b)) => {
                if json_eq(x, rhs) {
                    Some(Ordering::Equal)
                } else {
                    a.as_f64().zip(b.as_f64()).and_then(|(a, b)| a.partial_cmp(&b))
                }
            }
            _ => None,
        },
        CmpKind::Timestamp => match (x.as_str().and_then(parse_timestamp), rhs.as_str().and_then(parse_timestamp)) {
            (Some(a), Some(b)) => Some(a.cmp(&b)),
            _ => None,
        },
        CmpKind::Boolean => match (x, rhs) {
            (Value::Bool(a), Value::Bool(b)) => return op == CmpOp::Eq && a == b,
            _ => None,
        },
    };
    let Some(o) = ord else { return false };
    match op {
        CmpOp::Eq => o == Ordering::Equal,
        CmpOp::Lt => o == Ordering::Less,
        CmpOp::Gt => o == Ordering::Greater,
        CmpOp::Le => o != Ordering::Greater,
        CmpOp::Ge => o != Ordering::Less,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(string_matches("log-*.txt", "log-2024.txt"));
        assert!(string_matches("*", ""));
        assert!(!string_matches("a*b", "acd"));
        assert!(string_matches("a\\*b", "a*b"));
        assert!(!string_matches("a\\*b", "axb"));
    }

    #[test]
    fn function_names() {
        assert_eq!(bare_function_name("arn:aws:lambda:us-east-1:1:function:f:prod"), "f");
        assert_eq!(bare_function_name("f:1"), "f");
        assert_eq!(bare_function_name("f"), "f");
        assert_eq!(bare_function_name("${Charge}"), "Charge");
    }

    #[test]
    fn comparisons() {
        use serde_json::json;
        assert!(compare(CmpKind::Numeric, CmpOp::Eq, &json!(1), &json!(1.0)));
        assert!(!compare(CmpKind::Numeric, CmpOp::Eq, &json!("1"), &json!(1)));
        assert!(compare(CmpKind::Timestamp, CmpOp::Lt, &json!("2016-03-14T01:59:00Z"), &json!("2016-03-14T02:00:00Z")));
        assert!(compare(CmpKind::Boolean, CmpOp::Eq, &json!(false), &json!(false)));
    }
}
