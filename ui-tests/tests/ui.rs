//! Every compile error of `#[grad]`, one problem per file, with its expected
//! message and span (`tests/ui/<category>/<problem>.stderr`). Regenerate with
//! `TRYBUILD=overwrite cargo test -p autodiff-ui-tests` and review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*/*.rs");
}
