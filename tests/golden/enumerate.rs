//! `for (i, item) in items.iter().enumerate()` becomes a Map whose `ItemSelector` gives each
//! iteration `{index, item}` (Step Functions gives `$states.context.Map.Item.Index` to
//! `ItemSelector` only): read by the iteration's first state alone, both are its input;
//! otherwise a Pass state assigns them.

use super::common::*;
use stepcraft::workflow;

#[workflow]
pub async fn enumerate(order: Order) -> Result<Vec<(usize, u64)>, OrderError> {
    let mut totals = Vec::new();
    for (i, item) in order.items.clone().into_iter().enumerate() {
        let total = pack(item).await?;
        totals.push((i, total));
    }
    for (position, item) in order.items.iter().enumerate() {
        if position == 0 && item.quantity > 0 {
            notify(Message { to: order.customer.email_address.clone(), text: "first".into() }).await?;
        }
    }
    Ok(totals)
}
