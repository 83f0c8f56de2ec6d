//! Inputs of every shape and size: the expansion finishes, on the stack
//! rustc gives a proc macro, and its output parses. (Time is measured by the
//! `expand` benchmark, never asserted here.)

use proc_macro2::TokenStream;

/// Expands `src` on a thread with rustc's 8 MiB main-thread stack and
/// returns the output, which must parse as Rust.
fn expand_on_rustc_stack(args: &str, src: String) -> String {
    let args = args.to_string();
    let out = std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || {
            let args: TokenStream = args.parse().expect("args");
            let input: TokenStream = src.parse().expect("input tokens");
            crate::expand::expand(args, input).to_string()
        })
        .expect("a thread")
        .join()
        .expect("the expansion did not overflow or panic");
    syn::parse_str::<syn::File>(&out).expect("the output parses as Rust");
    assert!(!out.contains("compile_error"), "unexpected errors: {out}");
    out
}

/// `n` statements of straight-line code.
pub fn straight_line(n: usize) -> String {
    let mut body = String::from("let mut a = x;");
    for i in 0..n {
        body.push_str(&format!("a = a * y + {}.5;", i % 7));
    }
    format!("fn f(x: f64, y: f64) -> f64 {{ {body} a }}")
}

/// One expression of `n` operators.
pub fn long_expression(n: usize) -> String {
    let mut e = String::from("x");
    for i in 0..n {
        e.push_str(if i % 2 == 0 { " + x * y" } else { " - y" });
    }
    format!("fn f(x: f64, y: f64) -> f64 {{ {e} }}")
}

/// A loop whose body has `n` statements.
pub fn loop_body(n: usize) -> String {
    let mut body = String::new();
    for i in 0..n {
        body.push_str(&format!("s = s * 0.5 + v[i] * {}.25;", i % 5));
    }
    format!("fn f(v: &[f64]) -> f64 {{ let mut s = 0.0; for i in 0..v.len() {{ {body} }} s }}")
}

/// An `else if` chain of `n` branches.
pub fn branch_chain(n: usize) -> String {
    let mut e = String::from("if x < 0.0 { x }");
    for i in 1..n {
        e.push_str(&format!(" else if x < {i}.0 {{ x * {i}.0 }}"));
    }
    e.push_str(" else { -x }");
    format!("fn f(x: f64) -> f64 {{ {e} }}")
}

/// A chain of `n` float methods, `x.sin().cos().sin()…`.
pub fn method_chain(n: usize) -> String {
    let mut e = String::from("x");
    for i in 0..n {
        e.push_str(if i % 2 == 0 { ".sin()" } else { ".cos()" });
    }
    format!("fn f(x: f64) -> f64 {{ {e} }}")
}

/// A `match` of `n` arms (and a default), as a value.
pub fn match_arms(n: usize) -> String {
    let mut arms = String::new();
    for i in 0..n {
        arms.push_str(&format!("{i} => x * {i}.0,"));
    }
    format!("fn f(x: f64, k: i32) -> f64 {{ match k {{ {arms} _ => -x }} }}")
}

#[test]
fn long_functions_expand() {
    expand_on_rustc_stack("", straight_line(10_000));
    expand_on_rustc_stack("graph", straight_line(2_000));
    expand_on_rustc_stack("", loop_body(2_000));
}

#[test]
fn a_sum_of_ten_thousand_terms_expands() {
    expand_on_rustc_stack("", long_expression(10_000));
}

#[test]
fn an_else_if_chain_of_five_thousand_branches_expands() {
    expand_on_rustc_stack("", branch_chain(5_000));
}

#[test]
fn a_chain_of_ten_thousand_methods_expands() {
    expand_on_rustc_stack("", method_chain(10_000));
}

#[test]
fn a_match_of_five_thousand_arms_expands() {
    expand_on_rustc_stack("", match_arms(5_000));
}

/// A softmax shift (`reverse/shift.rs`) whose region holds an `else if`
/// chain of `n` branches and a loop body of `n` statements.
pub fn shifted_region(n: usize) -> String {
    let mut chain = String::from("if x[0] < 0.0 { r }");
    for i in 1..n {
        chain.push_str(&format!(" else if x[0] < {i}.0 {{ r * {i}.0 }}"));
    }
    chain.push_str(" else { -r }");
    let mut body = String::new();
    for i in 0..n {
        body.push_str(&format!("t += (x[k] - m).exp() * {}.5;", i % 7 + 1));
    }
    format!(
        "fn f(x: &[f64]) -> f64 {{ let mut m = x[0]; for k in 1..x.len() {{ m = m.max(x[k]); }} \
         let mut t = 0.0; for k in 0..x.len() {{ {body} }} let r = m + t.ln(); {chain} }}"
    )
}

#[test]
fn a_shift_analysis_over_long_regions_expands() {
    // The result is invariant to `m`: with a short chain the max loop has
    // no reverse sweep (no tie weights, which test `is_nan`); with a chain
    // nested deeper than the analysis goes, it gives up and keeps it.
    assert!(!expand_on_rustc_stack("", shifted_region(3)).contains("is_nan"));
    assert!(expand_on_rustc_stack("", shifted_region(5_000)).contains("is_nan"));
}
