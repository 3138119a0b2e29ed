// A type's own constructor (`Order::new(..)`) runs code the state machine cannot: the hint is a
// struct literal, not "make `new` an activity".
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepcraft::{activity, workflow, Data};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, Data)]
struct Order {
    id: String,
    total: u64,
}

impl Order {
    fn new(id: String, total: u64) -> Self {
        Order { id, total }
    }
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
    let copy = Order::new(order.id, order.total);
    let paid = charge(copy).await?;
    Ok(paid)
}

fn main() {}
