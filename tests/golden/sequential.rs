//! Sequential calls, `let` bindings, arguments built from fields, literals, structs, arrays
//! and `format!`, all under serde's camelCase renames.

use super::common::*;
use stepcraft::workflow;

#[workflow]
pub async fn sequential(order: Order) -> Result<Message, OrderError> {
    let hold = reserve(order.clone()).await?;
    let receipt = charge(Charge { order_id: order.order_id.clone(), amount_cents: order.total_cents }).await?;
    let text = format!("order {} is paid ({} cents), hold {}", order.order_id, receipt.amount_cents, hold.hold_id);
    let sent = notify(Message { to: order.customer.email_address.clone(), text }).await?;
    Ok(sent)
}
