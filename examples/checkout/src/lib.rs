//! The classic saga, as a stepcraft workflow: reserve inventory → charge the payment → on a
//! payment failure release the reservation and fail with the payment's error → pack every item
//! → ship and send the receipt in parallel.
//!
//! The workflow and its activities live in this library, so that tests (and other crates) can
//! call them; `src/main.rs` hosts them in the binary that is both the Lambda `bootstrap` and the
//! command line:
//!
//! ```text
//! cargo run -p checkout -- run checkout --input @examples/checkout/order.json   # the state machine, locally
//! cargo run -p checkout -- synth --out target/asl          # the state machine, as Step Functions runs it
//! cargo run -p checkout -- invoke checkout --input @examples/checkout/order.json   # natively, as Rust
//! ```

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepcraft::{Data, Duration, activity, sleep, try_join, workflow};

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub order_id: String,
    pub customer_email: String,
    pub items: Vec<LineItem>,
    pub total_cents: u64,
    pub card: String,
    #[serde(default)]
    pub express: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
#[serde(rename_all = "camelCase")]
pub struct LineItem {
    pub sku: String,
    pub quantity: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
#[serde(rename_all = "camelCase")]
pub struct Hold {
    pub hold_id: String,
    pub order_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    pub order_id: String,
    pub amount_cents: u64,
    pub card: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    pub receipt_id: String,
    pub charged_cents: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
#[serde(rename_all = "camelCase")]
pub struct Parcel {
    pub sku: String,
    pub weight_grams: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
#[serde(rename_all = "camelCase")]
pub struct ShipRequest {
    pub order_id: String,
    pub parcels: Vec<Parcel>,
    pub express: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
#[serde(rename_all = "camelCase")]
pub struct Shipment {
    pub tracking_number: String,
    pub carrier: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
#[serde(rename_all = "camelCase")]
pub struct Notice {
    pub email: String,
    pub receipt_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
#[serde(rename_all = "camelCase")]
pub struct Confirmation {
    pub order_id: String,
    pub tracking_number: String,
    pub receipt_id: String,
    pub parcels: u32,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
pub enum InventoryError {
    #[error("sku `{0}` is out of stock")]
    OutOfStock(String),
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
pub enum PaymentError {
    #[error("card declined: {reason}")]
    #[stepcraft(name = "CardDeclined")]
    Declined { reason: String },
    #[error("the payment gateway did not answer")]
    GatewayDown,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
pub enum ShippingError {
    #[error("no carrier serves this address")]
    NoCarrier,
}

/// The workflow's errors: those of the activities it calls keep their names.
#[derive(Debug, thiserror::Error, stepcraft::Error)]
pub enum CheckoutError {
    #[error(transparent)]
    #[stepcraft(transparent)]
    Inventory(#[from] InventoryError),
    #[error(transparent)]
    #[stepcraft(transparent)]
    Payment(#[from] PaymentError),
    #[error(transparent)]
    #[stepcraft(transparent)]
    Shipping(#[from] ShippingError),
    #[error("the order has no items")]
    EmptyOrder,
}

// Activities that cannot fail return `Infallible`; the workflow's error absorbs it.
impl From<std::convert::Infallible> for CheckoutError {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

#[activity(timeout = "10s")]
pub async fn reserve_inventory(order: Order) -> Result<Hold, InventoryError> {
    if let Some(item) = order.items.iter().find(|i| i.quantity > 100) {
        return Err(InventoryError::OutOfStock(item.sku.clone()));
    }
    Ok(Hold { hold_id: format!("hold-{}", order.order_id), order_id: order.order_id })
}

#[activity(
    retry(errors = [GatewayDown], interval = "2s", max_attempts = 3, backoff_rate = 2.0),
    timeout = "30s",
    memory = 256
)]
pub async fn charge_payment(payment: Payment) -> Result<Receipt, PaymentError> {
    match payment.card.as_str() {
        "4000000000000002" => Err(PaymentError::Declined { reason: "insufficient funds".into() }),
        "4000000000000119" => Err(PaymentError::GatewayDown),
        _ => Ok(Receipt { receipt_id: format!("rcpt-{}", payment.order_id), charged_cents: payment.amount_cents }),
    }
}

#[activity(retry(errors = ["States.ALL"], max_attempts = 5), timeout = "10s")]
pub async fn release_inventory(hold: Hold) -> Result<Hold, std::convert::Infallible> {
    Ok(hold)
}

#[activity(timeout = "20s")]
pub async fn pack_item(item: LineItem) -> Result<Parcel, std::convert::Infallible> {
    Ok(Parcel { weight_grams: 250 * item.quantity, sku: item.sku })
}

#[activity(timeout = "30s")]
pub async fn ship_order(request: ShipRequest) -> Result<Shipment, ShippingError> {
    let carrier = if request.express { "AirFast" } else { "GroundCo" };
    Ok(Shipment {
        tracking_number: format!("{carrier}-{}-{}", request.order_id, request.parcels.len()),
        carrier: carrier.into(),
    })
}

#[activity(timeout = "10s")]
pub async fn send_receipt(notice: Notice) -> Result<Notice, std::convert::Infallible> {
    Ok(notice)
}

/// Takes an order from payment to shipment.
#[workflow(timeout = "1d", comment = "Takes an order from payment to shipment")]
pub async fn checkout(order: Order) -> Result<Confirmation, CheckoutError> {
    if order.items.is_empty() {
        return Err(CheckoutError::EmptyOrder);
    }
    let hold = reserve_inventory(order.clone()).await?;
    let payment =
        Payment { order_id: order.order_id.clone(), amount_cents: order.total_cents, card: order.card.clone() };
    let receipt = match charge_payment(payment).await {
        Ok(receipt) => receipt,
        Err(error) => {
            release_inventory(hold).await?;
            return Err(error.into());
        }
    };
    let mut parcels = Vec::new();
    for item in order.items.clone() {
        parcels.push(pack_item(item).await?);
    }
    let request = ShipRequest { order_id: order.order_id.clone(), parcels: parcels.clone(), express: order.express };
    let notice = Notice { email: order.customer_email.clone(), receipt_id: receipt.receipt_id.clone() };
    let (shipment, _) = try_join!(ship_order(request), send_receipt(notice))?;
    if !order.express {
        sleep(Duration::from_secs(3600)).await;
    }
    Ok(Confirmation {
        order_id: order.order_id,
        tracking_number: shipment.tracking_number,
        receipt_id: receipt.receipt_id,
        parcels: parcels.len() as u32,
    })
}
