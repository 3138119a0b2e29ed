//! An EventBridge rule target: the rule selects `OrderShipped` events of `shop.orders`, and the
//! event's `detail` is decoded into a typed struct.

use serde::{Deserialize, Serialize};
use stepcraft::events::EventBridgeEvent;
use stepcraft::{handler, tracing};

#[derive(Debug, Deserialize, Serialize)]
struct OrderShipped {
    order_id: String,
    carrier: String,
}

#[derive(Debug, Serialize)]
struct Notified {
    order_id: String,
    message: String,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
enum ShipmentError {
    #[error("unexpected detail type `{0}`")]
    UnexpectedDetailType(String),
}

#[handler(eventbridge(source = ["shop.orders"], detail_type = ["OrderShipped"]), timeout = "10s")]
async fn shipments(event: EventBridgeEvent<OrderShipped>) -> Result<Notified, ShipmentError> {
    if event.detail_type != "OrderShipped" {
        return Err(ShipmentError::UnexpectedDetailType(event.detail_type));
    }
    let shipped = event.detail;
    tracing::info!(order_id = %shipped.order_id, "notifying the customer");
    Ok(Notified {
        message: format!("order {} is on its way with {}", shipped.order_id, shipped.carrier),
        order_id: shipped.order_id,
    })
}
