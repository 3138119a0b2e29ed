//! The public face: [`StateMachine`] (a checked definition), [`Executor`] (task
//! handlers, mocks, options) and [`Execution`] (a running execution: a future, plus
//! the callback API), with its [`ExecutionResult`].

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use serde_json::Value;

use crate::callback::{ActivityTask, CallbackError, Callbacks, PendingCallback};
use crate::check::{DefinitionError, check_as};
use crate::exec::{Begin, Ctx, End, ExecInfo, Resume, Rng, Stop};
use crate::history::{Event, TraceEntry, render_trace};
use crate::map_run::{MapRunLog, MapRunRecord};
use crate::mock::{Mock, Mocks};
use crate::model::Machine;
use crate::rt::{Clock, DriverWake, Signal, lock};
use crate::store::{HttpStore, MemoryStore, ObjectStore, StoreError};
use crate::task::TaskHandler;

/// The type of a state machine, chosen when it is created (AWS docs, "Standard vs.
/// Express Workflows": "The Type you choose cannot be changed after your state machine
/// has been created").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MachineType {
    /// Up to a year, exactly-once, redrivable, every integration pattern and activities.
    #[default]
    Standard,
    /// Up to five minutes; request-response integrations only (no `.sync`, no
    /// `.waitForTaskToken`), no activities, no Distributed Map, no redrive. An
    /// asynchronous Express execution is at-least-once on AWS (it may run more than
    /// once), a synchronous one at-most-once; here each start runs exactly once, so a
    /// test of idempotence must start the execution twice itself.
    Express,
}

/// How long an Express execution may run: "Maximum duration: 5 minutes" (AWS docs,
/// "Standard vs. Express Workflows").
pub const EXPRESS_MAX_EXECUTION_SECONDS: u64 = 300;

/// A checked state machine definition, ready to run many times. Cheap to clone.
#[derive(Clone)]
pub struct StateMachine {
    machine: Arc<Machine>,
    name: Arc<str>,
    kind: MachineType,
}

impl fmt::Debug for StateMachine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateMachine").field("name", &self.name).finish_non_exhaustive()
    }
}

impl StateMachine {
    /// Checks a definition (as `CreateStateMachine` would, for a `STANDARD` state
    /// machine) and compiles it.
    pub fn from_json(definition: &Value) -> Result<StateMachine, DefinitionError> {
        StateMachine::from_json_as(definition, MachineType::Standard)
    }

    /// Checks a definition as `CreateStateMachine` would for a state machine of this
    /// type, and compiles it. An `EXPRESS` definition may not use `.sync` or
    /// `.waitForTaskToken` resources, activities or a Distributed Map.
    pub fn from_json_as(definition: &Value, kind: MachineType) -> Result<StateMachine, DefinitionError> {
        let machine = check_as(definition, kind == MachineType::Express)?;
        Ok(StateMachine { machine: Arc::new(machine), name: Arc::from("StateMachine"), kind })
    }

    /// The state machine's type.
    pub fn machine_type(&self) -> MachineType {
        self.kind
    }

    /// Parses and checks a definition given as JSON text.
    pub fn from_json_str(definition: &str) -> Result<StateMachine, DefinitionError> {
        let v: Value = serde_json::from_str(definition).map_err(|e| DefinitionError {
            problems: vec![crate::check::Problem {
                code: "INVALID_JSON_DESCRIPTION",
                message: format!("the definition is not valid JSON: {e}"),
                location: String::new(),
            }],
        })?;
        StateMachine::from_json(&v)
    }

    /// Names the state machine (its ARN ends with this name; `$$.StateMachine.Name`).
    pub fn named(mut self, name: impl AsRef<str>) -> StateMachine {
        self.name = Arc::from(name.as_ref());
        self
    }

    /// The state machine's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn machine(&self) -> &Machine {
        &self.machine
    }
}

/// How an execution ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
}

impl Status {
    /// `SUCCEEDED`, `FAILED`, `TIMED_OUT`, `ABORTED`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Succeeded => "SUCCEEDED",
            Status::Failed => "FAILED",
            Status::TimedOut => "TIMED_OUT",
            Status::Aborted => "ABORTED",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of an execution.
#[derive(Debug, Clone)]
pub struct ExecutionResult {
    pub status: Status,
    /// The output of a succeeded execution.
    pub output: Option<Value>,
    /// The error of a failed (or timed out) execution; `None` for a `Fail` state
    /// without `Error`.
    pub error: Option<String>,
    pub cause: Option<String>,
    /// The events, shaped like `GetExecutionHistory`.
    pub history: Vec<Event>,
    /// One entry per state visited, for [`ExecutionResult::trace`].
    pub trace: Vec<TraceEntry>,
    pub execution_name: String,
    /// Virtual start and stop, milliseconds since the epoch. A redriven execution keeps
    /// the start of its first attempt.
    pub start_ms: i64,
    pub stop_ms: i64,
    /// How many times the execution was redriven (`RedriveCount`).
    pub redrive_count: u32,
    /// Where [`Executor::redrive`] continues an execution that did not succeed.
    pub(crate) redrive: Option<Arc<RedrivePoint>>,
}

/// What a redrive needs of an execution that did not succeed.
#[derive(Debug)]
pub(crate) struct RedrivePoint {
    machine: StateMachine,
    input: Value,
    resume: Resume,
}

/// A refused API call, with the error code Step Functions answers it with
/// (`ExecutionNotRedrivable`, `ValidationException`) and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    fn new(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { code, message: message.into() }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

/// A redrive is refused this long after the execution stopped (AWS docs, "Restarting
/// state machine executions with redrive", Redrive eligibility: "The workflow execution
/// hasn't exceeded the redrivable period of 14 days").
const REDRIVABLE_PERIOD_MS: i64 = 14 * 86_400_000;

/// `StopExecution`'s length constraints on `error` (256) and `cause` (32,768).
fn check_stop(error: Option<&str>, cause: Option<&str>) -> Result<Stop, ApiError> {
    let too_long = |what: &str, s: Option<&str>, max: usize| match s {
        Some(s) if s.chars().count() > max => Err(ApiError::new(
            "ValidationException",
            format!(
                "1 validation error detected: Value at '{what}' failed to satisfy constraint: Member must have length less than or equal to {max}"
            ),
        )),
        _ => Ok(()),
    };
    too_long("error", error, 256)?;
    too_long("cause", cause, 32_768)?;
    Ok(Stop { error: error.map(str::to_owned), cause: cause.map(str::to_owned) })
}

impl ExecutionResult {
    /// Whether the execution succeeded.
    pub fn succeeded(&self) -> bool {
        self.status == Status::Succeeded
    }

    /// Names of the states entered, in order (branches and iterations included).
    pub fn states_entered(&self) -> Vec<&str> {
        self.history.iter().filter(|e| e.event_type.ends_with("StateEntered")).filter_map(Event::name).collect()
    }

    /// The history as `GetExecutionHistory` returns it (`{"events": [...]}` items).
    pub fn history_json(&self) -> Value {
        Value::Array(self.history.iter().map(Event::to_json).collect())
    }

    /// Virtual time the execution took.
    pub fn duration(&self) -> Duration {
        Duration::from_millis((self.stop_ms - self.start_ms).max(0) as u64)
    }

    /// A readable trace: one line per state with type, status, virtual start,
    /// duration and retries.
    pub fn trace(&self) -> String {
        render_trace(&self.trace, self.start_ms)
    }
}

/// Options of an [`Executor`].
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) start_ms: i64,
    pub(crate) seed: u64,
    pub(crate) clock: Option<Clock>,
    pub(crate) hold_for_callbacks: bool,
    pub(crate) record_payloads: bool,
    pub(crate) lambda_sdk_metadata: bool,
    pub(crate) region: String,
    pub(crate) account: String,
    pub(crate) role_arn: String,
    pub(crate) map_concurrency_limit: usize,
    pub(crate) max_execution_seconds: u64,
    pub(crate) max_history_events: u64,
    /// What Distributed Maps read (`ItemReader`) and write (`ResultWriter`).
    pub(crate) object_store: Arc<dyn ObjectStore>,
    /// The Map Runs of the executions, for [`Executor::map_runs`].
    pub(crate) map_runs: MapRunLog,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            // 2024-01-01T00:00:00Z
            start_ms: 1_704_067_200_000,
            seed: 0x5EED,
            clock: None,
            hold_for_callbacks: false,
            record_payloads: true,
            lambda_sdk_metadata: true,
            region: "us-east-1".into(),
            account: "111111111111".into(),
            role_arn: "arn:aws:iam::111111111111:role/StepFunctionsRole".into(),
            map_concurrency_limit: 40,
            // Standard executions run at most one year, and record at most 25,000 events.
            max_execution_seconds: crate::limits::MAX_EXECUTION_SECONDS,
            max_history_events: crate::limits::MAX_HISTORY_EVENTS,
            object_store: Arc::new(MemoryStore::new()),
            map_runs: MapRunLog::default(),
        }
    }
}

/// What every execution of an executor shares.
#[derive(Clone)]
pub(crate) struct Core {
    pub(crate) handlers: Vec<Arc<dyn TaskHandler>>,
    pub(crate) mocks: Mocks,
    pub(crate) machines: HashMap<String, StateMachine>,
    pub(crate) callbacks: Arc<Callbacks>,
    pub(crate) options: Options,
    pub(crate) counter: Arc<AtomicU64>,
}

impl Core {
    /// A registered machine by ARN, name, or `${Name}` placeholder.
    pub(crate) fn machine_for(&self, arn: &str) -> Option<&StateMachine> {
        let key = crate::exec::placeholder(arn).unwrap_or(arn);
        self.machines.get(key).or_else(|| self.machines.get(key.rsplit(':').next().unwrap_or(key)))
    }
}

/// Runs state machines: holds the task handlers, mocks, registered child state
/// machines and options. Cheap to clone; clones share the task-token registry.
///
/// ```
/// use serde_json::json;
/// use stepcraft_local::{Executor, Mock, StateMachine};
///
/// let sm = StateMachine::from_json(&json!({
///     "QueryLanguage": "JSONata",
///     "StartAt": "Charge",
///     "States": {
///         "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
///                    "Arguments": {"FunctionName": "charge", "Payload": "{% $states.input %}"},
///                    "Output": "{% $states.result.Payload %}", "End": true}
///     }
/// })).unwrap();
/// let ex = Executor::new().mock_state("Charge", Mock::returns(json!({"ok": true})));
/// let result = ex.run_blocking(&sm, json!({"total": 10}));
/// assert_eq!(result.output, Some(json!({"ok": true})));
/// assert_eq!(result.states_entered(), ["Charge"]);
/// ```
#[derive(Clone)]
pub struct Executor {
    core: Arc<Core>,
}

impl fmt::Debug for Executor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Executor")
            .field("handlers", &self.core.handlers.len())
            .field("machines", &self.core.machines.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Default for Executor {
    fn default() -> Self {
        Executor::new()
    }
}

impl Executor {
    /// No handlers, no mocks, default options.
    pub fn new() -> Executor {
        Executor {
            core: Arc::new(Core {
                handlers: Vec::new(),
                mocks: Mocks::new(),
                machines: HashMap::new(),
                callbacks: Arc::new(Callbacks::default()),
                options: Options::default(),
                counter: Arc::new(AtomicU64::new(0)),
            }),
        }
    }

    fn core_mut(&mut self) -> &mut Core {
        Arc::make_mut(&mut self.core)
    }

    /// Adds a task handler; handlers are asked in the order added, after mocks.
    pub fn handler(mut self, handler: impl TaskHandler) -> Executor {
        self.core_mut().handlers.push(Arc::new(handler));
        self
    }

    /// Uses these mocks (replacing earlier ones).
    pub fn mocks(mut self, mocks: Mocks) -> Executor {
        self.core_mut().mocks = mocks;
        self
    }

    /// Mocks the Task state `state`.
    pub fn mock_state(mut self, state: impl Into<String>, mock: Mock) -> Executor {
        let c = self.core_mut();
        c.mocks = std::mem::take(&mut c.mocks).state(state, mock);
        self
    }

    /// Mocks every call of the Lambda function `name`.
    pub fn mock_function(mut self, name: impl Into<String>, mock: Mock) -> Executor {
        let c = self.core_mut();
        c.mocks = std::mem::take(&mut c.mocks).function(name, mock);
        self
    }

    /// Makes `machine` callable by `states:startExecution` under its name.
    pub fn register(mut self, machine: StateMachine) -> Executor {
        let c = self.core_mut();
        let name = machine.name().to_string();
        let arn = format!("arn:aws:states:{}:{}:stateMachine:{name}", c.options.region, c.options.account);
        c.machines.insert(arn, machine.clone());
        c.machines.insert(name, machine);
        self
    }

    /// Makes `machine` callable by `states:startExecution` with `StateMachineArn`
    /// equal to `key` (an ARN, a name, or the name in a `${Name}` placeholder).
    pub fn register_as(mut self, key: impl Into<String>, machine: StateMachine) -> Executor {
        self.core_mut().machines.insert(key.into(), machine);
        self
    }

    /// Virtual time at which executions start (ms since the epoch; default
    /// 2024-01-01T00:00:00Z). Ignored with a shared [`Executor::clock`].
    pub fn start_time_ms(mut self, ms: i64) -> Executor {
        self.core_mut().options.start_ms = ms;
        self
    }

    /// Starts executions at the current wall-clock time (truncated to the
    /// millisecond), as AWS would: a `Wait` until a real timestamp then waits as
    /// long as it would in production. Histories then differ from run to run.
    pub fn start_time_now(self) -> Executor {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        self.start_time_ms(ms)
    }

    /// Seeds the random generator (jitter, `States.MathRandom`, `$random()`, UUIDs).
    pub fn seed(mut self, seed: u64) -> Executor {
        self.core_mut().options.seed = seed;
        self
    }

    /// Runs every execution on this clock. With a [`Clock::manual`] clock, executions
    /// park in waits until the clock is advanced.
    pub fn clock(mut self, clock: Clock) -> Executor {
        self.core_mut().options.clock = Some(clock);
        self
    }

    /// With an automatic clock, do not move time while a task waits for its token:
    /// the callback is expected from elsewhere (another task or thread).
    pub fn hold_time_for_callbacks(mut self, hold: bool) -> Executor {
        self.core_mut().options.hold_for_callbacks = hold;
        self
    }

    /// Record inputs and outputs in history events (default); `false` keeps only
    /// types, names and times, which is faster.
    pub fn record_payloads(mut self, record: bool) -> Executor {
        self.core_mut().options.record_payloads = record;
        self
    }

    /// Include `SdkHttpMetadata`/`SdkResponseMetadata` in `lambda:invoke` results
    /// (default, as AWS does).
    pub fn lambda_sdk_metadata(mut self, include: bool) -> Executor {
        self.core_mut().options.lambda_sdk_metadata = include;
        self
    }

    /// How many iterations of a Map without `MaxConcurrency` run at once (default 40).
    pub fn map_concurrency_limit(mut self, limit: usize) -> Executor {
        self.core_mut().options.map_concurrency_limit = limit;
        self
    }

    /// Where Distributed Maps read their `ItemReader` objects and write their
    /// `ResultWriter` files (default: an empty [`MemoryStore`] of this executor's own). Give
    /// a [`MemoryStore`] filled beforehand, to read back what was written, or an
    /// [`HttpStore`] for an S3-compatible server.
    pub fn object_store(mut self, store: impl ObjectStore + 'static) -> Executor {
        self.core_mut().options.object_store = Arc::new(store);
        self
    }

    /// Reads and writes a Distributed Map's objects on the S3-compatible server at
    /// `endpoint` (`http://127.0.0.1:5000`, path-style, unsigned; for signed requests give
    /// [`Executor::object_store`] an [`HttpStore::signed`]).
    pub fn object_store_endpoint(self, endpoint: &str) -> Result<Executor, StoreError> {
        Ok(self.object_store(HttpStore::new(endpoint)?))
    }

    /// The Map Runs of Distributed Map states this executor (and its clones) ran, in the
    /// order they ended: each child execution with its status, input, output or error and
    /// its own history (`DescribeMapRun`, `ListExecutions` with a `mapRunArn`,
    /// `GetExecutionHistory` of a child).
    pub fn map_runs(&self) -> Vec<MapRunRecord> {
        lock(&self.core.options.map_runs.0).clone()
    }

    /// The task-token registry (`SendTaskSuccess`, `SendTaskFailure`, `SendTaskHeartbeat`).
    pub fn callbacks(&self) -> &Callbacks {
        &self.core.callbacks
    }

    /// `SendTaskSuccess`.
    pub fn send_task_success(&self, token: &str, output: Value) -> Result<(), CallbackError> {
        self.core.callbacks.send_task_success(token, output)
    }

    /// `SendTaskFailure`.
    pub fn send_task_failure(&self, token: &str, error: &str, cause: &str) -> Result<(), CallbackError> {
        self.core.callbacks.send_task_failure(token, error, cause)
    }

    /// `SendTaskHeartbeat`.
    pub fn send_task_heartbeat(&self, token: &str) -> Result<(), CallbackError> {
        self.core.callbacks.send_task_heartbeat(token)
    }

    /// The task-token registry, to share with another thread (the activity endpoint).
    pub(crate) fn shared_callbacks(&self) -> Arc<Callbacks> {
        self.core.callbacks.clone()
    }

    /// `GetActivityTask`: the oldest task of the activity `activity_arn` that no worker
    /// has taken yet, now taken by `worker_name`; `None` when there is none.
    pub fn get_activity_task(&self, activity_arn: &str, worker_name: Option<&str>) -> Option<ActivityTask> {
        self.core.callbacks.get_activity_task(activity_arn, worker_name)
    }

    /// `GetActivityTask`, long-polling: completes when a task of the activity is there.
    pub async fn poll_activity_task(&self, activity_arn: &str, worker_name: Option<&str>) -> ActivityTask {
        self.core.callbacks.poll_activity_task(activity_arn, worker_name).await
    }

    /// Starts an execution; it runs when polled (await it, or spawn it). This is the engine:
    /// the checks `StartExecution` makes of its request (the name, an input of at most 256
    /// KiB) are [`crate::limits::start_execution`], which `stepcraft local`, a binary's `run`,
    /// `stepcraft::local::Local` and native runs apply before they start anything.
    pub fn start(&self, machine: &StateMachine, input: Value) -> Execution {
        let n = self.core.counter.fetch_add(1, Ordering::Relaxed);
        self.start_named(machine, input, &format!("execution-{n}"))
    }

    /// Starts an execution with a given name.
    pub fn start_named(&self, machine: &StateMachine, input: Value, name: &str) -> Execution {
        let clock = match &self.core.options.clock {
            Some(c) => c.clone(),
            None => Clock::automatic(self.core.options.start_ms),
        };
        let start_ms = clock.now_ms();
        self.launch(Launch { machine: machine.clone(), input, name: Arc::from(name), clock, start_ms, redrive: None })
    }

    /// `RedriveExecution`: continues an execution that failed, timed out or was
    /// stopped, from where it stopped, with the same definition, name and input. The
    /// states that succeeded do not run again; the state that failed (or was running)
    /// is entered again with the input it had, with its retry count and timeout reset;
    /// a Parallel or Map there reruns only the branches and iterations that failed or
    /// were aborted (all of them if it failed with `States.DataLimitExceeded`). The
    /// history continues the previous one after an `ExecutionRedriven` event;
    /// `$$.Execution.RedriveCount` counts the redrives.
    ///
    /// The redrive happens at the time of the executor's shared [`Executor::clock`],
    /// else right when the execution stopped. Refused (`ExecutionNotRedrivable`) for a
    /// succeeded execution, more than 14 days after it stopped, once it has been open a
    /// year, or with 24,999 events or more in its history.
    pub fn redrive(&self, previous: &ExecutionResult) -> Result<Execution, ApiError> {
        let refuse = |why: &str| Err(ApiError::new("ExecutionNotRedrivable", why));
        if previous.status == Status::Succeeded {
            return refuse("Execution is SUCCEEDED and cannot be redriven.");
        }
        let Some(point) = previous.redrive.clone() else {
            return refuse("Execution stopped before entering a state and cannot be redriven.");
        };
        // "Redrive is not supported by EXPRESS state machines" (AWS docs, "Restarting state
        // machine executions with redrive", Redrive eligibility).
        if point.machine.kind == MachineType::Express {
            return refuse("Execution belongs to an EXPRESS state machine and cannot be redriven.");
        }
        let opts = &self.core.options;
        let clock = match &opts.clock {
            Some(c) => c.clone(),
            None => Clock::automatic(previous.stop_ms),
        };
        let now = clock.now_ms();
        if now - previous.stop_ms > REDRIVABLE_PERIOD_MS {
            return refuse("Execution redrivable period exceeded.");
        }
        if now - previous.start_ms >= (opts.max_execution_seconds as i64).saturating_mul(1000) {
            return refuse("Execution has exceeded the max execution time.");
        }
        // Room for `ExecutionRedriven` and one more event.
        if previous.history.len() as u64 >= opts.max_history_events.saturating_sub(1) {
            return refuse("Execution history event limit exceeded.");
        }
        Ok(self.launch(Launch {
            machine: point.machine.clone(),
            input: point.input.clone(),
            name: Arc::from(previous.execution_name.as_str()),
            clock,
            start_ms: previous.start_ms,
            redrive: Some(Redriven {
                count: previous.redrive_count + 1,
                at_ms: now,
                point,
                history: previous.history.clone(),
                trace: previous.trace.clone(),
            }),
        }))
    }

    fn launch(&self, l: Launch) -> Execution {
        let core = match l.machine.kind {
            MachineType::Standard => self.core.clone(),
            // An Express execution runs at most five minutes and its history has no event
            // cap ("Unlimited execution history", AWS docs, "Standard vs. Express Workflows").
            MachineType::Express => {
                let mut c = (*self.core).clone();
                c.options.max_execution_seconds = EXPRESS_MAX_EXECUTION_SECONDS;
                c.options.max_history_events = u64::MAX;
                Arc::new(c)
            }
        };
        let manual = l.clock.is_manual();
        let clock = l.clock.clone();
        let inflight = Arc::new(AtomicUsize::new(0));
        let name = l.name.clone();
        // A redrive draws other numbers (task tokens, UUIDs) than the attempt before it.
        let attempt = l.redrive.as_ref().map_or(0, |r| u64::from(r.count));
        let seed = core.options.seed
            ^ (self.core.counter.load(Ordering::Relaxed)).wrapping_mul(0x2545_F491_4F6C_DD1D)
            ^ attempt.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let shared = Shared::default();
        let fut = run(core.clone(), l, inflight.clone(), seed, shared.clone());
        Execution {
            shared,
            fut: Some(Box::pin(fut)),
            done: None,
            driver: DriverWake::new(),
            clock,
            manual,
            inflight,
            core,
            name,
            seen_callbacks: Vec::new(),
        }
    }

    /// Runs an execution to its end.
    pub async fn run(&self, machine: &StateMachine, input: Value) -> ExecutionResult {
        self.start(machine, input).await
    }

    /// Runs an execution to its end on the current thread.
    pub fn run_blocking(&self, machine: &StateMachine, input: Value) -> ExecutionResult {
        crate::rt::block_on(self.start(machine, input))
    }
}

/// What an execution shares with its [`Execution`] handle.
#[derive(Clone, Default)]
struct Shared {
    stop: Arc<Signal<Stop>>,
}

/// What an execution is started with.
struct Launch {
    machine: StateMachine,
    input: Value,
    name: Arc<str>,
    clock: Clock,
    /// The start of its first attempt.
    start_ms: i64,
    redrive: Option<Redriven>,
}

/// A redriven execution: its count, when, where it resumes, and the previous attempts.
struct Redriven {
    count: u32,
    at_ms: i64,
    point: Arc<RedrivePoint>,
    history: Vec<Event>,
    trace: Vec<TraceEntry>,
}

async fn run(core: Arc<Core>, l: Launch, inflight: Arc<AtomicUsize>, seed: u64, shared: Shared) -> ExecutionResult {
    let opts = &core.options;
    let Launch { machine: sm, input, name, clock, start_ms, redrive } = l;
    let sm_name = sm.name.clone();
    let info = ExecInfo {
        arn: Arc::from(format!("arn:aws:states:{}:{}:execution:{sm_name}:{name}", opts.region, opts.account)),
        sm_arn: Arc::from(format!("arn:aws:states:{}:{}:stateMachine:{sm_name}", opts.region, opts.account)),
        sm_name,
        role_arn: Arc::from(opts.role_arn.as_str()),
        name: name.clone(),
        start_ms,
        input,
        redrive_count: redrive.as_ref().map_or(0, |r| r.count),
        redrive_ms: redrive.as_ref().map(|r| r.at_ms),
    };
    let (history, trace, last_event) = match &redrive {
        Some(r) => (r.history.clone(), r.trace.clone(), r.history.last().map_or(0, |e| e.id)),
        None => (Vec::new(), Vec::new(), 0),
    };
    let ctx = Ctx {
        machine: sm.machine(),
        core: &core,
        info: &info,
        clock: clock.clone(),
        history: Arc::new(Mutex::new(history)),
        trace: Arc::new(Mutex::new(trace)),
        rng: Mutex::new(Rng::new(seed)),
        inflight,
        mock_counters: Mutex::new(HashMap::new()),
        invocations: Mutex::new(HashMap::new()),
        next_id: AtomicU64::new(last_event + 1),
        history_full: std::sync::atomic::AtomicBool::new(false),
        child_depth: 0,
    };
    let begin = match &redrive {
        Some(r) => Begin::Redrive { resume: &r.point.resume, last_event },
        None => Begin::Start,
    };
    let (end, resume) = ctx.run_execution(begin, &shared.stop).await;
    let stop_ms = clock.now_ms();
    let history = std::mem::take(&mut *lock(&ctx.history));
    let trace = std::mem::take(&mut *lock(&ctx.trace));
    let (status, output, error, cause) = match end {
        End::Succeeded(v) => (Status::Succeeded, Some(v), None, None),
        End::Failed(f) => (Status::Failed, None, if f.error.is_empty() { None } else { Some(f.error) }, f.cause),
        End::TimedOut => (Status::TimedOut, None, Some("States.Timeout".to_string()), None),
        End::Aborted(error, cause) => (Status::Aborted, None, error, cause),
    };
    let redrive_point =
        resume.map(|resume| Arc::new(RedrivePoint { machine: sm.clone(), input: info.input.clone(), resume }));
    ExecutionResult {
        status,
        output,
        error,
        cause,
        history,
        trace,
        execution_name: name.to_string(),
        start_ms,
        stop_ms,
        redrive_count: info.redrive_count,
        redrive: redrive_point,
    }
}

/// Stops one execution (`StopExecution`) from wherever it is held; see
/// [`Execution::stopper`].
#[derive(Clone)]
pub struct Stopper {
    stop: Arc<Signal<Stop>>,
}

impl fmt::Debug for Stopper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stopper").finish_non_exhaustive()
    }
}

impl Stopper {
    /// Asks the execution to stop with this error and cause: it ends `ABORTED` as soon
    /// as it is polled (awaiting it gives the result). No effect once it has ended, or
    /// after a first stop. Refused (`ValidationException`) for an error over 256
    /// characters or a cause over 32,768.
    pub fn stop(&self, error: Option<&str>, cause: Option<&str>) -> Result<(), ApiError> {
        self.stop.set(check_stop(error, cause)?);
        Ok(())
    }
}

/// How far [`Execution::poll_drive`] goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Drive {
    ToEnd,
    UntilCallback,
    UntilIdle,
}

/// A running execution. Await it for the [`ExecutionResult`]; while it waits for a
/// task token, answer it with [`Execution::send_task_success`] and friends.
pub struct Execution {
    fut: Option<Pin<Box<dyn Future<Output = ExecutionResult> + Send>>>,
    shared: Shared,
    done: Option<ExecutionResult>,
    driver: Arc<DriverWake>,
    clock: Clock,
    manual: bool,
    inflight: Arc<AtomicUsize>,
    core: Arc<Core>,
    name: Arc<str>,
    seen_callbacks: Vec<String>,
}

impl fmt::Debug for Execution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Execution")
            .field("name", &self.name)
            .field("done", &self.done.is_some())
            .finish_non_exhaustive()
    }
}

impl Execution {
    /// The execution's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The execution's clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// `StopExecution`: ends the execution now with status `ABORTED`, this error and
    /// cause, and an `ExecutionAborted` event (tasks in flight are dropped, their task
    /// tokens die), and returns its result, which [`Executor::redrive`] can continue
    /// from the states that were running. The result of an execution that already ended
    /// is returned unchanged. Refused (`ValidationException`) for an error over 256
    /// characters or a cause over 32,768.
    pub fn stop(mut self, error: Option<&str>, cause: Option<&str>) -> Result<ExecutionResult, ApiError> {
        let stop = check_stop(error, cause)?;
        if let Some(done) = self.done.take() {
            return Ok(done);
        }
        self.shared.stop.set(stop);
        // The run ends at its next poll, before anything else moves.
        let _ = crate::rt::block_on(std::future::poll_fn(|cx| self.poll_drive(cx, Drive::ToEnd)));
        Ok(self.done.take().expect("a stopped execution has ended"))
    }

    /// A handle that stops this execution from elsewhere (another task or thread),
    /// for an execution spawned on a runtime.
    pub fn stopper(&self) -> Stopper {
        Stopper { stop: self.shared.stop.clone() }
    }

    /// Moves this execution's virtual time forward (firing timeouts, waits, …).
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// `SendTaskSuccess`.
    pub fn send_task_success(&self, token: &str, output: Value) -> Result<(), CallbackError> {
        self.core.callbacks.send_task_success(token, output)
    }

    /// `SendTaskFailure`.
    pub fn send_task_failure(&self, token: &str, error: &str, cause: &str) -> Result<(), CallbackError> {
        self.core.callbacks.send_task_failure(token, error, cause)
    }

    /// `SendTaskHeartbeat`.
    pub fn send_task_heartbeat(&self, token: &str) -> Result<(), CallbackError> {
        self.core.callbacks.send_task_heartbeat(token)
    }

    /// Runs the execution until one of its tasks waits for a token it has not
    /// reported yet, and reports it; `None` once the execution has ended (await the
    /// execution for its result).
    pub async fn next_callback(&mut self) -> Option<PendingCallback> {
        std::future::poll_fn(|cx| self.poll_drive(cx, Drive::UntilCallback)).await.err()
    }

    /// Runs the execution as far as it goes without virtual time passing: until it
    /// ends, or waits only for timers and task tokens. Returns whether it ended.
    /// Use it after [`Execution::advance`] or a `SendTask*` call to let the
    /// execution react before time moves on.
    pub async fn run_until_idle(&mut self) -> bool {
        let _ = std::future::poll_fn(|cx| self.poll_drive(cx, Drive::UntilIdle)).await;
        self.done.is_some()
    }

    fn new_callback(&mut self) -> Option<PendingCallback> {
        let pending = self.core.callbacks.pending();
        let cb =
            pending.into_iter().find(|p| *p.execution_name == *self.name && !self.seen_callbacks.contains(&p.token))?;
        self.seen_callbacks.push(cb.token.clone());
        Some(cb)
    }

    /// Drives the execution. `Ok(())` when it ended (or, with `UntilIdle`, when
    /// only time could move it on); `Err(callback)` with `UntilCallback` when a new
    /// callback is pending.
    fn poll_drive(&mut self, cx: &mut Context<'_>, mode: Drive) -> Poll<Result<(), PendingCallback>> {
        if self.done.is_some() {
            return Poll::Ready(Ok(()));
        }
        self.driver.set_outer(cx.waker());
        let waker = Waker::from(self.driver.clone());
        loop {
            self.driver.dirty.store(false, Ordering::Release);
            let Some(fut) = self.fut.as_mut() else { return Poll::Ready(Ok(())) };
            if let Poll::Ready(r) = fut.as_mut().poll(&mut Context::from_waker(&waker)) {
                self.done = Some(r);
                self.fut = None;
                return Poll::Ready(Ok(()));
            }
            if mode == Drive::UntilCallback
                && let Some(cb) = self.new_callback()
            {
                return Poll::Ready(Err(cb));
            }
            if self.driver.dirty.load(Ordering::Acquire) {
                continue;
            }
            if mode == Drive::UntilIdle && self.inflight.load(Ordering::Acquire) == 0 {
                return Poll::Ready(Ok(()));
            }
            if self.manual || self.inflight.load(Ordering::Acquire) > 0 {
                return Poll::Pending;
            }
            if self.core.options.hold_for_callbacks && self.core.callbacks.has_pending_for(&self.name) {
                return Poll::Pending;
            }
            // An activity's worker lives outside virtual time: time stands still while a
            // task waits for one, or for its answer (move it with `advance`).
            if self.core.callbacks.has_activity_for(&self.name) {
                return Poll::Pending;
            }
            if !self.clock.advance_to_next() {
                return Poll::Pending;
            }
        }
    }
}

impl Future for Execution {
    type Output = ExecutionResult;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<ExecutionResult> {
        match self.poll_drive(cx, Drive::ToEnd) {
            Poll::Ready(_) => Poll::Ready(self.done.take().expect("the execution has ended")),
            Poll::Pending => Poll::Pending,
        }
    }
}
