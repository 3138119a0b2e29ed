// An `eventbridge` handler takes `EventBridgeEvent<T>`.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepcraft::handler;

#[derive(Deserialize, Serialize, JsonSchema)]
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

#[handler(eventbridge(source = ["shop.orders"]))]
async fn hello(event: Event) -> Result<Reply, AppError> {
    let _ = event;
    Ok(Reply { ok: true })
}
