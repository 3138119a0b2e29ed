// Error names starting with States. are Step Functions' own.
#[derive(Debug, thiserror::Error, stepcraft::Error)]
enum PaymentError {
    #[error("timeout")]
    #[stepcraft(name = "States.Timeout")]
    Timeout,
}

fn main() {}
