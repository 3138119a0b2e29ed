//! The local executor under load (`stepcraft_tests::load`): a thousand concurrent executions of
//! the checkout saga in the test command; `tests/bench/load.sh` runs 10,000 in release and
//! prints the memory figures (see `RELIABILITY.md`).

#[test]
fn a_thousand_concurrent_checkouts_parked_on_callbacks_all_end_right() {
    let report = stepcraft_tests::load::checkout_saga(1000, 7);
    eprintln!("{report}");
    assert_eq!(report.executions, 1000);
    assert_eq!(report.succeeded + report.declined + report.empty, 1000);
    assert_eq!(report.parked, report.succeeded + report.declined);
}
