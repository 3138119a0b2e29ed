// `Default::default()` inside an expression does not say which value it builds; plain
// constructors (`String::new()`, `Vec::new()`, `u64::default()`, and `Default::default()`
// bound with a plain type: `let n: u64 = Default::default();`) are values and compile.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepcraft::{activity, workflow, Data};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, Data)]
struct Order {
    id: String,
    note: String,
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
    let note = String::new();
    let zero = u64::default();
    let extra: u64 = Default::default();
    let id = format!("{}{note}", order.id);
    let paid = charge(Order { id, note: Default::default(), total: order.total + zero + extra }).await?;
    Ok(paid)
}

fn main() {}
