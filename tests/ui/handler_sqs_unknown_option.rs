// An unknown `sqs` option is named with the accepted ones.
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

#[handler(sqs(batch = 5))]
async fn hello(event: Event) -> Result<Reply, AppError> {
    let _ = event;
    Ok(Reply { ok: true })
}
