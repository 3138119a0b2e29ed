//! `return Ok(..)` ends in Succeed with the value; `return Err(..)` ends in Fail with the
//! variant's stable name and its message (thiserror's `#[error]` with the fields put in).

use super::common::*;
use stepcraft::workflow;

#[workflow]
pub async fn returns(order: Order) -> Result<Outcome, OrderError> {
    if order.items.is_empty() {
        return Err(OrderError::Rejected { reason: format!("order {} is empty", order.order_id) });
    }
    if order.total_cents > 10_000_000 {
        return Err(OrderError::TooLarge);
    }
    if order.express {
        return Ok(Outcome::Held);
    }
    let hold = reserve(order.clone()).await?;
    Ok(Outcome::Shipped { tracking: hold.hold_id })
}
