// The input must be Deserialize + JsonSchema; rustc says so at the input type.
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

struct Raw {
    bytes: Vec<u8>,
}

#[activity]
async fn charge(raw: Raw) -> Result<Receipt, PaymentError> {
    Ok(Receipt { charged: raw.bytes.len() as u64 })
}

fn main() {}
