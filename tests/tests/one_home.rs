//! One home per fact: where the proc-macro compiler cannot depend on the crate that owns a
//! fact, it keeps a compile-time copy, and these tests assert that the copies agree.
//!
//! * Step Functions' limits and retry defaults: `stepcraft_local::limits` (the executor's and
//!   the runtime's) against `stepcraft_macros_core::limits` (checked when the code compiles).
//! * `JitterStrategy`: the runtime's `asl::Jitter`, the executor's accepted values and the
//!   compiler's `ir::Jitter`.
//! * Reserved variable names: the JSONata engine's functions against the compiler's table.
//! * PascalCase: the runtime's deployment placeholders against the compiler's state and
//!   machine names.

use stepcraft::asl::{Jitter, Retrier};
use stepcraft_local::limits as local;
use stepcraft_macros_core::limits as macros;

#[test]
fn limits_agree() {
    assert_eq!(macros::MAX_SECONDS, local::MAX_SECONDS);
    assert_eq!(macros::MAX_ATTEMPTS, local::MAX_ATTEMPTS);
    assert_eq!(macros::MAX_DELAY_SECONDS, local::MAX_DELAY_SECONDS);
    assert_eq!(macros::MAX_STATE_NAME, local::MAX_STATE_NAME);
    assert_eq!(macros::MAX_MAP_LABEL, local::MAX_MAP_LABEL);
    assert_eq!(macros::MAP_LABEL_FORBIDDEN, local::MAP_LABEL_FORBIDDEN);
}

#[test]
fn retry_defaults_agree() {
    // The Lambda service retrier writes Step Functions' defaults out; the executor applies the
    // same ones to a retrier that leaves them unset.
    let service = Retrier::lambda_service_errors();
    assert_eq!(service.interval_seconds, Some(local::DEFAULT_INTERVAL_SECONDS));
    assert_eq!(service.max_attempts, Some(local::DEFAULT_MAX_ATTEMPTS));
    assert_eq!(service.backoff_rate, Some(local::DEFAULT_BACKOFF_RATE));
}

#[test]
fn jitter_strategies_agree() {
    let mut asl_names = Vec::new();
    for jitter in stepcraft_macros_core::ir::Jitter::ALL {
        let runtime = match jitter.variant() {
            "None" => Jitter::None,
            "Full" => Jitter::Full,
            other => panic!("the runtime's `asl::Jitter` has no variant `{other}`"),
        };
        assert_eq!(serde_json::to_value(runtime).unwrap(), jitter.asl_name());
        asl_names.push(jitter.asl_name());
    }
    asl_names.sort_unstable();
    let mut executor = local::JITTER_STRATEGIES.to_vec();
    executor.sort_unstable();
    assert_eq!(asl_names, executor);
}

#[test]
fn reserved_names_are_the_engines_functions() {
    let mut compiler = stepcraft_macros_core::body::JSONATA_FUNCTIONS.to_vec();
    let mut engine = stepcraft_jsonata::BUILTIN_FUNCTIONS.to_vec();
    compiler.sort_unstable();
    engine.sort_unstable();
    assert_eq!(
        compiler, engine,
        "`JSONATA_FUNCTIONS` (macros/core/src/body/rules.rs) must list the engine's functions, each once"
    );
}

#[test]
fn placeholders_and_state_names_agree_on_pascal_case() {
    // Names as `name = "…"` and identifiers spell them: letters, digits, `_` and `-`.
    for name in ["charge_payment", "lookup-order", "Checkout", "a_b_c", "ship2_order", "__x", "Order-Ready_2"] {
        let placeholder = stepcraft::workflow::placeholder(name, "");
        assert_eq!(
            placeholder,
            format!("${{{}}}", stepcraft_macros_core::naming::pascal(name)),
            "placeholder of `{name}`"
        );
    }
}
