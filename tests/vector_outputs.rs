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

// ----- Forward mode: `f_jvp` (J·d) and the Jacobian by input -----

#[grad(forward)]
fn squash_fw(z: f64) -> f64 {
    z / (1.0 + z * z).sqrt()
}

/// Two inputs, five outputs: a loop, a branch, a local array and a call.
#[grad(forward)]
fn spread(a: f64, b: [f64; 1]) -> [f64; 5] {
    let mut y = [0.0; 5];
    for k in 0..5 {
        let t = k as f64 * 0.5;
        y[k] = if t < 1.0 {
            (a * t).sin() * b[0]
        } else {
            squash_fw(a - b[0] * t)
        };
    }
    y
}

fn spread_dual(a: Dual64, b: Dual64) -> [Dual64; 5] {
    core::array::from_fn(|k| {
        let t = k as f64 * 0.5;
        if t < 1.0 {
            (a * t).sin() * b
        } else {
            let z = a - b * t;
            z / (z * z + 1.0).sqrt()
        }
    })
}

#[grad(forward)]
fn polar_fw(r: f64, t: f64) -> (f64, f64) {
    (r * t.cos(), r * t.sin())
}

#[test]
fn jvp_of_several_outputs_agrees_with_dual_numbers() {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0);
    for (a, b, da, db) in [
        (0.7, 1.3, 1.0, 0.0),
        (-0.4, 0.9, 0.3, -2.0),
        (1.5, -0.6, 0.0, 1.0),
    ] {
        let (y, jd) = spread_jvp(a, [b], da, [db]);
        assert_eq!(y, spread(a, [b]));
        let o = spread_dual(Dual64::new(a, da), Dual64::new(b, db));
        for k in 0..5 {
            assert!(close(y[k], o[k].re), "y{k}");
            assert!(
                close(jd[k], o[k].eps),
                "(J·d){k}: {} vs {}",
                jd[k],
                o[k].eps
            );
        }
    }
    let (r, t) = (2.0, 0.5);
    let (v, jd) = polar_fw_jvp(r, t, 0.5, -1.0);
    assert_eq!(v, polar_fw(r, t));
    assert!(close(jd.0, 0.5 * t.cos() + r * t.sin()));
    assert!(close(jd.1, 0.5 * t.sin() - r * t.cos()));
}

/// With `forward`, `f_jacobian` runs one forward pass per input slot when
/// there are fewer input slots than outputs (here 2 < 5), else one reverse
/// sweep per output: both give the dual numbers' Jacobian.
#[test]
fn jacobian_by_input_or_by_output_agrees_with_dual_numbers() {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0);
    let (a, b) = (0.7, 1.3);
    let (y, ja, jb) = spread_jacobian(a, [b]);
    assert_eq!(y, spread(a, [b]));
    let oa = spread_dual(Dual64::new(a, 1.0), Dual64::from(b));
    let ob = spread_dual(Dual64::from(a), Dual64::new(b, 1.0));
    for k in 0..5 {
        assert!(close(ja[k], oa[k].eps), "∂y{k}/∂a");
        assert!(close(jb[k][0], ob[k].eps), "∂y{k}/∂b");
    }
    // Two inputs, two outputs: by output.
    let (r, t) = (2.0, 0.5);
    let (_, jr, jt) = polar_fw_jacobian(r, t);
    assert!(close(jr[0], t.cos()) && close(jr[1], t.sin()));
    assert!(close(jt[0], -r * t.sin()) && close(jt[1], r * t.cos()));
}

/// `u³` with its true gradient and a forward mode that is on purpose twice
/// the truth, so a test sees which of the two a Jacobian used.
fn cube(u: f64) -> f64 {
    u * u * u
}

fn cube_grad(u: f64) -> (f64, f64) {
    (u * u * u, 3.0 * u * u)
}

fn cube_jvp(u: f64, d_u: f64) -> (f64, f64) {
    (u * u * u, 2.0 * 3.0 * u * u * d_u)
}

#[grad(forward)]
fn cubes3(x: f64) -> [f64; 3] {
    [cube(x), 2.0 * cube(x), x]
}

#[grad(forward)]
fn cubes1(x: f64, y: f64) -> [f64; 1] {
    [cube(x) + y]
}

#[test]
fn the_jacobian_is_taken_by_input_only_when_inputs_are_fewer() {
    let x: f64 = 1.5;
    // 1 input < 3 outputs: forward, through `cube_jvp`.
    let (_, j) = cubes3_jacobian(x);
    assert_eq!(j, [6.0 * x * x, 12.0 * x * x, 1.0]);
    // 2 inputs > 1 output: reverse, through `cube_grad`.
    let (_, jx, jy) = cubes1_jacobian(x, 0.5);
    assert_eq!((jx, jy), ([3.0 * x * x], [1.0]));
}

// ----- `return` in a function with several outputs -----

#[grad(forward)]
fn piecewise(x: f64, p: [f64; 2]) -> [f64; 3] {
    if x > 1.0 {
        return [x * p[0], p[1], x.ln()];
    }
    for k in 0..3 {
        if (k as f64) * x > p[1] {
            return [p[0] * k as f64, x * x, p[1]];
        }
    }
    [x, p[0] * p[1], x.sin()]
}

fn piecewise_dual(x: Dual64, p: [Dual64; 2]) -> [Dual64; 3] {
    if x.re > 1.0 {
        return [x * p[0], p[1], x.ln()];
    }
    for k in 0..3 {
        if (k as f64) * x.re > p[1].re {
            return [p[0] * k as f64, x * x, p[1]];
        }
    }
    [x, p[0] * p[1], x.sin()]
}

#[grad]
fn split(x: f64, y: f64) -> (f64, f64) {
    if y < 0.0 {
        return (x, -y);
    }
    (x * y, y)
}

#[test]
fn early_returns_give_the_outputs_of_the_exit_taken() {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0);
    // Each exit: the first `return`, the one in the loop, the tail.
    for (x, p) in [(1.5, [0.4, 0.3]), (0.5, [0.4, 0.3]), (0.2, [0.7, 0.9])] {
        let (y, jx, jp) = piecewise_jacobian(x, p);
        let (y2, gx, gp) = piecewise_vjp(x, p, [0.5, -1.0, 2.0]);
        assert_eq!(y, piecewise(x, p));
        assert_eq!(y2, y);
        let d = [1.0, -0.5, 0.25];
        let (y3, jd) = piecewise_jvp(x, p, d[0], [d[1], d[2]]);
        assert_eq!(y3, y);
        for i in 0..3 {
            let mut s = [0.0; 3];
            s[i] = 1.0;
            let o = piecewise_dual(
                Dual64::new(x, s[0]),
                [Dual64::new(p[0], s[1]), Dual64::new(p[1], s[2])],
            );
            for k in 0..3 {
                let got = if i == 0 { jx[k] } else { jp[k][i - 1] };
                assert!(
                    close(got, o[k].eps),
                    "∂y{k}/∂in{i} at {x}: {got} vs {}",
                    o[k].eps
                );
            }
        }
        let g: Vec<f64> = (0..3)
            .map(|i| {
                (0..3)
                    .map(|k| [0.5, -1.0, 2.0][k] * if i == 0 { jx[k] } else { jp[k][i - 1] })
                    .sum()
            })
            .collect();
        assert!(close(gx, g[0]) && close(gp[0], g[1]) && close(gp[1], g[2]));
        let od = piecewise_dual(
            Dual64::new(x, d[0]),
            [Dual64::new(p[0], d[1]), Dual64::new(p[1], d[2])],
        );
        for k in 0..3 {
            assert!(close(jd[k], od[k].eps), "(J·d){k} at {x}");
        }
    }
    assert_eq!(split(2.0, -3.0), (2.0, 3.0));
    assert_eq!(
        split_jacobian(2.0, -3.0),
        ((2.0, 3.0), [1.0, 0.0], [0.0, -1.0])
    );
    assert_eq!(
        split_jacobian(2.0, 3.0),
        ((6.0, 3.0), [3.0, 0.0], [2.0, 1.0])
    );
}

/// `f_jacobian` calls the derivative once per output (or input): a
/// parameter it may move (`Vec<usize>` labels, a `Vec<f64>`) is cloned for
/// each call.
#[grad(wrt(x))]
fn weighted_sums(x: &[f64], labels: Vec<usize>, scale: Vec<f64>) -> [f64; 2] {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * labels[i] as f64 * scale[i];
    }
    let owned = labels;
    [s, s * x[owned[0]]]
}

#[grad(forward)]
fn few_inputs(a: f64, labels: Vec<usize>) -> [f64; 3] {
    let n = labels.len() as f64;
    let owned = labels;
    [a * n, a * a, owned[0] as f64 * a]
}

#[test]
fn jacobians_with_owned_parameters() {
    let x = [1.0, 2.0];
    let (y, j) = weighted_sums_jacobian(&x, vec![1, 2], vec![0.5, 1.0]);
    assert_eq!(y, weighted_sums(&x, vec![1, 2], vec![0.5, 1.0]));
    // s = 0.5 x0 + 2 x1 = 4.5; row 1 = ∇(s x1) = (0.5 x1, 2 x1 + s).
    assert_eq!(y, [4.5, 9.0]);
    assert_eq!(j, [vec![0.5, 2.0], vec![1.0, 4.0 + 4.5]]);
    // One input, three outputs: by input, one f_jvp per slot.
    let (y, j) = few_inputs_jacobian(2.0, vec![3, 1]);
    assert_eq!(y, few_inputs(2.0, vec![3, 1]));
    assert_eq!(j, [2.0, 4.0, 3.0]);
}
