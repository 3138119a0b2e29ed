// The init-once state is shared: `&mut` is refused.
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

async fn make() -> Result<Clients, std::io::Error> {
    Ok(Clients)
}

#[handler(init = make)]
async fn hello(event: Event, clients: &mut Clients) -> Result<Reply, AppError> {
    let _ = clients;
    Ok(Reply { ok: !event.id.is_empty() })
}
