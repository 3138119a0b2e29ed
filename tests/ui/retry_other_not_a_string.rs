// `other = …` names an error by its string.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepcraft::activity;

#[derive(Deserialize, Serialize, JsonSchema)]
struct Order {
    id: String,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
enum PaymentError {
    #[error("backend down")]
    BackendDown,
}

#[activity(retry(errors = [other = BackendDown]))]
async fn charge(order: Order) -> Result<u64, PaymentError> {
    Ok(order.id.len() as u64)
}

fn main() {}
