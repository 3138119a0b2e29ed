//! `sleep(Duration::from_millis(n))` with a whole number of seconds becomes a Wait of those
//! seconds.

use super::common::*;
use stepcraft::{Duration, sleep, workflow};

#[workflow]
pub async fn wait_millis(order: Order) -> Result<u64, OrderError> {
    sleep(Duration::from_millis(2000)).await;
    Ok(order.total_cents)
}
