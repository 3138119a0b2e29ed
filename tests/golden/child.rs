//! A call of another `#[workflow]` becomes a child execution
//! (`states:startExecution.sync:2`).

use super::common::*;
use super::sequential::sequential;
use stepcraft::workflow;

#[workflow(name = "ParentOrder", timeout = "2h", comment = "Runs the sequential workflow as a child")]
pub async fn child(order: Order) -> Result<Message, OrderError> {
    let message = sequential(order.clone()).await?;
    Ok(message)
}
