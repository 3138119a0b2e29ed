//! Mocked task answers: per state name, function name or resource, per call (return a
//! value, fail, echo the payload, take virtual time, deliver a callback), and AWS Step
//! Functions Local's mock configuration (`StateMachines` / `TestCases` /
//! `MockedResponses` with `Return` / `Throw` and `"0"`, `"1-2"` keys). A mocked failure
//! of an AWS SDK integration must carry a name AWS could raise ([`sdk_error_name`]).

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

    /// Every call fails as the AWS SDK integration of `service` (its name in the resource,
    /// `dynamodb` of `arn:aws:states:::aws-sdk:dynamodb:putItem`) does when the service
    /// answers with the error `code` (`ConditionalCheckFailed`, or with its suffix,
    /// `ConditionalCheckFailedException`): the error is `DynamoDb.ConditionalCheckFailedException`.
    pub fn sdk_fails(service: &str, code: &str, cause: impl Into<String>) -> Mock {
        Mock::fails(Mock::sdk_error(service, code), cause)
    }

    /// The error name Step Functions gives the error `code` of the AWS SDK integration of
    /// `service`; see [`Mock::sdk_fails`].
    pub fn sdk_error(service: &str, code: &str) -> String {
        sdk_error_name(service, code)
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

    /// One mocked response of a Step Functions Local configuration (`{"0": {"Return": …},
    /// "1-2": {"Throw": {"Error": …, "Cause": …}}}`), named `name` in its messages.
    pub fn from_response(name: &str, response: &Value) -> Result<Mock, String> {
        parse_response(name, response)
    }

    /// What call `call` (0-based) gets, given `payload`: the value (for a Step Functions
    /// Local `Return`, the task result itself) or the failure; `None` past the last call a
    /// configuration lists. Delays and callbacks are the executor's, and left out.
    pub fn outcome(&self, call: u32, payload: &Value) -> Option<Result<Value, TaskFailure>> {
        Some(match &self.step(call)?.answer {
            Answer::Return(v) | Answer::Raw(v) => Ok(v.clone()),
            Answer::Fail(f) => Err(f.clone()),
            Answer::Echo => Ok(payload.clone()),
            Answer::Missing(msg) => Err(TaskFailure::new("States.Runtime", msg.clone())),
        })
    }

    fn step(&self, call: u32) -> Option<&MockStep> {
        self.ranges.iter().find(|(lo, hi, _)| (*lo..=*hi).contains(&call)).map(|(_, _, s)| s)
    }
}

/// Mocks by state name, by function name, by resource, and a fallback for every task.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mocks {
    states: HashMap<String, Mock>,
    functions: HashMap<String, Mock>,
    resources: HashMap<String, Mock>,
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

    /// Answers every call of the resource `resource`, as the definition writes it
    /// (`arn:aws:states:::aws-sdk:dynamodb:putItem`), in every state that has no mock of its
    /// own; its calls are counted together.
    pub fn resource(mut self, resource: impl Into<String>, mock: Mock) -> Mocks {
        self.resources.insert(resource.into(), mock);
        self
    }

    /// Answers every task no other mock answers.
    pub fn fallback(mut self, mock: Mock) -> Mocks {
        self.fallback = Some(mock);
        self
    }

    /// Whether nothing is mocked.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty() && self.functions.is_empty() && self.resources.is_empty() && self.fallback.is_none()
    }

    /// The answer to `req`, if mocked; `counters` counts calls per mock key.
    pub(crate) fn answer(&self, req: &TaskRequest, counters: &mut HashMap<String, u32>) -> Option<TaskResponse> {
        let (key, mock) = if let Some(m) = self.states.get(&*req.state_name) {
            (format!("state:{}", req.state_name), m)
        } else if let Some((name, m)) = req.function_name.as_ref().and_then(|f| self.functions.get(f).map(|m| (f, m))) {
            (format!("function:{name}"), m)
        } else if let Some(m) = self.resources.get(&*req.resource) {
            (format!("resource:{}", req.resource), m)
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
            Answer::Fail(f) => match misnamed_sdk_error(&req.resource, &f.error) {
                Some(aws) => Err(TaskFailure::new(
                    "States.Runtime",
                    format!(
                        "The mocked error '{}' of the state '{}' is not a name AWS raises for the resource '{}': \
                         AWS SDK integrations name their errors ServiceName.ErrorName, both in Pascal case, with \
                         the suffix 'Exception'; mock '{aws}' instead, and catch that.",
                        f.error, req.state_name, req.resource
                    ),
                )),
                None => Err(f.clone()),
            },
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

/// The services of AWS SDK integrations whose names in `Error` are known here: the name in
/// the resource (`arn:aws:states:::aws-sdk:dynamodb:…`) and in error names (`DynamoDb.…`).
const SDK_SERVICES: &[(&str, &str)] = &[
    ("acmpca", "AcmPca"),
    ("dynamodb", "DynamoDb"),
    ("eventbridge", "EventBridge"),
    ("lambda", "Lambda"),
    ("s3", "S3"),
    ("sfn", "Sfn"),
    ("sns", "Sns"),
    ("sqs", "Sqs"),
];

/// The error name of an AWS SDK integration (AWS docs, "Learning to use AWS service SDK
/// integrations in Step Functions"): the service name and the error name separated by a
/// period, both in Pascal case, the error name always with the suffix `Exception`
/// (`S3.BucketAlreadyExistsException` for S3's `BucketAlreadyExists`).
pub(crate) fn sdk_error_name(service: &str, code: &str) -> String {
    let service = service.strip_prefix("aws-sdk:").unwrap_or(service);
    let pascal = SDK_SERVICES.iter().find(|(s, _)| s.eq_ignore_ascii_case(service)).map(|(_, p)| p.to_string());
    let pascal = pascal.unwrap_or_else(|| {
        let mut chars = service.chars();
        chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
    });
    let code = code.strip_suffix("Exception").unwrap_or(code);
    format!("{pascal}.{code}Exception")
}

/// For a failure mocked on an AWS SDK integration of a service in [`SDK_SERVICES`], the name
/// AWS would give it when the mocked one cannot be AWS's: the right service name in the wrong
/// case (`DynamoDB.…` for `DynamoDb.…`), no `Exception` suffix, or a bare exception name
/// (`ConditionalCheckFailedException`). Step Functions' own (`States.…`) and names of other
/// services pass.
fn misnamed_sdk_error(resource: &str, error: &str) -> Option<String> {
    let service = resource.strip_prefix("arn:aws:states:::aws-sdk:")?.split(':').next()?;
    let (_, pascal) = SDK_SERVICES.iter().find(|(s, _)| *s == service)?;
    if error.starts_with("States.") {
        return None;
    }
    match error.split_once('.') {
        Some((prefix, code)) if prefix == *pascal => {
            (!code.ends_with("Exception")).then(|| sdk_error_name(service, code))
        }
        Some((prefix, code)) if prefix.eq_ignore_ascii_case(pascal) => Some(sdk_error_name(service, code)),
        None if error.ends_with("Exception") => Some(sdk_error_name(service, error)),
        _ => None,
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
    fn sdk_error_names_follow_the_documented_rule() {
        assert_eq!(sdk_error_name("dynamodb", "ConditionalCheckFailed"), "DynamoDb.ConditionalCheckFailedException");
        assert_eq!(sdk_error_name("aws-sdk:s3", "BucketAlreadyExists"), "S3.BucketAlreadyExistsException");
        assert_eq!(sdk_error_name("acmpca", "ResourceNotFoundException"), "AcmPca.ResourceNotFoundException");
        assert_eq!(sdk_error_name("sqs", "QueueDoesNotExist"), "Sqs.QueueDoesNotExistException");
        let put = "arn:aws:states:::aws-sdk:dynamodb:putItem";
        let right = "DynamoDb.ConditionalCheckFailedException";
        assert_eq!(misnamed_sdk_error(put, right), None);
        assert_eq!(misnamed_sdk_error(put, "DynamoDB.ConditionalCheckFailedException").as_deref(), Some(right));
        assert_eq!(misnamed_sdk_error(put, "DynamoDb.ConditionalCheckFailed").as_deref(), Some(right));
        assert_eq!(misnamed_sdk_error(put, "ConditionalCheckFailedException").as_deref(), Some(right));
        assert_eq!(misnamed_sdk_error(put, "States.Timeout"), None);
        assert_eq!(misnamed_sdk_error(put, "MyTestError"), None);
        // Optimized integrations name their errors otherwise, and are not checked.
        assert_eq!(
            misnamed_sdk_error("arn:aws:states:::dynamodb:putItem", "DynamoDB.ConditionalCheckFailedException"),
            None
        );
    }

    #[test]
    fn resource_mocks_answer_every_state_of_the_resource() {
        let mut r = req("A");
        r.resource = Arc::from("arn:aws:states:::aws-sdk:sns:publish");
        let mocks = Mocks::new()
            .resource("arn:aws:states:::aws-sdk:sns:publish", Mock::returns(json!({"MessageId": "m-1"})))
            .state("B", Mock::returns(json!(2)));
        let mut counters = HashMap::new();
        assert_eq!(mocks.answer(&r, &mut counters).unwrap().outcome, Ok(json!({"MessageId": "m-1"})));
        let mut b = r.clone();
        b.state_name = Arc::from("B");
        assert_eq!(mocks.answer(&b, &mut counters).unwrap().outcome, Ok(json!(2)));
        let bad = Mocks::new().state("A", Mock::fails("Sns.NotFound", "no topic"));
        let f = bad.answer(&r, &mut counters).unwrap().outcome.unwrap_err();
        assert_eq!(f.error, "States.Runtime");
        assert!(f.cause.unwrap().contains("mock 'Sns.NotFoundException' instead"));
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
