//! Literals and names as Rust spells them: `1.`, `2f64`, raw identifiers
//! (regressions of the fuzzer's findings: each was an internal error, a
//! rejection, or a silent zero gradient).

// Some functions here are called only through their generated gradient.
#![allow(dead_code)]

use autodiff_core::grad;

#[grad]
fn trailing_dot(x: f64) -> f64 {
    x * 3. + 1.
}

#[grad]
fn suffixed_integers(x: f64) -> f64 {
    2f64 * x + 7f64
}

#[grad]
fn suffixed_integers_f32(x: f32) -> f32 {
    x * 7f32
}

#[test]
fn float_literals_with_a_trailing_dot_or_a_suffix_on_digits() {
    assert_eq!(trailing_dot_grad(2.0), (7.0, 3.0));
    assert_eq!(suffixed_integers_grad(1.5), (10.0, 2.0));
    assert_eq!(suffixed_integers_f32_grad(2.0), (14.0, 7.0));
}

#[grad]
fn raw_parameter(r#type: f64, y: f64) -> f64 {
    r#type * y
}

#[grad]
fn raw_and_plain_are_one_name(r#x: f64) -> f64 {
    // `r#x` and `x` are the same variable.
    x * x
}

#[grad]
fn r#sq(x: f64) -> f64 {
    x * x
}

mod r#m {
    use autodiff_core::grad;

    #[grad]
    pub fn cube(x: f64) -> f64 {
        x * x * x
    }
}

#[allow(non_upper_case_globals)]
const r#SCALE: f64 = 4.0;

#[grad]
fn raw_callees_and_constants(x: f64) -> f64 {
    r#sq(x) + r#m::cube(x) * r#SCALE
}

#[grad]
fn raw_slice_parameter(r#in: &[f64]) -> f64 {
    let mut s = 0.0;
    for v in r#in {
        s += v * v;
    }
    s
}

#[test]
fn raw_identifiers_are_names_like_any_other() {
    assert_eq!(raw_parameter_grad(3.0, -2.0), (-6.0, -2.0, 3.0));
    // d/dx x² = 2x: the plain `x` is the raw parameter, not a constant.
    assert_eq!(raw_and_plain_are_one_name_grad(3.0), (9.0, 6.0));
    // d/dx (x² + 4x³) = 2x + 12x².
    assert_eq!(raw_callees_and_constants_grad(2.0), (36.0, 52.0));
    let (v, g) = raw_slice_parameter_grad(&[1.0, -2.0]);
    assert_eq!((v, g), (5.0, vec![2.0, -4.0]));
    let mut out = [0.0; 2];
    assert_eq!(raw_slice_parameter_grad_into(&[3.0, 0.5], &mut out), 9.25);
    assert_eq!(out, [6.0, 1.0]);
}

#[allow(non_upper_case_globals)]
const r#loop: i32 = 3;

#[grad]
fn raw_constant_as_an_exponent(x: f64) -> f64 {
    x.powi(r#loop) + (r#loop as f64) * x
}

#[test]
fn raw_constants_keep_their_r_sharp() {
    // d/dx (x³ + 3x) = 3x² + 3.
    assert_eq!(raw_constant_as_an_exponent_grad(2.0), (14.0, 15.0));
}
