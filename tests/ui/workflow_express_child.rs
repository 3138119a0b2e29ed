// An express workflow cannot wait for a child workflow (`.sync`).
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepcraft::{activity, workflow, Data, TaskToken};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, Data)]
struct Order {
    id: String,
    total: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, Data)]
struct Decision {
    approved: bool,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
enum ShopError {
    #[error("gateway down")]
    GatewayDown,
    #[error(transparent)]
    #[stepcraft(transparent)]
    Callback(#[from] stepcraft::CallbackError),
}

#[activity]
async fn charge(order: Order) -> Result<u64, ShopError> {
    Ok(order.total)
}

#[activity]
async fn reserve(order: Order) -> Result<u64, ShopError> {
    Ok(order.total)
}

#[activity(callback = Decision, timeout = "1h")]
async fn approve(order: Order, token: TaskToken) -> Result<(), ShopError> {
    let _ = (order, token);
    Ok(())
}

#[workflow]
async fn pay(order: Order) -> Result<u64, ShopError> {
    charge(order).await
}

#[workflow(express)]
async fn checkout(order: Order) -> Result<u64, ShopError> {
    let held = reserve(order.clone()).await?;
    let paid = pay(order).await?;
    Ok(held + paid)
}

fn main() {}
