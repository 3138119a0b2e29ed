//! What a body means natively and as a state machine alike: a caught `States.Timeout` raised
//! again (`reraise`), an activity's Retry applied natively too (`rebook`), and an activity's
//! timeout caught by a catch-all arm natively as on AWS (`requote`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepcraft::{Data, TaskToken, activity, callback, workflow};

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
#[serde(rename_all = "camelCase")]
pub struct Claim {
    pub claim_id: String,
    pub amount_cents: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
pub struct Verdict {
    pub paid: bool,
    pub by: String,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
pub enum AdjusterError {
    #[error("no adjuster is on duty")]
    OffDuty,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
pub enum ClaimError {
    #[error(transparent)]
    #[stepcraft(transparent)]
    Callback(#[from] stepcraft::CallbackError),
}

/// Asks an adjuster, who never answers: the callback times out after 2 s.
#[activity(callback = Verdict, timeout = "2s")]
pub async fn ask_adjuster(claim: Claim, token: TaskToken) -> Result<(), AdjusterError> {
    let _ = token;
    if claim.claim_id.is_empty() {
        return Err(AdjusterError::OffDuty);
    }
    Ok(())
}

/// A big claim whose adjuster does not answer fails with the timeout raised again; a small one
/// is paid automatically.
#[workflow]
pub async fn reraise(claim: Claim) -> Result<Verdict, ClaimError> {
    let verdict = match callback(ask_adjuster, claim.clone()).await {
        Ok(verdict) => verdict,
        Err(error) => {
            if claim.amount_cents > 100_000 {
                return Err(error.into());
            }
            Verdict { paid: true, by: "auto".to_string() }
        }
    };
    Ok(verdict)
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
#[serde(rename_all = "camelCase")]
pub struct Trip {
    /// Names this case's attempt counter.
    pub key: String,
    /// How many attempts fail with `Busy` before one gets through.
    pub busy_times: u32,
    pub rooms: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
pub struct Booking {
    pub room: u32,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
pub enum BookingError {
    #[error("the hotel is busy")]
    Busy,
    #[error("no rooms left for trip {0}")]
    NoRooms(String),
}

/// Fails with `Busy` on the first `busy_times` attempts of a run. The count is kept in a file
/// per trip key and per run: a native run calls it in its own process, the interpreter starts
/// a process per attempt, the local executor calls it in the test's process; each counts under
/// its parent process (`invoke` under the test, `invoke` under the interpreter, the test under
/// cargo) and starts over once an attempt gets through.
#[activity(retry(errors = [Busy], interval = "1s", max_attempts = 2))]
pub async fn book_room(trip: Trip) -> Result<Booking, BookingError> {
    let dir = std::env::temp_dir().join("stepcraft-golden-book-room");
    let _ = std::fs::create_dir_all(&dir);
    let counter = dir.join(format!("{}-{}", trip.key, std::os::unix::process::parent_id()));
    let failed: u32 = std::fs::read_to_string(&counter).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0);
    if failed < trip.busy_times {
        let _ = std::fs::write(&counter, (failed + 1).to_string());
        return Err(BookingError::Busy);
    }
    let _ = std::fs::remove_file(&counter);
    if trip.rooms == 0 {
        return Err(BookingError::NoRooms(trip.key));
    }
    Ok(Booking { room: 100 + trip.rooms })
}

#[workflow]
pub async fn rebook(trip: Trip) -> Result<Booking, BookingError> {
    let booking = book_room(trip).await?;
    Ok(booking)
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
pub enum DeskError {
    #[error("the desk is busy")]
    Busy,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
pub enum RecheckError {
    #[error(transparent)]
    #[stepcraft(transparent)]
    Callback(#[from] stepcraft::CallbackError),
}

/// Hands the token to a desk that is `Busy` on the first `busy_times` attempts of a run (counted
/// as `book_room` counts), then answers at once: a verdict paid by the desk.
#[activity(callback = Verdict, timeout = "1h")]
pub async fn ask_desk(trip: Trip, token: TaskToken) -> Result<(), DeskError> {
    let dir = std::env::temp_dir().join("stepcraft-golden-ask-desk");
    let _ = std::fs::create_dir_all(&dir);
    let counter = dir.join(format!("{}-{}", trip.key, std::os::unix::process::parent_id()));
    let failed: u32 = std::fs::read_to_string(&counter).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0);
    if failed < trip.busy_times {
        let _ = std::fs::write(&counter, (failed + 1).to_string());
        return Err(DeskError::Busy);
    }
    let _ = std::fs::remove_file(&counter);
    stepcraft::callback::succeed(&token, &Verdict { paid: true, by: "desk".into() });
    Ok(())
}

/// The callback's Retry comes from the statement's `#[task(..)]` (an error name: the Task's
/// errors are the callback's, `CallbackError`, which has no variants): natively too.
#[workflow]
pub async fn recheck(trip: Trip) -> Result<Verdict, RecheckError> {
    #[task(retry(errors = ["Busy"], interval = "1s", max_attempts = 2))]
    let verdict = callback(ask_desk, trip).await?;
    Ok(verdict)
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
#[serde(rename_all = "camelCase")]
pub struct QuoteRequest {
    pub sku: String,
    /// How long the supplier takes to answer, in seconds.
    pub delay_s: u64,
    /// Whether a missing quote fails the run rather than falling back.
    pub strict: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
pub struct Quote {
    pub cents: u64,
    pub by: String,
}

/// The supplier's errors, and room for a failure only Step Functions names (its Task's
/// `States.Timeout`): so a catch-all `Err` arm runs natively on a timeout, as its Catch does.
#[derive(Debug, thiserror::Error, stepcraft::Error)]
pub enum QuoteError {
    #[error("no quote for {0}")]
    NoQuote(String),
    #[error(transparent)]
    #[stepcraft(transparent)]
    Failed(#[from] stepcraft::CallbackError),
}

/// Answers after `delay_s` seconds: past its Task's 1 s timeout when above 1.
#[activity(timeout = "1s")]
pub async fn ask_supplier(request: QuoteRequest) -> Result<Quote, QuoteError> {
    stepcraft::tokio::time::sleep(std::time::Duration::from_secs(request.delay_s)).await;
    if request.sku.is_empty() {
        return Err(QuoteError::NoQuote(request.sku));
    }
    Ok(Quote { cents: 1200, by: "supplier".to_string() })
}

/// A late supplier's timeout is caught: a strict request raises it again (`Stepcraft.Timeout`),
/// another falls back to a list price.
#[workflow]
pub async fn requote(request: QuoteRequest) -> Result<Quote, QuoteError> {
    let quote = match ask_supplier(request.clone()).await {
        Ok(quote) => quote,
        Err(error) => {
            if request.strict {
                return Err(error.into());
            }
            Quote { cents: 1500, by: "list".to_string() }
        }
    };
    Ok(quote)
}
