//! `if`/`else if`/`else`, `if let Some(..)`, and `match` on enums (with bindings), strings and
//! integers become Choice states whose branches join again.

use super::common::*;
use stepcraft::workflow;

#[workflow]
pub async fn choice(order: Order) -> Result<Message, OrderError> {
    let to = order.customer.email_address.clone();
    if order.total_cents > 100_000 && !order.express {
        review(order.clone()).await?;
    } else if order.items.len() > 3 {
        notify(Message { to: to.clone(), text: "a big order".into() }).await?;
    }
    if let Some(code) = order.coupon.clone() {
        notify(Message { to: to.clone(), text: format!("coupon {code} applied") }).await?;
    }
    let greeting = match order.customer.tier {
        Tier::Gold | Tier::Silver => "dear valued customer".to_string(),
        Tier::Custom { discount_pct } => format!("enjoy {discount_pct}% off"),
        Tier::Standard => "hello".to_string(),
    };
    let shipping = match order.country.as_str() {
        "DE" | "AT" => "domestic",
        "US" => "overseas",
        _ => "international",
    };
    let size = match order.items.len() {
        0 => "empty",
        1..=3 => "small",
        _ => "large",
    };
    let sent = notify(Message { to, text: format!("{greeting}: {shipping}, {size}") }).await?;
    Ok(sent)
}
