//! Generated code raises no warnings in the user's crate, also when `f_grad`
//! is never called: this file denies them all, so it compiles only if that
//! holds. (`cargo clippy --all-targets -- -D warnings` in CI adds clippy's.)

#![deny(warnings, unused, missing_docs, clippy::all)]

use autodiff_core::grad;

#[grad]
fn never_differentiated(x: f64, y: f64, n: i32, _unused: f64) -> f64 {
    let mut s = x * y;
    s += x.powi(n);
    s.max(y)
}

/// Several outputs: the hidden scalar function and `f_vjp`/`f_jacobian`
/// raise no warning either.
#[grad]
fn vector_never_differentiated(x: f64, v: [f64; 2]) -> [f64; 2] {
    [x * v[0], (x + v[1]).sin()]
}

#[grad]
fn f32_never_differentiated(x: f32) -> f32 {
    x.sqrt()
}

/// A public function with docs: the generated `f_grad` has docs too
/// (`missing_docs` is denied above).
#[grad]
pub fn documented(x: f64) -> f64 {
    x.exp()
}

#[test]
fn original_functions_still_work() {
    assert_eq!(never_differentiated(2.0, 3.0, 1, 0.0), 8.0);
    assert_eq!(
        vector_never_differentiated(2.0, [1.0, 0.0]),
        [2.0, 2.0f64.sin()]
    );
    assert_eq!(f32_never_differentiated(4.0), 2.0);
    assert_eq!(documented(0.0), 1.0);
}

#[grad]
fn structured_never_differentiated(x: &[f64], w: [[f64; 2]; 2], n: usize, flag: bool) -> f64 {
    let mut s = [0.0; 2];
    let mut acc = 0.0;
    for (i, v) in x.iter().enumerate() {
        if *v > 0.0 && flag {
            acc += v * w[i % 2][0];
        } else {
            s[i % 2] += v;
        }
        if i > n {
            return acc;
        }
    }
    let mut k = 0;
    while k < 2 {
        acc += s[k] * x.iter().sum::<f64>();
        k += 1;
    }
    acc
}

#[test]
fn structured_original_still_works() {
    assert_eq!(
        structured_never_differentiated(&[1.0, -1.0], [[1.0, 0.0], [0.0, 1.0]], 5, true),
        1.0
    );
}

/// Forward mode and second order, never called.
#[autodiff_core::grad(forward, hessian)]
pub fn second_order_unused(x: f64, v: [f64; 2]) -> f64 {
    x * v[0] + (x * v[1]).sin()
}

/// Forward mode and second order through a call, never called.
#[autodiff_core::grad(forward, hessian)]
pub fn second_order_call_unused(x: f64, y: f64) -> f64 {
    second_order_unused(x, [y, 2.0]) * y
}

/// Several outputs with forward mode (`f_jvp`, the Jacobian by input) and
/// an early return, never called.
#[grad(forward)]
pub fn vector_forward_unused(x: f64) -> [f64; 3] {
    if x > 3.0 {
        return [x, 0.0, 1.0];
    }
    [x * x, x.sin(), 1.0]
}
