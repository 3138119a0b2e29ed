//! `cargo +nightly fuzz run events`: `stepcraft_tests::fuzz::events::case`, its choices read from
//! libFuzzer's bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    stepcraft_tests::fuzz::events::case(&mut stepcraft_tests::fuzz::Gen::from_bytes(data));
});
