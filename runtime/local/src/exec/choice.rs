//! Choice states: the first branch whose rule holds picks the next state, else
//! `Default`, else `States.NoChoiceMatched`. JSONPath rules (`And`, `Or`, `Not`,
//! the `Is*` tests, `StringMatches`, the comparisons) are evaluated here; a
//! JSONata `Condition` is evaluated by `dataflow`, which this room asks, as it asks
//! for `InputPath`, `Assign` and the output.

use std::borrow::Cow;

use serde_json::Value;

use super::dataflow::Sources;
use super::{Ctx, Failure, Flow, Thread, Visit};
use crate::history::TraceStatus;
use crate::jsonpath::JsonPath;
use crate::model::*;
use crate::time::parse_timestamp;
use crate::value::{json_eq, to_json_string, type_name};

impl<'c> Ctx<'c> {
    pub(super) fn choice(&self, v: &Visit<'_>, th: &mut Thread<'_>, input: Value, c: &Choice) -> Result<Flow, Failure> {
        let state = v.state;
        match &state.flow {
            DataFlow::Path { input_path, output_path, .. } => {
                let effective = self.apply_path(v, th, input_path, input)?;
                let mut chosen = None;
                for b in &c.branches {
                    if self.rule(v, th, &b.rule, &effective)? {
                        chosen = Some(b);
                        break;
                    }
                }
                // A matching rule assigns only its own `Assign`; the state's runs only on the
                // way to `Default` (AWS docs, "Choice workflow state", Using Assign with
                // Choice states: "These two placements are mutually exclusive at runtime").
                let (next, assign) = match chosen {
                    Some(b) => (b.next, b.assign.as_ref()),
                    None => match c.default {
                        Some(d) => (d, state.assign.as_ref()),
                        None => return Err(self.no_choice(v)),
                    },
                };
                let assigned = self.assign(v, th, assign, &effective, None)?;
                let out = self.apply_path(v, th, output_path, effective)?;
                self.exit(v, th, out, assigned, Transition::Next(next), TraceStatus::Succeeded)
            }
            DataFlow::Ata { output, .. } => {
                let states = self.states_value(v, &input, &[], None);
                let mut chosen = None;
                for b in &c.branches {
                    let Rule::Condition(e) = &b.rule else {
                        if self.rule(v, th, &b.rule, &input)? {
                            chosen = Some(b);
                            break;
                        }
                        continue;
                    };
                    match self.eval_expr(e, &states, &th.scope) {
                        Ok(Value::Bool(true)) => {
                            chosen = Some(b);
                            break;
                        }
                        Ok(Value::Bool(false)) => {}
                        Ok(other) => {
                            return Err(self.query_error(
                                th,
                                v,
                                e.field(),
                                format!(
                                    "The JSONata expression '{}' specified for the field '{}' returned an unexpected result type. Expected 'boolean', but was '{}' for value: {}",
                                    e.text(),
                                    e.field(),
                                    type_name(&other),
                                    to_json_string(&other)
                                ),
                            ));
                        }
                        Err(err) => return Err(self.ata_failure(th, v, err)),
                    }
                }
                let (next, assign, out_t) = match chosen {
                    // As above: a matching rule's `Assign`, never the state's.
                    Some(b) => (b.next, b.assign.as_ref(), b.output.as_ref().or(output.as_ref())),
                    None => match c.default {
                        Some(d) => (d, state.assign.as_ref(), output.as_ref()),
                        None => return Err(self.no_choice(v)),
                    },
                };
                let assigned = self.assign(v, th, assign, &input, Some(&states))?;
                let out = match out_t {
                    Some(t) => self.eval_ata(t, &states, &th.scope).map_err(|e| self.ata_failure(th, v, e))?,
                    None => input,
                };
                self.exit(v, th, out, assigned, Transition::Next(next), TraceStatus::Succeeded)
            }
        }
    }

    fn no_choice(&self, v: &Visit<'_>) -> Failure {
        Failure::new("States.NoChoiceMatched", Some(format!("{}No Matches!", self.prefix(v))))
    }

    /// Evaluates a JSONPath choice rule against `input`.
    fn rule(&self, v: &Visit<'_>, th: &Thread<'_>, r: &Rule, input: &Value) -> Result<bool, Failure> {
        let mut src = Sources::new(self, v, input, &th.scope);
        self.rule_in(v, r, &mut src)
    }

    fn rule_in(&self, v: &Visit<'_>, r: &Rule, src: &mut Sources<'_, '_>) -> Result<bool, Failure> {
        fn var(src: &mut Sources<'_, '_>, p: &JsonPath) -> Option<Value> {
            let root = src.root(p.root())?.clone();
            if p.is_definite() { p.select_one(&root).ok().cloned() } else { p.select(&root).ok().map(Cow::into_owned) }
        }
        Ok(match r {
            Rule::And(rs) => {
                for x in rs {
                    if !self.rule_in(v, x, src)? {
                        return Ok(false);
                    }
                }
                true
            }
            Rule::Or(rs) => {
                for x in rs {
                    if self.rule_in(v, x, src)? {
                        return Ok(true);
                    }
                }
                false
            }
            Rule::Not(x) => !self.rule_in(v, x, src)?,
            Rule::Condition(_) => false,
            Rule::IsPresent { variable, expect } => var(src, variable).is_some() == *expect,
            Rule::IsNull { variable, expect } => {
                let x = var(src, variable);
                if x.is_none() {
                    return Err(self.runtime(
                        v,
                        &format!(
                            "Invalid path '{}': The choice state's condition path references an undefined value.",
                            variable.as_str()
                        ),
                    ));
                }
                matches!(x, Some(Value::Null)) == *expect
            }
            Rule::IsNumeric { variable, expect } => var(src, variable).is_some_and(|x| x.is_number()) == *expect,
            Rule::IsString { variable, expect } => var(src, variable).is_some_and(|x| x.is_string()) == *expect,
            Rule::IsBoolean { variable, expect } => var(src, variable).is_some_and(|x| x.is_boolean()) == *expect,
            Rule::IsTimestamp { variable, expect } => {
                var(src, variable).is_some_and(|x| x.as_str().is_some_and(|s| parse_timestamp(s).is_some())) == *expect
            }
            Rule::StringMatches { variable, pattern } => {
                let Some(x) = var(src, variable) else {
                    return Err(self.undefined_variable(v, variable));
                };
                x.as_str().is_some_and(|s| string_matches(pattern, s))
            }
            Rule::Compare { variable, kind, op, operand } => {
                let Some(x) = var(src, variable) else {
                    return Err(self.undefined_variable(v, variable));
                };
                let rhs = match operand {
                    Operand::Lit(l) => l.clone(),
                    Operand::Path(p) => match var(src, p) {
                        Some(y) => y,
                        None => return Err(self.undefined_variable(v, p)),
                    },
                };
                compare(*kind, *op, &x, &rhs)
            }
        })
    }

    fn undefined_variable(&self, v: &Visit<'_>, p: &JsonPath) -> Failure {
        self.runtime(
            v,
            &format!("Invalid path '{}': The choice state's condition path references an invalid value.", p.as_str()),
        )
    }
}

/// `StringMatches`: `*` matches any run of characters; `\*` and `\\` are literals.
pub(crate) fn string_matches(pattern: &str, s: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Tok {
        Star,
        Ch(char),
    }
    let mut toks = Vec::new();
    let mut it = pattern.chars();
    while let Some(c) = it.next() {
        match c {
            '\\' => {
                if let Some(n) = it.next() {
                    toks.push(Tok::Ch(n));
                }
            }
            '*' => toks.push(Tok::Star),
            other => toks.push(Tok::Ch(other)),
        }
    }
    let text: Vec<char> = s.chars().collect();
    // Classic wildcard matching with backtracking on the last star.
    let (mut p, mut t) = (0usize, 0usize);
    let (mut star, mut mark) = (None, 0usize);
    while t < text.len() {
        if p < toks.len() && toks[p] == Tok::Ch(text[t]) {
            p += 1;
            t += 1;
        } else if p < toks.len() && toks[p] == Tok::Star {
            star = Some(p);
            mark = t;
            p += 1;
        } else if let Some(sp) = star {
            p = sp + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    while p < toks.len() && toks[p] == Tok::Star {
        p += 1;
    }
    p == toks.len()
}

/// A JSONPath comparison. Mismatched types compare false.
fn compare(kind: CmpKind, op: CmpOp, x: &Value, rhs: &Value) -> bool {
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match kind {
        CmpKind::String => match (x, rhs) {
            (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
            _ => None,
        },
        CmpKind::Numeric => match (x, rhs) {
            (Value::Number(a), Value::Number(b)) => {
                if json_eq(x, rhs) {
                    Some(Ordering::Equal)
                } else {
                    a.as_f64().zip(b.as_f64()).and_then(|(a, b)| a.partial_cmp(&b))
                }
            }
            _ => None,
        },
        CmpKind::Timestamp => match (x.as_str().and_then(parse_timestamp), rhs.as_str().and_then(parse_timestamp)) {
            (Some(a), Some(b)) => Some(a.cmp(&b)),
            _ => None,
        },
        CmpKind::Boolean => match (x, rhs) {
            (Value::Bool(a), Value::Bool(b)) => return op == CmpOp::Eq && a == b,
            _ => None,
        },
    };
    let Some(o) = ord else { return false };
    match op {
        CmpOp::Eq => o == Ordering::Equal,
        CmpOp::Lt => o == Ordering::Less,
        CmpOp::Gt => o == Ordering::Greater,
        CmpOp::Le => o != Ordering::Greater,
        CmpOp::Ge => o != Ordering::Less,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wildcards() {
        assert!(string_matches("log-*.txt", "log-2024.txt"));
        assert!(string_matches("*", ""));
        assert!(!string_matches("a*b", "acd"));
        assert!(string_matches("a\\*b", "a*b"));
        assert!(!string_matches("a\\*b", "axb"));
    }

    #[test]
    fn comparisons() {
        assert!(compare(CmpKind::Numeric, CmpOp::Eq, &json!(1), &json!(1.0)));
        assert!(!compare(CmpKind::Numeric, CmpOp::Eq, &json!("1"), &json!(1)));
        assert!(compare(CmpKind::Timestamp, CmpOp::Lt, &json!("2016-03-14T01:59:00Z"), &json!("2016-03-14T02:00:00Z")));
        assert!(compare(CmpKind::Boolean, CmpOp::Eq, &json!(false), &json!(false)));
    }

    #[test]
    fn booleans_compare_only_for_equality_and_mismatched_types_never() {
        assert!(!compare(CmpKind::Boolean, CmpOp::Le, &json!(true), &json!(true)));
        assert!(compare(CmpKind::String, CmpOp::Le, &json!("a"), &json!("a")));
        assert!(compare(CmpKind::String, CmpOp::Gt, &json!("b"), &json!("a")));
        assert!(!compare(CmpKind::String, CmpOp::Lt, &json!(1), &json!("a")));
        assert!(!compare(CmpKind::Timestamp, CmpOp::Eq, &json!("yesterday"), &json!("yesterday")));
    }

    #[test]
    fn escaped_backslashes_and_stars_in_string_matches() {
        assert!(string_matches("a\\\\b", "a\\b"));
        assert!(string_matches("*.log", ".log"));
        assert!(string_matches("a*b*c", "aXbYbZc"));
        assert!(!string_matches("a*", "ba"));
    }
}
