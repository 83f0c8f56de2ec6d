//! Struct parameters: the fields the body reads become hidden parameters
//! named by their paths (`structs.rs`), of the kind their use shows.

use super::{check_grad, check_lower};
use expect_test::expect;

#[test]
fn lower_struct_fields_as_parameters() {
    // `p.w` is indexed twice (through `row`): an array of rank 2; `p.b` a
    // float; `p.n` a range bound: an integer constant.
    check_lower(
        "fn f(p: &Net, x: &[f64]) -> f64 {
            let mut s = p.b;
            for j in 0..p.n {
                let row = p.w[j];
                s += row[0] * x[0];
            }
            s
        }",
        expect![[r#"
            fn(p: const, x: array, p.b: f64, p.n: const, p.w: array) -> f64
              %0 = array param 1 x  // x
              %1 = param 2 p.b
              %2 = passive int `__ad_f1_p_n`  // p.n
              %3 = array param 4 p.w  // p.w
              %4 = zero  // return value
              %5 = copy %1  // s
              %6 = passive int `0`
              for %7 in %6..%2 {
                %8 = passive int `0`
                %9 = load %3[%7][%8]
                %10 = passive int `0`
                %11 = load %0[%10]
                %12 = mul %9, %11
                %13 = add %5, %12
                %5 := %13
              }
              %4 := %5
              ret %4
        "#]],
    );
}

#[test]
fn grad_of_struct_fields_straight_line() {
    check_grad(
        "fn f(p: Point, a: f64) -> f64 { a * p.x + p.y.exp() }",
        expect![[r#"
            fn(p: const, a: f64, p.x: f64, p.y: f64) -> f64
              %0 = param 1 a
              %1 = param 2 p.x
              %2 = param 3 p.y
              %3 = mul %0, %1
              %4 = exp %2
              %5 = add %3, %4
              ret %5, %1, %0, %4
        "#]],
    );
}
