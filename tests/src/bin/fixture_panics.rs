//! Test fixture: a handler that panics on request, to prove a panic becomes an error response
//! and the process keeps serving.

use serde::{Deserialize, Serialize};
use stepcraft::handler;

#[derive(Deserialize, schemars::JsonSchema)]
struct Request {
    panic: bool,
}

#[derive(Serialize)]
struct Reply {
    survived: bool,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
enum Never {}

#[handler]
async fn fixture_panics(request: Request) -> Result<Reply, Never> {
    if request.panic {
        let values: Vec<u32> = Vec::new();
        let _ = values[3];
    }
    Ok(Reply { survived: true })
}
