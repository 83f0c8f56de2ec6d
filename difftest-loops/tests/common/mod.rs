//! The body of the test binaries `tests/loops_<s>.rs`: each one checks one
//! shard of the functions that `build.rs` generated.

/// Generated constants and coverage tables (`N`, `SEED`, `COVERAGE`, `RUN`,
/// ...).
#[allow(unused)]
pub mod meta {
    include!(concat!(env!("OUT_DIR"), "/meta.rs"));
}

/// Defines `mod generated` (the shard's functions, oracles, wrappers and
/// `CASES`) and the two tests of a shard.
macro_rules! loops_shard {
    ($shard:literal, $file:literal) => {
        autodiff_difftest_harness::shard_tests! {
            shard: $shard,
            file: $file,
            run: common::meta::RUN,
            uses: { use autodiff_difftest_loops::{Case, Point, arr, oracle as o}; },
            check: autodiff_difftest_loops::check_against_oracle,
            max_skip_fraction: autodiff_difftest_loops::MAX_SKIP_FRACTION,
            check_oracle: |cases| autodiff_difftest_loops::check_oracle_by_finite_differences(cases, 1),
            oracle_skips_one_in: 10,
        }
    };
}
