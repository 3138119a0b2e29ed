// Every mistake of one item is reported at once.
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

#[activity(timeout = "soon", retry(errors = [GatewayDown], max_attempts = -1), colour = "red")]
fn charge(order: Order, extra: u8) -> Result<Receipt, PaymentError> {
    Ok(Receipt { charged: order.id.len() as u64 + extra as u64 })
}

fn main() {}
