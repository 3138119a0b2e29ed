//! `cargo +nightly fuzz run compiler`: `stepcraft_tests::fuzz::compiler::case`, its choices read from
//! libFuzzer's bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    stepcraft_tests::fuzz::compiler::case(&mut stepcraft_tests::fuzz::Gen::from_bytes(data));
});
