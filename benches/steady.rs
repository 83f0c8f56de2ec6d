//! The performance table of the README, measured so that a noisy machine
//! moves it little: every variant of a row (the function alone, `f_grad`,
//! `f_grad_into`, the gradient written by hand, num-dual) is timed in
//! interleaved rounds in one process: each round runs one batch of every
//! variant (about `AUTODIFF_BENCH_BATCH_MS` ms, 2 by default), in an order
//! that rotates from round to round, so that a slow spell of the machine
//! hits all variants alike. A row reports each variant's median over the
//! rounds (`AUTODIFF_BENCH_ROUNDS`, 31 by default), and each ratio as the
//! median of the per-round ratios (both variants timed in the same round).
//! Problem sizes are fixed. Before timing, every gradient is checked
//! against the hand-written one to 1e-10 relative.
//!
//! ```sh
//! cargo bench --bench steady               # every row
//! cargo bench --bench steady -- rosenbrock # rows whose name contains it
//! ```

#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use num_dual::Dual64;
use std::hint::black_box;
use std::time::Instant;

/// One variant of a row: a name and a closure that runs it once.
struct Variant<'a> {
    name: &'static str,
    run: Box<dyn FnMut() + 'a>,
}

fn variant<'a>(name: &'static str, run: impl FnMut() + 'a) -> Variant<'a> {
    Variant {
        name,
        run: Box::new(run),
    }
}

/// Seconds of one call of `run`, roughly: doubling batches until one takes
/// 0.2 ms.
fn per_call(run: &mut dyn FnMut()) -> f64 {
    let mut n = 1u64;
    loop {
        let t = Instant::now();
        for _ in 0..n {
            run();
        }
        let s = t.elapsed().as_secs_f64();
        if s > 2e-4 || n > 1 << 30 {
            return s / n as f64;
        }
        n *= 2;
    }
}

fn env(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// A time in the unit that reads best.
fn human(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.3} ns")
    } else if ns < 1e6 {
        format!("{:.3} µs", ns / 1e3)
    } else {
        format!("{:.3} ms", ns / 1e6)
    }
}

/// The medians of one row, by variant name, and the per-round ratios.
struct Measured {
    names: Vec<&'static str>,
    medians: Vec<f64>,
    mins: Vec<f64>,
    /// Median over rounds of variant / hand.
    to_hand: Vec<f64>,
}

fn measure(variants: &mut [Variant], rounds: usize, batch: f64) -> Measured {
    let iters: Vec<u64> = variants
        .iter_mut()
        .map(|v| ((batch / per_call(&mut *v.run)).ceil() as u64).max(1))
        .collect();
    let n = variants.len();
    let mut samples = vec![Vec::with_capacity(rounds); n];
    for round in 0..rounds {
        for k in 0..n {
            let i = (k + round) % n;
            let v = &mut variants[i];
            let t = Instant::now();
            for _ in 0..iters[i] {
                (v.run)();
            }
            samples[i].push(t.elapsed().as_secs_f64() * 1e9 / iters[i] as f64);
        }
    }
    let hand = variants.iter().position(|v| v.name == "hand");
    let to_hand = (0..n)
        .map(|i| match hand {
            Some(h) => {
                let mut r: Vec<f64> = (0..rounds).map(|k| samples[i][k] / samples[h][k]).collect();
                median(&mut r)
            }
            None => f64::NAN,
        })
        .collect();
    let mins = samples
        .iter()
        .map(|s| s.iter().copied().fold(f64::INFINITY, f64::min))
        .collect();
    let medians = samples.iter_mut().map(|s| median(s)).collect();
    Measured {
        names: variants.iter().map(|v| v.name).collect(),
        medians,
        mins,
        to_hand,
    }
}

fn main() {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let rounds = env("AUTODIFF_BENCH_ROUNDS", 31.0) as usize;
    let batch = env("AUTODIFF_BENCH_BATCH_MS", 2.0) * 1e-3;
    let wanted = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    println!("{rounds} interleaved rounds, batches of {} ms", batch * 1e3);
    println!();
    println!(
        "| function | size | primal | `f_grad` | `f_grad_into` | hand-written | num-dual | generated / hand | `f_grad` / hand | num-dual / generated |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut rng = Lcg(0x5eed);
    let report = |name: &str, size: String, mut variants: Vec<Variant>| {
        if !wanted(name) {
            return;
        }
        let m = measure(&mut variants, rounds, batch);
        let get = |n: &str| m.names.iter().position(|x| *x == n);
        let cell = |n: &str| get(n).map_or("–".to_string(), |i| human(m.medians[i]));
        // The generated gradient: `f_grad_into` where there is one.
        let generated = get("f_grad_into")
            .or(get("f_grad"))
            .expect("a generated gradient");
        let ratio =
            |i: Option<usize>| i.map_or("–".to_string(), |i| format!("{:.2}×", m.to_hand[i]));
        let dual = get("num-dual").map_or("–".to_string(), |d| {
            format!("{:.0}×", m.to_hand[d] / m.to_hand[generated])
        });
        println!(
            "| {name} | {size} | {} | {} | {} | {} | {} | {} | {} | {dual} |",
            cell("primal"),
            cell("f_grad"),
            cell("f_grad_into"),
            cell("hand"),
            cell("num-dual"),
            ratio(Some(generated)),
            ratio(get("f_grad")),
        );
        let mins: Vec<String> = m
            .names
            .iter()
            .zip(&m.mins)
            .map(|(n, t)| format!("{n} {}", human(*t)))
            .collect();
        eprintln!("  {name} {size}: minimum {}", mins.join(", "));
    };

    // The sigmoid neuron.
    {
        let a = [2.0, -3.0, -3.0, -1.0, -2.0];
        let (v, g) = neuron_hand(a[0], a[1], a[2], a[3], a[4]);
        let (gv, g0, g1, g2, g3, g4) = neuron_grad(a[0], a[1], a[2], a[3], a[4]);
        assert_value("neuron", gv, v);
        assert_agree("neuron f_grad", &[g0, g1, g2, g3, g4], &g);
        let mut xd = Vec::new();
        let mut dg = [0.0; 5];
        let dv = seeded_gradient(neuron_dual, &a, &mut xd, &mut dg);
        assert_value("neuron num-dual", dv, v);
        assert_agree("neuron num-dual", &dg, &g);
        let b = |i: usize| black_box(a[i]);
        report(
            "sigmoid neuron",
            "5 inputs".into(),
            vec![
                variant("primal", || {
                    black_box(neuron(b(0), b(1), b(2), b(3), b(4)));
                }),
                variant("f_grad", || {
                    black_box(neuron_grad(b(0), b(1), b(2), b(3), b(4)));
                }),
                variant("hand", || {
                    black_box(neuron_hand(b(0), b(1), b(2), b(3), b(4)));
                }),
                variant("num-dual", move || {
                    black_box(seeded_gradient(
                        neuron_dual,
                        black_box(&a),
                        &mut xd,
                        &mut dg,
                    ));
                }),
            ],
        );
    }

    // Extended Rosenbrock.
    for n in [10, 100, 1000] {
        let x: Vec<f64> = (0..n).map(|_| 2.0 * rng.next()).collect();
        let mut want = vec![f64::NAN; n];
        let v = rosenbrock_hand(&x, &mut want);
        assert_value("rosenbrock", rosenbrock(&x), v);
        let (gv, g) = rosenbrock_grad(&x);
        assert_value("rosenbrock f_grad", gv, v);
        assert_agree("rosenbrock f_grad", &g, &want);
        let mut g = vec![f64::NAN; n];
        assert_value(
            "rosenbrock f_grad_into",
            rosenbrock_grad_into(&x, &mut g),
            v,
        );
        assert_agree("rosenbrock f_grad_into", &g, &want);
        let mut xd = Vec::new();
        g.fill(f64::NAN);
        seeded_gradient(rosenbrock_dual, &x, &mut xd, &mut g);
        assert_agree("rosenbrock num-dual", &g, &want);
        let (mut g1, mut g2, mut g3) = (g.clone(), g.clone(), g);
        let x = &x;
        report(
            "extended Rosenbrock",
            format!("N = {n}"),
            vec![
                variant("primal", || {
                    black_box(rosenbrock(black_box(x)));
                }),
                variant("f_grad", || {
                    black_box(rosenbrock_grad(black_box(x)));
                }),
                variant("f_grad_into", || {
                    black_box(rosenbrock_grad_into(black_box(x), black_box(&mut g1)));
                }),
                variant("hand", || {
                    black_box(rosenbrock_hand(black_box(x), black_box(&mut g2)));
                }),
                variant("num-dual", || {
                    black_box(seeded_gradient(
                        rosenbrock_dual,
                        black_box(x),
                        &mut xd,
                        black_box(&mut g3),
                    ));
                }),
            ],
        );
    }

    // The two-layer network.
    {
        let mut rng = Lcg(0xcafe);
        let (x, y) = spiral(&mut rng);
        let net = random_net(&mut rng);
        let mut hand = Net {
            w1: [[f64::NAN; 2]; H],
            ..Net::ZERO
        };
        let want = net_loss_hand(&x, &y, &net, &mut hand);
        let want_flat = hand.flat();
        assert_value(
            "network",
            net_loss(&x, &y, net.w1, net.b1, net.w2, net.b2),
            want,
        );
        let (v, w1, b1, w2, b2) = net_loss_grad(&x, &y, net.w1, net.b1, net.w2, net.b2);
        assert_value("network f_grad", v, want);
        assert_agree("network f_grad", &Net { w1, b1, w2, b2 }.flat(), &want_flat);
        let mut g = Net::ZERO;
        g.w1[0][0] = f64::NAN;
        let v = net_loss_grad_into(
            &x, &y, net.w1, net.b1, net.w2, net.b2, &mut g.w1, &mut g.b1, &mut g.w2, &mut g.b2,
        );
        assert_value("network f_grad_into", v, want);
        assert_agree("network f_grad_into", &g.flat(), &want_flat);
        let theta = net.flat();
        let mut flat = vec![0.0; WEIGHTS];
        let mut xd = Vec::new();
        seeded_gradient(|t| net_loss_dual(&x, &y, t), &theta, &mut xd, &mut flat);
        assert_agree("network num-dual", &flat, &want_flat);
        let (x, y, net) = (&x, &y, &net);
        let mut g2 = g;
        report(
            "two-layer network",
            format!("{WEIGHTS} weights, {POINTS} points"),
            vec![
                variant("primal", || {
                    let n = black_box(net);
                    black_box(net_loss(black_box(x), y, n.w1, n.b1, n.w2, n.b2));
                }),
                variant("f_grad", || {
                    let n = black_box(net);
                    black_box(net_loss_grad(black_box(x), y, n.w1, n.b1, n.w2, n.b2));
                }),
                variant("f_grad_into", || {
                    let n = black_box(net);
                    let g = black_box(&mut g);
                    black_box(net_loss_grad_into(
                        black_box(x),
                        y,
                        n.w1,
                        n.b1,
                        n.w2,
                        n.b2,
                        &mut g.w1,
                        &mut g.b1,
                        &mut g.w2,
                        &mut g.b2,
                    ));
                }),
                variant("hand", || {
                    black_box(net_loss_hand(
                        black_box(x),
                        y,
                        black_box(net),
                        black_box(&mut g2),
                    ));
                }),
                variant("num-dual", || {
                    black_box(seeded_gradient(
                        |t| net_loss_dual(x, y, t),
                        black_box(&theta),
                        &mut xd,
                        black_box(&mut flat),
                    ));
                }),
            ],
        );
    }

    // Softmax cross-entropy over a batch.
    {
        let mut rng = Lcg(0xbeef);
        let (z, y) = logits(&mut rng);
        let mut want = vec![[f64::NAN; CLASSES]; BATCH];
        let v = softmax_ce_hand(&z, &y, &mut want);
        let want_flat: Vec<f64> = want.iter().flatten().copied().collect();
        assert_value("softmax", softmax_ce(&z, &y), v);
        let (gv, g) = softmax_ce_grad(&z, &y);
        assert_value("softmax f_grad", gv, v);
        let flat: Vec<f64> = g.iter().flatten().copied().collect();
        assert_agree("softmax f_grad", &flat, &want_flat);
        let mut g = vec![[f64::NAN; CLASSES]; BATCH];
        assert_value(
            "softmax f_grad_into",
            softmax_ce_grad_into(&z, &y, &mut g),
            v,
        );
        let flat: Vec<f64> = g.iter().flatten().copied().collect();
        assert_agree("softmax f_grad_into", &flat, &want_flat);
        let zf: Vec<f64> = z.iter().flatten().copied().collect();
        let mut dg = vec![0.0; zf.len()];
        let mut xd = Vec::new();
        seeded_gradient(|t| softmax_ce_dual(&y, t), &zf, &mut xd, &mut dg);
        assert_agree("softmax num-dual", &dg, &want_flat);
        let (z, y) = (&z, &y);
        let mut g2 = g.clone();
        report(
            "softmax cross-entropy",
            format!("{BATCH} × {CLASSES} logits"),
            vec![
                variant("primal", || {
                    black_box(softmax_ce(black_box(z), y));
                }),
                variant("f_grad", || {
                    black_box(softmax_ce_grad(black_box(z), y));
                }),
                variant("f_grad_into", || {
                    black_box(softmax_ce_grad_into(black_box(z), y, black_box(&mut g)));
                }),
                variant("hand", || {
                    black_box(softmax_ce_hand(black_box(z), y, black_box(&mut g2)));
                }),
                variant("num-dual", || {
                    black_box(seeded_gradient(
                        |t| softmax_ce_dual(y, t),
                        black_box(&zf),
                        &mut xd,
                        black_box(&mut dg),
                    ));
                }),
            ],
        );
    }

    // A taped recurrence.
    {
        let mut rng = Lcg(0xfeed);
        let (xs, ys, p) = sequence(&mut rng);
        let mut want = [f64::NAN; 4];
        let v = rnn_hand(p, &xs, &ys, &mut want);
        assert_value("rnn", rnn(p, &xs, &ys), v);
        let (gv, g) = rnn_grad(p, &xs, &ys);
        assert_value("rnn f_grad", gv, v);
        assert_agree("rnn f_grad", &g, &want);
        let mut g = [f64::NAN; 4];
        assert_value("rnn f_grad_into", rnn_grad_into(p, &xs, &ys, &mut g), v);
        assert_agree("rnn f_grad_into", &g, &want);
        let mut dg = [0.0; 4];
        let mut xd: Vec<Dual64> = Vec::new();
        seeded_gradient(|t| rnn_dual(&xs, &ys, t), &p, &mut xd, &mut dg);
        assert_agree("rnn num-dual", &dg, &want);
        let (xs, ys) = (&xs, &ys);
        let mut g2 = g;
        report(
            "RNN (taped recurrence)",
            format!("{STEPS} steps"),
            vec![
                variant("primal", || {
                    black_box(rnn(black_box(p), black_box(xs), ys));
                }),
                variant("f_grad", || {
                    black_box(rnn_grad(black_box(p), black_box(xs), ys));
                }),
                variant("f_grad_into", || {
                    black_box(rnn_grad_into(
                        black_box(p),
                        black_box(xs),
                        ys,
                        black_box(&mut g),
                    ));
                }),
                variant("hand", || {
                    black_box(rnn_hand(
                        black_box(p),
                        black_box(xs),
                        ys,
                        black_box(&mut g2),
                    ));
                }),
                variant("num-dual", || {
                    black_box(seeded_gradient(
                        |t| rnn_dual(xs, ys, t),
                        black_box(&p),
                        &mut xd,
                        black_box(&mut dg),
                    ));
                }),
            ],
        );
    }
}
