//! What a Jacobian costs: `f_jacobian` by reverse sweeps (one per output),
//! `f_jacobian` by forward passes (one per input, chosen with
//! `#[grad(forward)]` when inputs are fewer than outputs), `f_vjp` (one
//! reverse sweep), a hand-written Jacobian and num-dual's dual numbers (one
//! pass per input, `Dual64`; `num_dual::jacobian` itself takes nalgebra
//! vectors, and nalgebra is not a dependency here).
//!
//! Two shapes: the curve fit's residuals (2 inputs, 8 outputs: the forward
//! passes suit it) and the mean and variance of 32 numbers (32 inputs, 2
//! outputs: the reverse sweeps suit it). Before anything is timed, every
//! result is checked against the dual numbers to 1e-12 relative.
//!
//! ```sh
//! cargo bench --bench jacobian -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! After criterion's rows, `cargo bench` also times the rows interleaved
//! (round-robin batches, so that a noisy neighbour slows every row alike)
//! and prints the median of each with its ratio to the hand-written row.

// Numeric code indexes several arrays with one counter.
#![allow(clippy::needless_range_loop)]

#[path = "common/interleaved.rs"]
mod interleaved;

use std::hint::black_box;

use autodiff_core::grad;
use criterion::{Criterion, criterion_group};
use num_dual::{Dual64, DualNum};

// ---------------------------------------------------------------------------
// The functions
// ---------------------------------------------------------------------------

const T: [f64; 8] = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5];
const Y: [f64; 8] = [2.52, 1.76, 1.23, 0.87, 0.62, 0.43, 0.31, 0.21];

/// The curve fit's residuals, with reverse sweeps only.
#[grad]
fn residuals(p: [f64; 2]) -> [f64; 8] {
    let mut r = [0.0; 8];
    for i in 0..8 {
        r[i] = p[0] * (p[1] * T[i]).exp() - Y[i];
    }
    r
}

/// The same, with forward mode: its `f_jacobian` runs two forward passes.
#[grad(forward)]
fn residuals_fw(p: [f64; 2]) -> [f64; 8] {
    let mut r = [0.0; 8];
    for i in 0..8 {
        r[i] = p[0] * (p[1] * T[i]).exp() - Y[i];
    }
    r
}

/// The Jacobian an expert writes: one pass, `∂a = e^{b t}`, `∂b = a t e^{b t}`.
fn residuals_by_hand(p: [f64; 2]) -> ([f64; 8], [[f64; 2]; 8]) {
    let mut r = [0.0; 8];
    let mut j = [[0.0; 2]; 8];
    for i in 0..8 {
        let e = (p[1] * T[i]).exp();
        r[i] = p[0] * e - Y[i];
        j[i] = [e, p[0] * T[i] * e];
    }
    (r, j)
}

fn residuals_dual<D: DualNum<Primitive = f64> + Copy>(p: [D; 2]) -> [D; 8] {
    std::array::from_fn(|i| p[0] * (p[1] * T[i]).exp() - Y[i])
}

/// Mean and (population) variance of 32 numbers.
#[grad(forward)]
fn moments(x: [f64; 32]) -> [f64; 2] {
    let mut s = 0.0;
    let mut q = 0.0;
    for i in 0..32 {
        s += x[i];
        q += x[i] * x[i];
    }
    let m = s / 32.0;
    [m, q / 32.0 - m * m]
}

fn moments_by_hand(x: [f64; 32]) -> ([f64; 2], [[f64; 32]; 2]) {
    let mut s = 0.0;
    let mut q = 0.0;
    for i in 0..32 {
        s += x[i];
        q += x[i] * x[i];
    }
    let m = s / 32.0;
    let mut j = [[0.0; 32]; 2];
    for i in 0..32 {
        j[0][i] = 1.0 / 32.0;
        j[1][i] = 2.0 * (x[i] - m) / 32.0;
    }
    ([m, q / 32.0 - m * m], j)
}

fn moments_dual<D: DualNum<Primitive = f64> + Copy>(x: &[D; 32]) -> [D; 2] {
    let mut s = D::zero();
    let mut q = D::zero();
    for v in x {
        s += *v;
        q += *v * *v;
    }
    let m = s / 32.0;
    [m, q / 32.0 - m * m]
}

/// The Jacobian by dual numbers: one pass per input, column by column.
fn residuals_dual_jacobian(p: [f64; 2]) -> ([f64; 8], [[f64; 2]; 8]) {
    let mut r = [0.0; 8];
    let mut j = [[0.0; 2]; 8];
    for u in 0..2 {
        let mut d = p.map(Dual64::from);
        d[u].eps = 1.0;
        let y = residuals_dual(d);
        for k in 0..8 {
            r[k] = y[k].re;
            j[k][u] = y[k].eps;
        }
    }
    (r, j)
}

fn moments_dual_jacobian(x: [f64; 32], args: &mut [Dual64; 32]) -> ([f64; 2], [[f64; 32]; 2]) {
    let mut y = [0.0; 2];
    let mut j = [[0.0; 32]; 2];
    for (a, v) in args.iter_mut().zip(&x) {
        *a = Dual64::from(*v);
    }
    for u in 0..32 {
        args[u].eps = 1.0;
        let o = moments_dual(args);
        args[u].eps = 0.0;
        for k in 0..2 {
            y[k] = o[k].re;
            j[k][u] = o[k].eps;
        }
    }
    (y, j)
}

// ---------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------

#[track_caller]
fn assert_close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-12 * want.abs().max(1.0),
        "{what}: {got} vs {want}"
    );
}

fn check(p: [f64; 2], x: [f64; 32]) {
    let (r, j) = residuals_dual_jacobian(p);
    let (hr, hj) = residuals_by_hand(p);
    let (r1, j1) = residuals_jacobian(p);
    let (r2, j2) = residuals_fw_jacobian(p);
    let w: [f64; 8] = std::array::from_fn(|k| 0.1 * k as f64 - 0.3);
    let (r3, g3) = residuals_vjp(p, w);
    assert_eq!(residuals(p), r1);
    assert_eq!(residuals_fw(p), r2);
    assert_eq!(moments(x), moments_jacobian(x).0);
    for k in 0..8 {
        for (what, got) in [
            ("by hand", hr[k]),
            ("reverse", r1[k]),
            ("forward", r2[k]),
            ("vjp", r3[k]),
        ] {
            assert_close(what, got, r[k]);
        }
        for u in 0..2 {
            for (what, got) in [
                ("by hand", hj[k][u]),
                ("reverse", j1[k][u]),
                ("forward", j2[k][u]),
            ] {
                assert_close(what, got, j[k][u]);
            }
        }
    }
    for u in 0..2 {
        assert_close("vjp", g3[u], (0..8).map(|k| w[k] * j[k][u]).sum());
    }
    let mut args = [Dual64::from(0.0); 32];
    let (y, j) = moments_dual_jacobian(x, &mut args);
    let (hy, hj) = moments_by_hand(x);
    let (y1, j1) = moments_jacobian(x);
    for k in 0..2 {
        assert_close("by hand", hy[k], y[k]);
        assert_close("f_jacobian", y1[k], y[k]);
        for u in 0..32 {
            assert_close("by hand", hj[k][u], j[k][u]);
            assert_close("f_jacobian", j1[k][u], j[k][u]);
        }
    }
}

// ---------------------------------------------------------------------------
// The rows
// ---------------------------------------------------------------------------

const P: [f64; 2] = [2.0, -0.5];

fn x32() -> [f64; 32] {
    std::array::from_fn(|i| (i as f64 * 0.7).sin())
}

/// One row: its function, what it times, and one call.
type Row = (&'static str, &'static str, Box<dyn Fn()>);

fn rows() -> Vec<Row> {
    let (p, x) = (P, x32());
    let w: [f64; 8] = std::array::from_fn(|k| 0.1 * k as f64 - 0.3);
    vec![
        (
            "residuals 2 → 8",
            "hand-written",
            Box::new(move || {
                black_box(residuals_by_hand(black_box(p)));
            }),
        ),
        (
            "residuals 2 → 8",
            "f_jacobian, forward",
            Box::new(move || {
                black_box(residuals_fw_jacobian(black_box(p)));
            }),
        ),
        (
            "residuals 2 → 8",
            "f_jacobian, reverse",
            Box::new(move || {
                black_box(residuals_jacobian(black_box(p)));
            }),
        ),
        (
            "residuals 2 → 8",
            "f_vjp",
            Box::new(move || {
                black_box(residuals_vjp(black_box(p), black_box(w)));
            }),
        ),
        (
            "residuals 2 → 8",
            "num-dual",
            Box::new(move || {
                black_box(residuals_dual_jacobian(black_box(p)));
            }),
        ),
        (
            "moments 32 → 2",
            "hand-written",
            Box::new(move || {
                black_box(moments_by_hand(black_box(x)));
            }),
        ),
        (
            "moments 32 → 2",
            "f_jacobian, reverse",
            Box::new(move || {
                black_box(moments_jacobian(black_box(x)));
            }),
        ),
        (
            "moments 32 → 2",
            "num-dual",
            Box::new(move || {
                let mut args = [Dual64::from(0.0); 32];
                black_box(moments_dual_jacobian(black_box(x), &mut args));
            }),
        ),
    ]
}

fn bench_jacobian(c: &mut Criterion) {
    check(P, x32());
    check([0.7, 0.3], std::array::from_fn(|i| i as f64 - 15.0));
    for (function, what, run) in rows() {
        let mut group = c.benchmark_group(function);
        group.sample_size(30);
        group.bench_function(what, |b| b.iter(&run));
        group.finish();
    }
}

criterion_group!(benches, bench_jacobian);

/// Times every row in round-robin batches of about a millisecond each and
/// prints each row's median time per call and its ratio to the
/// hand-written row of its function.
fn interleaved(rounds: usize) {
    let rows = rows();
    let runs: Vec<&dyn Fn()> = rows.iter().map(|(_, _, run)| &**run).collect();
    let medians = interleaved::medians(&runs, rounds);
    println!("\ninterleaved medians ({rounds} rounds):");
    let mut hand = 0.0;
    for ((function, what, _), m) in rows.iter().zip(&medians) {
        if *what == "hand-written" {
            hand = *m;
        }
        println!(
            "  {function:<18} {what:<22} {m:>9.1} ns  {:>5.2}× hand-written",
            m / hand
        );
    }
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // `cargo bench` passes `--bench`; `cargo test --benches` does not.
    if std::env::args().any(|a| a == "--bench") {
        interleaved(200);
    }
}
