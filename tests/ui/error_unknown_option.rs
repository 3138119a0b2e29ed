// An unknown #[stepcraft] option lists the valid ones.
#[derive(Debug, thiserror::Error, stepcraft::Error)]
enum PaymentError {
    #[error("declined")]
    #[stepcraft(rename = "CardDeclined")]
    Declined,
}

fn main() {}
