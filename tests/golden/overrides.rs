//! `#[task(..)]` overrides the called activity's Retry, timeouts and state name at the call
//! site.

use super::common::*;
use stepcraft::workflow;

#[workflow]
pub async fn overrides(order: Order) -> Result<Receipt, OrderError> {
    #[task(name = "Charge the card", retry(errors = [GatewayDown, Fraud], interval = "5s", max_attempts = 5, max_delay = "30s", jitter = "full"), timeout = "1m", heartbeat = "20s")]
    let receipt = charge(Charge { order_id: order.order_id.clone(), amount_cents: order.total_cents }).await?;
    #[task(retry())]
    let again = charge(Charge { order_id: receipt.receipt_id, amount_cents: receipt.amount_cents }).await?;
    Ok(again)
}
