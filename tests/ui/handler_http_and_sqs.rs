// A handler is http or sqs, not both.
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

#[handler(http, sqs)]
async fn hello(event: Event) -> Result<Reply, AppError> {
    Ok(Reply { ok: !event.id.is_empty() })
}
