//! An SQS consumer: each record's body is decoded into `OrderPlaced` and handled on its own;
//! the records that fail (a body that does not decode, an order that is refused, a panic) are
//! reported in `batchItemFailures`, so only they go back to the queue.

use schemars::JsonSchema;
use serde::Deserialize;
use stepcraft::{handler, tracing};

#[derive(Debug, Deserialize, JsonSchema)]
struct OrderPlaced {
    order_id: String,
    amount_cents: u64,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
enum OrderError {
    #[error("order `{0}` has no amount")]
    EmptyOrder(String),
}

#[handler(sqs(batch_size = 5, max_receive = 3), memory = 256, timeout = "30s")]
async fn order_queue(order: OrderPlaced) -> Result<(), OrderError> {
    if order.amount_cents == 0 {
        return Err(OrderError::EmptyOrder(order.order_id));
    }
    if order.order_id == "poison" {
        panic!("a poison message");
    }
    tracing::info!(order_id = %order.order_id, amount_cents = order.amount_cents, "order accepted");
    Ok(())
}
