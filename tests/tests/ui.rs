//! Compile-fail tests: every misuse of stepcraft's attributes is a spanned error that says what
//! to write instead. Bless with `TRYBUILD=overwrite cargo test -p stepcraft-tests --test ui`.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/*.rs");
}
