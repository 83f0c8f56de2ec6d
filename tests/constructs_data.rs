//! Data people write in numeric loops (issue 11): local arrays declared
//! anywhere (re-declared on every trip, in branches, nested, `[x; N]`,
//! copies), integer arrays, slices and `Vec`s (labels, index lists, strides)
//! under every loop form, and casts from float to integer (constants with a
//! zero gradient). Every gradient is checked against central finite
//! differences of the original function and, where easy, exact values;
//! slice functions through both `f_grad` and `f_grad_into`.

#![deny(warnings)]
#![allow(dead_code, clippy::needless_range_loop)]

use crate::common;

use autodiff_core::grad;
use common::{check, close};

/// Checks `(value, gradient…)` against finite differences of `f` at `x`.
#[track_caller]
fn check_flat(f: &dyn Fn(&[f64]) -> f64, value: f64, grads: &[&[f64]], x: &[f64]) {
    let mut all = vec![value];
    for g in grads {
        all.extend_from_slice(g);
    }
    check(f, &all, x);
}

const X: &[f64] = &[1.1, -2.3, 3.05, 0.45, -0.7];

#[grad]
fn array_per_trip(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        // Starts afresh on every trip: what the last trip stored is gone.
        let mut a = [0.0; 3];
        if i % 2 == 0 {
            a[1] = x[i];
        } else {
            a[2] = x[i] * x[i];
        }
        let pair = [x[i], 1.0];
        s += a[1] * a[2] + a[1] + 2.0 * a[2] + pair[0] * pair[1];
    }
    s
}

#[test]
fn local_array_redeclared_every_trip() {
    let x = [1.0, 2.0, 3.0];
    let (v, g) = array_per_trip_grad(&x);
    // Trip 0: a = [0, 1, 0]; trip 1: a = [0, 0, 4]; trip 2: a = [0, 3, 0].
    assert_eq!(v, 1.0 + 8.0 + 3.0 + 6.0);
    assert_eq!(g, vec![2.0, 9.0, 2.0]);
    for n in 1..=X.len() {
        let x = &X[..n];
        let (v, g) = array_per_trip_grad(x);
        check_flat(&|p| array_per_trip(p), v, &[&g], x);
        let mut out = vec![f64::NAN; n];
        assert_eq!(array_per_trip_grad_into(x, &mut out), v);
        assert_eq!(out, g);
    }
}

#[grad]
fn arrays_in_branches(x: f64, y: f64) -> f64 {
    if x > 0.0 {
        let m = [[x, y], [y * y, x]];
        m[0][1] * m[1][0] + m[1][1]
    } else {
        let v = [x; 3];
        v[0] * v[1] * v[2]
    }
}

#[test]
fn local_arrays_in_branches_nested_and_repeated() {
    let (x, y): (f64, f64) = (2.0, 3.0);
    let (v, dx, dy) = arrays_in_branches_grad(x, y);
    assert_eq!((v, dx, dy), (y * y * y + x, 1.0, 3.0 * y * y));
    let (v, dx, dy) = arrays_in_branches_grad(-1.5, y);
    assert_eq!((v, dx, dy), (-3.375, 3.0 * 2.25, 0.0));
    for (x, y) in [(0.7, -1.2), (-0.4, 2.0)] {
        let (v, dx, dy) = arrays_in_branches_grad(x, y);
        check_flat(
            &|p| arrays_in_branches(p[0], p[1]),
            v,
            &[&[dx, dy]],
            &[x, y],
        );
    }
}

#[grad]
fn repeated_rows(x: f64, y: f64) -> f64 {
    // Regression: the elements of `[[x, y]; 2]` had no gradient.
    let a = [[x, y]; 2];
    a[0][0] * a[1][1]
}

#[test]
fn repeated_array_of_variables() {
    assert_eq!(repeated_rows_grad(2.0, 3.0), (6.0, 3.0, 2.0));
}

#[grad]
fn copies(x: f64, y: f64, w: [[f64; 2]; 2]) -> f64 {
    let mut a = [x, y];
    let b = a;
    a[0] = 5.0;
    let mut m = w;
    let row = m[1];
    m[1][0] = 0.0;
    let mut r = w[0];
    r[1] *= 2.0;
    b[0] * b[1] * a[0] + row[0] * m[0][0] + r[1] * m[1][0] + r[0]
}

#[test]
fn copies_of_arrays_keep_their_values() {
    let w = [[0.5, -1.0], [2.0, 3.0]];
    let (v, dx, dy, dw) = copies_grad(2.0, 3.0, w);
    assert_eq!(v, 30.0 + 2.0 * 0.5 + 0.5);
    assert_eq!((dx, dy), (15.0, 10.0));
    assert_eq!(dw, [[2.0 + 1.0, 0.0], [0.5, 0.0]]);
}

#[grad]
fn labels_loop_forms(x: &[f64], labels: &[usize], w: [f64; 3]) -> f64 {
    let mut s = 0.0;
    for &k in labels.iter() {
        s += w[k] * x[k % x.len()];
    }
    for (i, l) in labels.iter().enumerate() {
        if *l % 2 == 0 {
            s += x[i] * (*l as f64);
        }
    }
    for (&v, &l) in x.iter().zip(labels.iter()) {
        s += v * (l as f64);
    }
    for l in labels {
        s += (*l / 2) as f64 * w[0];
    }
    for (k, v) in labels.iter().copied().zip(x) {
        if k > 0 && k != 2 {
            s -= v.tanh();
        }
    }
    s
}

#[test]
fn integer_slices_under_every_loop_form() {
    let labels = [2usize, 0, 1, 2, 1];
    let w = [0.5, -1.0, 2.0];
    for n in 2..=X.len() {
        let x = &X[..n];
        let labels = &labels[..n];
        let (v, dx, dw) = labels_loop_forms_grad(x, labels, w);
        let f = |p: &[f64]| labels_loop_forms(&p[..n], labels, [p[n], p[n + 1], p[n + 2]]);
        let mut point = x.to_vec();
        point.extend(w);
        check_flat(&f, v, &[&dx, &dw], &point);
        let (mut gx, mut gw) = (vec![f64::NAN; n], [f64::NAN; 3]);
        assert_eq!(
            labels_loop_forms_grad_into(x, labels, w, &mut gx, &mut gw),
            v
        );
        assert_eq!((gx, gw), (dx, dw));
    }
}

#[grad]
fn strides(x: &[f64], idx: [usize; 3], steps: Vec<i32>) -> f64 {
    let mut s = 0.0;
    for i in idx {
        s += x[i] * x[(i + 1) % x.len()];
    }
    let order = [2usize, 0, 1];
    for (j, &o) in order.iter().enumerate() {
        s += (j as f64) * x[idx[o]];
    }
    for st in &steps {
        if *st < 0 {
            s += x[(-*st) as usize];
        } else if st % 2 == 0 {
            s *= 1.0 + x[0] * (*st as f64) / 10.0;
        }
    }
    s
}

#[test]
fn integer_arrays_vecs_and_local_index_lists() {
    let idx = [0, 2, 3];
    let steps = vec![-1, 4, 3, -2];
    let (v, g) = strides_grad(X, idx, steps.clone());
    check_flat(&|p| strides(p, idx, steps.clone()), v, &[&g], X);
    let mut out = vec![0.0; X.len()];
    assert_eq!(strides_grad_into(X, idx, steps.clone(), &mut out), v);
    assert_eq!(out, g);
}

#[grad]
fn casts(x: f64, b: f64, w: &[f64]) -> f64 {
    let k = (x * 2.0).floor() as usize;
    let j = (b * b) as i32;
    let m = (j % 3) as f64;
    let n = x as i32;
    w[k % w.len()] * x + m * b + (n as f64) * b
}

#[test]
fn casts_from_float_to_integer_have_no_gradient() {
    let w = [0.5, 1.5, 3.0, -2.0];
    let (x, b) = (1.3, 1.9);
    // k = 2, j = 3, m = 0, n = 1.
    let (v, dx, db, dw) = casts_grad(x, b, &w);
    assert!(close(v, 3.0 * x + b, 1e-15));
    assert_eq!((dx, db), (3.0, 1.0));
    assert_eq!(dw, vec![0.0, 0.0, x, 0.0]);
    for (x, b) in [(0.3, -1.7), (1.7, 2.2), (-0.6, 0.4)] {
        let (v, dx, db, dw) = casts_grad(x, b, &w);
        let f = |p: &[f64]| casts(p[0], p[1], &p[2..]);
        let mut point = vec![x, b];
        point.extend(w);
        check_flat(&f, v, &[&[dx, db], &dw], &point);
    }
}

#[grad]
fn cast_in_straight_line(x: f64, y: f64) -> f64 {
    let n = (x * 3.0) as i64;
    y * (n as f64) + x.powi(n as i32)
}

#[test]
fn cast_of_a_float_in_straight_line_code() {
    let (x, y): (f64, f64) = (1.2, 0.5);
    let (v, dx, dy) = cast_in_straight_line_grad(x, y);
    assert!(close(v, y * 3.0 + x.powi(3), 1e-15));
    assert!(close(dx, 3.0 * x * x, 1e-15));
    assert_eq!(dy, 3.0);
}
