// A rejected callback activity is the one error: the workflow waiting for it, with a retry
// rule naming the activity's error, adds none.
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

#[activity(callback = Decision, timeout = "1 hour")]
async fn ask_manager(claim: Claim, token: TaskToken) -> Result<(), MailError> {
    let _ = (claim, token);
    Ok(())
}

#[workflow]
async fn review(claim: Claim) -> Result<Decision, ClaimError> {
    #[task(retry(errors = [MailDown, "MailDown"]))]
    let decision = callback(ask_manager, claim).await?;
    Ok(decision)
}

stepcraft::main!(review, ask_manager);
