// A FIFO queue has batches of at most 10 and no batching window.
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

#[handler(sqs(fifo, batch_size = 20, window = "5s"))]
async fn hello(event: Event) -> Result<Reply, AppError> {
    let _ = event;
    Ok(Reply { ok: true })
}
