// Tolerated failures are not offered: they have no meaning for a Rust loop.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepcraft::{activity, workflow, Data};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, Data)]
struct Item {
    sku: String,
    quantity: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, Data)]
struct Order {
    id: String,
    items: Vec<Item>,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
enum ShopError {
    #[error("out of stock")]
    OutOfStock,
}

#[activity]
async fn pack(item: Item) -> Result<u32, ShopError> {
    Ok(item.quantity)
}

#[workflow]
async fn ship(order: Order) -> Result<(), ShopError> {
    #[map(distributed, tolerated_failure_count = 3)]
    for item in order.items {
        pack(item).await?;
    }
    Ok(())
}

fn main() {}
