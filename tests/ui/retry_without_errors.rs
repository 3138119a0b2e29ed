// A retry rule must name the errors it retries.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepcraft::activity;

#[derive(Deserialize, Serialize, JsonSchema)]
struct Order {
    id: String,
}

#[derive(Deserialize, Serialize, JsonSchema)]
struct Receipt {
    charged: u64,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
enum PaymentError {
    #[error("declined")]
    Declined,
    #[error("gateway down")]
    GatewayDown,
}

#[activity(retry(max_attempts = 3))]
async fn charge(order: Order) -> Result<Receipt, PaymentError> {
    Ok(Receipt { charged: order.id.len() as u64 })
}

fn main() {}
