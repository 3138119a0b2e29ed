//! Load: many concurrent executions of the checkout saga (`examples/checkout`) in the local
//! executor, each parked on a callback until the test completes the callbacks in random order.
//!
//! The saga's `ChargePayment` task becomes a `lambda:invoke.waitForTaskToken` task (its payload
//! carries `$states.context.Task.Token`), as a payment gateway answering later would be; the
//! other activities run in-process. Orders come in three kinds, chosen per execution: paid
//! (the token succeeds with a receipt: `SUCCEEDED` with the confirmation), declined (the token
//! fails with `CardDeclined`: the hold is released, `FAILED` with `CardDeclined`) and empty (no
//! items: `FAILED` with `EmptyOrder` before any callback). [`checkout_saga`] checks that every
//! execution parks exactly once, that every token is answered once, and that every execution
//! ends with its kind's status, error and output: none lost, none duplicated.

use crate::fuzz::{Gen, rss_bytes};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
use stepcraft::Workflow;
use stepcraft::local::{ExecutionResult, Local, StateMachine, Status};

/// What a run held.
#[derive(Debug, Clone)]
pub struct LoadReport {
    pub executions: usize,
    pub parked: usize,
    pub succeeded: usize,
    pub declined: usize,
    pub empty: usize,
    /// Resident set before the executions started, once all were parked, and at the end.
    pub rss_before: u64,
    pub rss_parked: u64,
    pub rss_after: u64,
    /// The process's peak resident set (`VmHWM`).
    pub rss_peak: u64,
    pub elapsed: Duration,
}

impl std::fmt::Display for LoadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
        write!(
            f,
            "{} concurrent checkout executions ({} parked on a callback, completed in random order): {} succeeded, {} \
             declined, {} empty; none lost or duplicated; resident {:.1} MiB before, {:.1} MiB with all parked, \
             {:.1} MiB after, peak {:.1} MiB (goal < 200 MiB); {:.2} s",
            self.executions,
            self.parked,
            self.succeeded,
            self.declined,
            self.empty,
            mib(self.rss_before),
            mib(self.rss_parked),
            mib(self.rss_after),
            mib(self.rss_peak),
            self.elapsed.as_secs_f64()
        )
    }
}

/// The process's peak resident set, in bytes (`VmHWM` of `/proc/self/status`).
pub fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0)
        * 1024
}

/// The checkout state machine with `ChargePayment` waiting for a task token.
pub fn checkout_with_callback() -> StateMachine {
    let mut text = <checkout::checkout as Workflow>::definition_json();
    for (placeholder, name) in [
        ("ReserveInventory", "reserve_inventory"),
        ("ChargePayment", "charge_payment"),
        ("ReleaseInventory", "release_inventory"),
        ("PackItem", "pack_item"),
        ("ShipOrder", "ship_order"),
        ("SendReceipt", "send_receipt"),
    ] {
        text = text.replace(&format!("\"${{{placeholder}}}\""), &format!("\"{name}\""));
    }
    let mut definition: Value = serde_json::from_str(&text).expect("the checkout definition is JSON");
    let charge = &mut definition["States"]["ChargePayment"];
    assert_eq!(charge["Resource"], "arn:aws:states:::lambda:invoke", "the saga charges with a Lambda task");
    charge["Resource"] = json!("arn:aws:states:::lambda:invoke.waitForTaskToken");
    charge["Arguments"]["Payload"]["token"] = json!("{% $states.context.Task.Token %}");
    StateMachine::from_json(&definition).expect("the modified checkout definition is valid").named("Checkout")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Paid,
    Declined,
    Empty,
}

fn order(i: usize, kind: Kind, express: bool) -> Value {
    let items = if kind == Kind::Empty {
        json!([])
    } else {
        json!([{"sku": "a", "quantity": 1 + i % 3}, {"sku": "b", "quantity": 2}])
    };
    let card = if kind == Kind::Declined { "4000000000000002" } else { "4242424242424242" };
    json!({"orderId": format!("o-{i}"), "customerEmail": format!("c{i}@example.com"), "items": items,
           "totalCents": 100 + i, "card": card, "express": express})
}

type Running = Pin<Box<dyn Future<Output = ExecutionResult> + Send>>;

/// Polls every running execution once, handing each that ends to `end` (and dropping it).
fn poll_all(running: &mut [Option<Running>], end: &mut impl FnMut(usize, ExecutionResult)) {
    let mut cx = Context::from_waker(Waker::noop());
    for (i, slot) in running.iter_mut().enumerate() {
        if let Some(future) = slot
            && let Poll::Ready(result) = future.as_mut().poll(&mut cx)
        {
            *slot = None;
            end(i, result);
        }
    }
}

/// Runs `n` concurrent executions of the saga (kinds and completion order from `seed`) and
/// checks each one's end. Panics, saying which, on an execution lost, duplicated or wrong.
pub fn checkout_saga(n: usize, seed: u64) -> LoadReport {
    let started = Instant::now();
    let rss_before = rss_bytes();
    let mut g = Gen::from_seed(seed);
    let local = Local::new()
        .host(checkout::reserve_inventory {})
        .host(checkout::release_inventory {})
        .host(checkout::pack_item {})
        .host(checkout::ship_order {})
        .host(checkout::send_receipt {});
    // The gateway's Lambda takes the token and answers later; its own answer is ignored.
    let executor =
        local.executor().expect("the executor").hold_time_for_callbacks(true).record_payloads(false).handler(
            |_request: stepcraft::local::TaskRequest| async { Ok::<_, stepcraft::local::TaskFailure>(json!({})) },
        );
    let machine = checkout_with_callback();
    let kinds: Vec<(Kind, bool)> = (0..n)
        .map(|_| {
            let kind = match g.below(10) {
                0 => Kind::Empty,
                1..=3 => Kind::Declined,
                _ => Kind::Paid,
            };
            (kind, g.chance(1, 2))
        })
        .collect();
    let mut running: Vec<Option<Running>> = kinds
        .iter()
        .enumerate()
        .map(|(i, (kind, express))| {
            let execution = executor.start_named(&machine, order(i, *kind, *express), &format!("order-{i}"));
            Some(Box::pin(execution) as Running)
        })
        .collect();
    // Each execution is checked as it ends, and dropped: memory is the running ones'.
    let mut ended = vec![false; n];
    let (mut succeeded, mut declined, mut empty) = (0, 0, 0);
    let mut end = |i: usize, result: ExecutionResult| {
        assert!(!std::mem::replace(&mut ended[i], true), "order-{i} ended twice");
        check_end(i, kinds[i], &result);
        match kinds[i].0 {
            Kind::Paid => succeeded += 1,
            Kind::Declined => declined += 1,
            Kind::Empty => empty += 1,
        }
    };
    poll_all(&mut running, &mut end);
    let pending = executor.callbacks().pending();
    let rss_parked = rss_bytes();
    // Every non-empty order waits, once, at ChargePayment; the empty ones have ended.
    let mut parked: HashMap<usize, String> = HashMap::new();
    let mut tokens = HashSet::new();
    for callback in &pending {
        assert_eq!(&*callback.state_name, "ChargePayment", "{callback:?}");
        let i: usize = callback.execution_name.strip_prefix("order-").and_then(|s| s.parse().ok()).expect("an order");
        assert!(tokens.insert(callback.token.clone()), "token {} handed out twice", callback.token);
        assert!(parked.insert(i, callback.token.clone()).is_none(), "order-{i} parked twice");
        assert_eq!(callback.payload["token"], json!(callback.token), "the gateway receives the token");
    }
    for (i, (kind, _)) in kinds.iter().enumerate() {
        match kind {
            Kind::Empty => assert!(running[i].is_none() && !parked.contains_key(&i), "order-{i} (empty) ends at once"),
            _ => assert!(running[i].is_some() && parked.contains_key(&i), "order-{i} waits for its callback"),
        }
    }
    let parked_count = parked.len();
    // Completed in random order (Fisher-Yates on the seed's generator).
    let mut order_of: Vec<usize> = parked.keys().copied().collect();
    order_of.sort_unstable();
    for k in (1..order_of.len()).rev() {
        let j = g.below(k + 1);
        order_of.swap(k, j);
    }
    for (step, i) in order_of.iter().enumerate() {
        let token = &parked[i];
        let answer = match kinds[*i].0 {
            Kind::Declined => executor.send_task_failure(token, "CardDeclined", "card declined: insufficient funds"),
            _ => executor.send_task_success(
                token,
                json!({"Payload": {"receiptId": format!("rcpt-o-{i}"), "chargedCents": 100 + i}}),
            ),
        };
        answer.unwrap_or_else(|e| panic!("the token of order-{i} is live: {e}"));
        // A second answer to the same token is refused (no execution resumes twice).
        assert!(executor.send_task_success(token, json!({})).is_err(), "order-{i}'s token answered twice");
        if step % 1000 == 999 {
            poll_all(&mut running, &mut end);
        }
    }
    let mut rounds = 0;
    while running.iter().any(Option::is_some) {
        poll_all(&mut running, &mut end);
        rounds += 1;
        assert!(rounds < 1000, "{} executions never end", running.iter().filter(|r| r.is_some()).count());
    }
    assert!(executor.callbacks().pending().is_empty(), "no callback is left waiting");
    assert!(ended.iter().all(|e| *e), "every execution ended");
    let rss_after = rss_bytes();
    LoadReport {
        executions: n,
        parked: parked_count,
        succeeded,
        declined,
        empty,
        rss_before,
        rss_parked,
        rss_after,
        rss_peak: peak_rss_bytes(),
        elapsed: started.elapsed(),
    }
}

/// Checks how execution `i` of `kind` ended.
fn check_end(i: usize, (kind, express): (Kind, bool), result: &ExecutionResult) {
    assert_eq!(result.execution_name, format!("order-{i}"));
    match kind {
        Kind::Paid => {
            assert_eq!(result.status, Status::Succeeded, "order-{i}: {:?} {:?}", result.error, result.cause);
            let carrier = if express { "AirFast" } else { "GroundCo" };
            let expected = json!({"orderId": format!("o-{i}"), "trackingNumber": format!("{carrier}-o-{i}-2"),
                                  "receiptId": format!("rcpt-o-{i}"), "parcels": 2});
            assert_eq!(result.output, Some(expected), "order-{i}");
        }
        Kind::Declined => {
            assert_eq!(result.status, Status::Failed, "order-{i}");
            assert_eq!(result.error.as_deref(), Some("CardDeclined"), "order-{i}");
            assert!(result.states_entered().contains(&"ReleaseInventory"), "order-{i} releases its hold");
        }
        Kind::Empty => {
            assert_eq!(result.status, Status::Failed, "order-{i}");
            assert_eq!(result.error.as_deref(), Some("EmptyOrder"), "order-{i}");
        }
    }
}
