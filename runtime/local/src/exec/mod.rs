//! The interpreter: runs a checked [`Machine`] against an input, state by state,
//! recording history events and trace entries. Parallel branches and Map iterations
//! run as concurrent child futures; every wait (Wait states, retry back-offs, task
//! durations, timeouts) is a virtual-time sleep.
//!
//! This module is the run loop and the execution context: [`Ctx`] (what one
//! execution shares), threads and their scopes of variables, the visit of a state,
//! the history and trace it writes. Each kind of state has a room of its own:
//!
//! | room | owns |
//! | --- | --- |
//! | `dataflow` | input and output processing of every state: `InputPath`, `Parameters`/`Arguments`, `ResultSelector`, `ResultPath`, `OutputPath`/`Output`, `Assign`, the context object and `$states`; every JSONPath and JSONata evaluation |
//! | `simple` | Pass, Wait, Succeed and Fail |
//! | `choice` | Choice: its JSONPath rules and JSONata `Condition`s |
//! | `retry` | `Retry` and `Catch` around the attempts of Task, Parallel and Map |
//! | `task` | one Task attempt: the call (mocks, child executions, handlers), `TimeoutSeconds`, `HeartbeatSeconds`, task tokens |
//! | `fanout` | Parallel branches and Map iterations: concurrency, tolerated failures, their events |
//! | `redrive` | how far each line of the execution got, and where `RedriveExecution` resumes it |
//!
//! Only this module writes the history (`emit`) and the trace, and a state ends only
//! through `exit` (variables assigned, `*StateExited`, the transition). The rooms
//! never call each other's internals except through `dataflow`, which any of them
//! may ask.

mod choice;
mod dataflow;
mod fanout;
mod redrive;
mod retry;
mod simple;
mod task;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::executor::Core;
use crate::history::{Details, Event, Payload, TraceEntry, TraceStatus};
use crate::model::*;
use crate::rt::{BoxFuture, Clock, Either, Signal, lock, select};

pub(crate) use redrive::Resume;
use redrive::{Branch, Progress, ProgressRef};
pub(crate) use task::placeholder;

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
    /// `Execution.RedriveCount`: how many times the execution was redriven.
    pub(crate) redrive_count: u32,
    /// `Execution.RedriveTime`: when it was last redriven (only once it was).
    pub(crate) redrive_ms: Option<i64>,
}

/// A small, seedable generator (SplitMix64) for jitter, `States.MathRandom`,
/// `$random()`, UUIDs and task tokens. Kept by hand (eight lines) rather than taken
/// from `rand`: seeded runs must give the very numbers they gave before, whatever
/// version of a generator crate is resolved.
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

    /// A version 4 UUID from the next 128 bits of this generator, so that seeded
    /// runs give the same ones.
    pub(crate) fn uuid(&mut self) -> String {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next_u64().to_be_bytes());
        bytes[8..].copy_from_slice(&self.next_u64().to_be_bytes());
        // The builder sets the version (4) and variant (RFC 9562) bits; `Uuid::new_v4`
        // would draw from the operating system instead of the seed.
        uuid::Builder::from_random_bytes(bytes).into_uuid().hyphenated().to_string()
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

    /// The bytes of the variables this line holds (its own and its outer scopes'), except
    /// those `replaced` names; counted up to just past the stored-variables limit.
    fn stored_bytes(&self, replaced: impl Fn(&str) -> bool) -> usize {
        let limit = crate::limits::MAX_STORED_VARIABLES_BYTES;
        let mut total = 0usize;
        let mut s = Some(self);
        while let Some(sc) = s {
            for (_, v) in sc.vars.iter().filter(|(k, _)| !replaced(k)) {
                total += crate::value::size_past(v, limit);
                if total > limit {
                    return total;
                }
            }
            s = sc.parent;
        }
        total
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
    /// How far this line got, for a redrive.
    progress: ProgressRef,
}

impl<'s> Thread<'s> {
    fn new(scope: Scope<'s>, prev: u64, depth: usize, label: Option<String>, progress: ProgressRef) -> Thread<'s> {
        Thread { scope, prev, depth, label, progress }
    }
}

/// One visit of one state.
struct Visit<'v> {
    state: &'v State,
    entered_id: u64,
    entered_ms: i64,
    retry_count: u32,
    token: Option<String>,
    trace_idx: usize,
    /// For the first attempt of a redriven Parallel or Map: what its branches or
    /// iterations keep.
    redrive: Option<&'v [Branch]>,
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
    /// `StopExecution`, with its error and cause.
    Aborted(Option<String>, Option<String>),
}

/// A `StopExecution` request: its error and cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stop {
    pub(crate) error: Option<String>,
    pub(crate) cause: Option<String>,
}

/// How an execution begins: from its first state, or (`RedriveExecution`) where the
/// previous attempt stopped.
pub(crate) enum Begin<'r> {
    Start,
    Redrive {
        resume: &'r Resume,
        /// The previous attempts' last event id.
        last_event: u64,
    },
}

/// Variables a state assigns, applied when it exits.
type Assigned = Vec<(Arc<str>, Value)>;

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
                Some(crate::limits::history_limit_cause(self.core.options.max_history_events)),
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

    /// Runs the whole execution (or, redriven, the rest of it) until it ends, times out
    /// or `stop` is set; with where a redrive would resume it, unless it succeeded.
    pub(crate) async fn run_execution(&self, begin: Begin<'_>, stop: &Signal<Stop>) -> (End, Option<Resume>) {
        let opts = &self.core.options;
        let mut th = Thread::new(Scope::default(), 0, 0, None, Progress::new_ref());
        let max_ms = (opts.max_execution_seconds as i64).saturating_mul(1000);
        let (run, deadline) = match begin {
            Begin::Start => {
                let input = self.info.input.clone();
                self.emit_with_prev(
                    0,
                    "ExecutionStarted",
                    Details::ExecutionStarted { input: self.payload(&input), role_arn: self.info.role_arn.clone() },
                );
                // The first state's `*StateEntered` points back at 0, as on AWS.
                let timeout_s = self.machine.timeout_seconds.unwrap_or(opts.max_execution_seconds);
                let deadline = self.info.start_ms.saturating_add((timeout_s as i64).saturating_mul(1000));
                (self.run_set(&self.machine.root, input, &mut th), deadline)
            }
            Begin::Redrive { resume, last_event } => {
                th.prev = self.emit_with_prev(
                    last_event,
                    "ExecutionRedriven",
                    Details::ExecutionRedriven { redrive_count: self.info.redrive_count },
                );
                // "When you redrive an execution, the state machine level timeout, if
                // defined, is reset to 0"; the year an execution may stay open is not.
                let open_until = self.info.start_ms.saturating_add(max_ms);
                let deadline = match self.machine.timeout_seconds {
                    Some(t) => self.clock.now_ms().saturating_add((t as i64).saturating_mul(1000)).min(open_until),
                    None => open_until,
                };
                (self.run_resumed(&self.machine.root, resume, &mut th), deadline)
            }
        };
        let outcome = select(stop.wait(), select(run, self.clock.sleep_until(deadline))).await;
        let prev = lock(&self.history).last().map(|e| e.id).unwrap_or(0);
        let end = match outcome {
            Either::Right(Either::Left(Ok(output))) => {
                self.emit_with_prev(
                    prev,
                    "ExecutionSucceeded",
                    Details::ExecutionSucceeded { output: self.payload(&output) },
                );
                return (End::Succeeded(output), None);
            }
            Either::Right(Either::Left(Err(f))) => {
                self.emit_with_prev(
                    prev,
                    "ExecutionFailed",
                    Details::ExecutionFailed { error: Some(f.error.clone()), cause: f.cause.clone() },
                );
                End::Failed(f)
            }
            Either::Right(Either::Right(())) => {
                self.abort_trace();
                self.emit_with_prev(
                    0,
                    "ExecutionTimedOut",
                    Details::ExecutionTimedOut { error: Some("States.Timeout".into()), cause: None },
                );
                End::TimedOut
            }
            Either::Left(Stop { error, cause }) => {
                self.abort_trace();
                self.emit_with_prev(
                    prev,
                    "ExecutionAborted",
                    Details::ExecutionAborted { error: error.clone(), cause: cause.clone() },
                );
                End::Aborted(error, cause)
            }
        };
        (end, Progress::freeze(&th.progress))
    }

    /// Marks the trace entries still running as aborted.
    fn abort_trace(&self) {
        let mut t = lock(&self.trace);
        for e in t.iter_mut().filter(|e| e.status == TraceStatus::Running) {
            e.status = TraceStatus::Aborted;
            e.end_ms = self.clock.now_ms();
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
        self.run_from(set, set.start, input, None, th)
    }

    /// Runs a line again from where a redrive resumes it: its own variables restored,
    /// the state it stopped in entered again with the same input.
    fn run_resumed<'a, 's: 'a>(
        &'a self,
        set: &'a StateSet,
        resume: &'a Resume,
        th: &'a mut Thread<'s>,
    ) -> BoxFuture<'a, Result<Value, Failure>>
    where
        'c: 'a,
    {
        for (k, v) in &resume.vars {
            th.scope.set(k.clone(), v.clone());
        }
        Progress::set_vars(&th.progress, &resume.vars);
        self.run_from(set, resume.idx, resume.input.clone(), resume.inner.as_deref(), th)
    }

    fn run_from<'a, 's: 'a>(
        &'a self,
        set: &'a StateSet,
        start: usize,
        input: Value,
        redrive: Option<&'a [Branch]>,
        th: &'a mut Thread<'s>,
    ) -> BoxFuture<'a, Result<Value, Failure>>
    where
        'c: 'a,
    {
        Box::pin(async move {
            let mut idx = start;
            let mut input = input;
            let mut redrive = redrive;
            loop {
                self.check_history()?;
                let state = &set.states[idx];
                Progress::enter(&th.progress, idx, &input);
                let flow = self.run_state(state, input, redrive.take(), th).await;
                self.check_history()?;
                match flow {
                    Ok(Flow::Next(n, out)) => {
                        idx = n;
                        input = out;
                    }
                    Ok(Flow::End(out)) => return Ok(out),
                    Err(f) => {
                        // A Parallel or Map that failed on the size of its result reruns
                        // whole (AWS docs, redrive, "Redrive behavior of individual states").
                        if f.error == "States.DataLimitExceeded" {
                            Progress::forget_inner(&th.progress);
                        }
                        return Err(f);
                    }
                }
            }
        })
    }

    async fn run_state(
        &self,
        state: &State,
        input: Value,
        redrive: Option<&[Branch]>,
        th: &mut Thread<'_>,
    ) -> Result<Flow, Failure> {
        let entered_id = self.emit(
            th,
            entered_type(&state.kind),
            Details::StateEntered { name: state.name.clone(), input: self.payload(&input) },
        );
        let trace_idx = self.trace_start(th, state, entered_id);
        let mut v = Visit {
            state,
            entered_id,
            entered_ms: self.clock.now_ms(),
            retry_count: 0,
            token: None,
            trace_idx,
            redrive,
        };
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
        // Every state's output, whatever produced it, is at most 256 KiB (`limits.rs`).
        crate::limits::check_state_payload(&v.state.name, &output).map_err(|(e, c)| Failure::new(e, Some(c)))?;
        let mut assigned_map = None;
        if !assigned.is_empty() {
            // Variables: 256 KiB each and per Assign, 10 MiB stored (`limits.rs`).
            let named: Vec<(&str, &Value)> = assigned.iter().map(|(k, val)| (&**k, val)).collect();
            let stored = th.scope.stored_bytes(|k| named.iter().any(|(n, _)| *n == k));
            crate::limits::check_assigned(&v.state.name, &named, stored).map_err(|(e, c)| Failure::new(e, Some(c)))?;
            let mut m = Vec::with_capacity(assigned.len());
            for (k, val) in assigned {
                // A branch or iteration sees outer variables read-only (AWS docs,
                // "Passing data between states with variables", Variable scope).
                if th.scope.in_outer(&k) {
                    return Err(self.runtime(
                        v,
                        &format!("The variable '{k}' is defined in an outer scope: a Parallel branch or Map iteration cannot assign it."),
                    ));
                }
                if self.core.options.record_payloads {
                    m.push((k.clone(), self.payload(&val)));
                }
                Progress::assign(&th.progress, &k, &val);
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
}

/// A context over a one-state definition, and a visit of that state, for the rooms'
/// unit tests.
#[cfg(test)]
fn with_visit<R>(definition: Value, f: impl FnOnce(&Ctx<'_>, &Visit<'_>, &mut Thread<'_>) -> R) -> R {
    let machine = crate::check::check(&definition).expect("a valid test definition");
    let core = Core {
        handlers: Vec::new(),
        mocks: crate::mock::Mocks::new(),
        machines: HashMap::new(),
        callbacks: Arc::default(),
        options: crate::executor::Options::default(),
        counter: Arc::default(),
    };
    let info = ExecInfo {
        name: Arc::from("e"),
        arn: Arc::from("arn:aws:states:us-east-1:111111111111:execution:sm:e"),
        sm_name: Arc::from("sm"),
        sm_arn: Arc::from("arn:aws:states:us-east-1:111111111111:stateMachine:sm"),
        role_arn: Arc::from("arn:aws:iam::111111111111:role/r"),
        start_ms: 0,
        input: json!({"in": true}),
        redrive_count: 0,
        redrive_ms: None,
    };
    let ctx = Ctx {
        machine: &machine,
        core: &core,
        info: &info,
        clock: Clock::automatic(0),
        history: Arc::default(),
        trace: Arc::default(),
        rng: Mutex::new(Rng::new(1)),
        inflight: Arc::default(),
        mock_counters: Mutex::new(HashMap::new()),
        invocations: Mutex::new(HashMap::new()),
        next_id: AtomicU64::new(1),
        history_full: AtomicBool::new(false),
        child_depth: 0,
    };
    let state = &machine.root.states[machine.root.start];
    let visit = Visit { state, entered_id: 2, entered_ms: 0, retry_count: 1, token: None, trace_idx: 0, redrive: None };
    let mut th = Thread::new(Scope::default(), 0, 0, None, Progress::new_ref());
    f(&ctx, &visit, &mut th)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_uuids_are_version_4_and_reproducible() {
        // Pinned from the generator as it was before `uuid` built the text: seeded
        // histories (execution names, request ids, `States.UUID()`) must not move.
        let mut r = Rng::new(0x5EED);
        assert_eq!(r.uuid(), "b6a3ee20-3ddf-4ea3-8971-f8563c36c6b5");
        assert_eq!(r.uuid(), "b189b37d-2153-4046-a816-e3853a056ed4");
        assert_eq!(r.next_u64(), 4_651_555_730_324_730_390, "a UUID takes exactly two draws");
        assert_eq!(Rng::new(0).uuid(), "6e789e6a-a1b9-45f4-86c4-5d188009454f");
    }

    #[test]
    fn inner_scopes_read_outer_variables_and_shadow_none() {
        let mut top = Scope::default();
        top.set(Arc::from("x"), json!(1));
        let mut branch = Scope::child(&top);
        branch.set(Arc::from("y"), json!(2));
        assert_eq!(branch.get("x"), Some(&json!(1)));
        assert_eq!(branch.get("y"), Some(&json!(2)));
        assert!(branch.in_outer("x"), "an outer variable may not be assigned in a branch");
        assert!(!branch.in_outer("y"));
        assert_eq!(top.get("y"), None, "a branch's variables do not leak out");
    }
}
