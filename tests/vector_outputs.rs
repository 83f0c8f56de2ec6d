//! Functions with several outputs (`-> [T; M]`, `-> (T, T)`): `f_vjp` and
//! `f_jacobian` checked against dual numbers (num-dual, one input seeded at
//! a time: it shares no code with the macro) and exact values, and the
//! curve-fit example (`examples/curve_fit.rs`) converging.

#![deny(warnings)]
#![allow(clippy::needless_range_loop)]

#[path = "../examples/common/curve_fit.rs"]
mod curve_fit;

use autodiff_core::grad;
use num_dual::{Dual64, DualNum as _};

#[grad]
fn polar(r: f64, t: f64) -> (f64, f64) {
    (r * t.cos(), r * t.sin())
}

#[test]
fn tuple_outputs_exact() {
    let (r, t) = (2.0, 0.5);
    let (v, jr, jt) = polar_jacobian(r, t);
    assert_eq!(v, polar(r, t));
    assert_eq!(jr, [t.cos(), t.sin()]);
    assert_eq!(jt, [-r * t.sin(), r * t.cos()]);
    let (v, dr, dt) = polar_vjp(r, t, (0.5, -2.0));
    assert_eq!(v, polar(r, t));
    assert_eq!(dr, 0.5 * t.cos() - 2.0 * t.sin());
    assert_eq!(dt, 0.5 * -r * t.sin() - 2.0 * r * t.cos());
}

/// Loops, a branch, a local array, a slice parameter and a call.
#[grad]
fn features(p: [f64; 3], xs: &[f64], n: usize) -> [f64; 4] {
    let mut out = [0.0; 4];
    for i in 0..n {
        let z = p[0] * xs[i] + p[1];
        out[i % 4] += if z > 0.0 { z.tanh() } else { squash(z) * p[2] };
    }
    [out[0] + out[1], out[1] * out[2], out[3], p[2] * p[2]]
}

#[grad]
fn squash(z: f64) -> f64 {
    z / (1.0 + z * z).sqrt()
}

/// The same function over dual numbers.
fn features_dual(p: [Dual64; 3], xs: &[Dual64], n: usize) -> [Dual64; 4] {
    let mut out = [Dual64::from(0.0); 4];
    for i in 0..n {
        let z = p[0] * xs[i] + p[1];
        out[i % 4] += if z.re > 0.0 {
            z.tanh()
        } else {
            z / (z * z + 1.0).sqrt() * p[2]
        };
    }
    [out[0] + out[1], out[1] * out[2], out[3], p[2] * p[2]]
}

#[test]
fn jacobian_and_vjp_agree_with_dual_numbers() {
    let p = [0.8, -0.3, 1.7];
    let xs = [0.5, -1.2, 2.0, 0.1, -0.4, 1.3];
    let n = xs.len();
    let (v, jp, jx) = features_jacobian(p, &xs, n);
    assert_eq!(v, features(p, &xs, n));
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0);
    // Seed one input at a time: column `i` of the Jacobian.
    for i in 0..p.len() + n {
        let mut pd = p.map(Dual64::from);
        let mut xd: Vec<Dual64> = xs.iter().map(|&x| Dual64::from(x)).collect();
        if i < 3 {
            pd[i].eps = 1.0;
        } else {
            xd[i - 3].eps = 1.0;
        }
        let y = features_dual(pd, &xd, n);
        for k in 0..4 {
            let got = if i < 3 { jp[k][i] } else { jx[k][i - 3] };
            assert!(close(got, y[k].eps), "∂y{k}/∂in{i}: {got} vs {}", y[k].eps);
            assert!(close(v[k], y[k].re));
        }
    }
    // wᵀJ.
    let w = [0.3, -1.1, 2.0, 0.7];
    let (v2, gp, gx) = features_vjp(p, &xs, n, w);
    assert_eq!(v2, v);
    for u in 0..3 {
        let expect: f64 = (0..4).map(|k| w[k] * jp[k][u]).sum();
        assert!(close(gp[u], expect));
    }
    for u in 0..n {
        let expect: f64 = (0..4).map(|k| w[k] * jx[k][u]).sum();
        assert!(close(gx[u], expect));
    }
}

#[grad(wrt(a))]
fn only_a(a: f64, b: f64) -> [f64; 2] {
    [a * b, a * a]
}

#[test]
fn wrt_selects_the_jacobian_blocks() {
    assert_eq!(only_a(3.0, 2.0), [6.0, 9.0]);
    assert_eq!(only_a_jacobian(3.0, 2.0), ([6.0, 9.0], [2.0, 6.0]));
    assert_eq!(only_a_vjp(3.0, 2.0, [1.0, 1.0]), ([6.0, 9.0], 8.0));
}

#[test]
fn curve_fit_converges_to_the_least_squares_fit() {
    for lambda in [1e-2, 0.0] {
        let path = curve_fit::levenberg_marquardt([1.0, 0.0], lambda, 1e-12, 50);
        let &(p, c) = path.last().expect("an iterate");
        // The data are 2.5 exp(-0.7 t) with noise below 0.02.
        assert!(
            (p[0] - 2.5).abs() < 0.05 && (p[1] + 0.7).abs() < 0.02,
            "{p:?}"
        );
        assert!(c < 1e-3, "cost {c}");
        // At the fit, Jᵀr = 0 (to rounding): the gradient of the cost.
        let (r, j) = curve_fit::residuals_jacobian(p);
        for u in 0..2 {
            let g: f64 = (0..8).map(|k| j[k][u] * r[k]).sum();
            assert!(g.abs() < 1e-9, "∂cost/∂p{u} = {g}");
        }
        // The cost never rises.
        assert!(path.windows(2).all(|w| w[1].1 <= w[0].1));
    }
}
