//! The ASL stepcraft emits, checked by implementations we did not write (`tests/asl-tools`):
//!
//! 1. every golden definition (`tests/golden/*.asl.json`) and every workflow of
//!    `examples/checkout`, placeholders substituted as the deployment template would, passes
//!    the four public validators;
//! 2. `examples/checkout`'s state machine, run in a third-party Step Functions interpreter
//!    (moto's port of LocalStack's) with every Lambda task answered by the real Rust activity,
//!    ends as the workflow run natively (`checkout invoke checkout`) does.
//!
//! How results are compared (test 2):
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
//! * retries and waits: from the interpreter's notes (it skips and records them).

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use stepcraft_tests::asl::{self, Execution, Injection, Invocation, MachineType, NativeError, Options};

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
            "State Machine.States.Wait.Seconds is \"{% $states.context.Execution.Input.delayMinutes * 60 %}\" but should be an Integer",
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
}

/// The interpreter skips waits, so a run whose waits add up past the machine's
/// `TimeoutSeconds` (which would end TIMED_OUT on AWS) is caught by arithmetic: the waits of a
/// successful run must stay under it. (`checkout` once slept its whole 1 h timeout away.)
/// `true` would mark such runs as known to overrun.
const KNOWN_WAITS_REACH_TIMEOUT: bool = false;

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
        },
        Case {
            // `express` is `#[serde(default)]`: the input schema does not require it and the
            // native run takes it as false. The ASL reads
            // `$states.context.Execution.Input.express` (ShipOrder's Arguments, the Choice's
            // Condition), which is undefined → States.QueryEvaluationError on AWS; the
            // interpreter reports it as States.Runtime ("Custom Error Names MUST NOT begin
            // with the prefix 'States.'", its garbled report of a States.* error leaving a
            // Parallel branch). Either way the execution fails where the native run succeeds.
            name: "express omitted (serde default false)",
            input: order_with(json!({"express": null})),
            inject: vec![],
            expected: Expected::Native,
            states: HAPPY_STATES,
            calls: Some(HAPPY_CALLS),
            retries: &[],
            waits: &[3600.0],
            known_mismatch: None,
        },
    ]
}

/// What the interpreter gave against what was expected: the problems, empty if none.
fn compare(case: &Case, expected: &Result<Value, NativeError>, run: &Execution, top_level: &[String]) -> Vec<String> {
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
                    "native: Ok({output}); interpreter: {} output {} error {:?} cause {:?}",
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
                    "native: Err({} / {:?}); interpreter: {} error {:?} cause {:?}",
                    native.error_type, native.error_message, run.status, run.error, run.cause
                ),
            );
            let cause = run.cause.as_deref().unwrap_or_default();
            match serde_json::from_str::<Value>(cause) {
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
    let entered: Vec<&str> = run.states_entered.iter().filter(|s| top_level.contains(s)).map(String::as_str).collect();
    check(entered == case.states, format!("top-level states entered: {entered:?}, expected {:?}", case.states));
    if let Some(calls) = case.calls {
        let mut got = run.lambda_calls();
        got.sort();
        let mut want: Vec<String> = calls.iter().map(|s| (*s).to_owned()).collect();
        want.sort();
        check(got == want, format!("Lambda calls: {got:?}, expected {want:?}"));
    }
    for (state, expected) in case.retries {
        let delays = run.retry_delays(state);
        check(delays == *expected, format!("{state} back-offs {delays:?}, expected {expected:?}"));
    }
    let retries: Vec<&String> = run.notes.iter().filter(|n| n.starts_with("retry #")).collect();
    let expected = case.retries.iter().map(|(_, delays)| delays.len()).sum::<usize>();
    check(retries.len() == expected, format!("retries: {retries:?}, expected {:?}", case.retries));
    let waits = run.waits();
    check(waits == case.waits, format!("waits {waits:?}, expected {:?}", case.waits));
    problems
}

#[test]
fn checkout_in_a_third_party_interpreter_matches_the_native_run() {
    let start = Instant::now();
    let checkout = asl::deployable("checkout", "checkout");
    let definition = checkout.definition("Checkout");
    let top_level = definition.top_level_states();
    let cases = cases();

    // The native runs (one process each) alongside the interpreter's batch (one process).
    let (natives, runs) = std::thread::scope(|s| {
        let natives = s.spawn(|| {
            cases
                .iter()
                .map(|case| match &case.expected {
                    Expected::Native => Some(asl::invoke(&checkout.binary, "checkout", &case.input)),
                    Expected::Declared(_) => None,
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
        let runs = asl::execute_batch(&batch);
        (natives.join().expect("the native runs"), runs)
    });

    let timeout = definition.json["TimeoutSeconds"].as_f64();
    let mut failures = Vec::new();
    let mut still_known = Vec::new();
    let mut overruns = Vec::new();
    for ((case, native), run) in cases.iter().zip(&natives).zip(&runs) {
        let expected = match (&case.expected, native) {
            (Expected::Native, Some(native)) => {
                // Waits are virtual natively (paused time): an hour's sleep must not be slept.
                assert!(
                    native.elapsed < Duration::from_secs(30),
                    "{}: the native run took {:?}: does `invoke` really sleep?",
                    case.name,
                    native.elapsed
                );
                native.result.clone()
            }
            (Expected::Declared(result), _) => result.clone(),
            (Expected::Native, None) => unreachable!(),
        };
        let problems = compare(case, &expected, run, &top_level);
        let waited: f64 = run.waits().iter().sum();
        if let Some(timeout) = timeout.filter(|t| run.status == "SUCCEEDED" && waited >= *t) {
            overruns.push(format!("{}: waits {waited} s, TimeoutSeconds {timeout}", case.name));
        }
        eprintln!(
            "{} {:>5.0} ms interpreter, {:>4.0} ms native: {}{}",
            if problems.is_empty() { "ok  " } else { "DIFF" },
            run.elapsed.as_secs_f64() * 1000.0,
            native.as_ref().map_or(0.0, |n| n.elapsed.as_secs_f64() * 1000.0),
            case.name,
            problems.iter().map(|p| format!("\n       {p}")).collect::<String>()
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
    assert!(failures.is_empty(), "native vs interpreter:\n{}", failures.join("\n"));
    eprintln!("{} cases in {:.1}s", cases.len(), start.elapsed().as_secs_f64());
}
