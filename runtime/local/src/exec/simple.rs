//! Pass, Wait, Succeed and Fail: the states that call nothing and run no branch.
//! Their input and output processing is `dataflow`'s; a Wait only works out its
//! deadline and sleeps on the virtual clock.

use serde_json::Value;

use super::dataflow::{Sources, plain};
use super::{Ctx, Failure, Flow, Thread, Visit};
use crate::history::TraceStatus;
use crate::model::*;
use crate::template::Resolve;
use crate::time::parse_timestamp;
use crate::value::{to_json_string, type_name};

impl<'c> Ctx<'c> {
    pub(super) fn pass(
        &self,
        v: &Visit<'_>,
        th: &mut Thread<'_>,
        input: Value,
        result: Option<&Value>,
    ) -> Result<Flow, Failure> {
        let state = v.state;
        match &state.flow {
            DataFlow::Path { input_path, parameters, result_path, output_path, .. } => {
                // The raw input is copied only when ResultPath merges into it.
                let raw = match result_path {
                    ResultPathSpec::Root => None,
                    _ => Some(input.clone()),
                };
                let effective = self.apply_path(v, th, input_path, input)?;
                let res = match (parameters, result) {
                    (Some(p), _) => self.path_template(v, th, p, &effective)?,
                    (None, Some(r)) => r.clone(),
                    (None, None) => effective,
                };
                let assigned = self.assign(v, th, state.assign.as_ref(), &res, None)?;
                let merged = match raw {
                    None => res,
                    Some(raw) => self.apply_result_path(v, result_path, raw, res)?,
                };
                self.check_size(v, &merged)?;
                let out = self.apply_path(v, th, output_path, merged)?;
                self.exit(v, th, out, assigned, state.transition, TraceStatus::Succeeded)
            }
            DataFlow::Ata { output, .. } => {
                let states = self.states_value(v, &input, &[], None);
                let assigned = self.assign(v, th, state.assign.as_ref(), &input, Some(&states))?;
                let out = match output {
                    Some(t) => self.eval_ata(t, &states, &th.scope).map_err(|e| self.ata_failure(th, v, e))?,
                    None => input,
                };
                self.check_size(v, &out)?;
                self.exit(v, th, out, assigned, state.transition, TraceStatus::Succeeded)
            }
        }
    }

    pub(super) fn succeed(&self, v: &Visit<'_>, th: &mut Thread<'_>, input: Value) -> Result<Flow, Failure> {
        let out = match &v.state.flow {
            DataFlow::Path { input_path, output_path, .. } => {
                let effective = self.apply_path(v, th, input_path, input)?;
                self.apply_path(v, th, output_path, effective)?
            }
            DataFlow::Ata { output: Some(t), .. } => {
                let states = self.states_value(v, &input, &[], None);
                self.eval_ata(t, &states, &th.scope).map_err(|e| self.ata_failure(th, v, e))?
            }
            DataFlow::Ata { output: None, .. } => input,
        };
        self.exit(v, th, out, Vec::new(), Transition::End, TraceStatus::Succeeded)
    }

    fn fail_field(
        &self,
        v: &Visit<'_>,
        th: &mut Thread<'_>,
        input: &Value,
        f: &FailField,
        name: &str,
    ) -> Result<Option<String>, Failure> {
        let as_text = |x: Value| match x {
            Value::String(s) => s,
            other => to_json_string(&other),
        };
        Ok(match f {
            FailField::None => None,
            FailField::Lit(s) => Some(s.clone()),
            FailField::Path(p) => {
                let mut s = Sources::new(self, v, input, &th.scope);
                let x = s.resolve(p, &format!("{name}Path")).map_err(|e| self.runtime(v, &e.0))?.into_owned();
                Some(as_text(x))
            }
            FailField::Call(c) => {
                let mut s = Sources::new(self, v, input, &th.scope);
                let x =
                    crate::template::eval_call(c, &format!("{name}Path"), &mut s).map_err(|e| self.runtime(v, &e.0))?;
                Some(as_text(x))
            }
            FailField::Ata(t) => {
                let states = self.states_value(v, input, &[], None);
                let x = self.eval_ata(t, &states, &th.scope).map_err(|e| self.ata_failure(th, v, e))?;
                Some(as_text(x))
            }
        })
    }

    pub(super) fn fail(
        &self,
        v: &Visit<'_>,
        th: &mut Thread<'_>,
        input: Value,
        error: &FailField,
        cause: &FailField,
    ) -> Result<Flow, Failure> {
        let error = self.fail_field(v, th, &input, error, "Error")?;
        let cause = self.fail_field(v, th, &input, cause, "Cause")?;
        // A Fail state without `Error` reports no error name (an empty name here).
        Err(Failure { error: error.unwrap_or_default(), cause })
    }

    pub(super) async fn wait(
        &self,
        v: &Visit<'_>,
        th: &mut Thread<'_>,
        input: Value,
        w: &Wait,
    ) -> Result<Flow, Failure> {
        let state = v.state;
        let effective = match &state.flow {
            DataFlow::Path { input_path, .. } => self.apply_path(v, th, input_path, input)?,
            DataFlow::Ata { .. } => input,
        };
        let now = self.clock.now_ms();
        let until = match w {
            Wait::Seconds(s) => now + (*s as i64) * 1000,
            Wait::Timestamp(t) => *t,
            Wait::SecondsPath(p) => {
                let x = self.resolve_for(v, th, p, &effective, "SecondsPath")?;
                let secs = match &x {
                    Value::Number(n) if n.is_i64() || n.is_u64() => n.as_i64().unwrap_or(i64::MAX),
                    _ => {
                        return Err(self.runtime(
                            v,
                            &format!(
                                "The SecondsPath parameter cannot be parsed as a long value: {} == {}",
                                p.as_str(),
                                plain(&x)
                            ),
                        ));
                    }
                };
                if secs < 0 {
                    return Err(self.runtime(
                        v,
                        &format!("The SecondsPath parameter references a negative value: {} == {}", p.as_str(), secs),
                    ));
                }
                now + secs.saturating_mul(1000)
            }
            Wait::TimestampPath(p) => {
                let x = self.resolve_for(v, th, p, &effective, "TimestampPath")?;
                match x.as_str().and_then(parse_timestamp) {
                    Some(t) => t,
                    None => {
                        return Err(self.runtime(
                            v,
                            &format!(
                                "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {} == {}",
                                p.as_str(),
                                plain(&x)
                            ),
                        ));
                    }
                }
            }
            Wait::SecondsAta(e) => {
                let st = self.states_value(v, &effective, &[], None);
                let st = &st;
                let x = self.eval_expr(e, st, &th.scope).map_err(|err| self.ata_failure(th, v, err))?;
                match x.as_f64() {
                    Some(s) if s >= 0.0 && s.fract() == 0.0 => now + (s as i64) * 1000,
                    _ => {
                        return Err(self.query_error(
                            th,
                            v,
                            "Seconds",
                            format!(
                                "The JSONata expression '{}' specified for the field 'Seconds' returned an unexpected result type. Expected 'integer', but was '{}' for value: {}",
                                e.text(),
                                type_name(&x),
                                to_json_string(&x)
                            ),
                        ));
                    }
                }
            }
            Wait::TimestampAta(e) => {
                let st = self.states_value(v, &effective, &[], None);
                let st = &st;
                let x = self.eval_expr(e, st, &th.scope).map_err(|err| self.ata_failure(th, v, err))?;
                match x.as_str().and_then(parse_timestamp) {
                    Some(t) => t,
                    None => {
                        return Err(self.query_error(
                            th,
                            v,
                            "Timestamp",
                            format!(
                                "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {}",
                                plain(&x)
                            ),
                        ));
                    }
                }
            }
        };
        if until > now {
            self.clock.sleep_until(until).await;
        }
        match &state.flow {
            DataFlow::Path { output_path, .. } => {
                let assigned = self.assign(v, th, state.assign.as_ref(), &effective, None)?;
                let out = self.apply_path(v, th, output_path, effective)?;
                self.exit(v, th, out, assigned, state.transition, TraceStatus::Succeeded)
            }
            DataFlow::Ata { output, .. } => {
                let st = self.states_value(v, &effective, &[], None);
                let assigned = self.assign(v, th, state.assign.as_ref(), &effective, Some(&st))?;
                let out = match output {
                    Some(t) => self.eval_ata(t, &st, &th.scope).map_err(|e| self.ata_failure(th, v, e))?,
                    None => effective,
                };
                self.exit(v, th, out, assigned, state.transition, TraceStatus::Succeeded)
            }
        }
    }
}
