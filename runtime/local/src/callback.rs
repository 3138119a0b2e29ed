//! Task tokens of `.waitForTaskToken` tasks and the `SendTask*` calls that complete
//! them. One registry per [`crate::Executor`], like the account-wide API.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::task::Waker;

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

#[derive(Debug)]
pub(crate) struct Slot {
    pub(crate) info: PendingCallback,
    pub(crate) outcome: Option<Callback>,
    pub(crate) heartbeats: u64,
    pub(crate) waker: Option<Waker>,
    /// Order of registration, for `pending()`.
    seq: u64,
}

/// The token registry.
#[derive(Debug, Default)]
pub struct Callbacks {
    slots: Mutex<(u64, HashMap<String, Slot>)>,
}

impl Callbacks {
    pub(crate) fn register(&self, info: PendingCallback) {
        let mut g = lock(&self.slots);
        g.0 += 1;
        let seq = g.0;
        g.1.insert(info.token.clone(), Slot { info, outcome: None, heartbeats: 0, waker: None, seq });
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

    /// Tasks waiting for an answer, oldest first.
    pub fn pending(&self) -> Vec<PendingCallback> {
        let g = lock(&self.slots);
        let mut v: Vec<(&u64, &PendingCallback)> =
            g.1.values().filter(|s| s.outcome.is_none()).map(|s| (&s.seq, &s.info)).collect();
        v.sort_by_key(|(seq, _)| **seq);
        v.into_iter().map(|(_, i)| i.clone()).collect()
    }

    /// Whether a task of `execution` waits for an answer.
    pub(crate) fn has_pending_for(&self, execution: &str) -> bool {
        lock(&self.slots).1.values().any(|s| s.outcome.is_none() && &*s.info.execution_name == execution)
    }
}
