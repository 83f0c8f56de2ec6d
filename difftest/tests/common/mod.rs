//! The body of the test binaries `tests/differential_<s>.rs`: each one checks
//! one shard of the functions that `build.rs` generated.

/// Generated constants and coverage tables (`N`, `SEED`, `OP_COVERAGE`,
/// `RUN`, ...).
#[allow(unused)]
pub mod meta {
    include!(concat!(env!("OUT_DIR"), "/meta.rs"));
}

/// Defines `mod generated` (the shard's functions, oracles and `CASES`) and
/// the two tests of a shard.
macro_rules! differential_shard {
    ($shard:literal, $file:literal) => {
        autodiff_difftest_harness::shard_tests! {
            shard: $shard,
            file: $file,
            run: common::meta::RUN,
            uses: { use autodiff_difftest::{Case, Fns, oracle as o}; },
            check: autodiff_difftest::check_against_oracle,
            max_skip_fraction: autodiff_difftest::MAX_SKIP_FRACTION,
            check_oracle: autodiff_difftest::check_oracle_by_finite_differences,
            oracle_skips_one_in: 20,
        }
    };
}
