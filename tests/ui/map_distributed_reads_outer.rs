// A distributed map's iterations are child executions: they cannot read a value from outside the loop.
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

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, Data)]
struct Label {
    order: String,
    sku: String,
}

#[activity]
async fn print(label: Label) -> Result<(), ShopError> {
    let _ = label;
    Ok(())
}

#[workflow]
async fn ship(order: Order) -> Result<(), ShopError> {
    #[map(distributed)]
    for item in order.items.clone() {
        print(Label { order: order.id.clone(), sku: item.sku }).await?;
    }
    Ok(())
}

fn main() {}
