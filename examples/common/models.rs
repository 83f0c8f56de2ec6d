//! The models shared by `examples/classifiers.rs`, `examples/two_layer_net.rs`
//! and `tests/examples_models.rs`: the CS231n linear-classifier losses (SVM
//! hinge and softmax cross-entropy) for one example, and the full-batch
//! softmax loss of a two-layer ReLU network, with its weights as four array
//! parameters (`net_loss`) and as one struct (`Mlp::loss`). Each is a
//! self-contained `#[grad]` function; the macro adds `<name>_grad` beside it.
//!
//! Included with `#[path = "common/models.rs"] mod models;`, so every user
//! sees the same code; a user that needs only some of the models allows
//! `dead_code` on the `mod` item.

// Model code indexes several arrays with one index, as numeric code does.
#![allow(clippy::needless_range_loop)]

use autodiff_core::{Differentiable, grad};

/// Input dimension of the linear classifiers.
pub const D: usize = 4;
/// Number of classes of the linear classifiers.
pub const C: usize = 3;

/// Multiclass SVM (hinge) loss of one example:
/// `sum_{j != y} max(0, s_j - s_y + 1)` with scores `s = W x + b`.
///
/// `svm_loss_grad` returns `(loss, dW, db, dx)`; `label` is a constant.
#[grad]
pub fn svm_loss(w: [[f64; D]; C], b: [f64; C], x: [f64; D], label: usize) -> f64 {
    let mut s = [0.0; C];
    for j in 0..C {
        s[j] = b[j];
        for i in 0..D {
            s[j] += w[j][i] * x[i];
        }
    }
    let mut loss = 0.0;
    for j in 0..C {
        if j != label {
            loss += (s[j] - s[label] + 1.0).max(0.0);
        }
    }
    loss
}

/// Softmax cross-entropy of one example, `-log(softmax(s)_y)` with scores
/// `s = W x + b`, computed stably as `-(s_y - m) + ln(sum_j exp(s_j - m))`
/// where `m = max_j s_j`.
///
/// `softmax_loss_grad` returns `(loss, dW, db, dx)`; `label` is a constant.
#[grad]
pub fn softmax_loss(w: [[f64; D]; C], b: [f64; C], x: [f64; D], label: usize) -> f64 {
    let mut s = [0.0; C];
    for j in 0..C {
        s[j] = b[j];
        for i in 0..D {
            s[j] += w[j][i] * x[i];
        }
    }
    let mut m = s[0];
    for j in 1..C {
        m = m.max(s[j]);
    }
    let mut total = 0.0;
    for j in 0..C {
        total += (s[j] - m).exp();
    }
    -(s[label] - m) + total.ln()
}

/// Hidden units of the two-layer network.
pub const H: usize = 16;
/// Classes of the two-layer network.
pub const K: usize = 3;

/// Mean softmax cross-entropy of a two-layer network
/// `scores = W2 relu(W1 x + b1) + b2` over the whole dataset, plus the L2
/// penalty `reg/2 (|W1|² + |W2|²)`.
///
/// `net_loss_grad` returns `(loss, dW1, db1, dW2, db2)`: `wrt` leaves the
/// data and the regularization strength `reg` undifferentiated (`labels`, of
/// integers, is a constant anyway).
#[grad(wrt(w1, b1, w2, b2))]
pub fn net_loss(
    w1: [[f64; 2]; H],
    b1: [f64; H],
    w2: [[f64; H]; K],
    b2: [f64; K],
    data: &[[f64; 2]],
    labels: &[usize],
    reg: f64,
) -> f64 {
    let mut h = [0.0; H];
    let mut s = [0.0; K];
    let mut total = 0.0;
    for n in 0..data.len() {
        for k in 0..H {
            let a = w1[k][0] * data[n][0] + w1[k][1] * data[n][1] + b1[k];
            h[k] = a.max(0.0);
        }
        for c in 0..K {
            s[c] = b2[c];
            for k in 0..H {
                s[c] += w2[c][k] * h[k];
            }
        }
        let mut m = s[0];
        for c in 1..K {
            m = m.max(s[c]);
        }
        let mut z = 0.0;
        for c in 0..K {
            z += (s[c] - m).exp();
        }
        total += -(s[labels[n]] - m) + z.ln();
    }
    let mut penalty = 0.0;
    for k in 0..H {
        penalty += w1[k][0] * w1[k][0] + w1[k][1] * w1[k][1];
        for c in 0..K {
            penalty += w2[c][k] * w2[c][k];
        }
    }
    total / data.len() as f64 + 0.5 * reg * penalty
}

/// The two-layer network's parameters as one value: `#[derive(Differentiable)]`
/// gives it what a training loop needs (`axpy` for a gradient step, `norm`,
/// `slots`), and `#[grad(wrt(self))]` on [`Mlp::loss`] returns its gradient
/// as another `Mlp`.
#[derive(Differentiable, Clone, Debug, PartialEq)]
pub struct Mlp {
    pub w1: [[f64; 2]; H],
    pub b1: [f64; H],
    pub w2: [[f64; H]; K],
    pub b2: [f64; K],
}

impl Mlp {
    /// [`net_loss`] of this network: mean softmax cross-entropy over the
    /// data plus `reg/2 (|W1|² + |W2|²)`.
    ///
    /// `loss_grad` returns `(loss, gradient)`, the gradient an `Mlp`.
    #[grad(wrt(self))]
    pub fn loss(&self, data: &[[f64; 2]], labels: &[usize], reg: f64) -> f64 {
        let mut h = [0.0; H];
        let mut s = [0.0; K];
        let mut total = 0.0;
        for n in 0..data.len() {
            for k in 0..H {
                let a = self.w1[k][0] * data[n][0] + self.w1[k][1] * data[n][1] + self.b1[k];
                h[k] = a.max(0.0);
            }
            for c in 0..K {
                s[c] = self.b2[c];
                for k in 0..H {
                    s[c] += self.w2[c][k] * h[k];
                }
            }
            let mut m = s[0];
            for c in 1..K {
                m = m.max(s[c]);
            }
            let mut z = 0.0;
            for c in 0..K {
                z += (s[c] - m).exp();
            }
            total += -(s[labels[n]] - m) + z.ln();
        }
        let mut penalty = 0.0;
        for k in 0..H {
            penalty += self.w1[k][0] * self.w1[k][0] + self.w1[k][1] * self.w1[k][1];
            for c in 0..K {
                penalty += self.w2[c][k] * self.w2[c][k];
            }
        }
        total / data.len() as f64 + 0.5 * reg * penalty
    }
}
