//! Snapshots of the circuit view's instrumentation.

use super::with_func;
use expect_test::{Expect, expect};

/// Checks the circuit view's instrumentation of `src`: the forward IR with
/// each gate's local partials and probes, then the probes.
fn check_graph(src: &str, expected: Expect) {
    expected.assert_eq(&with_func(src, |f| {
        crate::graph::instrument(&f, "f").to_string()
    }));
}

/// The probes the circuit view attaches to the reverse sweep of the
/// instrumented lecture circuit: one gradient per gate instance, then finish.
#[test]
fn graph_attaches_gradients_where_the_sweep_takes_adjoints() {
    let text = with_func(
        "fn f(x: f64, y: f64, z: f64) -> f64 { let q = x + y; q * z }",
        |f| {
            let crate::graph::Instrumented { func, probes } = crate::graph::instrument(&f, "f");
            let reversed = crate::graph::Instrumented {
                func: crate::pipeline::run(&func, crate::pipeline::Options::NO_CLEAN_UP),
                probes,
            };
            let attached = crate::graph::attach_gradients(reversed).to_string();
            attached[attached.find("probe 0:").expect("probes")..].to_string()
        },
    );
    expect![[r#"
        probe 0: input %0 "x"
        probe 1: input %1 "y"
        probe 2: input %2 "z"
        probe 3: gate %3 add "q" %0:%5 %1:%5
        probe 4: gate %4 mul "f" %3:%7 %2:%8
        probe 5: grad %4 += %14
        probe 6: grad %3 += %17
        probe 7: finish %4
    "#]]
    .assert_eq(&text);
}

#[test]
fn graph_instruments_the_lecture_circuits() {
    check_graph(
        "fn f(x: f64, y: f64, z: f64) -> f64 { let q = x + y; q * z }",
        expect![[r#"
            fn(x: f64, y: f64, z: f64) -> f64
              %0 = param 0 x
              probe 0
              %1 = param 1 y
              probe 1
              %2 = param 2 z
              probe 2
              %3 = add %0, %1  // q
              %5 = lit 1.0
              probe 3
              %4 = mul %3, %2  // f
              %6 = lit 1.0
              %7 = mul %6, %2
              %8 = mul %6, %3
              probe 4
              ret %4
            probe 0: input %0 "x"
            probe 1: input %1 "y"
            probe 2: input %2 "z"
            probe 3: gate %3 add "q" %0:%5 %1:%5
            probe 4: gate %4 mul "f" %3:%7 %2:%8
        "#]],
    );
    check_graph(
        "fn f(x: f64, y: f64, z: f64, w: f64) -> f64 { 2.0 * (x * y + z.max(w)) }",
        expect![[r#"
            fn(x: f64, y: f64, z: f64, w: f64) -> f64
              %0 = param 0 x
              probe 0
              %1 = param 1 y
              probe 1
              %2 = param 2 z
              probe 2
              %3 = param 3 w
              probe 3
              %4 = lit 2.0
              probe 4
              %5 = mul %0, %1
              %9 = lit 1.0
              %10 = mul %9, %1
              %11 = mul %9, %0
              probe 5
              %6 = max %2, %3
              %12 = lit 1.0
              %13 = max_weight %2, %3
              %14 = max_weight %3, %2
              %15 = mul %12, %13
              %16 = mul %12, %14
              probe 6
              %7 = add %5, %6
              %17 = lit 1.0
              probe 7
              %8 = mul %4, %7  // f
              %18 = lit 1.0
              %19 = mul %18, %7
              %20 = mul %18, %4
              probe 8
              ret %8
            probe 0: input %0 "x"
            probe 1: input %1 "y"
            probe 2: input %2 "z"
            probe 3: input %3 "w"
            probe 4: gate %4 const "2"
            probe 5: gate %5 mul "x * y" %0:%10 %1:%11
            probe 6: gate %6 max "max(z, w)" %2:%15 %3:%16
            probe 7: gate %7 add "x * y + max(z, w)" %5:%17 %6:%17
            probe 8: gate %8 mul "f" %4:%19 %7:%20
        "#]],
    );
}

#[test]
fn graph_instruments_loops_arrays_and_calls() {
    check_graph(
        "fn f(c: &[f64], x: f64) -> f64 { let mut acc = 0.0; for i in (0..c.len()).rev() { acc = acc * x + c[i]; } acc }",
        expect![[r#"
            fn(c: array, x: f64) -> f64
              %0 = array param 0 c  // c
              %1 = param 1 x
              probe 0
              %2 = zero  // return value
              %3 = lit 0.0
              probe 1
              %4 = copy %3  // acc
              probe 2
              %5 = passive int `0`
              %6 = passive int `%0. len ()`
              for %7 in %5..%6 rev {
                %8 = mul %4, %1
                %11 = lit 1.0
                %12 = mul %11, %1
                %13 = mul %11, %4
                probe 3
                %9 = load %0[%7]
                probe 4
                %10 = add %8, %9
                %14 = lit 1.0
                probe 5
                %4 := %10
                probe 6
              }
              %2 := %4
              probe 7
              ret %2
            probe 0: input %1 "x"
            probe 1: gate %3 const "0"
            probe 2: alias %4 = %3
            probe 3: gate %8 mul "acc * x" %4:%12 %1:%13
            probe 4: load %9 = %0[ValueId(7)] "c"
            probe 5: gate %10 add "acc * x + c[…]" %8:%14 %9:%14
            probe 6: alias %4 = %10
            probe 7: alias %2 = %4
        "#]],
    );
    check_graph(
        "fn f(x: f64) -> f64 { let a = [x, 2.0 * x]; g(a[1]) * self.k }",
        expect![[r#"
            fn(x: f64) -> f64
              %0 = param 0 x
              probe 0
              %1 = zero  // return value
              %2 = lit 2.0
              probe 1
              %3 = mul %2, %0
              %12 = lit 1.0
              %13 = mul %12, %0
              %14 = mul %12, %2
              probe 2
              %4 = array %0, %3  // a
              %5 = passive int `1`
              %6 = load %4[%5]
              probe 3
              %7 = call g_grad(%6)
              %8 = %7.0
              %15 = %7.1
              probe 4
              %10 = passive f64 `self . k`
              probe 5
              %11 = mul %8, %10  // f
              %16 = lit 1.0
              %17 = mul %16, %10
              %18 = mul %16, %8
              probe 6
              %1 := %11
              probe 7
              ret %1
            probe 0: input %0 "x"
            probe 1: gate %2 const "2"
            probe 2: gate %3 mul "2 * x" %2:%13 %0:%14
            probe 3: load %6 = %4[ValueId(5)] "a"
            probe 4: gate %8 call "g(a[…])" %6:%15
            probe 5: gate %10 const "self . k"
            probe 6: gate %11 mul "f" %8:%17 %10:%18
            probe 7: alias %1 = %11
        "#]],
    );
}
