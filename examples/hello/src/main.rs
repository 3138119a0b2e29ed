//! The smallest stepcraft Lambda function.
//!
//! `{"user_id": "u-1"}` → `{"status": "success"}`; an empty `user_id` fails with the
//! `errorType` `MissingUserId`. Run it locally with
//! `cargo run -p hello -- invoke hello --input '{"user_id": "u-1"}'`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepcraft::{Context, handler, tracing};

#[derive(Debug, Deserialize, JsonSchema)]
struct Request {
    user_id: String,
}

#[derive(Debug, Serialize, JsonSchema)]
struct Response {
    status: &'static str,
}

#[derive(Debug, stepcraft::Error)]
enum HelloError {
    /// The request's `user_id` is empty.
    MissingUserId,
}

impl std::fmt::Display for HelloError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HelloError::MissingUserId => f.write_str("`user_id` must not be empty"),
        }
    }
}

#[handler]
async fn hello(request: Request, context: &Context) -> Result<Response, HelloError> {
    if request.user_id.is_empty() {
        return Err(HelloError::MissingUserId);
    }
    tracing::info!(user_id = %request.user_id, deadline = context.deadline, "saying hello");
    Ok(Response { status: "success" })
}
