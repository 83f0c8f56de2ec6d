//! A two-layer network trained by plain gradient descent on the gradients
//! `#[grad]` writes: 2 inputs -> 16 ReLU hidden units -> softmax over 3
//! classes, on CS231n's toy dataset of three interleaved spiral arms (built
//! here deterministically: trigonometry plus a tiny LCG for the noise and the
//! initial weights, no `rand`). The loss is the mean cross-entropy over the
//! whole dataset plus an L2 penalty.
//!
//! The weights live in one struct, `Mlp`, that derives `Differentiable`;
//! `Mlp::loss` is marked `#[grad(wrt(self))]`, so `net.loss_grad(..)` returns
//! the loss and its gradient as another `Mlp`, and one step of gradient
//! descent is `net.axpy(-lr, &grad)`.
//!
//! Run with `cargo run --example two_layer_net`.

#[path = "common/models.rs"]
#[allow(dead_code)] // the linear classifiers are not used here
mod models;

use autodiff_core::Differentiable;
use models::{H, K, Mlp};

/// Points per spiral arm.
const PER_CLASS: usize = 20;
/// Gradient-descent steps, learning rate and L2 strength.
const STEPS: usize = 600;
const LEARNING_RATE: f64 = 1.0;
const REG: f64 = 1e-3;

/// A 64-bit linear congruential generator (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    /// A uniform number in `[-1, 1)`.
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// `K` spiral arms of `PER_CLASS` points each, in the unit disc.
fn spirals(rng: &mut Lcg) -> (Vec<[f64; 2]>, Vec<usize>) {
    let mut data = Vec::new();
    let mut labels = Vec::new();
    for class in 0..K {
        for i in 0..PER_CLASS {
            let r = (i as f64 + 1.0) / PER_CLASS as f64;
            let t = class as f64 * 4.0 + r * 4.0 + 0.2 * rng.next();
            data.push([r * t.sin(), r * t.cos()]);
            labels.push(class);
        }
    }
    (data, labels)
}

/// The class with the highest score for `x`.
fn predict(net: &Mlp, x: [f64; 2]) -> usize {
    let h: [f64; H] =
        std::array::from_fn(|k| (net.w1[k][0] * x[0] + net.w1[k][1] * x[1] + net.b1[k]).max(0.0));
    let s: [f64; K] = std::array::from_fn(|c| {
        net.b2[c] + net.w2[c].iter().zip(&h).map(|(w, h)| w * h).sum::<f64>()
    });
    (0..K).max_by(|&a, &b| s[a].total_cmp(&s[b])).unwrap()
}

fn main() {
    let mut rng = Lcg(2024);
    let (data, labels) = spirals(&mut rng);

    let mut net = Mlp {
        w1: [[0.0; 2]; H],
        b1: [0.1; H],
        w2: [[0.0; H]; K],
        b2: [0.0; K],
    };
    net.w1
        .as_flattened_mut()
        .iter_mut()
        .for_each(|w| *w = rng.next());
    net.w2
        .as_flattened_mut()
        .iter_mut()
        .for_each(|w| *w = 0.3 * rng.next());

    let accuracy = |net: &Mlp| {
        let right = data
            .iter()
            .zip(&labels)
            .filter(|&(&x, &y)| predict(net, x) == y)
            .count();
        right as f64 / data.len() as f64
    };

    println!(
        "{} points, {K} spiral arms; network 2 -> {H} ReLU -> {K} softmax ({} weights)",
        data.len(),
        net.slot_count()
    );
    let initial = net.loss(&data, &labels, REG);
    let mut loss = initial;
    for it in 0..=STEPS {
        let (l, grad) = net.loss_grad(&data, &labels, REG);
        loss = l;
        if it % 50 == 0 {
            println!(
                "step {it:4}: loss {loss:.4}, |gradient| {:.2e}, training accuracy {:5.1}%",
                grad.norm(),
                100.0 * accuracy(&net)
            );
        }
        if it == STEPS {
            break;
        }
        net.axpy(-LEARNING_RATE, &grad);
    }

    let acc = accuracy(&net);
    assert!(
        loss < 0.5 * initial,
        "loss fell only from {initial} to {loss}"
    );
    assert!(acc >= 0.8, "training accuracy {acc}");
    println!(
        "loss {initial:.4} -> {loss:.4}, training accuracy {:.1}%",
        100.0 * acc
    );
    println!("ok");
}
