// A rejected `#[workflow]` is the one error: its variables stay known (a rejected `let mut`
// binding is still `r`), and the `stepcraft::main!` hosting it adds nothing.
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
    let mut r = charge(order.clone()).await?;
    r += 1;
    if r > 10 {
        return Ok(r);
    }
    Ok(r + order.total)
}

#[workflow]
async fn parent(order: Order) -> Result<u64, ShopError> {
    let total = checkout(order).await?;
    Ok(total)
}

stepcraft::main!(parent, checkout, charge);
