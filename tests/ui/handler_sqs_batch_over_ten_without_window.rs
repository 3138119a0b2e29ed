// An SQS batch of more than 10 messages needs a batching window.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepcraft::handler;

#[derive(Deserialize, JsonSchema)]
struct Event {
    id: String,
}

#[derive(Serialize, JsonSchema)]
struct Reply {
    ok: bool,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
enum AppError {
    #[error("not found")]
    NotFound,
}

#[handler(sqs(batch_size = 100))]
async fn hello(event: Event) -> Result<Reply, AppError> {
    let _ = event;
    Ok(Reply { ok: true })
}
