// An activity with no return type is told to return a Result.
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

#[activity]
async fn charge(order: Order) {
    let _ = order;
}

fn main() {}
