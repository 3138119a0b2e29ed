//! `join!` keeps each branch's `Result`, like Rust: a Parallel state whose branches catch their
//! own errors; `r?` fails the workflow with a branch's error, `match` handles it.

use super::common::*;
use stepcraft::{join, workflow};

#[workflow]
pub async fn join(order: Order) -> Result<Message, OrderError> {
    let to = order.customer.email_address.clone();
    let (hold, receipt, sent) = join!(
        reserve(order.clone()),
        charge(Charge { order_id: order.order_id.clone(), amount_cents: order.total_cents }),
        async {
            let first = notify(Message { to: to.clone(), text: "processing".into() }).await?;
            Ok::<_, OrderError>(first)
        },
    );
    let hold = hold?;
    let receipt = match receipt {
        Ok(receipt) => receipt,
        Err(PaymentError::Fraud) => return Err(OrderError::TooLarge),
        Err(error) => {
            release(hold).await?;
            return Err(error.into());
        }
    };
    let sent = sent?;
    Ok(Message { to, text: format!("{} {} {}", hold.hold_id, receipt.receipt_id, sent.text) })
}
