// A workflow builds vectors and structs; maps and sets are built in an activity.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use stepcraft::{activity, workflow, Data};

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, Data)]
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
    let seen: HashMap<String, u64> = HashMap::new();
    let paid = charge(order).await?;
    Ok(paid + seen.len() as u64)
}

fn main() {}
