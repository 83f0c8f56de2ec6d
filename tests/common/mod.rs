//! Helpers shared by the integration tests: gradients checked against an
//! independent oracle (central finite differences, by
//! `autodiff_core::check_gradient`) and tolerant comparison.

#![allow(dead_code)]

use autodiff_core::check_gradient;

/// Central finite difference of `f` in coordinate `i` at `x`.
pub fn fd(f: &dyn Fn(&[f64]) -> f64, x: &[f64], i: usize) -> f64 {
    let h = 1e-6 * x[i].abs().max(1.0);
    let mut hi = x.to_vec();
    let mut lo = x.to_vec();
    hi[i] += h;
    lo[i] -= h;
    (f(&hi) - f(&lo)) / (hi[i] - lo[i])
}

/// Whether `a` and `b` agree to a relative tolerance `tol` (absolute near
/// 0): the differential tests' comparison, shared.
#[allow(unused_imports)]
pub use autodiff_difftest_harness::close;

/// Asserts that `grad` (value first, then one slot per coordinate) matches
/// `f` and its finite differences at `x`, as [`check_gradient`] checks them:
/// the value within `1e-12`, each partial within `1e-6` (relative), the step
/// `1e-6 * max(1, |x_i|)`.
///
/// `check_gradient` takes a fixed number of coordinates; here it checks the
/// value alone, then `f` along each coordinate: the same values, steps and
/// tolerances for any number of coordinates.
#[track_caller]
pub fn check(f: &dyn Fn(&[f64]) -> f64, grad: &[f64], x: &[f64]) {
    assert_eq!(grad.len(), x.len() + 1, "one slot per coordinate");
    if let Err(e) = check_gradient(|[]| f(x), |[]| (grad[0], []), []) {
        panic!("value at {x:?}: f_grad {} vs f {}", e.got, e.expected);
    }
    for i in 0..x.len() {
        let along = |[t]: [f64; 1]| {
            let mut y = x.to_vec();
            y[i] = t;
            f(&y)
        };
        if let Err(e) = check_gradient(along, |_| (grad[0], [grad[i + 1]]), [x[i]]) {
            panic!(
                "∂/∂x{i} at {x:?}: f_grad {} vs finite difference {}",
                e.got, e.expected
            );
        }
    }
}
