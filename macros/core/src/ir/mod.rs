//! The state graph a workflow lowers to: states with their transitions, and the expressions and
//! calls they hold. Names are final and unique; durations and retry numbers are plain values;
//! everything that needs Rust types (JSON names, error names, the defaults of the called
//! activity) is left for generated code to resolve.
//!
//! * `mod.rs` (here): the graph and its states.
//! * `expr.rs`: the expression language the states hold.
//! * `prop.rs`: the answers the graph gives about itself, which the emitters ask instead of
//!   searching.

pub mod expr;
pub mod prop;

use expr::{ArmPat, Cond, ErrCatch, Expr, Seconds, VarId};
use proc_macro2::Span;
use syn::{Ident, Path};

/// A state's index in [`Graph::states`].
pub type StateId = usize;

/// Every state of a workflow, branches and item processors included.
pub struct Graph {
    pub states: Vec<State>,
    pub top: Machine,
    /// Each variable's name in the state machine, by [`VarId`]: unique, never a JSONata
    /// function's name, and the plain Rust name whenever possible.
    pub var_names: Vec<String>,
    /// Items of `for` loops read only by the iteration's first state: they are that state's
    /// `$states.input`, and no state assigns them.
    pub state_input_vars: Vec<VarId>,
    /// Items and indexes of `for` loops over `.enumerate()`, whose Map passes each iteration
    /// `{index, item}` (its `ItemSelector`).
    pub indexed_vars: Vec<VarId>,
}

/// A state machine, a Parallel branch or a Map's item processor.
pub struct Machine {
    pub start: StateId,
    /// Its states, in source order.
    pub states: Vec<StateId>,
}

/// One state.
pub struct State {
    pub name: String,
    /// Where the name comes from, for errors about it.
    pub span: Span,
    pub kind: Kind,
}

/// Where a state goes next.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Next {
    To(StateId),
    End,
}

/// A value a state assigns or outputs.
pub enum Value {
    Expr(Expr),
    /// The called activity's or workflow's result.
    StepResult(Path),
    /// An element of a Parallel state's result.
    BranchResult(usize),
    /// The Map state's result (every iteration's output).
    MapResult,
    /// The state's input (the item, in a Map iteration's first state).
    StateInput,
    /// The item's index in a Map iteration's input `{index, item}` (a loop over `.enumerate()`).
    InputIndex,
    /// The item in a Map iteration's input `{index, item}`.
    InputItem,
    /// The caught error (`{"Error", "Cause"}`).
    ErrorOutput,
    /// `{"ok": value}`: a `join!` branch's success.
    Ok(Box<Value>),
    /// `{"err": the caught error}`: a `join!` branch's failure.
    Err,
}

/// `Assign` entry.
pub struct Assign {
    pub var: VarId,
    pub value: Value,
}

/// A `Catch` rule.
pub struct Catch {
    pub catches: ErrCatch,
    pub next: StateId,
    pub assign: Vec<Assign>,
    pub output: Option<Value>,
}

/// A `Choice` rule's condition.
pub enum Condition {
    Cond(Cond),
    /// The scrutinee matches the arm's pattern.
    Arm {
        scrutinee: Expr,
        pat: ArmPat,
    },
    /// The `join!` result `var` failed (with one of these errors).
    Failed {
        var: VarId,
        catches: ErrCatch,
    },
}

/// A `Fail` state's error.
pub enum FailWith {
    /// A variant of the workflow's error type; the cause is its message (unit variants) or its
    /// fields as JSON.
    Variant { ty: Path, variant: Ident, fields: Option<Expr>, unit: bool },
    /// A caught error, raised again.
    Rethrow(VarId),
    /// The error of the `join!` result `var`, raised again.
    OutcomeErr(VarId),
}

/// What a state does.
pub enum Kind {
    Task {
        callee: Path,
        arg: Expr,
        task: TaskSettings,
        assign: Vec<Assign>,
        output: Option<Value>,
        catch: Vec<Catch>,
        next: Next,
    },
    Pass {
        assign: Vec<Assign>,
        output: Option<Value>,
        next: Next,
    },
    Choice {
        rules: Vec<(Condition, StateId)>,
        default: Option<StateId>,
    },
    Wait {
        seconds: Option<Seconds>,
        timestamp: Option<Expr>,
        next: Next,
    },
    Parallel {
        branches: Vec<Machine>,
        assign: Vec<Assign>,
        output: Option<Value>,
        catch: Vec<Catch>,
        next: Next,
    },
    Map {
        items: Expr,
        /// Each iteration's input is `{index, item}` (an `ItemSelector`), not the item: the
        /// Map context that holds the index is read only there.
        indexed: bool,
        processor: Machine,
        max_concurrency: Option<u64>,
        /// A Distributed Map: each item a child execution.
        distributed: Option<Distributed>,
        assign: Vec<Assign>,
        next: Next,
    },
    Succeed {
        output: Option<Value>,
    },
    Fail(FailWith),
}

/// A Distributed Map's settings (`#[map(distributed, ..)]`).
pub struct Distributed {
    /// The children are Express executions (else Standard).
    pub express: bool,
    /// The Map Run's label.
    pub label: Option<String>,
}

/// A Task's settings given at the call site (`#[task(..)]`), over the called activity's.
#[derive(Clone, Default)]
pub struct TaskSettings {
    /// Replaces the activity's retry rules when given (`retry()` alone: none at all).
    pub retry: Option<Vec<Retry>>,
    pub timeout_seconds: Option<u32>,
    pub heartbeat_seconds: Option<u32>,
}

/// A `Retry` rule: unset fields take Step Functions' defaults.
#[derive(Clone)]
pub struct Retry {
    pub errors: Vec<RetryError>,
    pub interval_seconds: Option<u32>,
    pub max_attempts: Option<u32>,
    pub backoff_rate: Option<f64>,
    pub max_delay_seconds: Option<u32>,
    pub jitter: Option<Jitter>,
}

/// An error a retry rule names.
#[derive(Clone)]
pub enum RetryError {
    /// A variant of the called activity's error type, resolved to its stable name by
    /// generated code.
    Variant(Ident),
    /// An error name as Step Functions sees it, which generated code checks against the names
    /// the called function can fail with (an error at the string's span).
    Name(String, proc_macro2::Span),
    /// An error name taken as written (`other = "…"`).
    Other(String),
}

/// `JitterStrategy`: the runtime's `asl::Jitter` has a variant of each name.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Jitter {
    None,
    Full,
}

impl Jitter {
    /// Every strategy, for the test that the runtime and the executor know the same ones.
    pub const ALL: [Jitter; 2] = [Jitter::None, Jitter::Full];

    /// The name of the runtime's `asl::Jitter` variant.
    pub fn variant(self) -> &'static str {
        match self {
            Jitter::None => "None",
            Jitter::Full => "Full",
        }
    }

    /// The value of `JitterStrategy` in the ASL.
    pub fn asl_name(self) -> &'static str {
        match self {
            Jitter::None => "NONE",
            Jitter::Full => "FULL",
        }
    }
}
