// S3 event types are the ones S3 notifies of.
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

#[handler(s3(events = ["s3:ObjectCreated:Puts"], prefix = "incoming/"))]
async fn hello(event: stepcraft::events::S3Event) -> Result<Reply, AppError> {
    let _ = event;
    Ok(Reply { ok: true })
}
