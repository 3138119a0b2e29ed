//! A local AWS Step Functions executor: runs Amazon States Language state machines
//! in-process, in virtual time, agreeing with AWS Step Functions.
//!
//! * [`StateMachine::from_json`] checks a definition once (as `CreateStateMachine`
//!   would) and compiles it: paths, intrinsic functions, JSONata expressions.
//! * [`Executor`] runs it many times: Task states are answered by [`Mock`]s, by
//!   Step Functions Local mock configurations ([`MockConfig`]) or by a
//!   [`TaskHandler`] (an async function of a [`TaskRequest`]).
//! * Time is virtual: `Wait` states, retry back-offs, task durations and timeouts
//!   move a [`Clock`], so a workflow that waits a day finishes in microseconds.
//! * The [`ExecutionResult`] holds the status, output or error and cause, the
//!   history (events named and shaped like `GetExecutionHistory`) and a readable
//!   trace.
//! * [`Executor::redrive`] is `RedriveExecution`, [`Execution::stop`] (or a
//!   [`Stopper`]) `StopExecution`; activity tasks wait for workers polling
//!   [`Executor::get_activity_task`], in-process or through an [`ActivityEndpoint`]
//!   speaking the Step Functions JSON protocol.
//! * A Distributed Map reads its `ItemReader` objects from, and writes its `ResultWriter`
//!   files to, an [`ObjectStore`] ([`Executor::object_store`]): a [`MemoryStore`], or an
//!   S3-compatible server through an [`HttpStore`]; [`Executor::map_runs`] shows each
//!   Map Run's child executions with their own history.
//! * [`StateMachine::from_json_as`] with [`MachineType::Express`] checks and runs a
//!   definition as an `EXPRESS` state machine (no `.sync`, `.waitForTaskToken` or
//!   activities; five minutes at most; no redrive).
//!
//! ```
//! use serde_json::json;
//! use stepcraft_local::{Executor, Mock, StateMachine, Status};
//!
//! let sm = StateMachine::from_json(&json!({
//!     "StartAt": "Reserve",
//!     "States": {
//!         "Reserve": {
//!             "Type": "Task",
//!             "Resource": "arn:aws:lambda:us-east-1:111111111111:function:reserve",
//!             "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 2}],
//!             "Next": "Nap"
//!         },
//!         "Nap": {"Type": "Wait", "Seconds": 86400, "End": true}
//!     }
//! })).unwrap();
//! let ex = Executor::new().mock_function("reserve", Mock::fails("Busy", "try later").then_returns(json!({"id": 7})));
//! let r = ex.run_blocking(&sm, json!({}));
//! assert_eq!(r.status, Status::Succeeded);
//! assert_eq!(r.output, Some(json!({"id": 7})));
//! assert_eq!(r.duration().as_secs(), 2 + 86_400);
//! ```

mod ata;
mod callback;
mod check;
pub mod diagram;
mod endpoint;
mod exec;
mod executor;
mod history;
mod intrinsics;
mod jsonpath;
pub mod limits;
mod map_run;
mod mock;
mod model;
pub mod options;
pub mod report;
mod rt;
pub mod store;
mod task;
mod template;
mod time;
mod value;

pub use callback::{ActivityTask, CallbackError, Callbacks, PendingCallback};
pub use check::{DefinitionError, Problem};
pub use endpoint::{ActivityEndpoint, LONG_POLL};
pub use executor::{ApiError, Execution, ExecutionResult, Executor, MachineType, StateMachine, Status, Stopper};
pub use history::{Details, Event, TraceEntry, TraceStatus};
pub use map_run::{ChildExecution, MapRunRecord};
pub use mock::{Mock, MockConfig, Mocks};
// The runtime's native retries match error names as the executor does.
pub use model::ErrorEquals;
pub use rt::{Clock, block_on};
pub use store::{HttpStore, MemoryStore, ObjectStore, StoreError};
pub use task::{Callback, TaskFailure, TaskFuture, TaskHandler, TaskKind, TaskRequest, TaskResponse};
pub use time::{format_timestamp, parse_timestamp};
