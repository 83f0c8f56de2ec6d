//! Snapshots of the reverse sweep's speed transformations: fused sum
//! reductions, tapes in buffers indexed by the trip, gradients of arrays
//! stored once per element (issue 10).

use super::check_grad;
use expect_test::expect;

#[test]
fn grad_of_sum_reduction_runs_one_loop() {
    // `s` is the only value carried from trip to trip and it is returned:
    // its adjoint is 1 on every trip, so each trip computes its body and
    // then the body's adjoint, with no second loop, no recomputation and no
    // tape. The adjoint of `s` (%13) is set ahead of the loop and reset
    // after it for the reverse sweep of what precedes the loop.
    check_grad(
        "fn f(x: &[f64]) -> f64 { let mut s = 0.0; for i in 0..x.len() { let a = x[i]; let t = a * a; s += t.sin(); } s }",
        expect![[r#"
            fn(x: array) -> f64
              %0 = array param 0 x  // x
              %1 = zero  // return value
              %2 = lit 0.0
              %3 = copy %2  // s
              %4 = passive int `0`
              %5 = passive int `%0. len ()`
              %11 = output like %0  // ∂x
              %12 = -0.0  // ∂return value
              %13 = -0.0  // ∂s
              %14 = -0.0  // ∂a
              %15 = -0.0  // ∂t
              %16 = -0.0
              %17 = -0.0
              %19 = -0.0
              %20 = -0.0
              %25 = lit 1.0
              %19 += %25
              %26 = copy %19
              %20 += %26
              %13 += %20
              for %6 in %4..%5 {
                %7 = load %0[%6]  // a
                %8 = mul %7, %7  // t
                %9 = sin %8
                %10 = add %3, %9
                %3 := %10
                %28 = copy %13
                %13 := -0.0
                %17 += %28
                %29 = copy %17
                %17 := -0.0
                %13 += %29
                %16 += %29
                %30 = copy %16
                %16 := -0.0
                %31 = cos %8
                %32 = mul %30, %31
                %15 += %32
                %33 = copy %15
                %15 := -0.0
                %34 = mul %33, %7
                %35 = mul %33, %7
                %14 += %34
                %14 += %35
                %36 = copy %14
                %14 := -0.0
                store %11[%6] = %36
              }
              %39 = passive int `((%4<%5)as i128)* 1i128 *((%4as i128)+ (0i128))`
              %40 = passive int `((%4<%5)as i128)* 1i128 *((%5as i128)+ (0i128))`
              %11 := 0 outside %39..%40
              %13 := -0.0
              %1 := %3
              %38 = lit 1.0
              %12 += %38
              %27 = copy %12
              %12 := -0.0
              %13 += %27
              %37 = copy %13
              %13 := -0.0
              ret %1, %11
        "#]],
    );
}

#[test]
fn grad_of_mean_fuses_with_the_adjoint_of_the_tail() {
    // The adjoint of the sum is `1 / n`: the statements after the loop that
    // compute it read only `x.len()`, so they run (again) ahead of the loop.
    check_grad(
        "fn f(x: &[f64]) -> f64 { let mut s = 0.0; for i in 0..x.len() { s += x[i] * x[i]; } s / x.len() as f64 }",
        expect![[r#"
            fn(x: array) -> f64
              %0 = array param 0 x  // x
              %1 = zero  // return value
              %2 = lit 0.0
              %3 = copy %2  // s
              %4 = passive int `0`
              %5 = passive int `%0. len ()`
              %14 = output like %0  // ∂x
              %15 = -0.0  // ∂return value
              %16 = -0.0  // ∂s
              %17 = -0.0
              %18 = -0.0
              %19 = -0.0
              %20 = -0.0
              %21 = -0.0
              %11 = passive int `%0. len ()`
              %12 = passive f64 `%11as f64`
              %23 = -0.0
              %24 = -0.0
              %29 = -0.0
              %30 = lit 1.0
              %23 += %30
              %31 = copy %23
              %29 += %31
              %32 = copy %29
              %33 = div %32, %12
              %24 += %33
              %16 += %24
              for %6 in %4..%5 {
                %7 = load %0[%6]
                %8 = load %0[%6]
                %9 = mul %7, %8
                %10 = add %3, %9
                %3 := %10
                %41 = copy %16
                %16 := -0.0
                %20 += %41
                %42 = copy %20
                %20 := -0.0
                %16 += %42
                %19 += %42
                %43 = copy %19
                %19 := -0.0
                %44 = mul %43, %8
                %45 = mul %43, %7
                %17 += %44
                %18 += %45
                %46 = copy %18
                %18 := -0.0
                %47 = copy %17
                %17 := -0.0
                %50 = add %46, %47
                store %14[%6] = %50
              }
              %51 = passive int `((%4<%5)as i128)* 1i128 *((%4as i128)+ (0i128))`
              %52 = passive int `((%4<%5)as i128)* 1i128 *((%5as i128)+ (0i128))`
              %14 := 0 outside %51..%52
              %16 := -0.0
              %11 = passive int `%0. len ()`
              %12 = passive f64 `%11as f64`
              %13 = div %3, %12
              %1 := %13
              %49 = lit 1.0
              %15 += %49
              %36 = copy %15
              %15 := -0.0
              %21 += %36
              %37 = copy %21
              %21 := -0.0
              %38 = div %37, %12
              %39 = mul %38, %13
              %40 = neg %39
              %16 += %38
              %48 = copy %16
              %16 := -0.0
              ret %1, %14
        "#]],
    );
}

#[test]
fn grad_of_fused_loop_saves_its_sum_around_the_loop() {
    // `t` is reassigned before the loop, whose reverse reads its old value:
    // `t` is saved once around the fused loop (a slot variable), not on
    // every trip (which would undo the sum). Found by the loop differential
    // test.
    check_grad(
        "fn f(x: &[f64], a: f64) -> f64 { let mut t = a * a; t *= t; for i in 0..x.len() { t += x[i].tanh(); } t }",
        expect![[r#"
            fn(x: array, a: f64) -> f64
              %0 = array param 0 x  // x
              %1 = param 1 a
              %2 = zero  // return value
              %3 = mul %1, %1
              %4 = copy %3  // t
              %5 = mul %4, %4
              %49 := %4
              %4 := %5
              %6 = passive int `0`
              %7 = passive int `%0. len ()`
              %50 := %4
              %12 = output like %0  // ∂x
              %13 = zero  // ∂a
              %14 = -0.0  // ∂return value
              %15 = -0.0
              %16 = -0.0  // ∂t
              %17 = -0.0
              %18 = -0.0
              %19 = -0.0
              %20 = -0.0
              %23 = -0.0
              %25 = -0.0
              %30 = lit 1.0
              %23 += %30
              %31 = copy %23
              %25 += %31
              %16 += %25
              for %8 in %6..%7 {
                %9 = load %0[%8]
                %10 = tanh %9
                %11 = add %4, %10
                %4 := %11
                %33 = copy %16
                %16 := -0.0
                %20 += %33
                %34 = copy %20
                %20 := -0.0
                %16 += %34
                %19 += %34
                %35 = copy %19
                %19 := -0.0
                %36 = lit 1.0
                %37 = mul %10, %10
                %38 = sub %36, %37
                %39 = mul %35, %38
                %18 += %39
                %40 = copy %18
                %18 := -0.0
                store %12[%8] = %40
              }
              %52 = passive int `((%6<%7)as i128)* 1i128 *((%6as i128)+ (0i128))`
              %53 = passive int `((%6<%7)as i128)* 1i128 *((%7as i128)+ (0i128))`
              %12 := 0 outside %52..%53
              %16 := -0.0
              %2 := %4
              %51 = lit 1.0
              %14 += %51
              %32 = copy %14
              %14 := -0.0
              %16 += %32
              %4 := %50
              %41 = copy %16
              %16 := -0.0
              %17 += %41
              %4 := %49
              %42 = copy %17
              %17 := -0.0
              %43 = mul %42, %4
              %44 = mul %42, %4
              %16 += %43
              %16 += %44
              %45 = copy %16
              %16 := -0.0
              %15 += %45
              %46 = copy %15
              %15 := -0.0
              %47 = mul %46, %1
              %48 = mul %46, %1
              %13 += %47
              %13 += %48
              ret %2, %12, %13
        "#]],
    );
}

#[test]
fn grad_of_loop_reading_a_later_assignment_is_not_fused() {
    // `c` is read by the loop and assigned after it: the reverse sweep of
    // `c = c * x[0]` takes the adjoint of `c`, so the loop must be reversed
    // after it, in the reverse sweep.
    check_grad(
        "fn f(x: &[f64], c0: f64) -> f64 { let mut c = c0; let mut s = 0.0; for i in 0..x.len() { s += c * x[i]; } c = c * x[0]; s * c }",
        expect![[r#"
            fn(x: array, c0: f64) -> f64
              %0 = array param 0 x  // x
              %1 = param 1 c0
              %2 = zero  // return value
              %3 = copy %1  // c
              %4 = lit 0.0
              %5 = copy %4  // s
              %6 = passive int `0`
              %7 = passive int `%0. len ()`
              for %8 in %6..%7 {
                %9 = load %0[%8]
                %10 = mul %3, %9
                %11 = add %5, %10
                %5 := %11
              }
              %12 = passive int `0`
              %13 = load %0[%12]
              %14 = mul %3, %13
              %44 := %3
              %3 := %14
              %15 = mul %5, %3
              %2 := %15
              %16 = zeros like %0  // ∂x
              %17 = zero  // ∂c0
              %18 = -0.0  // ∂return value
              %19 = -0.0  // ∂c
              %20 = -0.0  // ∂s
              %21 = -0.0
              %22 = -0.0
              %23 = -0.0
              %24 = -0.0
              %25 = -0.0
              %26 = -0.0
              %45 = lit 1.0
              %18 += %45
              %27 = copy %18
              %18 := -0.0
              %26 += %27
              %28 = copy %26
              %26 := -0.0
              %29 = mul %28, %3
              %30 = mul %28, %5
              %20 += %29
              %19 += %30
              %31 = copy %19
              %19 := -0.0
              %25 += %31
              %3 := %44
              %32 = copy %25
              %25 := -0.0
              %33 = mul %32, %13
              %34 = mul %32, %3
              %19 += %33
              %24 += %34
              %35 = copy %24
              %24 := -0.0
              %16[%12] += %35
              for %8 in %6..%7 rev {
                %9 = load %0[%8]
                %10 = mul %3, %9
                %36 = copy %20
                %20 := -0.0
                %23 += %36
                %37 = copy %23
                %23 := -0.0
                %20 += %37
                %22 += %37
                %38 = copy %22
                %22 := -0.0
                %39 = mul %38, %9
                %40 = mul %38, %3
                %19 += %39
                %21 += %40
                %41 = copy %21
                %21 := -0.0
                %16[%8] += %41
              }
              %42 = copy %20
              %20 := -0.0
              %43 = copy %19
              %19 := -0.0
              %17 += %43
              ret %2, %16, %17
        "#]],
    );
}

#[test]
fn grad_of_recurrence_tapes_in_a_buffer_indexed_by_the_trip() {
    // `h` is overwritten on every trip and read by the reverse sweep: saved
    // in the trip's slot of a buffer the length of the loop (allocated once,
    // since the bounds are not constants), not pushed on a growing stack.
    check_grad(
        "fn f(x: &[f64], w: f64) -> f64 { let mut h = 0.0; for i in 0..x.len() { h = (w * h + x[i]).tanh(); } h }",
        expect![[r#"
            fn(x: array, w: f64) -> f64
              %0 = array param 0 x  // x
              %1 = param 1 w
              %2 = zero  // return value
              %3 = lit 0.0
              %4 = copy %3  // h
              %5 = passive int `0`
              %6 = passive int `%0. len ()`
              %33 = tape float [(%6 - %5) * 2]
              for %7 in %5..%6 {
                %8 = mul %1, %4
                %9 = load %0[%7]
                %10 = add %8, %9
                save %11 to %33[%7, 0]
                %11 = tanh %10
                save %4 to %33[%7, 1]
                %4 := %11
              }
              %2 := %4
              %12 = output like %0  // ∂x
              %13 = zero  // ∂w
              %14 = -0.0  // ∂return value
              %15 = -0.0  // ∂h
              %16 = -0.0
              %17 = -0.0
              %18 = -0.0
              %19 = -0.0
              %34 = lit 1.0
              %14 += %34
              %20 = copy %14
              %14 := -0.0
              %15 += %20
              for %7 in %5..%6 rev {
                %9 = load %0[%7]
                %21 = copy %15
                %15 := -0.0
                %19 += %21
                restore %4 from %33[%7, 1]
                %22 = copy %19
                %19 := -0.0
                %23 = lit 1.0
                %24 = mul %11, %11
                %25 = sub %23, %24
                %26 = mul %22, %25
                %18 += %26
                restore %11 from %33[%7, 0]
                %27 = copy %18
                %18 := -0.0
                %16 += %27
                %17 += %27
                %28 = copy %17
                %17 := -0.0
                store %12[%7] = %28
                %29 = copy %16
                %16 := -0.0
                %30 = mul %29, %4
                %31 = mul %29, %1
                %13 += %30
                %15 += %31
              }
              %35 = passive int `((%5<%6)as i128)* 1i128 *((%5as i128)+ (0i128))`
              %36 = passive int `((%5<%6)as i128)* 1i128 *((%6as i128)+ (0i128))`
              %12 := 0 outside %35..%36
              %32 = copy %15
              %15 := -0.0
              ret %2, %12, %13
        "#]],
    );
}

#[test]
fn grad_of_reassignment_outside_loops_saves_in_a_variable() {
    // A value overwritten once, outside loops, needs no tape: a variable
    // keeps it (`%slot := %y` … `%y := %slot`).
    check_grad(
        "fn f(x: f64) -> f64 { let mut y = x * x; if x > 0.0 { y = y * y; } y }",
        expect![[r#"
            fn(x: f64) -> f64
              %0 = param 0 x
              %1 = zero  // return value
              %2 = mul %0, %0
              %3 = copy %2  // y
              %4 = lit 0.0
              %5 = passive bool `%0>%4`
              if %5 {
                %6 = mul %3, %3
                %21 := %3
                %3 := %6
              }
              %1 := %3
              %7 = zero  // ∂x
              %8 = -0.0  // ∂return value
              %9 = -0.0
              %10 = -0.0  // ∂y
              %11 = -0.0
              %22 = lit 1.0
              %8 += %22
              %12 = copy %8
              %8 := -0.0
              %10 += %12
              if %5 {
                %13 = copy %10
                %10 := -0.0
                %11 += %13
                %3 := %21
                %14 = copy %11
                %11 := -0.0
                %15 = mul %14, %3
                %16 = mul %14, %3
                %10 += %15
                %10 += %16
              }
              %17 = copy %10
              %10 := -0.0
              %9 += %17
              %18 = copy %9
              %9 := -0.0
              %19 = mul %18, %0
              %20 = mul %18, %0
              %7 += %19
              %7 += %20
              ret %1, %7
        "#]],
    );
}

#[test]
fn grad_of_neighbouring_reads_carries_the_next_element() {
    // Trip `i` adds to `∂x[i - 1]` and `∂x[i]`; trip `i + 1` adds to
    // `∂x[i]` again. The share of the element the next trip still adds to
    // stays in a carry (%c); each element is stored once, with `=` (no other
    // statement writes `∂x`, the loop runs once); after the loop, if it ran,
    // the carry is stored at the last element.
    check_grad(
        "fn f(x: &[f64]) -> f64 { let mut s = 0.0; for i in 1..x.len() { let a = x[i - 1]; let b = x[i]; s += a * b; } s }",
        expect![[r#"
            fn(x: array) -> f64
              %0 = array param 0 x  // x
              %1 = zero  // return value
              %2 = lit 0.0
              %3 = copy %2  // s
              %4 = passive int `1`
              %5 = passive int `%0. len ()`
              %13 = output like %0  // ∂x
              %14 = -0.0  // ∂return value
              %15 = -0.0  // ∂s
              %16 = -0.0  // ∂a
              %17 = -0.0  // ∂b
              %18 = -0.0
              %19 = -0.0
              %21 = -0.0
              %22 = -0.0
              %27 = lit 1.0
              %21 += %27
              %28 = copy %21
              %22 += %28
              %15 += %22
              %39 = -0.0
              for %6 in %4..%5 {
                %7 = passive int `1`
                %8 = passive int `%6-%7`
                %9 = load %0[%8]  // a
                %10 = load %0[%6]  // b
                %11 = mul %9, %10
                %12 = add %3, %11
                %3 := %12
                %30 = copy %15
                %15 := -0.0
                %19 += %30
                %31 = copy %19
                %19 := -0.0
                %15 += %31
                %18 += %31
                %32 = copy %18
                %18 := -0.0
                %33 = mul %32, %10
                %34 = mul %32, %9
                %16 += %33
                %17 += %34
                %35 = copy %17
                %17 := -0.0
                %36 = copy %16
                %16 := -0.0
                %40 = add %39, %36
                store %13[%8] = %40
                %39 := %35
              }
              %42 = passive bool `%4<%5`
              if %42 {
                %41 = passive int `(((%5as i128)- 1i128)* 1i128 + (0i128))as usize`
                store %13[%41] = %39
              }
              %43 = passive int `((%4<%5)as i128)* 1i128 *((%4as i128)+ (- 1i128))`
              %44 = passive int `((%4<%5)as i128)* 1i128 *((%5as i128)+ (0i128))`
              %13 := 0 outside %43..%44
              %15 := -0.0
              %1 := %3
              %38 = lit 1.0
              %14 += %38
              %29 = copy %14
              %14 := -0.0
              %15 += %29
              %37 = copy %15
              %15 := -0.0
              ret %1, %13
        "#]],
    );
}

#[test]
fn grad_of_dense_layer_stores_each_element_once() {
    // `∂w[i]` is written by the reversed loop only, once per element: `=`.
    check_grad(
        "fn f(w: &[f64], x: &[f64]) -> f64 { let mut s = 0.0; for i in 0..w.len() { s += w[i] * x[i]; } s.tanh() }",
        expect![[r#"
            fn(w: array, x: array) -> f64
              %0 = array param 0 w  // w
              %1 = array param 1 x  // x
              %2 = zero  // return value
              %3 = lit 0.0
              %4 = copy %3  // s
              %5 = passive int `0`
              %6 = passive int `%0. len ()`
              for %7 in %5..%6 {
                %8 = load %0[%7]
                %9 = load %1[%7]
                %10 = mul %8, %9
                %11 = add %4, %10
                %4 := %11
              }
              %12 = tanh %4
              %2 := %12
              %13 = output like %0  // ∂w
              %14 = output like %1  // ∂x
              %15 = -0.0  // ∂return value
              %16 = -0.0  // ∂s
              %17 = -0.0
              %18 = -0.0
              %19 = -0.0
              %20 = -0.0
              %21 = -0.0
              %36 = lit 1.0
              %15 += %36
              %22 = copy %15
              %15 := -0.0
              %21 += %22
              %23 = copy %21
              %21 := -0.0
              %24 = lit 1.0
              %25 = mul %12, %12
              %26 = sub %24, %25
              %27 = mul %23, %26
              %16 += %27
              for %7 in %5..%6 rev {
                %8 = load %0[%7]
                %9 = load %1[%7]
                %10 = mul %8, %9
                %28 = copy %16
                %16 := -0.0
                %20 += %28
                %29 = copy %20
                %20 := -0.0
                %16 += %29
                %19 += %29
                %30 = copy %19
                %19 := -0.0
                %31 = mul %30, %9
                %32 = mul %30, %8
                %17 += %31
                %18 += %32
                %33 = copy %18
                %18 := -0.0
                store %14[%7] = %33
                %34 = copy %17
                %17 := -0.0
                store %13[%7] = %34
              }
              %37 = passive int `((%5<%6)as i128)* 1i128 *((%5as i128)+ (0i128))`
              %38 = passive int `((%5<%6)as i128)* 1i128 *((%6as i128)+ (0i128))`
              %13 := 0 outside %37..%38
              %39 = passive int `((%5<%6)as i128)* 1i128 *((%5as i128)+ (0i128))`
              %40 = passive int `((%5<%6)as i128)* 1i128 *((%6as i128)+ (0i128))`
              %14 := 0 outside %39..%40
              %35 = copy %16
              %16 := -0.0
              ret %2, %13, %14
        "#]],
    );
}
