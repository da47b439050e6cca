//! Compile-time behaviour of `#[handler]`, `#[derive(TypedDetail)]` and `#[derive(Detail)]`:
//! errors point at the user's own tokens.
#[test]
fn handler_macro_diagnostics() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/not_async.rs");
    cases.compile_fail("tests/ui/wrong_argument.rs");
    cases.compile_fail("tests/ui/no_result.rs");
    cases.compile_fail("tests/ui/state_without_init.rs");
    cases.compile_fail("tests/ui/detail_not_a_detail.rs");
    // The derives (one trybuild run: each run builds the crate once).
    cases.compile_fail("tests/ui/typed_detail_*.rs");
    cases.compile_fail("tests/ui/detail_on_struct.rs");
    cases.compile_fail("tests/ui/detail_not_newtype.rs");
    cases.compile_fail("tests/ui/detail_two_catch_alls.rs");
    cases.compile_fail("tests/ui/detail_catch_all_shape.rs");
    cases.compile_fail("tests/ui/detail_variant_keys.rs");
    cases.compile_fail("tests/ui/detail_variant_not_a_detail.rs");
}
