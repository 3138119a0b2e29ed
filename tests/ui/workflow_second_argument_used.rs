// A second workflow argument is the one error: its uses, and the `stepcraft::main!` hosting
// the workflow, add none.
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
async fn checkout(order: Order, extra: u64) -> Result<u64, ShopError> {
    let paid = charge(order).await?;
    Ok(paid + extra)
}

stepcraft::main!(checkout, charge);
