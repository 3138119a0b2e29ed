//! Types and activities shared by the golden workflows. The activities really run: the
//! differential tests call them natively and from the third-party interpreter.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepcraft::{Data, activity};

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub order_id: String,
    pub customer: Customer,
    pub items: Vec<Item>,
    pub total_cents: u64,
    #[serde(default)]
    pub coupon: Option<String>,
    #[serde(default)]
    pub express: bool,
    pub country: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    pub email_address: String,
    pub tier: Tier,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Gold,
    Silver,
    Standard,
    Custom { discount_pct: u8 },
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub sku: String,
    pub quantity: u32,
    pub price_cents: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
#[serde(rename_all = "camelCase")]
pub struct Hold {
    pub hold_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
#[serde(rename_all = "camelCase")]
pub struct Charge {
    pub order_id: String,
    pub amount_cents: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    pub receipt_id: String,
    pub amount_cents: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub to: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Outcome {
    Shipped { tracking: String },
    Refunded { amount_cents: u64 },
    Held,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
pub enum StockError {
    #[error("sku `{0}` is out of stock")]
    OutOfStock(String),
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
pub enum PaymentError {
    #[error("card declined")]
    #[stepcraft(name = "CardDeclined")]
    Declined,
    #[error("fraud suspected")]
    Fraud,
    #[error("the gateway did not answer")]
    GatewayDown,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
pub enum OrderError {
    #[error(transparent)]
    #[stepcraft(transparent)]
    Stock(#[from] StockError),
    #[error(transparent)]
    #[stepcraft(transparent)]
    Payment(#[from] PaymentError),
    #[error("the order is too large to ship")]
    TooLarge,
    #[error("the order was rejected")]
    Rejected { reason: String },
}

impl From<std::convert::Infallible> for OrderError {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

#[activity(timeout = "10s")]
pub async fn reserve(order: Order) -> Result<Hold, StockError> {
    match order.items.iter().find(|i| i.quantity > 100) {
        Some(item) => Err(StockError::OutOfStock(item.sku.clone())),
        None => Ok(Hold { hold_id: format!("hold-{}", order.order_id) }),
    }
}

#[activity(retry(errors = [GatewayDown], interval = "2s", max_attempts = 3), timeout = "30s")]
pub async fn charge(charge: Charge) -> Result<Receipt, PaymentError> {
    match charge.amount_cents {
        0 => Err(PaymentError::Declined),
        13 => Err(PaymentError::Fraud),
        1..=9 => Err(PaymentError::GatewayDown),
        cents => Ok(Receipt { receipt_id: format!("r-{}", charge.order_id), amount_cents: cents }),
    }
}

#[activity]
pub async fn release(hold: Hold) -> Result<Hold, std::convert::Infallible> {
    Ok(hold)
}

#[activity]
pub async fn notify(message: Message) -> Result<Message, std::convert::Infallible> {
    Ok(message)
}

#[activity]
pub async fn pack(item: Item) -> Result<u64, std::convert::Infallible> {
    Ok(item.price_cents * u64::from(item.quantity))
}

#[activity]
pub async fn review(order: Order) -> Result<bool, PaymentError> {
    Ok(order.total_cents < 1_000_000)
}
