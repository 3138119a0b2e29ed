//! A string's `len()` is its length in UTF-8 bytes, in the state machine as in Rust: `"Björn"`
//! (5 characters, 6 bytes) is long.

use super::common::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepcraft::{Data, workflow};

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
#[serde(rename_all = "camelCase")]
pub struct Signup {
    pub user_name: String,
}

#[workflow]
pub async fn name_length(signup: Signup) -> Result<Message, OrderError> {
    let size = if signup.user_name.len() > 5 { "long" } else { "short" };
    Ok(Message {
        to: signup.user_name.clone(),
        text: format!("{size}: {} characters", signup.user_name.chars().count()),
    })
}
