//! Expansion time per stage (parse, lower, reverse, simplify, codegen, and
//! the whole `expand`), the best of a few runs, for one shape at the sizes
//! given: a tool to find which stage grows faster than linearly, not a
//! benchmark. Its output is also the input of a profiler (`perf`,
//! `valgrind --tool=callgrind`, whose instruction counts a loaded machine
//! does not disturb).
//!
//! ```text
//! cargo bench --bench stages -- 1000 2000 4000
//! SHAPE=match REPS=1 cargo bench --bench stages -- 1000
//! SHAPE=loop DUMP=1 cargo bench --bench stages -- 3   # the expansion
//! ```
//!
//! Shapes (`SHAPE`): `loop` (statements in one loop body, the default),
//! `straight`, `methods` (a chain of float methods), `match` (arms),
//! `branches` (an `else if` chain).

use autodiff_compiler::{args, ast, codegen, ctxt, expand, lower, pipeline};
use proc_macro2::TokenStream;
use std::time::Instant;

/// A loop whose body has `n` statements.
fn loop_body(n: usize) -> String {
    let mut body = String::new();
    for i in 0..n {
        body.push_str(&format!("s = s * 0.5 + v[i] * {}.25;", i % 5));
    }
    format!("fn f(v: &[f64]) -> f64 {{ let mut s = 0.0; for i in 0..v.len() {{ {body} }} s }}")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let reps: usize = std::env::var("REPS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let shape = std::env::var("SHAPE").unwrap_or_else(|_| "loop".into());
    for n in args.iter().filter_map(|a| a.parse::<usize>().ok()) {
        let src = match shape.as_str() {
            "loop" => loop_body(n),
            "methods" => methods(n),
            "match" => match_arms(n),
            "branches" => branches(n),
            _ => straight(n),
        };
        if std::env::var("DUMP").is_ok() {
            let input: TokenStream = src.parse().expect("tokens");
            println!("{}", expand::expand(TokenStream::new(), input));
            continue;
        }
        let mut best = [f64::MAX; 6];
        let mut bytes = 0;
        for _ in 0..reps {
            let input: TokenStream = src.parse().expect("tokens");
            let mut t = [0f64; 6];
            let s = Instant::now();
            let item: syn::ItemFn = syn::parse2(input.clone()).expect("a function");
            t[0] = s.elapsed().as_secs_f64();
            let cx = ctxt::Ctxt::default();
            let a = args::Args::default();
            let s = Instant::now();
            let sig = ast::Sig::from_syn(&cx, &item, &a, &[]).expect("a valid signature");
            let fwd = lower::lower(&cx, &sig);
            cx.check()
                .expect("the benchmark's functions have no errors");
            t[1] = s.elapsed().as_secs_f64();
            let s = Instant::now();
            let rev = pipeline::run(&fwd, pipeline::Options::NO_CLEAN_UP);
            t[2] = s.elapsed().as_secs_f64();
            let s = Instant::now();
            let simp = pipeline::clean_up(rev);
            t[3] = s.elapsed().as_secs_f64();
            let s = Instant::now();
            let code = codegen::grad_fn(&sig, &simp);
            t[4] = s.elapsed().as_secs_f64();
            let s = Instant::now();
            let out = expand::expand(TokenStream::new(), input.clone());
            t[5] = s.elapsed().as_secs_f64();
            bytes = code.iter().map(|f| f.body.to_string().len()).sum();
            drop(out);
            for (b, t) in best.iter_mut().zip(t) {
                *b = b.min(t);
            }
        }
        let [parse, lower, reverse, simplify, codegen, expand] = best.map(|t| t * 1e3);
        println!(
            "{shape} n={n}: parse {parse:.1} lower {lower:.1} reverse {reverse:.1} simplify {simplify:.1} codegen {codegen:.1} | expand {expand:.1} ms ({bytes} bytes of f_grad)"
        );
    }
}

/// `n` statements of straight-line code.
fn straight(n: usize) -> String {
    let mut body = String::from("let mut a = x;");
    for i in 0..n {
        body.push_str(&format!("a = a * y + {}.5;", i % 7));
    }
    format!("fn f(x: f64, y: f64) -> f64 {{ {body} a }}")
}

/// A chain of `n` float methods.
fn methods(n: usize) -> String {
    let mut e = String::from("x");
    for i in 0..n {
        e.push_str(if i % 2 == 0 { ".sin()" } else { ".cos()" });
    }
    format!("fn f(x: f64) -> f64 {{ {e} }}")
}

/// A `match` of `n` arms and a default.
fn match_arms(n: usize) -> String {
    let mut arms = String::new();
    for i in 0..n {
        arms.push_str(&format!("{i} => x * {i}.0,"));
    }
    format!("fn f(x: f64, k: i32) -> f64 {{ match k {{ {arms} _ => -x }} }}")
}

/// An `else if` chain of `n` branches.
fn branches(n: usize) -> String {
    let mut e = String::from("if x < 0.0 { x }");
    for i in 1..n {
        e.push_str(&format!(" else if x < {i}.0 {{ x * {i}.0 }}"));
    }
    e.push_str(" else { -x }");
    format!("fn f(x: f64) -> f64 {{ {e} }}")
}
