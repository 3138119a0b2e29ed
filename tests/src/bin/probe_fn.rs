//! A tiny function for the harness's own tests of paths `hello_baseline` has no reason to take.
//! `_HANDLER` picks the behaviour:
//!
//! - `init_error`: reports an init error to `/2018-06-01/runtime/init/error` the way a custom
//!   runtime does (`lambda_runtime` 1.x has no public API for it outside SnapStart), over a
//!   plain `std` TCP connection, then exits with status 1;
//! - `panic`: `lambda_runtime::run` with a handler that panics when the event has `"panic": true`
//!   and echoes the event otherwise;
//! - `unserialisable`: `lambda_runtime::run` with a handler whose response fails to serialise.

use std::io::{Read, Write};

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

fn main() -> Result<(), Error> {
    match std::env::var("_HANDLER").as_deref() {
        Ok("init_error") => report_init_error(),
        Ok("panic") => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(lambda_runtime::run(service_fn(panic_or_echo))),
        Ok("unserialisable") => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(lambda_runtime::run(service_fn(unserialisable))),
        other => Err(format!("unknown _HANDLER {other:?}").into()),
    }
}

async fn panic_or_echo(event: LambdaEvent<Value>) -> Result<Value, Error> {
    if event.payload["panic"] == true {
        panic!("asked to panic");
    }
    Ok(event.payload)
}

/// A response whose serialisation fails.
struct Unserialisable;

impl serde::Serialize for Unserialisable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("this response cannot be serialised"))
    }
}

async fn unserialisable(_: LambdaEvent<Value>) -> Result<Unserialisable, Error> {
    Ok(Unserialisable)
}

fn report_init_error() -> Result<(), Error> {
    let endpoint = std::env::var("AWS_LAMBDA_RUNTIME_API")?;
    let body = r#"{"errorType":"Runtime.ConfigError","errorMessage":"DATABASE_URL is not set"}"#;
    let mut stream = std::net::TcpStream::connect(&endpoint)?;
    write!(
        stream,
        "POST /2018-06-01/runtime/init/error HTTP/1.1\r\nHost: {endpoint}\r\n\
         Lambda-Runtime-Function-Error-Type: Runtime.ConfigError\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    eprintln!("init error reported: {}", answer.lines().next().unwrap_or_default());
    std::process::exit(1);
}
