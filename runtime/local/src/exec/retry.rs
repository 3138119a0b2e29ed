//! `Retry` and `Catch`: the attempts of a Task, Parallel or Map state, the back-off
//! between them (interval, `BackoffRate`, `MaxDelaySeconds`, `JitterStrategy`), and
//! the catcher that turns a final failure into a transition. What one attempt does is
//! `task`'s or `fanout`'s; what a catcher outputs is `dataflow`'s.

use serde_json::Value;

use super::{Assigned, Ctx, Failure, Flow, Thread, Visit};
use crate::history::TraceStatus;
use crate::model::*;
use crate::rt::{BoxFuture, lock};

impl<'c> Ctx<'c> {
    /// Task, Parallel and Map: attempts with Retry, then Catch.
    pub(super) async fn execution_state(
        &self,
        v: &mut Visit<'_>,
        th: &mut Thread<'_>,
        input: Value,
    ) -> Result<Flow, Failure> {
        let state = v.state;
        let mut counts = vec![0u32; state.retry.len()];
        let attempt_result = loop {
            // Each kind's attempt is boxed, so a parked execution holds only its own.
            let attempt: BoxFuture<'_, Result<(Value, Assigned), Failure>> = match &state.kind {
                Kind::Task(t) => Box::pin(self.task_attempt(v, th, &input, t)),
                Kind::Parallel(p) => Box::pin(self.parallel_attempt(v, th, &input, p)),
                Kind::Map(m) => Box::pin(self.map_attempt(v, th, &input, m)),
                _ => unreachable!("only Task, Parallel and Map are execution states"),
            };
            let r = attempt.await;
            match r {
                Ok(done) => break Ok(done),
                Err(f) => {
                    self.check_history()?;
                    if let Some(delay_ms) = self.retry_delay(state, &mut counts, &f) {
                        v.retry_count += 1;
                        if delay_ms > 0 {
                            self.clock.sleep_ms(delay_ms).await;
                        }
                        continue;
                    }
                    break Err(f);
                }
            }
        };
        match attempt_result {
            Ok((output, assigned)) => self.exit(v, th, output, assigned, state.transition, TraceStatus::Succeeded),
            Err(f) => self.catch(v, th, input, f),
        }
    }

    /// The back-off before the next attempt, if a retrier applies.
    fn retry_delay(&self, state: &State, counts: &mut [u32], f: &Failure) -> Option<i64> {
        // Only the first retrier whose `ErrorEquals` matches applies, with a count of its
        // own; once it is exhausted the error goes to Catch, not to a later retrier
        // (AWS docs, "Handling errors in Step Functions workflows", Retrying after an error).
        let (i, r) = state.retry.iter().enumerate().find(|(_, r)| r.error_equals.matches(&f.error))?;
        if counts[i] >= r.max_attempts {
            return None;
        }
        counts[i] += 1;
        let mut secs = r.delay_seconds(counts[i]);
        // `JitterStrategy: FULL` draws the delay uniformly below the computed one.
        if r.jitter == Jitter::Full {
            secs *= lock(&self.rng).next_f64();
        }
        Some((secs * 1000.0).round() as i64)
    }

    fn catch(&self, v: &Visit<'_>, th: &mut Thread<'_>, input: Value, f: Failure) -> Result<Flow, Failure> {
        let state = v.state;
        // The first catcher that matches wins (AWS docs, "Handling errors", Fallback states).
        let Some(c) = state.catch.iter().find(|c| c.error_equals.matches(&f.error)) else {
            return Err(f);
        };
        let error_output = f.error_output();
        let (output, assigned) = match state.query_language {
            QueryLanguage::JsonPath => {
                // A catcher's `ResultPath` merges the error output into the state's own
                // input, not into anything an attempt produced.
                let assigned = self.assign(v, th, c.assign.as_ref(), &error_output, None)?;
                let out = self.apply_result_path(v, &c.result_path, input, error_output)?;
                (out, assigned)
            }
            QueryLanguage::JsonAta => {
                let states = self.states_value(v, &input, &[("errorOutput", &error_output)], None);
                let assigned = self.assign(v, th, c.assign.as_ref(), &error_output, Some(&states))?;
                let out = match &c.output {
                    Some(t) => self.eval_ata(t, &states, &th.scope).map_err(|e| self.ata_failure(th, v, e))?,
                    None => error_output,
                };
                (out, assigned)
            }
        };
        let status = TraceStatus::Caught;
        let r = self.exit(v, th, output, assigned, Transition::Next(c.next), status);
        let mut t = lock(&self.trace);
        if let Some(e) = t.get_mut(v.trace_idx) {
            e.error = Some(f.error.clone());
        }
        r
    }
}
