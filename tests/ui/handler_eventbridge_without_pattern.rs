// An `eventbridge` handler selects its events by source or detail type.
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

#[handler(eventbridge)]
async fn hello(event: stepcraft::events::EventBridgeEvent<Event>) -> Result<Reply, AppError> {
    let _ = event;
    Ok(Reply { ok: true })
}
