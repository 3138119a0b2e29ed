// Rust orders `None` before every `Some`; JSONata cannot order `null`: `<` on an `Option` is refused.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepcraft::{workflow, Data};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, Data)]
struct Reading {
    label: String,
    level: f64,
    count: u64,
    limit: Option<u64>,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
enum ReadError {
    #[error("bad reading")]
    Bad,
}

#[workflow]
async fn report(reading: Reading) -> Result<String, ReadError> {
    if reading.limit > Some(10) {
        return Ok("high".to_string());
    }
    Ok(reading.label)
}

fn main() {}
