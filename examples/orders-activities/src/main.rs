//! The activities of an order saga — reserve inventory, charge the payment, release the
//! reservation — hosted by one binary. Deployed as three Lambda functions sharing this
//! `bootstrap`, each with its `Handler` set to the activity's name.
//!
//! ```text
//! cargo run -p orders-activities -- list
//! cargo run -p orders-activities -- invoke charge_payment --input '{"order_id":"o-1","amount_cents":1200,"card":"4242"}'
//! ```

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepcraft::{activity, tracing};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct Reservation {
    pub order_id: String,
    pub sku: String,
    pub quantity: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct Hold {
    pub hold_id: String,
    pub order_id: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct Payment {
    pub order_id: String,
    pub amount_cents: u64,
    pub card: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct Receipt {
    pub order_id: String,
    pub charged_cents: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct Released {
    pub hold_id: String,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
pub enum InventoryError {
    #[error("sku `{0}` is out of stock")]
    OutOfStock(String),
}

/// Why a payment failed. Step Functions sees `CardDeclined` and `GatewayDown`.
#[derive(Debug, thiserror::Error, stepcraft::Error)]
pub enum PaymentError {
    #[error("card declined: {reason}")]
    #[stepcraft(name = "CardDeclined")]
    Declined { reason: String },
    #[error("the payment gateway did not answer")]
    GatewayDown,
}

#[activity(timeout = "10s")]
pub async fn reserve_inventory(request: Reservation) -> Result<Hold, InventoryError> {
    if request.quantity > 100 {
        return Err(InventoryError::OutOfStock(request.sku));
    }
    tracing::info!(order_id = %request.order_id, "reserved");
    Ok(Hold { hold_id: format!("hold-{}", request.order_id), order_id: request.order_id })
}

#[activity(
    retry(errors = [GatewayDown], interval = "2s", max_attempts = 3, backoff_rate = 2.0, max_delay = "10s", jitter = "full"),
    timeout = "30s",
    heartbeat = "10s",
    memory = 256
)]
pub async fn charge_payment(payment: Payment) -> Result<Receipt, PaymentError> {
    match payment.card.as_str() {
        "0000" => Err(PaymentError::Declined { reason: "insufficient funds".into() }),
        "5555" => Err(PaymentError::GatewayDown),
        _ => Ok(Receipt { order_id: payment.order_id, charged_cents: payment.amount_cents }),
    }
}

#[activity(retry(errors = ["States.TaskFailed"], max_attempts = 5), timeout = "10s")]
pub async fn release_inventory(hold: Hold) -> Result<Released, std::convert::Infallible> {
    tracing::info!(hold_id = %hold.hold_id, "released");
    Ok(Released { hold_id: hold.hold_id })
}

stepcraft::main!(reserve_inventory, charge_payment, release_inventory);
