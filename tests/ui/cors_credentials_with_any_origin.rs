// CORS credentials with any origin would leak cookies; refused.
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

#[handler(http(cors(origins = ["*"], credentials = true)))]
async fn api(request: stepcraft::http::Request) -> Result<String, AppError> {
    Ok(request.uri().to_string())
}
