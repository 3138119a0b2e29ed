// An error name written as a string must be one the activity can fail with: a misspelt one
// never matches, so it is an error at the string, with the name it was meant to be. Names of
// the error type (after renames), of the Lambda glue and of Lambda itself pass, and
// `other = "…"` names an error of another type.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepcraft::activity;

#[derive(Deserialize, Serialize, JsonSchema)]
struct Order {
    id: String,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
enum PaymentError {
    #[error("declined")]
    #[stepcraft(name = "CardDeclined")]
    Declined,
    #[error("backend down")]
    BackendDown,
}

#[activity(
    retry(errors = ["CardDeclined", "Lambda.ServiceException", "Panic", other = "Vendor.Timeout"]),
    retry(errors = ["BackendDwn"], max_attempts = 3)
)]
async fn charge(order: Order) -> Result<u64, PaymentError> {
    Ok(order.id.len() as u64)
}

fn main() {}
