//! The models of the examples (`examples/common/models.rs`: the SVM and
//! softmax losses of a linear classifier, the two-layer network's loss, with
//! array parameters and as the `Mlp` struct)
//! against two oracles: central finite differences of the original
//! functions at several points, and the gradients derived by hand in CS231n.

// The models index several arrays with one index, as numeric code does.
#![allow(clippy::needless_range_loop)]

use crate::common;

#[path = "../examples/common/models.rs"]
mod models;

use autodiff_core::Differentiable;
use common::check;
use models::{
    C, D, H, K, Mlp, net_loss, net_loss_grad, softmax_loss, softmax_loss_grad, svm_loss,
    svm_loss_grad,
};

/// A small deterministic generator of numbers in `[-1, 1)`.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }

    fn fill<const N: usize>(&mut self, scale: f64) -> [f64; N] {
        std::array::from_fn(|_| scale * self.next())
    }
}

type Weights = [[f64; D]; C];

/// `(W, b, x)` as one flat vector of coordinates, and back.
fn flatten(w: &Weights, b: &[f64; C], x: &[f64; D]) -> Vec<f64> {
    let mut v = w.as_flattened().to_vec();
    v.extend(b);
    v.extend(x);
    v
}

fn unflatten(a: &[f64]) -> (Weights, [f64; C], [f64; D]) {
    let w = std::array::from_fn(|j| std::array::from_fn(|i| a[j * D + i]));
    let b = std::array::from_fn(|j| a[C * D + j]);
    let x = std::array::from_fn(|i| a[C * D + C + i]);
    (w, b, x)
}

fn scores(w: &Weights, b: &[f64; C], x: &[f64; D]) -> [f64; C] {
    std::array::from_fn(|j| b[j] + (0..D).map(|i| w[j][i] * x[i]).sum::<f64>())
}

/// A few random linear classifiers with an example and every label, whose
/// SVM margins all stay clear of the hinge's kink.
fn classifier_points() -> Vec<(Weights, [f64; C], [f64; D], usize)> {
    let mut rng = Lcg(7);
    let mut points = Vec::new();
    for _ in 0..4 {
        let w: Weights = std::array::from_fn(|_| rng.fill(1.0));
        let b = rng.fill(1.0);
        let x = rng.fill(2.0);
        for label in 0..C {
            let s = scores(&w, &b, &x);
            for j in 0..C {
                assert!((s[j] - s[label] + 1.0).abs() > 1e-3, "a point on the kink");
            }
            points.push((w, b, x, label));
        }
    }
    points
}

/// Checks `grad` = `(value, dW, db, dx)` against finite differences of `f`.
#[track_caller]
fn check_classifier(
    f: fn(Weights, [f64; C], [f64; D], usize) -> f64,
    grad: (f64, Weights, [f64; C], [f64; D]),
    point: (Weights, [f64; C], [f64; D], usize),
) {
    let (w, b, x, label) = point;
    let (value, dw, db, dx) = grad;
    let mut all = vec![value];
    all.extend(flatten(&dw, &db, &dx));
    let flat = |a: &[f64]| {
        let (w, b, x) = unflatten(a);
        f(w, b, x, label)
    };
    check(&flat, &all, &flatten(&w, &b, &x));
}

/// The hand-derived SVM gradient: `dW[j] = [margin_j > 0] x` for `j != y`,
/// `dW[y] = -(number of violators) x`, `db` likewise, and
/// `dx = sum over violators j of (W[j] - W[y])`.
fn svm_analytic(
    w: &Weights,
    b: &[f64; C],
    x: &[f64; D],
    y: usize,
) -> (Weights, [f64; C], [f64; D]) {
    let s = scores(w, b, x);
    let mut db = [0.0; C];
    for j in (0..C).filter(|&j| j != y) {
        if s[j] - s[y] + 1.0 > 0.0 {
            db[j] = 1.0;
            db[y] -= 1.0;
        }
    }
    analytic_from_db(w, x, db)
}

/// The hand-derived softmax gradient: `db[j] = p_j - [j == y]`,
/// `dW[j] = db[j] x`, `dx = sum_j db[j] W[j]`.
fn softmax_analytic(
    w: &Weights,
    b: &[f64; C],
    x: &[f64; D],
    y: usize,
) -> (Weights, [f64; C], [f64; D]) {
    let e = scores(w, b, x).map(f64::exp);
    let z: f64 = e.iter().sum();
    let db = std::array::from_fn(|j| e[j] / z - if j == y { 1.0 } else { 0.0 });
    analytic_from_db(w, x, db)
}

/// For a linear layer, `dW = db xᵀ` and `dx = Wᵀ db`.
fn analytic_from_db(w: &Weights, x: &[f64; D], db: [f64; C]) -> (Weights, [f64; C], [f64; D]) {
    let dw = std::array::from_fn(|j| x.map(|xi| db[j] * xi));
    let dx = std::array::from_fn(|i| (0..C).map(|j| db[j] * w[j][i]).sum());
    (dw, db, dx)
}

#[track_caller]
fn assert_all_close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-12, "{what}: {got:?} vs {want:?}");
    }
}

#[test]
fn svm_gradient_matches_finite_differences() {
    for (w, b, x, y) in classifier_points() {
        check_classifier(svm_loss, svm_loss_grad(w, b, x, y), (w, b, x, y));
    }
}

#[test]
fn softmax_gradient_matches_finite_differences() {
    for (w, b, x, y) in classifier_points() {
        check_classifier(softmax_loss, softmax_loss_grad(w, b, x, y), (w, b, x, y));
    }
}

#[test]
fn svm_gradient_matches_the_analytic_formula() {
    let mut violators_seen = [false; C];
    for (w, b, x, y) in classifier_points() {
        let (loss, dw, db, dx) = svm_loss_grad(w, b, x, y);
        let s = scores(&w, &b, &x);
        let hinge: f64 = (0..C)
            .filter(|&j| j != y)
            .map(|j| (s[j] - s[y] + 1.0).max(0.0))
            .sum();
        assert!((loss - hinge).abs() < 1e-12);
        let (want_dw, want_db, want_dx) = svm_analytic(&w, &b, &x, y);
        assert_all_close("dW", dw.as_flattened(), want_dw.as_flattened());
        assert_all_close("db", &db, &want_db);
        assert_all_close("dx", &dx, &want_dx);
        violators_seen[(-want_db[y]) as usize] = true;
    }
    // The points cover 0, 1 and 2 violating classes.
    assert_eq!(violators_seen, [true; C], "{violators_seen:?}");
}

#[test]
fn softmax_gradient_matches_the_analytic_formula() {
    for (w, b, x, y) in classifier_points() {
        let (loss, dw, db, dx) = softmax_loss_grad(w, b, x, y);
        let e = scores(&w, &b, &x).map(f64::exp);
        assert!((loss + (e[y] / e.iter().sum::<f64>()).ln()).abs() < 1e-12);
        let (want_dw, want_db, want_dx) = softmax_analytic(&w, &b, &x, y);
        assert_all_close("dW", dw.as_flattened(), want_dw.as_flattened());
        assert_all_close("db", &db, &want_db);
        assert_all_close("dx", &dx, &want_dx);
    }
}

#[test]
fn softmax_is_stable_for_huge_scores() {
    // exp(1000) overflows; subtracting the maximum score keeps it finite.
    let w = [[0.0; D]; C];
    let b = [1000.0, 999.0, -1000.0];
    let x = [0.0; D];
    let (loss, _, db, _) = softmax_loss_grad(w, b, x, 1);
    let want = 1.0 + (1.0 + (-1.0f64).exp()).ln();
    assert!((loss - want).abs() < 1e-12, "{loss} vs {want}");
    let p0 = 1.0 / (1.0 + (-1.0f64).exp());
    // p = (p0, 1 - p0, 0), so db = p - onehot(1) = (p0, -p0, 0).
    assert_all_close("db", &db, &[p0, -p0, 0.0]);
}

#[test]
fn svm_margin_exactly_zero_splits_the_gradient() {
    // Class 1's margin is exactly 0: max(0, 0) is a tie, and by the crate's
    // convention half the gradient goes to the margin.
    let w = [[0.0; D]; C];
    let b = [0.0, -1.0, 0.0];
    let x = [1.0, 2.0, 3.0, 4.0];
    let (loss, dw, db, _) = svm_loss_grad(w, b, x, 0);
    assert_eq!(loss, 1.0);
    assert_eq!(db, [-1.5, 0.5, 1.0]);
    assert_eq!(dw, [x.map(|v| -1.5 * v), x.map(|v| 0.5 * v), x]);
}

/// A small dataset and network for the two-layer model.
#[allow(clippy::type_complexity)]
fn net_point(
    seed: u64,
) -> (
    [[f64; 2]; H],
    [f64; H],
    [[f64; H]; K],
    [f64; K],
    Vec<[f64; 2]>,
    Vec<usize>,
) {
    let mut rng = Lcg(seed);
    let w1 = std::array::from_fn(|_| rng.fill(1.0));
    let b1 = rng.fill(0.5);
    let w2 = std::array::from_fn(|_| rng.fill(0.5));
    let b2 = rng.fill(0.5);
    let data: Vec<[f64; 2]> = (0..12).map(|_| rng.fill(1.0)).collect();
    let labels: Vec<usize> = (0..12).map(|n| n % K).collect();
    // Keep every hidden pre-activation clear of ReLU's kink.
    for x in &data {
        for k in 0..H {
            let a: f64 = w1[k][0] * x[0] + w1[k][1] * x[1] + b1[k];
            assert!(a.abs() > 1e-4, "a point on the kink");
        }
    }
    (w1, b1, w2, b2, data, labels)
}

#[test]
fn two_layer_net_gradient_matches_finite_differences() {
    for seed in [1, 2, 3] {
        let (w1, b1, w2, b2, data, labels) = net_point(seed);
        let reg = 0.01;
        let (value, dw1, db1, dw2, db2) = net_loss_grad(w1, b1, w2, b2, &data, &labels, reg);
        let mut all = vec![value];
        all.extend(dw1.as_flattened());
        all.extend(db1);
        all.extend(dw2.as_flattened());
        all.extend(db2);
        let mut point = w1.as_flattened().to_vec();
        point.extend(b1);
        point.extend(w2.as_flattened());
        point.extend(b2);
        let flat = |a: &[f64]| {
            let (a1, rest) = a.split_at(2 * H);
            let (c1, rest) = rest.split_at(H);
            let (a2, c2) = rest.split_at(H * K);
            net_loss(
                std::array::from_fn(|k| [a1[2 * k], a1[2 * k + 1]]),
                c1.try_into().unwrap(),
                std::array::from_fn(|c| a2[c * H..(c + 1) * H].try_into().unwrap()),
                c2.try_into().unwrap(),
                &data,
                &labels,
                reg,
            )
        };
        check(&flat, &all, &point);
    }
}

/// The same network as one `Mlp` struct (`#[grad(wrt(self))]`): its gradient,
/// an `Mlp`, against finite differences over its slots.
#[test]
fn mlp_struct_gradient_matches_finite_differences() {
    for seed in [1, 2, 3] {
        let (w1, b1, w2, b2, data, labels) = net_point(seed);
        let net = Mlp { w1, b1, w2, b2 };
        let reg = 0.01;
        let (value, grad) = net.loss_grad(&data, &labels, reg);
        assert_eq!(value, net_loss(w1, b1, w2, b2, &data, &labels, reg));
        let mut all = vec![value];
        all.extend(grad.slots());
        let with = |a: &[f64]| {
            let mut m = net.clone();
            let mut i = 0;
            m.visit_mut(&mut |s| {
                *s = a[i];
                i += 1;
            });
            m.loss(&data, &labels, reg)
        };
        check(&with, &all, &net.slots());
    }
}

#[test]
fn two_layer_net_output_bias_gradient_is_mean_p_minus_onehot() {
    // Without regularization, d loss / d b2 = mean over the data of p - y.
    let (w1, b1, w2, b2, data, labels) = net_point(4);
    let (_, _, _, _, db2) = net_loss_grad(w1, b1, w2, b2, &data, &labels, 0.0);
    let mut want = [0.0; K];
    for (x, &y) in data.iter().zip(&labels) {
        let h: [f64; H] =
            std::array::from_fn(|k| (w1[k][0] * x[0] + w1[k][1] * x[1] + b1[k]).max(0.0));
        let e: [f64; K] =
            std::array::from_fn(|c| (b2[c] + (0..H).map(|k| w2[c][k] * h[k]).sum::<f64>()).exp());
        let z: f64 = e.iter().sum();
        for c in 0..K {
            let onehot = if c == y { 1.0 } else { 0.0 };
            want[c] += (e[c] / z - onehot) / data.len() as f64;
        }
    }
    for c in 0..K {
        assert!((db2[c] - want[c]).abs() < 1e-12, "{db2:?} vs {want:?}");
    }
}
