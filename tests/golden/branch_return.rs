//! `return` inside an `async` branch of `try_join!` ends that branch, as it ends the `async`
//! block in Rust: `return Err(..)` is a Fail state in the Parallel branch, which fails the
//! Parallel state, and so the workflow, with that error (`try_join!(..)?`); `return Ok(v)` ends
//! the branch with `v`. The branches have different error types, converted by `?`.

use super::common::*;
use stepcraft::{try_join, workflow};

#[workflow]
pub async fn branch_return(order: Order) -> Result<Message, OrderError> {
    let to = order.customer.email_address.clone();
    let (hold, receipt) = try_join!(reserve(order.clone()), async {
        if order.items.len() > 3 {
            return Err(OrderError::TooLarge);
        }
        if order.express {
            return Ok(Receipt { receipt_id: "express".into(), amount_cents: 0 });
        }
        let receipt = charge(Charge { order_id: order.order_id.clone(), amount_cents: order.total_cents }).await?;
        Ok(receipt)
    })?;
    Ok(Message { to, text: format!("{} {}", hold.hold_id, receipt.receipt_id) })
}
