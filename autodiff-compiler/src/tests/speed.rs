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
              %4 = passive int `0`
              %5 = passive int `%0. len ()`
              %11 = output like %0  // ∂x
              %2 = lit 0.0
              %3 = copy %2  // s
              %25 = lit 1.0
              %41 = copy %25  // ∂s
              for %6 in %4..%5 {
                %7 = load %0[%6]  // a
                %8 = mul %7, %7  // t
                %9 = sin %8
                %10 = add %3, %9
                %3 := %10
                %28 = copy %41
                %41 := %28
                %31 = cos %8
                %32 = mul %28, %31
                %34 = mul %32, %7
                %35 = mul %32, %7
                %42 = copy %34  // ∂a
                %42 += %35
                %36 = copy %42
                store %11[%6] = %36
              }
              %39 = passive int `((%4<%5). then_some(1i128 *((%4as i128)+ (0i128))). unwrap_or (0i128))`
              %40 = passive int `((%4<%5). then_some(1i128 *((%5as i128)+ (0i128))). unwrap_or (0i128))`
              %11 := 0 outside %39..%40
              %1 = zero  // return value
              %1 := %3
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
              %4 = passive int `0`
              %5 = passive int `%0. len ()`
              %14 = output like %0  // ∂x
              %11 = passive int `%0. len ()`
              %12 = passive f64 `%11as f64`
              %30 = lit 1.0
              %33 = div %30, %12
              %53 = copy %33  // ∂s
              %2 = lit 0.0
              %3 = copy %2  // s
              for %6 in %4..%5 {
                %7 = load %0[%6]
                %8 = load %0[%6]
                %9 = mul %7, %8
                %10 = add %3, %9
                %3 := %10
                %41 = copy %53
                %53 := %41
                %44 = mul %41, %8
                %45 = mul %41, %7
                %50 = add %45, %44
                store %14[%6] = %50
              }
              %51 = passive int `((%4<%5). then_some(1i128 *((%4as i128)+ (0i128))). unwrap_or (0i128))`
              %52 = passive int `((%4<%5). then_some(1i128 *((%5as i128)+ (0i128))). unwrap_or (0i128))`
              %14 := 0 outside %51..%52
              %11 = passive int `%0. len ()`
              %12 = passive f64 `%11as f64`
              %13 = div %3, %12
              %1 = zero  // return value
              %1 := %13
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
              %3 = mul %1, %1
              %4 = copy %3  // t
              %5 = mul %4, %4
              %63 = copy %4
              %4 := %5
              %6 = passive int `0`
              %7 = passive int `%0. len ()`
              %12 = output like %0  // ∂x
              %30 = lit 1.0
              %56 = copy %30  // ∂t
              for %8 in %6..%7 {
                %9 = load %0[%8]
                %10 = tanh %9
                %11 = add %4, %10
                %4 := %11
                %33 = copy %56
                %56 := %33
                %37 = mul %10, %10
                %36 = lit 1.0
                %38 = sub %36, %37
                %39 = mul %33, %38
                store %12[%8] = %39
              }
              %52 = passive int `((%6<%7). then_some(1i128 *((%6as i128)+ (0i128))). unwrap_or (0i128))`
              %53 = passive int `((%6<%7). then_some(1i128 *((%7as i128)+ (0i128))). unwrap_or (0i128))`
              %12 := 0 outside %52..%53
              %2 = zero  // return value
              %2 := %4
              %51 = lit 1.0
              %56 := %51
              %41 = copy %56
              %4 := %63
              %43 = mul %41, %4
              %44 = mul %41, %4
              %56 := %43
              %56 += %44
              %45 = copy %56
              %47 = mul %45, %1
              %48 = mul %45, %1
              %13 = zero  // ∂a
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
              %3 = copy %1  // c
              %6 = passive int `0`
              %7 = passive int `%0. len ()`
              %4 = lit 0.0
              %5 = copy %4  // s
              for %8 in %6..%7 {
                %9 = load %0[%8]
                %10 = mul %3, %9
                %11 = add %5, %10
                %5 := %11
              }
              %12 = passive int `0`
              %13 = load %0[%12]
              %14 = mul %3, %13
              %55 = copy %3
              %3 := %14
              %15 = mul %5, %3
              %2 = zero  // return value
              %2 := %15
              %16 = zeros like %0  // ∂x
              %29 = copy %3
              %30 = copy %5
              %48 = copy %29  // ∂s
              %47 = copy %30  // ∂c
              %31 = copy %47
              %3 := %55
              %33 = mul %31, %13
              %34 = mul %31, %3
              %47 := %33
              %16[%12] += %34
              for %8 in %6..%7 rev {
                %36 = copy %48
                %48 := %36
                %9 = load %0[%8]
                %39 = mul %36, %9
                %40 = mul %36, %3
                %47 += %39
                %16[%8] += %40
              }
              %43 = copy %47
              %17 = zero  // ∂c0
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
              %5 = passive int `0`
              %6 = passive int `%0. len ()`
              %33 = tape float [(%6 - %5) * 2]
              %3 = lit 0.0
              %4 = copy %3  // h
              for %7 in %5..%6 {
                %9 = load %0[%7]
                %8 = mul %1, %4
                %10 = add %8, %9
                save %11 to %33[%7, 0]
                %11 = tanh %10
                save %4 to %33[%7, 1]
                %4 := %11
              }
              %2 = zero  // return value
              %2 := %4
              %12 = output like %0  // ∂x
              %34 = lit 1.0
              %38 = copy %34  // ∂h
              %13 = zero  // ∂w
              for %7 in %5..%6 rev {
                restore %4 from %33[%7, 1]
                %24 = mul %11, %11
                restore %11 from %33[%7, 0]
                %21 = copy %38
                %23 = lit 1.0
                %25 = sub %23, %24
                %26 = mul %21, %25
                store %12[%7] = %26
                %30 = mul %26, %4
                %31 = mul %26, %1
                %13 += %30
                %38 := %31
              }
              %35 = passive int `((%5<%6). then_some(1i128 *((%5as i128)+ (0i128))). unwrap_or (0i128))`
              %36 = passive int `((%5<%6). then_some(1i128 *((%6as i128)+ (0i128))). unwrap_or (0i128))`
              %12 := 0 outside %35..%36
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
              %2 = mul %0, %0
              %3 = copy %2  // y
              %4 = lit 0.0
              %5 = passive bool `%0>%4`
              if %5 {
                %21 := %3
                %6 = mul %3, %3
                %3 := %6
              }
              %1 = zero  // return value
              %1 := %3
              %22 = lit 1.0
              %25 = copy %22  // ∂y
              if %5 {
                %3 := %21
                %13 = copy %25
                %15 = mul %13, %3
                %16 = mul %13, %3
                %25 := %15
                %25 += %16
              }
              %17 = copy %25
              %19 = mul %17, %0
              %20 = mul %17, %0
              %7 = zero  // ∂x
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
              %4 = passive int `1`
              %5 = passive int `%0. len ()`
              %13 = output like %0  // ∂x
              %2 = lit 0.0
              %3 = copy %2  // s
              %27 = lit 1.0
              %45 = copy %27  // ∂s
              %39 = -0.0
              for %6 in %4..%5 {
                %7 = passive int `1`
                %8 = passive int `%6-%7`
                %9 = load %0[%8]  // a
                %10 = load %0[%6]  // b
                %11 = mul %9, %10
                %12 = add %3, %11
                %3 := %12
                %30 = copy %45
                %45 := %30
                %33 = mul %30, %10
                %34 = mul %30, %9
                %40 = add %39, %33
                store %13[%8] = %40
                %39 := %34
              }
              %42 = passive bool `%4<%5`
              if %42 {
                %41 = passive int `(((%5as i128)- 1i128)* 1i128 + (0i128))as usize`
                store %13[%41] = %39
              }
              %43 = passive int `((%4<%5). then_some(1i128 *((%4as i128)+ (- 1i128))). unwrap_or (0i128))`
              %44 = passive int `((%4<%5). then_some(1i128 *((%5as i128)+ (0i128))). unwrap_or (0i128))`
              %13 := 0 outside %43..%44
              %1 = zero  // return value
              %1 := %3
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
              %5 = passive int `0`
              %6 = passive int `%0. len ()`
              %3 = lit 0.0
              %4 = copy %3  // s
              for %7 in %5..%6 {
                %8 = load %0[%7]
                %9 = load %1[%7]
                %10 = mul %8, %9
                %11 = add %4, %10
                %4 := %11
              }
              %12 = tanh %4
              %2 = zero  // return value
              %2 := %12
              %13 = output like %0  // ∂w
              %14 = output like %1  // ∂x
              %25 = mul %12, %12
              %24 = lit 1.0
              %26 = sub %24, %25
              %42 = copy %26  // ∂s
              for %7 in %5..%6 rev {
                %28 = copy %42
                %42 := %28
                %9 = load %1[%7]
                %31 = mul %28, %9
                %8 = load %0[%7]
                %32 = mul %28, %8
                store %14[%7] = %32
                store %13[%7] = %31
              }
              %37 = passive int `((%5<%6). then_some(1i128 *((%5as i128)+ (0i128))). unwrap_or (0i128))`
              %38 = passive int `((%5<%6). then_some(1i128 *((%6as i128)+ (0i128))). unwrap_or (0i128))`
              %13 := 0 outside %37..%38
              %39 = passive int `((%5<%6). then_some(1i128 *((%5as i128)+ (0i128))). unwrap_or (0i128))`
              %40 = passive int `((%5<%6). then_some(1i128 *((%6as i128)+ (0i128))). unwrap_or (0i128))`
              %14 := 0 outside %39..%40
              ret %2, %13, %14
        "#]],
    );
}

#[test]
fn max_shift_of_a_softmax_loss_is_not_differentiated() {
    // `m` is subtracted inside `exp` and added back after `ln`: the loss
    // does not depend on it, so its reads after the max loop go through
    // `detach` (%34) and the max loop has no reverse sweep, no tape and no
    // tie weights. The gradient is `∂loss · (e_k / total)` minus
    // `∂loss` at the label.
    check_grad(
        "fn f(z: &[[f64; 10]], label: &[usize]) -> f64 { let mut loss = 0.0; for p in 0..z.len() { let mut m = z[p][0]; for k in 1..10 { m = m.max(z[p][k]); } let mut total = 0.0; for k in 0..10 { total += (z[p][k] - m).exp(); } loss += total.ln() - (z[p][label[p]] - m); } loss / z.len() as f64 }",
        expect![[r#"
            fn(z: array, label: const) -> f64
              %92 = tape float [(%19 - %18) * 1]
              %0 = array param 0 z  // z
              %1 = passive int `label`  // label
              %5 = passive int `0`
              %6 = passive int `%0. len ()`
              %35 = zeros like %0  // ∂z
              %31 = passive int `%0. len ()`
              %32 = passive f64 `%31as f64`
              %63 = lit 1.0
              %66 = div %63, %32
              %94 = copy %66  // ∂loss
              %3 = lit 0.0
              %4 = copy %3  // loss
              for %7 in %5..%6 {
                %8 = passive int `0`
                %9 = load %0[%7][%8]
                %10 = copy %9  // m
                %11 = passive int `1`
                %12 = passive int `10`
                for %13 in %11..%12 {
                  %14 = load %0[%7][%13]
                  %15 = max %10, %14
                  %10 := %15
                }
                %34 = detach %10  // m
                %18 = passive int `0`
                %19 = passive int `10`
                %16 = lit 0.0
                %17 = copy %16  // total
                for %20 in %18..%19 {
                  %21 = load %0[%7][%20]
                  %22 = sub %21, %34
                  save %23 to %92[%20, 0]
                  %23 = exp %22
                  %24 = add %17, %23
                  %17 := %24
                }
                %25 = ln %17
                %26 = passive int `%1[%7]`
                %27 = load %0[%7][%26]
                %28 = sub %27, %34
                %29 = sub %25, %28
                %30 = add %4, %29
                %4 := %30
                %74 = copy %94
                %94 := %74
                %77 = neg %74
                %35[%7][%26] += %77
                %82 = div %74, %17
                %95 = copy %82  // ∂total
                for %20 in %18..%19 rev {
                  %83 = copy %95
                  %95 := %83
                  %86 = mul %83, %23
                  restore %23 from %92[%20, 0]
                  %35[%7][%20] += %86
                }
              }
              %31 = passive int `%0. len ()`
              %32 = passive f64 `%31as f64`
              %33 = div %4, %32
              %2 = zero  // return value
              %2 := %33
              ret %2, %35
        "#]],
    );
}

#[test]
fn a_shift_is_detached_only_where_the_result_does_not_see_it() {
    // (source, whether the max is detached). The body around `BODY`
    // computes `m` = max of `x` and `total` = Σ exp(x[k] - m).
    let head = "let mut m = x[0]; for k in 1..x.len() { m = m.max(x[k]); } \
                let mut total = 0.0; for k in 0..x.len() { total += (x[k] - m).exp(); }";
    let cases = [
        // log-sum-exp: ln(total) + m.
        ("m + total.ln()", true),
        ("total.ln() - (x[0] - m)", true),
        (
            "let mut a = 0.0; for k in 0..x.len() { a += (x[k] - m).exp() * x[k]; } a / total",
            true,
        ),
        (
            "if x[0] > 0.0 { m + total.ln() } else { total.ln() - (x[1] - m) }",
            true,
        ),
        // The shift is seen: by the result, a product, a condition, an
        // index, a store, a different scale.
        ("total.ln()", false),
        ("(m + total.ln()) * m", false),
        ("if total > 2.0 { m + total.ln() } else { 0.0 }", false),
        ("m + total.ln() + (x[0] - m).exp()", false),
        ("m + 2.0 * total.ln()", false),
        (
            "let mut e = [0.0; 4]; e[0] = (x[0] - m).exp(); m + total.ln() + e[0]",
            false,
        ),
        ("total.ln() + m * 1.0", false),
    ];
    for (tail, detached) in cases {
        let src = format!("fn f(x: &[f64]) -> f64 {{ {head} {tail} }}");
        let ir = super::with_func(&src, |f| super::gradient(&f).to_string());
        assert_eq!(ir.contains("detach"), detached, "{tail}:\n{ir}");
    }
}
