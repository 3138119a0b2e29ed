// The children of `execution = "express"` are express executions: they cannot wait for a callback.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepcraft::{activity, callback, TaskToken, workflow, Data};

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
    #[error(transparent)]
    #[stepcraft(transparent)]
    Callback(#[from] stepcraft::CallbackError),
}

#[activity]
async fn pack(item: Item) -> Result<u32, ShopError> {
    Ok(item.quantity)
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, Data)]
struct Checked {
    ok: bool,
}

#[activity(callback = Checked, timeout = "1h")]
async fn inspect(item: Item, token: TaskToken) -> Result<(), ShopError> {
    let _ = (item, token);
    Ok(())
}

#[workflow]
async fn ship(order: Order) -> Result<(), ShopError> {
    #[map(distributed, execution = "express")]
    for item in order.items {
        callback(inspect, item).await?;
    }
    Ok(())
}

fn main() {}
