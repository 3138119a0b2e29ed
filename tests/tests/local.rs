//! `stepcraft::local`: the golden workflows' state machines (the ASL that ships, not the Rust
//! body) run in-process, in virtual time, with their real activities.

#[allow(dead_code, reason = "the golden module also serves the golden test")]
#[path = "../golden/mod.rs"]
mod golden;

use golden::common::{self, Customer, Item, Order, Tier};
use golden::{callback, catch, choice, map, parallel, returns, sequential, wait};
use serde_json::json;
use stepcraft::local::{Local, Mock, Status};

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

fn shop() -> Local {
    Local::new()
        .host(common::reserve {})
        .host(common::charge {})
        .host(common::release {})
        .host(common::notify {})
        .host(common::pack {})
        .host(common::review {})
}

#[tokio::test]
async fn the_state_machine_returns_what_the_native_run_returns() {
    let input = order(2, 4200);
    let local = shop().run::<sequential::sequential>(&input).await;
    assert_eq!(local.status, Status::Succeeded, "{}", local.trace());
    let native = sequential::sequential(input).await.unwrap();
    assert_eq!(local.output, Some(serde_json::to_value(native).unwrap()));
    // The first is the input check every state machine starts with.
    assert_eq!(local.states_entered(), ["Check input", "Reserve", "Charge", "Notify", "Succeed"]);
}

#[tokio::test]
async fn every_choice_branch_agrees_with_native() {
    for (items, total, country, tier) in [
        (0, 500, "AT", json!("gold")),
        (2, 200_000, "US", json!("silver")),
        (5, 900, "FR", json!({"custom": {"discount_pct": 7}})),
        (1, 10, "DE", json!("standard")),
    ] {
        let mut input = order(items, total);
        input.country = country.into();
        input.customer.tier = serde_json::from_value(tier).unwrap();
        let local = shop().run::<choice::choice>(&input).await;
        let native = choice::choice(input).await.unwrap();
        assert_eq!(local.output, Some(serde_json::to_value(native).unwrap()), "{}", local.trace());
    }
}

#[tokio::test]
async fn retries_back_off_in_virtual_time_and_catches_compensate() {
    // 5 cents: GatewayDown on every attempt, retried twice... then caught by `Err(error)`.
    let run = shop().run::<catch::catch>(&order(1, 5)).await;
    assert_eq!(run.status, Status::Failed);
    assert_eq!(run.error.as_deref(), Some("GatewayDown"));
    assert!(run.states_entered().contains(&"Release 3"), "{}", run.trace());
    // IntervalSeconds 2, BackoffRate 2, MaxAttempts 3: 2 + 4 + 8 seconds of virtual waiting.
    assert!(run.duration().as_secs() >= 14, "{:?}", run.duration());
    let fraud = shop().run::<catch::catch>(&order(1, 13)).await;
    assert_eq!(fraud.error.as_deref(), Some("Rejected"));
}

#[tokio::test]
async fn a_mocked_failure_once_then_the_real_activity() {
    let run = shop()
        .mock_state(
            "Charge",
            Mock::fails("GatewayDown", "flaky").then_returns(json!({"receiptId": "r-x", "amountCents": 1})),
        )
        .run::<catch::catch>(&order(1, 4200))
        .await;
    assert_eq!(run.status, Status::Succeeded, "{}", run.trace());
    assert_eq!(run.output, Some(json!({"receiptId": "r-x", "amountCents": 1})));
}

#[tokio::test]
async fn maps_and_parallels_run_the_hosted_activities() {
    let map_run = shop().run::<map::map>(&order(3, 900)).await;
    assert_eq!(map_run.output, Some(json!([300, 300, 300])), "{}", map_run.trace());
    let parallel_run = shop().run::<parallel::parallel>(&order(1, 4200)).await;
    let native = parallel::parallel(order(1, 4200)).await.unwrap();
    assert_eq!(parallel_run.output, Some(serde_json::to_value(native).unwrap()), "{}", parallel_run.trace());
}

#[tokio::test]
async fn a_day_of_waiting_takes_no_time() {
    let started = std::time::Instant::now();
    // Executions start at 2024-01-01T00:00:00Z in virtual time.
    let schedule = wait::Schedule { delay_minutes: 1440, not_before: "2024-01-03T00:00:00Z".into() };
    let run = Local::new().run::<wait::wait>(&schedule).await;
    assert_eq!(run.status, Status::Succeeded, "{}", run.trace());
    assert_eq!(run.duration().as_secs(), 2 * 86_400);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[tokio::test]
async fn fail_states_raise_the_variant_name() {
    let run = shop().run::<returns::returns>(&order(0, 1)).await;
    assert_eq!(run.error.as_deref(), Some("Rejected"));
}

#[tokio::test]
async fn callbacks_complete_with_the_token_the_activity_handed_out() {
    let local = Local::new().host(callback::ask_manager {});
    let small = local.run::<callback::approval>(&callback::Expense { employee: "ada".into(), amount_cents: 900 }).await;
    assert_eq!(small.status, Status::Succeeded, "{}", small.trace());
    assert_eq!(small.output, Some(json!({"approved": true, "approver": "auto"})));
    // Nobody approves a large expense, nor sends heartbeats: the task fails after its 1 day
    // heartbeat, virtually.
    let large =
        local.run::<callback::approval>(&callback::Expense { employee: "ada".into(), amount_cents: 90_000 }).await;
    assert_eq!(large.error.as_deref(), Some("States.HeartbeatTimeout"), "{}", large.trace());
    assert_eq!(large.duration().as_secs(), 86_400);
}

/// `checkout run`: the crate's own binary runs its workflow locally, prints the trace and the
/// output, takes a Step Functions Local mock configuration, and exits non-zero on failure. The
/// inputs and the mock configuration are the samples the README points at.
#[test]
fn the_binary_runs_its_workflow_locally_with_a_mock_configuration() {
    let binary = stepcraft_tests::function::workspace_binary("checkout", "checkout");
    let sample = |name: &str| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/checkout").join(name);
        path.to_str().expect("a UTF-8 path").to_owned()
    };
    let (order, declined, mocks) =
        (format!("@{}", sample("order.json")), format!("@{}", sample("declined.json")), sample("mocks.json"));
    let run = |args: &[&str]| std::process::Command::new(&binary).args(args).output().expect("checkout runs");
    let report = |args: &[&str]| -> serde_json::Value {
        let output = run(args);
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("not one JSON object ({e}): {output:?}"))
    };

    let happy = run(&["run", "checkout", "--input", &order]);
    let stdout = String::from_utf8_lossy(&happy.stdout);
    assert!(happy.status.success(), "{stdout}");
    assert!(
        stdout.contains("Wait 1h") && stdout.contains("SUCCEEDED") && stdout.contains("\"parcels\": 2"),
        "{stdout}"
    );

    let failed = run(&["run", "checkout", "--input", &declined, "--json"]);
    assert_eq!(failed.status.code(), Some(1));
    let failed: serde_json::Value = serde_json::from_slice(&failed.stdout).expect("one JSON object");
    assert_eq!((&failed["status"], &failed["error"]), (&json!("FAILED"), &json!("CardDeclined")));
    let entered = |report: &serde_json::Value, state: &str| {
        report["history"].as_array().unwrap().iter().any(|e| e["stateEnteredEventDetails"]["name"] == state)
    };
    assert!(entered(&failed, "ReleaseInventory"), "the reservation is released: {failed}");

    let flaky = report(&[
        "run",
        "checkout",
        "--input",
        &order,
        "--mock-config",
        &mocks,
        "--test-case",
        "FlakyGateway",
        "--json",
    ]);
    assert_eq!((&flaky["status"], &flaky["output"]["receiptId"]), (&json!("SUCCEEDED"), &json!("rcpt-mocked")));
    let failures = flaky["history"].as_array().unwrap().iter().filter(|e| e["type"] == "TaskFailed").count();
    assert_eq!(failures, 1, "the first attempt failed, the retry succeeded");

    let out_of_stock =
        report(&["run", "checkout", "--input", &order, "--mock-config", &mocks, "--test-case", "OutOfStock", "--json"]);
    assert_eq!((&out_of_stock["status"], &out_of_stock["error"]), (&json!("FAILED"), &json!("OutOfStock")));
    assert!(!entered(&out_of_stock, "ChargePayment"), "nothing is charged: {out_of_stock}");
}

#[tokio::test]
async fn join_results_are_handled_as_the_native_run_handles_them() {
    use golden::join::join;
    let mut big = order(1, 4200);
    big.items[0].quantity = 500;
    for input in [order(1, 4200), order(1, 13), order(1, 0), big] {
        let local = shop().run::<join>(&input).await;
        match join(input).await {
            Ok(value) => assert_eq!(local.output, Some(serde_json::to_value(value).unwrap()), "{}", local.trace()),
            Err(error) => {
                use stepcraft::Error;
                assert_eq!(local.error.as_deref(), Some(error.name()), "{}", local.trace());
            }
        }
    }
}
