//! Every rule of the table against central finite differences, in method
//! form and path form, at several points inside its domain; and the exact
//! conventions at kinks (DESIGN.md §2.8).

// Some functions here are called only through their generated gradient,
// and loops index several arrays at once, as numeric code does.
#![allow(dead_code, clippy::needless_range_loop)]

use crate::common;

use autodiff_core::grad;
use common::check;

/// A unary float method `m`: `x.m()` and `f64::m(x)` at the given points.
macro_rules! unary {
    ($($m:ident: [$($p:expr),*];)*) => {$(
        mod $m {
            use super::*;
            #[grad]
            fn method(x: f64) -> f64 {
                x.$m()
            }
            #[grad]
            fn path(x: f64) -> f64 {
                f64::$m(x)
            }
            #[test]
            fn matches_finite_differences() {
                for x in [$($p),*] {
                    let (v, d) = method_grad(x);
                    check(&|a| method(a[0]), &[v, d], &[x]);
                    let (v, d) = path_grad(x);
                    check(&|a| path(a[0]), &[v, d], &[x]);
                }
            }
        }
    )*};
}

/// A binary float method `m`: `x.m(y)` and `f64::m(x, y)`.
macro_rules! binary {
    ($($m:ident: [$(($x:expr, $y:expr)),*];)*) => {$(
        mod $m {
            use super::*;
            #[grad]
            fn method(x: f64, y: f64) -> f64 {
                x.$m(y)
            }
            #[grad]
            fn path(x: f64, y: f64) -> f64 {
                f64::$m(x, y)
            }
            #[test]
            fn matches_finite_differences() {
                for (x, y) in [$(($x, $y)),*] {
                    let (v, dx, dy) = method_grad(x, y);
                    check(&|a| method(a[0], a[1]), &[v, dx, dy], &[x, y]);
                    let (v, dx, dy) = path_grad(x, y);
                    check(&|a| path(a[0], a[1]), &[v, dx, dy], &[x, y]);
                }
            }
        }
    )*};
}

unary! {
    exp: [-2.0, 0.0, 0.7, 3.0];
    exp2: [-2.0, 0.0, 0.7, 3.0];
    exp_m1: [-2.0, 1e-3, 0.7, 3.0];
    ln: [0.1, 1.0, 2.5, 40.0];
    ln_1p: [-0.5, 1e-3, 2.5, 40.0];
    log2: [0.1, 1.0, 2.5, 40.0];
    log10: [0.1, 1.0, 2.5, 40.0];
    sqrt: [0.1, 1.0, 2.5, 40.0];
    cbrt: [-8.0, -0.3, 0.1, 2.5];
    recip: [-3.0, -0.2, 0.5, 4.0];
    sin: [-2.0, 0.0, 0.7, 3.0];
    cos: [-2.0, 0.0, 0.7, 3.0];
    tan: [-1.2, 0.0, 0.7, 1.3];
    asin: [-0.9, 0.0, 0.3, 0.8];
    acos: [-0.9, 0.0, 0.3, 0.8];
    atan: [-5.0, 0.0, 0.3, 2.0];
    sinh: [-2.0, 0.0, 0.7, 3.0];
    cosh: [-2.0, 0.0, 0.7, 3.0];
    tanh: [-2.0, 0.0, 0.7, 3.0];
    asinh: [-2.0, 0.0, 0.7, 3.0];
    acosh: [1.1, 2.0, 7.5];
    atanh: [-0.9, 0.0, 0.3, 0.8];
    abs: [-2.0, -0.1, 0.3, 5.0];
    signum: [-2.0, -0.1, 0.3, 5.0];
    floor: [-2.5, -0.1, 0.3, 5.7];
    ceil: [-2.5, -0.1, 0.3, 5.7];
    round: [-2.3, -0.1, 0.3, 5.7];
    trunc: [-2.5, -0.1, 0.3, 5.7];
    fract: [-2.5, -0.1, 0.3, 5.7];
    to_degrees: [-2.0, 0.0, 0.7];
    to_radians: [-90.0, 0.0, 45.0];
}

binary! {
    max: [(1.0, 2.0), (3.0, -1.0), (-0.5, -0.7)];
    min: [(1.0, 2.0), (3.0, -1.0), (-0.5, -0.7)];
    powf: [(2.0, 3.0), (0.5, -1.5), (3.0, 0.25), (1.7, 0.0)];
    log: [(8.0, 2.0), (0.3, 10.0), (5.0, 0.5)];
    atan2: [(1.0, 2.0), (-1.0, -2.0), (3.0, -0.5), (-0.1, 4.0)];
    hypot: [(3.0, 4.0), (-1.0, 0.5), (0.0, 2.0)];
    copysign: [(1.5, -2.0), (-1.5, 3.0), (2.0, 1.0)];
}

#[grad]
fn powi(x: f64, n: i32) -> f64 {
    x.powi(n) + f64::powi(x, n - 1)
}

#[test]
fn powi_matches_finite_differences() {
    for n in [-3, -1, 0, 1, 2, 5] {
        for x in [-1.5, 0.4, 2.0] {
            let (v, d) = powi_grad(x, n);
            check(&|a| powi(a[0], n), &[v, d], &[x]);
        }
    }
}

#[grad]
fn mul_add(x: f64, a: f64, b: f64) -> f64 {
    x.mul_add(a, b) * f64::mul_add(a, b, x)
}

#[grad]
fn clamp(x: f64, lo: f64, hi: f64) -> f64 {
    x.clamp(lo, hi) * 3.0 + f64::clamp(x * 2.0, lo, hi)
}

#[test]
fn ternary_methods_match_finite_differences() {
    for p in [[0.5, 2.0, -1.0], [-1.5, 0.3, 2.0], [3.0, -2.0, 0.1]] {
        let (v, d0, d1, d2) = mul_add_grad(p[0], p[1], p[2]);
        check(&|a| mul_add(a[0], a[1], a[2]), &[v, d0, d1, d2], &p);
    }
    // Inside, below and above the interval, away from the kinks.
    for p in [
        [0.3, -1.0, 1.0],
        [-2.0, -1.0, 1.0],
        [0.8, -1.0, 1.0],
        [5.0, -1.0, 1.0],
    ] {
        let (v, d0, d1, d2) = clamp_grad(p[0], p[1], p[2]);
        check(&|a| clamp(a[0], a[1], a[2]), &[v, d0, d1, d2], &p);
    }
}

#[grad]
fn sin_cos(x: f64) -> f64 {
    let (s, c) = x.sin_cos();
    let (s2, c2) = f64::sin_cos(x * 2.0);
    s * c2 - c * s2
}

#[test]
fn sin_cos_matches_finite_differences() {
    for x in [-2.0, 0.0, 0.7, 3.0] {
        let (v, d) = sin_cos_grad(x);
        check(&|a| sin_cos(a[0]), &[v, d], &[x]);
    }
}

#[grad]
fn arithmetic(x: f64, y: f64) -> f64 {
    let a = x + y;
    let b = x - y;
    let c = a * b;
    let d = c / (y * y + 1.0);
    -d + (x / y)
}

#[test]
fn arithmetic_matches_finite_differences() {
    for p in [[1.0, 2.0], [-3.0, 0.5], [0.1, -4.0]] {
        let (v, dx, dy) = arithmetic_grad(p[0], p[1]);
        check(&|a| arithmetic(a[0], a[1]), &[v, dx, dy], &p);
    }
}

// Conventions at kinks, exactly (DESIGN.md §2.8).

#[grad]
fn max2(a: f64, b: f64) -> f64 {
    a.max(b)
}

#[grad]
fn min2(a: f64, b: f64) -> f64 {
    f64::min(a, b)
}

#[test]
fn max_routes_and_ties_split_evenly() {
    assert_eq!(max2_grad(3.0, 1.0), (3.0, 1.0, 0.0));
    assert_eq!(max2_grad(1.0, 3.0), (3.0, 0.0, 1.0));
    assert_eq!(max2_grad(2.0, 2.0), (2.0, 0.5, 0.5));
    assert_eq!(min2_grad(3.0, 1.0), (1.0, 0.0, 1.0));
    assert_eq!(min2_grad(2.0, 2.0), (2.0, 0.5, 0.5));
}

#[test]
fn max_with_nan_routes_to_the_number() {
    assert_eq!(max2_grad(f64::NAN, 1.0), (1.0, 0.0, 1.0));
    assert_eq!(max2_grad(1.0, f64::NAN), (1.0, 1.0, 0.0));
    assert_eq!(min2_grad(f64::NAN, 1.0), (1.0, 0.0, 1.0));
}

#[grad]
fn kinks(x: f64) -> f64 {
    x.abs() + x.signum() + x.floor() + x.ceil() + x.round() + x.trunc()
}

#[test]
fn kinks_have_zero_derivative_at_the_kink() {
    assert_eq!(kinks_grad(0.0).1, 0.0);
    // Away from 0 only abs contributes: sign(x).
    assert_eq!(kinks_grad(2.5).1, 1.0);
    assert_eq!(kinks_grad(-1.0).1, -1.0);
}

#[grad]
fn clamp_only(x: f64, lo: f64, hi: f64) -> f64 {
    x.clamp(lo, hi)
}

#[test]
fn clamp_routes_and_splits_at_the_bounds() {
    assert_eq!(clamp_only_grad(0.5, 0.0, 1.0), (0.5, 1.0, 0.0, 0.0));
    assert_eq!(clamp_only_grad(-3.0, 0.0, 1.0), (0.0, 0.0, 1.0, 0.0));
    assert_eq!(clamp_only_grad(3.0, 0.0, 1.0), (1.0, 0.0, 0.0, 1.0));
    assert_eq!(clamp_only_grad(0.0, 0.0, 1.0), (0.0, 0.5, 0.5, 0.0));
    assert_eq!(clamp_only_grad(1.0, 0.0, 1.0), (1.0, 0.5, 0.0, 0.5));
}

#[grad]
fn pow_edges(x: f64, y: f64) -> f64 {
    x.powf(y) + x.powi(0)
}

#[test]
fn pow_at_zero_follows_the_conventions() {
    // d/dx x^0 = 0 even at x = 0; d/dy 0^y = 0 for y >= 0.
    assert_eq!(pow_edges_grad(0.0, 0.0), (2.0, 0.0, 0.0));
    // d/dx x^2 at 0 is 0, d/dy is 0 at x = 0.
    assert_eq!(pow_edges_grad(0.0, 2.0), (1.0, 0.0, 0.0));
}

#[grad]
fn hypot_only(x: f64, y: f64) -> f64 {
    x.hypot(y)
}

#[test]
fn hypot_at_the_origin_is_zero() {
    assert_eq!(hypot_only_grad(0.0, 0.0), (0.0, 0.0, 0.0));
    assert_eq!(hypot_only_grad(3.0, 4.0), (5.0, 0.6, 0.8));
}

#[grad]
fn domain_edges(x: f64) -> f64 {
    x.sqrt() + x.ln()
}

#[test]
fn nan_and_infinity_propagate_as_std_makes_them() {
    let (v, d) = domain_edges_grad(0.0);
    assert_eq!(v, f64::NEG_INFINITY);
    assert_eq!(d, f64::INFINITY);
    let (v, d) = domain_edges_grad(-1.0);
    assert!(v.is_nan() && d.is_nan());
}

#[grad]
fn f32_ops(x: f32, y: f32) -> f32 {
    let a = x.exp() * y.sin() + f32::max(x, y);
    a.sqrt() / (y * y + 1.0)
}

#[test]
fn f32_functions_match_finite_differences() {
    for p in [[0.3f32, 1.2f32], [-0.7, 2.0], [1.5, 0.4]] {
        let (v, dx, dy) = f32_ops_grad(p[0], p[1]);
        let f = |a: &[f64]| f64::from(f32_ops(a[0] as f32, a[1] as f32));
        // f32 finite differences are coarse: compare with the f64 twin.
        let (v64, dx64, dy64) = f64_twin_grad(f64::from(p[0]), f64::from(p[1]));
        assert!(common::close(
            f64::from(v),
            f(&[f64::from(p[0]), f64::from(p[1])]),
            1e-6
        ));
        assert!(common::close(f64::from(v), v64, 1e-5));
        assert!(common::close(f64::from(dx), dx64, 1e-4), "{dx} vs {dx64}");
        assert!(common::close(f64::from(dy), dy64, 1e-4), "{dy} vs {dy64}");
        check(
            &|a| f64_twin(a[0], a[1]),
            &[v64, dx64, dy64],
            &[p[0].into(), p[1].into()],
        );
    }
}

#[grad]
fn f64_twin(x: f64, y: f64) -> f64 {
    let a = x.exp() * y.sin() + f64::max(x, y);
    a.sqrt() / (y * y + 1.0)
}

#[grad]
fn copysign_only(x: f64, y: f64) -> f64 {
    x.copysign(y)
}

#[grad]
fn fract_only(x: f64) -> f64 {
    x.fract()
}

#[test]
fn copysign_and_fract_conventions() {
    assert_eq!(copysign_only_grad(2.0, -1.0), (-2.0, -1.0, 0.0));
    assert_eq!(copysign_only_grad(-2.0, -1.0), (-2.0, 1.0, 0.0));
    // At x = 0 the sign flip is a kink: derivative 0.
    assert_eq!(copysign_only_grad(0.0, -1.0).1, 0.0);
    assert_eq!(fract_only_grad(2.75), (0.75, 1.0));
    assert_eq!(fract_only_grad(-3.0).1, 1.0);
}
