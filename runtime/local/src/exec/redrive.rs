//! What a redrive resumes. While an execution runs, each line of it (the top level, a
//! Parallel branch, a Map iteration) keeps its [`Progress`]: the state it is in with that
//! state's input, its own variables, and for a Parallel or Map in flight how far each
//! branch or iteration got. The records are shared, so they outlive the futures that a
//! failure, a timeout or `StopExecution` drops; when the execution ends they are frozen
//! into a [`Resume`], from which `RedriveExecution` continues.
//!
//! AWS docs, "Restarting state machine executions with redrive": "Step Functions
//! continues the failed execution from the unsuccessful step and uses the same input.
//! Step Functions preserves the results and execution history of the successful steps,
//! which are not rerun"; a Parallel or Inline Map "Reschedules and redrives only those
//! branches [iterations] that failed or aborted", unless it failed with
//! `States.DataLimitExceeded`, when it is rerun whole.

use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::rt::lock;

/// A shared [`Progress`].
pub(crate) type ProgressRef = Arc<Mutex<Progress>>;

/// How far one line of execution got.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    /// The state the line is in (its index in the state set) and that state's input.
    at: Option<(usize, Value)>,
    /// The line's own variables, as of that state's entry.
    vars: Vec<(Arc<str>, Value)>,
    /// For a Parallel or Map in `at`: its branches or iterations, as far as they got.
    inner: Option<Vec<Slot>>,
}

/// A branch or iteration while its Parallel or Map runs.
#[derive(Debug, Clone)]
pub(crate) enum Slot {
    /// Not started.
    Fresh,
    /// Ended well, with this output.
    Done(Value),
    /// Started: as far as its own record says.
    Running(ProgressRef),
}

impl Progress {
    pub(crate) fn new_ref() -> ProgressRef {
        Arc::default()
    }

    /// The line enters state `idx` with `input`.
    pub(crate) fn enter(p: &ProgressRef, idx: usize, input: &Value) {
        let mut g = lock(p);
        g.at = Some((idx, input.clone()));
        g.inner = None;
    }

    /// The line's own variable `name` is now `value`.
    pub(crate) fn assign(p: &ProgressRef, name: &Arc<str>, value: &Value) {
        let mut g = lock(p);
        match g.vars.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value.clone(),
            None => g.vars.push((name.clone(), value.clone())),
        }
    }

    /// The line starts with these variables (a resumed line).
    pub(crate) fn set_vars(p: &ProgressRef, vars: &[(Arc<str>, Value)]) {
        lock(p).vars = vars.to_vec();
    }

    /// The Parallel or Map the line is in reran nothing it could keep: a redrive runs it whole.
    pub(crate) fn forget_inner(p: &ProgressRef) {
        lock(p).inner = None;
    }

    /// Where a redrive resumes this line; `None` if it never entered a state.
    pub(crate) fn freeze(p: &ProgressRef) -> Option<Resume> {
        let g = lock(p);
        let (idx, input) = g.at.clone()?;
        let inner = g.inner.as_ref().map(|slots| {
            slots
                .iter()
                .map(|s| match s {
                    Slot::Fresh => Branch::Fresh,
                    Slot::Done(v) => Branch::Done(v.clone()),
                    Slot::Running(r) => Progress::freeze(r).map(Branch::Resume).unwrap_or(Branch::Fresh),
                })
                .collect()
        });
        Some(Resume { idx, input, vars: g.vars.clone(), inner })
    }
}

/// Where a redrive resumes a line: re-enter state `idx` with `input`, the line's own
/// variables set to `vars`; a Parallel or Map there keeps what `inner` says.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Resume {
    pub(crate) idx: usize,
    pub(crate) input: Value,
    pub(crate) vars: Vec<(Arc<str>, Value)>,
    pub(crate) inner: Option<Vec<Branch>>,
}

/// A branch or iteration of a redriven Parallel or Map.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Branch {
    /// Runs from its start.
    Fresh,
    /// Succeeded before: its output is kept and it does not run again.
    Done(Value),
    /// Failed or was aborted: it resumes there.
    Resume(Resume),
}

/// The branches or iterations of one Parallel or Map attempt. Dropped when the attempt
/// ends, succeeded or not, or when its future is dropped (a timeout, a stop, a failing
/// sibling higher up); unless the attempt succeeded it then records what it got as far
/// as in the line's progress.
pub(crate) struct Fanout {
    owner: ProgressRef,
    pub(crate) slots: Vec<Slot>,
    succeeded: bool,
}

impl Fanout {
    pub(crate) fn new(owner: &ProgressRef, n: usize) -> Fanout {
        Fanout { owner: owner.clone(), slots: vec![Slot::Fresh; n], succeeded: false }
    }

    /// A new record for branch or iteration `i`, which starts now.
    pub(crate) fn start(&mut self, i: usize) -> ProgressRef {
        let p = Progress::new_ref();
        self.slots[i] = Slot::Running(p.clone());
        p
    }

    /// The record of a branch or iteration resumed where `r` says.
    pub(crate) fn resume(&mut self, i: usize, r: &Resume) -> ProgressRef {
        let p = self.start(i);
        Progress::set_vars(&p, &r.vars);
        p
    }

    pub(crate) fn done(&mut self, i: usize, output: &Value) {
        self.slots[i] = Slot::Done(output.clone());
    }

    /// The attempt succeeded: nothing to keep.
    pub(crate) fn succeeded(&mut self) {
        self.succeeded = true;
    }
}

impl Drop for Fanout {
    fn drop(&mut self) {
        if !self.succeeded {
            lock(&self.owner).inner = Some(std::mem::take(&mut self.slots));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_dropped_fanout_records_its_branches_and_a_succeeded_one_nothing() {
        let top = Progress::new_ref();
        Progress::enter(&top, 3, &json!({"in": 1}));
        {
            let mut f = Fanout::new(&top, 3);
            f.done(0, &json!("a"));
            let b = f.start(1);
            Progress::enter(&b, 2, &json!("b-in"));
            Progress::assign(&b, &Arc::from("x"), &json!(7));
        }
        let r = Progress::freeze(&top).unwrap();
        assert_eq!((r.idx, &r.input), (3, &json!({"in": 1})));
        let inner = r.inner.unwrap();
        assert_eq!(inner[0], Branch::Done(json!("a")));
        let Branch::Resume(b) = &inner[1] else { panic!("branch 1 resumes") };
        assert_eq!((b.idx, &b.input, b.vars.len()), (2, &json!("b-in"), 1));
        assert_eq!(inner[2], Branch::Fresh, "never started");

        Progress::enter(&top, 4, &json!(null));
        let mut f = Fanout::new(&top, 1);
        f.succeeded();
        drop(f);
        assert_eq!(Progress::freeze(&top).unwrap().inner, None);
    }
}
