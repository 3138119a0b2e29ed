//! Task tokens of `.waitForTaskToken` tasks and of activity tasks, and the calls that
//! complete them: `SendTaskSuccess`, `SendTaskFailure`, `SendTaskHeartbeat`, and for
//! activities the workers' `GetActivityTask`. One registry per [`crate::Executor`], like
//! the account-wide API.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

use serde_json::Value;

use crate::rt::lock;
use crate::task::{Callback, TaskFailure};

/// A task waiting for its token to be answered.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingCallback {
    pub token: String,
    pub state_name: Arc<str>,
    pub execution_name: Arc<str>,
    /// The payload the task sent (where the token usually travels).
    pub payload: Value,
}

/// Why a `SendTask*` call was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackError {
    /// No task waits for this token (`TaskDoesNotExist`/`InvalidToken`).
    InvalidToken(String),
    /// The task already has an answer or timed out (`TaskTimedOut`).
    TaskTimedOut(String),
}

impl fmt::Display for CallbackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallbackError::InvalidToken(t) => write!(f, "InvalidToken: no task is waiting for the token '{t}'"),
            CallbackError::TaskTimedOut(t) => {
                write!(f, "TaskTimedOut: the task of the token '{t}' is no longer running")
            }
        }
    }
}

impl std::error::Error for CallbackError {}

/// A task of an activity (`GetActivityTask`'s answer): the token to answer with and the
/// task's input.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityTask {
    pub task_token: String,
    /// The effective input of the Task state (`GetActivityTask` gives it as JSON text).
    pub input: Value,
}

/// An activity task in the registry: which activity, and the worker that took it.
#[derive(Debug)]
struct ActivitySlot {
    arn: String,
    worker: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Slot {
    pub(crate) info: PendingCallback,
    pub(crate) outcome: Option<Callback>,
    pub(crate) heartbeats: u64,
    pub(crate) waker: Option<Waker>,
    /// Order of registration, for `pending()`.
    seq: u64,
    activity: Option<ActivitySlot>,
}

/// The token registry.
#[derive(Debug, Default)]
pub struct Callbacks {
    slots: Mutex<(u64, HashMap<String, Slot>)>,
    /// Workers waiting in [`Callbacks::poll_activity_task`].
    pollers: Mutex<Vec<Waker>>,
}

impl Callbacks {
    pub(crate) fn register(&self, info: PendingCallback) {
        self.insert(info, None);
    }

    fn insert(&self, info: PendingCallback, activity: Option<ActivitySlot>) {
        let mut g = lock(&self.slots);
        g.0 += 1;
        let seq = g.0;
        g.1.insert(info.token.clone(), Slot { info, outcome: None, heartbeats: 0, waker: None, seq, activity });
    }

    /// Schedules a task of the activity `arn`: it waits for a worker to take it.
    pub(crate) fn schedule_activity(&self, info: PendingCallback, arn: &str) {
        self.insert(info, Some(ActivitySlot { arn: arn.to_string(), worker: None }));
        for w in std::mem::take(&mut *lock(&self.pollers)) {
            w.wake();
        }
    }

    /// `GetActivityTask` on a thread, long-polling: blocks until a task of the activity
    /// is there, or `timeout` has passed (then `None`).
    pub fn wait_activity_task(
        &self,
        activity_arn: &str,
        worker_name: Option<&str>,
        timeout: std::time::Duration,
    ) -> Option<ActivityTask> {
        let deadline = std::time::Instant::now() + timeout;
        let waker = Waker::from(Arc::new(crate::rt::ThreadWake(std::thread::current())));
        loop {
            lock(&self.pollers).push(waker.clone());
            if let Some(t) = self.get_activity_task(activity_arn, worker_name) {
                return Some(t);
            }
            let now = std::time::Instant::now();
            if now >= deadline {
                return None;
            }
            std::thread::park_timeout(deadline - now);
        }
    }

    /// The worker that took the activity task `token`, once one did.
    pub(crate) fn activity_worker(&self, token: &str) -> Option<String> {
        let g = lock(&self.slots);
        g.1.get(token)?.activity.as_ref()?.worker.clone()
    }

    /// `GetActivityTask`: the oldest task of the activity `activity_arn` that no worker
    /// has taken yet, now taken by `worker_name`; `None` when there is none (AWS answers
    /// an empty `taskToken` then).
    pub fn get_activity_task(&self, activity_arn: &str, worker_name: Option<&str>) -> Option<ActivityTask> {
        let (task, waker) = {
            let mut g = lock(&self.slots);
            let slot =
                g.1.values_mut()
                    .filter(|s| s.outcome.is_none())
                    .filter(|s| s.activity.as_ref().is_some_and(|a| a.arn == activity_arn && a.worker.is_none()))
                    .min_by_key(|s| s.seq)?;
            if let Some(a) = slot.activity.as_mut() {
                a.worker = Some(worker_name.unwrap_or_default().to_string());
            }
            let task = ActivityTask { task_token: slot.info.token.clone(), input: slot.info.payload.clone() };
            (task, slot.waker.clone())
        };
        // The execution records `ActivityStarted` and starts the heartbeat clock.
        if let Some(w) = waker {
            w.wake();
        }
        Some(task)
    }

    /// `GetActivityTask`, long-polling: completes when a task of the activity is there.
    pub async fn poll_activity_task(&self, activity_arn: &str, worker_name: Option<&str>) -> ActivityTask {
        std::future::poll_fn(|cx| {
            // The waker goes in before the look, so that a task scheduled in between wakes it.
            lock(&self.pollers).push(cx.waker().clone());
            match self.get_activity_task(activity_arn, worker_name) {
                Some(t) => Poll::Ready(t),
                None => Poll::Pending,
            }
        })
        .await
    }

    pub(crate) fn remove(&self, token: &str) {
        lock(&self.slots).1.remove(token);
    }

    /// Polls a slot: its outcome if answered, else its heartbeat count (and the waker
    /// is kept).
    pub(crate) fn poll(&self, token: &str, waker: &Waker) -> Result<Callback, u64> {
        let mut g = lock(&self.slots);
        let Some(slot) = g.1.get_mut(token) else { return Err(0) };
        if let Some(o) = slot.outcome.take() {
            return Ok(o);
        }
        if !slot.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
            slot.waker = Some(waker.clone());
        }
        Err(slot.heartbeats)
    }

    fn deliver(&self, token: &str, f: impl FnOnce(&mut Slot)) -> Result<(), CallbackError> {
        let waker = {
            let mut g = lock(&self.slots);
            let Some(slot) = g.1.get_mut(token) else {
                return Err(CallbackError::InvalidToken(token.to_string()));
            };
            if slot.outcome.is_some() {
                return Err(CallbackError::TaskTimedOut(token.to_string()));
            }
            f(slot);
            slot.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    /// `SendTaskSuccess`.
    pub fn send_task_success(&self, token: &str, output: Value) -> Result<(), CallbackError> {
        self.deliver(token, |s| s.outcome = Some(Callback::Success(output)))
    }

    /// `SendTaskFailure`.
    pub fn send_task_failure(&self, token: &str, error: &str, cause: &str) -> Result<(), CallbackError> {
        let f = TaskFailure::new(error, cause);
        self.deliver(token, |s| s.outcome = Some(Callback::Failure(f)))
    }

    /// `SendTaskHeartbeat`.
    pub fn send_task_heartbeat(&self, token: &str) -> Result<(), CallbackError> {
        let waker = {
            let mut g = lock(&self.slots);
            let Some(slot) = g.1.get_mut(token) else {
                return Err(CallbackError::InvalidToken(token.to_string()));
            };
            slot.heartbeats += 1;
            slot.waker.clone()
        };
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    /// `.waitForTaskToken` tasks waiting for an answer, oldest first.
    pub fn pending(&self) -> Vec<PendingCallback> {
        let g = lock(&self.slots);
        let mut v: Vec<(&u64, &PendingCallback)> =
            g.1.values().filter(|s| s.outcome.is_none() && s.activity.is_none()).map(|s| (&s.seq, &s.info)).collect();
        v.sort_by_key(|(seq, _)| **seq);
        v.into_iter().map(|(_, i)| i.clone()).collect()
    }

    /// Whether a `.waitForTaskToken` task of `execution` waits for an answer.
    pub(crate) fn has_pending_for(&self, execution: &str) -> bool {
        lock(&self.slots)
            .1
            .values()
            .any(|s| s.outcome.is_none() && s.activity.is_none() && &*s.info.execution_name == execution)
    }

    /// Whether an activity task of `execution` waits for a worker or its answer.
    pub(crate) fn has_activity_for(&self, execution: &str) -> bool {
        lock(&self.slots)
            .1
            .values()
            .any(|s| s.outcome.is_none() && s.activity.is_some() && &*s.info.execution_name == execution)
    }
}
