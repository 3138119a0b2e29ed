//! Runs a workflow's state machine in-process, in virtual time, with the real activities: the
//! emitted ASL (not the Rust body) is executed by `stepcraft-local`, so a test exercises exactly
//! what ships.
//!
//! ```ignore
//! #[tokio::test]
//! async fn a_declined_card_releases_the_hold() {
//!     let run = Local::new()
//!         .host::<reserve_inventory>()
//!         .host::<charge_payment>()
//!         .host::<release_inventory>()
//!         .run::<checkout>(&order_paid_with("4000000000000002"))
//!         .await;
//!     assert_eq!(run.error.as_deref(), Some("CardDeclined"));
//!     assert!(run.states_entered().contains(&"ReleaseInventory"));
//! }
//! ```
//!
//! Placeholders are resolved as the deployment template would: `${ChargePayment}` becomes the
//! hosted activity `charge_payment`, `${CheckoutStateMachine}` the hosted workflow `Checkout`.
//! Tasks nobody hosts are answered by mocks (per state or function, per attempt), or by a
//! Step Functions Local mock configuration.

use crate::callback::{self, TaskToken};
use crate::handler::{Entry, Host, Kind, LocalInvoke};
use crate::workflow::{Workflow, placeholder};
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use stepcraft_local::{TaskFuture, TaskHandler};

pub use stepcraft_local::{
    Callback, DefinitionError, Event, ExecutionResult, Executor, Mock, MockConfig, Mocks, StateMachine, Status,
    TaskFailure, TaskRequest, TaskResponse, TraceEntry, format_timestamp, parse_timestamp,
};

/// What an interceptor (see [`Local::intercept`]) does with a task.
pub enum Intercept {
    /// Nothing: the hosted activity answers.
    Pass,
    /// This answers instead of the activity (an injected failure, a service error, …).
    Respond(TaskResponse),
    /// The activity answers, then this changes the response (e.g. completes a callback).
    After(Box<dyn FnOnce(TaskResponse) -> TaskResponse + Send>),
}

impl std::fmt::Debug for Intercept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Intercept::Pass => f.write_str("Pass"),
            Intercept::Respond(response) => f.debug_tuple("Respond").field(response).finish(),
            Intercept::After(_) => f.write_str("After(..)"),
        }
    }
}

type Interceptor = Arc<dyn Fn(&TaskRequest) -> Intercept + Send + Sync>;

/// A local Step Functions for a set of hosted activities and workflows.
#[derive(Clone, Default)]
pub struct Local {
    entries: Vec<Entry>,
    interceptors: Vec<Interceptor>,
    mocks: Vec<(Target, Mock)>,
    mock_config: Option<(MockConfig, String)>,
    seed: Option<u64>,
}

#[derive(Clone)]
enum Target {
    State(String),
    Function(String),
}

impl std::fmt::Debug for Local {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.entries.iter().map(|e| e.name).collect();
        f.debug_struct("Local").field("hosted", &names).finish_non_exhaustive()
    }
}

impl Local {
    /// A local Step Functions hosting nothing yet.
    pub fn new() -> Self {
        Local::default()
    }

    /// Hosts an activity (its tasks call it in-process) or a workflow (its child executions
    /// run it).
    pub fn host<T: Host>(mut self, _: T) -> Self {
        self.entries.push(T::entry());
        self
    }

    /// Hosts every function of a binary's table (what `stepcraft::main!` lists).
    pub fn hosting(mut self, entries: &[Entry]) -> Self {
        self.entries.extend_from_slice(entries);
        self
    }

    /// Answers the tasks of state `state` with `mock` instead of the hosted activity.
    pub fn mock_state(mut self, state: impl Into<String>, mock: Mock) -> Self {
        self.mocks.push((Target::State(state.into()), mock));
        self
    }

    /// Answers the calls of function `name` (an activity's name) with `mock`.
    pub fn mock_function(mut self, name: impl Into<String>, mock: Mock) -> Self {
        self.mocks.push((Target::Function(name.into()), mock));
        self
    }

    /// Answers tasks from a Step Functions Local mock configuration's test case.
    pub fn mock_config(mut self, config: MockConfig, test_case: impl Into<String>) -> Self {
        self.mock_config = Some((config, test_case.into()));
        self
    }

    /// Lets `interceptor` see every task the hosted activities answer, before they do: to
    /// inject a failure on chosen attempts (`request.attempt` counts retries from 0), a Lambda
    /// service error, or a callback's completion.
    pub fn intercept(mut self, interceptor: impl Fn(&TaskRequest) -> Intercept + Send + Sync + 'static) -> Self {
        self.interceptors.push(Arc::new(interceptor));
        self
    }

    /// Seeds the random jitter of retries (`JitterStrategy: FULL`).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// The state machine of hosted workflow `name` (its state machine or function name), its
    /// placeholders resolved.
    pub fn state_machine(&self, name: &str) -> Result<StateMachine, String> {
        let entry = self.workflow_entry(name)?;
        let definition = (entry.definition.expect("workflows have definitions"))();
        let machine = StateMachine::from_json_str(&self.resolve(&definition))
            .map_err(|e| format!("the definition of `{}` is not valid: {e}", entry.name))?;
        Ok(machine.named(entry.name))
    }

    fn workflow_entry(&self, name: &str) -> Result<&Entry, String> {
        let normal = |n: &str| n.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_lowercase();
        self.entries
            .iter()
            .filter(|e| e.kind == Kind::Workflow)
            .find(|e| e.name == name || normal(e.name) == normal(name))
            .ok_or_else(|| format!("no workflow `{name}` is hosted"))
    }

    /// `${Name}` placeholders → the hosted function or state machine they stand for.
    fn resolve(&self, definition: &str) -> String {
        let mut text = definition.to_owned();
        for entry in &self.entries {
            let (from, to) = match entry.kind {
                Kind::Workflow => (placeholder(entry.name, "StateMachine"), entry.name),
                _ => (placeholder(entry.name, ""), entry.name),
            };
            text = text.replace(&format!("\"{from}\""), &format!("\"{to}\""));
        }
        text
    }

    /// The executor, with every hosted workflow registered and the hosted activities answering
    /// tasks. Use it for what `Local` does not wrap (callbacks, manual clocks, …).
    pub fn executor(&self) -> Result<Executor, String> {
        let mut mocks = match &self.mock_config {
            Some((config, test_case)) => config.mocks(None, test_case)?,
            None => Mocks::new(),
        };
        for (target, mock) in &self.mocks {
            mocks = match target {
                Target::State(state) => mocks.state(state.clone(), mock.clone()),
                Target::Function(name) => mocks.function(name.clone(), mock.clone()),
            };
        }
        let mut executor = Executor::new().mocks(mocks).handler(Activities::new(&self.entries, &self.interceptors));
        if let Some(seed) = self.seed {
            executor = executor.seed(seed);
        }
        for entry in self.entries.iter().filter(|e| e.kind == Kind::Workflow) {
            executor = executor.register(self.state_machine(entry.name)?);
        }
        Ok(executor)
    }

    /// Runs workflow `W` to its end with `input`. Panics, saying why, if `StartExecution`
    /// would refuse the input (over 256 KiB): no execution starts.
    pub async fn run<W: Workflow>(&self, input: &W::Input) -> ExecutionResult {
        let input = serde_json::to_value(input).expect("a workflow's input serialises");
        let mut local = self.clone();
        if local.workflow_entry(W::NAME).is_err() {
            local.entries.push(Entry::workflow::<W>());
        }
        match local.run_json(W::NAME, input).await {
            Ok(result) => result,
            Err(message) => panic!("{message}"),
        }
    }

    /// Runs hosted workflow `name` to its end with a JSON input. An input `StartExecution`
    /// would refuse (over 256 KiB) starts no execution: the error says why.
    pub async fn run_json(&self, name: &str, input: Value) -> Result<ExecutionResult, String> {
        stepcraft_local::limits::execution_input_value(&input)
            .map_err(|e| format!("StartExecution refuses the input of `{name}`: {e}"))?;
        let machine = self.state_machine(name)?;
        let executor = self.executor()?;
        Ok(executor.run(&machine, input).await)
    }
}

thread_local! {
    /// The tokio runtime activities run on when the executor is driven outside one.
    static ACTIVITY_RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("a current-thread tokio runtime builds");
}

/// The hosted activities, answering Lambda tasks by function name.
struct Activities {
    entries: Arc<Vec<(&'static str, LocalInvoke)>>,
    interceptors: Arc<Vec<Interceptor>>,
}

impl Activities {
    fn new(entries: &[Entry], interceptors: &[Interceptor]) -> Self {
        let entries = entries.iter().filter_map(|e| e.local.map(|f| (e.name, f))).collect();
        Activities { entries: Arc::new(entries), interceptors: Arc::new(interceptors.to_vec()) }
    }
}

impl TaskHandler for Activities {
    fn call(&self, request: TaskRequest) -> Option<TaskFuture> {
        let name = request.function_name.as_deref()?;
        let (_, invoke) = *self.entries.iter().find(|(n, _)| *n == name)?;
        let mut after = None;
        for interceptor in self.interceptors.iter() {
            match interceptor(&request) {
                Intercept::Pass => {}
                Intercept::Respond(response) => return Some(Box::pin(async move { response })),
                Intercept::After(change) => {
                    after = Some(change);
                    break;
                }
            }
        }
        let response = self.answer(invoke, request);
        Some(match after {
            Some(change) => Box::pin(async move { change(response.await) }),
            None => response,
        })
    }
}

impl Activities {
    fn answer(&self, invoke: LocalInvoke, request: TaskRequest) -> TaskFuture {
        let token = request.task_token.clone();
        Box::pin(async move {
            // A callback activity may complete its own token (in tests, an approver that
            // answers at once): the completion is handed to the executor as the callback.
            let completion = token.as_ref().map(|t| callback::register_local(&TaskToken(t.clone())));
            let outcome = match tokio::runtime::Handle::try_current() {
                Ok(_) => invoke(request.payload).await,
                // Run outside tokio (`Executor::run_blocking`): activities still get its timers
                // and I/O, on a runtime of their own whose clock is paused, as under `invoke`.
                Err(_) => ACTIVITY_RUNTIME.with(|runtime| runtime.block_on(invoke(request.payload))),
            };
            let callback = completion.and_then(|mut receiver| receiver.try_recv().ok()).map(|outcome| {
                let callback = match outcome {
                    Ok(value) => Callback::Success(value),
                    Err(e) => Callback::Failure(TaskFailure::new(e.name, e.cause)),
                };
                (callback, Duration::ZERO)
            });
            if let Some(t) = &token {
                callback::forget_local(&TaskToken(t.clone()));
            }
            let mut response = match outcome {
                Ok(value) => TaskResponse::ok(value),
                Err(error) => TaskResponse::fail(TaskFailure::function_error(error.error_type, error.message)),
            };
            response.callback = callback;
            response
        })
    }
}

/// A workflow's input, as JSON, for [`Local::run_json`].
pub fn input_json(input: &impl Serialize) -> Value {
    serde_json::to_value(input).expect("inputs serialise")
}
