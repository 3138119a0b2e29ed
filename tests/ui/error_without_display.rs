// stepcraft errors need Display for the message Lambda reports.
#[derive(Debug, stepcraft::Error)]
enum PaymentError {
    Declined,
}

fn main() {}
