//! The golden workflows run natively: the same functions the state machines were compiled from,
//! called as Rust, with virtual time (`start_paused`) so waits and callback timeouts take no time.

#[allow(dead_code, reason = "the golden module also serves the golden test")]
#[path = "../golden/mod.rs"]
mod golden;

use golden::common::{Customer, Item, Order, Tier};
use stepcraft::{Error, Workflow};

fn order(items: usize, total_cents: u64) -> Order {
    Order {
        order_id: "o-1".into(),
        customer: Customer { email_address: "ada@example.com".into(), tier: Tier::Custom { discount_pct: 5 } },
        items: (0..items).map(|i| Item { sku: format!("sku-{i}"), quantity: 2, price_cents: 150 }).collect(),
        total_cents,
        coupon: Some("WELCOME".into()),
        express: false,
        country: "AT".into(),
    }
}

#[tokio::test(start_paused = true)]
async fn sequential_calls_activities_in_order() {
    let sent = <golden::sequential::sequential as Workflow>::run(order(1, 4200)).await.unwrap();
    assert_eq!(sent.text, "order o-1 is paid (4200 cents), hold hold-o-1");
}

#[tokio::test(start_paused = true)]
async fn choice_takes_the_branches_its_conditions_select() {
    let sent = golden::choice::choice(order(2, 500)).await.unwrap();
    assert_eq!(sent.text, "enjoy 5% off: domestic, small");
}

#[tokio::test(start_paused = true)]
async fn catch_arms_compensate_and_name_the_error() {
    let fraud = golden::catch::catch(order(1, 13)).await.unwrap_err();
    assert_eq!(fraud.name(), "Rejected");
    let declined = golden::catch::catch(order(1, 0)).await.unwrap_err();
    assert_eq!(declined.name(), "TooLarge");
    let gateway = golden::catch::catch(order(1, 5)).await.unwrap_err();
    assert_eq!(gateway.name(), "GatewayDown", "a caught error raised again keeps its name");
}

#[tokio::test(start_paused = true)]
async fn map_collects_in_order() {
    let totals = golden::map::map(order(3, 900)).await.unwrap();
    assert_eq!(totals, [300, 300, 300]);
}

#[tokio::test(start_paused = true)]
async fn parallel_binds_results_by_position() {
    let messages = golden::parallel::parallel(order(1, 4200)).await.unwrap();
    assert_eq!(messages[0].text, "r-o-1");
    assert_eq!(messages[1].text, "hold-o-1 r-o-1");
}

#[tokio::test(start_paused = true)]
async fn waits_take_no_real_time() {
    let started = std::time::Instant::now();
    let schedule = golden::wait::Schedule { delay_minutes: 90, not_before: "1970-01-01T00:00:00Z".into() };
    assert_eq!(golden::wait::wait(schedule).await.unwrap(), 90);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn a_callback_returns_what_completes_its_token() {
    use golden::callback::{Expense, approval};
    let small = approval(Expense { employee: "ada".into(), amount_cents: 900 }).await.unwrap();
    assert!(small.approved);
    assert_eq!(small.approver, "auto");
    // Nobody completes a large expense's token nor sends heartbeats: the task fails after the
    // activity's 1 day heartbeat, as the state machine does.
    let large = approval(Expense { employee: "ada".into(), amount_cents: 90_000 }).await.unwrap_err();
    assert_eq!(large.name(), "States.HeartbeatTimeout");
    let refused = approval(Expense { employee: String::new(), amount_cents: 1 }).await.unwrap_err();
    assert_eq!(refused.name(), "Refused");
}

#[tokio::test(start_paused = true)]
async fn returns_end_with_the_value_or_the_variant() {
    use golden::common::Outcome;
    let empty = golden::returns::returns(order(0, 1)).await.unwrap_err();
    assert_eq!(empty.name(), "Rejected");
    let mut express = order(1, 1);
    express.express = true;
    assert!(matches!(golden::returns::returns(express).await.unwrap(), Outcome::Held));
}

#[tokio::test(start_paused = true)]
async fn join_keeps_each_result_for_the_workflow_to_handle() {
    let ok = golden::join::join(order(1, 4200)).await.unwrap();
    assert_eq!(ok.text, "hold-o-1 r-o-1 processing");
    assert_eq!(golden::join::join(order(1, 13)).await.unwrap_err().name(), "TooLarge");
    assert_eq!(golden::join::join(order(1, 0)).await.unwrap_err().name(), "CardDeclined");
    let mut big = order(1, 4200);
    big.items[0].quantity = 500;
    assert_eq!(golden::join::join(big).await.unwrap_err().name(), "OutOfStock");
}

/// A Task's timeout natively: an activity error type with a transparent `CallbackError`
/// variant holds `States.Timeout`, so the catch-all arm runs as the Catch on `States.ALL` does;
/// raised again, it is `Stepcraft.Timeout`, as the Fail state raises it.
#[tokio::test(start_paused = true)]
async fn a_timed_out_activity_is_caught_where_its_error_type_can_hold_the_timeout() {
    use golden::semantics::{QuoteRequest, requote};
    let request = |delay_s, strict| QuoteRequest { sku: "A-1".into(), delay_s, strict };
    assert_eq!(requote(request(0, false)).await.unwrap().by, "supplier");
    assert_eq!(requote(request(5, false)).await.unwrap().by, "list");
    let raised = stepcraft::workflow::run_native::<requote>(request(5, true)).await.unwrap_err();
    assert_eq!((raised.error.as_str(), raised.cause.as_deref()), ("Stepcraft.Timeout", Some("")));
}

mod no_room_for_a_timeout {
    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};
    use stepcraft::{Data, activity, workflow};

    #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
    pub struct Lookup {
        pub delay_s: u64,
    }

    #[derive(Debug, thiserror::Error, stepcraft::Error)]
    pub enum LookupError {
        #[error("not found")]
        NotFound,
    }

    #[activity(timeout = "1s")]
    pub async fn slow_lookup(lookup: Lookup) -> Result<u64, LookupError> {
        stepcraft::tokio::time::sleep(std::time::Duration::from_secs(lookup.delay_s)).await;
        if lookup.delay_s == 404 {
            return Err(LookupError::NotFound);
        }
        Ok(lookup.delay_s)
    }

    /// The catch-all arm, which the state machine runs on a timeout, cannot run natively.
    #[workflow]
    pub async fn caught(lookup: Lookup) -> Result<u64, LookupError> {
        let found = match slow_lookup(lookup).await {
            Ok(found) => found,
            Err(_) => 0,
        };
        Ok(found)
    }

    /// Nothing catches the timeout: the execution fails with it.
    #[workflow]
    pub async fn uncaught(lookup: Lookup) -> Result<u64, LookupError> {
        let found = slow_lookup(lookup).await?;
        Ok(found)
    }
}

#[tokio::test(start_paused = true)]
async fn an_uncaught_timeout_ends_a_native_run_as_the_execution_ends() {
    use no_room_for_a_timeout::{Lookup, uncaught};
    let failed = stepcraft::workflow::run_native::<uncaught>(Lookup { delay_s: 5 }).await.unwrap_err();
    assert_eq!((failed.error.as_str(), failed.cause), ("States.Timeout", None));
    assert_eq!(stepcraft::workflow::run_native::<uncaught>(Lookup { delay_s: 0 }).await.unwrap(), 0);
}

#[tokio::test(start_paused = true)]
#[should_panic(expected = "the `Err` arm (or `join!` branch) whose Catch takes it on AWS cannot run natively")]
async fn a_timeout_a_catch_all_arm_would_take_panics_where_the_error_type_cannot_hold_it() {
    use no_room_for_a_timeout::{Lookup, caught};
    let _ = stepcraft::workflow::run_native::<caught>(Lookup { delay_s: 5 }).await;
}

// Step Functions' StartExecution: "input ... Length Constraints: Maximum length of 262144"
// (bytes of UTF-8). A native run of an input the state machine could never be started with
// runs nothing and fails as the API refuses it; so does a local run.
#[tokio::test(start_paused = true)]
async fn an_input_start_execution_would_refuse_runs_neither_natively_nor_locally() {
    use golden::sequential::sequential;
    let mut big = order(1, 4200);
    big.order_id = "o".repeat(262_144);
    let failed = stepcraft::workflow::run_native::<sequential>(big.clone()).await.unwrap_err();
    assert_eq!(failed.error, "ValidationException");
    assert!(failed.cause.as_deref().unwrap().contains("less than or equal to 262144"), "{failed:?}");
    let local = stepcraft::local::Local::new().host(golden::sequential::sequential {});
    let refused = local.run_json("sequential", serde_json::to_value(&big).unwrap()).await.unwrap_err();
    assert!(refused.starts_with("StartExecution refuses the input of `sequential`: ValidationException"), "{refused}");
    // At the limit, both run.
    let mut fits = order(1, 4200);
    let size = serde_json::to_vec(&fits).unwrap().len();
    fits.order_id.push_str(&"o".repeat(262_144 - size));
    assert!(stepcraft::workflow::run_native::<sequential>(fits.clone()).await.is_ok());
    assert!(local.run_json("sequential", serde_json::to_value(&fits).unwrap()).await.is_ok());
}
