// On a callback call, `#[task(retry(errors = [Variant]))]` names variants of the callback
// activity's own error type (its Lambda function's failures), not of `CallbackError`.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepcraft::{activity, callback, workflow, Data, TaskToken};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, Data)]
struct Claim {
    id: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, Data)]
struct Decision {
    approved: bool,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
enum MailError {
    #[error("mail server down")]
    MailDown,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
enum ClaimError {
    #[error(transparent)]
    #[stepcraft(transparent)]
    Callback(#[from] stepcraft::CallbackError),
}

#[activity(callback = Decision, timeout = "1h")]
async fn ask_manager(claim: Claim, token: TaskToken) -> Result<(), MailError> {
    let _ = (claim, token);
    Ok(())
}

#[workflow]
async fn review(claim: Claim) -> Result<Decision, ClaimError> {
    #[task(retry(errors = [MailDown], max_attempts = 2))]
    let first = callback(ask_manager, claim.clone()).await?;
    #[task(retry(errors = [MailDwn]))]
    let second = callback(ask_manager, claim).await?;
    Ok(Decision { approved: first.approved && second.approved })
}

fn main() {}
