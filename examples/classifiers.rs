//! The motivating losses of CS231n's linear classifiers, for one example with
//! scores `s = W x + b`: the multiclass SVM hinge loss and the softmax
//! cross-entropy. `#[grad]` writes their gradients; this example prints the
//! loss, `dW` and `db`, and checks them against the formulas derived by hand:
//!
//! - SVM: `dW[j] = x` for every violating class `j` (margin `s_j - s_y + 1 > 0`),
//!   `dW[y] = -(number of violators) x`; `db` likewise with 1 for `x`.
//! - softmax: `dW[j] = (p_j - [j == y]) x`, `db[j] = p_j - [j == y]`.
//!
//! Run with `cargo run --example classifiers`.

#[path = "common/models.rs"]
#[allow(dead_code)] // the two-layer network is not used here
mod models;

use models::{C, D, softmax_loss, softmax_loss_grad, svm_loss, svm_loss_grad};

const W: [[f64; D]; C] = [
    [0.2, -0.5, 0.1, 2.0],
    [1.5, 1.3, 2.1, 0.0],
    [0.0, 0.25, 0.2, -0.3],
];
const B: [f64; C] = [1.1, 3.2, -1.2];
const X: [f64; D] = [0.5, -1.0, 2.0, 0.3];

/// The scores `W x + b`, by hand.
fn scores() -> [f64; C] {
    let mut s = B;
    for (sj, row) in s.iter_mut().zip(W.iter()) {
        *sj += row.iter().zip(X.iter()).map(|(w, x)| w * x).sum::<f64>();
    }
    s
}

/// The hand-derived SVM gradient `(dW, db)` for `label`.
fn svm_analytic(label: usize) -> ([[f64; D]; C], [f64; C]) {
    let s = scores();
    let mut dw = [[0.0; D]; C];
    let mut db = [0.0; C];
    for j in (0..C).filter(|&j| j != label) {
        if s[j] - s[label] + 1.0 > 0.0 {
            db[j] += 1.0;
            db[label] -= 1.0;
        }
    }
    for j in 0..C {
        for i in 0..D {
            dw[j][i] = db[j] * X[i];
        }
    }
    (dw, db)
}

/// The hand-derived softmax gradient `(dW, db)` for `label`.
fn softmax_analytic(label: usize) -> ([[f64; D]; C], [f64; C]) {
    let s = scores();
    let e = s.map(f64::exp);
    let z: f64 = e.iter().sum();
    let db: [f64; C] = std::array::from_fn(|j| e[j] / z - if j == label { 1.0 } else { 0.0 });
    let dw = std::array::from_fn(|j| X.map(|x| db[j] * x));
    (dw, db)
}

fn assert_close(what: &str, got: &[f64], want: &[f64]) {
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-12, "{what}: {got:?} vs {want:?}");
    }
}

fn print_grads(dw: &[[f64; D]; C], db: &[f64; C]) {
    for (j, row) in dw.iter().enumerate() {
        let row: Vec<String> = row.iter().map(|v| format!("{v:8.4}")).collect();
        println!(
            "    dW[{j}] = [{}]   db[{j}] = {:8.4}",
            row.join(", "),
            db[j]
        );
    }
}

fn main() {
    let s = scores();
    println!("W x + b = {s:?}");

    for label in 0..C {
        let (loss, dw, db, _dx) = svm_loss_grad(W, B, X, label);
        assert!((loss - svm_loss(W, B, X, label)).abs() < 1e-12);
        let violators = (0..C)
            .filter(|&j| j != label && s[j] - s[label] + 1.0 > 0.0)
            .count();
        println!("SVM loss, label {label}: {loss:.4} (violating classes: {violators})");
        print_grads(&dw, &db);
        let (want_dw, want_db) = svm_analytic(label);
        assert_close("SVM dW", dw.as_flattened(), want_dw.as_flattened());
        assert_close("SVM db", &db, &want_db);
    }

    for label in 0..C {
        let (loss, dw, db, _dx) = softmax_loss_grad(W, B, X, label);
        assert!((loss - softmax_loss(W, B, X, label)).abs() < 1e-12);
        let e = s.map(f64::exp);
        let p = e[label] / e.iter().sum::<f64>();
        assert!((loss + p.ln()).abs() < 1e-12, "loss is -ln p_y");
        println!("softmax loss, label {label}: {loss:.4} (p_y = {p:.4})");
        print_grads(&dw, &db);
        let (want_dw, want_db) = softmax_analytic(label);
        assert_close("softmax dW", dw.as_flattened(), want_dw.as_flattened());
        assert_close("softmax db", &db, &want_db);
    }

    println!("ok");
}
