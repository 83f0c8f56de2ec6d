//! Forward mode (`f_jvp`) and second order (`f_hvp`, `f_hessian`) against
//! independent oracles: num-dual's dual numbers for directional derivatives
//! and hyper-dual numbers for second derivatives, and exact values for the
//! lecture's circuits.

// Some functions here are called only through their generated code.
#![allow(dead_code, clippy::needless_range_loop)]

use autodiff_core::grad;
use num_dual::{Dual64, DualNum, HyperDual64};

/// `f(x)` as a generic function of any dual number type, the oracle's form.
type Oracle = fn(&[HyperDual64]) -> HyperDual64;

/// The Hessian of `f` at `x` by hyper-dual numbers: entry `(i, j)` from one
/// evaluation with `xᵢ` carrying ε₁ and `xⱼ` carrying ε₂.
fn oracle_hessian(f: Oracle, x: &[f64]) -> Vec<Vec<f64>> {
    let n = x.len();
    let mut h = vec![vec![0.0; n]; n];
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
            h[i][j] = f(&args).eps1eps2;
        }
    }
    h
}

/// The gradient of `f` at `x` by hyper-dual numbers.
fn oracle_gradient(f: Oracle, x: &[f64]) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let args: Vec<HyperDual64> = (0..x.len())
                .map(|k| {
                    let d = HyperDual64::from_re(x[k]);
                    if k == i { d.derivative1() } else { d }
                })
                .collect();
            f(&args).eps1
        })
        .collect()
}

#[track_caller]
fn assert_close(what: &str, got: f64, want: f64) {
    let tol = 1e-10 * want.abs().max(1.0);
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, oracle {want}"
    );
}

// ----- The lecture's circuits: exact -----

#[grad(forward, hessian)]
fn circuit(x: f64, y: f64, z: f64) -> f64 {
    let q = x + y;
    q * z
}

#[grad(forward, hessian)]
fn circuit2(x: f64, y: f64, z: f64, w: f64) -> f64 {
    2.0 * (x * y + z.max(w))
}

#[test]
fn lecture_circuits_have_exact_directional_derivatives_and_hessians() {
    // ∇f = (z, z, x + y) = (-4, -4, 3) at (-2, 5, -4).
    let (v, d) = circuit_jvp(-2.0, 5.0, -4.0, 1.0, 2.0, 3.0);
    assert_eq!((v, d), (-12.0, -4.0 - 8.0 + 9.0));
    let (v, gx, gy, gz, h) = circuit_hessian(-2.0, 5.0, -4.0);
    assert_eq!((v, gx, gy, gz), (-12.0, -4.0, -4.0, 3.0));
    assert_eq!(h, [[0.0, 0.0, 1.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]]);
    // 2 (x y + max(z, w)): ∂²/∂x∂y = 2, max is linear away from the tie.
    let (v, _, _, _, _, h) = circuit2_hessian(3.0, -4.0, 2.0, -1.0);
    assert_eq!(v, -20.0);
    assert_eq!(
        h,
        [
            [0.0, 2.0, 0.0, 0.0],
            [2.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 0.0]
        ]
    );
    let (v, g0, g1, g2, g3, hv0, hv1, hv2, hv3) =
        circuit2_hvp(3.0, -4.0, 2.0, -1.0, 1.0, 1.0, 1.0, 1.0);
    assert_eq!((v, g0, g1, g2, g3), (-20.0, -8.0, 6.0, 2.0, 0.0));
    assert_eq!((hv0, hv1, hv2, hv3), (2.0, 2.0, 0.0, 0.0));
}

// ----- Elementary functions, straight-line -----

#[grad(forward, hessian)]
fn smooth(x: f64, y: f64) -> f64 {
    let r = x * x + y * y;
    (x * y).sin() + r.sqrt() / (1.0 + y.exp()) - (x / y).tanh() + x.ln() * y.cos()
}

fn smooth_oracle<D: DualNum<Primitive = f64> + Copy>(a: &[D]) -> D {
    let (x, y) = (a[0], a[1]);
    let r = x * x + y * y;
    (x * y).sin() + r.sqrt() / (y.exp() + 1.0) - (x / y).tanh() + x.ln() * y.cos()
}

#[test]
fn elementary_functions_match_the_oracles() {
    for (x, y) in [(0.7, 1.3), (2.0, -0.4), (1.1, 0.2)] {
        // Forward mode against dual numbers along a direction.
        let (dx, dy) = (0.3, -1.7);
        let want = smooth_oracle(&[Dual64::new(x, dx), Dual64::new(y, dy)]);
        let (v, d) = smooth_jvp(x, y, dx, dy);
        assert_close("value", v, want.re);
        assert_close("jvp", d, want.eps);
        // Second order against hyper-dual numbers.
        let h = oracle_hessian(smooth_oracle::<HyperDual64>, &[x, y]);
        let g = oracle_gradient(smooth_oracle::<HyperDual64>, &[x, y]);
        let (v, gx, gy, hh) = smooth_hessian(x, y);
        assert_close("value", v, want.re);
        assert_close("∂x", gx, g[0]);
        assert_close("∂y", gy, g[1]);
        for i in 0..2 {
            for j in 0..2 {
                assert_close(&format!("H[{i}][{j}]"), hh[i][j], h[i][j]);
            }
        }
        let (_, _, _, hv0, hv1) = smooth_hvp(x, y, dx, dy);
        assert_close("Hv0", hv0, h[0][0] * dx + h[0][1] * dy);
        assert_close("Hv1", hv1, h[1][0] * dx + h[1][1] * dy);
    }
}

#[grad(forward, hessian)]
fn powers_and_hypot(x: f64, y: f64) -> f64 {
    x.powi(3) * y + y.powi(-2) + x.hypot(y) * x.powi(1) + y.powi(0)
}

fn powers_and_hypot_oracle<D: DualNum<Primitive = f64> + Copy>(a: &[D]) -> D {
    let (x, y) = (a[0], a[1]);
    x.powi(3) * y + y.powi(-2) + (x * x + y * y).sqrt() * x + D::one()
}

/// `powi` and `hypot` have second derivatives in the table (`powi_deriv2`,
/// `div_or_zero` differentiated again); at the origin `hypot`'s are 0.
#[test]
fn powi_and_hypot_second_derivatives_match_the_oracles() {
    for (x, y) in [(0.7, 1.3), (-2.0, -0.4), (1.1, 0.2), (0.0, 1.5)] {
        let h = oracle_hessian(powers_and_hypot_oracle::<HyperDual64>, &[x, y]);
        let g = oracle_gradient(powers_and_hypot_oracle::<HyperDual64>, &[x, y]);
        let (_, gx, gy, hh) = powers_and_hypot_hessian(x, y);
        assert_close("∂x", gx, g[0]);
        assert_close("∂y", gy, g[1]);
        for i in 0..2 {
            for j in 0..2 {
                assert_close(&format!("H[{i}][{j}] at ({x}, {y})"), hh[i][j], h[i][j]);
            }
        }
    }
    // x.powi(2) at 0: 2 (the guard of n = 0, 1 only).
    let (_, _, h) = square_hessian(0.0);
    assert_eq!(h, [[2.0]]);
}

#[grad(hessian)]
fn square(x: f64) -> f64 {
    x.powi(2)
}

#[grad(hessian)]
fn pow_xy(x: f64, y: f64) -> f64 {
    x.powf(y)
}

#[grad(forward, hessian)]
fn powers_f(x: f64, y: f64) -> f64 {
    x.powf(y) + y.powf(2.5) * x + 2.0f64.powf(x * y) + (x * y).powf(0.5)
}

fn powers_f_oracle<D: DualNum<Primitive = f64> + Copy>(a: &[D]) -> D {
    let (x, y) = (a[0], a[1]);
    x.powd(y) + y.powf(2.5) * x + (x * y * 2f64.ln()).exp() + (x * y).sqrt()
}

/// `powf` has second derivatives in the table (`powf_deriv_xx`,
/// `powf_deriv_xy`, and `powf_deriv_y` as `out · ln x` through `out`),
/// including the exponents 0 and 1 where the guards of the first
/// derivative sit.
#[test]
fn powf_second_derivatives_match_the_oracle() {
    for (x, y) in [(0.7, 1.3), (2.0, 0.4), (1.1, 3.2), (0.3, 1.0)] {
        let h = oracle_hessian(powers_f_oracle::<HyperDual64>, &[x, y]);
        let g = oracle_gradient(powers_f_oracle::<HyperDual64>, &[x, y]);
        let (_, gx, gy, hh) = powers_f_hessian(x, y);
        assert_close("∂x", gx, g[0]);
        assert_close("∂y", gy, g[1]);
        for i in 0..2 {
            for j in 0..2 {
                assert_close(&format!("H[{i}][{j}] at ({x}, {y})"), hh[i][j], h[i][j]);
            }
        }
    }
    // At the exponents 0, 1 and 2: ∂²/∂x² = y (y-1) x^(y-2),
    // ∂²/∂x∂y = x^(y-1) (1 + y ln x), ∂²/∂y² = x^y ln² x.
    let x: f64 = 1.7;
    for y in [0.0, 1.0, 2.0] {
        let (_, _, _, h) = pow_xy_hessian(x, y);
        let l = x.ln();
        assert_close("xx", h[0][0], y * (y - 1.0) * x.powf(y - 2.0));
        assert_close("xy", h[0][1], x.powf(y - 1.0) * (1.0 + y * l));
        assert_close("yx", h[1][0], x.powf(y - 1.0) * (1.0 + y * l));
        assert_close("yy", h[1][1], x.powf(y) * l * l);
    }
}

// ----- Loops, branches and arrays -----

#[grad(forward, hessian)]
fn rosenbrock(x: [f64; 4]) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
    }
    s
}

fn rosenbrock_oracle<D: DualNum<Primitive = f64> + Copy>(x: &[D]) -> D {
    let mut s = D::zero();
    for i in 0..3 {
        let a = x[i + 1] - x[i] * x[i];
        let b = -x[i] + 1.0;
        s += a * a * 100.0 + b * b;
    }
    s
}

#[grad(forward, hessian)]
fn horner(c: &[f64], x: f64) -> f64 {
    let mut acc = 0.0;
    for i in (0..c.len()).rev() {
        acc = acc * x + c[i];
    }
    if acc > 0.0 { acc * acc } else { -acc }
}

#[test]
fn loops_branches_and_arrays_match_the_oracles() {
    let x = [-1.2, 1.0, 0.5, 2.0];
    let h = oracle_hessian(rosenbrock_oracle::<HyperDual64>, &x);
    let g = oracle_gradient(rosenbrock_oracle::<HyperDual64>, &x);
    let (v, grad, hh) = rosenbrock_hessian(x);
    assert_close("value", v, rosenbrock(x));
    for i in 0..4 {
        assert_close("gradient", grad[i], g[i]);
        for j in 0..4 {
            assert_close(&format!("H[{i}][{j}]"), hh[i][j], h[i][j]);
        }
    }
    let d = [0.5, -1.0, 2.0, 0.25];
    let (_, jv) = rosenbrock_jvp(x, d);
    let want: f64 = (0..4).map(|i| g[i] * d[i]).sum();
    assert_close("jvp", jv, want);
    let (_, _, hv) = rosenbrock_hvp(x, d);
    for i in 0..4 {
        let want: f64 = (0..4).map(|j| h[i][j] * d[j]).sum();
        assert_close("Hv", hv[i], want);
    }
    // Horner over a slice, then a branch: p(x)² where p > 0.
    let c = [1.0, -2.0, 0.5];
    let x = 5.0;
    let p = 1.0 - 2.0 * x + 0.5 * x * x; // 3.5 > 0
    let dp = -2.0 + x;
    let (v, dc, dx, hv_c, hv_x) = horner_hvp(&c, x, &[0.0, 0.0, 0.0], 1.0);
    assert_close("value", v, p * p);
    assert_close("∂x", dx, 2.0 * p * dp);
    assert_eq!(dc.len(), 3);
    // ∂²/∂x² (p²) = 2 p'² + 2 p p'' with p'' = 1.
    assert_close("∂²/∂x²", hv_x, 2.0 * dp * dp + 2.0 * p);
    // ∂²/∂c_k∂x (p²) = 2 (x^k p' + p k x^(k-1)).
    for k in 0..3 {
        let xk = x.powi(k as i32);
        let dxk = if k == 0 {
            0.0
        } else {
            k as f64 * x.powi(k as i32 - 1)
        };
        assert_close("∂²/∂c∂x", hv_c[k], 2.0 * (xk * dp + p * dxk));
    }
    let (_, t) = horner_jvp(&c, x, &[1.0, 0.0, 0.0], 0.0);
    assert_close("jvp along c0", t, 2.0 * p);
}

#[path = "../examples/common/newton.rs"]
mod newton;

#[test]
fn newton_with_the_generated_hessian_converges_fast() {
    let path = newton::newton([-1.2, 1.0], 1e-10, 50);
    let (p, v) = path.last().expect("a step");
    assert!(
        (p[0] - 1.0).abs() < 1e-8 && (p[1] - 1.0).abs() < 1e-8,
        "{p:?}"
    );
    assert!(*v < 1e-16);
    // Quadratic convergence: a handful of steps, where gradient descent
    // needs thousands.
    assert!(path.len() < 15, "{} Newton steps", path.len());
    let descent = newton::gradient_descent([-1.2, 1.0], 1e-3, 1e-6, 100_000);
    assert!(descent.len() > 100 * path.len());
}

// ----- Regression: the value slot after simplification -----

/// `x * 1.0` is folded away, which renumbers the instructions after it; the
/// value slot of `f_jvp`, `f_hvp` and `f_hessian` must still be `f(x)`.
/// Found by the differential test (`difftest/`): `simplify` left the operand
/// of the value's copy unmapped, so the slot held another value (here the
/// derivative `cos x`), or pointed out of bounds (an internal error, e.g. for
/// `x * 0.5 + x.sin() * 0.5`).
#[grad(forward, hessian)]
fn folded(x: f64) -> f64 {
    (x * 1.0).sin()
}

#[test]
fn the_value_slot_survives_folding() {
    let x = 0.7f64;
    let (v, d) = folded_jvp(x, 1.0);
    assert_close("f_jvp value", v, x.sin());
    assert_close("f_jvp", d, x.cos());
    let (v, g, hv) = folded_hvp(x, 1.0);
    assert_close("f_hvp value", v, x.sin());
    assert_close("f_hvp gradient", g, x.cos());
    assert_close("f_hvp H·d", hv, -x.sin());
    let (v, g, h) = folded_hessian(x);
    assert_close("f_hessian value", v, x.sin());
    assert_close("f_hessian gradient", g, x.cos());
    assert_close("f_hessian", h[0][0], -x.sin());
}

/// `f_hessian` evaluates its body once per slot: a parameter it moves
/// (`Vec<usize>` labels, a `Vec<f64>` of constants) is cloned for each.
#[grad(wrt(a, b), hessian)]
fn with_owned(labels: Vec<usize>, name: Vec<f64>, a: f64, b: [f64; 2]) -> f64 {
    let n = labels.len() as f64 + name.len() as f64;
    let owned = labels;
    a * a * b[owned[0]] * n
}

#[test]
fn hessian_with_owned_parameters() {
    assert_eq!(
        with_owned(vec![1, 0], vec![0.0, 1.0], 3.0, [0.5, 2.0]),
        72.0
    );
    let (v, ga, gb, h) = with_owned_hessian(vec![1, 0], vec![0.0, 1.0], 3.0, [0.5, 2.0]);
    assert_eq!(v, 9.0 * 2.0 * 4.0);
    assert_eq!((ga, gb), (2.0 * 3.0 * 2.0 * 4.0, [0.0, 9.0 * 4.0]));
    assert_eq!(h, [[16.0, 0.0, 24.0], [0.0; 3], [24.0, 0.0, 0.0]]);
}
