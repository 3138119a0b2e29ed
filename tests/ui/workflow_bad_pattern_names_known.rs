// A rejected pattern is the one error: the names it binds stay known, so their uses add none.
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
    let Order { id, total } = order.clone();
    let paid = charge(Order { id, total }).await?;
    Ok(paid + total)
}

fn main() {}
