// A fallible number conversion has an error no workflow error carries: refused, with `if` and `as` as the fix.
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
    let small = u8::try_from(reading.count).unwrap_or(0);
    Ok(format!("{small}"))
}

fn main() {}
