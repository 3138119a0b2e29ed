//! Fuzzing the escaping of what reaches emitted JSONata (`stepcraft_tests::fuzz::escaping`): a
//! fixed time budget in the test command, longer with `STEPCRAFT_FUZZ_SECONDS` (see
//! `RELIABILITY.md`).

use std::time::Duration;
use stepcraft_tests::fuzz::{self, Budget, escaping};

#[test]
fn fuzz_escaping_of_emitted_jsonata() {
    fuzz::run("escaping", Budget::from_env(10.0), Duration::from_secs(30), escaping::case);
}

#[test]
fn a_field_renamed_to_the_empty_string_is_built() {
    escaping::check_object(vec!["", "b"], &[serde_json::json!(1), serde_json::json!("x")]);
}

#[test]
fn a_template_like_string_inside_a_literal_stays_a_string() {
    escaping::check_literal(&serde_json::json!({"note": "{% $states.input %}", "list": ["{%%}"]}));
}

#[test]
fn a_field_name_with_a_backquote_is_read() {
    escaping::check_field("a`b", "c", &serde_json::json!(1));
}
