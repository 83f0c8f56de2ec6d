//! Snapshots of the everyday forms (issue 15): how each lowers to the IR
//! the rest of the pipeline already knows (no new instruction but
//! `Stmt::Effect`).

use super::check_lower;
use expect_test::expect;

#[test]
fn lower_const_table() {
    check_lower(
        "fn f(x: f64) -> f64 { let mut s = 0.0; for i in 0..W.len() { s += W[i] * x; } s }",
        expect![[r#"
            fn(x: f64) -> f64
              %0 = param 0 x
              %1 = zero  // return value
              %2 = lit 0.0
              %3 = copy %2  // s
              %4 = passive int `0`
              %6 = passive int `W. len ()`
              for %7 in %4..%6 {
                %11 = passive f64 `W[%7]`
                %12 = mul %11, %0
                %13 = add %3, %12
                %3 := %13
              }
              %1 := %3
              ret %1
        "#]],
    );
}

#[test]
fn lower_closure_inlined_at_each_call() {
    check_lower(
        "fn f(a: f64, b: f64) -> f64 { let mut k = a; let sq = move |v: f64| v * k; k = b; sq(a) + sq(b) + k }",
        expect![[r#"
            fn(a: f64, b: f64) -> f64
              %0 = param 0 a
              %1 = param 1 b
              %2 = copy %0
              %3 = mul %0, %2
              %4 = mul %1, %2
              %5 = add %3, %4
              %6 = add %5, %1
              ret %6
        "#]],
    );
}

#[test]
fn lower_loop_as_value() {
    check_lower(
        "fn f(x: f64) -> f64 { let mut y = x; loop { y *= 0.5; if y < 1.0 { break y * 2.0; } } }",
        expect![[r#"
            fn(x: f64) -> f64
              %0 = param 0 x
              %1 = zero  // return value
              %2 = copy %0  // y
              %3 = zero  // value
              %4 = passive bool `false`  // broken
              while {
                %5 = passive bool `!(%4)`
              } %5 {
                %6 = lit 0.5
                %7 = mul %2, %6
                %2 := %7
                %8 = lit 1.0
                %9 = passive bool `%2<%8`
                if %9 {
                  %10 = lit 2.0
                  %11 = mul %2, %10
                  %3 := %11
                  %12 = passive bool `true`
                  %4 := %12
                }
              }
              %1 := %3
              ret %1
        "#]],
    );
}

#[test]
fn lower_max_by_and_destructuring() {
    check_lower(
        "fn f(x: &[f64], p: [f64; 2]) -> f64 { let [a, b] = p; let (s, c) = (a.sin(), b.cos()); *x.iter().max_by(|u, v| u.total_cmp(v)).unwrap() * s + c }",
        expect![[r#"
            fn(x: array, p: array) -> f64
              %0 = array param 0 x  // x
              %1 = array param 1 p  // p
              %2 = zero  // return value
              %3 = passive int `0usize`
              %4 = load %1[%3]  // a
              %5 = passive int `1usize`
              %6 = load %1[%5]  // b
              %7 = sin %4  // s
              %8 = cos %6  // c
              %9 = passive int `0usize`
              %10 = passive int `%0. len ()`
              %11 = passive int `1usize`
              %12 = passive int `%9+%11`
              %13 = load %0[%9]
              %14 = copy %13  // acc
              for %15 in %12..%10 {
                %16 = load %0[%15]
                %17 = passive bool `%14. total_cmp(&%16)== :: core :: cmp :: Ordering :: Greater`
                %18 = passive bool `!(%17)`
                if %18 {
                  %14 := %16
                }
              }
              %19 = mul %14, %7
              %20 = add %19, %8
              %2 := %20
              ret %2
        "#]],
    );
}

#[test]
fn lower_assertions_as_effects() {
    check_lower(
        r#"fn f(x: f64, n: usize) -> f64 { assert!(x > 0.0, "x = {x}, n = {}", n); let y = x * x; println!("{y:.3}"); y }"#,
        expect![[r#"
            fn(x: f64, n: const) -> f64
              %0 = param 0 x
              %1 = passive int `n`  // n
              %2 = zero  // return value
              %3 = lit 0.0
              %4 = passive bool `%0>%3`
              effect `assert !(%4,"x = {x}, n = {}",%1,x =%0)`
              %5 = mul %0, %0  // y
              effect `println !("{y:.3}",y =%5)`
              %2 := %5
              ret %2
        "#]],
    );
}

#[test]
fn lower_f32_values_rounded_after_each_operation() {
    check_lower(
        "fn f(x: f64) -> f64 { let y = x as f32; let z = y * y + 0.1; (z.abs() as f64) * x }",
        expect![[r#"
            fn(x: f64) -> f64
              %0 = param 0 x
              %1 = round_f32 %0  // y
              %2 = mul %1, %1
              %3 = round_f32 %2
              %4 = lit 0.1
              %5 = lit 0.10000000149011612
              %6 = add %3, %5
              %7 = round_f32 %6  // z
              %8 = abs %7
              %9 = copy %8
              %10 = mul %9, %0
              ret %10
        "#]],
    );
}
