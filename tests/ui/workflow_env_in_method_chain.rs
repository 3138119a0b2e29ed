// The innermost forbidden call is the one reported: the environment read, not the method
// called on its result.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepcraft::{activity, workflow, Data};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, Data)]
struct Order {
    id: String,
    total: u64,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
enum ShopError {
    #[error("gateway down")]
    GatewayDown,
}

#[activity]
async fn charge(order: Order) -> Result<u64, ShopError> {
    Ok(order.total)
}

#[workflow]
async fn checkout(order: Order) -> Result<u64, ShopError> {
    let region = std::env::var("REGION").unwrap_or_default();
    let paid = charge(Order { id: format!("{region}-{}", order.id), total: order.total }).await?;
    Ok(paid)
}

fn main() {}
