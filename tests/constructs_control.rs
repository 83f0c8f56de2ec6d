//! Control flow people write in numeric loops (issue 11): `continue`,
//! labeled `break 'outer` / `continue 'outer`, `match` on integers and
//! `bool`s (as a statement, as a value, in tail position, with `return` in
//! its arms), and a tail `if` whose branch returns. Every gradient is checked
//! against central finite differences of the original function, and exact
//! values where they are easy to state; slice functions through both
//! `f_grad` and `f_grad_into`.

// Early `return`s in arms and branches are the construct under test.
#![allow(clippy::needless_return)]
#![deny(warnings)]
#![allow(dead_code, clippy::needless_range_loop)]

use crate::common;

use autodiff_core::grad;
use common::{check, close};

/// Asserts `(value, derivative)` equal to the exact ones, to rounding.
#[track_caller]
fn assert_exact(got: (f64, f64), want: (f64, f64)) {
    assert!(
        close(got.0, want.0, 1e-14) && close(got.1, want.1, 1e-14),
        "{got:?} != {want:?}"
    );
}

/// Checks `f_grad` of a function of one slice (and `f_grad_into`, which
/// must agree exactly) against finite differences at `x`.
#[track_caller]
fn check_slice(
    f: fn(&[f64]) -> f64,
    grad: fn(&[f64]) -> (f64, Vec<f64>),
    into: fn(&[f64], &mut [f64]) -> f64,
    x: &[f64],
) {
    let (v, g) = grad(x);
    let mut all = vec![v];
    all.extend(&g);
    check(&|p| f(p), &all, x);
    let mut out = vec![f64::NAN; x.len()];
    assert_eq!(into(x, &mut out), v);
    assert_eq!(out, g);
}

/// Points away from the functions' kinks (no condition at a tie).
const POINTS: &[&[f64]] = &[
    &[1.1, -2.3, 3.05, 0.45],
    &[-0.3, 0.7, -1.1, 2.2, 0.1],
    &[2.1, 1.5, -0.55],
];

#[grad]
fn positive_squares(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for &v in x {
        if v < 0.0 {
            continue;
        }
        s += v * v;
    }
    s
}

#[test]
fn continue_skips_the_rest_of_the_trip() {
    let (v, g) = positive_squares_grad(&[1.0, -2.0, 3.0]);
    assert_eq!((v, g), (10.0, vec![2.0, 0.0, 6.0]));
    for x in POINTS {
        check_slice(
            positive_squares,
            positive_squares_grad,
            positive_squares_grad_into,
            x,
        );
    }
}

#[grad]
fn continue_in_nested_loops(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        for j in 0..x.len() {
            if i == j {
                continue;
            }
            s += (x[i] * x[j]).tanh();
            if j > i + 1 {
                continue;
            }
            s *= 1.1;
        }
        if x[i] > 1.0 {
            continue;
        }
        s += x[i];
    }
    s
}

#[test]
fn continue_in_nested_loops_leaves_the_innermost_trip() {
    for x in POINTS {
        check_slice(
            continue_in_nested_loops,
            continue_in_nested_loops_grad,
            continue_in_nested_loops_grad_into,
            x,
        );
    }
}

#[grad]
fn continue_in_while(x: f64) -> f64 {
    let mut k = 0;
    let mut y = x;
    while k < 10 {
        k += 1;
        if k % 3 == 0 {
            continue;
        }
        y = (y * 1.3).sin() + x;
    }
    y
}

#[test]
fn continue_in_while_and_loop() {
    for x in [-1.2, 0.3, 0.9] {
        let (v, d) = continue_in_while_grad(x);
        check(&|p| continue_in_while(p[0]), &[v, d], &[x]);
    }
}

#[grad]
fn labeled(x: &[f64]) -> f64 {
    let mut s = 0.0;
    'outer: for i in 0..x.len() {
        for j in 0..x.len() {
            if j > i {
                continue 'outer;
            }
            s += x[i] * x[j];
            if s > 10.0 {
                break 'outer;
            }
        }
        s += 1.0;
    }
    s
}

#[test]
fn labeled_break_and_continue_leave_the_outer_loop() {
    // i = 0: s = 1, then `continue 'outer` at j = 1 (no `+ 1`); i = 1: s = 3,
    // 7, `continue 'outer`; i = 2: s = 10, 16 > 10: `break 'outer`.
    let (v, g) = labeled_grad(&[1.0, 2.0, 3.0, 0.5]);
    assert_eq!(v, 16.0);
    assert_eq!(g, vec![7.0, 8.0, 3.0, 0.0]);
    for x in POINTS {
        check_slice(labeled, labeled_grad, labeled_grad_into, x);
    }
}

#[grad]
fn labeled_while_and_loop(x: f64) -> f64 {
    let mut s = 0.0;
    let mut k = 0;
    'a: while k < 10 {
        k += 1;
        let mut m = 0;
        'b: loop {
            m += 1;
            if m > k {
                break 'b;
            }
            if m % 2 == 0 {
                continue 'b;
            }
            if m == 7 {
                continue 'a;
            }
            if s > 100.0 {
                break 'a;
            }
            s += x * (m as f64);
        }
        s *= 1.01;
    }
    s
}

#[test]
fn labels_on_while_and_loop() {
    for x in [0.1, 1.5, -0.7] {
        let (v, d) = labeled_while_and_loop_grad(x);
        check(&|p| labeled_while_and_loop(p[0]), &[v, d], &[x]);
    }
}

const TWO: i32 = 2;

#[grad]
fn match_statement(x: f64, n: i32) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        match i % 6 {
            0 => s += x,
            1 | TWO => {
                s += x * x;
            }
            k @ 3..=3 => s -= (k as f64) * x,
            k if k > 4 => s = (s * x).sin(),
            _ => s *= 1.5,
        }
    }
    s
}

#[test]
fn match_on_integers_as_a_statement() {
    // Literals, `|`, a constant, a binding with a range, a guard, `_`.
    for n in [0, 1, 4, 6, 9] {
        for x in [0.7, -1.3] {
            let (v, d) = match_statement_grad(x, n);
            check(&|p| match_statement(p[0], n), &[v, d], &[x]);
        }
    }
    let x: f64 = 0.7;
    assert_exact(
        match_statement_grad(x, 5),
        (
            (x + 2.0 * x * x - 3.0 * x) * 1.5,
            (1.0 + 4.0 * x - 3.0) * 1.5,
        ),
    );
}

#[grad]
fn match_value(x: f64, n: usize) -> f64 {
    let y = match n {
        0 => x,
        1 => return x * x * x,
        2..=4 => x.sin(),
        _ => {
            let t = x * 2.0;
            t * t
        }
    };
    y * 2.0
}

#[test]
fn match_as_a_value_with_return_in_an_arm() {
    let x: f64 = 0.7;
    assert_exact(match_value_grad(x, 0), (2.0 * x, 2.0));
    assert_exact(match_value_grad(x, 1), (x * x * x, 3.0 * x * x));
    assert_exact(match_value_grad(x, 3), (2.0 * x.sin(), 2.0 * x.cos()));
    assert_exact(match_value_grad(x, 9), (8.0 * x * x, 16.0 * x));
}

#[grad]
fn match_tail(x: f64, n: usize) -> f64 {
    match n {
        0 => return 7.0 * x,
        1 => x * x,
        _ => match x > 0.0 {
            true => x.exp(),
            false => -x,
        },
    }
}

#[test]
fn match_in_tail_position_and_on_bool() {
    let x: f64 = 0.7;
    assert_exact(match_tail_grad(x, 0), (7.0 * x, 7.0));
    assert_exact(match_tail_grad(x, 1), (x * x, 2.0 * x));
    assert_exact(match_tail_grad(x, 2), (x.exp(), x.exp()));
    assert_exact(match_tail_grad(-x, 5), (x, -1.0));
}

#[grad]
fn match_on_float(x: f64) -> f64 {
    match x {
        v if v > 1.0 => v * v,
        0.0 => 5.0,
        v => 3.0 * v,
    }
}

#[test]
fn match_binding_a_float() {
    assert_exact(match_on_float_grad(2.0), (4.0, 4.0));
    assert_exact(match_on_float_grad(0.5), (1.5, 3.0));
    assert_exact(match_on_float_grad(0.0), (5.0, 0.0));
}

#[grad]
fn match_with_guard_calling_floats(x: &[f64], labels: &[usize]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        match labels[i] {
            0 if x[i] > 0.0 => s += x[i].ln_1p(),
            0 => s -= x[i],
            l => s += (l as f64) * x[i] * x[i],
        }
    }
    s
}

#[test]
fn match_guards_on_floats_inside_a_loop() {
    let labels = [0, 1, 0, 2, 0];
    for x in POINTS {
        let (v, g) = match_with_guard_calling_floats_grad(x, &labels[..x.len()]);
        let mut all = vec![v];
        all.extend(&g);
        check(
            &|p| match_with_guard_calling_floats(p, &labels[..x.len()]),
            &all,
            x,
        );
    }
}

#[grad]
fn if_tail_returns(x: f64) -> f64 {
    if x > 0.0 { return x * 3.0 } else { x * 2.0 }
}

#[test]
fn tail_if_whose_branch_returns() {
    // Regression: the `else` value was dropped (`f_grad(-1.0)` gave 0).
    assert_exact(if_tail_returns_grad(-1.0), (-2.0, 2.0));
    assert_exact(if_tail_returns_grad(1.0), (3.0, 3.0));
}
