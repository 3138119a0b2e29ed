// A string retry name is checked against the error type's names, which a hand-written
// `stepcraft::Error` impl does not list at compile time: derive it, or write `other = "…"`.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepcraft::activity;

#[derive(Deserialize, Serialize, JsonSchema)]
struct Order {
    id: String,
}

#[derive(Debug)]
struct Failed;

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("failed")
    }
}

impl stepcraft::Error for Failed {
    fn names() -> Vec<&'static str> {
        vec!["Failed"]
    }

    fn name(&self) -> &'static str {
        "Failed"
    }

    fn __names_of_variant(_: &str) -> Vec<&'static str> {
        Vec::new()
    }
}

#[activity(retry(errors = ["Failed"]), retry(errors = [other = "Failed"], max_attempts = 2))]
async fn charge(order: Order) -> Result<u64, Failed> {
    Ok(order.id.len() as u64)
}

fn main() {}
