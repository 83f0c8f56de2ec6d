//! Snapshots of lowering: the forward IR of each construct.

use super::check_lower;
use expect_test::expect;

#[test]
fn lower_let_and_tail() {
    check_lower(
        "fn circuit(x: f64, y: f64, z: f64) -> f64 { let q = x + y; q * z }",
        expect![[r#"
            fn(x: f64, y: f64, z: f64) -> f64
              %0 = param 0 x
              %1 = param 1 y
              %2 = param 2 z
              %3 = add %0, %1  // q
              %4 = mul %3, %2
              ret %4
        "#]],
    );
}

#[test]
fn lower_reassignment_and_compound_ops() {
    check_lower(
        "fn f(x: f64) -> f64 { let mut s = 1.0; s += x; s *= x; s -= 3.0; s /= 2.0; s = s - x; s }",
        expect![[r#"
            fn(x: f64) -> f64
              %0 = param 0 x
              %1 = lit 1.0  // s
              %2 = add %1, %0  // s
              %3 = mul %2, %0  // s
              %4 = lit 3.0
              %5 = sub %3, %4  // s
              %6 = lit 2.0
              %7 = div %5, %6  // s
              %8 = sub %7, %0  // s
              ret %8
        "#]],
    );
}

#[test]
fn lower_shadowing_and_blocks() {
    check_lower(
        "fn f(x: f64) -> f64 { let a = x * 2.0; let a = a + x; let b = { let a = a * a; a - x }; a + b }",
        expect![[r#"
            fn(x: f64) -> f64
              %0 = param 0 x
              %1 = lit 2.0
              %2 = mul %0, %1  // a
              %3 = add %2, %0  // a
              %4 = mul %3, %3  // a
              %5 = sub %4, %0  // b
              %6 = add %3, %5
              ret %6
        "#]],
    );
}

#[test]
fn lower_return_and_dead_code() {
    check_lower(
        "fn f(x: f64) -> f64 { let y = -x; return y * y; }",
        expect![[r#"
            fn(x: f64) -> f64
              %0 = param 0 x
              %1 = neg %0  // y
              %2 = mul %1, %1
              ret %2
        "#]],
    );
}

#[test]
fn lower_constants() {
    check_lower(
        "fn f(x: f64, n: usize) -> f64 { x * std::f64::consts::PI + K + n as f64 + (n * 2) as f64 }",
        expect![[r#"
            fn(x: f64, n: const) -> f64
              %0 = param 0 x
              %1 = passive int `n`  // n
              %2 = extern std::f64::consts::PI
              %3 = mul %0, %2
              %4 = extern K
              %5 = add %3, %4
              %6 = passive f64 `nas f64`
              %7 = add %5, %6
              %8 = passive int `2`
              %9 = passive int `n*2`
              %10 = passive f64 `(n*2)as f64`
              %11 = add %7, %10
              ret %11
        "#]],
    );
}

#[test]
fn lower_method_and_path_forms() {
    check_lower(
        "fn f(x: f64, y: f64) -> f64 { x.max(y) + f64::min(x, y) + f64::powi(x, 3) + x.mul_add(y, 1.0) }",
        expect![[r#"
            fn(x: f64, y: f64) -> f64
              %0 = param 0 x
              %1 = param 1 y
              %2 = max %0, %1
              %3 = min %0, %1
              %4 = add %2, %3
              %5 = passive int `3`
              %6 = powi %0, %5
              %7 = add %4, %6
              %8 = lit 1.0
              %9 = mul_add %0, %1, %8
              %10 = add %7, %9
              ret %10
        "#]],
    );
}

#[test]
fn lower_sin_cos() {
    check_lower(
        "fn f(x: f32) -> f32 { let (s, c) = x.sin_cos(); s * c }",
        expect![[r#"
            fn(x: f32) -> f32
              %0 = param 0 x
              %1 = sin %0  // s
              %2 = cos %0  // c
              %3 = mul %1, %2
              ret %3
        "#]],
    );
}

#[test]
fn lower_if_else_value() {
    check_lower(
        "fn f(x: f64) -> f64 { let y = if x > 0.0 { x * x } else { -x }; y }",
        expect![[r#"
            fn(x: f64) -> f64
              %0 = param 0 x
              %1 = zero  // return value
              %2 = zero
              %3 = lit 0.0
              %4 = passive bool `%0>%3`
              if %4 {
                %5 = mul %0, %0
                %2 := %5
              } else {
                %6 = neg %0
                %2 := %6
              }
              %7 = copy %2  // y
              %1 := %7
              ret %1
        "#]],
    );
}

#[test]
fn lower_for_over_slice_and_break() {
    check_lower(
        "fn f(x: &[f64]) -> f64 { let mut s = 0.0; for &v in x.iter() { s += v; if s > 1.0 { break; } } s }",
        expect![[r#"
            fn(x: array) -> f64
              %0 = array param 0 x  // x
              %1 = zero  // return value
              %2 = lit 0.0
              %3 = copy %2  // s
              %4 = passive int `0usize`
              %5 = passive int `%0. len ()`
              %7 = passive bool `false`  // broken
              for %6 in %4..%5 {
                %8 = passive bool `!(%7)`
                if %8 {
                  %9 = load %0[%6]  // v
                  %10 = add %3, %9
                  %3 := %10
                  %11 = lit 1.0
                  %12 = passive bool `%3>%11`
                  if %12 {
                    %13 = passive bool `true`
                    %7 := %13
                  }
                }
              }
              %1 := %3
              ret %1
        "#]],
    );
}

#[test]
fn lower_while_and_early_return() {
    check_lower(
        "fn f(x: f64) -> f64 { let mut y = x; while y < 10.0 { if y < 0.0 { return y; } y = y * 2.0; } y }",
        expect![[r#"
            fn(x: f64) -> f64
              %0 = param 0 x
              %1 = zero  // return value
              %2 = passive bool `false`  // returned
              %3 = copy %0  // y
              while {
                %4 = passive bool `!(%2)`
                %5 = copy %4
                if %4 {
                  %6 = lit 10.0
                  %7 = passive bool `%3<%6`
                  %5 := %7
                }
              } %5 {
                %8 = lit 0.0
                %9 = passive bool `%3<%8`
                if %9 {
                  %1 := %3
                  %10 = passive bool `true`
                  %2 := %10
                }
                %11 = passive bool `!(%2)`
                %12 = zero
                if %11 {
                  %13 = lit 2.0
                  %14 = mul %3, %13
                  %3 := %14
                }
              }
              %15 = passive bool `!(%2)`
              if %15 {
                %1 := %3
              }
              ret %1
        "#]],
    );
}

#[test]
fn lower_continue_and_labeled_break() {
    // `continue` sets a flag cleared at the start of each trip; `break 'outer`
    // sets the outer loop's flag, which the inner loop stops on too.
    check_lower(
        "fn f(x: &[f64]) -> f64 { let mut s = 0.0; 'outer: for i in 0..x.len() { for j in 0..i { if x[j] < 0.0 { continue; } if s > 9.0 { break 'outer; } s += x[j]; } } s }",
        expect![[r#"
            fn(x: array) -> f64
              %0 = array param 0 x  // x
              %1 = zero  // return value
              %2 = lit 0.0
              %3 = copy %2  // s
              %4 = passive int `0`
              %5 = passive int `%0. len ()`
              %7 = passive bool `false`  // broken
              for %6 in %4..%5 {
                %8 = passive bool `!(%7)`
                if %8 {
                  %9 = passive int `0`
                  %11 = passive bool `false`  // continued
                  for %10 in %9..%6 {
                    %12 = passive bool `false`
                    %11 := %12
                    %13 = passive bool `!(%7)`
                    if %13 {
                      %14 = load %0[%10]
                      %15 = lit 0.0
                      %16 = passive bool `%14<%15`
                      if %16 {
                        %17 = passive bool `true`
                        %11 := %17
                      }
                      %18 = passive bool `!(%11||%7)`
                      %19 = zero
                      if %18 {
                        %20 = lit 9.0
                        %21 = passive bool `%3>%20`
                        if %21 {
                          %22 = passive bool `true`
                          %7 := %22
                        }
                        %23 = passive bool `!(%11||%7)`
                        %24 = zero
                        if %23 {
                          %25 = load %0[%10]
                          %26 = add %3, %25
                          %3 := %26
                        }
                      }
                    }
                  }
                }
              }
              %1 := %3
              ret %1
        "#]],
    );
}

#[test]
fn lower_match_as_value() {
    // Each arm's pattern tested by `matches!`, the guard short-circuited,
    // the last arm the `else`; several tested arms are a flat sequence
    // guarded by a `taken` flag (as an `else if` chain is), not nested.
    check_lower(
        "fn f(x: f64, n: i32) -> f64 { let y = match n { 0 => x, 1 | 2 => x * x, k if k > 5 => -x, _ => 1.0 }; y }",
        expect![[r#"
            fn(x: f64, n: const) -> f64
              %0 = param 0 x
              %1 = passive int `n`  // n
              %2 = zero  // return value
              %3 = zero
              %4 = passive bool `false`  // taken
              %5 = passive bool `:: core :: matches !(%1, 0)`
              if %5 {
                %3 := %0
                %6 = passive bool `true`
                %4 := %6
              }
              %7 = passive bool `!(%4)`
              if %7 {
                %8 = passive bool `:: core :: matches !(%1, 1 | 2)`
                if %8 {
                  %9 = mul %0, %0
                  %3 := %9
                  %10 = passive bool `true`
                  %4 := %10
                }
              }
              %11 = passive bool `!(%4)`
              if %11 {
                %12 = passive int `5`
                %13 = passive bool `%1>%12`
                if %13 {
                  %14 = neg %0
                  %3 := %14
                  %15 = passive bool `true`
                  %4 := %15
                }
              }
              %16 = passive bool `!(%4)`
              if %16 {
                %17 = lit 1.0
                %3 := %17
              }
              %18 = copy %3  // y
              %2 := %18
              ret %2
        "#]],
    );
}

#[test]
fn lower_local_array_in_loop() {
    // Zeros declared at the top; the stores where the array is written
    // reset it on every trip.
    check_lower(
        "fn f(x: &[f64]) -> f64 { let mut s = 0.0; for i in 0..x.len() { let a = [x[i], 1.0]; s += a[0] * a[1]; } s }",
        expect![[r#"
            fn(x: array) -> f64
              %0 = array param 0 x  // x
              %1 = zero  // return value
              %2 = lit 0.0
              %3 = copy %2  // s
              %4 = passive int `0`
              %5 = passive int `%0. len ()`
              %9 = lit 0.0
              %10 = array [%9; 2usize]  // a
              for %6 in %4..%5 {
                %7 = load %0[%6]
                %8 = lit 1.0
                %11 = passive int `0usize`
                store %10[%11] = %7
                %12 = passive int `1usize`
                store %10[%12] = %8
                %13 = passive int `0`
                %14 = load %10[%13]
                %15 = passive int `1`
                %16 = load %10[%15]
                %17 = mul %14, %16
                %18 = add %3, %17
                %3 := %18
              }
              %1 := %3
              ret %1
        "#]],
    );
}

#[test]
fn lower_sub_slice_argument_and_windows() {
    // A sub-slice argument is an index `(Bound, Bound)` made once; a window
    // is a view with a range, read at `start + j`.
    check_lower(
        "fn f(x: &[f64]) -> f64 { let mut s = g(&x[1..]); for w in x.windows(2) { s += w[1] - w[0]; } s }",
        expect![[r#"
            fn(x: array) -> f64
              %0 = array param 0 x  // x
              %1 = zero  // return value
              %2 = passive int `1`
              %3 = passive int `(:: core :: ops :: Bound :: Included((%2)as usize),:: core :: ops :: Bound :: Unbounded)`
              %4 = call g_grad(&%0[%3])
              %5 = %4.0
              %6 = copy %5  // s
              %7 = passive int `2`
              %8 = passive int `0usize`
              %9 = passive int `%0. len ()`
              %10 = passive int `1`
              %11 = passive int `%9+%10`
              %12 = passive int `%11. saturating_sub(%7)`
              for %13 in %8..%12 {
                %14 = passive int `%13+%7`
                %15 = passive int `1`
                %16 = passive int `%13+%15`
                %17 = load %0[%16]
                %18 = passive int `0`
                %19 = passive int `%13+%18`
                %20 = load %0[%19]
                %21 = sub %17, %20
                %22 = add %6, %21
                %6 := %22
              }
              %1 := %6
              ret %1
        "#]],
    );
}

#[test]
fn lower_cast_from_float_to_integer() {
    // Straight-line code that casts a float to an integer is lowered in the
    // structured form; the cast is a constant with no gradient.
    check_lower(
        "fn f(x: f64, w: [f64; 3]) -> f64 { let k = (x * 2.0) as usize; w[k % 3] * x }",
        expect![[r#"
            fn(x: f64, w: array) -> f64
              %0 = param 0 x
              %1 = array param 1 w  // w
              %2 = zero  // return value
              %3 = lit 2.0
              %4 = mul %0, %3
              %5 = passive int `%4as usize`  // k
              %6 = passive int `3`
              %7 = passive int `%5%%6`
              %8 = load %1[%7]
              %9 = mul %8, %0
              %2 := %9
              ret %2
        "#]],
    );
}

#[test]
fn scratch_dump() {
    if let Ok(src) = std::env::var("DUMP_SRC") {
        super::dump(&src);
        let input: proc_macro2::TokenStream = src.parse().expect("tokens");
        let out = crate::expand::expand(proc_macro2::TokenStream::new(), input);
        let file: syn::File = syn::parse2(out).expect("parses");
        for item in file.items.iter().skip(1) {
            println!(
                "{}",
                quote::ToTokens::to_token_stream(item)
                    .to_string()
                    .replace(" ; ", ";\n")
            );
        }
    }
}
