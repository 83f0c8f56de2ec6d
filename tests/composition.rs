//! Composition: calls differentiated through the callee's `_grad`, custom
//! derivatives, `wrt`, methods, recursion, calls across modules and with
//! array arguments.

// Some functions here are called only through their generated gradient.
#![allow(dead_code, clippy::needless_range_loop)]

use crate::common;

use autodiff_core::{check_gradient, grad};
use common::check;

#[grad]
fn square(x: f64) -> f64 {
    x * x
}

#[grad]
fn inner(x: f64, y: f64) -> f64 {
    square(x) * y.sin()
}

#[grad]
fn outer(x: f64, y: f64, z: f64) -> f64 {
    let a = inner(x, y) + square(z);
    inner(a, x) * 2.0
}

#[test]
fn composition_several_levels_deep() {
    for p in [[0.3, -1.2, 0.8], [1.5, 0.4, -2.0]] {
        let (v, dx, dy, dz) = outer_grad(p[0], p[1], p[2]);
        check(&|a| outer(a[0], a[1], a[2]), &[v, dx, dy, dz], &p);
    }
}

/// `x^n` by recursion.
#[grad]
fn power(x: f64, n: u32) -> f64 {
    if n == 0 { 1.0 } else { x * power(x, n - 1) }
}

#[test]
fn recursion() {
    let (v, d) = power_grad(1.5, 4);
    assert_eq!(v, 1.5f64.powi(4));
    assert_eq!(d, 4.0 * 1.5f64.powi(3));
    assert_eq!(power_grad(2.0, 0), (1.0, 0.0));
}

/// `log(1 + exp(x))` without overflow: written by hand, with its derivative.
fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// The custom derivative: the logistic function, stable for large `|x|`.
fn softplus_grad(x: f64) -> (f64, f64) {
    let s = if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    };
    (softplus(x), s)
}

#[grad]
fn uses_custom(x: f64, w: f64) -> f64 {
    softplus(w * x) * w
}

#[test]
fn custom_derivative_is_used() {
    for x in [-40.0, -1.0, 0.5, 30.0] {
        check_gradient(
            |[x]| softplus(x),
            |[x]| {
                let (v, d) = softplus_grad(x);
                (v, [d])
            },
            [x],
        )
        .expect("the hand-written derivative is right");
    }
    let (v, dx, dw) = uses_custom_grad(0.7, -1.3);
    check(&|a| uses_custom(a[0], a[1]), &[v, dx, dw], &[0.7, -1.3]);
    // Far out, finite differences of the naive formula would overflow; the
    // custom rule stays exact: d/dx softplus(w x) w = w² sigmoid(w x).
    let (_, dx, _) = uses_custom_grad(800.0, 1.0);
    assert_eq!(dx, 1.0);
}

#[grad(wrt(x, z))]
fn selected(x: f64, y: f64, z: f64) -> f64 {
    x * y + y * z * z
}

#[test]
fn wrt_selects_parameters_in_declaration_order() {
    // Slots: value, ∂x, ∂z (no ∂y).
    assert_eq!(selected_grad(2.0, 3.0, 4.0), (54.0, 3.0, 24.0));
}

mod physics {
    use autodiff_core::grad;

    /// Kinetic energy, visible to the crate only.
    #[grad]
    pub(crate) fn kinetic(m: f64, v: f64) -> f64 {
        0.5 * m * v * v
    }
}

#[grad]
fn energy(m: f64, v: f64, h: f64) -> f64 {
    physics::kinetic(m, v) + m * 9.81 * h
}

#[test]
fn calls_across_modules() {
    let (e, dm, dv, dh) = energy_grad(2.0, 3.0, 1.5);
    assert_eq!(e, 9.0 + 2.0 * 9.81 * 1.5);
    assert_eq!((dm, dv, dh), (4.5 + 9.81 * 1.5, 6.0, 2.0 * 9.81));
}

struct Model {
    scale: f64,
    shift: f64,
    power: i32,
}

impl Model {
    /// A method: `&self`'s fields are constants.
    #[grad]
    pub fn predict(&self, x: f64) -> f64 {
        (self.scale * x + self.shift).powi(self.power)
    }

    /// A method calling a method and an associated function.
    #[grad]
    fn loss(&self, x: f64, target: f64) -> f64 {
        let e = self.predict(x) - target;
        Self::half_square(e)
    }

    /// An associated function without `self`.
    #[grad]
    fn half_square(e: f64) -> f64 {
        0.5 * e * e
    }
}

#[test]
fn methods_and_associated_functions() {
    let m = Model {
        scale: 2.0,
        shift: -1.0,
        power: 2,
    };
    // (2x - 1)²: derivative 4 (2x - 1)
    assert_eq!(m.predict_grad(1.5), (4.0, 8.0));
    let (v, dx, dt) = m.loss_grad(1.5, 3.0);
    assert_eq!(v, 0.5);
    assert_eq!((dx, dt), (8.0, -1.0));
    assert_eq!(Model::half_square_grad(3.0), (4.5, 3.0));
}

#[grad]
fn norm2(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>()
}

#[grad]
fn row_dot(r: [f64; 3], x: [f64; 3]) -> f64 {
    r[0] * x[0] + r[1] * x[1] + r[2] * x[2]
}

#[grad]
fn with_arrays(w: [[f64; 3]; 2], x: [f64; 3], v: &[f64]) -> f64 {
    let mut s = norm2(v);
    for j in 0..2 {
        s += row_dot(w[j], x).tanh();
    }
    s * norm2(&x)
}

#[test]
fn callees_taking_arrays_slices_and_rows() {
    let w = [[0.5, -1.0, 0.2], [1.5, 0.3, -0.7]];
    let x = [0.4, -0.2, 1.1];
    let v = [1.0, -2.0];
    let (val, dw, dx, dv) = with_arrays_grad(w, x, &v);
    let flat = |a: &[f64]| {
        with_arrays(
            [[a[0], a[1], a[2]], [a[3], a[4], a[5]]],
            [a[6], a[7], a[8]],
            &a[9..],
        )
    };
    let mut point: Vec<f64> = w.iter().flatten().copied().collect();
    point.extend(x);
    point.extend(v);
    let mut all = vec![val];
    all.extend(dw.iter().flatten());
    all.extend(dx);
    all.extend(&dv);
    check(&flat, &all, &point);
}

#[grad]
fn sum_sq2(a: [f64; 2]) -> f64 {
    a[0] * a[0] + a[1] * a[1]
}

#[grad]
fn sum_sq_ref(a: &[f64; 2]) -> f64 {
    a[0] * a[0] + a[1] * a[1]
}

/// An array parameter whose only use is as a call argument.
#[grad]
fn array_only_passed_on(a: [f64; 2]) -> f64 {
    sum_sq2(a)
}

/// A local array whose only use is as a call argument, by reference.
#[grad]
fn local_array_only_passed_on(x: f64, y: f64) -> f64 {
    let a = [x, y];
    sum_sq_ref(&a)
}

/// The same, with a method on the call's result.
#[grad]
fn local_array_passed_on_then_tanh(x: f64, y: f64) -> f64 {
    let a = [x, y];
    sum_sq_ref(&a).tanh()
}

#[test]
fn arrays_used_only_as_call_arguments() {
    // Regression: the adjoint array was declared without `mut`.
    assert_eq!(array_only_passed_on_grad([3.0, -2.0]), (13.0, [6.0, -4.0]));
    assert_eq!(
        local_array_only_passed_on_grad(3.0, -2.0),
        (13.0, 6.0, -4.0)
    );
    let (x, y) = (0.3, -0.2);
    let (v, dx, dy) = local_array_passed_on_then_tanh_grad(x, y);
    let s = x * x + y * y;
    let d = 1.0 - s.tanh() * s.tanh();
    assert!((v - s.tanh()).abs() < 1e-15);
    assert!((dx - d * 2.0 * x).abs() < 1e-15 && (dy - d * 2.0 * y).abs() < 1e-15);
}
