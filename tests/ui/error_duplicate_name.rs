// Two variants cannot share an error name.
#[derive(Debug, thiserror::Error, stepcraft::Error)]
enum PaymentError {
    #[error("declined")]
    Declined,
    #[error("declined again")]
    #[stepcraft(name = "Declined")]
    DeclinedAgain,
}

fn main() {}
