//! Fuzzing the workflow compiler through `expand_workflow` (`stepcraft_tests::fuzz::compiler`):
//! a fixed time budget in the test command, longer with `STEPCRAFT_FUZZ_SECONDS` (see
//! `RELIABILITY.md`).

use std::time::Duration;
use stepcraft_tests::fuzz::{self, Budget, compiler};

#[test]
fn fuzz_workflow_compiler() {
    fuzz::run("compiler", Budget::from_env(15.0), Duration::from_secs(30), compiler::case);
}

/// The generator reaches the compiler's whole pipeline, not just its first errors: a fair share
/// of the unmutated workflows it makes are accepted, and a fair share refused.
#[test]
fn generated_workflows_are_both_accepted_and_refused() {
    use std::str::FromStr;
    let (mut accepted, mut refused) = (0, 0);
    for seed in 0..400 {
        let (args, item) = compiler::generate(&mut fuzz::Gen::from_seed(seed));
        let args = proc_macro2::TokenStream::from_str(&args).unwrap();
        let item = proc_macro2::TokenStream::from_str(&item).unwrap();
        let output = stepcraft_macros_core::expand_workflow(args, item);
        if compiler::compile_errors(&output).is_empty() { accepted += 1 } else { refused += 1 }
    }
    eprintln!("generated workflows: {accepted} accepted, {refused} refused");
    assert!(accepted >= 40 && refused >= 40, "{accepted} accepted, {refused} refused");
}
