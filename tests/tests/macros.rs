//! What `#[activity]` and `#[derive(stepcraft::Error)]` generate, observed through the traits
//! the runtime and the workflow compiler read.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepcraft::asl::{Jitter, Retrier};
use stepcraft::{Activity, ActivityConfig, Error, activity};

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct Order {
    order_id: String,
    total_cents: u64,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
struct Receipt {
    charged: u64,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
enum PaymentError {
    #[error("declined: {reason}")]
    #[stepcraft(name = "CardDeclined", status = 402)]
    Declined { reason: String },
    #[error("gateway down")]
    GatewayDown,
    #[error("fraud suspected ({0})")]
    #[stepcraft(status = 403)]
    Fraud(u8),
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
#[error("the order is not found")]
#[stepcraft(name = "OrderNotFound", status = 404)]
struct NotFound;

#[activity(
    retry(errors = [GatewayDown, "Lambda.ServiceException"], interval = "2s", max_attempts = 4, backoff_rate = 1.5, max_delay = "1m", jitter = "full"),
    retry(errors = [Declined], max_attempts = 0),
    retry(errors = ["States.ALL"], jitter = "none"),
    timeout = "5m",
    heartbeat = "1m"
)]
async fn charge(order: Order) -> Result<Receipt, PaymentError> {
    match order.total_cents {
        0 => Err(PaymentError::Declined { reason: "zero".into() }),
        1 => Err(PaymentError::GatewayDown),
        cents => Ok(Receipt { charged: cents }),
    }
}

#[activity(name = "lookup-order")]
async fn lookup(order_id: String) -> Result<Order, NotFound> {
    Err(NotFound).or(Ok(Order { order_id, total_cents: 0 }))
}

mod sdk {
    pub use stepcraft;
}

#[activity(crate = "crate::sdk::stepcraft")]
pub(crate) async fn through_a_reexport(n: u32) -> Result<u32, std::convert::Infallible> {
    Ok(n + 1)
}

#[test]
fn the_attribute_becomes_the_activity_s_task_defaults() {
    let mut first = Retrier::new(vec!["GatewayDown".into(), "Lambda.ServiceException".into()]);
    first.interval_seconds = Some(2);
    first.max_attempts = Some(4);
    first.backoff_rate = Some(1.5);
    first.max_delay_seconds = Some(60);
    first.jitter_strategy = Some(Jitter::Full);
    let mut second = Retrier::new(vec!["CardDeclined".into()]);
    second.max_attempts = Some(0);
    let mut third = Retrier::new(vec!["States.ALL".into()]);
    third.jitter_strategy = Some(Jitter::None);
    assert_eq!(
        <charge as Activity>::config(),
        ActivityConfig { timeout_seconds: Some(300), heartbeat_seconds: Some(60), retry: vec![first, second, third] }
    );
    assert_eq!(<lookup as Activity>::config(), ActivityConfig::default());
}

#[test]
fn names_come_from_the_identifier_or_the_attribute() {
    assert_eq!(<charge as Activity>::NAME, "charge");
    assert_eq!(<lookup as Activity>::NAME, "lookup-order");
    assert_eq!(<through_a_reexport as Activity>::NAME, "through_a_reexport");
}

#[tokio::test]
async fn the_function_stays_callable_and_the_activity_runs_it() {
    let receipt = charge(Order { order_id: "o".into(), total_cents: 12 }).await.unwrap();
    assert_eq!(receipt.charged, 12);
    let error = <charge as Activity>::run(Order { order_id: "o".into(), total_cents: 1 }).await.unwrap_err();
    assert_eq!(error.name(), "GatewayDown");
    assert_eq!(<through_a_reexport as Activity>::run(41).await.unwrap(), 42);
}

#[test]
fn schemas_follow_serde_renames() {
    let schema = serde_json::to_value(<charge as Activity>::input_schema()).unwrap();
    let properties = schema["properties"].as_object().unwrap();
    assert!(properties.contains_key("orderId") && properties.contains_key("totalCents"), "{schema}");
    assert_eq!(schema["required"], serde_json::json!(["orderId", "totalCents"]));
    let output = serde_json::to_value(<lookup as Activity>::output_schema()).unwrap();
    assert_eq!(output["title"], "Order");
}

#[test]
fn error_names_are_stable_and_never_type_names() {
    assert_eq!(PaymentError::names(), ["CardDeclined", "GatewayDown", "Fraud"]);
    assert_eq!(PaymentError::Declined { reason: "x".into() }.name(), "CardDeclined");
    assert_eq!(PaymentError::GatewayDown.name(), "GatewayDown");
    assert_eq!(PaymentError::Fraud(9).name(), "Fraud");
    assert_eq!(PaymentError::__names_of_variant("Declined"), ["CardDeclined"]);
    assert!(PaymentError::__names_of_variant("Nope").is_empty());
    assert_eq!(NotFound::names(), ["OrderNotFound"]);
    assert_eq!(NotFound.name(), "OrderNotFound");
}

#[test]
fn http_statuses_come_from_the_attribute_and_default_to_500() {
    assert_eq!(PaymentError::Declined { reason: "x".into() }.status(), 402);
    assert_eq!(PaymentError::GatewayDown.status(), 500);
    assert_eq!(PaymentError::Fraud(1).status(), 403);
    assert_eq!(NotFound.status(), 404);
}

#[test]
fn a_function_error_reports_the_stable_name_and_the_display_message() {
    let report = stepcraft::FunctionError::from_error(&PaymentError::Declined { reason: "stolen card".into() });
    assert_eq!(report.error_type, "CardDeclined");
    assert_eq!(report.message, "declined: stolen card");
}
