// A mistake elsewhere in a workflow whose `try_join!` branches have different error types is
// the one error reported: the fallback expansion converts each branch's error, as the real one
// does, so rustc adds no `mismatched types`.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepcraft::{activity, workflow, Data};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, Data)]
struct Order {
    id: String,
    total: u64,
    items: Vec<String>,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
enum ShopError {
    #[error("declined: {reason}")]
    Declined { reason: String },
    #[error("gateway down")]
    GatewayDown,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
enum StockError {
    #[error("out of stock")]
    OutOfStock,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
enum OrderError {
    #[error(transparent)]
    #[stepcraft(transparent)]
    Shop(#[from] ShopError),
    #[error(transparent)]
    #[stepcraft(transparent)]
    Stock(#[from] StockError),
}

#[activity]
async fn reserve(order: Order) -> Result<u64, StockError> {
    Ok(order.total)
}

#[activity]
async fn charge(order: Order) -> Result<u64, ShopError> {
    Ok(order.total)
}

#[workflow]
async fn checkout(order: Order) -> Result<u64, OrderError> {
    let (held, charged) = stepcraft::try_join!(reserve(order.clone()), charge(order.clone()))?;
    let now = std::time::SystemTime::now();
    Ok(held + charged)
}

fn main() {}
