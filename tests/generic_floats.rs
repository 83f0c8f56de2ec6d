//! Functions generic over their float type (`fn f<T: Float>`): the `f64`
//! instance against central finite differences, the `f32` instance against
//! the `f64` one to `f32` precision.

// Index loops are how numeric code is written, and what #[grad] reads.
#![allow(clippy::needless_range_loop)]

use crate::common;

use autodiff_core::grad;
use num_traits::Float;

/// The extended Rosenbrock function, written once for both float types.
#[grad]
pub fn rosenbrock<T: Float>(x: &[T]) -> T {
    let mut s = T::zero();
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let b = T::one() - x[i];
        s = s + T::from(100.0).unwrap() * a * a + b * b;
    }
    s
}

/// Float methods, integer casts, the constants of `num_traits::Float`,
/// branches and an array parameter.
#[grad]
fn mixed<T: Float>(w: [T; 3], a: T, n: usize) -> T {
    let mut acc = T::from(-0.5).unwrap() * a;
    for k in 0..n {
        let t = T::from(k).unwrap() / T::from(n).unwrap();
        acc = acc + (w[k % 3] * t).sin() * a.exp() + w[0].powi(2) * t.sqrt();
    }
    if acc > T::zero() {
        acc.tanh() + a.max(w[1]) + T::epsilon()
    } else {
        (acc * acc + T::one()).ln() - w[2].abs()
    }
}

/// Calls between generic `#[grad]` functions.
#[grad]
fn outer<T: Float>(x: &[T], scale: T) -> T {
    scale * rosenbrock(x) + square(scale)
}

#[grad]
fn square<T: Float>(x: T) -> T {
    x * x
}

#[test]
fn rosenbrock_in_f64_and_f32() {
    let x = [0.5, -1.2, 0.8, 2.0];
    let (v, g) = rosenbrock_grad(&x[..]);
    assert_eq!(v, rosenbrock(&x[..]));
    let mut all = vec![v];
    all.extend(&g);
    common::check(&|x| rosenbrock(x), &all, &x);
    // The same function at `f32`: same derivatives to f32 precision.
    let x32 = x.map(|v| v as f32);
    let (v32, g32) = rosenbrock_grad(&x32[..]);
    assert_eq!(v32, rosenbrock(&x32[..]));
    for (a, b) in g32.iter().zip(&g) {
        assert!(
            (*a as f64 - b).abs() <= 1e-5 * b.abs().max(1.0),
            "{a} vs {b}"
        );
    }
    // `f_grad_into` exists at both types.
    let mut out = [f32::NAN; 4];
    assert_eq!(rosenbrock_grad_into(&x32[..], &mut out), v32);
    assert_eq!(out.to_vec(), g32);
}

#[test]
fn methods_casts_and_constants() {
    for (w, a) in [([0.3, -0.7, 1.1], 0.4), ([-0.3, 0.2, 0.5], -1.5)] {
        let (v, gw, ga) = mixed_grad(w, a, 5);
        assert_eq!(v, mixed(w, a, 5));
        let mut all = vec![v];
        all.extend(gw);
        all.push(ga);
        let f = |p: &[f64]| mixed([p[0], p[1], p[2]], p[3], 5);
        common::check(&f, &all, &[w[0], w[1], w[2], a]);
        let (v32, gw32, ga32) = mixed_grad(w.map(|v| v as f32), a as f32, 5);
        assert!((v32 as f64 - v).abs() < 1e-5);
        for (x, y) in gw32.iter().chain([&ga32]).zip(gw.iter().chain([&ga])) {
            assert!(
                (*x as f64 - y).abs() <= 1e-4 * y.abs().max(1.0),
                "{x} vs {y}"
            );
        }
    }
}

#[test]
fn generic_calls_generic() {
    let x = [0.5, -1.2, 0.8];
    let (v, gx, gs) = outer_grad(&x[..], 1.5);
    assert_eq!(v, outer(&x[..], 1.5));
    let mut all = vec![v];
    all.extend(&gx);
    all.push(gs);
    let f = |p: &[f64]| outer(&p[..3], p[3]);
    common::check(&f, &all, &[0.5, -1.2, 0.8, 1.5]);
    let (v32, _, gs32) = outer_grad(&[0.5f32, -1.2, 0.8][..], 1.5);
    assert!((v32 as f64 - v).abs() < 1e-4 * v.abs());
    assert!((gs32 as f64 - gs).abs() < 1e-4 * gs.abs());
}

/// `T::from(0.1)` is `0.1` parsed at each type: rounded once.
#[test]
fn literals_round_once_to_f32() {
    // 0.1 parsed as f32 directly, not through f64.
    #[grad]
    fn tenth<T: Float>(x: T) -> T {
        T::from(0.1).unwrap() * x
    }
    assert_eq!(tenth(1.0f32), 0.1f32);
    assert_eq!(tenth_grad(1.0f32), (0.1f32, 0.1f32));
    assert_eq!(tenth_grad(1.0f64), (0.1f64, 0.1f64));
}

/// A literal past the float type's range is the infinity `T::from` gives
/// at run time (issue 23: `1e39` at `f32` made the expansion panic).
#[test]
fn a_literal_past_the_range_is_infinite() {
    #[grad]
    fn big<T: Float>(x: T) -> T {
        x * T::from(1e39).unwrap()
    }
    assert_eq!(big(1.0f32), f32::INFINITY);
    assert_eq!(big_grad(1.0f32), (f32::INFINITY, f32::INFINITY));
    assert_eq!(big_grad(2.0f64), (big(2.0f64), 1e39));
}

/// Forward mode and Hessians of a generic function, at both types.
#[grad(forward, hessian)]
fn quartic<T: Float>(x: [T; 2]) -> T {
    x[0].powi(4) + T::from(3.0).unwrap() * x[0] * x[1] + x[1].sin()
}

#[test]
fn forward_mode_and_hessian_of_a_generic_function() {
    let x = [1.5, -0.5];
    let (v, h) = quartic_jvp(x, [1.0, 0.0]);
    assert_eq!(v, quartic(x));
    assert_eq!(h, 4.0 * 1.5f64.powi(3) + 3.0 * -0.5);
    let (_, _, hess) = quartic_hessian(x);
    assert_eq!(hess, [[12.0 * 1.5 * 1.5, 3.0], [3.0, -(-0.5f64).sin()]]);
    let (_, _, hess32) = quartic_hessian([1.5f32, -0.5]);
    assert_eq!(hess32[0], [27.0f32, 3.0]);
}

/// `T::from` of a `std::f64::consts` constant in a branch, and a float to
/// integer conversion (`.to_usize().unwrap()`, as a cast).
#[grad]
fn consts_and_conversions<T: Float>(x: T, w: &[T]) -> T {
    let p = T::from(std::f64::consts::PI).unwrap() * x;
    let k = (x.abs() * T::from(2.0).unwrap()).to_usize().unwrap() % w.len();
    if x > p { p } else { x * w[k] }
}

#[test]
fn constants_and_integer_conversions() {
    let w = [0.5, -2.0, 3.0];
    for x in [0.7, -1.3] {
        let (v, gx, gw) = consts_and_conversions_grad(x, &w[..]);
        assert_eq!(v, consts_and_conversions(x, &w[..]));
        let mut all = vec![v, gx];
        all.extend(&gw);
        let f = |p: &[f64]| consts_and_conversions(p[0], &p[1..]);
        common::check(&f, &all, &[x, w[0], w[1], w[2]]);
        let w32 = w.map(|v| v as f32);
        let (v32, gx32, _) = consts_and_conversions_grad(x as f32, &w32[..]);
        assert_eq!(v32, consts_and_conversions(x as f32, &w32[..]));
        assert!((gx32 as f64 - gx).abs() < 1e-5 * gx.abs().max(1.0));
    }
}
