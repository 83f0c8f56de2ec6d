//! Every compile error of `#[grad]`, one problem per file, with its expected
//! message and span (`tests/ui/<category>/<problem>.stderr`). Regenerate with
//! `TRYBUILD=overwrite cargo test --test ui` and review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*/*.rs");
}
