//! References, calls and iterators people write (issue 11): `let r = &x[i];`
//! and `*r`, sub-slices `&w[1..]` / `&x[a..b]` passed to a `#[grad]` callee
//! (its gradient lands in that range), array expressions as arguments
//! (`g([x, y])`, `h(&[x, y])`), arguments a hand-written `_grad` takes that
//! are not floats (`char`, `&str`, structs built in place), and the iterator
//! forms `.copied()`, `.skip(k)`, `.windows(k)`, `.chunks_exact(k)`,
//! `.rev().enumerate()`, `.fold(..)`, `.product()` and `.sum()` without a
//! turbofish. Every gradient is checked against central finite differences
//! of the original function, through both `f_grad` and `f_grad_into`.

#![deny(warnings)]
// `&tail[..]` is the full-range sub-slice under test.
#![allow(dead_code, clippy::needless_range_loop, clippy::redundant_slicing)]

use crate::common;

use autodiff_core::grad;
use common::check;

/// Checks `f_grad` of a function of one slice and its `f_grad_into` (which
/// must agree exactly) against finite differences at `x`.
#[track_caller]
fn check_slice(
    f: &dyn Fn(&[f64]) -> f64,
    grad: (f64, Vec<f64>),
    into: &dyn Fn(&mut [f64]) -> f64,
    x: &[f64],
) {
    let (v, g) = grad;
    let mut all = vec![v];
    all.extend(&g);
    check(f, &all, x);
    let mut out = vec![f64::NAN; x.len()];
    assert_eq!(into(&mut out), v);
    assert_eq!(out, g);
}

const POINTS: &[&[f64]] = &[
    &[1.1, -2.3, 3.05, 0.45],
    &[-0.3, 0.7, -1.1, 2.2, 0.15, 0.9],
    &[2.1, 1.5, -0.55, 0.25, -1.35],
];

#[grad]
fn through_references(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let r = &x[i];
        s += *r * *r;
    }
    let t = &x[1..];
    let head = &t[..2];
    s + t[0] * head[1] + (t.len() as f64) * head[0]
}

#[test]
fn references_to_elements_and_sub_slices() {
    for x in POINTS {
        check_slice(
            &|p| through_references(p),
            through_references_grad(x),
            &|o| through_references_grad_into(x, o),
            x,
        );
    }
}

#[grad]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() {
        s += a[i] * b[i];
    }
    s
}

#[grad]
fn sub_slices(x: &[f64], n: usize) -> f64 {
    let m = x.len() - 1;
    let mut s = dot(&x[1..], &x[..m]);
    // Bounds that do not change inside the loop.
    for _ in 0..2 {
        s += dot(&x[1..n], &x[..n - 1]).tanh();
    }
    let tail = &x[2..];
    s + dot(tail, &tail[..]) + dot(&x[n - 1..=n], &x[0..2])
}

#[test]
fn sub_slices_passed_to_a_grad_callee() {
    // s = Σ x[i+1] x[i]: ∂/∂x[i] = x[i-1] + x[i+1].
    let x = [1.0, 2.0, 3.0, 4.0];
    let (v, g) = sub_slices_grad(&x, 2);
    let expect_v = (2.0 + 6.0 + 12.0) + 2.0 * 2.0f64.tanh() + (9.0 + 16.0) + (2.0 + 6.0);
    assert!((v - expect_v).abs() < 1e-12);
    // The terms: Σ x[i+1] x[i]; 2 tanh(x[1] x[0]); x[2]² + x[3]²; x[1] x[0] + x[2] x[1].
    let t: f64 = 2.0f64.tanh();
    let dt = 2.0 * (1.0 - t * t);
    let expect_g = [
        2.0 + dt * 2.0 + 2.0,
        4.0 + dt + 4.0,
        6.0 + 6.0 + 2.0,
        3.0 + 8.0,
    ];
    for (a, b) in g.iter().zip(expect_g) {
        assert!((a - b).abs() < 1e-12, "{g:?} vs {expect_g:?}");
    }
    for x in POINTS {
        check_slice(
            &|p| sub_slices(p, 2),
            sub_slices_grad(x, 2),
            &|o| sub_slices_grad_into(x, 2, o),
            x,
        );
    }
}

#[grad]
fn row_tails(w: [[f64; 3]; 2], x: [f64; 3]) -> f64 {
    dot(&w[0][1..], &x[1..]) * dot(&w[1][..2], &x[..2])
}

#[test]
fn sub_slices_of_rows_of_nested_arrays() {
    let w = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]];
    let x = [0.3, -1.2, 0.8];
    let (v, dw, dx) = row_tails_grad(w, x);
    let f = |p: &[f64]| row_tails([[p[0], p[1], p[2]], [p[3], p[4], p[5]]], [p[6], p[7], p[8]]);
    let mut point: Vec<f64> = w.iter().flatten().copied().collect();
    point.extend(x);
    let mut all = vec![v];
    all.extend(dw.iter().flatten());
    all.extend(dx);
    check(&f, &all, &point);
}

#[grad]
fn two_rows_of_one_array(w: [[f64; 3]; 2]) -> f64 {
    dot(&w[0], &w[1]) + dot(&w[1][1..], &w[0][..2])
}

#[test]
fn one_array_passed_twice_in_one_call() {
    // Regression: both slots' gradients were added into the first row.
    let w = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
    let (v, dw) = two_rows_of_one_array_grad(w);
    assert_eq!(v, 32.0 + 5.0 + 12.0);
    assert_eq!(
        dw,
        [[4.0 + 5.0, 5.0 + 6.0, 6.0], [1.0, 2.0 + 1.0, 3.0 + 2.0]]
    );
}

#[grad]
fn pair(a: [f64; 2]) -> f64 {
    a[0] * a[1].sin()
}

#[grad]
fn norm2(v: &[f64]) -> f64 {
    let mut s = 0.0;
    for &e in v {
        s += e * e;
    }
    s
}

#[grad]
fn array_arguments(x: f64, y: f64) -> f64 {
    pair([x, y * y]) + norm2(&[x, y, 1.0]) + norm2(&[x * y; 2])
}

#[test]
fn array_expressions_as_arguments() {
    let (x, y): (f64, f64) = (0.7, -1.3);
    let (v, dx, dy) = array_arguments_grad(x, y);
    check(&|p| array_arguments(p[0], p[1]), &[v, dx, dy], &[x, y]);
    // x sin(y²) + (x² + y² + 1) + 2 x² y² at (2, 3).
    let (v, dx, dy) = array_arguments_grad(2.0, 3.0);
    let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
    assert!(close(v, 2.0 * 9.0f64.sin() + 14.0 + 72.0));
    assert!(close(dx, 9.0f64.sin() + 4.0 + 72.0));
    assert!(close(dy, 2.0 * 9.0f64.cos() * 6.0 + 6.0 + 48.0));
}

/// A model configuration passed to a hand-written derivative.
pub struct Config {
    pub scale: i32,
    pub name: &'static str,
}

pub enum Mode {
    Plain,
    Squared,
}

fn scaled(x: f64, tag: char, name: &str, cfg: Config, mode: Mode) -> f64 {
    let k = cfg.scale as f64 + (tag as u32 as f64) * 0.0 + name.len() as f64 * 0.0;
    match mode {
        Mode::Plain => k * x,
        Mode::Squared => k * x * x,
    }
}

fn scaled_grad(x: f64, tag: char, name: &str, cfg: Config, mode: Mode) -> (f64, f64) {
    let k = cfg.scale as f64;
    let d = match mode {
        Mode::Plain => k,
        Mode::Squared => 2.0 * k * x,
    };
    let _ = cfg.name;
    (scaled(x, tag, name, cfg, mode), d)
}

#[grad]
fn constant_arguments(x: f64, n: i32) -> f64 {
    scaled(
        x,
        'a',
        "label",
        Config {
            scale: n,
            name: "c",
        },
        Mode::Squared,
    ) + scaled(x, 'b', "", Config { scale: 2, name: "" }, Mode::Plain)
}

#[test]
fn non_float_arguments_pass_through_as_constants() {
    let (v, d) = constant_arguments_grad(1.5, 3);
    assert_eq!((v, d), (3.0 * 2.25 + 3.0, 9.0 + 2.0));
}

#[grad]
fn iterator_forms(x: &[f64], c: f64) -> f64 {
    let s: f64 = x.iter().sum();
    let p = x.iter().copied().map(|v| 1.0 + v * v).product::<f64>();
    let h = x.iter().fold(0.0, |acc, &v| acc * c + v);
    let m = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut d = 0.0;
    for w in x.windows(2) {
        d += (w[1] - w[0]) * (w[1] - w[0]);
    }
    for ch in x.chunks_exact(2) {
        d += ch[0] * ch[1];
    }
    for (a, b) in x.iter().zip(x.iter().skip(1)) {
        d += a * b * c;
    }
    for (i, &v) in x.iter().skip(1).enumerate() {
        d += (i as f64) * v;
    }
    for (i, &v) in x.iter().rev().enumerate() {
        d += (i as f64) * v * v;
    }
    for (i, v) in x.iter().enumerate().skip(2).rev() {
        d -= (i as f64) * v.sin();
    }
    let q: f64 = x[1..].iter().map(|v| v.exp()).sum();
    let e: f64 = x.windows(3).map(|w| w[0] * w[2]).sum();
    s + p + h + m + d + q + e
}

#[test]
fn iterator_forms_of_everyday_code() {
    for x in POINTS {
        for c in [0.7, -0.4] {
            let (v, dx, dc) = iterator_forms_grad(x, c);
            let mut all = vec![v];
            all.extend(&dx);
            all.push(dc);
            let mut point = x.to_vec();
            point.push(c);
            let n = x.len();
            check(&|p| iterator_forms(&p[..n], p[n]), &all, &point);
            let mut out = vec![f64::NAN; n];
            let mut oc = f64::NAN;
            assert_eq!(iterator_forms_grad_into(x, c, &mut out, &mut oc), v);
            assert_eq!((out, oc), (dx, dc));
        }
    }
}

#[grad]
fn rev_enumerate(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for (i, v) in x.iter().rev().enumerate() {
        s += (i as f64) * v;
    }
    s
}

#[test]
fn rev_then_enumerate_counts_from_the_last_element() {
    // Regression: the position was the index in `x` (value 8, not 4).
    assert_eq!(
        rev_enumerate_grad(&[1.0, 2.0, 3.0]),
        (4.0, vec![2.0, 1.0, 0.0])
    );
}
