// A handler that takes state needs `init`.
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

struct Clients;

#[handler]
async fn hello(event: Event, clients: &Clients) -> Result<Reply, AppError> {
    let _ = clients;
    Ok(Reply { ok: !event.id.is_empty() })
}
