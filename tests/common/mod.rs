//! Helpers shared by the integration tests: an independent oracle (central
//! finite differences) and tolerant comparison.

#![allow(dead_code)]

/// Central finite difference of `f` in coordinate `i` at `x`.
pub fn fd(f: &dyn Fn(&[f64]) -> f64, x: &[f64], i: usize) -> f64 {
    let h = 1e-6 * x[i].abs().max(1.0);
    let mut hi = x.to_vec();
    let mut lo = x.to_vec();
    hi[i] += h;
    lo[i] -= h;
    (f(&hi) - f(&lo)) / (hi[i] - lo[i])
}

/// Whether `a` and `b` agree to a relative tolerance `tol` (absolute near 0).
pub fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs()).max(1.0)
}

/// Asserts that `grad` (value first, then one slot per coordinate) matches
/// `f` and its finite differences at `x`.
#[track_caller]
pub fn check(f: &dyn Fn(&[f64]) -> f64, grad: &[f64], x: &[f64]) {
    assert_eq!(grad.len(), x.len() + 1, "one slot per coordinate");
    let value = f(x);
    assert!(
        close(grad[0], value, 1e-12),
        "value at {x:?}: f_grad {} vs f {value}",
        grad[0]
    );
    for i in 0..x.len() {
        let want = fd(f, x, i);
        assert!(
            close(grad[i + 1], want, 1e-6),
            "∂/∂x{i} at {x:?}: f_grad {} vs finite difference {want}",
            grad[i + 1]
        );
    }
}
