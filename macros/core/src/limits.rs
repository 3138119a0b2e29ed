//! Step Functions' and Lambda's limits, as the compiler checks them when the code compiles.
//!
//! The local executor enforces the same limits on any definition (`stepcraft_local::limits`).
//! This crate cannot depend on it (a proc-macro's compiler stays free of the runtime), so this
//! is a compile-time copy; `tests/tests/one_home.rs` asserts that the two agree.

/// Step Functions' bound on `TimeoutSeconds`, `HeartbeatSeconds`, `IntervalSeconds` and a
/// `Wait`'s `Seconds`
/// (https://docs.aws.amazon.com/step-functions/latest/dg/statemachine-structure.html).
pub const MAX_SECONDS: u64 = 99_999_999;
/// Step Functions' bound on `MaxAttempts`.
pub const MAX_ATTEMPTS: u64 = 99_999_999;
/// Step Functions' bound on `MaxDelaySeconds` (366 days).
pub const MAX_DELAY_SECONDS: u64 = 31_622_400;
/// Step Functions' limit on state names, in characters.
pub const MAX_STATE_NAME: usize = 80;
/// Step Functions' limit on a definition's size (the `CreateStateMachine` request), in bytes
/// (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
pub const MAX_DEFINITION_BYTES: usize = 1_048_576;
/// Past this many states, a definition is unreadable and close to Step Functions' limits.
pub const MAX_STATES: usize = 10_000;
/// Lambda's bound on a function's run time (15 minutes).
pub const LAMBDA_MAX_SECONDS: u64 = 900;
/// Lambda's bounds on a function's memory, in MB (whole megabytes).
pub const LAMBDA_MEMORY_MB: std::ops::RangeInclusive<u64> = 128..=10_240;
/// Step Functions' bound on an express workflow's execution (5 minutes).
pub const EXPRESS_MAX_SECONDS: u64 = 300;
/// Step Functions' limit on a Distributed Map's `Label`, in characters.
pub const MAX_MAP_LABEL: usize = 40;
/// The characters a Distributed Map's `Label` may not hold, besides whitespace and control
/// characters (Step Functions, "Using Map state in Distributed mode", Label).
pub const MAP_LABEL_FORBIDDEN: &str = "<>{}[]?*\"#%\\^|~`$&,;:/";
