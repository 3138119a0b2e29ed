//! The `hello` function written by hand on `lambda_runtime`, the way a careful user would:
//! the baseline that stepcraft's generated glue is measured against (see `bench/glue.sh`).
//!
//! Same behaviour and logging as `examples/hello`: `{"user_id": "..."}` → `{"status": "success"}`
//! and one `saying hello` line; an empty `user_id` → an error whose `errorType` is `MissingUserId`.

use lambda_runtime::{Diagnostic, Error, LambdaEvent, service_fn, tracing};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
struct Request {
    user_id: String,
}

#[derive(Debug, Serialize)]
struct Response {
    status: &'static str,
}

#[derive(Debug)]
enum HelloError {
    MissingUserId,
}

impl From<HelloError> for Diagnostic {
    fn from(error: HelloError) -> Diagnostic {
        match error {
            HelloError::MissingUserId => {
                Diagnostic { error_type: "MissingUserId".into(), error_message: "`user_id` must not be empty".into() }
            }
        }
    }
}

async fn hello(event: LambdaEvent<Request>) -> Result<Response, HelloError> {
    let LambdaEvent { payload, context } = event;
    if payload.user_id.is_empty() {
        return Err(HelloError::MissingUserId);
    }
    tracing::info!(user_id = %payload.user_id, deadline = context.deadline, "saying hello");
    Ok(Response { status: "success" })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    lambda_runtime::run(service_fn(hello)).await
}
