// A rejected `#[activity]` attribute is the one error: the workflows calling the activity and
// the `stepcraft::main!` hosting it add none of their own.
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

#[activity(timeout = "10 seconds")]
async fn charge(order: Order) -> Result<u64, ShopError> {
    Ok(order.total)
}

#[workflow]
async fn checkout(order: Order) -> Result<u64, ShopError> {
    let paid = charge(order.clone()).await?;
    let again = charge(order).await?;
    Ok(paid + again)
}

stepcraft::main!(checkout, charge);
