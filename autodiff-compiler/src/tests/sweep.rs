//! Snapshots of the reverse sweep (after simplification): straight-line
//! code, each region kind, taping and recomputation.

use super::check_grad;
use expect_test::expect;

#[test]
fn grad_lecture_circuit() {
    check_grad(
        "fn circuit(x: f64, y: f64, z: f64) -> f64 { let q = x + y; q * z }",
        expect![[r#"
            fn(x: f64, y: f64, z: f64) -> f64
              %0 = param 0 x
              %1 = param 1 y
              %2 = param 2 z
              %3 = add %0, %1  // q
              %4 = mul %3, %2
              ret %4, %2, %2, %3
        "#]],
    );
}

#[test]
fn grad_lecture_max_circuit() {
    check_grad(
        "fn c(x: f64, y: f64, z: f64, w: f64) -> f64 { 2.0 * (x * y + z.max(w)) }",
        expect![[r#"
            fn(x: f64, y: f64, z: f64, w: f64) -> f64
              %0 = param 0 x
              %1 = param 1 y
              %2 = param 2 z
              %3 = param 3 w
              %4 = lit 2.0
              %5 = mul %0, %1
              %6 = max %2, %3
              %7 = add %5, %6
              %8 = mul %4, %7
              %9 = max_weight %2, %3
              %10 = max_weight %3, %2
              %11 = mul %4, %9
              %12 = mul %4, %10
              %13 = mul %4, %1
              %14 = mul %4, %0
              ret %8, %13, %14, %11, %12
        "#]],
    );
}

#[test]
fn grad_fan_out_accumulates() {
    check_grad(
        "fn f(x: f64) -> f64 { let a = x * x; a * x + a }",
        expect![[r#"
        fn(x: f64) -> f64
          %0 = param 0 x
          %1 = mul %0, %0  // a
          %2 = mul %1, %0
          %3 = add %2, %1
          %4 = lit 1.0
          %5 = add %4, %0
          %6 = mul %5, %0
          %7 = add %1, %6
          %8 = add %7, %6
          ret %3, %8
    "#]],
    );
}

#[test]
fn grad_unused_and_constant_parameters() {
    check_grad(
        "fn f(x: f64, y: f64, n: i32) -> f64 { x.powi(n) }",
        expect![[r#"
        fn(x: f64, y: f64, n: const) -> f64
          %0 = param 0 x
          %1 = passive int `n`  // n
          %2 = powi %0, %1
          %3 = powi_deriv %0, %1
          %4 = lit 0.0
          ret %2, %3, %4
    "#]],
    );
}

#[test]
fn grad_folds_constants() {
    check_grad(
        "fn f(x: f64) -> f64 { x * 2.0 * 3.0 - -x / 1.0 }",
        expect![[r#"
        fn(x: f64) -> f64
          %0 = param 0 x
          %1 = lit 2.0
          %2 = mul %0, %1
          %3 = lit 3.0
          %4 = mul %2, %3
          %5 = neg %0
          %6 = sub %4, %5
          %7 = lit 7.0
          ret %6, %7
    "#]],
    );
}

#[test]
fn grad_f32_folds_in_f32() {
    check_grad(
        "fn f(x: f32) -> f32 { x / 3.0 }",
        expect![[r#"
        fn(x: f32) -> f32
          %0 = param 0 x
          %1 = lit 3.0
          %2 = div %0, %1
          %3 = lit 0.3333333432674408
          ret %2, %3
    "#]],
    );
}

#[test]
fn grad_of_if() {
    check_grad(
        "fn f(x: f64) -> f64 { let y = if x > 0.0 { x * x } else { -x }; y }",
        expect![[r#"
            fn(x: f64) -> f64
              %0 = param 0 x
              %3 = lit 0.0
              %4 = passive bool `%0>%3`
              %2 = zero
              if %4 {
                %5 = mul %0, %0
                %2 := %5
              } else {
                %6 = neg %0
                %2 := %6
              }
              %7 = copy %2  // y
              %1 = zero  // return value
              %1 := %7
              %23 = lit 1.0
              %8 = zero  // ∂x
              if %4 {
                %16 = copy %23
                %18 = mul %16, %0
                %8 += %18
                %19 = mul %16, %0
                %8 += %19
              } else {
                %20 = copy %23
                %22 = neg %20
                %8 += %22
              }
              ret %1, %8
        "#]],
    );
}

#[test]
fn grad_of_for_tapes_only_overwritten_values() {
    // `acc` is overwritten each iteration and read by the reverse sweep: taped.
    // `x` is never overwritten: not taped.
    check_grad(
        "fn f(c: [f64; 3], x: f64) -> f64 { let mut acc = 0.0; for i in 0..3 { acc = acc * x + c[i]; } acc }",
        expect![[r#"
            fn(c: array, x: f64) -> f64
              %26 = tape float [(%6 - %5) * 1]
              %0 = array param 0 c  // c
              %1 = param 1 x
              %5 = passive int `0`
              %6 = passive int `3`
              %3 = lit 0.0
              %4 = copy %3  // acc
              for %7 in %5..%6 {
                %9 = load %0[%7]
                %8 = mul %4, %1
                %10 = add %8, %9
                save %4 to %26[%7, 0]
                %4 := %10
              }
              %2 = zero  // return value
              %2 := %4
              %11 = output like %0  // ∂c
              %27 = lit 1.0
              %31 = copy %27  // ∂acc
              %12 = zero  // ∂x
              for %7 in %5..%6 rev {
                restore %4 from %26[%7, 0]
                %19 = copy %31
                store %11[%7] = %19
                %23 = mul %19, %1
                %24 = mul %19, %4
                %31 := %23
                %12 += %24
              }
              %28 = passive int `((%5<%6). then_some(1i128 *((%5as i128)+ (0i128))). unwrap_or (0i128))`
              %29 = passive int `((%5<%6). then_some(1i128 *((%6as i128)+ (0i128))). unwrap_or (0i128))`
              %11 := 0 outside %28..%29
              ret %2, %11, %12
        "#]],
    );
}

#[test]
fn grad_of_while_counts_trips() {
    check_grad(
        "fn f(x: f64) -> f64 { let mut y = x; while y < 10.0 { y = y * 2.0; } y }",
        expect![[r#"
            fn(x: f64) -> f64
              %0 = param 0 x
              %2 = copy %0  // y
              %7 = passive int `0usize`  // trips
              while {
                %3 = lit 10.0
                %4 = passive bool `%2<%3`
              } %4 {
                push %2
                %5 = lit 2.0
                %6 = mul %2, %5
                %2 := %6
                %7 += 1
              }
              %1 = zero  // return value
              %1 := %2
              %17 = passive int `0usize`
              %20 = lit 1.0
              %22 = copy %20  // ∂y
              for %18 in %17..%7 {
                pop %2
                %13 = copy %22
                %15 = mul %13, %5
                %22 := %15
              }
              %19 = copy %22
              %8 = zero  // ∂x
              %8 += %19
              ret %1, %8
        "#]],
    );
}

#[test]
fn grad_of_array_store() {
    check_grad(
        "fn f(x: [f64; 2]) -> f64 { let mut s = [0.0; 2]; s[0] = x[1] * x[0]; s[1] = s[0] + x[1]; s[1] }",
        expect![[r#"
            fn(x: array) -> f64
              %0 = array param 0 x  // x
              %2 = lit 0.0
              %3 = array [%2; 2]  // s
              %4 = passive int `1`
              %5 = load %0[%4]
              %6 = passive int `0`
              %7 = load %0[%6]
              %8 = mul %5, %7
              %9 = passive int `0`
              store %3[%9] = %8
              %10 = passive int `0`
              %11 = load %3[%10]
              %12 = passive int `1`
              %13 = load %0[%12]
              %14 = add %11, %13
              %15 = passive int `1`
              store %3[%15] = %14
              %16 = passive int `1`
              %17 = load %3[%16]
              %1 = zero  // return value
              %1 := %17
              %18 = zeros like %0  // ∂x
              %20 = zeros like %3  // ∂s
              %40 = lit 1.0
              %20[%16] += %40
              %30 = load %20[%15]
              %20[%15] := -0.0
              %18[%12] += %30
              %20[%10] += %30
              %34 = load %20[%9]
              %20[%9] := -0.0
              %36 = mul %34, %7
              %37 = mul %34, %5
              %18[%6] += %37
              %18[%4] += %36
              ret %1, %18
        "#]],
    );
}

#[test]
fn grad_of_loop_recomputes_instead_of_taping() {
    // Every value of the body depends only on `i` and the parameter: nothing
    // is pushed; the reversed loop computes `a`, `t` again. (The adjoint of
    // `s` is `1 / s`, known only after the loop: no fusion.)
    check_grad(
        "fn f(x: &[f64]) -> f64 { let mut s = 0.0; for i in 0..x.len() { let a = x[i]; let t = a * a; s += t.sin(); } s.ln() }",
        expect![[r#"
            fn(x: array) -> f64
              %0 = array param 0 x  // x
              %4 = passive int `0`
              %5 = passive int `%0. len ()`
              %2 = lit 0.0
              %3 = copy %2  // s
              for %6 in %4..%5 {
                %7 = load %0[%6]  // a
                %8 = mul %7, %7  // t
                %9 = sin %8
                %10 = add %3, %9
                %3 := %10
              }
              %11 = ln %3
              %1 = zero  // return value
              %1 := %11
              %12 = output like %0  // ∂x
              %33 = lit 1.0
              %22 = div %33, %3
              %37 = copy %22  // ∂s
              for %6 in %4..%5 rev {
                %23 = copy %37
                %37 := %23
                %7 = load %0[%6]  // a
                %8 = mul %7, %7  // t
                %26 = cos %8
                %27 = mul %23, %26
                %29 = mul %27, %7
                %30 = mul %27, %7
                %38 = copy %29  // ∂a
                %38 += %30
                %31 = copy %38
                store %12[%6] = %31
              }
              %34 = passive int `((%4<%5). then_some(1i128 *((%4as i128)+ (0i128))). unwrap_or (0i128))`
              %35 = passive int `((%4<%5). then_some(1i128 *((%5as i128)+ (0i128))). unwrap_or (0i128))`
              %12 := 0 outside %34..%35
              ret %1, %12
        "#]],
    );
}

#[test]
fn grad_of_division_divides_once() {
    // `q = c / d`: ∂c = ḡ / d and ∂d = -(ḡ / d) · q share the one division.
    check_grad(
        "fn f(c: f64, d: f64) -> f64 { c / d }",
        expect![[r#"
            fn(c: f64, d: f64) -> f64
              %0 = param 0 c
              %1 = param 1 d
              %2 = div %0, %1
              %3 = lit 1.0
              %4 = div %3, %1
              %5 = mul %4, %2
              %6 = neg %5
              ret %2, %4, %6
        "#]],
    );
    // The sigmoid neuron: `1 / (1 + e)`; ∂(1 + e) = -q · q, no second division.
    check_grad(
        "fn neuron(w0: f64, w1: f64, w2: f64, x0: f64, x1: f64) -> f64 { let dot = w0 * x0 + w1 * x1 + w2; 1.0 / (1.0 + (-dot).exp()) }",
        expect![[r#"
            fn(w0: f64, w1: f64, w2: f64, x0: f64, x1: f64) -> f64
              %0 = param 0 w0
              %1 = param 1 w1
              %2 = param 2 w2
              %3 = param 3 x0
              %4 = param 4 x1
              %5 = mul %0, %3
              %6 = mul %1, %4
              %7 = add %5, %6
              %8 = add %7, %2  // dot
              %9 = lit 1.0
              %10 = neg %8
              %11 = exp %10
              %12 = add %9, %11
              %13 = div %9, %12
              %14 = mul %13, %13
              %15 = neg %14
              %16 = mul %15, %11
              %17 = neg %16
              %18 = mul %17, %4
              %19 = mul %17, %1
              %20 = mul %17, %3
              %21 = mul %17, %0
              ret %13, %20, %18, %17, %21, %19
        "#]],
    );
}
