//! Fuzzing the local executor's ASL reader and runs (`stepcraft_tests::fuzz::asl`): a fixed
//! time budget in the test command, longer with `STEPCRAFT_FUZZ_SECONDS` (see `RELIABILITY.md`).

use std::time::Duration;
use stepcraft_tests::fuzz::{self, Budget, asl};

#[test]
fn fuzz_asl_reader_and_runs() {
    fuzz::run("asl", Budget::from_env(20.0), Duration::from_secs(30), asl::case);
}

#[test]
fn every_seed_definition_is_read_without_a_panic() {
    for def in asl::seeds() {
        asl::check(def, serde_json::json!({"a": 1}), 3);
    }
}
