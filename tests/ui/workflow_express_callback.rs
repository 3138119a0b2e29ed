// An express workflow cannot wait for a callback (`.waitForTaskToken`).
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepcraft::{activity, callback, workflow, Data, TaskToken};

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
async fn checkout(order: Order) -> Result<bool, ShopError> {
    let decision = callback(approve, order).await?;
    Ok(decision.approved)
}

fn main() {}
