//! `sleep` and `sleep_until` become Wait states: a literal number of seconds, a number of
//! minutes read from the input, and a timestamp.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepcraft::{Data, Duration, sleep, sleep_until, workflow};

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    pub delay_minutes: u64,
    pub not_before: String,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
pub enum Never {}

#[workflow]
pub async fn wait(schedule: Schedule) -> Result<u64, Never> {
    sleep(Duration::from_secs(90)).await;
    sleep(Duration::from_mins(schedule.delay_minutes)).await;
    sleep_until(&schedule.not_before).await;
    Ok(schedule.delay_minutes)
}
