//! Mocked task answers: per state name or function name, per call (return a value,
//! fail, echo the payload, take virtual time, deliver a callback), and AWS Step
//! Functions Local's mock configuration (`StateMachines` / `TestCases` /
//! `MockedResponses` with `Return` / `Throw` and `"0"`, `"1-2"` keys).

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;

use crate::task::{Callback, TaskFailure, TaskRequest, TaskResponse};

#[derive(Debug, Clone, PartialEq)]
enum Answer {
    /// The function returns this value.
    Return(Value),
    /// The task result itself (Step Functions Local `Return`).
    Raw(Value),
    Fail(TaskFailure),
    /// The function returns its payload.
    Echo,
    /// No answer for this call: the execution fails with `States.Runtime`.
    Missing(String),
}

/// One mocked call.
#[derive(Debug, Clone, PartialEq)]
pub struct MockStep {
    answer: Answer,
    delay: Duration,
    callback: Option<(Callback, Duration)>,
}

/// The answers of one mocked state or function, by call number (0-based, counted
/// per state or function over the execution).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mock {
    ranges: Vec<(u32, u32, MockStep)>,
}

impl Mock {
    fn single(answer: Answer) -> Mock {
        Mock { ranges: vec![(0, u32::MAX, MockStep { answer, delay: Duration::ZERO, callback: None })] }
    }

    /// Every call returns `value`.
    pub fn returns(value: Value) -> Mock {
        Mock::single(Answer::Return(value))
    }

    /// Every call fails with `error` and `cause`.
    pub fn fails(error: impl Into<String>, cause: impl Into<String>) -> Mock {
        Mock::single(Answer::Fail(TaskFailure::new(error, cause)))
    }

    /// Every call returns the payload it was given.
    pub fn echo() -> Mock {
        Mock::single(Answer::Echo)
    }

    fn push(mut self, answer: Answer) -> Mock {
        // The previous last answer stops repeating; the new one repeats.
        let n = self.ranges.len() as u32;
        if let Some(last) = self.ranges.last_mut() {
            last.1 = last.0;
        }
        let lo = self.ranges.last().map(|r| r.1 + 1).unwrap_or(n);
        self.ranges.push((lo, u32::MAX, MockStep { answer, delay: Duration::ZERO, callback: None }));
        self
    }

    /// Then (from the next call on) return `value`.
    pub fn then_returns(self, value: Value) -> Mock {
        self.push(Answer::Return(value))
    }

    /// Then fail with `error` and `cause`.
    pub fn then_fails(self, error: impl Into<String>, cause: impl Into<String>) -> Mock {
        self.push(Answer::Fail(TaskFailure::new(error, cause)))
    }

    /// Then echo the payload.
    pub fn then_echoes(self) -> Mock {
        self.push(Answer::Echo)
    }

    /// The latest answer takes `d` of virtual time.
    pub fn taking(mut self, d: Duration) -> Mock {
        if let Some(last) = self.ranges.last_mut() {
            last.2.delay = d;
        }
        self
    }

    /// For `.waitForTaskToken` tasks: the latest answer is followed, after `after` of
    /// virtual time, by `SendTaskSuccess` with `output`.
    pub fn then_callback_success(mut self, output: Value, after: Duration) -> Mock {
        if let Some(last) = self.ranges.last_mut() {
            last.2.callback = Some((Callback::Success(output), after));
        }
        self
    }

    /// For `.waitForTaskToken` tasks: `SendTaskFailure` after `after`.
    pub fn then_callback_failure(
        mut self,
        error: impl Into<String>,
        cause: impl Into<String>,
        after: Duration,
    ) -> Mock {
        if let Some(last) = self.ranges.last_mut() {
            last.2.callback = Some((Callback::Failure(TaskFailure::new(error, cause)), after));
        }
        self
    }

    fn step(&self, call: u32) -> Option<&MockStep> {
        self.ranges.iter().find(|(lo, hi, _)| (*lo..=*hi).contains(&call)).map(|(_, _, s)| s)
    }
}

/// Mocks by state name, by function name, and a fallback for every task.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mocks {
    states: HashMap<String, Mock>,
    functions: HashMap<String, Mock>,
    fallback: Option<Mock>,
}

impl Mocks {
    /// No mocks.
    pub fn new() -> Mocks {
        Mocks::default()
    }

    /// Answers the Task state `state`.
    pub fn state(mut self, state: impl Into<String>, mock: Mock) -> Mocks {
        self.states.insert(state.into(), mock);
        self
    }

    /// Answers every call of the Lambda function `name` (bare name).
    pub fn function(mut self, name: impl Into<String>, mock: Mock) -> Mocks {
        self.functions.insert(name.into(), mock);
        self
    }

    /// Answers every task no other mock answers.
    pub fn fallback(mut self, mock: Mock) -> Mocks {
        self.fallback = Some(mock);
        self
    }

    /// Whether nothing is mocked.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty() && self.functions.is_empty() && self.fallback.is_none()
    }

    /// The answer to `req`, if mocked; `counters` counts calls per mock key.
    pub(crate) fn answer(&self, req: &TaskRequest, counters: &mut HashMap<String, u32>) -> Option<TaskResponse> {
        let (key, mock) = if let Some(m) = self.states.get(&*req.state_name) {
            (format!("state:{}", req.state_name), m)
        } else if let Some((name, m)) = req.function_name.as_ref().and_then(|f| self.functions.get(f).map(|m| (f, m))) {
            (format!("function:{name}"), m)
        } else {
            ("*".to_string(), self.fallback.as_ref()?)
        };
        let n = counters.entry(key).or_insert(0);
        let call = *n;
        *n += 1;
        let Some(step) = mock.step(call) else {
            return Some(TaskResponse::fail(TaskFailure::new(
                "States.Runtime",
                format!("No mocked response for call #{call} of the state '{}'.", req.state_name),
            )));
        };
        let outcome = match &step.answer {
            Answer::Return(v) => Ok(v.clone()),
            Answer::Raw(v) => Ok(v.clone()),
            Answer::Fail(f) => Err(f.clone()),
            Answer::Echo => Ok(req.payload.clone()),
            Answer::Missing(msg) => Err(TaskFailure::new("States.Runtime", msg.clone())),
        };
        Some(TaskResponse {
            outcome,
            raw: matches!(step.answer, Answer::Raw(_)),
            duration: step.delay,
            callback: step.callback.clone(),
        })
    }
}

/// A Step Functions Local mock configuration file.
#[derive(Debug, Clone)]
pub struct MockConfig {
    doc: Value,
}

impl MockConfig {
    /// Reads the configuration; checks its shape.
    pub fn from_json(doc: Value) -> Result<MockConfig, String> {
        let machines = doc
            .get("StateMachines")
            .and_then(Value::as_object)
            .ok_or("the mock configuration has no 'StateMachines' object")?;
        let responses = doc
            .get("MockedResponses")
            .and_then(Value::as_object)
            .ok_or("the mock configuration has no 'MockedResponses' object")?;
        for (sm, v) in machines {
            let cases = v
                .get("TestCases")
                .and_then(Value::as_object)
                .ok_or_else(|| format!("state machine '{sm}' has no 'TestCases' object"))?;
            for (tc, states) in cases {
                let states = states
                    .as_object()
                    .ok_or_else(|| format!("test case '{tc}' must map state names to mocked responses"))?;
                for (state, resp) in states {
                    let r = resp
                        .as_str()
                        .ok_or_else(|| format!("test case '{tc}': the mocked response of '{state}' must be a name"))?;
                    if !responses.contains_key(r) {
                        return Err(format!("test case '{tc}': no mocked response named '{r}' (state '{state}')"));
                    }
                }
            }
        }
        for (name, r) in responses {
            parse_response(name, r)?;
        }
        Ok(MockConfig { doc })
    }

    /// The names of the test cases, with their state machine.
    pub fn test_cases(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(m) = self.doc["StateMachines"].as_object() {
            for (sm, v) in m {
                if let Some(cases) = v["TestCases"].as_object() {
                    out.extend(cases.keys().map(|tc| (sm.clone(), tc.clone())));
                }
            }
        }
        out
    }

    /// The mocks of a test case; `state_machine` may be omitted when the test case
    /// name is unique.
    pub fn mocks(&self, state_machine: Option<&str>, test_case: &str) -> Result<Mocks, String> {
        let machines = self.doc["StateMachines"].as_object().ok_or("no 'StateMachines'")?;
        let candidates: Vec<(&String, &Value)> = machines
            .iter()
            .filter(|(sm, _)| state_machine.is_none_or(|want| want == sm.as_str()))
            .filter_map(|(sm, v)| v["TestCases"].get(test_case).map(|tc| (sm, tc)))
            .collect();
        let (_, states) = match candidates.as_slice() {
            [one] => one,
            [] => return Err(format!("no test case named '{test_case}' in the mock configuration")),
            _ => {
                return Err(format!(
                    "the test case '{test_case}' exists for several state machines; name one with --state-machine"
                ));
            }
        };
        let mut mocks = Mocks::new();
        for (state, resp) in states.as_object().into_iter().flatten() {
            let name = resp.as_str().unwrap_or_default();
            let mock = parse_response(name, &self.doc["MockedResponses"][name])?;
            mocks = mocks.state(state.clone(), mock);
        }
        Ok(mocks)
    }
}

fn parse_response(name: &str, r: &Value) -> Result<Mock, String> {
    let table = r.as_object().ok_or_else(|| format!("mocked response '{name}' must be an object"))?;
    let mut ranges = Vec::new();
    for (key, v) in table {
        let (lo, hi) = match key.split_once('-') {
            Some((a, b)) => (a.trim().parse::<u32>(), b.trim().parse::<u32>()),
            None => (key.trim().parse::<u32>(), key.trim().parse::<u32>()),
        };
        let (Ok(lo), Ok(hi)) = (lo, hi) else {
            return Err(format!("mocked response '{name}': '{key}' is not an attempt number or range like \"1-2\""));
        };
        if hi < lo {
            return Err(format!("mocked response '{name}': the range '{key}' is empty"));
        }
        let answer = match (v.get("Return"), v.get("Throw")) {
            (Some(_), Some(_)) => {
                return Err(format!("mocked response '{name}' attempt '{key}' has both 'Return' and 'Throw'"));
            }
            (Some(ret), None) => Answer::Raw(ret.clone()),
            (None, Some(t)) => {
                let error = t.get("Error").and_then(Value::as_str).ok_or_else(|| {
                    format!("mocked response '{name}' attempt '{key}': 'Throw' needs an 'Error' string")
                })?;
                let cause = t.get("Cause").and_then(Value::as_str).map(str::to_owned);
                Answer::Fail(TaskFailure { error: error.to_string(), cause })
            }
            (None, None) => return Err(format!("mocked response '{name}' attempt '{key}' needs 'Return' or 'Throw'")),
        };
        ranges.push((lo, hi, MockStep { answer, delay: Duration::ZERO, callback: None }));
    }
    ranges.sort_by_key(|r| r.0);
    if ranges.is_empty() {
        ranges.push((
            0,
            u32::MAX,
            MockStep {
                answer: Answer::Missing(format!("The mocked response '{name}' has no attempts.")),
                delay: Duration::ZERO,
                callback: None,
            },
        ));
    }
    Ok(Mock { ranges })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;

    fn req(state: &str) -> TaskRequest {
        TaskRequest {
            state_name: Arc::from(state),
            resource: Arc::from("arn:aws:states:::lambda:invoke"),
            kind: crate::task::TaskKind::LambdaInvoke,
            function_name: Some("f".into()),
            payload: json!({"p": 1}),
            parameters: json!({}),
            attempt: 0,
            invocation: 0,
            task_token: None,
            execution_name: Arc::from("e"),
            callbacks: Arc::default(),
        }
    }

    #[test]
    fn sequences_repeat_their_last_answer() {
        let mocks = Mocks::new().state("A", Mock::fails("E", "c").then_returns(json!(1)).then_echoes());
        let mut counters = HashMap::new();
        let r: Vec<_> = (0..4).map(|_| mocks.answer(&req("A"), &mut counters).unwrap().outcome).collect();
        assert_eq!(r[0], Err(TaskFailure::new("E", "c")));
        assert_eq!(r[1], Ok(json!(1)));
        assert_eq!(r[2], Ok(json!({"p": 1})));
        assert_eq!(r[3], Ok(json!({"p": 1})));
        assert!(mocks.answer(&req("B"), &mut counters).is_none());
    }

    #[test]
    fn step_functions_local_format() {
        let cfg = MockConfig::from_json(json!({
            "StateMachines": {"sm": {"TestCases": {"T": {"A": "R"}}}},
            "MockedResponses": {"R": {
                "0": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "slow down"}},
                "1-2": {"Return": {"StatusCode": 200, "Payload": {"ok": true}}}
            }}
        }))
        .unwrap();
        let mocks = cfg.mocks(None, "T").unwrap();
        let mut counters = HashMap::new();
        let first = mocks.answer(&req("A"), &mut counters).unwrap();
        assert_eq!(first.outcome.unwrap_err().error, "Lambda.TooManyRequestsException");
        let second = mocks.answer(&req("A"), &mut counters).unwrap();
        assert!(second.raw);
        assert_eq!(second.outcome.unwrap(), json!({"StatusCode": 200, "Payload": {"ok": true}}));
        mocks.answer(&req("A"), &mut counters).unwrap();
        let fourth = mocks.answer(&req("A"), &mut counters).unwrap();
        assert_eq!(fourth.outcome.unwrap_err().error, "States.Runtime");
        assert!(cfg.mocks(None, "Nope").is_err());
    }
}
