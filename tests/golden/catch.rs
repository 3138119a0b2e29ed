//! `match` on a call: one Catch per `Err` arm, most specific first, `States.ALL` last; the
//! caught error is raised again after compensation.

use super::common::*;
use stepcraft::workflow;

#[workflow]
pub async fn catch(order: Order) -> Result<Receipt, OrderError> {
    let hold = reserve(order.clone()).await?;
    let receipt = match charge(Charge { order_id: order.order_id.clone(), amount_cents: order.total_cents }).await {
        Ok(receipt) => receipt,
        Err(PaymentError::Fraud) => {
            release(hold).await?;
            return Err(OrderError::Rejected { reason: "fraud".to_string() });
        }
        Err(PaymentError::Declined) => {
            release(hold).await?;
            return Err(OrderError::TooLarge);
        }
        Err(error) => {
            release(hold).await?;
            return Err(error.into());
        }
    };
    Ok(receipt)
}
