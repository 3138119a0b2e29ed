//! Fuzzing the workflow compiler through `expand_workflow` (`stepcraft_tests::fuzz::compiler`):
//! a fixed time budget in the test command, longer with `STEPCRAFT_FUZZ_SECONDS` (see
//! `RELIABILITY.md`).

use std::time::Duration;
use stepcraft_tests::fuzz::{self, Budget, compiler};

#[test]
fn fuzz_workflow_compiler() {
    fuzz::run("compiler", Budget::from_env(15.0), Duration::from_secs(30), compiler::case);
}
