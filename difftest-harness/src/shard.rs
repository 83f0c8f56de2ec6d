//! The two tests of a test binary that checks one shard of generated
//! functions ([`shard_tests!`](crate::shard_tests)).

/// Defines, in a test binary, `mod generated` (the shard's generated file
/// `$OUT_DIR/<file>`, with `autodiff_core::grad`, `num_dual::{Dual64,
/// DualNum}` and the `uses` in scope) and its two tests:
///
/// * `grad_matches_num_dual_oracle`: [`Run::assert_matches_oracle`] with
///   `check(generated::CASES)` and `max_skip_fraction`;
/// * `oracle_matches_finite_differences`:
///   [`Report::assert_oracle_matches_finite_differences`] on
///   `check_oracle(generated::CASES)`, at most one point in
///   `oracle_skips_one_in` skipped.
///
/// `run` is the generated [`Run`] (the constant `RUN` of `meta.rs`).
///
/// (The generated shards cannot run as a doctest; `difftest/tests/common/mod.rs`
/// calls it so.)
/// ```text
/// autodiff_difftest_harness::shard_tests! {
///     shard: 0,
///     file: "shard_0.rs",
///     run: common::meta::RUN,
///     uses: { use autodiff_difftest::{Case, Fns, oracle as o}; },
///     check: autodiff_difftest::check_against_oracle,
///     max_skip_fraction: autodiff_difftest::MAX_SKIP_FRACTION,
///     check_oracle: autodiff_difftest::check_oracle_by_finite_differences,
///     oracle_skips_one_in: 20,
/// }
/// ```
///
/// [`Run`]: crate::Run
/// [`Run::assert_matches_oracle`]: crate::Run::assert_matches_oracle
/// [`Report::assert_oracle_matches_finite_differences`]: crate::Report::assert_oracle_matches_finite_differences
#[macro_export]
macro_rules! shard_tests {
    (
        shard: $shard:literal,
        file: $file:literal,
        run: $run:expr,
        uses: { $($uses:item)* },
        check: $check:expr,
        max_skip_fraction: $max_skip_fraction:expr,
        check_oracle: $check_oracle:expr,
        oracle_skips_one_in: $one_in:expr $(,)?
    ) => {
        #[allow(
            unused,
            clippy::all,
            clippy::pedantic,
            clippy::nursery,
            double_negations,
            non_snake_case
        )]
        mod generated {
            use autodiff_core::grad;
            use num_dual::{Dual64, DualNum};
            $($uses)*

            include!(concat!(env!("OUT_DIR"), "/", $file));
        }

        #[test]
        fn grad_matches_num_dual_oracle() {
            $run.assert_matches_oracle($shard, $max_skip_fraction, || {
                ($check)(generated::CASES)
            });
        }

        #[test]
        fn oracle_matches_finite_differences() {
            ($check_oracle)(generated::CASES).assert_oracle_matches_finite_differences($one_in);
        }
    };
}
