//! `let Some(x) = value else { .. };` becomes a Choice: when the value is `None` the `else`
//! block runs (it ends the workflow, as rustc requires); otherwise `x` names the value inside.

use super::common::*;
use stepcraft::workflow;

#[workflow]
pub async fn let_else(order: Order) -> Result<Message, OrderError> {
    let Some(coupon) = order.coupon.clone() else {
        return Err(OrderError::Rejected { reason: "no coupon".into() });
    };
    let sent = notify(Message { to: order.customer.email_address.clone(), text: coupon }).await?;
    Ok(sent)
}
