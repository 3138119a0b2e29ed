//! The Lambda invocation an activity or a handler is running for: its request id, its deadline
//! and its trace context, read with [`Invocation::current`] anywhere in the activity's code
//! (a task-local, so the activity's signature stays `async fn(Input) -> Result<Output, E>`).
//!
//! ```
//! # use std::time::Duration;
//! /// Packs as many parcels as fit before the invocation's deadline, keeping a second for the
//! /// answer; the rest is left for the next attempt.
//! async fn pack(parcels: Vec<String>) -> usize {
//!     let mut packed = 0;
//!     for _parcel in parcels {
//!         let time_left = stepcraft::Invocation::current().and_then(|i| i.time_left());
//!         if time_left.is_some_and(|left| left < Duration::from_secs(1)) {
//!             break;
//!         }
//!         packed += 1;
//!     }
//!     packed
//! }
//! ```

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The invocation being served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// Lambda's request id (`Lambda-Runtime-Aws-Request-Id`; `local` from the command line).
    pub request_id: String,
    /// When Lambda stops the invocation (`Lambda-Runtime-Deadline-Ms`); none from the command
    /// line.
    pub deadline: Option<SystemTime>,
    /// The X-Ray trace header (`Lambda-Runtime-Trace-Id`: `Root=…;Parent=…;Sampled=…`).
    pub trace_id: Option<String>,
    /// The function's ARN as invoked.
    pub function_arn: String,
}

tokio::task_local! {
    static CURRENT: Invocation;
}

impl Invocation {
    /// The invocation the calling code runs for: `None` outside an activity's or a handler's
    /// invocation (a native workflow run calls activities as plain functions).
    pub fn current() -> Option<Invocation> {
        CURRENT.try_with(Invocation::clone).ok()
    }

    /// The time left until the deadline (zero once it has passed); `None` without a deadline.
    pub fn time_left(&self) -> Option<Duration> {
        let deadline = self.deadline?;
        Some(deadline.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
    }

    pub(crate) fn of(context: &lambda_runtime::Context) -> Invocation {
        Invocation {
            request_id: context.request_id.clone(),
            deadline: (context.deadline != 0).then(|| UNIX_EPOCH + Duration::from_millis(context.deadline)),
            trace_id: context.xray_trace_id.clone(),
            function_arn: context.invoked_function_arn.clone(),
        }
    }
}

/// Runs `future` as the work of `invocation`.
pub(crate) async fn scope<F: Future>(invocation: Invocation, future: F) -> F::Output {
    CURRENT.scope(invocation, future).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_invocation_is_known_within_its_scope_only() {
        assert_eq!(Invocation::current(), None);
        let mut context = lambda_runtime::Context::default();
        context.request_id = "req-1".into();
        context.deadline =
            (SystemTime::now() + Duration::from_secs(60)).duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
        context.xray_trace_id = Some("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1".into());
        let seen = scope(Invocation::of(&context), async { Invocation::current().unwrap() }).await;
        assert_eq!(seen.request_id, "req-1");
        assert!(seen.time_left().unwrap() > Duration::from_secs(58));
        assert_eq!(seen.trace_id.as_deref(), Some("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"));
        context.deadline = 1;
        let late = scope(Invocation::of(&context), async { Invocation::current().unwrap().time_left() }).await;
        assert_eq!(late, Some(Duration::ZERO));
        assert_eq!(Invocation::current(), None);
    }
}
