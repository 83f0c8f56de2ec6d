//! Control flow, arrays, slices and loops: every construct against finite
//! differences of the original function, and exact values where they are
//! easy to state.

// Some functions here are called only through their generated gradient,
// and loops index several arrays at once, as numeric code does.
#![allow(dead_code, clippy::needless_range_loop)]

use crate::common;

use autodiff_core::grad;
use common::{check, fd};

/// Checks a gradient over a flat list of coordinates against `f`.
#[track_caller]
fn check_flat(f: &dyn Fn(&[f64]) -> f64, value: f64, grad: &[f64], x: &[f64]) {
    let mut all = vec![value];
    all.extend_from_slice(grad);
    check(f, &all, x);
}

#[grad]
fn dot(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * y[i];
    }
    s
}

#[test]
fn dot_product_of_slices() {
    let (v, dx, dy) = dot_grad(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]);
    assert_eq!(v, 32.0);
    assert_eq!(dx, vec![4.0, 5.0, 6.0]);
    assert_eq!(dy, vec![1.0, 2.0, 3.0]);
}

/// Neighbouring reads: `x[i + 3]` is carried from trip to trip, `x[i + 9]`
/// is past the eight values a gradient carries and is added to the
/// gradient where it is read (issue 23: `x[i + k]` once asked for `k`
/// carried values, 2³² of them at `k = 4294967296`).
#[grad]
fn far_neighbours(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 9 {
        let a = x[i + 9] - x[i] * x[i];
        s += a * a + x[i + 3] * x[i];
    }
    s
}

#[test]
fn neighbouring_reads_near_and_far() {
    let x: Vec<f64> = (0..14).map(|k| (k as f64 * 0.7).sin()).collect();
    let (v, g) = far_neighbours_grad(&x);
    assert_eq!(v, far_neighbours(&x));
    check_flat(&|x| far_neighbours(x), v, &g, &x);
    let mut into = vec![f64::NAN; x.len()];
    assert_eq!(far_neighbours_grad_into(&x, &mut into), v);
    assert_eq!(into, g);
}

#[grad]
fn horner(c: [f64; 4], x: f64) -> f64 {
    let mut acc = 0.0;
    for i in (0..4).rev() {
        acc = acc * x + c[i];
    }
    acc
}

#[test]
fn horner_accumulator_overwritten_every_iteration() {
    let c = [1.0, -2.0, 0.5, 3.0];
    let x = 1.5;
    let (v, dc, dx) = horner_grad(c, x);
    let p = |x: f64| 1.0 - 2.0 * x + 0.5 * x * x + 3.0 * x * x * x;
    assert!((v - p(x)).abs() < 1e-12);
    assert_eq!(dc, [1.0, x, x * x, x * x * x]);
    check(&|a| horner(c, a[0]), &[v, dx], &[x]);
}

#[grad]
fn newton_sqrt(a: f64) -> f64 {
    // Newton's iteration for sqrt(a): the trip count depends on the data.
    let mut x = a;
    let mut steps = 0;
    while (x * x - a).abs() > 1e-12 * a && steps < 100 {
        x = 0.5 * (x + a / x);
        steps += 1;
    }
    x
}

#[test]
fn while_loop_with_data_dependent_trip_count() {
    for a in [0.5, 2.0, 9.0, 1e4] {
        let (v, d) = newton_sqrt_grad(a);
        assert!((v - a.sqrt()).abs() < 1e-9 * a.sqrt());
        // The derivative of the iteration converges to that of sqrt.
        assert!((d - 0.5 / a.sqrt()).abs() < 1e-6, "{a}: {d}");
    }
}

#[grad]
fn matvec_norm(w: [[f64; 3]; 2], x: [f64; 3]) -> f64 {
    let mut s = 0.0;
    for j in 0..2 {
        let mut row = 0.0;
        for i in 0..3 {
            row += w[j][i] * x[i];
        }
        s += row * row;
    }
    s
}

#[test]
fn nested_loops_over_nested_arrays() {
    let w = [[1.0, -2.0, 0.5], [0.3, 0.7, -1.1]];
    let x = [0.2, -0.4, 1.5];
    let (v, dw, dx) = matvec_norm_grad(w, x);
    let flat =
        |a: &[f64]| matvec_norm([[a[0], a[1], a[2]], [a[3], a[4], a[5]]], [a[6], a[7], a[8]]);
    let mut point = Vec::new();
    point.extend(w.iter().flatten());
    point.extend(x);
    let mut grad = Vec::new();
    grad.extend(dw.iter().flatten());
    grad.extend(dx);
    check_flat(&flat, v, &grad, &point);
}

#[grad]
fn relu_sum(x: &[f64], leak: f64) -> f64 {
    let mut s = 0.0;
    for &v in x.iter() {
        if v > 0.0 {
            s += v;
        } else if v > -1.0 {
            s += leak * v;
        } else {
            s -= leak;
        }
    }
    s
}

#[test]
fn branches_inside_loops() {
    let x = [1.5, -0.5, -2.0, 0.25];
    let (v, dx, dl) = relu_sum_grad(&x, 0.1);
    assert!((v - (1.5 - 0.05 - 0.1 + 0.25)).abs() < 1e-12);
    assert_eq!(dx, vec![1.0, 0.1, 0.0, 1.0]);
    assert!((dl - (-0.5 - 1.0)).abs() < 1e-12);
}

#[grad]
fn first_big(x: &[f64], threshold: f64) -> f64 {
    let mut acc = 1.0;
    for i in 0..x.len() {
        acc *= x[i];
        if x[i] > threshold {
            return acc * x[i];
        }
    }
    acc
}

#[test]
fn early_return_inside_a_loop() {
    let x = [0.5, 2.0, 5.0, 3.0];
    let (v, dx, dt) = first_big_grad(&x, 1.0);
    // Stops at x[1]: acc = 0.5 * 2.0, returns acc * x[1] = x0 x1²
    assert_eq!(v, 0.5 * 2.0 * 2.0);
    assert_eq!(dx, vec![4.0, 2.0, 0.0, 0.0]);
    assert_eq!(dt, 0.0);
    // No element above the threshold: the product of all.
    let (v, dx, _) = first_big_grad(&x, 10.0);
    assert_eq!(v, 15.0);
    assert_eq!(dx, vec![30.0, 7.5, 3.0, 5.0]);
}

#[grad]
fn running_max(x: &[f64]) -> f64 {
    let mut m = x[0];
    for i in 1..x.len() {
        m = m.max(x[i]);
    }
    m * m
}

#[test]
fn running_maximum() {
    let (v, dx) = running_max_grad(&[1.0, 4.0, -2.0, 3.0]);
    assert_eq!(v, 16.0);
    assert_eq!(dx, vec![0.0, 8.0, 0.0, 0.0]);
}

#[grad]
fn branch_value(x: f64, y: f64, flip: bool) -> f64 {
    let a = if x > y && !flip {
        x * y
    } else if x < 0.0 || flip {
        -x
    } else {
        y.exp()
    };
    let b = {
        let t = a + 1.0;
        t * t
    };
    b - x
}

#[test]
fn if_else_as_expression_with_logic() {
    for (x, y, flip) in [
        (2.0, 1.0, false),
        (-1.0, 3.0, false),
        (0.5, 3.0, false),
        (2.0, 1.0, true),
    ] {
        let (v, dx, dy) = branch_value_grad(x, y, flip);
        check(&|a| branch_value(a[0], a[1], flip), &[v, dx, dy], &[x, y]);
    }
}

#[grad]
fn loop_forms(x: [f64; 4], v: Vec<f64>, n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..=2 {
        s += x[i] * (i as f64);
    }
    for (i, a) in x.iter().enumerate() {
        s += a * (i + n) as f64;
    }
    for (a, b) in x.iter().zip(v.iter()) {
        s += a * b;
    }
    for a in &v {
        s += a * a;
    }
    for a in x {
        s += a.sin();
    }
    let mut k = 0;
    loop {
        s += v[k] * x[k];
        k += 1;
        if k >= 2 {
            break;
        }
    }
    s
}

#[test]
fn every_loop_form() {
    let x = [0.3, -1.2, 2.0, 0.7];
    let v = vec![1.5, -0.5, 0.25];
    let (val, dx, dv) = loop_forms_grad(x, v.clone(), 2);
    let flat = |a: &[f64]| loop_forms([a[0], a[1], a[2], a[3]], a[4..].to_vec(), 2);
    let mut point = x.to_vec();
    point.extend(&v);
    let mut grad = dx.to_vec();
    grad.extend(&dv);
    check_flat(&flat, val, &grad, &point);
}

#[grad]
fn iterator_sums(x: &[f64], y: &[f64]) -> f64 {
    let total = x.iter().sum::<f64>();
    let squares = x.iter().map(|v| v * v).sum::<f64>();
    let dot = x.iter().zip(y.iter()).map(|(a, b)| a * b).sum::<f64>();
    total + squares * dot
}

#[test]
fn iterator_sums_people_write() {
    let x = [1.0, 2.0, -0.5];
    let y = [0.5, -1.0, 3.0];
    let (v, dx, dy) = iterator_sums_grad(&x, &y);
    let flat = |a: &[f64]| iterator_sums(&a[..3], &a[3..]);
    let mut point = x.to_vec();
    point.extend(y);
    let mut grad = dx.clone();
    grad.extend(&dy);
    check_flat(&flat, v, &grad, &point);
}

#[grad]
fn local_arrays(x: [f64; 3], w: f64) -> f64 {
    let mut s = [0.0; 3];
    let pair = [w, w * w];
    for j in 0..3 {
        s[j] = x[j] * pair[0];
        s[j] += pair[1];
    }
    let mut t = 0.0;
    for j in 0..s.len() {
        let k = (j + 1) % 3;
        t += s[j] * s[k];
    }
    t
}

#[test]
fn local_array_reads_and_writes() {
    let x = [0.5, -1.0, 2.0];
    let (v, dx, dw) = local_arrays_grad(x, 0.7);
    let flat = |a: &[f64]| local_arrays([a[0], a[1], a[2]], a[3]);
    let mut grad = dx.to_vec();
    grad.push(dw);
    check_flat(&flat, v, &grad, &[0.5, -1.0, 2.0, 0.7]);
}

#[grad]
fn softmax_loss(logits: &[f64], label: usize) -> f64 {
    let mut m = logits[0];
    for &z in logits.iter() {
        m = m.max(z);
    }
    let mut total = 0.0;
    for &z in logits.iter() {
        total += (z - m).exp();
    }
    -(logits[label] - m) + total.ln()
}

#[test]
fn softmax_cross_entropy_gradient_is_p_minus_onehot() {
    let z = [1.0, 2.0, 0.5];
    let (_, dz) = softmax_loss_grad(&z, 1);
    let e: Vec<f64> = z.iter().map(|v| v.exp()).collect();
    let s: f64 = e.iter().sum();
    for k in 0..3 {
        let want = e[k] / s - if k == 1 { 1.0 } else { 0.0 };
        assert!((dz[k] - want).abs() < 1e-12, "{k}: {} vs {want}", dz[k]);
    }
}

#[test]
fn finite_difference_helper_sanity() {
    // The oracle itself: d/dx x³ at 2 is 12.
    assert!((fd(&|a| a[0] * a[0] * a[0], &[2.0], 0) - 12.0).abs() < 1e-6);
}

#[grad]
fn weighted(x: &[f64], w: Vec<f64>, scale: f64, rows: &[[f64; 2]]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * w[i] * scale + rows[i][0] * rows[i][1];
    }
    s
}

#[test]
fn grad_into_overwrites_outputs_and_allocates_nothing_itself() {
    let x = [1.0, 2.0];
    let w = vec![3.0, -1.0];
    let rows = [[1.0, 2.0], [0.5, 4.0]];
    // Outputs start with garbage: they are overwritten, not accumulated into.
    let mut gx = [9.0, 9.0];
    let mut gw = [9.0, 9.0];
    let mut gs = 9.0;
    let mut grows = [[9.0, 9.0], [9.0, 9.0]];
    let v = weighted_grad_into(
        &x,
        w.clone(),
        2.0,
        &rows,
        &mut gx,
        &mut gw,
        &mut gs,
        &mut grows,
    );
    assert_eq!(v, (3.0 - 2.0) * 2.0 + 2.0 + 2.0);
    assert_eq!(gx, [6.0, -2.0]);
    assert_eq!(gw, [2.0, 4.0]);
    assert_eq!(gs, 1.0);
    assert_eq!(grows, [[2.0, 1.0], [4.0, 0.5]]);
    // f_grad returns the same, allocated.
    let (v2, gx2, gw2, gs2, grows2) = weighted_grad(&x, w, 2.0, &rows);
    assert_eq!((v2, gs2), (v, gs));
    assert_eq!(
        (gx2, gw2, grows2),
        (gx.to_vec(), gw.to_vec(), grows.to_vec())
    );
}

#[test]
fn grad_into_rejects_outputs_of_the_wrong_length() {
    let result = std::panic::catch_unwind(|| {
        let mut gx = [0.0; 3];
        let mut gw = [0.0; 2];
        let mut gs = 0.0;
        let mut grows = [[0.0; 2]; 2];
        weighted_grad_into(
            &[1.0, 2.0],
            vec![1.0, 1.0],
            1.0,
            &[[0.0; 2]; 2],
            &mut gx,
            &mut gw,
            &mut gs,
            &mut grows,
        )
    });
    let err = result.expect_err("a wrong length panics");
    let message = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.contains("wrong length for parameter `x`"),
        "{message}"
    );
}

#[grad]
fn nested_breaks(x: &[f64], limit: f64) -> f64 {
    // The inner loop's `break` flag is reset on every outer iteration; the
    // reverse sweep must see each iteration's own flag.
    let mut s = 0.0;
    for i in 0..x.len() {
        let mut j = 0;
        while j < x.len() {
            s += x[i] * x[j];
            if x[j] > limit {
                break;
            }
            j += 1;
        }
    }
    s
}

#[test]
fn break_flags_of_inner_loops_are_per_iteration() {
    let x = [0.5, 2.0, -1.0, 3.0];
    for limit in [1.0, 2.5, 10.0] {
        let (v, dx, dl) = nested_breaks_grad(&x, limit);
        check_flat(&|a| nested_breaks(a, limit), v, &dx, &x);
        assert_eq!(dl, 0.0);
    }
}

const K: usize = 3;

#[grad]
fn labelled(scores: &[[f64; K]], labels: &[usize], margin: f64) -> f64 {
    // Constant arrays (labels) index the data; a `const` bounds the loop.
    let mut loss = 0.0;
    for n in 0..labels.len() {
        let y = labels[n];
        for j in 0..K {
            if j != y {
                loss += (scores[n][j] - scores[n][y] + margin).max(0.0);
            }
        }
    }
    loss / labels.len() as f64
}

#[test]
fn integer_arrays_and_consts_are_constants() {
    let scores = [[1.0, 2.0, 0.5], [0.1, -0.3, 2.0]];
    let labels = [0, 2];
    let (v, ds, dm) = labelled_grad(&scores, &labels, 1.0);
    // Violations: n=0: j=1 (2 - 1 + 1 = 2), j=2 (0.5 - 1 + 1 = 0.5); n=1: none.
    assert_eq!(v, 1.25);
    assert_eq!(ds, vec![[-1.0, 0.5, 0.5], [0.0, 0.0, 0.0]]);
    assert_eq!(dm, 1.0);
}

#[grad]
fn f32_loop(x: &[f32], a: f32) -> f32 {
    let mut s = 0.0f32;
    for (i, v) in x.iter().enumerate() {
        if *v > a {
            s += v * a * (i as f32);
        } else {
            s -= (v * v).sqrt();
        }
    }
    s
}

#[test]
fn f32_functions_with_loops() {
    let x = [0.5f32, -1.5, 2.0];
    let (v, dx, da) = f32_loop_grad(&x, 0.25);
    // i = 0: 0.5 > 0.25 adds 0; i = 1: -1.5 subtracts 1.5; i = 2: adds 2 * 0.25 * 2
    assert_eq!(v, -1.5 + 1.0);
    assert_eq!(dx, vec![0.0, 1.0, 0.5]);
    assert_eq!(da, 0.5 * 0.0 + 2.0 * 2.0);
}

struct Poly {
    coef: [f64; 3],
    power: i32,
}

impl Poly {
    /// A method looping over an array field (a constant).
    #[grad]
    fn eval(&self, x: f64) -> f64 {
        let mut acc = 0.0;
        for i in 0..self.coef.len() {
            acc = acc * x + self.coef[i];
        }
        acc.powi(self.power)
    }
}

#[test]
fn methods_with_loops_over_fields() {
    let p = Poly {
        coef: [1.0, -2.0, 0.5],
        power: 2,
    };
    let x = 1.5;
    let (v, dx) = p.eval_grad(x);
    let q = x * x - 2.0 * x + 0.5;
    assert!((v - q * q).abs() < 1e-12);
    assert!((dx - 2.0 * q * (2.0 * x - 2.0)).abs() < 1e-12);
}

#[grad]
fn and_in_loop(a: f64, b: f64) -> f64 {
    let mut y = b;
    for _ in 0..2 {
        if a < 0.0 && b > 1.0 {
            y *= 2.0;
        }
    }
    y
}

#[grad]
fn or_then_and(a: f64, x: &[f64]) -> f64 {
    let mut y = 0.0;
    for j in 0..x.len() {
        if x[j] > 0.0 || a > 5.0 {
            y += a;
        }
    }
    if a > 0.0 && x[0] > 5.0 {
        y = 0.0;
    }
    y
}

#[grad]
fn flag_flipped_in_branch(x: f64) -> f64 {
    let mut on = x > 0.0;
    let mut y = x;
    for _ in 0..3 {
        if on {
            y *= x;
            on = false;
        } else {
            y += x;
            on = true;
        }
    }
    y
}

#[test]
fn short_circuit_conditions_replay_the_branch_taken() {
    // Found by the control-flow differential test (difftest-loops).
    assert_eq!(and_in_loop_grad(-2.0, 0.5), (0.5, 0.0, 1.0));
    let (v, da, dx) = or_then_and_grad(0.5, &[1.0, -1.0]);
    assert_eq!((v, da), (0.5, 1.0));
    assert_eq!(dx, vec![0.0, 0.0]);
    // A flag flipped inside the branch it decides.
    for x in [1.5, -0.7] {
        let (v, d) = flag_flipped_in_branch_grad(x);
        check(&|a| flag_flipped_in_branch(a[0]), &[v, d], &[x]);
    }
}

/// A sum into a variable that nothing reads after the loop.
#[allow(unused_assignments)] // the sum is dead after the loop: the point
#[grad]
fn sum_dead_after_loop(x: &[f64], c: f64) -> f64 {
    let mut y = c;
    let t = y.sin();
    for i in 0..x.len() {
        y += x[i] * c;
    }
    t
}

/// The same, the sum adding a constant.
#[allow(unused_assignments)] // the sum is dead after the loop: the point
#[grad]
fn constant_sum_dead_after_loop(c: f64) -> f64 {
    let mut y = c;
    let t = y.sin();
    for _ in 0..3 {
        let acc = 0.0f64;
        y += acc.tanh();
    }
    t
}

#[test]
fn sum_reduction_dead_after_the_loop() {
    // Found by the control-flow differential test at N = 5000 (gen_3300):
    // the fused loop's seed, the adjoint of a sum nothing reads after the
    // loop, was used but never declared (a compile error, "cannot find
    // value `__ad_v..`").
    let x = [0.5, -1.5, 2.0];
    let c: f64 = 0.7;
    let (v, dx, dc) = sum_dead_after_loop_grad(&x, c);
    assert_eq!((v, dc), (c.sin(), c.cos()));
    assert_eq!(dx, vec![0.0; 3]);
    assert_eq!(constant_sum_dead_after_loop_grad(c), (c.sin(), c.cos()));
}

/// A sum reduction nothing reads after its loop (`u` is read before it).
#[allow(unused_assignments)] // the sum is dead after the loop: the point
#[grad]
fn dead_reduction(a: f64, x: &[f64]) -> f64 {
    let mut u = a * a;
    let y = u * 2.0;
    for i in 0..x.len() {
        u += x[i];
    }
    y
}

/// The same, the variable copied as it is before the loop.
#[allow(unused_assignments)] // the sum is dead after the loop: the point
#[grad]
fn dead_reduction_after_copy(a: f64) -> f64 {
    let mut r = a;
    let z = r;
    for _ in 0..2 {
        r += 1.0;
    }
    z * a
}

#[test]
fn a_reduction_read_only_before_its_loop() {
    // Found by the control-flow differential test (difftest-loops): the
    // fused loop added an undefined seed to the adjoint of `u`, and the
    // generated code did not compile.
    let (v, da, dx) = dead_reduction_grad(1.5, &[0.3, -0.2]);
    assert_eq!((v, da, dx), (4.5, 6.0, vec![0.0, 0.0]));
    assert_eq!(dead_reduction_after_copy_grad(-0.7), (-0.7 * -0.7, -1.4));
    let x = [0.4, 1.1, -0.3];
    let (v, da, dx) = dead_reduction_grad(0.8, &x);
    let g = [vec![da], dx].concat();
    check_flat(
        &|p| dead_reduction(p[0], &p[1..]),
        v,
        &g,
        &[&[0.8][..], &x].concat(),
    );
}
