//! The body of the test binaries `tests/loops_<s>.rs`: each one checks one
//! shard of the functions that `build.rs` generated.

/// Generated constants and coverage tables (`N`, `SEED`, `COVERAGE`, `RUN`,
/// ...).
#[allow(unused)]
pub mod meta {
    include!(concat!(env!("OUT_DIR"), "/meta.rs"));
}

/// Defines `mod generated` (the shard's functions, oracles, wrappers and
/// `CASES`) and the tests of a shard: the two of the harness (`f`,
/// `f_grad` and `f_grad_into` against num-dual, the oracle against finite
/// differences), then `f_jvp` against dual numbers, `f_hvp` and
/// `f_hessian` against hyper-dual numbers, and the hyper-dual oracle
/// against finite differences of the dual-number oracle's gradient.
macro_rules! loops_shard {
    ($shard:literal, $file:literal) => {
        autodiff_difftest_harness::shard_tests! {
            shard: $shard,
            file: $file,
            run: common::meta::RUN,
            uses: {
                use autodiff_difftest_loops::{Case, Point, Second, arr, oracle as o};
                use num_dual::HyperDual64;
            },
            check: autodiff_difftest_loops::check_against_oracle,
            max_skip_fraction: autodiff_difftest_loops::MAX_SKIP_FRACTION,
            check_oracle: |cases| autodiff_difftest_loops::check_oracle_by_finite_differences(cases, 1),
            oracle_skips_one_in: 10,
        }

        #[test]
        fn jvp_matches_num_dual_oracle() {
            let (forward, _, _) = common::meta::HIGHER_ORDER;
            println!(
                "f_jvp against Dual64 along a random direction per point ({forward} of {} functions have it):",
                common::meta::N
            );
            common::meta::RUN.assert_matches_oracle(
                $shard,
                autodiff_difftest_loops::MAX_SKIP_FRACTION,
                || autodiff_difftest_loops::check_forward_mode(generated::CASES),
            );
        }

        #[test]
        fn hvp_matches_hyper_dual_oracle() {
            let (_, second, _) = common::meta::HIGHER_ORDER;
            println!(
                "f_hvp against HyperDual64 ({second} of {} functions have it; not in them: {:?}):",
                common::meta::N,
                common::meta::NOT_HIGHER_ORDER
            );
            common::meta::RUN.assert_matches_oracle(
                $shard,
                autodiff_difftest_loops::MAX_SKIP_FRACTION,
                || autodiff_difftest_loops::check_hvp(generated::CASES),
            );
        }

        #[test]
        fn hessian_matches_hyper_dual_oracle() {
            let (_, _, hessian) = common::meta::HIGHER_ORDER;
            println!(
                "f_hessian against HyperDual64 ({hessian} of {} functions have it: no slice or Vec):",
                common::meta::N
            );
            common::meta::RUN.assert_matches_oracle(
                $shard,
                autodiff_difftest_loops::MAX_SKIP_FRACTION,
                || autodiff_difftest_loops::check_hessian(generated::CASES),
            );
        }

        /// The shard's vector-valued functions `vgen_<i>` (`VCASES`, written
        /// next to the shard: adapters to the functions of `generated`).
        #[allow(clippy::all, unused)]
        mod vgenerated {
            use super::generated::*;
            use autodiff_difftest_loops::{Point, VCase};

            include!(concat!(env!("OUT_DIR"), "/vcases_", $shard, ".rs"));
        }

        #[test]
        fn jacobian_matches_num_dual_oracle() {
            let (n, shapes, paths, returns, fixed) = common::meta::VECTOR;
            println!(
                "f_jacobian against Dual64, one float slot seeded at a time ({n} vector-valued \
                 functions in all shards; [f64; 2], [f64; 3], (f64, f64), (f64, f64, f64): \
                 {shapes:?}; by input, by output: {paths:?}; {returns} with an early return; \
                 {fixed} with no slice or Vec):"
            );
            println!("left out (macro bugs): {:?}", common::meta::VECTOR_REFUSED);
            common::meta::RUN.assert_matches_oracle(
                $shard,
                autodiff_difftest_loops::MAX_SKIP_FRACTION,
                || autodiff_difftest_loops::check_jacobian(vgenerated::VCASES),
            );
        }

        #[test]
        fn vjp_matches_num_dual_oracle() {
            println!("f_vjp against Σₖ wₖ·(row k of the Dual64 Jacobian), a random w per point:");
            common::meta::RUN.assert_matches_oracle(
                $shard,
                autodiff_difftest_loops::MAX_SKIP_FRACTION,
                || autodiff_difftest_loops::check_vjp(vgenerated::VCASES),
            );
        }

        #[test]
        fn vector_jvp_matches_num_dual_oracle() {
            println!("f_jvp of several outputs against one Dual64 pass along each point's direction:");
            common::meta::RUN.assert_matches_oracle(
                $shard,
                autodiff_difftest_loops::MAX_SKIP_FRACTION,
                || autodiff_difftest_loops::check_vector_jvp(vgenerated::VCASES),
            );
        }

        #[test]
        fn vector_oracle_matches_finite_differences() {
            autodiff_difftest_loops::check_vector_oracle_by_finite_differences(vgenerated::VCASES)
                .assert_oracle_matches_finite_differences(10);
        }

        #[test]
        fn hyper_dual_oracle_matches_finite_differences() {
            autodiff_difftest_loops::check_second_order_oracle_by_finite_differences(
                generated::CASES,
                autodiff_difftest_loops::FD_SECOND_STRIDE,
                autodiff_difftest_loops::FD_SECOND_FULL,
            )
            .assert_oracle_matches_finite_differences(10);
        }
    };
}
