//! The typed model of Amazon States Language (ASL): what generated code builds and what the
//! emitter serialises. Field names and defaults are the ones the ASL specification gives.

use serde::{Deserialize, Serialize};

/// A `Retry` rule of a Task, Parallel or Map state.
///
/// Unset fields take Step Functions' defaults: `IntervalSeconds` 1, `MaxAttempts` 3,
/// `BackoffRate` 2.0, no `MaxDelaySeconds`, `JitterStrategy` `NONE`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Retrier {
    /// The error names this rule applies to (`States.ALL` alone matches every error).
    pub error_equals: Vec<String>,
    /// Seconds before the first retry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_seconds: Option<u32>,
    /// Retries at most (0 = never).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// Multiplier of the interval at each retry (≥ 1.0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backoff_rate: Option<f64>,
    /// Upper bound of any one delay, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_delay_seconds: Option<u32>,
    /// Whether delays are randomised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jitter_strategy: Option<Jitter>,
}

impl Retrier {
    /// A rule for `errors` with every setting at Step Functions' default.
    pub fn new(errors: Vec<String>) -> Self {
        Retrier {
            error_equals: errors,
            interval_seconds: None,
            max_attempts: None,
            backoff_rate: None,
            max_delay_seconds: None,
            jitter_strategy: None,
        }
    }
}

/// `JitterStrategy` of a retrier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Jitter {
    /// Exact delays.
    None,
    /// Each delay drawn uniformly from `[0, computed delay]`.
    Full,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retrier_serialises_with_asl_names_and_omits_defaults() {
        let mut r = Retrier::new(vec!["GatewayDown".into()]);
        r.interval_seconds = Some(2);
        r.jitter_strategy = Some(Jitter::Full);
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"ErrorEquals":["GatewayDown"],"IntervalSeconds":2,"JitterStrategy":"FULL"}"#
        );
    }
}
