// A `#[task(retry(..))]` string names an error the called activity can fail with; a child
// workflow's Task fails with the child's names only (no Lambda glue).
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
async fn pay(order: Order) -> Result<u64, ShopError> {
    #[task(retry(errors = ["GatewayDown", "InvalidInput"]))]
    let paid = charge(order).await?;
    Ok(paid)
}

#[workflow]
async fn checkout(order: Order) -> Result<u64, ShopError> {
    #[task(retry(errors = ["GatewayDown", "InvalidInput"]))]
    let paid = pay(order).await?;
    Ok(paid)
}

fn main() {}
