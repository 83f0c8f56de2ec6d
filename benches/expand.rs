//! Expansion time of `#[grad]`: the whole pipeline (parse, lower, reverse,
//! simplify, codegen) on functions of growing size, to show that it grows
//! linearly. Run with `cargo bench --bench expand`.
//! It calls the compiler library (`autodiff-compiler`) that the macro wraps.

use autodiff_compiler::expand;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use proc_macro2::TokenStream;
use std::hint::black_box;

/// `n` statements of straight-line code.
fn straight_line(n: usize) -> String {
    let mut body = String::from("let mut a = x;");
    for i in 0..n {
        body.push_str(&format!("a = a * y + {}.5;", i % 7));
    }
    format!("fn f(x: f64, y: f64) -> f64 {{ {body} a }}")
}

/// One expression of `n` operators.
fn long_expression(n: usize) -> String {
    let mut e = String::from("x");
    for i in 0..n {
        e.push_str(if i % 2 == 0 { " + x * y" } else { " - y" });
    }
    format!("fn f(x: f64, y: f64) -> f64 {{ {e} }}")
}

/// A loop whose body has `n` statements.
fn loop_body(n: usize) -> String {
    let mut body = String::new();
    for i in 0..n {
        body.push_str(&format!("s = s * 0.5 + v[i] * {}.25;", i % 5));
    }
    format!("fn f(v: &[f64]) -> f64 {{ let mut s = 0.0; for i in 0..v.len() {{ {body} }} s }}")
}

/// A function of `n` parameters summed in one expression.
fn many_parameters(n: usize) -> String {
    let params: Vec<String> = (0..n).map(|i| format!("p{i}: f64")).collect();
    let sum: Vec<String> = (0..n).map(|i| format!("p{i} * p{}", (i + 1) % n)).collect();
    format!(
        "fn f({}) -> f64 {{ {} }}",
        params.join(", "),
        sum.join(" + ")
    )
}

/// A shape of function: its name, its source for a size, the sizes.
type Shape = (&'static str, fn(usize) -> String, &'static [usize]);

fn bench(c: &mut Criterion) {
    let shapes: [Shape; 4] = [
        ("straight_line", straight_line, &[100, 1_000, 10_000]),
        ("loop_body", loop_body, &[100, 1_000, 10_000]),
        ("one_expression", long_expression, &[1_000, 5_000]),
        ("many_parameters", many_parameters, &[100, 1_000]),
    ];
    for (name, shape, sizes) in shapes {
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        for &n in sizes {
            // Tokenised once: the benchmark measures the macro, not the lexer.
            let input: TokenStream = shape(n).parse().expect("tokens");
            group.throughput(Throughput::Elements(n as u64));
            group.bench_with_input(BenchmarkId::from_parameter(n), &input, |b, input| {
                b.iter(|| black_box(expand::expand(TokenStream::new(), input.clone())))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
