// The error type needs #[derive(stepcraft::Error)] for stable names.
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

#[derive(Debug, thiserror::Error)]
#[error("failed")]
struct Failed;

#[activity]
async fn charge(order: Order) -> Result<Receipt, Failed> {
    Ok(Receipt { charged: order.id.len() as u64 })
}

fn main() {}
