// Arguments other than the event, state and context are refused.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepcraft::{handler, Context};

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

#[handler]
async fn hello(event: Event, context: &Context, retries: u32) -> Result<Reply, AppError> {
    let _ = (context, retries);
    Ok(Reply { ok: !event.id.is_empty() })
}
