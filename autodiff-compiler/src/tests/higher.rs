//! Forward mode and second order: the tangent IR (`f_jvp`) and its reverse
//! sweep (`f_hvp`), calls included.

use super::with_func;
use crate::{forward, pipeline};
use expect_test::{Expect, expect};

/// The tangent function of `src` (simplified): `f_jvp`'s IR, or with
/// `second_order` the function `f_hvp` reverses.
fn check_tangents(src: &str, second_order: bool, expected: Expect) {
    expected.assert_eq(&with_func(src, |f| {
        let t = forward::tangents(&f, second_order);
        pipeline::clean_up(t.func).to_string()
    }));
}

/// The reverse sweep of the second-order tangent function, as `f_hvp`
/// builds it (outputs: ∂ḟ/∂x…, ∂ḟ/∂d…).
fn check_hvp(src: &str, expected: Expect) {
    expected.assert_eq(&with_func(src, |f| {
        let mut t = forward::tangents(&f, true).func;
        let n = f.params.len();
        for (i, p) in t.params.iter_mut().enumerate() {
            p.wrt = i >= n || f.params[i].wrt;
        }
        t.outputs = vec![t.outputs[1]];
        pipeline::gradient(&t).to_string()
    }));
}

#[test]
fn tangent_of_a_call_calls_g_jvp() {
    check_tangents(
        "fn f(x: f64, y: f64) -> f64 { g(x * y, 2.0) + x }",
        false,
        expect![[r#"
            fn(x: f64, y: f64, d_x: f64 nograd, d_y: f64 nograd) -> f64
              %0 = param 0 x
              %7 = param 2 d_x
              %1 = param 1 y
              %8 = param 3 d_y
              %2 = mul %0, %1
              %12 = mul %1, %7
              %13 = mul %0, %8
              %14 = add %12, %13
              %3 = lit 2.0
              %15 = lit 0.0
              %4 = call g_jvp(%2, %3, %14, %15)
              %5 = %4.0
              %16 = %4.1
              %6 = add %5, %0
              %20 = add %16, %7
              %21 = copy %6
              ret %21, %20
        "#]],
    );
}

#[test]
fn tangent_of_a_call_for_a_hessian_calls_g_hvp() {
    check_tangents(
        "fn f(x: f64, y: f64) -> f64 { g(x * y, 2.0) + x }",
        true,
        expect![[r#"
            fn(x: f64, y: f64, d_x: f64 nograd, d_y: f64 nograd) -> f64
              %0 = param 0 x
              %7 = param 2 d_x
              %1 = param 1 y
              %8 = param 3 d_y
              %2 = mul %0, %1
              %12 = mul %1, %7
              %13 = mul %0, %8
              %14 = add %12, %13
              %3 = lit 2.0
              %15 = lit 0.0
              %4 = call g_hvp(%2, %3, %14, %15)
              %5 = %4.0
              %16 = %4.1
              %6 = add %5, %0
              %20 = add %16, %7
              %21 = copy %6
              ret %21, %20
        "#]],
    );
}

#[test]
fn hvp_reads_the_gradient_and_h_d_slots_of_g_hvp() {
    check_hvp(
        "fn f(x: f64) -> f64 { g(x, x) }",
        expect![[r#"
            fn(x: f64, d_x: f64) -> f64
              %0 = param 0 x
              %3 = param 1 d_x
              %1 = call g_hvp(%0, %0, %3, %3)
              %4 = %1.1
              %11 = %1.4
              %6 = zero  // ∂x
              %6 += %11
              %13 = %1.5
              %6 += %13
              %15 = %1.2
              %8 = zero
              %8 += %15
              %17 = %1.3
              %8 += %17
              ret %4, %6, %8
        "#]],
    );
}

#[test]
fn powf_is_differentiated_twice() {
    check_hvp(
        "fn f(x: f64, y: f64) -> f64 { x.powf(y) }",
        expect![[r#"
        fn(x: f64, y: f64, d_x: f64, d_y: f64) -> f64
          %0 = param 0 x
          %1 = param 1 y
          %2 = powf %0, %1
          %3 = param 2 d_x
          %4 = param 3 d_y
          %5 = lit 1.0
          %6 = powf_deriv_x %0, %1
          %7 = powf_deriv_y %0, %1, %2
          %8 = mul %6, %3
          %9 = mul %7, %4
          %10 = add %8, %9
          %11 = div_or_zero %2, %0
          %12 = powf_deriv_y %0, %1, %5
          %13 = mul %4, %11
          %14 = mul %4, %12
          %15 = powf_deriv_xx %0, %1
          %16 = powf_deriv_xy %0, %1
          %17 = mul %3, %15
          %18 = mul %3, %16
          %19 = add %13, %17
          %20 = mul %14, %6
          %21 = mul %14, %7
          %22 = add %19, %20
          %23 = add %18, %21
          ret %10, %22, %23, %6, %7
    "#]],
    );
}
