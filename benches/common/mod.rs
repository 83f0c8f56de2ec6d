//! The functions both benchmark harnesses time (`grad.rs`, criterion, and
//! `steady.rs`, interleaved rounds): each as a `#[grad]` function, as the
//! gradient an expert writes by hand (one pass where the math allows,
//! carries in registers, into the caller's buffer), and over `num-dual`'s
//! dual numbers; their data; and the agreement check every harness runs
//! before it times anything (a benchmark of a wrong gradient is worthless).

// Numeric code indexes several arrays with one counter.
#![allow(clippy::needless_range_loop, dead_code)]

use autodiff_core::grad;
use num_dual::{Dual64, DualNum};

// ---------------------------------------------------------------------------
// The sigmoid neuron of the lecture: 1 / (1 + exp(-(w0 x0 + w1 x1 + w2)))
// ---------------------------------------------------------------------------

#[grad]
pub fn neuron(w0: f64, w1: f64, w2: f64, x0: f64, x1: f64) -> f64 {
    let dot = w0 * x0 + w1 * x1 + w2;
    1.0 / (1.0 + (-dot).exp())
}

/// By hand: `σ' = σ (1 - σ)`.
pub fn neuron_hand(w0: f64, w1: f64, w2: f64, x0: f64, x1: f64) -> (f64, [f64; 5]) {
    let s = 1.0 / (1.0 + (-(w0 * x0 + w1 * x1 + w2)).exp());
    let ds = s * (1.0 - s);
    (s, [ds * x0, ds * x1, ds, ds * w0, ds * w1])
}

pub fn neuron_dual(v: &[Dual64]) -> Dual64 {
    let dot = v[0] * v[3] + v[1] * v[4] + v[2];
    ((-dot).exp() + 1.0).recip()
}

// ---------------------------------------------------------------------------
// Extended Rosenbrock: Σ_{i < N/2} 100 (x_{2i}² - x_{2i+1})² + (x_{2i} - 1)²
// ---------------------------------------------------------------------------

#[grad]
pub fn rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() / 2 {
        let a = x[2 * i];
        let b = x[2 * i + 1];
        let t = a * a - b;
        let u = a - 1.0;
        s += 100.0 * t * t + u * u;
    }
    s
}

/// One pass over pairs, into the caller's buffer.
pub fn rosenbrock_hand(x: &[f64], g: &mut [f64]) -> f64 {
    assert_eq!(x.len(), g.len());
    let mut s = 0.0;
    for (xc, gc) in x.chunks_exact(2).zip(g.chunks_exact_mut(2)) {
        let (a, b) = (xc[0], xc[1]);
        let t = a * a - b;
        let u = a - 1.0;
        s += 100.0 * t * t + u * u;
        gc[0] = 400.0 * a * t + 2.0 * u;
        gc[1] = -200.0 * t;
    }
    if x.len() % 2 == 1 {
        g[x.len() - 1] = 0.0;
    }
    s
}

pub fn rosenbrock_dual(x: &[Dual64]) -> Dual64 {
    let mut s = Dual64::from_re(0.0);
    for c in x.chunks_exact(2) {
        let t = c[0] * c[0] - c[1];
        let u = c[0] - 1.0;
        s += t * t * 100.0 + u * u;
    }
    s
}

// ---------------------------------------------------------------------------
// Two-layer network: tanh hidden layer, softmax cross-entropy, mean over points
// ---------------------------------------------------------------------------

pub const H: usize = 16;
pub const K: usize = 3;
pub const POINTS: usize = 64;
pub const WEIGHTS: usize = 2 * H + H + K * H + K;

#[grad(wrt(w1, b1, w2, b2))]
pub fn net_loss(
    x: &[[f64; 2]],
    label: &[usize],
    w1: [[f64; 2]; H],
    b1: [f64; H],
    w2: [[f64; H]; K],
    b2: [f64; K],
) -> f64 {
    let mut h = [0.0; H];
    let mut z = [0.0; K];
    let mut loss = 0.0;
    for p in 0..x.len() {
        for j in 0..H {
            h[j] = (w1[j][0] * x[p][0] + w1[j][1] * x[p][1] + b1[j]).tanh();
        }
        for k in 0..K {
            let mut s = b2[k];
            for j in 0..H {
                s += w2[k][j] * h[j];
            }
            z[k] = s;
        }
        let mut m = z[0];
        for k in 1..K {
            m = m.max(z[k]);
        }
        let mut total = 0.0;
        for k in 0..K {
            total += (z[k] - m).exp();
        }
        loss += total.ln() - (z[label[p]] - m);
    }
    loss / x.len() as f64
}

/// The network's weights.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Net {
    pub w1: [[f64; 2]; H],
    pub b1: [f64; H],
    pub w2: [[f64; H]; K],
    pub b2: [f64; K],
}

impl Net {
    pub const ZERO: Net = Net {
        w1: [[0.0; 2]; H],
        b1: [0.0; H],
        w2: [[0.0; H]; K],
        b2: [0.0; K],
    };

    /// The weights in one list: w1, b1, w2, b2, row by row.
    pub fn flat(&self) -> Vec<f64> {
        let mut v = Vec::with_capacity(WEIGHTS);
        v.extend(self.w1.iter().flatten());
        v.extend(self.b1);
        v.extend(self.w2.iter().flatten());
        v.extend(self.b2);
        v
    }
}

/// Backpropagation as an expert writes it: per point, the forward pass into
/// local arrays, then straight back, accumulating into the caller's buffer.
pub fn net_loss_hand(x: &[[f64; 2]], label: &[usize], net: &Net, g: &mut Net) -> f64 {
    *g = Net::ZERO;
    let scale = 1.0 / x.len() as f64;
    let mut loss = 0.0;
    for (&[x0, x1], &y) in x.iter().zip(label) {
        let mut h = [0.0; H];
        for j in 0..H {
            h[j] = (net.w1[j][0] * x0 + net.w1[j][1] * x1 + net.b1[j]).tanh();
        }
        let mut z = net.b2;
        for k in 0..K {
            for j in 0..H {
                z[k] += net.w2[k][j] * h[j];
            }
        }
        let m = z.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
        let mut e = [0.0; K];
        let mut total = 0.0;
        for k in 0..K {
            e[k] = (z[k] - m).exp();
            total += e[k];
        }
        loss += total.ln() - (z[y] - m);
        // Backward: dz = softmax - onehot, then through w2, tanh, w1.
        let mut dh = [0.0; H];
        for k in 0..K {
            let dz = (e[k] / total - if k == y { 1.0 } else { 0.0 }) * scale;
            g.b2[k] += dz;
            for j in 0..H {
                g.w2[k][j] += dz * h[j];
                dh[j] += dz * net.w2[k][j];
            }
        }
        for j in 0..H {
            let da = dh[j] * (1.0 - h[j] * h[j]);
            g.b1[j] += da;
            g.w1[j][0] += da * x0;
            g.w1[j][1] += da * x1;
        }
    }
    loss * scale
}

/// The network's loss over dual numbers, the weights flat as in `Net::flat`.
pub fn net_loss_dual(x: &[[f64; 2]], label: &[usize], theta: &[Dual64]) -> Dual64 {
    let (w1, rest) = theta.split_at(2 * H);
    let (b1, rest) = rest.split_at(H);
    let (w2, b2) = rest.split_at(K * H);
    let mut loss = Dual64::from_re(0.0);
    for (&[x0, x1], &y) in x.iter().zip(label) {
        let mut h = [Dual64::from_re(0.0); H];
        for j in 0..H {
            h[j] = (w1[2 * j] * x0 + w1[2 * j + 1] * x1 + b1[j]).tanh();
        }
        let mut z = [Dual64::from_re(0.0); K];
        for k in 0..K {
            z[k] = b2[k];
            for j in 0..H {
                z[k] += w2[k * H + j] * h[j];
            }
        }
        let mut m = z[0];
        for &v in &z[1..] {
            if v.re > m.re {
                m = v;
            }
        }
        let mut total = Dual64::from_re(0.0);
        for k in 0..K {
            total += (z[k] - m).exp();
        }
        loss += total.ln() - (z[y] - m);
    }
    loss / x.len() as f64
}

// ---------------------------------------------------------------------------
// Softmax cross-entropy over a batch of logits (the gradient is p - onehot)
// ---------------------------------------------------------------------------

pub const CLASSES: usize = 10;
pub const BATCH: usize = 32;

#[grad(wrt(z))]
pub fn softmax_ce(z: &[[f64; CLASSES]], label: &[usize]) -> f64 {
    let mut loss = 0.0;
    for p in 0..z.len() {
        let mut m = z[p][0];
        for k in 1..CLASSES {
            m = m.max(z[p][k]);
        }
        let mut total = 0.0;
        for k in 0..CLASSES {
            total += (z[p][k] - m).exp();
        }
        loss += total.ln() - (z[p][label[p]] - m);
    }
    loss / z.len() as f64
}

/// One pass per row: the exponentials kept for the gradient `(p - onehot)/n`.
pub fn softmax_ce_hand(z: &[[f64; CLASSES]], label: &[usize], g: &mut [[f64; CLASSES]]) -> f64 {
    assert_eq!(z.len(), g.len());
    let scale = 1.0 / z.len() as f64;
    let mut loss = 0.0;
    for ((row, &y), grow) in z.iter().zip(label).zip(g.iter_mut()) {
        let m = row.iter().fold(row[0], |m, &v| m.max(v));
        let mut total = 0.0;
        for k in 0..CLASSES {
            grow[k] = (row[k] - m).exp();
            total += grow[k];
        }
        loss += total.ln() - (row[y] - m);
        let inv = scale / total;
        for k in 0..CLASSES {
            grow[k] *= inv;
        }
        grow[y] -= scale;
    }
    loss * scale
}

pub fn softmax_ce_dual(label: &[usize], z: &[Dual64]) -> Dual64 {
    let mut loss = Dual64::from_re(0.0);
    for (row, &y) in z.chunks_exact(CLASSES).zip(label) {
        let mut m = row[0];
        for &v in &row[1..] {
            if v.re > m.re {
                m = v;
            }
        }
        let mut total = Dual64::from_re(0.0);
        for &v in row {
            total += (v - m).exp();
        }
        loss += total.ln() - (row[y] - m);
    }
    loss / label.len() as f64
}

// ---------------------------------------------------------------------------
// A taped recurrence: a one-unit RNN over a sequence, squared error per step
// ---------------------------------------------------------------------------

pub const STEPS: usize = 256;

#[grad(wrt(p))]
pub fn rnn(p: [f64; 4], xs: &[f64], ys: &[f64]) -> f64 {
    let mut h = 0.0;
    let mut loss = 0.0;
    for t in 0..xs.len() {
        h = (p[0] * h + p[1] * xs[t] + p[2]).tanh();
        let e = p[3] * h - ys[t];
        loss += e * e;
    }
    loss
}

/// Backpropagation through time as an expert writes it: the hidden states
/// of the forward pass kept in a buffer (allocated, as the tape is), then
/// one backward pass.
pub fn rnn_hand(p: [f64; 4], xs: &[f64], ys: &[f64], g: &mut [f64; 4]) -> f64 {
    let n = xs.len();
    let mut hs = vec![0.0; n + 1];
    let mut loss = 0.0;
    for t in 0..n {
        let h = (p[0] * hs[t] + p[1] * xs[t] + p[2]).tanh();
        hs[t + 1] = h;
        let e = p[3] * h - ys[t];
        loss += e * e;
    }
    *g = [0.0; 4];
    let mut dh = 0.0;
    for t in (0..n).rev() {
        let h = hs[t + 1];
        let e = p[3] * h - ys[t];
        g[3] += 2.0 * e * h;
        let da = (dh + 2.0 * e * p[3]) * (1.0 - h * h);
        g[0] += da * hs[t];
        g[1] += da * xs[t];
        g[2] += da;
        dh = da * p[0];
    }
    loss
}

pub fn rnn_dual(xs: &[f64], ys: &[f64], p: &[Dual64]) -> Dual64 {
    let mut h = Dual64::from_re(0.0);
    let mut loss = Dual64::from_re(0.0);
    for (&x, &y) in xs.iter().zip(ys) {
        h = (p[0] * h + p[1] * x + p[2]).tanh();
        let e = p[3] * h - y;
        loss += e * e;
    }
    loss
}

// ---------------------------------------------------------------------------
// Forward mode with num-dual, data, agreement
// ---------------------------------------------------------------------------

/// Forward mode with `num-dual`: one pass per coordinate, seeding its `eps`.
/// This is what `num_dual::gradient` does for a dynamically sized input
/// (`impl Gradients for Dyn`), without its per-coordinate allocation.
pub fn seeded_gradient(
    f: impl Fn(&[Dual64]) -> Dual64,
    x: &[f64],
    xd: &mut Vec<Dual64>,
    g: &mut [f64],
) -> f64 {
    xd.clear();
    xd.extend(x.iter().map(|&v| Dual64::from_re(v)));
    let mut value = f(xd).re;
    for i in 0..x.len() {
        xd[i].eps = 1.0;
        let r = f(xd);
        xd[i].eps = 0.0;
        g[i] = r.eps;
        value = r.re;
    }
    value
}

/// A small deterministic generator (no `rand` dependency): uniform in [-1, 1).
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

/// The CS231n spiral: `POINTS` points in `K` interleaved arms.
pub fn spiral(rng: &mut Lcg) -> (Vec<[f64; 2]>, Vec<usize>) {
    let per = POINTS / K + 1;
    let mut x = Vec::new();
    let mut y = Vec::new();
    for i in 0..POINTS {
        let (class, step) = (i % K, i / K);
        let r = step as f64 / per as f64;
        let t = class as f64 * 4.0 + 4.0 * r + 0.2 * rng.next();
        x.push([r * t.sin(), r * t.cos()]);
        y.push(class);
    }
    (x, y)
}

pub fn random_net(rng: &mut Lcg) -> Net {
    let mut net = Net::ZERO;
    for w in net.w1.iter_mut().flatten() {
        *w = rng.next();
    }
    for w in net.b1.iter_mut() {
        *w = 0.1 * rng.next();
    }
    for w in net.w2.iter_mut().flatten() {
        *w = 0.5 * rng.next();
    }
    for w in net.b2.iter_mut() {
        *w = 0.1 * rng.next();
    }
    net
}

/// A batch of logits and labels.
pub fn logits(rng: &mut Lcg) -> (Vec<[f64; CLASSES]>, Vec<usize>) {
    let z = (0..BATCH)
        .map(|_| std::array::from_fn(|_| 3.0 * rng.next()))
        .collect();
    let y = (0..BATCH).map(|i| (i * 7) % CLASSES).collect();
    (z, y)
}

/// A sequence for the RNN: inputs, targets and parameters.
pub fn sequence(rng: &mut Lcg) -> (Vec<f64>, Vec<f64>, [f64; 4]) {
    let xs = (0..STEPS).map(|_| rng.next()).collect();
    let ys = (0..STEPS).map(|_| 0.5 * rng.next()).collect();
    (xs, ys, [0.7, 0.9, 0.1, 1.2])
}

/// Each component agrees to 1e-10 relative. The floor `1e-10 * max|want|`
/// keeps a component that cancels to near zero from demanding more digits
/// than the largest term in it carries.
#[track_caller]
pub fn assert_agree(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let floor = want.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    for (i, (&a, &b)) in got.iter().zip(want).enumerate() {
        let tol = 1e-10 * a.abs().max(b.abs()).max(floor);
        assert!(
            (a - b).abs() <= tol,
            "{what}[{i}]: {a} vs {b} (tolerance {tol:e})"
        );
    }
}

#[track_caller]
pub fn assert_value(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-10 * want.abs().max(1e-300),
        "{what}: {got} vs {want}"
    );
}
