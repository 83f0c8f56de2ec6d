//! The body of the test binaries `tests/loops_<s>.rs`: each one checks one
//! shard of the functions that `build.rs` generated.

/// Generated constants and coverage tables (`N`, `SEED`, `COVERAGE`, ...).
#[allow(unused)]
pub mod meta {
    include!(concat!(env!("OUT_DIR"), "/meta.rs"));
}

pub fn print_header(shard: usize) {
    use meta::*;
    println!(
        "difftest-loops shard {shard}/{SHARDS}: N = {N} in total from gen_{FIRST}, seed = {SEED:#x}, \
         excluded = {EXCLUDED:?}"
    );
}

/// Defines `mod generated` (the shard's functions, oracles and `CASES`) and
/// the two tests of a shard.
macro_rules! loops_shard {
    ($shard:literal, $file:literal) => {
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
            use autodiff_difftest_loops::{Case, Point, arr, oracle as o};
            use num_dual::{Dual64, DualNum};

            include!(concat!(env!("OUT_DIR"), "/", $file));
        }

        #[test]
        fn grad_matches_num_dual_oracle() {
            common::print_header($shard);
            if common::meta::NO_MACRO {
                println!("AUTODIFF_DIFFTEST_LOOPS_NO_MACRO=1: #[grad] not applied, nothing to compare");
                return;
            }
            let report = autodiff_difftest_loops::check_against_oracle(generated::CASES);
            println!("{}", report.summary());
            for f in report.failures.iter().take(20) {
                println!("{f}");
            }
            assert!(
                report.failures.is_empty(),
                "{} mismatches between #[grad] and num-dual (the first ones are printed above; \
                 reproduce one with AUTODIFF_DIFFTEST_LOOPS_SEED={:#x} AUTODIFF_DIFFTEST_LOOPS_FIRST=<i> \
                 AUTODIFF_DIFFTEST_LOOPS_N=1 for gen_<i>)",
                report.failures.len(),
                common::meta::SEED,
            );
            let allowed =
                (report.points as f64 * autodiff_difftest_loops::MAX_SKIP_FRACTION).ceil();
            assert!(
                report.skipped() as f64 <= allowed,
                "too many skipped points: {} of {}",
                report.skipped(),
                report.points
            );
        }

        #[test]
        fn oracle_matches_finite_differences() {
            let report =
                autodiff_difftest_loops::check_oracle_by_finite_differences(generated::CASES, 1);
            println!("oracle vs finite differences: {}", report.summary());
            for f in report.failures.iter().take(10) {
                println!("{f}");
            }
            assert!(
                report.failures.is_empty(),
                "the oracle disagrees with finite differences"
            );
            assert!(
                report.skipped() * 10 <= report.points,
                "too many points skipped (non-smooth or at a tie)"
            );
        }
    };
}
