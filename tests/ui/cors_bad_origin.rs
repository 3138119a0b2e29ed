// An origin with a path is not an origin.
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

#[handler(http(cors(origins = ["https://app.example.com/"])))]
async fn api(request: stepcraft::http::Request) -> Result<String, AppError> {
    Ok(request.uri().to_string())
}
