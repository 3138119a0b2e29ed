//! The ASL stepcraft emits, checked by implementations we did not write (`tests/asl-tools`):
//!
//! 1. every golden definition (`tests/golden/*.asl.json`) and every workflow of
//!    `examples/checkout`, placeholders substituted as the deployment template would, passes
//!    the four public validators;
//! 2. `examples/checkout`'s state machine, run in a third-party Step Functions interpreter
//!    (moto's port of LocalStack's) with every Lambda task answered by the real Rust activity,
//!    ends as the workflow run natively (`checkout invoke checkout`) does;
//! 3. so does every golden workflow (`tests/golden/*.rs`, hosted by this package's `golden`
//!    binary: `golden invoke <Workflow>`), each on cases covering every path of its construct.
//!    A child workflow's Task is answered by a mock with the native child run's result (the
//!    interpreter cannot run the child), and a callback Task runs the real callback activity,
//!    then its token is completed by the tool as the case says.
//!
//! How results are compared (tests 2 and 3):
//! * status: SUCCEEDED ⇔ the native run returned Ok; the output must be equal JSON.
//! * error: the Step Functions error name must equal the native `errorType`.
//! * cause: Step Functions' cause of an error raised by a Lambda function is the function's
//!   error payload, the JSON text `{"errorType": …, "errorMessage": …}` (the ASL's final Fail
//!   state passes it on); a workflow's own Fail state has a plain text cause. So: a JSON cause
//!   must parse to exactly `{"errorType": <native errorType>, "errorMessage": <native
//!   errorMessage>}` (the message is the error's Display), and a plain cause must equal the
//!   native `errorMessage`.
//! * states: the top-level states entered, in order (deterministic); the Lambda functions
//!   invoked, as a multiset (Map iterations and Parallel branches run concurrently).
//! * retries and waits: from the interpreter's notes (it skips and records them); a jittered
//!   back-off must lie in `[0, cap]`, a Wait until a timestamp must ask for the seconds from
//!   the run to it (within [`TIMESTAMP_SLACK_S`]); the waits of a successful run must add up
//!   to less than its `TimeoutSeconds` and a Standard execution's year ([`execution_limit`]).
//! * a difference found and reported is marked on its case (`known_mismatch`): the comparison
//!   must still find it (and, in test 3, nothing else), so the mark goes once it is fixed.
//!
//! Tests 2 and 3 are three-way: every case also runs with stepcraft's own local executor
//! (`stepcraft::local::Local`: the same state machine, in-process, in virtual time, from the
//! current time), hosting the same activities (and the child workflow, so that
//! `startExecution.sync:2` really runs it), the case's injections turned into
//! `Local::intercept` rules ([`Injection::intercept`]: attempts 1-based there, 0-based in
//! `TaskRequest::attempt`) and its callback completions into `Intercept::After`. The local run
//! must agree
//! * with the interpreter's: status, output, error; the cause (a JSON cause as parsed JSON, a
//!   plain one as text; an injected Lambda service error carries the interpreter's own cause
//!   text, [`asl::service_error_cause`], so that is compared too); the top-level states in order;
//!   every state entered (those of Parallel branches and Map iterations included) as a
//!   multiset, and the Lambda calls as a multiset, unless the case does not check its calls
//!   (they are not deterministic when a branch fails); the retry back-offs by state, measured in virtual time
//!   in the local history (jittered ones: as many, each within its cap); the Wait states'
//!   seconds (a Wait until a timestamp: the local one must end exactly then, or at once if it
//!   is past, and wait if and only if the interpreter's does);
//! * with the native run (or the declared result) on status, output, error and cause, by the
//!   rules above.
//!
//! A disagreement of the local executor found and reported is marked on its case
//! (`local_known`), as above: every problem found must be one of the mark's, and there must be
//! one.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use stepcraft::local::{ExecutionResult, Local};
use stepcraft_tests::asl::{self, Execution, Injection, Invocation, MachineType, NativeError, Options};

#[allow(dead_code, reason = "the golden module also serves the other golden tests")]
#[path = "../golden/mod.rs"]
mod golden;

/* ------------------------------------------ VALIDATORS ------------------------------------------ */

/// A validator's rejection that has been looked at and reported.
struct KnownRejection {
    file: &'static str,
    validator: &'static str,
    /// Every message of the verdict must contain one of these (so that a new complaint in the
    /// same file is not excused).
    messages: &'static [&'static str],
    #[allow(dead_code, reason = "documentation, printed with the verdict")]
    why: &'static str,
}

/// Each must still fail (remove it once fixed); no other verdict may fail.
const KNOWN_REJECTIONS: &[KnownRejection] = &[
    // REPORTED, validator limitation: statelint 1.30.0 predates JSONata, whose Wait
    // `Seconds`/`Timestamp` may be `{% %}` expressions (AWS: "JSONata-capable" fields); its
    // j2119 rules want an integer / an ISO 8601 literal. The other three validators accept them.
    KnownRejection {
        file: "wait.asl.json",
        validator: "statelint",
        messages: &[
            "State Machine.States.Wait.Seconds is \"{% ($__r := $states.context.Execution.Input.delayMinutes * 60; ",
            "State Machine.States.Wait until.Timestamp is \"{% $states.context.Execution.Input.notBefore %}\" but should be an ISO8601 timestamp",
        ],
        why: "statelint does not know JSONata expressions in Wait Seconds/Timestamp",
    },
];

/// The known rejection `verdict` is, if it is one: same file and validator, and every
/// complaint expected (informational lines, in parentheses, aside).
fn known_rejection(verdict: &asl::Verdict) -> Option<&'static KnownRejection> {
    let file = verdict.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    KNOWN_REJECTIONS.iter().find(|k| {
        k.file == file
            && k.validator == verdict.validator
            && verdict.messages.iter().filter(|m| !m.starts_with('(')).all(|m| k.messages.iter().any(|e| m.contains(e)))
    })
}

fn golden_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .map(|e| e.expect("a golden folder entry").path())
            .filter(|p| p.to_string_lossy().ends_with(".asl.json"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => panic!("cannot read {}: {e}", dir.display()),
    };
    files.sort();
    files
}

#[test]
fn validators_accept_golden_files_and_synthesized_workflows() {
    let start = Instant::now();
    // Golden files: placeholders substituted by the template's convention (their binaries are
    // not at hand), into scratch copies.
    let golden = golden_files();
    let golden_dir = asl::scratch_dir().join("golden");
    std::fs::create_dir_all(&golden_dir).expect("create the golden scratch folder");
    let mut files = Vec::new();
    for file in &golden {
        let text = std::fs::read_to_string(file).expect("read a golden file");
        let copy = golden_dir.join(file.file_name().expect("a file name"));
        std::fs::write(&copy, asl::substitute_by_convention(&text)).expect("write a golden copy");
        files.push(copy);
    }
    let checkout = asl::deployable("checkout", "checkout");
    assert!(!checkout.definitions.is_empty(), "checkout synthesised no workflow");
    files.extend(checkout.definitions.iter().map(|d| d.path.clone()));

    let verdicts = asl::validate(&files);
    for verdict in &verdicts {
        eprintln!("{verdict}");
    }
    assert_eq!(
        verdicts.len(),
        files.len() * asl::VALIDATORS.len(),
        "one verdict per file and validator: {verdicts:#?}"
    );
    let failures: Vec<String> =
        verdicts.iter().filter(|v| !v.ok && known_rejection(v).is_none()).map(ToString::to_string).collect();
    for verdict in verdicts.iter().filter(|v| !v.ok) {
        if let Some(known) = known_rejection(verdict) {
            eprintln!("known rejection, reported: {} {}: {}", known.file, known.validator, known.why);
        }
    }
    // A known rejection whose file was validated must still be there.
    let fixed: Vec<&str> = KNOWN_REJECTIONS
        .iter()
        .filter(|k| {
            let validated = verdicts.iter().any(|v| v.file.file_name().is_some_and(|n| n == k.file));
            validated
                && !verdicts.iter().any(|v| !v.ok && known_rejection(v).is_some_and(|found| std::ptr::eq(found, *k)))
        })
        .map(|k| k.file)
        .collect();
    assert!(failures.is_empty(), "validators reject generated ASL:\n{}", failures.join("\n"));
    assert!(fixed.is_empty(), "known rejections that no longer happen (remove them from KNOWN_REJECTIONS): {fixed:?}");
    eprintln!(
        "validated {} golden + {} synthesised file(s) with {} validators in {:.1}s",
        golden.len(),
        checkout.definitions.len(),
        asl::VALIDATORS.len(),
        start.elapsed().as_secs_f64()
    );
}

/* -------------------------------------- DIFFERENTIAL: CHECKOUT ------------------------------------- */

/// What the interpreter's run must match.
enum Expected {
    /// `checkout invoke checkout` on the same input.
    Native,
    /// No native run can produce this (an injected failure of an activity that never fails
    /// natively): what the Rust workflow returns when that activity returns that error.
    Declared(Result<Value, NativeError>),
    /// No native run can produce this, nor can the Rust code see it (a Lambda service error):
    /// a failure with this error name; the cause is the interpreter's own text, not compared.
    FailsWith(&'static str),
}

struct Case {
    name: &'static str,
    input: Value,
    inject: Vec<Injection>,
    expected: Expected,
    /// The top-level states entered, in order.
    states: &'static [&'static str],
    /// The Lambda functions invoked (every attempt), in any order; `None`: not checked.
    calls: Option<&'static [&'static str]>,
    /// The retry back-offs in seconds, by state (no other state may retry).
    retries: &'static [(&'static str, &'static [f64])],
    /// The Wait states' seconds.
    waits: &'static [f64],
    /// A mismatch found and reported, not yet fixed: the comparison must still fail (so that
    /// the mark is removed once fixed), and its problems are printed, not failed on.
    known_mismatch: Option<&'static str>,
    /// A disagreement of the local executor found and reported, not yet fixed.
    local_known: Option<Known>,
}

/// The interpreter skips waits, so a run whose waits add up past the machine's
/// `TimeoutSeconds` or a Standard execution's one year (which would end TIMED_OUT on AWS) is
/// caught by arithmetic: the waits of a successful run must stay under it
/// ([`execution_limit`]). (`checkout` once slept its whole 1 h timeout away.) `true` would mark
/// such runs as known to overrun.
const KNOWN_WAITS_REACH_TIMEOUT: bool = false;

/// A Standard execution's longest run (AWS quotas: "Maximum execution time: 1 year. If an
/// execution runs for more than the 1-year maximum, it will fail with a `States.Timeout`
/// error"); 365 days, as the local executor counts it.
const MAX_EXECUTION_SECONDS: f64 = 31_536_000.0;

/// How long an execution of `definition` may run: its `TimeoutSeconds`, at most a year.
fn execution_limit(definition: &Value) -> f64 {
    definition["TimeoutSeconds"].as_f64().map_or(MAX_EXECUTION_SECONDS, |t| t.min(MAX_EXECUTION_SECONDS))
}

/// The seconds `run`'s Waits add up to (a Wait until a past timestamp waits none).
fn waited(run: &Execution) -> f64 {
    run.waits().iter().map(|w| w.max(0.0)).sum()
}

fn order() -> Value {
    json!({
        "orderId": "o-1",
        "customerEmail": "ada@example.com",
        "items": [{"sku": "BOOK-1", "quantity": 2}],
        "totalCents": 4200,
        "card": "4242424242424242",
        "express": false
    })
}

fn order_with(changes: Value) -> Value {
    let mut order = order();
    for (key, value) in changes.as_object().expect("an object of changes") {
        if value.is_null() {
            order.as_object_mut().expect("an object").remove(key);
        } else {
            order[key] = value.clone();
        }
    }
    order
}

const HAPPY_STATES: &[&str] = &[
    "If order.items is empty",
    "ReserveInventory",
    "ChargePayment",
    "For each item",
    "In parallel",
    "If !order.express",
    "Wait 1h",
    "Succeed",
];
const HAPPY_CALLS: &[&str] = &["reserve_inventory", "charge_payment", "pack_item", "ship_order", "send_receipt"];
const PAYMENT_FAILED_STATES: &[&str] =
    &["If order.items is empty", "ReserveInventory", "ChargePayment", "ReleaseInventory", "Fail"];

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "happy path, standard delivery: waits an hour",
            input: order(),
            inject: vec![],
            expected: Expected::Native,
            states: HAPPY_STATES,
            calls: Some(HAPPY_CALLS),
            retries: &[],
            waits: &[3600.0],
            known_mismatch: None,
            local_known: None,
        },
        Case {
            name: "happy path, express delivery: no wait",
            input: order_with(json!({"express": true})),
            inject: vec![],
            expected: Expected::Native,
            states: &[
                "If order.items is empty",
                "ReserveInventory",
                "ChargePayment",
                "For each item",
                "In parallel",
                "If !order.express",
                "Succeed",
            ],
            calls: Some(HAPPY_CALLS),
            retries: &[],
            waits: &[],
            known_mismatch: None,
            local_known: None,
        },
        Case {
            name: "declined card: Catch, release the hold, fail with CardDeclined",
            input: order_with(json!({"card": "4000000000000002"})),
            inject: vec![],
            expected: Expected::Native,
            states: PAYMENT_FAILED_STATES,
            calls: Some(&["reserve_inventory", "charge_payment", "release_inventory"]),
            retries: &[],
            waits: &[],
            known_mismatch: None,
            local_known: None,
        },
        Case {
            // The activity's `retry(errors = [GatewayDown], interval = "2s", max_attempts = 3,
            // backoff_rate = 2.0)`: MaxAttempts is the number of *retries* in Step Functions
            // (stepcraft documents it so), hence 4 calls and back-offs 2, 4, 8 s.
            name: "gateway down on every attempt: retried, caught, released, GatewayDown",
            input: order_with(json!({"card": "4000000000000119"})),
            inject: vec![],
            expected: Expected::Native,
            states: PAYMENT_FAILED_STATES,
            calls: Some(&[
                "reserve_inventory",
                "charge_payment",
                "charge_payment",
                "charge_payment",
                "charge_payment",
                "release_inventory",
            ]),
            retries: &[("ChargePayment", &[2.0, 4.0, 8.0])],
            waits: &[],
            known_mismatch: None,
            local_known: None,
        },
        Case {
            // Native runs have no retry: the native reference is the happy path.
            name: "gateway down once, then the retry succeeds",
            input: order(),
            inject: vec![
                Injection::error("charge_payment", "GatewayDown", "the payment gateway did not answer")
                    .on_attempts(&[1]),
            ],
            expected: Expected::Native,
            states: HAPPY_STATES,
            calls: Some(&[
                "reserve_inventory",
                "charge_payment",
                "charge_payment",
                "pack_item",
                "ship_order",
                "send_receipt",
            ]),
            retries: &[("ChargePayment", &[2.0])],
            waits: &[3600.0],
            known_mismatch: None,
            local_known: None,
        },
        Case {
            // Every activity Task carries the retrier AWS recommends for Lambda's own
            // transient errors (IntervalSeconds 1): an Invoke failing once is retried.
            name: "Lambda service error once on ReserveInventory: the service retrier retries it",
            input: order(),
            inject: vec![Injection::service_error("reserve_inventory", "ServiceException").on_attempts(&[1])],
            expected: Expected::Native,
            states: HAPPY_STATES,
            calls: Some(&[
                "reserve_inventory",
                "reserve_inventory",
                "charge_payment",
                "pack_item",
                "ship_order",
                "send_receipt",
            ]),
            retries: &[("ReserveInventory", &[1.0])],
            waits: &[3600.0],
            known_mismatch: None,
            local_known: None,
        },
        Case {
            name: "out of stock: ReserveInventory fails, nothing catches it",
            input: order_with(
                json!({"items": [{"sku": "BOOK-1", "quantity": 1}, {"sku": "PIANO-9", "quantity": 101}]}),
            ),
            inject: vec![],
            expected: Expected::Native,
            states: &["If order.items is empty", "ReserveInventory"],
            calls: Some(&["reserve_inventory"]),
            retries: &[],
            waits: &[],
            known_mismatch: None,
            local_known: None,
        },
        Case {
            name: "an input that is not an order: InvalidInput naming the missing field, as natively",
            input: json!({"bad": 1}),
            inject: vec![],
            expected: Expected::Native,
            states: &["Check input", "Invalid input"],
            calls: Some(&[]),
            retries: &[],
            waits: &[],
            known_mismatch: None,
            local_known: None,
        },
        Case {
            name: "empty order: a Fail state",
            input: order_with(json!({"items": []})),
            inject: vec![],
            expected: Expected::Native,
            states: &["If order.items is empty", "Fail EmptyOrder"],
            calls: Some(&[]),
            retries: &[],
            waits: &[],
            known_mismatch: None,
            local_known: None,
        },
        Case {
            name: "several items: a Map over them, the output counts the parcels",
            input: order_with(json!({"items": [
                {"sku": "BOOK-1", "quantity": 1},
                {"sku": "LAMP-2", "quantity": 3},
                {"sku": "DESK-3", "quantity": 100}
            ]})),
            inject: vec![],
            expected: Expected::Native,
            states: HAPPY_STATES,
            calls: Some(&[
                "reserve_inventory",
                "charge_payment",
                "pack_item",
                "pack_item",
                "pack_item",
                "ship_order",
                "send_receipt",
            ]),
            retries: &[],
            waits: &[3600.0],
            known_mismatch: None,
            local_known: None,
        },
        Case {
            // ship_order never fails natively; injected here. `try_join!` returns the first
            // error and `?` keeps its name (CheckoutError is transparent): NoCarrier, with the
            // payment not compensated (the Rust code has no compensation there either).
            name: "ship_order fails in the Parallel branch: the execution fails with NoCarrier",
            input: order(),
            inject: vec![Injection::error("ship_order", "NoCarrier", "no carrier serves this address")],
            expected: Expected::Declared(Err(NativeError {
                error_type: "NoCarrier".into(),
                error_message: "no carrier serves this address".into(),
            })),
            states: &["If order.items is empty", "ReserveInventory", "ChargePayment", "For each item", "In parallel"],
            // send_receipt may or may not have been invoked when the branch fails.
            calls: None,
            retries: &[],
            waits: &[],
            known_mismatch: None,
            local_known: None,
        },
        Case {
            // `express` is `#[serde(default)]`: the input schema does not require it and the
            // native run takes it as false. A bare `$states.context.Execution.Input.express`
            // would be undefined (States.QueryEvaluationError on AWS); the ASL reads it as
            // `$exists(…) ? … : false` (ShipOrder's Arguments, the Choice's Condition).
            name: "express omitted (serde default false)",
            input: order_with(json!({"express": null})),
            inject: vec![],
            expected: Expected::Native,
            states: HAPPY_STATES,
            calls: Some(HAPPY_CALLS),
            retries: &[],
            waits: &[3600.0],
            known_mismatch: None,
            local_known: None,
        },
        Case {
            // Native runs have no retry: the native reference is the happy path.
            name: "gateway down on the first three attempts: the third retry (2, 4, 8 s) succeeds",
            input: order(),
            inject: vec![
                Injection::error("charge_payment", "GatewayDown", "the payment gateway did not answer")
                    .on_attempts(&[1, 2, 3]),
            ],
            expected: Expected::Native,
            states: HAPPY_STATES,
            calls: Some(&[
                "reserve_inventory",
                "charge_payment",
                "charge_payment",
                "charge_payment",
                "charge_payment",
                "pack_item",
                "ship_order",
                "send_receipt",
            ]),
            retries: &[("ChargePayment", &[2.0, 4.0, 8.0])],
            waits: &[3600.0],
            known_mismatch: None,
            local_known: None,
        },
        Case {
            // release_inventory's `retry(errors = ["States.ALL"], max_attempts = 5)`: interval
            // and back-off rate default (1 s, 2.0), after the Lambda service-error retrier.
            name: "declined card, the release fails once: its States.ALL Retry retries it after 1 s",
            input: order_with(json!({"card": "4000000000000002"})),
            inject: vec![
                Injection::error("release_inventory", "StoreDown", "the inventory store did not answer")
                    .on_attempts(&[1]),
            ],
            expected: Expected::Native,
            states: PAYMENT_FAILED_STATES,
            calls: Some(&["reserve_inventory", "charge_payment", "release_inventory", "release_inventory"]),
            retries: &[("ReleaseInventory", &[1.0])],
            waits: &[],
            known_mismatch: None,
            local_known: None,
        },
        Case {
            name: "Lambda service error on every attempt of ChargePayment: retried (1, 2, 4 s), caught, \
                   released, raised by the Fail state",
            input: order(),
            inject: vec![Injection::service_error("charge_payment", "TooManyRequestsException")],
            expected: Expected::FailsWith("Lambda.TooManyRequestsException"),
            states: PAYMENT_FAILED_STATES,
            calls: Some(&[
                "reserve_inventory",
                "charge_payment",
                "charge_payment",
                "charge_payment",
                "charge_payment",
                "release_inventory",
            ]),
            retries: &[("ChargePayment", &[1.0, 2.0, 4.0])],
            waits: &[],
            known_mismatch: None,
            local_known: None,
        },
        Case {
            name: "two items, a Lambda service error on each PackItem's first attempt: retried per iteration",
            input: order_with(json!({"items": [{"sku": "BOOK-1", "quantity": 1}, {"sku": "LAMP-2", "quantity": 3}]})),
            inject: vec![Injection::service_error("pack_item", "ServiceException").on_attempts(&[1])],
            expected: Expected::Native,
            states: HAPPY_STATES,
            calls: Some(&[
                "reserve_inventory",
                "charge_payment",
                "pack_item",
                "pack_item",
                "pack_item",
                "pack_item",
                "ship_order",
                "send_receipt",
            ]),
            retries: &[("PackItem", &[1.0, 1.0])],
            waits: &[3600.0],
            known_mismatch: None,
            local_known: None,
        },
        Case {
            name: "Lambda service error once on ShipOrder: retried inside its Parallel branch",
            input: order(),
            inject: vec![Injection::service_error("ship_order", "AWSLambdaException").on_attempts(&[1])],
            expected: Expected::Native,
            states: HAPPY_STATES,
            calls: Some(&[
                "reserve_inventory",
                "charge_payment",
                "pack_item",
                "ship_order",
                "ship_order",
                "send_receipt",
            ]),
            retries: &[("ShipOrder", &[1.0])],
            waits: &[3600.0],
            known_mismatch: None,
            local_known: None,
        },
        Case {
            name: "express order of three items: three parcels, shipped by air, no wait",
            input: order_with(json!({"express": true, "items": [
                {"sku": "BOOK-1", "quantity": 1},
                {"sku": "LAMP-2", "quantity": 3},
                {"sku": "DESK-3", "quantity": 7}
            ]})),
            inject: vec![],
            expected: Expected::Native,
            states: &[
                "If order.items is empty",
                "ReserveInventory",
                "ChargePayment",
                "For each item",
                "In parallel",
                "If !order.express",
                "Succeed",
            ],
            calls: Some(&[
                "reserve_inventory",
                "charge_payment",
                "pack_item",
                "pack_item",
                "pack_item",
                "ship_order",
                "send_receipt",
            ]),
            retries: &[],
            waits: &[],
            known_mismatch: None,
            local_known: None,
        },
    ]
}

/// The states a case lists, after the input check every workflow's state machine starts with
/// (`stepcraft::input`): `Check input` first, unless the case lists it (a bad input's case).
fn checked_first(states: &[&'static str]) -> Vec<&'static str> {
    let check = stepcraft::input::CHECK_STATE;
    if states.first() == Some(&check) {
        states.to_vec()
    } else {
        std::iter::once(check).chain(states.iter().copied()).collect()
    }
}

/// What the interpreter gave against what was expected: the problems, empty if none.
fn compare(case: &Case, expected: &Want<'_>, run: &Execution, top_level: &[String]) -> Vec<String> {
    let mut problems = compare_want(expected, run, "interpreter");
    let entered = top_level_entered(run, top_level);
    let states = checked_first(case.states);
    if entered != states {
        problems.push(format!("top-level states entered: {entered:?}, expected {states:?}"));
    }
    if let Some(calls) = case.calls {
        check_calls(run, calls, &mut problems);
    }
    for (state, expected) in case.retries {
        let delays = run.retry_delays(state);
        if delays != *expected {
            problems.push(format!("{state} back-offs {delays:?}, expected {expected:?}"));
        }
    }
    let retries = &run.backoffs;
    let expected = case.retries.iter().map(|(_, delays)| delays.len()).sum::<usize>();
    if retries.len() != expected {
        problems.push(format!("retries: {retries:?}, expected {:?}", case.retries));
    }
    let waits = run.waits();
    if waits != case.waits {
        problems.push(format!("waits {waits:?}, expected {:?}", case.waits));
    }
    problems
}

/// The top-level states `run` entered, in order.
fn top_level_entered<'a>(run: &'a Execution, top_level: &[String]) -> Vec<&'a str> {
    run.states_entered.iter().filter(|s| top_level.contains(s)).map(String::as_str).collect()
}

/// The Lambda functions `run` invoked (every attempt) must be `calls`, in any order.
fn check_calls(run: &Execution, calls: &[&str], problems: &mut Vec<String>) {
    let mut got = run.lambda_calls();
    got.sort();
    let mut want: Vec<String> = calls.iter().map(|s| (*s).to_owned()).collect();
    want.sort();
    if got != want {
        problems.push(format!("Lambda calls: {got:?}, expected {want:?}"));
    }
}

/// The status, output, error and cause of `run` (by `who`: the interpreter, the local executor)
/// against the native result (rules at the top): the problems, empty if none. Tool errors are
/// problems too.
fn compare_outcome(expected: &Result<Value, NativeError>, run: &Execution, who: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            problems.push(what);
        }
    };
    check(run.tool_errors.is_empty(), format!("tool errors: {:?}", run.tool_errors));
    match expected {
        Ok(output) => {
            check(
                run.status == "SUCCEEDED" && run.output.as_ref() == Some(output),
                format!(
                    "native: Ok({output}); {who}: {} output {} error {:?} cause {:?}",
                    run.status,
                    run.output.as_ref().map_or("-".into(), Value::to_string),
                    run.error,
                    run.cause
                ),
            );
        }
        Err(native) => {
            check(
                run.status == "FAILED" && run.error.as_deref() == Some(native.error_type.as_str()),
                format!(
                    "native: Err({} / {:?}); {who}: {} error {:?} cause {:?}",
                    native.error_type, native.error_message, run.status, run.error, run.cause
                ),
            );
            let cause = run.cause.as_deref().unwrap_or_default();
            // `invoke` of a workflow reports the execution's cause as the message (a Lambda
            // error report when an activity's error ended it): then the two must agree.
            let native_cause = serde_json::from_str::<Value>(&native.error_message).ok().filter(Value::is_object);
            match serde_json::from_str::<Value>(cause) {
                Ok(Value::Object(payload)) if native_cause.is_some() => check(
                    native_cause.as_ref() == Some(&Value::Object(payload.clone())),
                    format!("cause {cause} != the native run's cause {}", native.error_message),
                ),
                Ok(Value::Object(payload)) => check(
                    Value::Object(payload.clone())
                        == json!({"errorType": native.error_type, "errorMessage": native.error_message}),
                    format!("cause {cause} is not the Lambda error payload of the native error {native:?}"),
                ),
                _ => check(
                    cause == native.error_message,
                    format!("cause {cause:?} != native errorMessage {:?}", native.error_message),
                ),
            }
        }
    }
    problems
}

#[test]
fn checkout_in_a_third_party_interpreter_and_the_local_executor_matches_the_native_run() {
    let start = Instant::now();
    let checkout = asl::deployable("checkout", "checkout");
    let definition = checkout.definition("Checkout");
    let top_level = definition.top_level_states();
    let cases = cases();

    // The native runs (one process each) and the local ones (in-process) alongside the
    // interpreter's batch (one process).
    let (natives, runs, locals): (Vec<Option<Invocation>>, Vec<Execution>, Vec<LocalRun>) = std::thread::scope(|s| {
        let natives = s.spawn(|| {
            cases
                .iter()
                .map(|case| match &case.expected {
                    Expected::Native => Some(asl::invoke(&checkout.binary, "checkout", &case.input)),
                    Expected::Declared(_) | Expected::FailsWith(_) => None,
                })
                .collect::<Vec<Option<Invocation>>>()
        });
        let batch: Vec<asl::Case> = cases
            .iter()
            .map(|case| asl::Case {
                name: case.name.to_owned(),
                definition: definition.path.clone(),
                input: case.input.clone(),
                options: Options {
                    activities: Some(checkout.binary.clone()),
                    inject: case.inject.clone(),
                    machine_type: MachineType::Standard,
                    ..Options::default()
                },
            })
            .collect();
        let locals = s.spawn(|| {
            let base = checkout_local();
            cases.iter().map(|case| run_locally(&base, "Checkout", case.name, &case.input, &case.inject)).collect()
        });
        let runs = asl::execute_batch(&batch);
        (natives.join().expect("the native runs"), runs, locals.join().expect("the local runs"))
    });

    let limit = execution_limit(&definition.json);
    let mut failures = Vec::new();
    let mut still_known = Vec::new();
    let mut overruns = Vec::new();
    for (((case, native), run), local) in cases.iter().zip(&natives).zip(&runs).zip(&locals) {
        let expected = match (&case.expected, native) {
            (Expected::Native, Some(native)) => {
                // Waits are virtual natively (paused time): an hour's sleep must not be slept.
                assert!(
                    native.elapsed < Duration::from_secs(30),
                    "{}: the native run took {:?}: does `invoke` really sleep?",
                    case.name,
                    native.elapsed
                );
                Want::Result(&native.result)
            }
            (Expected::Declared(result), _) => Want::Result(result),
            (Expected::FailsWith(error), _) => Want::FailsWith(error),
            (Expected::Native, None) => unreachable!(),
        };
        let problems = compare(case, &expected, run, &top_level);
        let waited = waited(run);
        if run.status == "SUCCEEDED" && waited >= limit {
            overruns.push(format!("{}: waits {waited} s, limit {limit} s (TimeoutSeconds, at most a year)", case.name));
        }
        let rules = LocalRules {
            top_level: &top_level,
            deterministic: case.calls.is_some(),
            jittered: Vec::new(),
            until: Vec::new(),
        };
        let local_problems = three_way(&expected, &rules, &local.execution, run);
        print_case(case.name, run, native.as_ref(), local, &problems, &local_problems);
        judge(
            &format!("{} (local executor)", case.name),
            &local_problems,
            case.local_known.as_ref(),
            &mut failures,
            &mut still_known,
        );
        match (case.known_mismatch, problems.is_empty()) {
            (None, true) => {}
            (None, false) => failures.push(format!("{}:\n  {}", case.name, problems.join("\n  "))),
            (Some(why), false) => still_known.push(format!("{} (known: {why})", case.name)),
            (Some(why), true) => failures.push(format!(
                "{}: marked as a known mismatch ({why}) but native and interpreter now agree: remove the mark",
                case.name
            )),
        }
    }
    for known in &still_known {
        eprintln!("known mismatch, reported: {known}");
    }
    for overrun in &overruns {
        eprintln!("known, reported: on AWS this would time out: {overrun}");
    }
    if KNOWN_WAITS_REACH_TIMEOUT {
        assert!(
            !overruns.is_empty(),
            "no run's waits reach TimeoutSeconds any more: set KNOWN_WAITS_REACH_TIMEOUT = false"
        );
    } else {
        failures.extend(overruns.iter().map(|o| format!("would time out on AWS: {o}")));
    }
    assert!(failures.is_empty(), "native vs interpreter vs local executor:\n{}", failures.join("\n"));
    eprintln!("{} three-way cases in {:.1}s", cases.len(), start.elapsed().as_secs_f64());
}

/* -------------------------------------- DIFFERENTIAL: GOLDEN --------------------------------------- */

// Every golden workflow (`tests/golden/*.rs`, hosted by the `golden` binary of this package), run
// in the interpreter with its Lambda tasks answered by the real activities, against
// `golden invoke <Workflow>` on the same input; same rules as for checkout (top of this file).

/// What a golden case's interpreter run must give.
enum Reference {
    /// What `golden invoke <workflow>` gives on the same input.
    Native,
    /// No native run can produce this (an injected failure, a callback answered otherwise than
    /// natively): what the Rust workflow returns in that situation, compared by the same rules.
    Declared(Result<Value, NativeError>),
    /// A failure with this error name; the cause is the interpreter's own text (e.g. a Lambda
    /// service error's), not compared.
    FailsWith(&'static str),
}

/// The retry back-offs a state must ask for, in order.
enum Backoffs {
    Exactly(&'static [f64]),
    /// `JitterStrategy: FULL`: each back-off is random in `[0, cap]`.
    JitteredUpTo(&'static [f64]),
}

/// What a Wait state must have asked for (the interpreter skips waits and records them).
enum WaitFor {
    Seconds(f64),
    /// A `Timestamp` wait: the seconds from the run to it (negative when it is past), within
    /// [`TIMESTAMP_SLACK_S`].
    Until(&'static str),
}

const TIMESTAMP_SLACK_S: f64 = 120.0;

/// A difference found and reported, not yet fixed: each problem the comparison finds must
/// contain one of `problems` (any other fails the test), and there must be at least one (so that
/// the mark is removed once fixed).
struct Known {
    why: &'static str,
    problems: &'static [&'static str],
}

struct GoldenCase {
    /// The state machine, and the workflow `golden invoke` runs: `Sequential`, `ParentOrder` ...
    workflow: &'static str,
    name: &'static str,
    input: Value,
    inject: Vec<Injection>,
    reference: Reference,
    /// A child workflow's Task (state named as the child workflow) answered by the tool's mock
    /// with what `golden invoke <child>` gives natively on the same input.
    child: Option<&'static str>,
    /// The top-level states entered, in order.
    states: &'static [&'static str],
    /// The Lambda functions invoked (every attempt), in any order; `None`: not checked.
    calls: Option<&'static [&'static str]>,
    /// The retry back-offs by state (no other state may retry).
    retries: &'static [(&'static str, Backoffs)],
    waits: &'static [WaitFor],
    known_mismatch: Option<Known>,
    /// A disagreement of the local executor found and reported, not yet fixed.
    local_known: Option<Known>,
}

impl GoldenCase {
    fn new(workflow: &'static str, name: &'static str, input: Value, states: &'static [&'static str]) -> Self {
        GoldenCase {
            workflow,
            name,
            input,
            inject: Vec::new(),
            reference: Reference::Native,
            child: None,
            states,
            calls: None,
            retries: &[],
            waits: &[],
            known_mismatch: None,
            local_known: None,
        }
    }

    fn calls(mut self, calls: &'static [&'static str]) -> Self {
        self.calls = Some(calls);
        self
    }

    fn inject(mut self, injection: Injection) -> Self {
        self.inject.push(injection);
        self
    }

    fn declared(mut self, result: Result<Value, NativeError>) -> Self {
        self.reference = Reference::Declared(result);
        self
    }

    fn fails_with(mut self, error: &'static str) -> Self {
        self.reference = Reference::FailsWith(error);
        self
    }

    fn child(mut self, workflow: &'static str) -> Self {
        self.child = Some(workflow);
        self
    }

    fn retries(mut self, retries: &'static [(&'static str, Backoffs)]) -> Self {
        self.retries = retries;
        self
    }

    fn waits(mut self, waits: &'static [WaitFor]) -> Self {
        self.waits = waits;
        self
    }

    /// Marks a difference found and reported but not fixed.
    fn known(mut self, why: &'static str, problems: &'static [&'static str]) -> Self {
        self.known_mismatch = Some(Known { why, problems });
        self
    }

    /// Marks a disagreement of the local executor found and reported but not fixed.
    fn local_known(mut self, why: &'static str, problems: &'static [&'static str]) -> Self {
        self.local_known = Some(Known { why, problems });
        self
    }
}

fn native_error(error_type: &str, error_message: &str) -> NativeError {
    NativeError { error_type: error_type.to_owned(), error_message: error_message.to_owned() }
}

/// The golden `Order`: one item of 2 × 1500 cents, 4200 cents, a gold customer in DE; `coupon`
/// and `express` (both `#[serde(default)]`) omitted.
fn golden_order() -> Value {
    json!({
        "orderId": "o-1",
        "customer": {"emailAddress": "ada@example.com", "tier": "gold"},
        "items": [{"sku": "BOOK-1", "quantity": 2, "priceCents": 1500}],
        "totalCents": 4200,
        "country": "DE"
    })
}

/// [`golden_order`] with these top-level fields replaced (`null`: removed).
fn golden_order_with(changes: Value) -> Value {
    let mut order = golden_order();
    for (key, value) in changes.as_object().expect("an object of changes") {
        if value.is_null() {
            order.as_object_mut().expect("an object").remove(key);
        } else {
            order[key] = value.clone();
        }
    }
    order
}

/// `n` items: `SKU-1` … with quantity `i` and price `100 · i` cents.
fn items(n: u64) -> Value {
    (1..=n).map(|i| json!({"sku": format!("SKU-{i}"), "quantity": i, "priceCents": 100 * i})).collect()
}

fn customer(tier: Value) -> Value {
    json!({"emailAddress": "ada@example.com", "tier": tier})
}

const SEQUENTIAL: &[&str] = &["Reserve", "Charge", "Notify", "Succeed"];

const CHOICE_1: &str = "If order.total_cents > 100000 && !order.express";
const CHOICE_COUPON: &str = "If order.coupon is set";
const CHOICE_TIER: &str = "Match order.customer.tier";
const CHOICE_COUNTRY: &str = "Match order.country";
const CHOICE_SIZE: &str = "Match order.items.len()";

const RETURNS_EMPTY: &str = "If order.items is empty";
const RETURNS_LARGE: &str = "If order.total_cents > 10000000";
const RETURNS_EXPRESS: &str = "If order.express";

const APPROVAL_CHOICE: &str = "If !decision.approved";

fn golden_cases() -> Vec<GoldenCase> {
    use Backoffs::{Exactly, JitteredUpTo};
    use WaitFor::{Seconds, Until};
    let gateway_once = || Injection::error("charge", "GatewayDown", "the gateway did not answer").on_attempts(&[1]);
    vec![
        /* ---- sequential ---- */
        /* ---- join ---- */
        GoldenCase::new(
            "Join",
            "every branch succeeds",
            golden_order(),
            &["In parallel", "If hold failed", "Match receipt", "Set receipt", "If sent failed", "Succeed"],
        )
        .calls(&["reserve", "charge", "notify"]),
        GoldenCase::new(
            "Join",
            "fraud: the Err(Fraud) arm of the match on a join! result",
            golden_order_with(json!({"totalCents": 13})),
            &["In parallel", "If hold failed", "Match receipt", "Fail TooLarge"],
        )
        .calls(&["reserve", "charge", "notify"]),
        GoldenCase::new(
            "Join",
            "declined: the catch-all arm releases the hold and raises the error again",
            golden_order_with(json!({"totalCents": 0})),
            &["In parallel", "If hold failed", "Match receipt", "Release", "Fail"],
        )
        .calls(&["reserve", "charge", "notify", "release"]),
        GoldenCase::new(
            "Join",
            "out of stock: `hold?` fails the workflow with the branch's error",
            golden_order_with(json!({"items": [{"sku": "PIANO-9", "quantity": 101, "priceCents": 1}]})),
            &["In parallel", "If hold failed", "Fail hold"],
        )
        .calls(&["reserve", "charge", "notify"]),
        /* ---- strings: `len()` counts UTF-8 bytes ---- */
        GoldenCase::new(
            "NameLength",
            "Björn: 5 characters but 6 bytes, so `len() > 5` is long natively and in the state machine",
            json!({"userName": "Björn"}),
            &["If signup.user_name.len() > 5", "Set size", "Succeed"],
        ),
        GoldenCase::new(
            "NameLength",
            "Bjorn: 5 bytes, short",
            json!({"userName": "Bjorn"}),
            &["If signup.user_name.len() > 5", "Set size 2", "Succeed"],
        ),
        // The input is checked as decoding it checks it (stepcraft::input): the state
        // machine fails with InvalidInput and the native run's cause, naming the field.
        GoldenCase::new(
            "Sequential",
            "an input without its fields: InvalidInput",
            json!({"bad": 1}),
            &["Check input", "Invalid input"],
        )
        .calls(&[]),
        GoldenCase::new(
            "Sequential",
            "a nested field of the wrong type: InvalidInput naming it",
            golden_order_with(json!({"customer": {"emailAddress": 7, "tier": "Gold"}})),
            &["Check input", "Invalid input"],
        )
        .calls(&[]),
        GoldenCase::new(
            "Sequential",
            "a negative amount for a u64: InvalidInput",
            golden_order_with(json!({"totalCents": -5})),
            &["Check input", "Invalid input"],
        )
        .calls(&[]),
        GoldenCase::new("Sequential", "happy path", golden_order(), SEQUENTIAL).calls(&["reserve", "charge", "notify"]),
        GoldenCase::new(
            "Sequential",
            "Reserve takes 11 s, past its 10 s TimeoutSeconds: States.Timeout, not retried",
            golden_order(),
            &["Reserve"],
        )
        .inject(Injection::slow("reserve", 11.0))
        .calls(&["reserve"])
        .fails_with("States.Timeout"),
        GoldenCase::new(
            "Sequential",
            "out of stock: Reserve fails, nothing catches it",
            golden_order_with(json!({"items": [{"sku": "PIANO-9", "quantity": 101, "priceCents": 1}]})),
            &["Reserve"],
        )
        .calls(&["reserve"]),
        GoldenCase::new(
            "Sequential",
            "card declined (0 cents): not retried",
            golden_order_with(json!({"totalCents": 0})),
            &["Reserve", "Charge"],
        )
        .calls(&["reserve", "charge"]),
        GoldenCase::new(
            "Sequential",
            "fraud (13 cents): not retried",
            golden_order_with(json!({"totalCents": 13})),
            &["Reserve", "Charge"],
        )
        .calls(&["reserve", "charge"]),
        GoldenCase::new(
            "Sequential",
            "gateway down on every attempt: 3 retries (2, 4, 8 s), exhausted",
            golden_order_with(json!({"totalCents": 5})),
            &["Reserve", "Charge"],
        )
        .calls(&["reserve", "charge", "charge", "charge", "charge"])
        .retries(&[("Charge", Exactly(&[2.0, 4.0, 8.0]))]),
        // Native runs have no injection: the native reference is the happy path.
        GoldenCase::new("Sequential", "gateway down once, the retry succeeds", golden_order(), SEQUENTIAL)
            .inject(gateway_once())
            .calls(&["reserve", "charge", "charge", "notify"])
            .retries(&[("Charge", Exactly(&[2.0]))]),
        GoldenCase::new(
            "Sequential",
            "Lambda service error once on Notify: the service retrier retries it",
            golden_order(),
            SEQUENTIAL,
        )
        .inject(Injection::service_error("notify", "ServiceException").on_attempts(&[1]))
        .calls(&["reserve", "charge", "notify", "notify"])
        .retries(&[("Notify", Exactly(&[1.0]))]),
        GoldenCase::new(
            "Sequential",
            "Lambda service error on every attempt of Reserve: the service retrier gives up (1, 2, 4 s)",
            golden_order(),
            &["Reserve"],
        )
        .inject(Injection::service_error("reserve", "ServiceException"))
        .fails_with("Lambda.ServiceException")
        .calls(&["reserve", "reserve", "reserve", "reserve"])
        .retries(&[("Reserve", Exactly(&[1.0, 2.0, 4.0]))]),
        /* ---- catch ---- */
        GoldenCase::new("Catch", "no error: no Catch taken", golden_order(), &["Reserve", "Charge", "Succeed"])
            .calls(&["reserve", "charge"]),
        GoldenCase::new(
            "Catch",
            "Err(Fraud) arm: release, Fail Rejected { reason: fraud }",
            golden_order_with(json!({"totalCents": 13})),
            &["Reserve", "Charge", "Release", "Fail Rejected"],
        )
        .calls(&["reserve", "charge", "release"]),
        GoldenCase::new(
            "Catch",
            "Err(Declined) arm (CardDeclined): release, Fail TooLarge",
            golden_order_with(json!({"totalCents": 0})),
            &["Reserve", "Charge", "Release 2", "Fail TooLarge"],
        )
        .calls(&["reserve", "charge", "release"]),
        GoldenCase::new(
            "Catch",
            "Err(error) catch-all: gateway down, retries exhausted, release, rethrow GatewayDown",
            golden_order_with(json!({"totalCents": 5})),
            &["Reserve", "Charge", "Release 3", "Fail"],
        )
        .calls(&["reserve", "charge", "charge", "charge", "charge", "release"])
        .retries(&[("Charge", Exactly(&[2.0, 4.0, 8.0]))]),
        GoldenCase::new(
            "Catch",
            "gateway down once: the Retry comes before the Catch and succeeds",
            golden_order(),
            &["Reserve", "Charge", "Succeed"],
        )
        .inject(gateway_once())
        .calls(&["reserve", "charge", "charge"])
        .retries(&[("Charge", Exactly(&[2.0]))]),
        // An error no arm names and the Rust code cannot see: the catch-all (States.ALL) takes it.
        GoldenCase::new(
            "Catch",
            "Lambda service error on every attempt of Charge: service retrier exhausted, catch-all, rethrown",
            golden_order(),
            &["Reserve", "Charge", "Release 3", "Fail"],
        )
        .inject(Injection::service_error("charge", "ServiceException"))
        .fails_with("Lambda.ServiceException")
        .calls(&["reserve", "charge", "charge", "charge", "charge", "release"])
        .retries(&[("Charge", Exactly(&[1.0, 2.0, 4.0]))]),
        GoldenCase::new(
            "Catch",
            "out of stock before the match: nothing catches it, nothing to release",
            golden_order_with(json!({"items": [{"sku": "PIANO-9", "quantity": 101, "priceCents": 1}]})),
            &["Reserve"],
        )
        .calls(&["reserve"]),
        /* ---- choice ---- */
        GoldenCase::new(
            "Choice",
            "neither branch of the if; no coupon (omitted); gold; DE; 1 item",
            golden_order(),
            &[
                CHOICE_1,
                CHOICE_COUPON,
                CHOICE_TIER,
                "Set greeting",
                CHOICE_COUNTRY,
                "Set shipping",
                CHOICE_SIZE,
                "Set size 2",
                "Notify 3",
                "Succeed",
            ],
        )
        .calls(&["notify"]),
        GoldenCase::new(
            "Choice",
            "coupon set; silver; AT; 0 items; express false",
            golden_order_with(json!({"customer": customer(json!("silver")), "country": "AT", "items": [],
                "coupon": "SAVE10", "express": false})),
            &[
                CHOICE_1,
                CHOICE_COUPON,
                "Notify 2",
                CHOICE_TIER,
                "Set greeting",
                CHOICE_COUNTRY,
                "Set shipping",
                CHOICE_SIZE,
                "Set size",
                "Notify 3",
                "Succeed",
            ],
        )
        .calls(&["notify", "notify"]),
        GoldenCase::new(
            "Choice",
            "else-if (> 3 items); custom tier; US; 4 items",
            golden_order_with(json!({"customer": customer(json!({"custom": {"discount_pct": 15}})), "country": "US",
                "items": items(4)})),
            &[
                CHOICE_1,
                "Notify",
                CHOICE_COUPON,
                CHOICE_TIER,
                "Set greeting 2",
                CHOICE_COUNTRY,
                "Set shipping 2",
                CHOICE_SIZE,
                "Set size 3",
                "Notify 3",
                "Succeed",
            ],
        )
        .calls(&["notify", "notify"]),
        GoldenCase::new(
            "Choice",
            "if (> 100000 cents, not express): review; standard tier; FR; 2 items",
            golden_order_with(json!({"customer": customer(json!("standard")), "country": "FR", "items": items(2),
                "totalCents": 200_000})),
            &[
                CHOICE_1,
                "Review",
                CHOICE_COUPON,
                CHOICE_TIER,
                "Set greeting 3",
                CHOICE_COUNTRY,
                "Set shipping 3",
                CHOICE_SIZE,
                "Set size 2",
                "Notify 3",
                "Succeed",
            ],
        )
        .calls(&["review", "notify"]),
        GoldenCase::new(
            "Choice",
            "> 100000 cents but express: the else-if; coupon null; CH; 5 items",
            golden_order_with(json!({"country": "CH", "items": items(5), "totalCents": 200_000, "express": true,
                "coupon": null})),
            &[
                CHOICE_1,
                "Notify",
                CHOICE_COUPON,
                CHOICE_TIER,
                "Set greeting",
                CHOICE_COUNTRY,
                "Set shipping 3",
                CHOICE_SIZE,
                "Set size 3",
                "Notify 3",
                "Succeed",
            ],
        )
        .calls(&["notify", "notify"]),
        GoldenCase::new(
            "Choice",
            "> 100000 cents, express, 3 items: no branch; empty coupon \"\" is Some; custom 0%; US",
            golden_order_with(json!({"customer": customer(json!({"custom": {"discount_pct": 0}})), "country": "US",
                "items": items(3), "totalCents": 200_000, "express": true, "coupon": ""})),
            &[
                CHOICE_1,
                CHOICE_COUPON,
                "Notify 2",
                CHOICE_TIER,
                "Set greeting 2",
                CHOICE_COUNTRY,
                "Set shipping 2",
                CHOICE_SIZE,
                "Set size 2",
                "Notify 3",
                "Succeed",
            ],
        )
        .calls(&["notify", "notify"]),
        /* ---- parallel ---- */
        GoldenCase::new(
            "Parallel",
            "all three branches succeed",
            golden_order(),
            &["In parallel", "Notify 3", "Succeed"],
        )
        .calls(&["reserve", "charge", "notify", "notify", "notify"]),
        // The other branches may or may not have run when one fails: calls not checked.
        GoldenCase::new(
            "Parallel",
            "the reserve branch fails (out of stock): the Parallel and the execution fail",
            golden_order_with(json!({"items": [{"sku": "PIANO-9", "quantity": 101, "priceCents": 1}]})),
            &["In parallel"],
        ),
        GoldenCase::new(
            "Parallel",
            "the async-block branch fails (card declined)",
            golden_order_with(json!({"totalCents": 0})),
            &["In parallel"],
        ),
        GoldenCase::new(
            "Parallel",
            "gateway down once inside the async-block branch: retried there",
            golden_order(),
            &["In parallel", "Notify 3", "Succeed"],
        )
        .inject(gateway_once())
        .calls(&["reserve", "charge", "charge", "notify", "notify", "notify"])
        .retries(&[("Charge", Exactly(&[2.0]))]),
        /* ---- map ---- */
        GoldenCase::new(
            "Map",
            "0 items: both Maps run no iteration",
            golden_order_with(json!({"items": []})),
            &["For each item", "For each item 2", "Succeed"],
        )
        .calls(&[]),
        GoldenCase::new("Map", "1 item", golden_order(), &["For each item", "For each item 2", "Succeed"])
            .calls(&["pack", "notify"]),
        GoldenCase::new(
            "Map",
            "5 items (MaxConcurrency 2): totals collected in order",
            golden_order_with(json!({"items": items(5)})),
            &["For each item", "For each item 2", "Succeed"],
        )
        .calls(&["pack", "pack", "pack", "pack", "pack", "notify", "notify", "notify", "notify", "notify"]),
        GoldenCase::new(
            "Map",
            "3 items, a Lambda service error on each Pack's first attempt: retried per iteration",
            golden_order_with(json!({"items": items(3)})),
            &["For each item", "For each item 2", "Succeed"],
        )
        .inject(Injection::service_error("pack", "ServiceException").on_attempts(&[1]))
        .calls(&["pack", "pack", "pack", "pack", "pack", "pack", "notify", "notify", "notify"])
        .retries(&[("Pack", Exactly(&[1.0, 1.0, 1.0]))]),
        /* ---- distributed: each item a child execution ---- */
        GoldenCase::new(
            "Distributed",
            "3 items: every child succeeds, totals collected in order with their index",
            golden_order_with(json!({"items": items(3)})),
            &["For each item", "For each item 2", "Succeed"],
        )
        .calls(&["check_stock", "check_stock", "check_stock", "pack", "pack", "pack"])
        // Interpreter limitation, found here and not yet reported upstream: the Lambda calls of
        // a Distributed Map's child executions are missing from its notes (their results are
        // right: the output agrees).
        .known(
            "the interpreter's notes leave out the Lambda calls of Distributed Map children",
            &["Lambda calls: [], expected"],
        ),
        GoldenCase::new(
            "Distributed",
            "an item out of stock: its child's error fails the workflow",
            golden_order_with(json!({"items": [{"sku": "PIANO-9", "quantity": 101, "priceCents": 1}]})),
            &["For each item"],
        )
        .calls(&["check_stock"])
        // Interpreter limitation, as above, and: a failed child does not fail its Map Run. AWS,
        // "Tolerated failure threshold for Distributed Map state": "The default percentage
        // value is zero, which means that the workflow fails if any one of its child workflow
        // executions fails or times out." The native run and the local executor fail with the
        // child's error (the executor's reading of an unset threshold, in its README).
        .known(
            "the interpreter's Distributed Map goes on past a failed child",
            &[
                "native: Err(OutOfStock",
                "cause \"\" != native",
                "top-level states entered",
                "Lambda calls: [], expected",
            ],
        )
        .local_known("the interpreter's Distributed Map goes on past a failed child", &["local vs interpreter: "]),
        GoldenCase::new(
            "Distributed",
            "0 items: no child execution",
            golden_order_with(json!({"items": []})),
            &["For each item", "For each item 2", "Succeed"],
        )
        .calls(&[]),
        /* ---- wait ---- */
        GoldenCase::new(
            "Wait",
            "90 s, 2 min from the input, until a future timestamp",
            json!({"delayMinutes": 2, "notBefore": "2030-01-01T00:00:00Z"}),
            &["Wait 1m30s", "Wait", "Wait until", "Succeed"],
        )
        .calls(&[])
        .waits(&[Seconds(90.0), Seconds(120.0), Until("2030-01-01T00:00:00Z")])
        // REPORTED: 2030-01-01 is more than a year away (until 2029-01-01, when the marks must
        // go): AWS ends a Standard execution after a year with States.Timeout (TIMED_OUT), as
        // the local executor does; the interpreter skips waits and the native run sleeps in
        // virtual time, without that limit: both succeed.
        .known(
            "the Wait until 2030 outlasts a Standard execution's year: TIMED_OUT on AWS; the interpreter succeeds",
            &["would time out on AWS: waits "],
        )
        .local_known(
            "the local executor times the execution out after a year (States.Timeout), as AWS does; the interpreter \
             and the native run succeed",
            &[
                "local vs native: native: Ok(2); local: TIMED_OUT output - error Some(\"States.Timeout\") cause None",
                "local vs interpreter: status TIMED_OUT vs SUCCEEDED",
                "local vs interpreter: output - vs 2",
                "local vs interpreter: error Some(\"States.Timeout\") vs None",
                "local vs interpreter: top-level states entered [\"Check input\", \"Wait 1m30s\", \"Wait\", \"Wait \
                 until\"] vs [\"Check input\", \"Wait 1m30s\", \"Wait\", \"Wait until\", \"Succeed\"]",
                "local vs interpreter: states entered (as a multiset) [\"Check input\", \"Wait\", \"Wait 1m30s\", \
                 \"Wait until\"] vs [\"Check input\", \"Succeed\", \"Wait\", \"Wait 1m30s\", \"Wait until\"]",
                "local vs interpreter: waits [90.0, 120.0] vs [90.0, 120.0, ",
            ],
        ),
        GoldenCase::new(
            "Wait",
            "90 s, 0 min, until a past timestamp (no wait)",
            json!({"delayMinutes": 0, "notBefore": "2020-02-29T12:00:00Z"}),
            &["Wait 1m30s", "Wait", "Wait until", "Succeed"],
        )
        .calls(&[])
        .waits(&[Seconds(90.0), Seconds(0.0), Until("2020-02-29T12:00:00Z")]),
        // `delay_minutes * 60` past 2^53 − 1, which a double cannot hold exactly: the Wait's
        // Seconds expression fails (its `$error`), as `run_native` ends (tests/expressions.rs).
        GoldenCase::new(
            "Wait",
            "minutes whose seconds pass 2^53: States.QueryEvaluationError",
            json!({"delayMinutes": 150_119_987_579_017_u64, "notBefore": "2020-02-29T12:00:00Z"}),
            &["Wait 1m30s", "Wait"],
        )
        .calls(&[])
        .waits(&[Seconds(90.0)])
        .fails_with("States.QueryEvaluationError")
        .local_known(
            "the interpreter words a JSONata failure's cause its own way (and numbers events otherwise); the \
             local executor writes AWS's wording, as the recorded executions have it",
            &["local vs interpreter: cause Some(\"An error occurred while executing the state 'Wait' (entered at the \
               event id #"],
        ),
        // Step Functions' Standard executions last at most a year: this Timestamp is less than
        // a year away (until mid-2027; afterwards it is a past one, no wait, which agrees too).
        GoldenCase::new(
            "Wait",
            "90 s, 1 min, until a timestamp within the year",
            json!({"delayMinutes": 1, "notBefore": "2027-06-30T00:00:00Z"}),
            &["Wait 1m30s", "Wait", "Wait until", "Succeed"],
        )
        .calls(&[])
        .waits(&[Seconds(90.0), Seconds(60.0), Until("2027-06-30T00:00:00Z")]),
        /* ---- wait_millis ---- */
        GoldenCase::new("WaitMillis", "from_millis(2000): a Wait of 2 s", golden_order(), &["Wait 2s", "Succeed"])
            .calls(&[])
            .waits(&[Seconds(2.0)]),
        /* ---- branch_return ---- */
        GoldenCase::new("BranchReturn", "both branches succeed", golden_order(), &["In parallel", "Succeed"])
            .calls(&["reserve", "charge"]),
        // The other branch may or may not have called `reserve` when the Parallel state fails.
        GoldenCase::new(
            "BranchReturn",
            "four items: the branch's `return Err(TooLarge)` fails the Parallel state and the workflow",
            golden_order_with(json!({"items": items(4)})),
            &["In parallel"],
        ),
        GoldenCase::new(
            "BranchReturn",
            "express: the branch's `return Ok(..)` is its value",
            golden_order_with(json!({"express": true})),
            &["In parallel", "Succeed"],
        )
        .calls(&["reserve"]),
        GoldenCase::new(
            "BranchReturn",
            "declined: the branch's `?` fails it with the charge's error",
            golden_order_with(json!({"totalCents": 0})),
            &["In parallel"],
        ),
        /* ---- let_else ---- */
        GoldenCase::new(
            "LetElse",
            "a coupon: `let Some(coupon)` binds it",
            golden_order_with(json!({"coupon": "SAVE10"})),
            &["If order.coupon is not set", "Notify", "Succeed"],
        )
        .calls(&["notify"]),
        GoldenCase::new(
            "LetElse",
            "no coupon: the `else` block's Fail Rejected",
            golden_order(),
            &["If order.coupon is not set", "Fail Rejected"],
        )
        .calls(&[]),
        /* ---- enumerate ---- */
        GoldenCase::new(
            "Enumerate",
            "three items: each iteration gets its index, only the first notifies",
            golden_order_with(json!({"items": items(3)})),
            &["For each item", "For each item 2", "Succeed"],
        )
        .calls(&["pack", "pack", "pack", "notify"]),
        GoldenCase::new(
            "Enumerate",
            "no items: no iteration",
            golden_order_with(json!({"items": []})),
            &["For each item", "For each item 2", "Succeed"],
        )
        .calls(&[]),
        /* ---- returns ---- */
        GoldenCase::new(
            "Returns",
            "return Err(Rejected { reason }) (empty order): Fail with the fields as cause",
            golden_order_with(json!({"items": []})),
            &[RETURNS_EMPTY, "Fail Rejected"],
        )
        .calls(&[]),
        GoldenCase::new(
            "Returns",
            "return Err(TooLarge) (unit variant): Fail with its message",
            golden_order_with(json!({"totalCents": 10_000_001})),
            &[RETURNS_EMPTY, RETURNS_LARGE, "Fail TooLarge"],
        )
        .calls(&[]),
        GoldenCase::new(
            "Returns",
            "return Ok(Held) (express): Succeed with a constant",
            golden_order_with(json!({"express": true})),
            &[RETURNS_EMPTY, RETURNS_LARGE, RETURNS_EXPRESS, "Succeed"],
        )
        .calls(&[]),
        GoldenCase::new(
            "Returns",
            "Ok(Shipped { tracking }) at the end (express omitted)",
            golden_order(),
            &[RETURNS_EMPTY, RETURNS_LARGE, RETURNS_EXPRESS, "Reserve", "Succeed 2"],
        )
        .calls(&["reserve"]),
        GoldenCase::new(
            "Returns",
            "? on a failed call (out of stock, express false)",
            golden_order_with(
                json!({"express": false, "items": [{"sku": "PIANO-9", "quantity": 101, "priceCents": 1}]}),
            ),
            &[RETURNS_EMPTY, RETURNS_LARGE, RETURNS_EXPRESS, "Reserve"],
        )
        .calls(&["reserve"]),
        /* ---- child ---- */
        // The interpreter cannot run a `.sync:2` child here (tests/asl-tools answers child
        // executions from mocks): the child Task is answered with the native child run's result,
        // so these check the parent's wiring only (the child's input, its output read back).
        GoldenCase::new(
            "ParentOrder",
            "the child succeeds: its output is the parent's",
            golden_order(),
            &["Sequential", "Succeed"],
        )
        .child("Sequential")
        .calls(&[]),
        GoldenCase::new(
            "ParentOrder",
            "the child fails (card declined): its own error is raised again, as `?` does natively",
            golden_order_with(json!({"totalCents": 0})),
            &["Sequential", "Sequential failed"],
        )
        .child("Sequential")
        .calls(&[]),
        /* ---- overrides ---- */
        GoldenCase::new("Overrides", "both calls succeed", golden_order(), &["Charge the card", "Charge", "Succeed"])
            .calls(&["charge", "charge"]),
        GoldenCase::new(
            "Overrides",
            "Fraud on every attempt: the call-site Retry (Fraud listed) retries 5 times, jittered, capped at 30 s",
            golden_order_with(json!({"totalCents": 13})),
            &["Charge the card"],
        )
        .calls(&["charge", "charge", "charge", "charge", "charge", "charge"])
        .retries(&[("Charge the card", JitteredUpTo(&[5.0, 10.0, 20.0, 30.0, 30.0]))]),
        GoldenCase::new(
            "Overrides",
            "gateway down on every attempt: the call-site Retry, exhausted",
            golden_order_with(json!({"totalCents": 5})),
            &["Charge the card"],
        )
        .calls(&["charge", "charge", "charge", "charge", "charge", "charge"])
        .retries(&[("Charge the card", JitteredUpTo(&[5.0, 10.0, 20.0, 30.0, 30.0]))]),
        GoldenCase::new(
            "Overrides",
            "gateway down once on the first call: retried after at most 5 s",
            golden_order(),
            &["Charge the card", "Charge", "Succeed"],
        )
        .inject(gateway_once().in_state("Charge the card"))
        .calls(&["charge", "charge", "charge"])
        .retries(&[("Charge the card", JitteredUpTo(&[5.0]))]),
        GoldenCase::new(
            "Overrides",
            "card declined: not in the call-site Retry",
            golden_order_with(json!({"totalCents": 0})),
            &["Charge the card"],
        )
        .calls(&["charge"]),
        // Natively the second charge (of the first one's amount) cannot fail.
        GoldenCase::new(
            "Overrides",
            "gateway down on the second call: #[task(retry())] removed the activity's Retry",
            golden_order(),
            &["Charge the card", "Charge"],
        )
        .inject(Injection::error("charge", "GatewayDown", "the gateway did not answer").in_state("Charge"))
        .declared(Err(native_error("GatewayDown", "the gateway did not answer")))
        .calls(&["charge", "charge"]),
        /* ---- callback ---- */
        // The interpreter runs the real ask_manager (it must accept `{input, taskToken}`), then the
        // tool completes the token (SendTaskSuccess/Failure) as the injection says. Natively the
        // activity approves small expenses itself.
        GoldenCase::new(
            "Approval",
            "small expense, approved (natively by the activity, in the interpreter by the callback)",
            json!({"employee": "ann", "amountCents": 500}),
            &["AskManager", APPROVAL_CHOICE, "Succeed"],
        )
        .inject(Injection::callback("ask_manager", json!({"output": {"approved": true, "approver": "auto"}})))
        .calls(&["ask_manager"]),
        // Natively only small expenses are answered (approved); a larger one times out after 7 days.
        GoldenCase::new(
            "Approval",
            "the callback says not approved: Fail Rejected",
            json!({"employee": "ann", "amountCents": 50_000}),
            &["AskManager", APPROVAL_CHOICE, "Fail Rejected"],
        )
        .inject(Injection::callback("ask_manager", json!({"output": {"approved": false, "approver": "boss"}})))
        .declared(Err(native_error("Rejected", "the expense was rejected")))
        .calls(&["ask_manager"]),
        // SendTaskFailure: the Task fails with its error and cause. (Natively the errorMessage
        // would be `ManagerAway: on holiday`, CallbackError's Display: see the Refused case.)
        GoldenCase::new(
            "Approval",
            "the callback fails (SendTaskFailure ManagerAway): the execution fails with it",
            json!({"employee": "ann", "amountCents": 50_000}),
            &["AskManager"],
        )
        .inject(Injection::callback("ask_manager", json!({"error": "ManagerAway", "cause": "on holiday"})))
        .declared(Err(native_error("ManagerAway", "on holiday")))
        .calls(&["ask_manager"]),
        GoldenCase::new(
            "Approval",
            "the activity itself fails (Refused): retried twice (1, 2 s), then the execution fails",
            json!({"employee": "", "amountCents": 500}),
            &["AskManager"],
        )
        .inject(Injection::callback("ask_manager", json!({"output": {"approved": true, "approver": "auto"}})))
        .calls(&["ask_manager", "ask_manager", "ask_manager"])
        .retries(&[("AskManager", Exactly(&[1.0, 2.0]))]),
        /* ---- semantics: one meaning natively and as a state machine ---- */
        // Nobody answers the adjuster's callback: States.Timeout after 2 s (really, in the
        // interpreter), caught; a big claim raises it again, as Stepcraft.Timeout (a Fail state
        // may not raise a States.* name) with the timeout's empty cause.
        GoldenCase::new(
            "Reraise",
            "a caught callback timeout raised again: Stepcraft.Timeout, empty cause",
            json!({"claimId": "c-1", "amountCents": 500_000}),
            &["AskAdjuster", "If claim.amount_cents > 100000", "Fail"],
        )
        .calls(&["ask_adjuster"])
        .local_known(
            "a Fail whose Cause evaluates to \"\": the local executor ends the execution with cause \"\", the \
             interpreter with none; no AWS recording settles which (a caught timeout's Cause is \"\" on AWS, an \
             uncaught one's execution has none)",
            &["local vs interpreter: cause Some(\"\") vs None"],
        ),
        GoldenCase::new(
            "Reraise",
            "a caught callback timeout on a small claim: paid automatically",
            json!({"claimId": "c-2", "amountCents": 500}),
            &["AskAdjuster", "If claim.amount_cents > 100000", "Set verdict", "Succeed"],
        )
        .calls(&["ask_adjuster"]),
        // The supplier answers after 5 s, past its Task's 1 s TimeoutSeconds (2 s, really, in
        // the interpreter): natively too, the timeout is the activity error type's
        // `Failed(CallbackError)`, so the catch-all arm runs as the Catch on States.ALL does.
        GoldenCase::new(
            "Requote",
            "the supplier answers in time",
            json!({"sku": "A-1", "delayS": 0, "strict": false}),
            &["AskSupplier", "Succeed"],
        )
        .calls(&["ask_supplier"]),
        GoldenCase::new(
            "Requote",
            "a timed-out activity caught by the catch-all arm: the list price",
            json!({"sku": "A-1", "delayS": 5, "strict": false}),
            &["AskSupplier", "If request.strict", "Set quote", "Succeed"],
        )
        .inject(Injection::slow("ask_supplier", 2.0))
        .calls(&["ask_supplier"]),
        GoldenCase::new(
            "Requote",
            "a timed-out activity caught and raised again: Stepcraft.Timeout",
            json!({"sku": "A-1", "delayS": 5, "strict": true}),
            &["AskSupplier", "If request.strict", "Fail"],
        )
        .inject(Injection::slow("ask_supplier", 2.0))
        .calls(&["ask_supplier"])
        .local_known(
            "a Fail whose Cause evaluates to \"\": the local executor ends the execution with cause \"\", the \
             interpreter with none (as in Reraise)",
            &["local vs interpreter: cause Some(\"\") vs None"],
        ),
        // The activity is busy on its first attempt of each run: natively too, the Retry
        // (1 s later) gets the room.
        GoldenCase::new(
            "Rebook",
            "busy once: the activity's Retry applies natively as in the state machine",
            json!({"key": "busy-once", "busyTimes": 1, "rooms": 3}),
            &["BookRoom", "Succeed"],
        )
        .calls(&["book_room", "book_room"])
        .retries(&[("BookRoom", Exactly(&[1.0]))]),
        GoldenCase::new(
            "Rebook",
            "busy on every attempt: retried twice (1, 2 s), then Busy with Lambda's error report as cause",
            json!({"key": "busy-always", "busyTimes": 5, "rooms": 3}),
            &["BookRoom"],
        )
        .calls(&["book_room", "book_room", "book_room"])
        .retries(&[("BookRoom", Exactly(&[1.0, 2.0]))]),
        GoldenCase::new(
            "Rebook",
            "no rooms: the execution's cause is Lambda's error report, natively too",
            json!({"key": "no-rooms", "busyTimes": 0, "rooms": 0}),
            &["BookRoom"],
        )
        .calls(&["book_room"]),
        // The desk is busy on the first attempt of each run: the callback's #[task(..)] Retry
        // (1 s later) applies natively as in the state machine, and the second attempt's token
        // is completed (natively and locally by the activity, in the interpreter by the tool).
        GoldenCase::new(
            "Recheck",
            "a callback busy once: its Task's Retry applies natively too, the retry is answered",
            json!({"key": "desk-busy-once", "busyTimes": 1, "rooms": 1}),
            &["AskDesk", "Succeed"],
        )
        .inject(Injection::callback("ask_desk", json!({"output": {"paid": true, "by": "desk"}})))
        .calls(&["ask_desk", "ask_desk"])
        .retries(&[("AskDesk", Exactly(&[1.0]))]),
        GoldenCase::new(
            "Recheck",
            "a callback busy on every attempt: retried twice (1, 2 s), then Busy",
            json!({"key": "desk-busy-always", "busyTimes": 5, "rooms": 1}),
            &["AskDesk"],
        )
        .inject(Injection::callback("ask_desk", json!({"output": {"paid": true, "by": "desk"}})))
        .calls(&["ask_desk", "ask_desk", "ask_desk"])
        .retries(&[("AskDesk", Exactly(&[1.0, 2.0]))]),
    ]
}

/// Seconds since the Unix epoch of `YYYY-MM-DDTHH:MM:SS[.fff]Z`.
fn epoch_seconds(timestamp: &str) -> f64 {
    let ms = stepcraft::local::parse_timestamp(timestamp).unwrap_or_else(|| panic!("not a timestamp: {timestamp}"));
    ms as f64 / 1000.0
}

fn compare_golden(
    case: &GoldenCase,
    expected: Option<&Result<Value, NativeError>>,
    run: &Execution,
    top_level: &[String],
) -> Vec<String> {
    let mut problems = match (expected, &case.reference) {
        (Some(expected), _) => compare_outcome(expected, run, "interpreter"),
        (None, Reference::FailsWith(error)) => {
            let mut problems = Vec::new();
            if !run.tool_errors.is_empty() {
                problems.push(format!("tool errors: {:?}", run.tool_errors));
            }
            if run.status != "FAILED" || run.error.as_deref() != Some(error) {
                problems.push(format!(
                    "expected FAILED with {error}; interpreter: {} error {:?} cause {:?}",
                    run.status, run.error, run.cause
                ));
            }
            problems
        }
        (None, _) => unreachable!("a native or declared result for every other case"),
    };
    let entered = top_level_entered(run, top_level);
    let states = checked_first(case.states);
    if entered != states {
        problems.push(format!("top-level states entered: {entered:?}, expected {states:?}"));
    }
    if let Some(calls) = case.calls {
        check_calls(run, calls, &mut problems);
    }
    for (state, expected) in case.retries {
        let delays = run.retry_delays(state);
        let ok = match expected {
            Backoffs::Exactly(want) => delays == *want,
            Backoffs::JitteredUpTo(caps) => {
                delays.len() == caps.len() && delays.iter().zip(*caps).all(|(d, cap)| (0.0..=*cap).contains(d))
            }
        };
        if !ok {
            let want = match expected {
                Backoffs::Exactly(want) => format!("{want:?}"),
                Backoffs::JitteredUpTo(caps) => format!("each in [0, cap] for caps {caps:?}"),
            };
            problems.push(format!("{state} back-offs {delays:?}, expected {want}"));
        }
    }
    let retries = &run.backoffs;
    let expected_retries: usize = case
        .retries
        .iter()
        .map(|(_, b)| match b {
            Backoffs::Exactly(d) | Backoffs::JitteredUpTo(d) => d.len(),
        })
        .sum();
    if retries.len() != expected_retries {
        problems.push(format!("retries: {retries:?}, expected {expected_retries}"));
    }
    let waits = run.waits();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs_f64();
    let waits_ok = waits.len() == case.waits.len()
        && waits.iter().zip(case.waits).all(|(got, want)| match want {
            WaitFor::Seconds(s) => got == s,
            WaitFor::Until(t) => (got - (epoch_seconds(t) - now)).abs() <= TIMESTAMP_SLACK_S,
        });
    if !waits_ok {
        let want: Vec<String> = case
            .waits
            .iter()
            .map(|w| match w {
                WaitFor::Seconds(s) => format!("{s}"),
                WaitFor::Until(t) => format!("until {t} (≈ {:.0})", epoch_seconds(t) - now),
            })
            .collect();
        problems.push(format!("waits {waits:?}, expected {want:?}"));
    }
    if let Some(child) = case.child {
        // The child is started with the parent's input, on the child's state machine.
        let scheduled: Vec<Value> = run
            .events
            .iter()
            .filter(|e| e["type"] == "TaskScheduled")
            .filter_map(|e| serde_json::from_str(e["parameters"].as_str()?).ok())
            .collect();
        let want = json!({"StateMachineArn": asl::state_machine_arn(child), "Input": case.input});
        if scheduled != [want.clone()] {
            problems.push(format!("child Task parameters {scheduled:?}, expected [{want}]"));
        }
    }
    problems
}

/// The tool's mock answering a child workflow's Task with a native run of the child: its
/// output, or its failure as the child execution's error and cause (the cause of an execution
/// failed by a Lambda error is the error payload as JSON text).
fn child_mock(binary: &Path, child: &str, input: &Value) -> Value {
    let answer = match asl::invoke(binary, child, input).result {
        Ok(output) => json!({"return": output}),
        // `invoke` of a workflow reports the execution's cause as its message.
        Err(e) => json!({ "error": e.error_type, "cause": e.error_message }),
    };
    json!({ child: answer })
}

#[test]
fn golden_workflows_in_a_third_party_interpreter_and_the_local_executor_match_their_native_runs() {
    let start = Instant::now();
    let golden = asl::deployable("stepcraft-tests", "golden");
    let cases = golden_cases();
    let workflows: std::collections::BTreeSet<&str> = cases.iter().map(|c| c.workflow).collect();
    let synthesized: std::collections::BTreeSet<&str> = golden.definitions.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(workflows, synthesized, "every golden workflow has cases, and only those");

    // One batch for every case; the native runs (a process each) and the local ones
    // (in-process) meanwhile.
    let batch: Vec<asl::Case> = cases
        .iter()
        .map(|case| asl::Case {
            name: format!("{}: {}", case.workflow, case.name),
            definition: golden.definition(case.workflow).path.clone(),
            input: case.input.clone(),
            options: Options {
                activities: Some(golden.binary.clone()),
                inject: case.inject.clone(),
                mocks: case.child.map(|child| child_mock(&golden.binary, child, &case.input)),
                machine_type: MachineType::Standard,
            },
        })
        .collect();
    let (natives, runs, locals) = std::thread::scope(|s| {
        let natives = s.spawn(|| {
            cases
                .iter()
                .map(|case| match case.reference {
                    Reference::Native => Some(asl::invoke(&golden.binary, case.workflow, &case.input)),
                    _ => None,
                })
                .collect::<Vec<Option<Invocation>>>()
        });
        let locals = s.spawn(|| {
            let base = golden_local();
            cases
                .iter()
                .map(|case| run_locally(&base, case.workflow, case.name, &case.input, &case.inject))
                .collect::<Vec<LocalRun>>()
        });
        let runs = asl::execute_batch(&batch);
        (natives.join().expect("the native runs"), runs, locals.join().expect("the local runs"))
    });

    let mut failures = Vec::new();
    let mut still_known = Vec::new();
    for (((case, native), run), local) in cases.iter().zip(&natives).zip(&runs).zip(&locals) {
        let definition = golden.definition(case.workflow);
        let expected = match (&case.reference, native) {
            (Reference::Native, Some(native)) => {
                assert!(
                    native.elapsed < Duration::from_secs(30),
                    "{}: the native run took {:?}: does `invoke` really sleep?",
                    case.name,
                    native.elapsed
                );
                Some(native.result.clone())
            }
            (Reference::Declared(result), _) => Some(result.clone()),
            _ => None,
        };
        let top_level = definition.top_level_states();
        let mut problems = compare_golden(case, expected.as_ref(), run, &top_level);
        let (waited, limit) = (waited(run), execution_limit(&definition.json));
        if run.status == "SUCCEEDED" && waited >= limit {
            problems.push(format!(
                "would time out on AWS: waits {waited} s, limit {limit} s (TimeoutSeconds, at most a year)"
            ));
        }
        let label = format!("{}: {}", case.workflow, case.name);
        let rules = LocalRules {
            top_level: &top_level,
            deterministic: case.calls.is_some(),
            jittered: case
                .retries
                .iter()
                .filter_map(|(state, backoffs)| match backoffs {
                    Backoffs::JitteredUpTo(caps) => Some((*state, *caps)),
                    Backoffs::Exactly(_) => None,
                })
                .collect(),
            until: case
                .waits
                .iter()
                .map(|w| match w {
                    WaitFor::Until(timestamp) => Some(*timestamp),
                    WaitFor::Seconds(_) => None,
                })
                .collect(),
        };
        let want = match (&expected, &case.reference) {
            (Some(expected), _) => Want::Result(expected),
            (None, Reference::FailsWith(error)) => Want::FailsWith(error),
            (None, _) => unreachable!("a native or declared result for every other case"),
        };
        let local_problems = three_way(&want, &rules, &local.execution, run);
        print_case(&label, run, native.as_ref(), local, &problems, &local_problems);
        judge(&label, &problems, case.known_mismatch.as_ref(), &mut failures, &mut still_known);
        judge(
            &format!("{label} (local executor)"),
            &local_problems,
            case.local_known.as_ref(),
            &mut failures,
            &mut still_known,
        );
    }
    for known in &still_known {
        eprintln!("known mismatch, reported: {known}");
    }
    assert!(failures.is_empty(), "native vs interpreter vs local executor:\n{}", failures.join("\n"));
    eprintln!("{} three-way golden cases in {:.1}s", cases.len(), start.elapsed().as_secs_f64());
}

/* ------------------------------------ THREE-WAY: THE LOCAL EXECUTOR ------------------------------------ */

// Every case of tests 2 and 3 also runs with `stepcraft::local::Local` (rules at the top).

/// The checkout workflow and its activities, hosted by the local executor.
fn checkout_local() -> Local {
    Local::new()
        .host(checkout::checkout {})
        .host(checkout::reserve_inventory {})
        .host(checkout::charge_payment {})
        .host(checkout::release_inventory {})
        .host(checkout::pack_item {})
        .host(checkout::ship_order {})
        .host(checkout::send_receipt {})
}

/// Every golden workflow (so that `ParentOrder`'s child execution runs `Sequential`) and
/// activity, hosted by the local executor.
fn golden_local() -> Local {
    use golden::{
        branch_return, callback, catch, child, choice, common, distributed, enumerate, join, let_else, map, overrides,
        parallel, returns, semantics, sequential, strings, wait, wait_millis,
    };
    Local::new()
        .host(semantics::reraise {})
        .host(semantics::ask_adjuster {})
        .host(semantics::rebook {})
        .host(semantics::book_room {})
        .host(semantics::recheck {})
        .host(semantics::ask_desk {})
        .host(semantics::requote {})
        .host(semantics::ask_supplier {})
        .host(join::join {})
        .host(sequential::sequential {})
        .host(strings::name_length {})
        .host(catch::catch {})
        .host(choice::choice {})
        .host(parallel::parallel {})
        .host(map::map {})
        .host(wait::wait {})
        .host(wait_millis::wait_millis {})
        .host(branch_return::branch_return {})
        .host(let_else::let_else {})
        .host(enumerate::enumerate {})
        .host(distributed::distributed {})
        .host(distributed::check_stock {})
        .host(returns::returns {})
        .host(child::child {})
        .host(overrides::overrides {})
        .host(callback::approval {})
        .host(callback::ask_manager {})
        .host(common::reserve {})
        .host(common::charge {})
        .host(common::release {})
        .host(common::notify {})
        .host(common::pack {})
        .host(common::review {})
}

/// A case run by the local executor: in the interpreter's terms, and as the executor gave it
/// (for its trace).
struct LocalRun {
    execution: Execution,
    result: ExecutionResult,
}

/// Runs workflow `workflow` of `base` on `input` with the injections as interceptors.
fn run_locally(base: &Local, workflow: &str, name: &str, input: &Value, inject: &[Injection]) -> LocalRun {
    let start = Instant::now();
    let local = asl::intercepting(base.clone(), inject);
    let result = asl::run_local(&local, workflow, input).unwrap_or_else(|e| panic!("{name}: local executor: {e}"));
    LocalRun { execution: Execution::from_local(name, &result, start.elapsed()), result }
}

/// How a case's local run is compared with its interpreter run.
struct LocalRules<'a> {
    /// The top-level states of the state machine.
    top_level: &'a [String],
    /// Whether the states entered in Parallel branches and Map iterations, and the Lambda calls,
    /// are deterministic (not when a branch fails while the others may still be running).
    deterministic: bool,
    /// The states whose back-offs are jittered (`JitterStrategy: FULL`), with their caps.
    jittered: Vec<(&'static str, &'static [f64])>,
    /// Which Wait (by position) waits until a timestamp, and which.
    until: Vec<Option<&'static str>>,
}

fn show(value: Option<&Value>) -> String {
    value.map_or_else(|| "-".to_owned(), Value::to_string)
}

/// Causes agree: both absent, both JSON objects that parse equal, or equal texts.
fn same_cause(a: Option<&str>, b: Option<&str>) -> bool {
    let object = |c: &str| serde_json::from_str::<Value>(c).ok().filter(Value::is_object);
    match (a, b) {
        (Some(a), Some(b)) => match (object(a), object(b)) {
            (Some(a), Some(b)) => a == b,
            _ => a == b,
        },
        (a, b) => a == b,
    }
}

fn sorted<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort();
    items
}

fn sorted_seconds(delays: &[f64]) -> Vec<f64> {
    let mut delays = delays.to_vec();
    delays.sort_by(f64::total_cmp);
    delays
}

/// The local run against the interpreter's (rules at the top): the problems, empty if none.
fn compare_local(rules: &LocalRules<'_>, local: &Execution, interpreter: &Execution) -> Vec<String> {
    let mut problems = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            problems.push(format!("local vs interpreter: {what}"));
        }
    };
    check(local.status == interpreter.status, format!("status {} vs {}", local.status, interpreter.status));
    check(
        local.output == interpreter.output,
        format!("output {} vs {}", show(local.output.as_ref()), show(interpreter.output.as_ref())),
    );
    check(local.error == interpreter.error, format!("error {:?} vs {:?}", local.error, interpreter.error));
    check(
        same_cause(local.cause.as_deref(), interpreter.cause.as_deref()),
        format!("cause {:?} vs {:?}", local.cause, interpreter.cause),
    );
    let (l, i) = (top_level_entered(local, rules.top_level), top_level_entered(interpreter, rules.top_level));
    check(l == i, format!("top-level states entered {l:?} vs {i:?}"));
    if rules.deterministic {
        let (l, i) = (sorted(local.states_entered.clone()), sorted(interpreter.states_entered.clone()));
        check(l == i, format!("states entered (as a multiset) {l:?} vs {i:?}"));
        let (l, i) = (sorted(local.lambda_calls()), sorted(interpreter.lambda_calls()));
        check(l == i, format!("Lambda calls {l:?} vs {i:?}"));
    }
    let (l, i) = (local.retries_by_state(), interpreter.retries_by_state());
    let states: std::collections::BTreeSet<&String> = l.keys().chain(i.keys()).collect();
    for state in states {
        let (ld, id) = (l.get(state).map_or(&[][..], Vec::as_slice), i.get(state).map_or(&[][..], Vec::as_slice));
        let ok = match rules.jittered.iter().find(|(s, _)| s == state) {
            Some((_, caps)) => {
                ld.len() == id.len()
                    && ld.len() == caps.len()
                    && ld.iter().zip(*caps).all(|(d, cap)| (0.0..=*cap).contains(d))
            }
            None => sorted_seconds(ld) == sorted_seconds(id),
        };
        check(ok, format!("{state} back-offs {ld:?} vs {id:?}"));
    }
    let (lw, iw) = (local.waits(), interpreter.waits());
    let waits_ok = lw.len() == iw.len()
        && lw.iter().zip(&iw).enumerate().all(|(n, (l, i))| match rules.until.get(n).copied().flatten() {
            // Until a timestamp: the local Wait ends then (at once if it is past; the
            // interpreter's seconds are from the wall clock), and both wait or neither.
            Some(timestamp) => {
                let entered = local.wait_entered.get(n).copied().flatten();
                let ends_then = entered.is_some_and(|e| (e + l - e.max(epoch_seconds(timestamp))).abs() < 0.001);
                ends_then && (*l > 0.0) == (*i > 0.0)
            }
            None => l == i,
        });
    check(waits_ok, format!("waits {lw:?} vs {iw:?}"));
    problems
}

/// Files a case's `problems` under its mark: none and no mark is fine; problems all covered by
/// the mark are still known; anything else fails (a mark with nothing left to find too).
fn judge(
    label: &str,
    problems: &[String],
    known: Option<&Known>,
    failures: &mut Vec<String>,
    still_known: &mut Vec<String>,
) {
    match (known, problems.is_empty()) {
        (None, true) => {}
        (None, false) => failures.push(format!("{label}:\n  {}", problems.join("\n  "))),
        (Some(known), true) => failures.push(format!(
            "{label}: marked as a known mismatch ({}) but it no longer happens: remove the mark",
            known.why
        )),
        (Some(known), false) => {
            let unexpected: Vec<&str> =
                problems.iter().filter(|p| !known.problems.iter().any(|k| p.contains(k))).map(String::as_str).collect();
            if unexpected.is_empty() {
                still_known.push(format!("{label} (known: {})", known.why));
            } else {
                failures.push(format!(
                    "{label}: besides the known mismatch ({}):\n  {}",
                    known.why,
                    unexpected.join("\n  ")
                ));
            }
        }
    }
}

/// What a case's local run must give besides agreeing with the interpreter's.
enum Want<'a> {
    /// The native run's result, or the declared one.
    Result(&'a Result<Value, NativeError>),
    /// A failure with this error (cause not compared).
    FailsWith(&'a str),
}

/// The status, output, error and cause of `run` (by `who`) against what is wanted: the
/// problems, empty if none.
fn compare_want(want: &Want<'_>, run: &Execution, who: &str) -> Vec<String> {
    match want {
        Want::Result(expected) => compare_outcome(expected, run, who),
        Want::FailsWith(error) => {
            let mut problems = Vec::new();
            if !run.tool_errors.is_empty() {
                problems.push(format!("tool errors: {:?}", run.tool_errors));
            }
            if run.status != "FAILED" || run.error.as_deref() != Some(*error) {
                problems.push(format!(
                    "expected FAILED with {error}; {who}: {} error {:?} cause {:?}",
                    run.status, run.error, run.cause
                ));
            }
            problems
        }
    }
}

/// The local run's problems: against the native (or declared) result, then against the
/// interpreter's run.
fn three_way(want: &Want<'_>, rules: &LocalRules<'_>, local: &Execution, interpreter: &Execution) -> Vec<String> {
    let mut problems: Vec<String> =
        compare_want(want, local, "local").into_iter().map(|p| format!("local vs native: {p}")).collect();
    problems.extend(compare_local(rules, local, interpreter));
    problems
}

/// One line per case (its problems under it, and the local executor's trace when it has any).
fn print_case(
    name: &str,
    run: &Execution,
    native: Option<&Invocation>,
    local: &LocalRun,
    problems: &[String],
    local_problems: &[String],
) {
    let ok = problems.is_empty() && local_problems.is_empty();
    eprintln!(
        "{} {:>5.0} ms interpreter, {:>4.0} ms native, {:>3.0} ms local: {name}{}{}",
        if ok { "ok  " } else { "DIFF" },
        run.elapsed.as_secs_f64() * 1000.0,
        native.map_or(0.0, |n| n.elapsed.as_secs_f64() * 1000.0),
        local.execution.elapsed.as_secs_f64() * 1000.0,
        problems.iter().chain(local_problems).map(|p| format!("\n       {p}")).collect::<String>(),
        if local_problems.is_empty() { String::new() } else { format!("\n{}", local.result.trace()) },
    );
}
