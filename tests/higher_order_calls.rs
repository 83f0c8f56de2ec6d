//! Calls in forward mode and second order: `f_jvp` calls its callees'
//! `g_jvp`, `f_hvp`/`f_hessian` their `g_hvp`; a hand-written `g_jvp` or
//! `g_hvp` is the custom rule. Checked against num-dual's dual and
//! hyper-dual numbers (one input seeded at a time), which share no code with
//! the macro, and against exact values.

// Some functions here are called only through their generated code.
#![allow(dead_code, clippy::needless_range_loop)]

use autodiff_core::grad;
use num_dual::{Dual64, DualNum, HyperDual64};

#[track_caller]
fn assert_close(what: &str, got: f64, want: f64) {
    let tol = 1e-10 * want.abs().max(1.0);
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, oracle {want}"
    );
}

/// Value, gradient and Hessian of `f` over `n` inputs by hyper-dual numbers.
fn hyper(f: impl Fn(&[HyperDual64]) -> HyperDual64, x: &[f64]) -> (f64, Vec<f64>, Vec<Vec<f64>>) {
    let n = x.len();
    let mut g = vec![0.0; n];
    let mut h = vec![vec![0.0; n]; n];
    let mut value = 0.0;
    for i in 0..n {
        for j in 0..n {
            let args: Vec<HyperDual64> = (0..n)
                .map(|k| {
                    let mut d = HyperDual64::from_re(x[k]);
                    if k == i {
                        d = d.derivative1();
                    }
                    if k == j {
                        d = d.derivative2();
                    }
                    d
                })
                .collect();
            let y = f(&args);
            value = y.re;
            g[i] = y.eps1;
            h[i][j] = y.eps1eps2;
        }
    }
    (value, g, h)
}

/// The directional derivative of `f` along `d` by one dual-number pass.
fn dual(f: impl Fn(&[Dual64]) -> Dual64, x: &[f64], d: &[f64]) -> (f64, f64) {
    let args: Vec<Dual64> = x.iter().zip(d).map(|(&x, &d)| Dual64::new(x, d)).collect();
    let y = f(&args);
    (y.re, y.eps)
}

// ----- Scalar callees, straight-line callers -----

#[grad(forward, hessian)]
fn bump(u: f64, s: f64) -> f64 {
    (-(u * u) / s).exp() + u.sin() * s
}

#[grad(forward, hessian)]
fn caller(x: f64, y: f64) -> f64 {
    let a = bump(x * y, 2.0 + y * y);
    let b = bump(a, x);
    a * b + bump(y, 3.0)
}

fn bump_o<D: DualNum<Primitive = f64> + Copy>(u: D, s: D) -> D {
    (-(u * u) / s).exp() + u.sin() * s
}

fn caller_o<D: DualNum<Primitive = f64> + Copy>(v: &[D]) -> D {
    let (x, y) = (v[0], v[1]);
    let a = bump_o(x * y, y * y + 2.0);
    let b = bump_o(a, x);
    a * b + bump_o(y, D::from(3.0))
}

#[test]
fn straight_line_calls_in_jvp_hvp_and_hessian() {
    for &(x, y) in &[(0.3, -0.7), (1.1, 0.4), (-0.9, 1.3)] {
        let (d0, d1) = (0.6, -1.2);
        let (v, t) = caller_jvp(x, y, d0, d1);
        let (ov, ot) = dual(caller_o, &[x, y], &[d0, d1]);
        assert_close("value", v, ov);
        assert_close("jvp", t, ot);
        let (ov, og, oh) = hyper(caller_o, &[x, y]);
        let (v, gx, gy, hx, hy) = caller_hvp(x, y, d0, d1);
        assert_close("hvp value", v, ov);
        assert_close("hvp ∂x", gx, og[0]);
        assert_close("hvp ∂y", gy, og[1]);
        assert_close("(H·d)x", hx, oh[0][0] * d0 + oh[0][1] * d1);
        assert_close("(H·d)y", hy, oh[1][0] * d0 + oh[1][1] * d1);
        let (v, gx, gy, h) = caller_hessian(x, y);
        assert_close("hessian value", v, ov);
        assert_close("hessian ∂x", gx, og[0]);
        assert_close("hessian ∂y", gy, og[1]);
        for i in 0..2 {
            for j in 0..2 {
                assert_close(&format!("H[{i}][{j}]"), h[i][j], oh[i][j]);
            }
        }
    }
}

// ----- Calls in loops and branches (their tuples are taped) -----

#[grad(forward, hessian)]
fn soft(z: f64) -> f64 {
    if z > 20.0 { z } else { (1.0 + z.exp()).ln() }
}

#[grad(forward, hessian)]
fn looped(w: [f64; 3], x: f64) -> f64 {
    let mut h = x;
    let mut s = 0.0;
    for k in 0..4 {
        let z = w[k % 3] * h + 0.1 * k as f64;
        h = if z > 0.0 { soft(z) } else { soft(-z) * w[2] };
        s += h * h;
    }
    s
}

fn soft_o<D: DualNum<Primitive = f64> + Copy>(z: D) -> D {
    if z.re() > 20.0 {
        z
    } else {
        (z.exp() + 1.0).ln()
    }
}

fn looped_o<D: DualNum<Primitive = f64> + Copy>(v: &[D]) -> D {
    let w = [v[0], v[1], v[2]];
    let mut h = v[3];
    let mut s = D::from(0.0);
    for k in 0..4 {
        let z = w[k % 3] * h + D::from(0.1 * k as f64);
        h = if z.re() > 0.0 {
            soft_o(z)
        } else {
            soft_o(-z) * w[2]
        };
        s += h * h;
    }
    s
}

#[test]
fn calls_in_loops_and_branches_in_jvp_hvp_and_hessian() {
    for (w, x) in [
        ([0.5, -0.8, 0.3], 0.7),
        ([-1.2, 0.4, 0.9], -0.3),
        ([0.2, 0.2, -0.6], 1.5),
    ] {
        let p = [w[0], w[1], w[2], x];
        let (dw, dx) = ([0.3, -0.5, 0.8], -0.4);
        let d = [dw[0], dw[1], dw[2], dx];
        let (v, t) = looped_jvp(w, x, dw, dx);
        let (ov, ot) = dual(looped_o, &p, &d);
        assert_close("value", v, ov);
        assert_close("jvp", t, ot);
        let (ov, og, oh) = hyper(looped_o, &p);
        let hd: Vec<f64> = (0..4)
            .map(|i| (0..4).map(|j| oh[i][j] * d[j]).sum())
            .collect();
        let (v, gw, gx, hw, hx) = looped_hvp(w, x, dw, dx);
        assert_close("hvp value", v, ov);
        for i in 0..3 {
            assert_close("hvp ∂w", gw[i], og[i]);
            assert_close("(H·d)w", hw[i], hd[i]);
        }
        assert_close("hvp ∂x", gx, og[3]);
        assert_close("(H·d)x", hx, hd[3]);
        let (v, _, _, h) = looped_hessian(w, x);
        assert_close("hessian value", v, ov);
        for i in 0..4 {
            for j in 0..4 {
                assert_close(&format!("H[{i}][{j}]"), h[i][j], oh[i][j]);
            }
        }
    }
}

// ----- Array arguments in forward mode -----

#[grad(forward)]
fn dot3(a: &[f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + (a[2] * b[2]).sin()
}

#[grad(forward)]
fn norm_sq(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum()
}

#[grad(forward)]
fn with_arrays(w: [[f64; 3]; 2], xs: &[f64], c: f64) -> f64 {
    let b = [c, c * c, 1.0];
    dot3(&w[0], b) * dot3(&w[1], w[0]) + norm_sq(xs) * c + norm_sq(&xs[1..])
}

fn with_arrays_o(v: &[Dual64]) -> Dual64 {
    let w = [[v[0], v[1], v[2]], [v[3], v[4], v[5]]];
    let xs = &v[6..9];
    let c = v[9];
    let dot3 = |a: [Dual64; 3], b: [Dual64; 3]| a[0] * b[0] + a[1] * b[1] + (a[2] * b[2]).sin();
    let norm_sq = |v: &[Dual64]| v.iter().fold(Dual64::from(0.0), |s, x| s + x * x);
    dot3(w[0], [c, c * c, Dual64::from(1.0)]) * dot3(w[1], w[0])
        + norm_sq(xs) * c
        + norm_sq(&xs[1..])
}

#[test]
fn array_and_slice_arguments_in_jvp() {
    let w = [[0.4, -0.3, 0.9], [1.2, 0.5, -0.7]];
    let xs = [0.3, -1.1, 0.8];
    let c = 0.6;
    let dw = [[0.1, 0.2, -0.3], [-0.4, 0.5, 0.6]];
    let dxs = [0.7, -0.8, 0.9];
    let dc = -1.0;
    let (v, t) = with_arrays_jvp(w, &xs, c, dw, &dxs, dc);
    let p: Vec<f64> = w.iter().flatten().chain(&xs).copied().chain([c]).collect();
    let d: Vec<f64> = dw
        .iter()
        .flatten()
        .chain(&dxs)
        .copied()
        .chain([dc])
        .collect();
    let (ov, ot) = dual(with_arrays_o, &p, &d);
    assert_close("value", v, ov);
    assert_close("jvp", t, ot);
}

// ----- Hand-written forward modes are the custom rules -----

/// `u³` with a hand-written gradient (the true one) and a forward mode and
/// Hessian-vector product that compute the derivatives on purpose as
/// something else (×2), so the test sees which function each mode called.
fn odd(u: f64) -> f64 {
    u * u * u
}

fn odd_grad(u: f64) -> (f64, f64) {
    (u * u * u, 3.0 * u * u)
}

fn odd_jvp(u: f64, d_u: f64) -> (f64, f64) {
    (u * u * u, 2.0 * 3.0 * u * u * d_u)
}

fn odd_hvp(u: f64, d_u: f64) -> (f64, f64, f64) {
    (u * u * u, 2.0 * 3.0 * u * u, 2.0 * 6.0 * u * d_u)
}

#[grad(forward, hessian)]
fn uses_odd(x: f64, y: f64) -> f64 {
    odd(x * y) + y
}

#[test]
fn hand_written_jvp_and_hvp_are_the_custom_rules() {
    let (x, y) = (1.5, -2.0);
    let u = x * y;
    let (_, gx, _) = uses_odd_grad(x, y);
    assert_eq!(gx, 3.0 * u * u * y);
    // d/dx odd(xy) = "6u²"·y under the custom rule (twice the true 3u²y).
    let (v, t) = uses_odd_jvp(x, y, 1.0, 0.0);
    assert_eq!(v, u * u * u + y);
    assert_eq!(t, 6.0 * u * u * y);
    // The Hessian with the custom g' = 6u², g'' = 12u: ∂²/∂x² = g''·y²,
    // ∂²/∂x∂y = g''·x·y + g', ∂²/∂y² = g''·x².
    let (v, gx, gy, h) = uses_odd_hessian(x, y);
    assert_eq!(v, u * u * u + y);
    assert_eq!((gx, gy), (6.0 * u * u * y, 6.0 * u * u * x + 1.0));
    assert_close("H[0][0]", h[0][0], 12.0 * u * y * y);
    assert_close("H[0][1]", h[0][1], 12.0 * u * x * y + 6.0 * u * u);
    assert_close("H[1][0]", h[1][0], 12.0 * u * x * y + 6.0 * u * u);
    assert_close("H[1][1]", h[1][1], 12.0 * u * x * x);
}

// ----- Array, row and slice arguments in second order -----

#[grad(forward, hessian)]
fn quad(v: &[f64; 3], s: f64) -> f64 {
    v[0] * v[1] * s + (v[2] * s).sin() + v[0] * v[0]
}

#[grad(forward, hessian)]
fn energy(xs: &[f64], k: f64) -> f64 {
    let mut e = 0.0;
    for i in 1..xs.len() {
        let d = xs[i] - xs[i - 1];
        e += k * d * d * d.cos();
    }
    e
}

#[grad(forward, hessian)]
fn with_array_calls(w: [[f64; 3]; 2], c: f64) -> f64 {
    let xs = [w[0][0] * c, w[1][1], c * c, w[0][2]];
    quad(&w[0], c) * quad(&w[1], w[0][1]) + energy(&xs, c) + energy(&xs[1..], 2.0)
}

fn with_array_calls_o<D: DualNum<Primitive = f64> + Copy>(v: &[D]) -> D {
    let w = [[v[0], v[1], v[2]], [v[3], v[4], v[5]]];
    let c = v[6];
    let quad = |v: [D; 3], s: D| v[0] * v[1] * s + (v[2] * s).sin() + v[0] * v[0];
    let energy = |xs: &[D], k: D| {
        let mut e = D::from(0.0);
        for i in 1..xs.len() {
            let d = xs[i] - xs[i - 1];
            e += k * d * d * d.cos();
        }
        e
    };
    let xs = [w[0][0] * c, w[1][1], c * c, w[0][2]];
    quad(w[0], c) * quad(w[1], w[0][1]) + energy(&xs, c) + energy(&xs[1..], D::from(2.0))
}

#[test]
fn array_row_and_slice_arguments_in_hvp_and_hessian() {
    let w = [[0.4, -0.3, 0.9], [1.2, 0.5, -0.7]];
    let c = 0.6;
    let p: Vec<f64> = w.iter().flatten().copied().chain([c]).collect();
    let (ov, og, oh) = hyper(with_array_calls_o, &p);
    let (v, gw, gc, h) = with_array_calls_hessian(w, c);
    assert_close("value", v, ov);
    for i in 0..6 {
        assert_close("∂w", gw[i / 3][i % 3], og[i]);
    }
    assert_close("∂c", gc, og[6]);
    for i in 0..7 {
        for j in 0..7 {
            assert_close(&format!("H[{i}][{j}]"), h[i][j], oh[i][j]);
        }
    }
    let dw = [[0.1, 0.2, -0.3], [-0.4, 0.5, 0.6]];
    let dc = -1.0;
    let d: Vec<f64> = dw.iter().flatten().copied().chain([dc]).collect();
    let (_, _, _, hw, hc) = with_array_calls_hvp(w, c, dw, dc);
    for i in 0..7 {
        let want: f64 = (0..7).map(|j| oh[i][j] * d[j]).sum();
        let got = if i < 6 { hw[i / 3][i % 3] } else { hc };
        assert_close("H·d", got, want);
    }
}

// ----- Methods and associated functions -----

struct Spring {
    k: f64,
}

impl Spring {
    #[grad(forward, hessian)]
    fn energy(&self, x: f64) -> f64 {
        0.5 * self.k * x * x * (1.0 + x.sin())
    }

    #[grad(forward, hessian)]
    fn scaled(s: f64, x: f64) -> f64 {
        s * x.exp()
    }

    #[grad(forward, hessian)]
    fn total(&self, x: f64, y: f64) -> f64 {
        self.energy(x - y) + Self::scaled(y, x)
    }
}

fn spring_total_o<D: DualNum<Primitive = f64> + Copy>(v: &[D]) -> D {
    let (x, y) = (v[0], v[1]);
    let d = x - y;
    d * d * (d.sin() + 1.0) * (0.5 * 3.0) + y * x.exp()
}

#[test]
fn methods_and_associated_functions_in_jvp_and_hessian() {
    let s = Spring { k: 3.0 };
    let (x, y) = (0.4, -0.9);
    let (ov, og, oh) = hyper(spring_total_o, &[x, y]);
    let (v, t) = s.total_jvp(x, y, 0.5, -1.0);
    assert_close("value", v, ov);
    assert_close("jvp", t, 0.5 * og[0] - og[1]);
    let (_, gx, gy, h) = s.total_hessian(x, y);
    assert_close("∂x", gx, og[0]);
    assert_close("∂y", gy, og[1]);
    for i in 0..2 {
        for j in 0..2 {
            assert_close(&format!("H[{i}][{j}]"), h[i][j], oh[i][j]);
        }
    }
}
