//! `#[map(distributed, ..)]` on a `for` loop: a Distributed Map (`ProcessorConfig.Mode:
//! DISTRIBUTED`, `ExecutionType: STANDARD`), each item a child execution that reads its item
//! and nothing else; `label` names the Map Run, `max_concurrency` bounds it. A child's error
//! fails the workflow, as `?` does in Rust. (`execution = "express"`, which the third-party
//! interpreter's grammar does not know, is shown by `tests/tests/distributed.rs`.)

use super::common::*;
use stepcraft::{activity, workflow};

/// How many of the item are in stock: all of them, up to 100.
#[activity]
pub async fn check_stock(item: Item) -> Result<u64, StockError> {
    if item.quantity > 100 { Err(StockError::OutOfStock(item.sku)) } else { Ok(u64::from(item.quantity)) }
}

#[workflow]
pub async fn distributed(order: Order) -> Result<Vec<(usize, u64)>, OrderError> {
    #[map(distributed)]
    for item in order.items.clone() {
        check_stock(item).await?;
    }
    let mut totals = Vec::new();
    #[map(distributed, label = "PackItems", max_concurrency = 100)]
    for (i, item) in order.items.iter().enumerate() {
        let total = pack(item.clone()).await?;
        totals.push((i, total));
    }
    Ok(totals)
}
