//! Snapshots of `tidy.rs` on structured code: first contributions assigned,
//! dead code dropped, adjoints of a loop body made values of the reverse
//! trip, copies read through, recomputations sunk to their use.

use super::{check_grad, with_func};
use crate::ir::Stmt;
use expect_test::expect;

#[test]
fn tidy_makes_loop_adjoints_values_of_the_reverse_trip() {
    check_grad(
        "fn f(x: &[f64], y: f64) -> f64 {
            let mut s = 0.0;
            for i in 0..x.len() {
                s = s * y + x[i] * 0.5;
                s = s * y + x[i] * 1.5;
            }
            s
        }",
        expect![[r#"
            fn(x: array, y: f64) -> f64
              %0 = array param 0 x  // x
              %1 = param 1 y
              %5 = passive int `0`
              %6 = passive int `%0. len ()`
              %50 = tape float [(%6 - %5) * 2]
              %3 = lit 0.0
              %4 = copy %3  // s
              for %7 in %5..%6 {
                %9 = load %0[%7]
                %10 = lit 0.5
                %11 = mul %9, %10
                %8 = mul %4, %1
                %12 = add %8, %11
                save %4 to %50[%7, 0]
                %4 := %12
                %13 = mul %4, %1
                %14 = load %0[%7]
                %15 = lit 1.5
                %16 = mul %14, %15
                %17 = add %13, %16
                save %4 to %50[%7, 1]
                %4 := %17
              }
              %2 = zero  // return value
              %2 := %4
              %18 = output like %0  // ∂x
              %51 = lit 1.0
              %56 = copy %51  // ∂s
              %19 = zero  // ∂y
              for %7 in %5..%6 rev {
                restore %4 from %50[%7, 1]
                %31 = copy %56
                %39 = mul %31, %4
                %38 = mul %31, %1
                %56 := %38
                %19 += %39
                %40 = copy %56
                restore %4 from %50[%7, 0]
                %10 = lit 0.5
                %43 = mul %40, %10
                %15 = lit 1.5
                %34 = mul %31, %15
                %52 = add %34, %43
                store %18[%7] = %52
                %47 = mul %40, %1
                %48 = mul %40, %4
                %56 := %47
                %19 += %48
              }
              %53 = passive int `((%5<%6). then_some(1i128 *((%5as i128)+ (0i128))). unwrap_or (0i128))`
              %54 = passive int `((%5<%6). then_some(1i128 *((%6as i128)+ (0i128))). unwrap_or (0i128))`
              %18 := 0 outside %53..%54
              ret %2, %18, %19
        "#]],
    );
}

#[test]
fn tidy_keeps_what_while_loops_and_branches_read() {
    check_grad(
        "fn g(x: f64) -> f64 {
            let mut t = x;
            let mut k = 0;
            while k < 3 {
                if t > 1.0 {
                    t = t.sin() * x;
                } else {
                    t = t * t;
                }
                k += 1;
            }
            t
        }",
        expect![[r#"
            fn(x: f64) -> f64
              %0 = param 0 x
              %2 = copy %0  // t
              %3 = passive int `0`
              %4 = copy %3  // k
              %14 = passive int `0usize`  // trips
              while {
                %5 = passive int `3`
                %6 = passive bool `%4<%5`
              } %6 {
                push %8
                %7 = lit 1.0
                %8 = passive bool `%2>%7`
                if %8 {
                  push %9
                  push %2
                  %9 = sin %2
                  %10 = mul %9, %0
                  %2 := %10
                } else {
                  push %2
                  %11 = mul %2, %2
                  %2 := %11
                }
                %12 = passive int `1`
                %13 = passive int `%4+%12`
                %4 := %13
                %14 += 1
              }
              %1 = zero  // return value
              %1 := %2
              %33 = passive int `0usize`
              %36 = lit 1.0
              %38 = copy %36  // ∂t
              %15 = zero  // ∂x
              for %34 in %33..%14 {
                if %8 {
                  pop %2
                  %22 = copy %38
                  %25 = mul %22, %9
                  %15 += %25
                  %27 = cos %2
                  %24 = mul %22, %0
                  %28 = mul %24, %27
                  %38 := %28
                  pop %9
                } else {
                  pop %2
                  %29 = copy %38
                  %31 = mul %29, %2
                  %32 = mul %29, %2
                  %38 := %31
                  %38 += %32
                }
                pop %8
              }
              %35 = copy %38
              %15 += %35
              ret %1, %15
        "#]],
    );
}

/// The reverse trip of a long loop body clears no adjoint and declares its
/// values itself: nothing the function declares at its top is written in
/// the reverse loop but the loop-carried adjoints.
#[test]
fn tidy_leaves_no_adjoint_cleared_in_a_reverse_trip() {
    let mut body = String::new();
    for k in 0..40 {
        body.push_str(&format!("s = s * y + x[i] * {k}.5;\n"));
    }
    let src = format!(
        "fn f(x: &[f64], y: f64) -> f64 {{ let mut s = 0.0; for i in 0..x.len() {{ {body} }} s }}"
    );
    with_func(&src, |f| {
        let before = crate::pipeline::run(&f, crate::pipeline::Options::NO_CLEAN_UP);
        let after = super::gradient(&f);
        let clears = |func: &crate::ir::Func| {
            let mut n = 0;
            crate::analysis::walk(&func.body, &mut |s| {
                n += matches!(s, Stmt::Clear(_)) as usize
            });
            n
        };
        assert!(
            clears(&before) >= 40,
            "the sweep clears each adjoint it takes"
        );
        assert_eq!(clears(&after), 0, "{after}");
        assert!(
            after.hoisted.len() * 4 < before.hoisted.len(),
            "declared at the top: {} before, {} after",
            before.hoisted.len(),
            after.hoisted.len()
        );
        String::new()
    });
}
