//! Shift invariance (`reverse/shift.rs`): the max that log-sum-exp and a
//! softmax loss subtract for stability has no derivative, and the reverse
//! sweep leaves it out. Each gradient is checked against exact formulas and
//! num-dual's dual numbers (an oracle that differentiates through the max),
//! and functions that look alike but are *not* invariant to the shift must
//! still get the chain rule through the max.

#![allow(clippy::needless_range_loop)]

use crate::common;

use autodiff_core::grad;
use common::check;
use num_dual::{Dual64, DualNum, HyperDual64};

#[track_caller]
fn close(what: &str, got: f64, want: f64) {
    let tol = 1e-12 * want.abs().max(1.0);
    assert!((got - want).abs() <= tol, "{what}: got {got}, want {want}");
}

/// The softmax of `x`, computed directly (the exact gradient of
/// log-sum-exp).
fn softmax(x: &[f64]) -> Vec<f64> {
    let m = x.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
    let e: Vec<f64> = x.iter().map(|v| (v - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

/// The gradient of `f` by dual numbers, one coordinate at a time.
fn dual_gradient(f: fn(&[Dual64]) -> Dual64, x: &[f64]) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let args: Vec<Dual64> = (0..x.len())
                .map(|k| {
                    let d = Dual64::from_re(x[k]);
                    if k == i { d.derivative() } else { d }
                })
                .collect();
            f(&args).eps
        })
        .collect()
}

/// The max of duals by value, as `f64::max` picks it.
fn dual_max<D: DualNum<Primitive = f64> + Copy>(x: &[D]) -> D {
    let mut m = x[0];
    for &v in &x[1..] {
        if v.re() > m.re() {
            m = v;
        }
    }
    m
}

// ----- Invariant: the max is left out -----

#[grad(hessian)]
fn logsumexp(x: [f64; 4]) -> f64 {
    let mut m = x[0];
    for k in 1..4 {
        m = m.max(x[k]);
    }
    let mut total = 0.0;
    for k in 0..4 {
        total += (x[k] - m).exp();
    }
    m + total.ln()
}

#[grad]
fn softmax_ce(z: &[[f64; 5]], label: &[usize]) -> f64 {
    let mut loss = 0.0;
    for p in 0..z.len() {
        let mut m = z[p][0];
        for k in 1..5 {
            m = m.max(z[p][k]);
        }
        let mut total = 0.0;
        for k in 0..5 {
            total += (z[p][k] - m).exp();
        }
        loss += total.ln() - (z[p][label[p]] - m);
    }
    loss / z.len() as f64
}

/// The max by an iterator and the normaliser divided out.
#[grad(wrt(x))]
fn expected_value(x: &[f64], v: &[f64]) -> f64 {
    let m = x.iter().fold(x[0], |m, &a| m.max(a));
    let mut num = 0.0;
    let mut den = 0.0;
    for i in 0..x.len() {
        let e = (x[i] - m).exp();
        num += e * v[i];
        den += e;
    }
    num / den
}

#[test]
fn log_sum_exp_has_the_softmax_as_gradient_and_its_exact_hessian() {
    for x in [
        [0.3, -1.2, 2.0, 0.7],
        [1.5, 1.5, -0.5, 1.5],
        [-700.0, -701.0, -699.5, -702.0],
    ] {
        let p = softmax(&x);
        let (v, g) = logsumexp_grad(x);
        close("value", v, logsumexp(x));
        for k in 0..4 {
            close(&format!("∂x{k} at {x:?}"), g[k], p[k]);
        }
        // diag(p) - p pᵀ, against hyper-dual numbers too.
        let (_, _, h) = logsumexp_hessian(x);
        for i in 0..4 {
            for j in 0..4 {
                let want = if i == j { p[i] } else { 0.0 } - p[i] * p[j];
                close(&format!("H[{i}][{j}] at {x:?}"), h[i][j], want);
                let oracle = {
                    let args: Vec<HyperDual64> = (0..4)
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
                    let m = dual_max(&args);
                    let mut total = HyperDual64::from_re(0.0);
                    for &a in &args {
                        total += (a - m).exp();
                    }
                    (m + total.ln()).eps1eps2
                };
                assert!(
                    (h[i][j] - oracle).abs() < 1e-10,
                    "H[{i}][{j}]: {} vs {oracle}",
                    h[i][j]
                );
            }
        }
    }
}

#[test]
fn softmax_loss_gradient_is_p_minus_onehot_over_n() {
    let z = [
        [1.0, 2.0, 0.5, -1.0, 2.0],
        [0.0, 0.0, 0.0, 0.0, 0.0],
        [3.0, -2.0, 1.0, 0.25, 2.5],
    ];
    let label = [1, 4, 0];
    let (v, g) = softmax_ce_grad(&z, &label);
    close("value", v, softmax_ce(&z, &label));
    let mut into = vec![[f64::NAN; 5]; 3];
    assert_eq!(softmax_ce_grad_into(&z, &label, &mut into), v);
    assert_eq!(into, g);
    for p in 0..3 {
        let s = softmax(&z[p]);
        for k in 0..5 {
            let want = (s[k] - if k == label[p] { 1.0 } else { 0.0 }) / 3.0;
            close(&format!("∂z[{p}][{k}]"), g[p][k], want);
        }
    }
}

#[test]
fn a_normalised_average_does_not_depend_on_the_shift() {
    let x = [0.4, -0.3, 1.9, 1.1];
    let v = [2.0, -1.0, 0.5, 3.0];
    let (val, g) = expected_value_grad(&x, &v);
    let p = softmax(&x);
    let mean: f64 = (0..4).map(|i| p[i] * v[i]).sum();
    close("value", val, mean);
    close("value of f", val, expected_value(&x, &v));
    for i in 0..4 {
        close(&format!("∂x{i}"), g[i], p[i] * (v[i] - mean));
    }
}

// ----- Not invariant: the chain rule goes through the max -----

/// Forgets to add the max back: the result is `lse(x) - max(x)`.
#[grad]
fn without_the_max(x: &[f64]) -> f64 {
    let mut m = x[0];
    for k in 1..x.len() {
        m = m.max(x[k]);
    }
    let mut total = 0.0;
    for k in 0..x.len() {
        total += (x[k] - m).exp();
    }
    total.ln()
}

fn without_the_max_dual(x: &[Dual64]) -> Dual64 {
    let m = dual_max(x);
    let mut total = Dual64::from_re(0.0);
    for &a in x {
        total += (a - m).exp();
    }
    total.ln()
}

/// The max also scales the result.
#[grad]
fn max_scales_too(x: &[f64]) -> f64 {
    let mut m = x[0];
    for k in 1..x.len() {
        m = m.max(x[k]);
    }
    let mut total = 0.0;
    for k in 0..x.len() {
        total += (x[k] - m).exp();
    }
    (m + total.ln()) * m
}

fn max_scales_too_dual(x: &[Dual64]) -> Dual64 {
    let m = dual_max(x);
    let mut total = Dual64::from_re(0.0);
    for &a in x {
        total += (a - m).exp();
    }
    (m + total.ln()) * m
}

/// A temperature divides the shifted logits: `exp((x - m) / t)` is out of
/// the analysis' reach (it is still invariant), so the max is differentiated.
#[grad]
fn with_temperature(x: &[f64], t: f64) -> f64 {
    let mut m = x[0];
    for k in 1..x.len() {
        m = m.max(x[k]);
    }
    let mut total = 0.0;
    for k in 0..x.len() {
        total += ((x[k] - m) / t).exp();
    }
    m + t * total.ln()
}

/// The shifted terms are kept in an array the result reads later (five
/// of them).
#[grad]
fn shifted_terms_stored(x: &[f64]) -> f64 {
    let mut m = x[0];
    for k in 1..x.len() {
        m = m.max(x[k]);
    }
    let mut e = [0.0; 5];
    let mut total = 0.0;
    for k in 0..x.len() {
        e[k] = (x[k] - m).exp();
        total += e[k];
    }
    e[0] + total.ln()
}

fn shifted_terms_stored_dual(x: &[Dual64]) -> Dual64 {
    let m = dual_max(x);
    let mut total = Dual64::from_re(0.0);
    for &a in x {
        total += (a - m).exp();
    }
    (x[0] - m).exp() + total.ln()
}

#[test]
fn functions_that_see_the_shift_differentiate_through_the_max() {
    let x = [0.3, -1.2, 2.0, 0.7, 1.1];
    type Case = (
        fn(&[f64]) -> f64,
        fn(&[f64]) -> (f64, Vec<f64>),
        fn(&[Dual64]) -> Dual64,
    );
    let cases: [Case; 3] = [
        (without_the_max, without_the_max_grad, without_the_max_dual),
        (max_scales_too, max_scales_too_grad, max_scales_too_dual),
        (
            shifted_terms_stored,
            shifted_terms_stored_grad,
            shifted_terms_stored_dual,
        ),
    ];
    for (k, (f, grad, dual)) in cases.into_iter().enumerate() {
        let (v, g) = grad(&x);
        close(&format!("case {k}: value"), v, f(&x));
        let want = dual_gradient(dual, &x);
        for i in 0..x.len() {
            close(&format!("case {k}: ∂x{i}"), g[i], want[i]);
        }
        let mut all = vec![v];
        all.extend_from_slice(&g);
        check(&f, &all, &x);
    }
    // ∂/∂x₂ of ln Σ exp(x - max) is p₂ - 1 at the max: not p₂.
    let p = softmax(&x);
    let (_, g) = without_the_max_grad(&x);
    close("∂x2 of lse - max", g[2], p[2] - 1.0);
}

#[test]
fn a_temperature_keeps_the_chain_rule_and_the_right_gradient() {
    let x = [0.3, -1.2, 2.0, 0.7];
    let t = 0.5;
    let (v, gx, gt) = with_temperature_grad(&x, t);
    close("value", v, with_temperature(&x, t));
    let z: Vec<f64> = x.iter().map(|a| a / t).collect();
    let p = softmax(&z);
    for i in 0..4 {
        close(&format!("∂x{i}"), gx[i], p[i]);
    }
    let mut all = vec![v];
    all.extend_from_slice(&gx);
    check(&|y| with_temperature(y, t), &all, &x);
    let h = 1e-6;
    let fd_t = (with_temperature(&x, t + h) - with_temperature(&x, t - h)) / (2.0 * h);
    assert!((gt - fd_t).abs() < 1e-6, "∂t: {gt} vs {fd_t}");
}
