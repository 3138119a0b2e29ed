// A function's memory is a whole number of megabytes.
use stepcraft::activity;

#[derive(Debug, thiserror::Error, stepcraft::Error)]
enum AppError {
    #[error("not found")]
    NotFound,
}

#[activity(memory = "1GB")]
async fn charge(amount: u64) -> Result<u64, AppError> {
    Ok(amount)
}

fn main() {}
