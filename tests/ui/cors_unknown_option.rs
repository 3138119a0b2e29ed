// An unknown cors option lists the valid ones.
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

#[handler(http(cors(origin = ["https://app.example.com"])))]
async fn api(request: stepcraft::http::Request) -> Result<String, AppError> {
    Ok(request.uri().to_string())
}
