//! The body of the test binaries `tests/differential_<s>.rs`: each one checks
//! one shard of the functions that `build.rs` generated.

/// Generated constants and coverage tables (`N`, `SEED`, `OP_COVERAGE`,
/// `RUN`, ...).
#[allow(unused)]
pub mod meta {
    include!(concat!(env!("OUT_DIR"), "/meta.rs"));
}

/// Defines `mod generated` (the shard's functions, oracles and `CASES`) and
/// the tests of a shard: the two of the harness (`f` and `f_grad` against
/// num-dual, the oracle against finite differences), then `f_jvp` against
/// dual numbers, `f_hvp` and `f_hessian` against hyper-dual numbers, the
/// hyper-dual oracle against finite differences, and for the vector-valued
/// functions `f_jacobian`, `f_vjp` and `f_jvp` against dual numbers and
/// that oracle against finite differences.
macro_rules! differential_shard {
    ($shard:literal, $file:literal) => {
        autodiff_difftest_harness::shard_tests! {
            shard: $shard,
            file: $file,
            run: common::meta::RUN,
            uses: {
                use autodiff_difftest::{Case, Fns, Jvp, Second, oracle as o};
                use num_dual::HyperDual64;
            },
            check: autodiff_difftest::check_against_oracle,
            max_skip_fraction: autodiff_difftest::MAX_SKIP_FRACTION,
            check_oracle: autodiff_difftest::check_oracle_by_finite_differences,
            oracle_skips_one_in: 20,
        }

        #[test]
        fn jvp_matches_num_dual_oracle() {
            println!("f_jvp against Dual64 along a random direction per point:");
            common::meta::RUN.assert_matches_oracle(
                $shard,
                autodiff_difftest::MAX_SKIP_FRACTION,
                || autodiff_difftest::check_forward_mode(generated::CASES),
            );
        }

        #[test]
        fn hvp_and_hessian_match_hyper_dual_oracle() {
            println!(
                "f_hvp and f_hessian against HyperDual64 ({} of {} functions have them):",
                common::meta::SECOND_ORDER,
                common::meta::N
            );
            common::meta::RUN.assert_matches_oracle(
                $shard,
                autodiff_difftest::MAX_SKIP_FRACTION,
                || autodiff_difftest::check_second_order(generated::CASES),
            );
        }

        #[test]
        fn hyper_dual_oracle_matches_finite_differences() {
            autodiff_difftest::check_second_order_oracle_by_finite_differences(generated::CASES)
                .assert_oracle_matches_finite_differences(20);
        }

        /// The shard's vector-valued functions `vgen_<i>` (`VCASES`, written
        /// next to the shard: adapters to the functions of `generated`).
        #[allow(clippy::all, unused)]
        mod vgenerated {
            use super::generated::*;
            use autodiff_difftest::VCase;
            use num_dual::Dual64;

            include!(concat!(env!("OUT_DIR"), "/vcases_", $shard, ".rs"));
        }

        #[test]
        fn jacobian_matches_num_dual_oracle() {
            println!(
                "f_jacobian against Dual64, one input seeded at a time ({} vector-valued functions in all shards, {:?}; by input, by output: {:?}):",
                common::meta::VECTOR_FUNCTIONS,
                common::meta::VECTOR_SHAPES,
                common::meta::VECTOR_JACOBIAN_PATHS
            );
            common::meta::RUN.assert_matches_oracle(
                $shard,
                autodiff_difftest::MAX_SKIP_FRACTION,
                || autodiff_difftest::check_jacobian(vgenerated::VCASES),
            );
        }

        #[test]
        fn vjp_matches_num_dual_oracle() {
            println!("f_vjp against Σₖ wₖ·(row k of the Dual64 Jacobian), a random w per point:");
            common::meta::RUN.assert_matches_oracle(
                $shard,
                autodiff_difftest::MAX_SKIP_FRACTION,
                || autodiff_difftest::check_vjp(vgenerated::VCASES),
            );
        }

        #[test]
        fn vector_jvp_matches_num_dual_oracle() {
            println!("f_jvp of several outputs against one Dual64 pass along a random direction per point:");
            common::meta::RUN.assert_matches_oracle(
                $shard,
                autodiff_difftest::MAX_SKIP_FRACTION,
                || autodiff_difftest::check_vector_jvp(vgenerated::VCASES),
            );
        }

        #[test]
        fn vector_oracle_matches_finite_differences() {
            autodiff_difftest::check_vector_oracle_by_finite_differences(vgenerated::VCASES)
                .assert_oracle_matches_finite_differences(20);
        }

        /// The shard's generic functions `ggen_<i><T: Float>` (issue 12):
        /// `GCASES`, rows of `Case` for their `f64` instances (with
        /// `gen_<i>`'s oracle and points), and `GCASES32`, their `f32`
        /// instances.
        #[allow(clippy::all, unused)]
        mod ggenerated {
            use super::generated::*;
            use autodiff_difftest::{Case, Fns, Fns32, Jvp, Second};
            use num_dual::{Dual64, HyperDual64};

            include!(concat!(env!("OUT_DIR"), "/gcases_", $shard, ".rs"));
        }

        #[test]
        fn generic_f64_matches_num_dual_oracle() {
            println!(
                "ggen_<i>::<f64>, ggen_<i>_grad::<f64> against gen_<i>'s Dual64 oracle ({} generic functions in all shards):",
                common::meta::GENERIC_FUNCTIONS
            );
            common::meta::RUN.assert_matches_oracle(
                $shard,
                autodiff_difftest::MAX_SKIP_FRACTION,
                || autodiff_difftest::check_against_oracle(ggenerated::GCASES),
            );
            println!("ggen_<i>_jvp::<f64> against Dual64 along a random direction per point:");
            common::meta::RUN.assert_matches_oracle(
                $shard,
                autodiff_difftest::MAX_SKIP_FRACTION,
                || autodiff_difftest::check_forward_mode(ggenerated::GCASES),
            );
            println!("ggen_<i>_hvp::<f64>, ggen_<i>_hessian::<f64> against HyperDual64:");
            common::meta::RUN.assert_matches_oracle(
                $shard,
                autodiff_difftest::MAX_SKIP_FRACTION,
                || autodiff_difftest::check_second_order(ggenerated::GCASES),
            );
        }

        #[test]
        fn generic_f32_matches_f64() {
            println!(
                "ggen_<i>::<f32>, ggen_<i>_grad::<f32> against the f64 instance at the points rounded to f32 ({} relative):",
                autodiff_difftest::F32_TOL
            );
            common::meta::RUN.assert_matches_oracle(
                $shard,
                autodiff_difftest::F32_MAX_SKIP_FRACTION,
                || autodiff_difftest::check_f32(ggenerated::GCASES, ggenerated::GCASES32),
            );
        }
    };
}
