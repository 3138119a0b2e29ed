//! `callback(activity, input)` becomes a `lambda:invoke.waitForTaskToken` task: the activity
//! receives the task token, and the task's result is what the token is completed with.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepcraft::{Data, TaskToken, activity, callback, workflow};

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
#[serde(rename_all = "camelCase")]
pub struct Expense {
    pub employee: String,
    pub amount_cents: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub approved: bool,
    pub approver: String,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
pub enum MailError {
    #[error("the mail server refused the message")]
    Refused,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
pub enum ExpenseError {
    #[error(transparent)]
    #[stepcraft(transparent)]
    Callback(#[from] stepcraft::CallbackError),
    #[error("the expense was rejected")]
    Rejected,
}

/// Mails the manager a link carrying the token; natively, small expenses approve themselves.
#[activity(callback = Decision, timeout = "7d", heartbeat = "1d", retry(errors = [Refused], max_attempts = 2))]
pub async fn ask_manager(expense: Expense, token: TaskToken) -> Result<(), MailError> {
    if expense.employee.is_empty() {
        return Err(MailError::Refused);
    }
    if expense.amount_cents < 10_000 {
        stepcraft::callback::succeed(&token, &Decision { approved: true, approver: "auto".into() });
    }
    Ok(())
}

#[workflow]
pub async fn approval(expense: Expense) -> Result<Decision, ExpenseError> {
    let decision = callback(ask_manager, expense.clone()).await?;
    if !decision.approved {
        return Err(ExpenseError::Rejected);
    }
    Ok(decision)
}
