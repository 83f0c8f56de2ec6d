//! What a `#[grad]` gradient costs, against the function alone, a gradient
//! written by hand, and forward-mode dual numbers (`num-dual`).
//!
//! Two functions: the extended Rosenbrock function over `&[f64]` with
//! N = 10, 100, 1000, and the loss of a two-layer network (2 inputs, 16 tanh
//! hidden units, 3 softmax classes; 99 weights) over 64 points of the
//! CS231n spiral. Before anything is timed, every gradient is checked
//! against the hand-written one to 1e-10 relative: a benchmark of a wrong
//! gradient is worthless.
//!
//! ```sh
//! cargo bench --bench grad
//! ```

// Numeric code indexes several arrays with one counter.
#![allow(clippy::needless_range_loop)]

use std::hint::black_box;
use std::time::Duration;

use autodiff_core::grad;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, criterion_group, criterion_main};
use num_dual::{Dual64, DualNum};

// ---------------------------------------------------------------------------
// Extended Rosenbrock: f(x) = sum_{i < N/2} 100 (x_{2i}^2 - x_{2i+1})^2 + (x_{2i} - 1)^2
// ---------------------------------------------------------------------------

#[grad]
fn rosenbrock(x: &[f64]) -> f64 {
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

/// The gradient as an expert writes it: one pass, into the caller's buffer.
fn rosenbrock_hand(x: &[f64], g: &mut [f64]) -> f64 {
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

/// Rosenbrock over dual numbers.
fn rosenbrock_dual(x: &[Dual64]) -> Dual64 {
    let mut s = Dual64::from_re(0.0);
    for c in x.chunks_exact(2) {
        let t = c[0] * c[0] - c[1];
        let u = c[0] - 1.0;
        s += t * t * 100.0 + u * u;
    }
    s
}

/// Forward mode with `num-dual`: one pass per coordinate, seeding its `eps`.
/// This is what `num_dual::gradient` does for a dynamically sized input
/// (`impl Gradients for Dyn`), without its per-coordinate allocation; the
/// `DVector` entry point needs `nalgebra` as a direct dependency.
fn seeded_gradient(
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

// ---------------------------------------------------------------------------
// Two-layer network: tanh hidden layer, softmax cross-entropy, mean over points
// ---------------------------------------------------------------------------

const H: usize = 16;
const K: usize = 3;
const POINTS: usize = 64;
const WEIGHTS: usize = 2 * H + H + K * H + K;

#[grad(wrt(w1, b1, w2, b2))]
fn net_loss(
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
struct Net {
    w1: [[f64; 2]; H],
    b1: [f64; H],
    w2: [[f64; H]; K],
    b2: [f64; K],
}

impl Net {
    const ZERO: Net = Net {
        w1: [[0.0; 2]; H],
        b1: [0.0; H],
        w2: [[0.0; H]; K],
        b2: [0.0; K],
    };

    /// The weights in one list: w1, b1, w2, b2, row by row.
    fn flat(&self) -> Vec<f64> {
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
fn net_loss_hand(x: &[[f64; 2]], label: &[usize], net: &Net, g: &mut Net) -> f64 {
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
fn net_loss_dual(x: &[[f64; 2]], label: &[usize], theta: &[Dual64]) -> Dual64 {
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
// Data and agreement
// ---------------------------------------------------------------------------

/// A small deterministic generator (no `rand` dependency): uniform in [-1, 1).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

/// The CS231n spiral: `POINTS` points in `K` interleaved arms.
fn spiral(rng: &mut Lcg) -> (Vec<[f64; 2]>, Vec<usize>) {
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

fn random_net(rng: &mut Lcg) -> Net {
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

/// Each component agrees to 1e-10 relative. The floor `1e-10 * max|want|`
/// keeps a component that cancels to near zero from demanding more digits
/// than the largest term in it carries.
#[track_caller]
fn assert_agree(what: &str, got: &[f64], want: &[f64]) {
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
fn assert_value(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-10 * want.abs().max(1e-300),
        "{what}: {got} vs {want}"
    );
}

// ---------------------------------------------------------------------------
// Benchmarks
// ---------------------------------------------------------------------------

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
}

fn bench_rosenbrock(c: &mut Criterion) {
    let mut group = c.benchmark_group("rosenbrock");
    configure(&mut group);
    let mut rng = Lcg(0x5eed);
    for n in [10, 100, 1000] {
        let x: Vec<f64> = (0..n).map(|_| 2.0 * rng.next()).collect();
        let mut g = vec![0.0; n];
        let mut xd = Vec::with_capacity(n);

        // Agreement first, with outputs that start as garbage.
        let hand = {
            let mut h = vec![f64::NAN; n];
            let v = rosenbrock_hand(&x, &mut h);
            assert_value("primal", rosenbrock(&x), v);
            (v, h)
        };
        let (v, gv) = rosenbrock_grad(&x);
        assert_value("f_grad value", v, hand.0);
        assert_agree("f_grad", &gv, &hand.1);
        g.fill(f64::NAN);
        let v = rosenbrock_grad_into(&x, &mut g);
        assert_value("f_grad_into value", v, hand.0);
        assert_agree("f_grad_into", &g, &hand.1);
        g.fill(f64::NAN);
        let v = seeded_gradient(rosenbrock_dual, &x, &mut xd, &mut g);
        assert_value("num-dual value", v, hand.0);
        assert_agree("num-dual", &g, &hand.1);

        group.bench_with_input(BenchmarkId::new("primal", n), &x, |b, x| {
            b.iter(|| rosenbrock(black_box(x)))
        });
        group.bench_with_input(BenchmarkId::new("f_grad", n), &x, |b, x| {
            b.iter(|| rosenbrock_grad(black_box(x)))
        });
        group.bench_with_input(BenchmarkId::new("f_grad_into", n), &x, |b, x| {
            b.iter(|| rosenbrock_grad_into(black_box(x), black_box(&mut g[..])))
        });
        group.bench_with_input(BenchmarkId::new("hand", n), &x, |b, x| {
            b.iter(|| rosenbrock_hand(black_box(x), black_box(&mut g[..])))
        });
        group.bench_with_input(BenchmarkId::new("num-dual", n), &x, |b, x| {
            b.iter(|| {
                seeded_gradient(
                    rosenbrock_dual,
                    black_box(x),
                    &mut xd,
                    black_box(&mut g[..]),
                )
            })
        });
    }
    group.finish();
}

fn bench_network(c: &mut Criterion) {
    let mut group = c.benchmark_group("network");
    configure(&mut group);
    let mut rng = Lcg(0xcafe);
    let (x, y) = spiral(&mut rng);
    let net = random_net(&mut rng);
    let mut g = Net::ZERO;
    let mut flat = vec![0.0; WEIGHTS];
    let mut xd = Vec::with_capacity(WEIGHTS);

    // Agreement first, with outputs that start as garbage.
    let mut hand = Net {
        w1: [[f64::NAN; 2]; H],
        ..Net::ZERO
    };
    let want = net_loss_hand(&x, &y, &net, &mut hand);
    let want_flat = hand.flat();
    assert_value(
        "primal",
        net_loss(&x, &y, net.w1, net.b1, net.w2, net.b2),
        want,
    );
    let (v, w1, b1, w2, b2) = net_loss_grad(&x, &y, net.w1, net.b1, net.w2, net.b2);
    assert_value("f_grad value", v, want);
    assert_agree("f_grad", &Net { w1, b1, w2, b2 }.flat(), &want_flat);
    g.w1[0][0] = f64::NAN;
    g.b2[0] = f64::NAN;
    let v = net_loss_grad_into(
        &x, &y, net.w1, net.b1, net.w2, net.b2, &mut g.w1, &mut g.b1, &mut g.w2, &mut g.b2,
    );
    assert_value("f_grad_into value", v, want);
    assert_agree("f_grad_into", &g.flat(), &want_flat);
    let theta = net.flat();
    let v = seeded_gradient(|t| net_loss_dual(&x, &y, t), &theta, &mut xd, &mut flat);
    assert_value("num-dual value", v, want);
    assert_agree("num-dual", &flat, &want_flat);

    group.bench_function("primal", |b| {
        b.iter(|| {
            let n = black_box(&net);
            net_loss(black_box(&x), &y, n.w1, n.b1, n.w2, n.b2)
        })
    });
    group.bench_function("f_grad", |b| {
        b.iter(|| {
            let n = black_box(&net);
            net_loss_grad(black_box(&x), &y, n.w1, n.b1, n.w2, n.b2)
        })
    });
    group.bench_function("f_grad_into", |b| {
        b.iter(|| {
            let n = black_box(&net);
            let g = black_box(&mut g);
            net_loss_grad_into(
                black_box(&x),
                &y,
                n.w1,
                n.b1,
                n.w2,
                n.b2,
                &mut g.w1,
                &mut g.b1,
                &mut g.w2,
                &mut g.b2,
            )
        })
    });
    group.bench_function("hand", |b| {
        b.iter(|| net_loss_hand(black_box(&x), &y, black_box(&net), black_box(&mut g)))
    });
    group.bench_function("num-dual", |b| {
        b.iter(|| {
            seeded_gradient(
                |t| net_loss_dual(&x, &y, t),
                black_box(&theta),
                &mut xd,
                black_box(&mut flat[..]),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench_rosenbrock, bench_network);
criterion_main!(benches);
