// A rejected `#[workflow(..)]` attribute is the one error: the workflow's callers and the
// `stepcraft::main!` hosting it add none.
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

#[workflow(timeout = "forever")]
async fn pay(order: Order) -> Result<u64, ShopError> {
    let paid = charge(order).await?;
    Ok(paid)
}

#[workflow]
async fn checkout(order: Order) -> Result<u64, ShopError> {
    #[task(retry(errors = [GatewayDown], max_attempts = 2))]
    let paid = pay(order).await?;
    Ok(paid)
}

stepcraft::main!(checkout, pay, charge);
