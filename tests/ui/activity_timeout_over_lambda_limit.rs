// A timeout past Lambda's 15 minutes is refused with advice.
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

#[activity(timeout = "1h")]
async fn charge(order: Order) -> Result<Receipt, PaymentError> {
    Ok(Receipt { charged: order.id.len() as u64 })
}

fn main() {}
