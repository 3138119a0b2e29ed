//! One attempt of a Task state: its arguments and dynamic timeouts (asked of
//! `dataflow`), the `*Scheduled`/`*Started`/`*Succeeded`/`*Failed`/`*TimedOut` events,
//! the call itself (mocks first, then registered state machines as child
//! executions, then task handlers), `TimeoutSeconds`, and for `.waitForTaskToken`
//! the task token, its heartbeats and its answer. Retries are `retry`'s.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;

use serde_json::{Map, Value, json};

use super::{Assigned, Begin, Ctx, End, ExecInfo, Failure, Thread, Visit};
use crate::callback::{Callbacks, PendingCallback};
use crate::history::Details;
use crate::model::*;
use crate::rt::{BoxFuture, Either, Signal, lock, select};
use crate::task::{Callback, TaskFailure, TaskKind, TaskRequest, TaskResponse};
use crate::time::format_timestamp;
use crate::value::{MAX_PAYLOAD_BYTES, exceeds, to_json_string};

impl<'c> Ctx<'c> {
    pub(super) async fn task_attempt(
        &self,
        v: &mut Visit<'_>,
        th: &mut Thread<'_>,
        input: &Value,
        t: &Task,
    ) -> Result<(Value, Assigned), Failure> {
        let pattern = t.resource.pattern();
        if pattern == Pattern::Callback && v.token.is_none() {
            let n = lock(&self.rng).next_u64();
            v.token = Some(format!("{}-{:016x}", self.info.name, n));
        }
        let params = self.arguments(v, th, input)?;
        let timeout = match &t.timeout {
            Some(d) => Some(self.dynamic_u64(v, th, d, input, "TimeoutSeconds")?),
            None => None,
        };
        let heartbeat = match &t.heartbeat {
            Some(d) => Some(self.dynamic_u64(v, th, d, input, "HeartbeatSeconds")?),
            None => None,
        };
        let literal =
            |d: &Option<Dynamic<u64>>, x: Option<u64>| if matches!(d, Some(Dynamic::Lit(_))) { x } else { None };
        let (resource_type, resource) = (t.event_resource_type.clone(), t.event_resource.clone());
        let is_function = matches!(t.resource, Resource::LambdaFunction { .. });
        let is_activity = matches!(t.resource, Resource::Activity { .. });
        if is_activity {
            // `ActivityStarted` follows when a worker (or a handler) takes the task.
            self.emit(
                th,
                "ActivityScheduled",
                Details::ActivityScheduled {
                    resource: t.event_resource.clone(),
                    input: self.payload(&params),
                    timeout: literal(&t.timeout, timeout),
                    heartbeat: literal(&t.heartbeat, heartbeat),
                },
            );
        } else if is_function {
            self.emit(
                th,
                "LambdaFunctionScheduled",
                Details::LambdaFunctionScheduled {
                    resource: t.event_resource.clone(),
                    input: self.payload(&params),
                    timeout: literal(&t.timeout, timeout),
                },
            );
            self.emit(th, "LambdaFunctionStarted", Details::None);
        } else {
            self.emit(
                th,
                "TaskScheduled",
                Details::TaskScheduled {
                    resource_type: resource_type.clone(),
                    resource: resource.clone(),
                    region: self.core.options.region.clone(),
                    parameters: self.payload(&params),
                    timeout: literal(&t.timeout, timeout),
                    heartbeat: literal(&t.heartbeat, heartbeat),
                },
            );
            self.emit(
                th,
                "TaskStarted",
                Details::TaskStarted { resource_type: resource_type.clone(), resource: resource.clone() },
            );
        }
        let started = self.clock.now_ms();
        let deadline = timeout.map(|s| started.saturating_add((s as i64).saturating_mul(1000)));
        let outcome = self.invoke(v, th, t, params, deadline, heartbeat).await;
        let fail_event = |this: &Self, th: &mut Thread<'_>, f: &Failure, timed_out: bool| {
            let (error, cause) = (Some(f.error.clone()), f.cause.clone());
            if is_activity {
                let (ty, details) = if timed_out {
                    ("ActivityTimedOut", Details::ActivityTimedOut { error, cause })
                } else {
                    ("ActivityFailed", Details::ActivityFailed { error, cause })
                };
                this.emit(th, ty, details);
                return;
            }
            let details = match (is_function, timed_out) {
                (true, false) => Details::LambdaFunctionFailed { error, cause },
                (true, true) => Details::LambdaFunctionTimedOut { error, cause },
                (false, false) => Details::TaskFailed {
                    resource_type: resource_type.clone(),
                    resource: resource.clone(),
                    error,
                    cause,
                },
                (false, true) => Details::TaskTimedOut {
                    resource_type: resource_type.clone(),
                    resource: resource.clone(),
                    error,
                    cause,
                },
            };
            let ty = match (is_function, timed_out) {
                (true, false) => "LambdaFunctionFailed",
                (true, true) => "LambdaFunctionTimedOut",
                (false, false) => "TaskFailed",
                (false, true) => "TaskTimedOut",
            };
            this.emit(th, ty, details);
        };
        match outcome {
            Invoked::Ok(result) => {
                if exceeds(&result, MAX_PAYLOAD_BYTES) {
                    let who = match &t.resource {
                        Resource::LambdaInvoke { .. } => "lambda".to_string(),
                        _ => t.resource_arn.clone(),
                    };
                    let f = Failure::new(
                        "States.DataLimitExceeded",
                        Some(format!(
                            "The state/task '{who}' returned a result with a size exceeding the maximum number of bytes service limit."
                        )),
                    );
                    fail_event(self, th, &f, false);
                    return Err(f);
                }
                if is_activity {
                    self.emit(th, "ActivitySucceeded", Details::ActivitySucceeded { output: self.payload(&result) });
                } else if is_function {
                    self.emit(
                        th,
                        "LambdaFunctionSucceeded",
                        Details::LambdaFunctionSucceeded { output: self.payload(&result) },
                    );
                } else {
                    self.emit(
                        th,
                        "TaskSucceeded",
                        Details::TaskSucceeded {
                            resource_type: resource_type.clone(),
                            resource: resource.clone(),
                            output: self.payload(&result),
                        },
                    );
                }
                self.finish_result(v, th, input, result)
            }
            Invoked::Failed(f) => {
                if f.error != "States.Runtime" {
                    fail_event(self, th, &f, false);
                }
                Err(f)
            }
            Invoked::TimedOut(f) => {
                fail_event(self, th, &f, true);
                Err(f)
            }
        }
    }

    /// Calls the resource: mocks, child executions, handlers, in that order.
    async fn invoke(
        &self,
        v: &Visit<'_>,
        th: &mut Thread<'_>,
        t: &Task,
        params: Value,
        deadline: Option<i64>,
        heartbeat: Option<u64>,
    ) -> Invoked {
        let state = v.state;
        let (kind, function_name, payload) = match &t.resource {
            Resource::LambdaInvoke { .. } => {
                let fname = params.get("FunctionName").and_then(Value::as_str).map(bare_function_name);
                let payload = match params.get("Payload") {
                    None | Some(Value::Null) => json!({}),
                    Some(p) => p.clone(),
                };
                (TaskKind::LambdaInvoke, fname, payload)
            }
            Resource::LambdaFunction { name, .. } => (TaskKind::LambdaFunction, Some(name.clone()), params.clone()),
            Resource::Activity { .. } => (TaskKind::Activity, None, params.clone()),
            Resource::StartExecution { .. } | Resource::Service { .. } => (TaskKind::Service, None, params.clone()),
        };
        if kind == TaskKind::LambdaInvoke && function_name.is_none() {
            return Invoked::Failed(self.runtime(
                v,
                "The field 'FunctionName' is required for the resource 'arn:aws:states:::lambda:invoke'.",
            ));
        }
        let invocation = {
            let mut inv = lock(&self.invocations);
            let n = inv.entry(state.name.clone()).or_insert(0);
            *n += 1;
            *n - 1
        };
        let req = TaskRequest {
            state_name: state.name.clone(),
            resource: Arc::from(t.resource_arn.as_str()),
            kind,
            function_name,
            payload,
            parameters: params,
            attempt: v.retry_count,
            invocation,
            task_token: v.token.clone(),
            execution_name: self.info.name.clone(),
            callbacks: self.core.callbacks.clone(),
        };
        let pattern = t.resource.pattern();
        let token = req.task_token.clone();
        // The token is live before the call, so that the handler itself may answer it.
        let _unregister = match (&token, pattern) {
            (Some(tok), Pattern::Callback) => {
                self.core.callbacks.register(PendingCallback {
                    token: tok.clone(),
                    state_name: state.name.clone(),
                    execution_name: self.info.name.clone(),
                    payload: req.payload.clone(),
                });
                Some(Unregister(&self.core.callbacks, tok.clone()))
            }
            _ => None,
        };

        // The call itself, raced against TimeoutSeconds.
        let call: BoxFuture<'_, Result<Answered, Failure>> = Box::pin(self.call_resource(v, th, t, req));
        let response = match deadline {
            Some(d) => match select(call, self.clock.sleep_until(d)).await {
                Either::Left(r) => r,
                Either::Right(()) => return Invoked::TimedOut(Failure::new("States.Timeout", None)),
            },
            None => call.await,
        };
        let response = match response {
            Ok(Answered::Response(r)) => r,
            Ok(Answered::Nobody(req)) => {
                if let Resource::Activity { arn } = &t.resource {
                    // No mock or handler: the task waits for a worker of the activity.
                    let wait: BoxFuture<'_, Invoked> = Box::pin(self.activity_task(th, arn, req, deadline, heartbeat));
                    return wait.await;
                }
                let mut message = format!(
                    "Nothing answers the task: no mock or handler for the state '{}' (resource '{}'{}).",
                    req.state_name,
                    req.resource,
                    req.function_name.as_deref().map(|f| format!(", function '{f}'")).unwrap_or_default()
                );
                if let Resource::Service { service, .. } = &t.resource {
                    message.push_str(&how_to_mock(&req.state_name, service));
                }
                return Invoked::Failed(self.runtime(v, &message));
            }
            Err(f) => return Invoked::Failed(f),
        };
        let TaskResponse { outcome, raw, duration, callback } = response;
        if !duration.is_zero() {
            let sleep = self.clock.sleep_ms(duration.as_millis() as i64);
            match deadline {
                Some(d) => {
                    if let Either::Right(()) = select(sleep, self.clock.sleep_until(d)).await {
                        return Invoked::TimedOut(Failure::new("States.Timeout", None));
                    }
                }
                None => sleep.await,
            }
        }
        let value = match outcome {
            Ok(x) => x,
            Err(f) => return Invoked::Failed(Failure::new(f.error, f.cause)),
        };
        if pattern == Pattern::Callback {
            let token = token.unwrap_or_default();
            let (resource_type, resource) = (t.event_resource_type.clone(), t.event_resource.clone());
            let submitted = wrap_result(&t.resource, value, raw, self);
            self.emit(
                th,
                "TaskSubmitted",
                Details::TaskSubmitted { resource_type, resource, output: self.payload(&submitted) },
            );
            let wait: BoxFuture<'_, Invoked> = Box::pin(self.await_callback(token, deadline, heartbeat, callback));
            return wait.await;
        }
        Invoked::Ok(wrap_result(&t.resource, value, raw, self))
    }

    /// Answers a request: mocks first, then registered state machines (child
    /// executions), then handlers; or nobody does.
    async fn call_resource(
        &self,
        v: &Visit<'_>,
        th: &mut Thread<'_>,
        t: &Task,
        req: TaskRequest,
    ) -> Result<Answered, Failure> {
        let started = |th: &mut Thread<'_>| {
            if matches!(t.resource, Resource::Activity { .. }) {
                self.emit(th, "ActivityStarted", Details::ActivityStarted { worker: None });
            }
        };
        let mocked = {
            let mut counters = lock(&self.mock_counters);
            self.core.mocks.answer(&req, &mut counters)
        };
        if let Some(r) = mocked {
            if let Err(f) = &r.outcome
                && f.error == "States.Runtime"
            {
                return Err(self.runtime(v, f.cause.as_deref().unwrap_or_default()));
            }
            started(th);
            return Ok(Answered::Response(r));
        }
        // `aws-sdk:sfn:startExecution` starts an execution as the optimized integration's
        // request/response form does.
        let start = match &t.resource {
            Resource::StartExecution { pattern } => Some(*pattern),
            Resource::Service { service, action, pattern: Pattern::Call }
                if service == "aws-sdk:sfn" && action == "startExecution" =>
            {
                Some(Pattern::Call)
            }
            _ => None,
        };
        if let Some(pattern) = start
            && let Some(r) = self.child_execution(&req, pattern).await
        {
            return Ok(Answered::Response(r));
        }
        for h in &self.core.handlers {
            if let Some(fut) = h.call(req.clone()) {
                started(th);
                let _guard = InFlight::start(&self.inflight);
                return Ok(Answered::Response(fut.await));
            }
        }
        Ok(Answered::Nobody(req))
    }

    /// A task of an activity answered by a worker: scheduled in the registry until a
    /// worker takes it (`GetActivityTask`, recorded as `ActivityStarted` with the worker's
    /// name), then waiting for `SendTaskSuccess`/`SendTaskFailure`, under `TimeoutSeconds`
    /// from the scheduling and `HeartbeatSeconds` from the start and each heartbeat.
    async fn activity_task(
        &self,
        th: &mut Thread<'_>,
        arn: &str,
        req: TaskRequest,
        deadline: Option<i64>,
        heartbeat: Option<u64>,
    ) -> Invoked {
        let callbacks: &Callbacks = &self.core.callbacks;
        let token = format!("{}-activity-{:016x}", self.info.name, lock(&self.rng).next_u64());
        callbacks.schedule_activity(
            PendingCallback {
                token: token.clone(),
                state_name: req.state_name.clone(),
                execution_name: self.info.name.clone(),
                payload: req.payload,
            },
            arn,
        );
        let _unregister = Unregister(callbacks, token.clone());
        let mut timeout_sleep = deadline.map(|d| Box::pin(self.clock.sleep_until(d)));
        let hb_ms = heartbeat.map(|h| (h as i64) * 1000);
        let mut hb_sleep = None;
        let mut started = false;
        let mut seen_heartbeats = 0u64;
        let outcome = std::future::poll_fn(|cx| {
            let polled = callbacks.poll(&token, cx.waker());
            if !started && let Some(worker) = callbacks.activity_worker(&token) {
                started = true;
                self.emit(th, "ActivityStarted", Details::ActivityStarted { worker: Some(worker) });
                hb_sleep = hb_ms.map(|ms| Box::pin(self.clock.sleep_ms(ms)));
            }
            match polled {
                Ok(c) => return Poll::Ready(Ok(c)),
                Err(hb) if hb != seen_heartbeats => {
                    seen_heartbeats = hb;
                    if started && let Some(ms) = hb_ms {
                        hb_sleep = Some(Box::pin(self.clock.sleep_ms(ms)));
                    }
                }
                Err(_) => {}
            }
            if let Some(s) = timeout_sleep.as_mut()
                && s.as_mut().poll(cx).is_ready()
            {
                return Poll::Ready(Err("States.Timeout"));
            }
            if let Some(s) = hb_sleep.as_mut()
                && s.as_mut().poll(cx).is_ready()
            {
                return Poll::Ready(Err("States.HeartbeatTimeout"));
            }
            Poll::Pending
        })
        .await;
        match outcome {
            Ok(Callback::Success(v)) => Invoked::Ok(v),
            Ok(Callback::Failure(f)) => Invoked::Failed(Failure::new(f.error, f.cause)),
            Err(e) => Invoked::TimedOut(Failure::new(e, None)),
        }
    }

    /// Waits for the answer to a task token (registered by the caller), under
    /// `TimeoutSeconds` and `HeartbeatSeconds`; a mocked answer arrives after its delay.
    async fn await_callback(
        &self,
        token: String,
        deadline: Option<i64>,
        heartbeat: Option<u64>,
        mocked: Option<(Callback, std::time::Duration)>,
    ) -> Invoked {
        let callbacks: &Callbacks = &self.core.callbacks;
        let mut mock_sleep = mocked.as_ref().map(|(_, after)| Box::pin(self.clock.sleep_ms(after.as_millis() as i64)));
        let mut mocked = mocked.map(|(c, _)| c);
        let mut timeout_sleep = deadline.map(|d| Box::pin(self.clock.sleep_until(d)));
        let hb_ms = heartbeat.map(|h| (h as i64) * 1000);
        let mut hb_sleep = hb_ms.map(|ms| Box::pin(self.clock.sleep_ms(ms)));
        let mut seen_heartbeats = 0u64;
        let outcome = std::future::poll_fn(|cx| {
            match callbacks.poll(&token, cx.waker()) {
                Ok(c) => return Poll::Ready(Ok(c)),
                Err(hb) => {
                    if hb != seen_heartbeats {
                        seen_heartbeats = hb;
                        if let Some(ms) = hb_ms {
                            hb_sleep = Some(Box::pin(self.clock.sleep_ms(ms)));
                        }
                    }
                }
            }
            if let Some(s) = mock_sleep.as_mut()
                && s.as_mut().poll(cx).is_ready()
            {
                mock_sleep = None;
                if let Some(c) = mocked.take() {
                    return Poll::Ready(Ok(c));
                }
            }
            if let Some(s) = timeout_sleep.as_mut()
                && s.as_mut().poll(cx).is_ready()
            {
                return Poll::Ready(Err("States.Timeout"));
            }
            if let Some(s) = hb_sleep.as_mut()
                && s.as_mut().poll(cx).is_ready()
            {
                return Poll::Ready(Err("States.HeartbeatTimeout"));
            }
            Poll::Pending
        })
        .await;
        match outcome {
            Ok(Callback::Success(v)) => Invoked::Ok(v),
            Ok(Callback::Failure(f)) => Invoked::Failed(Failure::new(f.error, f.cause)),
            Err(e) => Invoked::TimedOut(Failure::new(e, None)),
        }
    }

    /// `states:startExecution` of a registered state machine.
    async fn child_execution(&self, req: &TaskRequest, pattern: Pattern) -> Option<TaskResponse> {
        let arn = req.parameters.get("StateMachineArn").and_then(Value::as_str)?;
        let machine = self.core.machine_for(arn)?;
        if self.child_depth > 16 {
            return Some(TaskResponse::fail(TaskFailure::new("States.Runtime", "child executions nest too deep")));
        }
        let input = match req.parameters.get("Input") {
            None => json!({}),
            Some(Value::String(s)) => serde_json::from_str(s).unwrap_or(Value::String(s.clone())),
            Some(other) => other.clone(),
        };
        let name = req.parameters.get("Name").and_then(Value::as_str).map(str::to_owned);
        let start = self.clock.now_ms();
        let sm_name = arn.rsplit(':').next().unwrap_or(arn).to_string();
        let exec_name = name.unwrap_or_else(|| lock(&self.rng).uuid());
        let exec_arn = format!(
            "arn:aws:states:{}:{}:execution:{sm_name}:{exec_name}",
            self.core.options.region, self.core.options.account
        );
        if pattern == Pattern::Call {
            return Some(TaskResponse {
                raw: true,
                ..TaskResponse::ok(json!({"ExecutionArn": exec_arn, "StartDate": start}))
            });
        }
        let info = ExecInfo {
            name: Arc::from(exec_name.as_str()),
            arn: Arc::from(exec_arn.as_str()),
            sm_name: Arc::from(sm_name.as_str()),
            sm_arn: Arc::from(arn),
            role_arn: self.info.role_arn.clone(),
            start_ms: start,
            input: input.clone(),
            redrive_count: 0,
            redrive_ms: None,
        };
        let child = self.isolated(machine.machine(), &info);
        // A child execution ends with its parent's task: nothing else stops it.
        let never = Signal::default();
        let end: BoxFuture<'_, (End, _)> = Box::pin(child.run_execution(Begin::Start, &never));
        let (end, _) = end.await;
        let stop = self.clock.now_ms();
        let v2 = pattern == Pattern::Sync { v2: true };
        let data = |v: &Value| if v2 { v.clone() } else { Value::String(to_json_string(v)) };
        let mut desc = json!({
            "ExecutionArn": exec_arn,
            "Input": data(&input),
            "InputDetails": {"Included": true},
            "Name": exec_name,
            "RedriveCount": 0,
            "RedriveStatus": "NOT_REDRIVABLE",
            "StartDate": start,
            "StateMachineArn": arn,
            "StopDate": stop,
        });
        Some(match end {
            End::Succeeded(out) => {
                desc["Output"] = data(&out);
                desc["OutputDetails"] = json!({"Included": true});
                desc["Status"] = json!("SUCCEEDED");
                TaskResponse { raw: true, ..TaskResponse::ok(desc) }
            }
            End::Failed(f) => {
                desc["Status"] = json!("FAILED");
                desc["Error"] = json!(f.error);
                if let Some(c) = f.cause {
                    desc["Cause"] = json!(c);
                }
                TaskResponse::fail(TaskFailure::new("States.TaskFailed", to_json_string(&desc)))
            }
            End::TimedOut => {
                desc["Status"] = json!("TIMED_OUT");
                TaskResponse::fail(TaskFailure::new("States.TaskFailed", to_json_string(&desc)))
            }
            End::Aborted(..) => {
                desc["Status"] = json!("ABORTED");
                TaskResponse::fail(TaskFailure::new("States.TaskFailed", to_json_string(&desc)))
            }
        })
    }
}

/// Decrements the in-flight counter when a handler call ends or is dropped.
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn start(c: &Arc<AtomicUsize>) -> InFlight {
        c.fetch_add(1, Ordering::AcqRel);
        InFlight(c.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Removes a task token from the registry when its task ends (or is dropped).
struct Unregister<'a>(&'a Callbacks, String);

impl Drop for Unregister<'_> {
    fn drop(&mut self) {
        self.0.remove(&self.1);
    }
}

/// Who answered a request.
enum Answered {
    Response(TaskResponse),
    /// No mock, child machine or handler: an activity's workers may, else nothing does.
    Nobody(TaskRequest),
}

/// What a call produced.
enum Invoked {
    Ok(Value),
    Failed(Failure),
    TimedOut(Failure),
}

/// The task result: for `lambda:invoke`, the Invoke response around the function's
/// return value (unless the answer is already a task result).
fn wrap_result(resource: &Resource, value: Value, raw: bool, ctx: &Ctx<'_>) -> Value {
    if raw || !matches!(resource, Resource::LambdaInvoke { pattern: Pattern::Call }) {
        return value;
    }
    let mut m = Map::with_capacity(5);
    m.insert("ExecutedVersion".into(), Value::String("$LATEST".into()));
    m.insert("Payload".into(), value);
    if ctx.core.options.lambda_sdk_metadata {
        let request_id = lock(&ctx.rng).uuid();
        let date = format_timestamp(ctx.clock.now_ms());
        m.insert(
            "SdkHttpMetadata".into(),
            json!({
                "AllHttpHeaders": {
                    "X-Amz-Executed-Version": ["$LATEST"],
                    "x-amzn-Remapped-Content-Length": ["0"],
                    "Connection": ["keep-alive"],
                    "x-amzn-RequestId": [request_id],
                    "Date": [date],
                    "Content-Type": ["application/json"]
                },
                "HttpHeaders": {
                    "Connection": "keep-alive",
                    "Content-Type": "application/json",
                    "Date": date,
                    "X-Amz-Executed-Version": "$LATEST",
                    "x-amzn-Remapped-Content-Length": "0",
                    "x-amzn-RequestId": request_id
                },
                "HttpStatusCode": 200
            }),
        );
        m.insert("SdkResponseMetadata".into(), json!({"RequestId": request_id}));
    }
    m.insert("StatusCode".into(), json!(200));
    Value::Object(m)
}

/// How to answer a service integration that nothing answers: the executor calls no AWS
/// service, so a mock must (a Step Functions Local `Return` is the task result itself).
fn how_to_mock(state: &str, service: &str) -> String {
    let error = match service.strip_prefix("aws-sdk:") {
        Some("dynamodb") => "DynamoDb.ConditionalCheckFailedException".to_string(),
        Some(svc) => crate::mock::sdk_error_name(svc, "ResourceNotFound"),
        None => "States.TaskFailed".to_string(),
    };
    format!(
        " The local executor calls no AWS service: mock the state, in a Step Functions Local mock configuration \
         (the test case maps \"{state}\" to a response, and MockedResponses gives it {{\"0\": {{\"Return\": <the \
         service's response>}}}} or {{\"0\": {{\"Throw\": {{\"Error\": \"{error}\", \"Cause\": \"...\"}}}}}}), or \
         with Mocks::state / Mocks::resource."
    )
}

/// `my-fn`, from `my-fn`, `my-fn:alias`, `123456789012:function:my-fn` or a full ARN;
/// and `Name` from a deployment placeholder `${Name}` (as stepcraft's emitter writes).
pub(crate) fn bare_function_name(s: &str) -> String {
    if let Some(p) = placeholder(s) {
        return p.to_string();
    }
    let s = s.rsplit_once(":function:").map(|(_, r)| r).unwrap_or(s);
    s.split(':').next().unwrap_or(s).to_string()
}

/// The name inside a `${Name}` deployment placeholder.
pub(crate) fn placeholder(s: &str) -> Option<&str> {
    s.strip_prefix("${").and_then(|r| r.strip_suffix('}'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names() {
        assert_eq!(bare_function_name("arn:aws:lambda:us-east-1:1:function:f:prod"), "f");
        assert_eq!(bare_function_name("f:1"), "f");
        assert_eq!(bare_function_name("f"), "f");
        assert_eq!(bare_function_name("${Charge}"), "Charge");
    }
}
