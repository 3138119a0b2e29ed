//! Test fixture: an express workflow and the activity it calls, with the memory and timeout the
//! manifest reports.

use serde::{Deserialize, Serialize};
use stepcraft::{Data, activity, workflow};

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema, Data)]
struct Order {
    id: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema, Data)]
struct Score {
    risk: u32,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
enum ScoreError {
    #[error("the scoring model is unavailable")]
    Unavailable,
}

#[activity(memory = 1024, timeout = "20s")]
async fn score_order(order: Order) -> Result<Score, ScoreError> {
    if order.id.is_empty() {
        return Err(ScoreError::Unavailable);
    }
    Ok(Score { risk: order.id.len() as u32 })
}

#[workflow(express, timeout = "1m")]
async fn fraud_check(order: Order) -> Result<Score, ScoreError> {
    let score = score_order(order).await?;
    Ok(score)
}

stepcraft::main!(fraud_check, score_order);
