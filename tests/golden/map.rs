//! A `for` loop over a collection becomes a Map state; `push` collects each iteration's value
//! in order; `#[map(max_concurrency = ..)]` bounds the concurrency.

use super::common::*;
use stepcraft::workflow;

#[workflow]
pub async fn map(order: Order) -> Result<Vec<u64>, OrderError> {
    let mut totals = Vec::new();
    #[map(max_concurrency = 2)]
    for item in order.items.iter() {
        let total = pack(item.clone()).await?;
        totals.push(total);
    }
    for item in order.items.clone() {
        notify(Message { to: order.customer.email_address.clone(), text: item.sku }).await?;
    }
    Ok(totals)
}
