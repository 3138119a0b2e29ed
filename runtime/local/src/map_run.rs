//! The Map Runs of Distributed Map states, as `DescribeMapRun` and
//! `ListExecutions --map-run-arn` would show them: each child execution with its status,
//! input, output or error, virtual times and its own history.

use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::history::Event;

/// One child execution of a Map Run.
#[derive(Debug, Clone)]
pub struct ChildExecution {
    /// Its name (a UUID), the last part of its ARN.
    pub name: String,
    /// `arn:aws:states:REGION:ACCOUNT:execution:StateMachine/Label:name`; empty for a
    /// child that never started.
    pub arn: String,
    /// `SUCCEEDED`, `FAILED`, `ABORTED` (running when its Map Run failed) or `PENDING`
    /// (never started).
    pub status: &'static str,
    /// Its input: the item (after `ItemSelector`) or the batch.
    pub input: Value,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    /// Virtual start and stop, milliseconds since the epoch.
    pub start_ms: i64,
    pub stop_ms: i64,
    /// Its own history, `ExecutionStarted` to `ExecutionSucceeded`/`ExecutionFailed`
    /// (empty for one that never started or was aborted).
    pub history: Vec<Event>,
}

/// A Map Run: its ARN, the execution and state that ran it, and its children in item (or
/// batch) order.
#[derive(Debug, Clone)]
pub struct MapRunRecord {
    /// `arn:aws:states:REGION:ACCOUNT:mapRun:StateMachine/Label:id`.
    pub map_run_arn: String,
    pub execution_arn: String,
    pub state_name: String,
    pub label: Option<String>,
    pub children: Vec<ChildExecution>,
}

/// Where an executor keeps the Map Runs of its executions (shared by its clones).
#[derive(Debug, Clone, Default)]
pub(crate) struct MapRunLog(pub(crate) Arc<Mutex<Vec<MapRunRecord>>>);
