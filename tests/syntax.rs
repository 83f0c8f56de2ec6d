//! The straight-line language of `#[grad]`: bindings, reassignment, compound
//! assignment, blocks, `return`, constants, integer parameters, fan-out and
//! unused parameters, with exact gradients worked out by hand.

// Some functions here are called only through their generated gradient,
// and loops index several arrays at once, as numeric code does; the forms
// clippy would rewrite are the syntax under test.
#![allow(
    dead_code,
    clippy::needless_range_loop,
    clippy::assign_op_pattern,
    clippy::needless_return
)]

use crate::common;

use autodiff_core::grad;
use common::check;

const SCALE: f64 = 3.0;

#[grad]
fn bindings(x: f64, y: f64) -> f64 {
    let a = x * y;
    let a = a + x; // shadowing
    let mut s = 1.0;
    s += a; // 1 + xy + x
    s *= y; // y + xy² + xy
    s -= x; // … - x
    s /= 2.0;
    s = s + SCALE * x;
    s
}

#[test]
fn let_shadowing_and_compound_assignment() {
    let (x, y) = (2.0, 3.0);
    // s = (y + x y² + x y - x) / 2 + 3x
    let v = (y + x * y * y + x * y - x) / 2.0 + 3.0 * x;
    let dx = (y * y + y - 1.0) / 2.0 + 3.0;
    let dy = (1.0 + 2.0 * x * y + x) / 2.0;
    assert_eq!(bindings_grad(x, y), (v, dx, dy));
}

#[grad]
fn early_return(x: f64) -> f64 {
    let y = x * x;
    return y * x;
}

#[grad]
fn block_expression(x: f64) -> f64 {
    let b = {
        let t = x + 1.0;
        t * t
    };
    b - x
}

#[test]
fn return_and_blocks() {
    assert_eq!(early_return_grad(2.0), (8.0, 12.0));
    // (x + 1)² - x: derivative 2(x + 1) - 1
    assert_eq!(block_expression_grad(3.0), (13.0, 7.0));
}

#[grad]
fn constants(x: f64) -> f64 {
    std::f64::consts::PI * x + core::f64::consts::E + SCALE
}

#[grad]
fn integer_parameter(x: f64, n: usize, k: i32) -> f64 {
    x * n as f64 + x.powi(k * 2 - 1)
}

#[test]
fn constants_and_integer_parameters_have_no_slot() {
    let (v, d) = constants_grad(2.0);
    assert_eq!(v, std::f64::consts::PI * 2.0 + std::f64::consts::E + 3.0);
    assert_eq!(d, std::f64::consts::PI);
    // x n + x^(2k - 1) at x = 2, n = 3, k = 2: 6 + 8; derivative 3 + 3 x² = 15
    assert_eq!(integer_parameter_grad(2.0, 3, 2), (14.0, 15.0));
}

#[grad]
fn fan_out(x: f64, y: f64) -> f64 {
    let a = x * y;
    a * a + a * x + a
}

#[test]
fn fan_out_accumulates_gradients() {
    let (x, y) = (1.5, -2.0);
    let (v, dx, dy) = fan_out_grad(x, y);
    // a² + a x + a = x²y² + x²y + xy
    assert_eq!(v, x * x * y * y + x * x * y + x * y);
    assert_eq!(dx, 2.0 * x * y * y + 2.0 * x * y + y);
    assert_eq!(dy, 2.0 * x * x * y + x * x + x);
    check(&|p| fan_out(p[0], p[1]), &[v, dx, dy], &[x, y]);
}

#[grad]
fn unused(x: f64, _y: f64, _: f64) -> f64 {
    x * 2.0
}

#[test]
fn unused_parameters_get_zero() {
    assert_eq!(unused_grad(1.0, 2.0, 3.0), (2.0, 2.0, 0.0, 0.0));
}

#[grad]
fn whole_f32(x: f32, y: f32) -> f32 {
    let q = x + y;
    let m = q.max(y);
    m * 2.0f32 - f32::min(x, 1.0)
}

#[test]
fn f32_functions() {
    // q = 2.5, m = 2.5, 5 - 0.5 = 4.5; ∂x = 2 - 1 (through q and min), ∂y = 2
    assert_eq!(whole_f32_grad(0.5, 2.0), (4.5f32, 1.0f32, 2.0f32));
    // min(1, 1) is a tie: ∂x = 2 - ½
    assert_eq!(whole_f32_grad(1.0, 2.0), (5.0f32, 1.5f32, 2.0f32));
    assert_eq!(whole_f32_grad(-1.0, 2.0), (5.0f32, -1.0f32, 2.0f32));
}

#[grad]
fn parenthesized_and_negated(x: f64, y: f64) -> f64 {
    -((x - y) * -(y / x))
}

#[test]
fn parentheses_and_unary_minus() {
    let (x, y) = (2.0, 3.0);
    let (v, dx, dy) = parenthesized_and_negated_grad(x, y);
    // (x - y) y / x = y - y²/x
    assert_eq!(v, y - y * y / x);
    check(
        &|p| parenthesized_and_negated(p[0], p[1]),
        &[v, dx, dy],
        &[x, y],
    );
    assert_eq!(dx, y * y / (x * x));
    assert_eq!(dy, 1.0 - 2.0 * y / x);
}

/// Documentation on `f` stays on `f`.
#[grad]
pub fn public(x: f64) -> f64 {
    x
}

#[test]
fn visibility_is_kept() {
    assert_eq!(public_grad(4.0), (4.0, 1.0));
}
