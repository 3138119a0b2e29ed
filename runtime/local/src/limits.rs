//! Step Functions' limits and defaults, as the executor enforces them on any definition.
//!
//! This is their one home on the runtime side: the checker (`check.rs`) reads them, and the
//! `stepcraft` crate's ASL model takes its retry defaults from here. The proc-macro compiler
//! keeps a compile-time copy (`stepcraft_macros_core::limits`); `tests/tests/one_home.rs`
//! asserts that the two agree.
//!
//! Source: <https://docs.aws.amazon.com/step-functions/latest/dg/statemachine-structure.html>
//! and the state pages it links (Task, Wait, "Handling errors").

/// The largest `TimeoutSeconds`, `HeartbeatSeconds`, `IntervalSeconds` and `Wait` `Seconds`.
pub const MAX_SECONDS: u64 = 99_999_999;
/// The largest `MaxAttempts`.
pub const MAX_ATTEMPTS: u64 = 99_999_999;
/// The largest `MaxDelaySeconds` (366 days).
pub const MAX_DELAY_SECONDS: u64 = 31_622_400;
/// The longest state name, in characters.
pub const MAX_STATE_NAME: usize = 80;

/// A retrier's `IntervalSeconds` when unset.
pub const DEFAULT_INTERVAL_SECONDS: u32 = 1;
/// A retrier's `MaxAttempts` when unset.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// A retrier's `BackoffRate` when unset.
pub const DEFAULT_BACKOFF_RATE: f64 = 2.0;
/// The values of `JitterStrategy` (unset is `NONE`).
pub const JITTER_STRATEGIES: &[&str] = &["FULL", "NONE"];
