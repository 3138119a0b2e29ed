// f32 arithmetic rounds to single precision, which JSONata cannot do: `as f32` is refused with the fix.
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
    let level = reading.count as f32;
    Ok(format!("{}", level as u64))
}

fn main() {}
