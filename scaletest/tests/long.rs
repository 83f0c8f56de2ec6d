//! The long functions' gradients against exact values: `straight` is
//! `a_n = a_{n-1} y + c` from `a_0 = x`, so `∂a_n/∂x = yⁿ`; `looped` against
//! central finite differences.

use autodiff_scaletest::{looped, looped_grad, straight, straight_grad};

#[test]
fn a_two_thousand_statement_function_differentiates() {
    let (x, y) = (0.3, 0.999);
    let (v, dx, dy) = straight_grad(x, y);
    assert_eq!(v, straight(x, y));
    let want = y.powi(2000);
    assert!((dx - want).abs() <= 1e-12 * want, "{dx} vs {want}");
    let h = 1e-6;
    let fd = (straight(x, y + h) - straight(x, y - h)) / (2.0 * h);
    assert!((dy - fd).abs() <= 1e-6 * fd.abs().max(1.0), "{dy} vs {fd}");
}

#[test]
fn a_loop_body_of_five_hundred_statements_differentiates() {
    let v = [0.5, -0.25, 1.0];
    let y = 0.9;
    let (value, dv, dy) = looped_grad(&v, y);
    assert_eq!(value, looped(&v, y));
    let h = 1e-6;
    for i in 0..v.len() {
        let (mut hi, mut lo) = (v, v);
        hi[i] += h;
        lo[i] -= h;
        let fd = (looped(&hi, y) - looped(&lo, y)) / (2.0 * h);
        assert!(
            (dv[i] - fd).abs() <= 1e-6 * fd.abs().max(1.0),
            "∂v{i}: {} vs {fd}",
            dv[i]
        );
    }
    let fd = (looped(&v, y + h) - looped(&v, y - h)) / (2.0 * h);
    assert!(
        (dy - fd).abs() <= 1e-6 * fd.abs().max(1.0),
        "∂y: {dy} vs {fd}"
    );
}
