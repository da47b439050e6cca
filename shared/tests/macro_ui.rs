//! Compile-time behaviour of `#[handler]`: errors point at the user's own tokens.
#[test]
fn handler_macro_diagnostics() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/not_async.rs");
    cases.compile_fail("tests/ui/wrong_argument.rs");
    cases.compile_fail("tests/ui/no_result.rs");
    cases.compile_fail("tests/ui/state_without_init.rs");
    cases.compile_fail("tests/ui/detail_not_a_detail.rs");
}
