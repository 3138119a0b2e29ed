// A rejected `#[derive(stepcraft::Error)]` is the one error: the activities and workflows
// failing with the type add no "is not a stepcraft error" of their own.
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
    #[error("declined")]
    Declined,
    #[error("declined again")]
    #[stepcraft(name = "Declined")]
    DeclinedAgain,
}

#[activity]
async fn charge(order: Order) -> Result<u64, ShopError> {
    Ok(order.total)
}

#[workflow]
async fn checkout(order: Order) -> Result<u64, ShopError> {
    let paid = charge(order).await?;
    Ok(paid)
}

stepcraft::main!(checkout, charge);
