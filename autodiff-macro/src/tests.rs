//! Data-driven tests of the IR text: each case is a function's source and the
//! IR that a stage must produce from it (rust-analyzer style `check`).

use crate::args::Args;
use crate::ast::Sig;
use crate::ctxt::Ctxt;
use crate::ir::Func;
use crate::{lower, reverse, simplify};
use expect_test::{Expect, expect, expect_file};

fn with_func(src: &str, f: impl FnOnce(Func) -> String) -> String {
    let item: syn::ItemFn = syn::parse_str(src).expect("test source parses");
    let cx = Ctxt::default();
    let sig = Sig::from_syn(&cx, &item, &Args::default()).expect("valid signature");
    let func = lower::lower(&cx, &sig);
    if let Err(e) = cx.check() {
        panic!("unexpected error: {e}");
    }
    f(func)
}

/// Checks the lowered IR of `src`.
fn check_lower(src: &str, expected: Expect) {
    expected.assert_eq(&with_func(src, |f| f.to_string()));
}

/// The gradient IR of a forward function, as `#[grad]` builds it.
fn gradient(f: &Func) -> Func {
    if f.is_straight_line() {
        simplify::simplify(&reverse::reverse(f))
    } else {
        crate::reverse_regions::reverse(f)
    }
}

/// Checks the reversed and simplified IR of `src`.
fn check_grad(src: &str, expected: Expect) {
    expected.assert_eq(&with_func(src, |f| gradient(&f).to_string()));
}

/// Prints the forward and gradient IR of `src`, for a developer's ad-hoc test.
#[allow(dead_code)]
fn dump(src: &str) {
    println!("{}", with_func(src, |f| format!("{f}\n{}", gradient(&f))));
}

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

/// The adjoint of every rule of the table, one function per float method.
#[test]
fn grad_of_every_rule() {
    use crate::rules::Op;
    let mut out = String::new();
    for op in Op::ALL {
        let rule = op.rule();
        let Some(m) = rule.method else { continue };
        let src = match (rule.arity, rule.int_args) {
            (1, _) => format!("fn f(x: f64) -> f64 {{ x.{m}() }}"),
            (2, [1]) => format!("fn f(x: f64, n: i32) -> f64 {{ x.{m}(n) }}"),
            (2, _) => format!("fn f(x: f64, y: f64) -> f64 {{ x.{m}(y) }}"),
            _ => format!("fn f(x: f64, y: f64, z: f64) -> f64 {{ x.{m}(y, z) }}"),
        };
        let ir = with_func(&src, |f| {
            simplify::simplify(&reverse::reverse(&f)).to_string()
        });
        out.push_str(&format!("// {src}\n// {}\n{ir}\n", rule.partials));
    }
    expect_file!["snapshots/rules.ir"].assert_eq(&out);
}

/// The README's table of float methods is the rules table: one row per
/// method with its local derivative.
#[test]
fn readme_lists_every_rule() {
    use crate::rules::Op;
    let readme = include_str!("../../README.md");
    let mut missing = Vec::new();
    for op in Op::ALL {
        let rule = op.rule();
        if let Some(m) = rule.method {
            let row = format!("| `{m}` | {} |", rule.partials);
            if !readme.contains(&row) {
                missing.push(row);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "README.md lacks the rows:\n{}",
        missing.join("\n")
    );
}

/// The generated code for the lecture's circuit, as tokens.
#[test]
fn codegen_of_the_lecture_circuit() {
    let input: proc_macro2::TokenStream =
        "pub fn circuit(x: f64, y: f64, z: f64) -> f64 { let q = x + y; q * z }"
            .parse()
            .expect("tokens");
    let out = crate::expand::expand(proc_macro2::TokenStream::new(), input).to_string();
    let grad = &out[out.find("# [doc").expect("f_grad is generated")..];
    expect![[r##"# [doc = "Value and gradient of [`circuit`], generated by `#[grad]`.\n\nReturns `(circuit, ∂circuit/∂x, ∂circuit/∂y, ∂circuit/∂z)`: the value of `circuit` at the arguments, then its partial derivative with respect to each differentiated parameter, in declaration order."] # [allow (dead_code , unused_variables , unused_mut , unused_assignments , unused_parens , unused_braces , non_snake_case , clippy :: all , clippy :: pedantic , clippy :: nursery)] pub fn circuit_grad (x : f64 , y : f64 , z : f64) -> (f64 , f64 , f64 , f64) { let __ad_v0 : f64 = x ; let __ad_v1 : f64 = y ; let __ad_v2 : f64 = z ; let __ad_v3 : f64 = __ad_v0 + __ad_v1 ; let __ad_v4 : f64 = __ad_v3 * __ad_v2 ; (__ad_v4 , __ad_v2 , __ad_v2 , __ad_v3) }"##]]
    .assert_eq(grad);
}
