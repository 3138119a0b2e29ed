//! An HTTP API behind API Gateway or a function URL: a typed JSON body in, a typed JSON body
//! out, CORS for one web app, errors as `{"error": {"type", "message"}}` with their status,
//! and state (an id sequence standing in for a database client) built once per cold start.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use stepcraft::http::Json;
use stepcraft::{Context, handler, tracing};

#[derive(Debug, Deserialize, JsonSchema)]
struct NewTodo {
    title: String,
    #[serde(default)]
    done: bool,
}

#[derive(Debug, Serialize)]
struct Todo {
    id: u64,
    title: String,
    done: bool,
    request_id: String,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
enum TodoError {
    #[error("`title` must not be empty")]
    #[stepcraft(status = 422)]
    EmptyTitle,
    #[error("`title` is {0} characters; the limit is 200")]
    #[stepcraft(name = "TitleTooLong", status = 422)]
    TooLong(usize),
}

/// Built once per cold start, shared by every invocation.
struct Store {
    next_id: AtomicU64,
}

async fn open_store() -> Result<Store, std::io::Error> {
    tracing::info!("opening the store");
    Ok(Store { next_id: AtomicU64::new(1) })
}

#[handler(
    http(cors(origins = ["https://app.example.com"], methods = ["GET", "POST"], headers = ["content-type"], max_age = "10m")),
    init = open_store,
    memory = 512
)]
async fn todo_api(todo: Json<NewTodo>, store: &Store, context: &Context) -> Result<(u16, Json<Todo>), TodoError> {
    let Json(todo) = todo;
    let title = todo.title.trim();
    if title.is_empty() {
        return Err(TodoError::EmptyTitle);
    }
    if title.chars().count() > 200 {
        return Err(TodoError::TooLong(title.chars().count()));
    }
    let id = store.next_id.fetch_add(1, Ordering::Relaxed);
    tracing::info!(id, "created a todo");
    Ok((201, Json(Todo { id, title: title.to_owned(), done: todo.done, request_id: context.request_id.clone() })))
}
