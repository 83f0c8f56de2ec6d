//! Everyday Rust inside `#[grad]` (issue 15): `const` and `static` tables,
//! closures bound to a name, reductions (`product`, `fold`, `max_by`,
//! `min_by`, `reduce`), `loop` as a value, destructuring, and the
//! assertion and printing macros. Every gradient is checked against central
//! finite differences of the original function (`common::check`) and, where
//! easy, exact values; slice functions through `f_grad` and `f_grad_into`.

#![deny(warnings)]
// `'outer: loop { for … { break 'outer v; } break w; }` is the form tested.
#![allow(dead_code, clippy::needless_range_loop, clippy::never_loop)]

use crate::common;

use autodiff_core::grad;
use common::check;

/// `f_grad` of a slice function.
type Grad = dyn Fn(&[f64]) -> (f64, Vec<f64>);

/// Checks `(value, gradient)` of a slice function against finite
/// differences, and `f_grad_into` against `f_grad`.
#[track_caller]
fn check_slice(
    f: &dyn Fn(&[f64]) -> f64,
    grad: &Grad,
    into: &dyn Fn(&[f64], &mut [f64]) -> f64,
    x: &[f64],
) {
    let (v, g) = grad(x);
    let mut all = vec![v];
    all.extend_from_slice(&g);
    check(f, &all, x);
    let mut out = vec![f64::NAN; x.len()];
    assert_eq!(into(x, &mut out), v);
    assert_eq!(out, g);
}

const X: &[f64] = &[0.7, -1.3, 2.1, 0.4, -0.2];

// ---- 1. `const` and `static` tables -------------------------------------

/// Gauss–Legendre nodes and weights on [-1, 1], five points.
const GAUSS_X: [f64; 5] = [
    -0.906_179_845_938_664,
    -0.538_469_310_105_683,
    0.0,
    0.538_469_310_105_683,
    0.906_179_845_938_664,
];
const GAUSS_W: [f64; 5] = [
    0.236_926_885_056_189,
    0.478_628_670_499_366,
    0.568_888_888_888_889,
    0.478_628_670_499_366,
    0.236_926_885_056_189,
];
static KNOTS: [[f64; 2]; 3] = [[0.0, 1.0], [0.5, 2.0], [1.0, 4.0]];
const PICK: [usize; 3] = [2, 0, 1];

mod tables {
    pub const SCALE: [f64; 2] = [0.5, 2.0];
}

/// ∫_{-1}^{1} exp(a t) dt by Gauss–Legendre quadrature (exact: 2 sinh(a)/a).
#[grad]
fn quadrature(a: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..GAUSS_W.len() {
        s += GAUSS_W[i] * (a * GAUSS_X[i]).exp();
    }
    s
}

#[test]
fn const_tables_index_and_len() {
    for a in [0.3, -1.1, 2.0] {
        let (v, d) = quadrature_grad(a);
        let exact = 2.0 * a.sinh() / a;
        assert!((v - exact).abs() < 1e-6, "{v} vs {exact}");
        // d/da 2 sinh(a)/a = 2 (a cosh a - sinh a) / a²
        let exact_d = 2.0 * (a * a.cosh() - a.sinh()) / (a * a);
        assert!((d - exact_d).abs() < 1e-5, "{d} vs {exact_d}");
        check(&|p| quadrature(p[0]), &[v, d], &[a]);
    }
}

/// Loops over tables, 2-D and `static` tables, an integer table as indices,
/// a table in a module.
#[grad]
fn tables_everywhere(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for (&w, &t) in GAUSS_W.iter().zip(GAUSS_X.iter()) {
        s += w * (x[0] * t).sin();
    }
    for w in GAUSS_W {
        s += w * x[1];
    }
    for k in 0..KNOTS.len() {
        s += KNOTS[k][1] * x[2] * x[2] + KNOTS[k][0];
    }
    for (k, &j) in PICK.iter().enumerate() {
        s += (k as f64 + 1.0) * x[j] * x[3];
    }
    s + tables::SCALE[1] * x[4] * x[4]
}

#[test]
fn const_tables_in_loops_and_as_indices() {
    check_slice(
        &|p| tables_everywhere(p),
        &|p| tables_everywhere_grad(p),
        &|p, o| tables_everywhere_grad_into(p, o),
        X,
    );
    let (_, g) = tables_everywhere_grad(X);
    // ∂/∂x4 = 2 · 2.0 · x4 exactly.
    assert_eq!(g[4], 4.0 * X[4]);
}

const T2: [f64; 2] = [0.3, -1.4];

/// A `let mut` whose value is a table element as it is (found by the loops
/// differential test).
#[grad]
fn table_element_in_a_variable(a: f64) -> f64 {
    let mut t = T2[0];
    t += a;
    let mut s = 0.0;
    for &tv in T2.iter() {
        let mut z = tv;
        z *= a;
        s += z;
    }
    let mut y = { T2[1] };
    y -= a;
    let pair = [a, 2.0 * a];
    let f = pair.iter().fold(T2[0], |acc, &v| acc + v);
    let m = pair
        .iter()
        .map(|_| T2[1])
        .max_by(|p, q| p.total_cmp(q))
        .unwrap();
    t * a + s + y + f + m
}

/// An integer table's elements cast to floats (the macro cannot see the
/// table's type: the cast stays in the source).
#[grad]
fn integer_table_cast(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for &j in PICK.iter() {
        s += j as f64 * x[j] + PICK[0] as f64;
    }
    s
}

/// `f64::from` of an integer, a `bool` and an `f32` value: conversions, as
/// `as f64` (found by the straight-line differential test).
#[grad]
fn conversions(x: f64) -> f64 {
    let k = (x * 1.5) as i32 * 2 + 1;
    let y = x as f32;
    x * f64::from(k) + f64::from(x > 0.0) * x + f64::from(y * y)
}

#[test]
fn f64_from_converts() {
    for x in [0.9, -1.7] {
        let (v, d) = conversions_grad(x);
        assert_eq!(v, conversions(x));
        let k = ((x * 1.5) as i32 * 2 + 1) as f64;
        let y = x as f32 as f64;
        assert_eq!(d, k + if x > 0.0 { 1.0 } else { 0.0 } + 2.0 * y);
    }
}

#[test]
fn integer_table_elements_cast_to_floats() {
    let x = [0.5, -1.0, 2.0];
    // PICK = [2, 0, 1]: s = 2 x2 + 0 x0 + 1 x1 + 3 · 2.
    assert_eq!(
        integer_table_cast_grad(&x),
        (integer_table_cast(&x), vec![0.0, 1.0, 2.0])
    );
}

#[test]
fn table_elements_copied_into_variables() {
    // (0.3 + a) a + (0.3 - 1.4) a + (-1.4 - a) + (0.3 + 3a) + (-1.4)
    let a = 0.7;
    let (v, d) = table_element_in_a_variable_grad(a);
    assert_eq!(v, table_element_in_a_variable(a));
    assert!((d - (0.3 + 2.0 * a - 1.1 - 1.0 + 3.0)).abs() < 1e-12);
}

// ---- 2. Closures bound to a name --------------------------------------

#[grad]
fn two_squares(a: f64, b: f64) -> f64 {
    let sq = |v: f64| v * v;
    sq(a) + sq(b)
}

#[test]
fn closure_called_twice() {
    let (v, da, db) = two_squares_grad(1.5, -2.0);
    assert_eq!((v, da, db), (6.25, 3.0, -4.0));
}

/// Captures (a variable changed after the closure was written: the closure
/// sees the value it had), a block body with two arguments, a closure using
/// another, a closure called in a loop, a `move` closure.
#[grad]
fn closures_capture(x: &[f64]) -> f64 {
    let mut k = x[0];
    let scaled = move |v: f64| k * v;
    let both = |a: f64, b: f64| {
        let t = scaled(a) + b;
        t * t
    };
    let shifted = move |v: f64| v + k;
    k = 10.0;
    let mut s = 0.0;
    for i in 1..x.len() {
        s += both(x[i], x[i - 1]) + shifted(x[i]);
    }
    s + k
}

#[test]
fn closures_read_their_captures_as_written() {
    check_slice(
        &|p| closures_capture(p),
        &|p| closures_capture_grad(p),
        &|p, o| closures_capture_grad_into(p, o),
        X,
    );
}

/// A closure over slices, and one declared inside a loop.
#[grad]
fn closure_over_slices(x: &[f64], y: &[f64]) -> f64 {
    let dot = |u: &[f64], v: &[f64]| {
        let mut s = 0.0;
        for i in 0..u.len() {
            s += u[i] * v[i];
        }
        s
    };
    let mut t = 0.0;
    for i in 0..x.len() {
        let w = |v: f64| v * y[i];
        t += w(x[i]).tanh();
    }
    dot(x, y) + dot(&x[1..], &y[..y.len() - 1]) + t
}

#[test]
fn closures_over_slices_and_in_loops() {
    let y = [0.3, 0.1, -0.8, 1.2, 0.5];
    let (v, gx, gy) = closure_over_slices_grad(X, &y);
    let mut all = vec![v];
    all.extend(&gx);
    all.extend(&gy);
    let mut xy = X.to_vec();
    xy.extend(&y);
    check(&|p| closure_over_slices(&p[..5], &p[5..]), &all, &xy);
}

/// Straight-line code (no branch, loop or array): the snapshot of `k` the
/// closure reads is a copy, and the gradient flows through it.
#[grad]
fn straight_capture(a: f64, b: f64) -> f64 {
    let mut k = a * b;
    let f = move |v: f64| v * k;
    k = b;
    f(a) + f(b) * k
}

#[test]
fn captured_snapshot_in_straight_line_code_carries_the_gradient() {
    // f = a·ab + b·ab·b = a²b + ab³.
    let (a, b) = (1.5, -0.5);
    let (v, da, db) = straight_capture_grad(a, b);
    assert_eq!(v, straight_capture(a, b));
    assert_eq!((da, db), (2.0 * a * b + b * b * b, a * a + 3.0 * a * b * b));
}

// ---- 3. Reductions -------------------------------------------------------

#[grad]
fn product(x: &[f64]) -> f64 {
    x.iter().product::<f64>()
}

#[grad]
fn max_fold(x: &[f64]) -> f64 {
    x.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v))
}

#[grad]
fn max_fold_path(x: &[f64]) -> f64 {
    x.iter().copied().fold(f64::NEG_INFINITY, f64::max) * 2.0
}

#[grad]
fn cloned_fold(x: &[f64]) -> f64 {
    x.iter().cloned().fold(0.0, |a, v| a + v * v)
}

#[grad]
fn max_by(x: &[f64]) -> f64 {
    *x.iter().max_by(|a, b| a.total_cmp(b)).unwrap()
}

#[grad]
fn min_by(x: &[f64]) -> f64 {
    x.iter()
        .copied()
        .min_by(|a, b| a.partial_cmp(b).unwrap())
        .unwrap()
}

#[grad]
fn reversed_comparator(x: &[f64]) -> f64 {
    // `b` against `a`: the largest by `min_by`.
    *x.iter().min_by(|a, b| b.total_cmp(a)).unwrap()
}

#[grad]
fn reduce_max(x: &[f64]) -> f64 {
    x.iter().copied().reduce(f64::max).unwrap() + x.iter().copied().reduce(|a, b| a.min(b)).unwrap()
}

#[grad]
fn mapped_max(x: &[f64]) -> f64 {
    x.iter()
        .map(|v| v * v)
        .max_by(|a, b| a.total_cmp(b))
        .unwrap()
        + x.iter()
            .skip(1)
            .rev()
            .copied()
            .max_by(f64::total_cmp)
            .unwrap()
}

#[test]
fn products_and_folds() {
    for f in [
        (
            &product as &dyn Fn(&[f64]) -> f64,
            &product_grad as &Grad,
            &product_grad_into as &dyn Fn(&[f64], &mut [f64]) -> f64,
        ),
        (&max_fold, &max_fold_grad, &max_fold_grad_into),
        (
            &max_fold_path,
            &max_fold_path_grad,
            &max_fold_path_grad_into,
        ),
        (&cloned_fold, &cloned_fold_grad, &cloned_fold_grad_into),
    ] {
        check_slice(f.0, f.1, f.2, X);
    }
    let (v, g) = product_grad(&[2.0, 3.0, 4.0]);
    assert_eq!((v, g), (24.0, vec![12.0, 8.0, 6.0]));
}

#[test]
fn max_by_and_min_by_route_to_the_chosen_element() {
    // X = [0.7, -1.3, 2.1, 0.4, -0.2]: the largest is X[2], the smallest X[1].
    assert_eq!(max_by_grad(X), (2.1, vec![0.0, 0.0, 1.0, 0.0, 0.0]));
    assert_eq!(min_by_grad(X), (-1.3, vec![0.0, 1.0, 0.0, 0.0, 0.0]));
    assert_eq!(
        reversed_comparator_grad(X),
        (2.1, vec![0.0, 0.0, 1.0, 0.0, 0.0])
    );
    assert_eq!(
        reduce_max_grad(X),
        (2.1 - 1.3, vec![0.0, 1.0, 1.0, 0.0, 0.0])
    );
    // max of squares: 2.1² at X[2]; max of X[1..] reversed: 2.1 again.
    let (v, g) = mapped_max_grad(X);
    assert_eq!(v, 2.1 * 2.1 + 2.1);
    assert_eq!(g, vec![0.0, 0.0, 2.0 * 2.1 + 1.0, 0.0, 0.0]);
    for (f, gr, into) in [
        (
            &max_by as &dyn Fn(&[f64]) -> f64,
            &max_by_grad as &Grad,
            &max_by_grad_into as &dyn Fn(&[f64], &mut [f64]) -> f64,
        ),
        (&min_by, &min_by_grad, &min_by_grad_into),
        (
            &reversed_comparator,
            &reversed_comparator_grad,
            &reversed_comparator_grad_into,
        ),
        (&reduce_max, &reduce_max_grad, &reduce_max_grad_into),
        (&mapped_max, &mapped_max_grad, &mapped_max_grad_into),
    ] {
        check_slice(f, gr, into, X);
        check_slice(f, gr, into, &X[..2]);
    }
    // One element: no comparison at all.
    assert_eq!(max_by_grad(&[0.5]), (0.5, vec![1.0]));
    assert_eq!(min_by_grad(&[0.5]), (0.5, vec![1.0]));
}

#[test]
fn max_by_ties_and_nan_follow_the_iterator() {
    // `max_by` returns the last of equal maxima, `min_by` the first of equal
    // minima: all of the gradient goes to that element.
    assert_eq!(max_by_grad(&[1.0, 3.0, 3.0]), (3.0, vec![0.0, 0.0, 1.0]));
    assert_eq!(min_by_grad(&[2.0, 1.0, 1.0]), (1.0, vec![0.0, 1.0, 0.0]));
    // `total_cmp` orders NaN above everything: `f` returns it, so does `f_grad`.
    let (v, g) = max_by_grad(&[1.0, f64::NAN, 3.0]);
    assert!(v.is_nan() && max_by(&[1.0, f64::NAN, 3.0]).is_nan());
    assert_eq!(g, vec![0.0, 1.0, 0.0]);
    // `.reduce(f64::max)` is `f64::max`: ½ to each at a tie.
    let (v, g) = reduce_max_grad(&[2.0, 2.0]);
    assert_eq!((v, g), (4.0, vec![1.0, 1.0]));
}

#[test]
#[should_panic]
fn min_by_with_partial_cmp_panics_on_nan_like_f() {
    let _ = min_by_grad(&[1.0, f64::NAN]);
}

#[test]
#[should_panic]
fn max_by_of_nothing_panics_like_unwrap() {
    let _ = max_by_grad(&[]);
}

// ---- 4. `loop` as a value ----------------------------------------------

/// Halves `x` until below 1, then doubles it back once.
#[grad]
fn halve(x: f64) -> f64 {
    let mut y = x;
    loop {
        y *= 0.5;
        if y < 1.0 {
            break y * 2.0 + x;
        }
    }
}

/// `let n = loop { … break k; }` (an integer), and a labeled `break 'outer v`
/// out of a nested loop.
#[grad]
fn loop_values(x: &[f64]) -> f64 {
    let mut k = 0;
    let n = loop {
        if x[k] < 0.0 || k + 1 == x.len() {
            break k;
        }
        k += 1;
    };
    let mut acc = 1.0;
    let found = 'outer: loop {
        for i in 0..x.len() {
            acc *= 1.0 + 0.1 * x[i];
            if acc > 1.05 {
                break 'outer acc * x[i];
            }
        }
        break x[n] * acc;
    };
    found + x[n] * x[n]
}

#[test]
fn loop_with_break_values() {
    for x in [3.0, 7.5, 0.9, 12.0] {
        let (v, d) = halve_grad(x);
        assert_eq!(v, halve(x));
        // y = x / 2^k, value 2y + x: derivative 2 / 2^k + 1.
        let mut y = x;
        let mut k = 0;
        loop {
            y *= 0.5;
            k += 1;
            if y < 1.0 {
                break;
            }
        }
        assert_eq!(d, 2.0 / f64::powi(2.0, k) + 1.0);
    }
    check_slice(
        &|p| loop_values(p),
        &|p| loop_values_grad(p),
        &|p, o| loop_values_grad_into(p, o),
        X,
    );
    let all_positive = [0.1, 0.2, 0.3];
    check_slice(
        &|p| loop_values(p),
        &|p| loop_values_grad(p),
        &|p, o| loop_values_grad_into(p, o),
        &all_positive,
    );
}

// ---- 5. Destructuring ------------------------------------------------------

#[grad]
fn destructure(p: [f64; 2], w: [[f64; 2]; 2], x: f64) -> f64 {
    let [a, b] = p;
    let [r0, r1] = w;
    let [mut c, d] = r1;
    c += a;
    let (s, co) = (x.sin(), x.cos());
    let (u, v) = (a * b, s);
    let (u, v) = (v, u);
    u * co + v + c * d + r0[0] * r0[1]
}

#[test]
fn let_patterns_of_arrays_and_tuples() {
    let (p, w, x) = ([0.3, -1.2], [[0.5, 2.0], [1.5, -0.7]], 0.8);
    let (v, gp, gw, gx) = destructure_grad(p, w, x);
    let mut all = vec![v];
    all.extend(gp);
    all.extend(gw.iter().flatten());
    all.push(gx);
    let flat = [p[0], p[1], w[0][0], w[0][1], w[1][0], w[1][1], x];
    check(
        &|q| destructure([q[0], q[1]], [[q[2], q[3]], [q[4], q[5]]], q[6]),
        &all,
        &flat,
    );
}

#[grad]
fn pairs(pts: &[[f64; 2]]) -> f64 {
    let mut s = 0.0;
    for &[a, b] in pts.iter() {
        s += a * b;
    }
    for [a, b] in pts {
        s += a.sin() * b;
    }
    s
}

#[test]
fn loop_patterns_of_rows() {
    let pts = [[0.5, 1.5], [-0.3, 2.0], [1.1, -0.4]];
    let (v, g) = pairs_grad(&pts);
    let mut all = vec![v];
    all.extend(g.iter().flatten());
    let flat: Vec<f64> = pts.iter().flatten().copied().collect();
    check(
        &|q| pairs(&[[q[0], q[1]], [q[2], q[3]], [q[4], q[5]]]),
        &all,
        &flat,
    );
}

// ---- Together ---------------------------------------------------------------
#[grad]
fn closure_in_map(x: &[f64]) -> f64 {
    let sq = |v: f64| v * v;
    let s: f64 = x.iter().map(|&v| sq(v)).sum();
    s + x.iter().map(|v| sq(*v)).fold(0.0, |a, b| a + b)
}
#[grad]
fn closure_with_branch(x: f64, y: f64) -> f64 {
    let f = |a: f64| -> f64 { if a > 0.0 { a * y } else { -a } };
    f(x) + f(-x) + f(y * 2.0)
}
#[grad]
fn closures_calling_closures(x: f64) -> f64 {
    let add = |a: f64, b: f64| a + b;
    let twice = |a: f64| add(a, a);
    twice(twice(x)) * x
}
#[grad]
fn nested_array_pattern(w: [[f64; 2]; 2], x: f64) -> f64 {
    let [[a, b], [c, d]] = w;
    a * d - b * c + x
}
#[grad]
fn integer_methods_in_loop_value(x: &[f64]) -> f64 {
    let n = x.len();
    let i = loop {
        let mut k = 0;
        while k < n && x[k] < 1.0 {
            k += 1;
        }
        break k.min(n - 1);
    };
    x[i] * 2.0
}
/// Closures inside `.map`, with branches, calling closures; nested array
/// patterns; integer methods in a `loop` value.
#[test]
fn closures_patterns_and_integer_methods_together() {
    let x = [0.5, -1.0, 2.0];
    let (v, g) = closure_in_map_grad(&x);
    assert_eq!(v, 2.0 * (0.25 + 1.0 + 4.0));
    assert_eq!(g, vec![2.0, -4.0, 8.0]);
    let (v, dx, dy) = closure_with_branch_grad(0.5, 1.5);
    assert_eq!(v, closure_with_branch(0.5, 1.5));
    assert_eq!((dx, dy), (1.5 + 1.0, 0.5 + 2.0 * 3.0));
    assert_eq!(closures_calling_closures_grad(2.0), (16.0, 16.0));
    let (v, gw, gx) = nested_array_pattern_grad([[1.0, 2.0], [3.0, 4.0]], 0.5);
    assert_eq!((v, gw, gx), (-2.0 + 0.5, [[4.0, -3.0], [-2.0, 1.0]], 1.0));
    assert_eq!(
        integer_methods_in_loop_value_grad(&x),
        (4.0, vec![0.0, 0.0, 2.0])
    );
}

// ---- 6. Assertions and printing ------------------------------------------

#[grad]
fn checked(x: f64, n: usize) -> f64 {
    debug_assert!(x.is_finite());
    assert!(x > -100.0, "x = {x} is too small");
    assert_eq!(n % 2, 0, "n = {} must be even", n);
    let y = x * x;
    assert_ne!(y, -1.0);
    if n > 100 {
        println!("y = {y:.3}, n = {n:>width$}", width = 6);
        eprintln!("{}", y);
    }
    y * n as f64
}

#[test]
fn assertions_are_kept_in_f_grad() {
    assert_eq!(checked_grad(1.5, 4), (9.0, 12.0));
    // Printing does not change the result.
    assert_eq!(checked_grad(1.5, 102), (1.5 * 1.5 * 102.0, 3.0 * 102.0));
}

#[test]
#[should_panic(expected = "is too small")]
fn failed_assertion_panics_in_f_grad() {
    let _ = checked_grad(-200.0, 2);
}

#[test]
#[should_panic(expected = "must be even")]
fn failed_assert_eq_panics_in_f_grad() {
    let _ = checked_grad(1.0, 3);
}

// ---- 7. Mixed precision: `f32` values inside an `f64` function -------------

/// `f32` arithmetic, an `f32` literal, a comparison with a literal (an `f32`
/// one, as Rust infers it), an `if` whose value is an `f32`, a cast to an
/// integer, and the way back with `as f64`.
#[grad]
fn mixed_precision(x: f64, s: f64) -> f64 {
    let y = x as f32;
    let z = (y * y + 0.1).sqrt() * 2.5f32 - y / 3.0;
    let w: f32 = if y < 0.1 { z * 2.0 } else { z.max(y).abs() };
    let k = (y * 10.0) as i32;
    (w as f64) * s + k as f64 + x
}

/// `f32`'s `+ - * /` and `sqrt` computed in `f64` and rounded once are
/// exactly `f32`'s: `f_grad`'s value is `f`'s, bit for bit.
#[test]
fn f32_values_compute_exactly_what_f_computes() {
    let mut x = -3.0;
    while x < 3.0 {
        for s in [0.7, -1.9] {
            let (v, dx, ds) = mixed_precision_grad(x, s);
            assert_eq!(v.to_bits(), mixed_precision(x, s).to_bits(), "at {x}");
            // ∂/∂s = w exactly (as f64).
            let y = x as f32;
            let z = (y * y + 0.1).sqrt() * 2.5f32 - y / 3.0;
            let w: f32 = if y < 0.1 { z * 2.0 } else { z.max(y).abs() };
            assert_eq!(ds, w as f64);
            // ∂/∂x: the same function in f64 (the roundings have derivative
            // 1), to f32's precision.
            let yd = x;
            let r = (yd * yd + 0.1).sqrt();
            let dz = yd / r * 2.5 - 1.0 / 3.0;
            let zd = r * 2.5 - yd / 3.0;
            let dw = if y < 0.1 {
                2.0 * dz
            } else if zd >= yd {
                dz * zd.signum()
            } else {
                yd.signum()
            };
            let exact = dw * s + 1.0;
            assert!(
                (dx - exact).abs() < 1e-5 * exact.abs().max(1.0),
                "at {x}: {dx} vs {exact}"
            );
        }
        x += 0.0625 + 1e-3;
    }
    // At 0.1 itself: `y < 0.1` compares 0.1f32 with 0.1f32 (false), as `f`.
    let x = 0.1f32 as f64;
    assert_eq!(mixed_precision_grad(x, 1.0).0, mixed_precision(x, 1.0));
}

#[grad]
fn mixed_printing(x: f64) -> f64 {
    let y = x as f32 * 0.5;
    assert!(y < 100.0, "y = {y}");
    println!("y = {}, y as f64 = {}", y, y as f64);
    (y as f64).exp()
}

#[test]
fn f32_values_in_assertions_and_printing() {
    let (v, d) = mixed_printing_grad(1.3);
    assert_eq!(v, mixed_printing(1.3));
    assert_eq!(d, v * 0.5);
}

/// `f32` values through forward mode and the Hessian: the value is `f`'s,
/// the derivatives those of the same function in `f64` (the roundings have
/// derivative 1 and none of second order), to `f32`'s precision.
#[grad(forward, hessian)]
fn mixed_second_order(a: f64, b: f64) -> f64 {
    let y = a as f32;
    let z = (y * y * 0.5f32) as f64;
    z * b + a
}

#[test]
fn f32_values_in_forward_mode_and_hessians() {
    let (a, b) = (1.3, -0.7);
    let (v, along) = mixed_second_order_jvp(a, b, 1.0, 2.0);
    assert_eq!(v, mixed_second_order(a, b));
    // ∇f = (a b + 1, a²/2) in f64; along (1, 2).
    let y = a as f32 as f64;
    let exact = (y * b + 1.0) + 2.0 * (0.5 * y * y);
    assert!((along - exact).abs() < 1e-6, "{along} vs {exact}");
    let (_, _, _, h) = mixed_second_order_hessian(a, b);
    // H = [[b, a], [a, 0]].
    assert!((h[0][0] - b).abs() < 1e-12 && (h[0][1] - y).abs() < 1e-6);
    assert!((h[1][0] - y).abs() < 1e-6 && h[1][1] == 0.0);
}
