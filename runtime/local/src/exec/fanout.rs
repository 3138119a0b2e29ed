//! Parallel and Map: branches and iterations run as concurrent child threads of the
//! execution (a distributed Map's items as separate executions), up to
//! `MaxConcurrency`, with `ToleratedFailureCount`/`ToleratedFailurePercentage`; the
//! `ParallelState*`, `MapState*`, `MapIteration*` and `MapRun*` events; aborting what
//! still runs when one fails.
//!
//! Fanout never evaluates expressions: the branch input, the items, the settings of a
//! Map, each iteration's `ItemSelector` and the final result processing are asked of
//! `dataflow`.

use std::sync::Mutex;

use serde_json::Value;

mod distributed;

use super::dataflow::MapInputs;
use super::redrive::{Branch, Fanout, Progress};
use super::{Assigned, Ctx, Failure, Scope, Thread, Visit};
use crate::history::{Details, Event, TraceStatus};
use crate::map_run::ChildExecution;
use crate::model::*;
use crate::rt::{Group, lock};

/// A branch's end: its output and last event id, or its failure.
type Branched = Result<(Value, u64), Failure>;

impl<'c> Ctx<'c> {
    pub(super) async fn parallel_attempt(
        &self,
        v: &mut Visit<'_>,
        th: &mut Thread<'_>,
        input: &Value,
        p: &Parallel,
    ) -> Result<(Value, Assigned), Failure> {
        // A redriven Parallel keeps the branches that succeeded and resumes the others
        // where they failed or were aborted (AWS docs, "Restarting state machine
        // executions with redrive", Redrive behavior of individual states).
        let redrive = v.redrive.take();
        let branch_input = self.arguments(v, th, input)?;
        self.emit(th, "ParallelStateStarted", Details::None);
        let started_id = th.prev;
        let depth = th.depth + 1;
        let mut fanout = Fanout::new(&th.progress, p.branches.len());
        let results = {
            let scope: &Scope<'_> = &th.scope;
            let mut group: Group<'_, (usize, Branched)> = Group::new();
            let mut results: Vec<Option<Value>> = vec![None; p.branches.len()];
            for (i, b) in p.branches.iter().enumerate() {
                let resume = match redrive.and_then(|r| r.get(i)) {
                    Some(Branch::Done(out)) => {
                        fanout.done(i, out);
                        results[i] = Some(out.clone());
                        continue;
                    }
                    Some(Branch::Resume(r)) => Some(r),
                    _ => None,
                };
                let progress = match resume {
                    Some(r) => fanout.resume(i, r),
                    None => fanout.start(i),
                };
                let bi = branch_input.clone();
                group.push(Box::pin(async move {
                    let label = Some(format!("branch {i}"));
                    let mut bt = Thread::new(Scope::child(scope), started_id, depth, label, progress);
                    let out = match resume {
                        Some(r) => self.run_resumed(b, r, &mut bt).await,
                        None => self.run_set(b, bi, &mut bt).await,
                    };
                    (i, out.map(|o| (o, bt.prev)))
                }));
            }
            // The first branch to fail fails the state; dropping the group stops the
            // others (AWS docs, "Parallel workflow state", Error handling).
            let mut failure = None;
            while let Some((_, (i, r))) = group.next().await {
                match r {
                    Ok((out, _)) => {
                        fanout.done(i, &out);
                        results[i] = Some(out);
                    }
                    Err(f) => {
                        failure = Some(f);
                        break;
                    }
                }
            }
            drop(group);
            match failure {
                Some(f) => Err(f),
                None => Ok(results.into_iter().map(Option::unwrap_or_default).collect::<Vec<_>>()),
            }
        };
        match results {
            Ok(values) => {
                self.emit(th, "ParallelStateSucceeded", Details::None);
                let done = self.finish_result(v, th, input, Value::Array(values))?;
                fanout.succeeded();
                Ok(done)
            }
            Err(f) => {
                self.abort_running_trace(depth);
                self.emit(th, "ParallelStateFailed", Details::None);
                Err(f)
            }
        }
    }

    /// Marks the states still running in dropped branches or iterations as aborted,
    /// with a `*StateAborted` event each, as AWS records them.
    fn abort_running_trace(&self, depth: usize) {
        let mut aborted = Vec::new();
        {
            let mut t = lock(&self.trace);
            let now = self.clock.now_ms();
            for e in t.iter_mut().filter(|e| e.status == TraceStatus::Running && e.depth >= depth) {
                e.status = TraceStatus::Aborted;
                e.end_ms = now;
                aborted.push((e.state_type, e.entered_event_id));
            }
        }
        for (ty, entered) in aborted {
            let event_type = match ty {
                "Task" => "TaskStateAborted",
                "Wait" => "WaitStateAborted",
                "Parallel" => "ParallelStateAborted",
                "Map" => "MapStateAborted",
                _ => continue,
            };
            self.emit_with_prev(entered, event_type, Details::None);
        }
    }

    pub(super) async fn map_attempt(
        &self,
        v: &mut Visit<'_>,
        th: &mut Thread<'_>,
        input: &Value,
        m: &MapState,
    ) -> Result<(Value, Assigned), Failure> {
        let state = v.state;
        let redrive = v.redrive.take();
        let MapInputs { effective, items, max_concurrency, tolerated_count, tolerated_percentage } =
            match &m.item_reader {
                Some(r) => self.reader_inputs(v, th, input, m, r)?,
                None => self.map_inputs(v, th, input, m)?,
            };
        // `MaxConcurrency: 0` (the default) means no limit, which AWS caps at 40 inline
        // iterations at a time (AWS docs, "Map state", MaxConcurrency).
        let limit = if max_concurrency == 0 {
            self.core.options.map_concurrency_limit.max(1)
        } else {
            max_concurrency as usize
        };
        let distributed = m.distributed;
        // With an `ItemBatcher`, each item goes through `ItemSelector`, then each batch of
        // them is one child execution; `weights` says how many items each child holds.
        let (items, weights, prepared) = match (&m.item_batcher, distributed) {
            (Some(b), true) => {
                let mut selected = Vec::with_capacity(items.len());
                for (idx, item) in items.into_iter().enumerate() {
                    match self.item_input(v, &th.scope, m, idx, item, &effective)? {
                        Ok(x) => selected.push(x),
                        Err(e) => return Err(self.ata_failure(th, v, e)),
                    }
                }
                let batches = self.batches(v, th, input, &effective, b, selected)?;
                let weights: Vec<usize> = batches.iter().map(|(_, n)| *n).collect();
                (batches.into_iter().map(|(x, _)| x).collect::<Vec<_>>(), weights, true)
            }
            _ => {
                let w = vec![1; items.len()];
                (items, w, false)
            }
        };
        let n = items.len();
        let total_items: usize = weights.iter().sum();
        let run = distributed.then(|| self.new_map_run(v, m));
        // Inline iterations record their states in this history; the items of a
        // distributed Map are child executions, whose states it does not show.
        if distributed {
            self.emit(th, "MapRunStarted", Details::None);
        } else {
            self.emit(th, "MapStateStarted", Details::MapStateStarted { length: n });
        }
        let depth = th.depth + 1;
        let scope: &Scope<'_> = &th.scope;
        let map_prev = th.prev;
        let mut results: Vec<Option<Value>> = vec![None; n];
        let mut children: Vec<Option<ChildExecution>> = vec![None; n];
        // A child that started: its name, input and start, for one that is aborted.
        let mut launched: Vec<Option<(String, Value, i64)>> = vec![None; n];
        let mut failure: Option<Failure> = None;
        let mut failed_items = 0usize;
        // Failure thresholds exist only for a Distributed Map; an inline Map fails with
        // its first failed iteration (AWS docs, "Distributed Map state", Setting failure
        // thresholds). A failed batch counts each of its items.
        let tolerated = |failed: usize| {
            let by_count = tolerated_count.is_some_and(|c| failed as u64 <= c);
            let by_pct = tolerated_percentage
                .is_some_and(|p| total_items > 0 && (failed as f64) * 100.0 / (total_items as f64) <= p);
            distributed && (by_count || by_pct)
        };
        // A redriven Map keeps the iterations that succeeded and resumes the others where
        // they failed or were aborted; those never started start now.
        let mut fanout = Fanout::new(&th.progress, n);
        {
            type Ended = (usize, Result<Value, Failure>, u64, Option<ChildExecution>);
            let mut group: Group<'_, Ended> = Group::new();
            let mut started_ids: Vec<u64> = vec![0; n];
            let mut next_item = 0usize;
            loop {
                while failure.is_none() && group.running() < limit && next_item < n {
                    let idx = next_item;
                    next_item += 1;
                    let item = items[idx].clone();
                    let resume = match redrive.and_then(|r| r.get(idx)) {
                        Some(Branch::Done(out)) => {
                            fanout.done(idx, out);
                            results[idx] = Some(out.clone());
                            continue;
                        }
                        Some(Branch::Resume(r)) => Some(r),
                        _ => None,
                    };
                    let progress = match resume {
                        Some(r) => fanout.resume(idx, r),
                        None => fanout.start(idx),
                    };
                    let it_input = match resume {
                        // A resumed iteration starts from its own record, not from its item.
                        Some(_) => Ok(Ok(Value::Null)),
                        None if prepared => Ok(Ok(item)),
                        None => self.item_input(v, scope, m, idx, item, &effective),
                    };
                    let it_input = match it_input {
                        Ok(Ok(x)) => x,
                        Ok(Err(e)) => {
                            let prev = th_prev_or(map_prev, &self.history);
                            let mut t = Thread::new(Scope::default(), prev, 0, None, Progress::new_ref());
                            return Err(self.ata_failure(&mut t, v, e));
                        }
                        Err(f) => return Err(f),
                    };
                    if let Some(run) = &run {
                        let name = lock(&self.rng).uuid();
                        launched[idx] = Some((name.clone(), it_input.clone(), self.clock.now_ms()));
                        group.push(Box::pin(async move {
                            let (r, child) = self.run_child(run, name, &m.processor, it_input, progress, resume).await;
                            (idx, r, 0, Some(child))
                        }));
                        continue;
                    }
                    let started = self.emit_with_prev(
                        map_prev,
                        "MapIterationStarted",
                        Details::MapIteration { name: state.name.clone(), index: idx },
                    );
                    started_ids[idx] = started;
                    group.push(Box::pin(async move {
                        let label = Some(format!("item {idx}"));
                        let mut it = Thread::new(Scope::child(scope), started, depth, label, progress);
                        let r = match resume {
                            Some(r) => self.run_resumed(&m.processor, r, &mut it).await,
                            None => self.run_set(&m.processor, it_input, &mut it).await,
                        };
                        (idx, r, it.prev, None)
                    }));
                }
                let Some((_, (idx, r, last, child))) = group.next().await else { break };
                children[idx] = child;
                match r {
                    Ok(out) => {
                        if !distributed {
                            self.emit_with_prev(
                                last,
                                "MapIterationSucceeded",
                                Details::MapIteration { name: state.name.clone(), index: idx },
                            );
                        }
                        fanout.done(idx, &out);
                        results[idx] = Some(out);
                    }
                    Err(f) => {
                        failed_items += weights[idx];
                        if distributed && tolerated(failed_items) {
                            results[idx] = Some(f.error_output());
                            continue;
                        }
                        if !distributed {
                            self.emit_with_prev(
                                last,
                                "MapIterationFailed",
                                Details::MapIteration { name: state.name.clone(), index: idx },
                            );
                        }
                        failure =
                            Some(if distributed && (tolerated_count.is_some() || tolerated_percentage.is_some()) {
                                Failure::new(
                                    "States.ExceedToleratedFailureThreshold",
                                    Some("The specified tolerated failure threshold was exceeded".into()),
                                )
                            } else {
                                f
                            });
                        break;
                    }
                }
            }
            if failure.is_some() && !distributed {
                let running: Vec<usize> = (0..n).filter(|i| results[*i].is_none() && started_ids[*i] != 0).collect();
                drop(group);
                for idx in running {
                    self.emit_with_prev(
                        started_ids[idx],
                        "MapIterationAborted",
                        Details::MapIteration { name: state.name.clone(), index: idx },
                    );
                }
            }
        }
        // The Map Run's children, each as it ended: aborted when the run failed while it
        // ran, pending when it never started, done before a redrive as it was kept.
        let children: Vec<ChildExecution> = match &run {
            Some(run) => {
                let now = self.clock.now_ms();
                let all: Vec<ChildExecution> = children
                    .into_iter()
                    .enumerate()
                    .map(|(idx, c)| {
                        c.unwrap_or_else(|| {
                            let (name, input, start, status) = match launched[idx].take() {
                                Some((name, input, start)) => (name, input, start, "ABORTED"),
                                None => (String::new(), items[idx].clone(), now, "PENDING"),
                            };
                            let status = if results[idx].is_some() { "SUCCEEDED" } else { status };
                            ChildExecution {
                                arn: if name.is_empty() { String::new() } else { run.child_arn(self, &name) },
                                name,
                                status,
                                input,
                                output: results[idx].clone(),
                                error: None,
                                cause: None,
                                start_ms: start,
                                stop_ms: now,
                                history: Vec::new(),
                            }
                        })
                    })
                    .collect();
                self.record_map_run(v, m, run, &all);
                all
            }
            None => Vec::new(),
        };
        th.prev = lock(&self.history).last().map(|e| e.id).unwrap_or(th.prev);
        // The results are written whether the Map Run succeeded or failed.
        let written = match (&run, &m.result_writer) {
            (Some(run), Some(w)) => Some(self.write_results(v, th, input, &effective, w, run, &children)),
            _ => None,
        };
        if let Some(f) = failure {
            self.abort_running_trace(depth);
            self.emit(th, if distributed { "MapRunFailed" } else { "MapStateFailed" }, Details::None);
            return Err(f);
        }
        let result = match written {
            Some(Err(f)) => {
                self.emit(th, "MapRunFailed", Details::None);
                return Err(f);
            }
            Some(Ok(x)) => x,
            None => Value::Array(results.into_iter().map(Option::unwrap_or_default).collect()),
        };
        self.emit(th, if distributed { "MapRunSucceeded" } else { "MapStateSucceeded" }, Details::None);
        let done = self.finish_result(v, th, input, result)?;
        fanout.succeeded();
        Ok(done)
    }
}

fn th_prev_or(prev: u64, history: &Mutex<Vec<Event>>) -> u64 {
    lock(history).last().map(|e| e.id).unwrap_or(prev)
}
