//! `try_join!` of calls and of `async` blocks becomes a Parallel state; results are bound by
//! position.

use super::common::*;
use stepcraft::{try_join, workflow};

#[workflow]
pub async fn parallel(order: Order) -> Result<Vec<Message>, OrderError> {
    let to = order.customer.email_address.clone();
    let (hold, sent, _) = try_join!(
        reserve(order.clone()),
        async {
            let receipt = charge(Charge { order_id: order.order_id.clone(), amount_cents: order.total_cents }).await?;
            let sent = notify(Message { to: to.clone(), text: receipt.receipt_id.clone() }).await?;
            Ok::<_, OrderError>(sent)
        },
        notify(Message { to: to.clone(), text: "processing".into() }),
    )?;
    let done = notify(Message { to, text: format!("{} {}", hold.hold_id, sent.text) }).await?;
    Ok(vec![sent, done])
}
