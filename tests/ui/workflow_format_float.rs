// A float is formatted differently by Rust (all digits) and JSONata (15 significant digits): refused.
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
    Ok(format!("{}: {}", reading.label, reading.level))
}

fn main() {}
