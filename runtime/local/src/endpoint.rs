//! A loopback HTTP endpoint speaking the Step Functions JSON protocol (`POST /`,
//! `Content-Type: application/x-amz-json-1.0`, `X-Amz-Target: AWSStepFunctions.<Action>`)
//! for activity workers written in other languages: point an AWS SDK's Step Functions
//! client at [`ActivityEndpoint::url`] and its `GetActivityTask`, `SendTaskSuccess`,
//! `SendTaskFailure` and `SendTaskHeartbeat` reach the executor's task-token registry.
//!
//! It is a small HTTP/1.1 server on the standard library (a thread per connection,
//! keep-alive, `Content-Length` bodies): enough for the four calls on loopback, without
//! an HTTP stack in the executor's dependencies. Requests are not signed-checked.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{Value, json};

use crate::callback::{CallbackError, Callbacks};
use crate::executor::Executor;

/// How long `GetActivityTask` holds a request when no task is there (AWS: 60 seconds).
pub const LONG_POLL: Duration = Duration::from_secs(60);

/// The largest request body accepted (a `SendTaskSuccess` output is at most 256 KiB).
const MAX_BODY: usize = 1 << 20;

/// A running endpoint; dropping it stops accepting connections.
#[derive(Debug)]
pub struct ActivityEndpoint {
    addr: SocketAddr,
    shutdown: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ActivityEndpoint {
    /// Serves `executor`'s activity tasks on a free loopback port.
    pub fn start(executor: &Executor) -> io::Result<ActivityEndpoint> {
        ActivityEndpoint::bind(executor, "127.0.0.1:0", LONG_POLL)
    }

    /// Serves on `addr`, holding `GetActivityTask` at most `long_poll` when no task is there.
    pub fn bind(executor: &Executor, addr: impl ToSocketAddrs, long_poll: Duration) -> io::Result<ActivityEndpoint> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let shutdown = Arc::new(AtomicBool::new(false));
        let callbacks = executor.shared_callbacks();
        let stop = shutdown.clone();
        let thread = std::thread::Builder::new().name("stepcraft-activity-endpoint".into()).spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::Acquire) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let callbacks = callbacks.clone();
                let _ = std::thread::Builder::new()
                    .name("stepcraft-activity-connection".into())
                    .spawn(move || serve_connection(stream, &callbacks, long_poll));
            }
        })?;
        Ok(ActivityEndpoint { addr, shutdown, thread: Some(thread) })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`: the endpoint URL to give an SDK client.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for ActivityEndpoint {
    fn drop(&mut self) {
        self.shutdown.store(true, Ordering::Release);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One request: the target action and the JSON body.
struct Request {
    target: Option<String>,
    body: Vec<u8>,
    close: bool,
}

fn read_request(r: &mut BufReader<TcpStream>) -> io::Result<Option<Request>> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut target = None;
    let mut length = 0usize;
    let mut close = line.trim_end().ends_with("HTTP/1.0");
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        let Some((name, value)) = h.split_once(':') else { continue };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => {
                length = value.parse().map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad Content-Length"))?
            }
            "x-amz-target" => target = Some(value.to_string()),
            "connection" => close = value.eq_ignore_ascii_case("close"),
            _ => {}
        }
    }
    if length > MAX_BODY {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "request body too large"));
    }
    let mut body = vec![0; length];
    r.read_exact(&mut body)?;
    Ok(Some(Request { target, body, close }))
}

fn serve_connection(stream: TcpStream, callbacks: &Callbacks, long_poll: Duration) {
    let Ok(mut out) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    while let Ok(Some(req)) = read_request(&mut reader) {
        let (status, body) = match dispatch(&req, callbacks, long_poll) {
            Ok(v) => (200, v),
            Err((code, message)) => (400, json!({"__type": code, "message": message})),
        };
        let text = body.to_string();
        let reason = if status == 200 { "OK" } else { "Bad Request" };
        let head = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\nx-amzn-RequestId: {}\r\n{}\r\n",
            text.len(),
            uuid::Uuid::nil(),
            if req.close { "Connection: close\r\n" } else { "" }
        );
        if out.write_all(head.as_bytes()).and_then(|_| out.write_all(text.as_bytes())).is_err() || req.close {
            return;
        }
    }
}

type ApiResult = Result<Value, (&'static str, String)>;

fn dispatch(req: &Request, callbacks: &Callbacks, long_poll: Duration) -> ApiResult {
    let body: Value = serde_json::from_slice(if req.body.is_empty() { b"{}" } else { &req.body })
        .map_err(|e| ("SerializationException", format!("the request body is not JSON: {e}")))?;
    let field = |name: &str| body.get(name).and_then(Value::as_str);
    let required = |name: &'static str| {
        field(name).ok_or(("ValidationException", format!("1 validation error detected: '{name}' is required")))
    };
    let action = req.target.as_deref().and_then(|t| t.strip_prefix("AWSStepFunctions.")).unwrap_or_default();
    match action {
        "GetActivityTask" => {
            let arn = required("activityArn")?;
            Ok(match callbacks.wait_activity_task(arn, field("workerName"), long_poll) {
                // The task's input travels as JSON text.
                Some(t) => json!({"taskToken": t.task_token, "input": t.input.to_string()}),
                // No task within the poll: no token.
                None => json!({}),
            })
        }
        "SendTaskSuccess" => {
            let token = required("taskToken")?;
            let output = required("output")?;
            let output: Value = serde_json::from_str(output)
                .map_err(|e| ("InvalidOutput", format!("The provided output is not valid JSON: {e}")))?;
            callbacks.send_task_success(token, output).map_err(refused)?;
            Ok(json!({}))
        }
        "SendTaskFailure" => {
            let token = required("taskToken")?;
            callbacks
                .send_task_failure(token, field("error").unwrap_or_default(), field("cause").unwrap_or_default())
                .map_err(refused)?;
            Ok(json!({}))
        }
        "SendTaskHeartbeat" => {
            callbacks.send_task_heartbeat(required("taskToken")?).map_err(refused)?;
            Ok(json!({}))
        }
        other => Err((
            "UnknownOperationException",
            format!(
                "the local endpoint answers GetActivityTask, SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat, not '{other}'"
            ),
        )),
    }
}

fn refused(e: CallbackError) -> (&'static str, String) {
    let code = match &e {
        CallbackError::InvalidToken(_) => "TaskDoesNotExist",
        CallbackError::TaskTimedOut(_) => "TaskTimedOut",
    };
    (code, e.to_string())
}
