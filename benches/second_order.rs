//! What second order costs: `f_grad`, `f_hvp` (one Hessian-vector product,
//! a reverse sweep over the forward-mode function) and `f_hessian`, against
//! num-dual's hyper-dual numbers (one evaluation per entry of the upper
//! triangle, `xᵢ` carrying `ε₁` and `xⱼ` carrying `ε₂`; `num_dual::hessian`
//! itself takes nalgebra vectors, and nalgebra is not a dependency here).
//!
//! Two functions: the Rosenbrock function of two scalars (straight-line
//! code) and the extended Rosenbrock function over `[f64; 10]` (a loop).
//! Before anything is timed, every result is checked against the hyper-dual
//! numbers to 1e-10 relative.
//!
//! ```sh
//! cargo bench --bench second_order -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! After criterion's rows, `cargo bench` also times the rows interleaved
//! (round-robin batches, so that a noisy neighbour slows every row alike)
//! and prints the median of each with the ratios `f_hvp / f_grad` and
//! `num-dual / f_hessian`.

// Numeric code indexes several arrays with one counter.
#![allow(clippy::needless_range_loop)]

#[path = "common/interleaved.rs"]
mod interleaved;

use std::hint::black_box;

use autodiff_core::grad;
use criterion::{Criterion, criterion_group};
use num_dual::{DualNum, HyperDual64};

// ---------------------------------------------------------------------------
// The functions
// ---------------------------------------------------------------------------

#[grad(hessian)]
fn rosenbrock2(x: f64, y: f64) -> f64 {
    let a = 1.0 - x;
    let b = y - x * x;
    a * a + 100.0 * b * b
}

fn rosenbrock2_dual<D: DualNum<Primitive = f64> + Copy>(x: &[D]) -> D {
    let a = -x[0] + 1.0;
    let b = x[1] - x[0] * x[0];
    a * a + b * b * 100.0
}

#[grad(hessian)]
fn rosenbrock10(x: [f64; 10]) -> f64 {
    let mut s = 0.0;
    for i in 0..5 {
        let a = x[2 * i];
        let b = x[2 * i + 1];
        let t = a * a - b;
        let u = a - 1.0;
        s += 100.0 * t * t + u * u;
    }
    s
}

fn rosenbrock10_dual<D: DualNum<Primitive = f64> + Copy>(x: &[D]) -> D {
    let mut s = D::zero();
    for c in x.chunks_exact(2) {
        let t = c[0] * c[0] - c[1];
        let u = c[0] - 1.0;
        s += t * t * 100.0 + u * u;
    }
    s
}

/// The value, gradient and Hessian of `f` at `x` with hyper-dual numbers:
/// one evaluation per entry `(i, j)`, `i ≤ j`, mirrored. `args` is scratch
/// space of `N` numbers.
fn hyper_dual_hessian<const N: usize>(
    f: impl Fn(&[HyperDual64]) -> HyperDual64,
    x: &[f64; N],
    args: &mut [HyperDual64; N],
) -> (f64, [f64; N], [[f64; N]; N]) {
    let mut value = 0.0;
    let mut g = [0.0; N];
    let mut h = [[0.0; N]; N];
    for i in 0..N {
        for j in i..N {
            for (k, a) in args.iter_mut().enumerate() {
                let e1 = if k == i { 1.0 } else { 0.0 };
                let e2 = if k == j { 1.0 } else { 0.0 };
                *a = HyperDual64::new(x[k], e1, e2, 0.0);
            }
            let r = f(&args[..]);
            if i == j {
                value = r.re;
                g[i] = r.eps1;
            }
            h[i][j] = r.eps1eps2;
            h[j][i] = r.eps1eps2;
        }
    }
    (value, g, h)
}

// ---------------------------------------------------------------------------
// The check before timing
// ---------------------------------------------------------------------------

#[track_caller]
fn assert_close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-10 * want.abs().max(got.abs()).max(1.0),
        "{what}: {got} vs hyper-dual {want}"
    );
}

/// `Σⱼ H[i][j] d[j]`.
fn product<const N: usize>(h: &[[f64; N]; N], d: &[f64; N]) -> [f64; N] {
    let mut out = [0.0; N];
    for (o, row) in out.iter_mut().zip(h) {
        *o = row.iter().zip(d).map(|(a, b)| a * b).sum();
    }
    out
}

/// Checks `value`, `g` and `h` (and `hv = H·d` if given) against the
/// hyper-dual numbers' `want`.
fn check<const N: usize>(
    name: &str,
    (value, g, h): (f64, [f64; N], [[f64; N]; N]),
    want: &(f64, [f64; N], [[f64; N]; N]),
) {
    assert_close(&format!("{name} value"), value, want.0);
    for i in 0..N {
        assert_close(&format!("{name} ∂{i}"), g[i], want.1[i]);
        for j in 0..N {
            assert_close(&format!("{name} H[{i}][{j}]"), h[i][j], want.2[i][j]);
        }
    }
}

fn check_rosenbrock2(x: [f64; 2], d: [f64; 2]) {
    let want = hyper_dual_hessian(rosenbrock2_dual, &x, &mut [HyperDual64::from_re(0.0); 2]);
    assert_close("f", rosenbrock2(x[0], x[1]), want.0);
    let (v, g0, g1) = rosenbrock2_grad(x[0], x[1]);
    assert_close("f_grad value", v, want.0);
    assert_close("f_grad ∂x", g0, want.1[0]);
    assert_close("f_grad ∂y", g1, want.1[1]);
    let (v, g0, g1, h) = rosenbrock2_hessian(x[0], x[1]);
    check("f_hessian", (v, [g0, g1], h), &want);
    let (v, g0, g1, hv0, hv1) = rosenbrock2_hvp(x[0], x[1], d[0], d[1]);
    assert_close("f_hvp value", v, want.0);
    assert_close("f_hvp ∂x", g0, want.1[0]);
    assert_close("f_hvp ∂y", g1, want.1[1]);
    let hv = product(&want.2, &d);
    assert_close("f_hvp (H·d)x", hv0, hv[0]);
    assert_close("f_hvp (H·d)y", hv1, hv[1]);
}

fn check_rosenbrock10(x: [f64; 10], d: [f64; 10]) {
    let want = hyper_dual_hessian(rosenbrock10_dual, &x, &mut [HyperDual64::from_re(0.0); 10]);
    assert_close("f", rosenbrock10(x), want.0);
    let (v, g) = rosenbrock10_grad(x);
    assert_close("f_grad value", v, want.0);
    for i in 0..10 {
        assert_close("f_grad", g[i], want.1[i]);
    }
    check("f_hessian", rosenbrock10_hessian(x), &want);
    let (v, g, hv) = rosenbrock10_hvp(x, d);
    assert_close("f_hvp value", v, want.0);
    let want_hv = product(&want.2, &d);
    for i in 0..10 {
        assert_close("f_hvp gradient", g[i], want.1[i]);
        assert_close("f_hvp H·d", hv[i], want_hv[i]);
    }
}

// ---------------------------------------------------------------------------
// The rows
// ---------------------------------------------------------------------------

const X2: [f64; 2] = [-1.2, 1.0];
const D2: [f64; 2] = [0.3, -0.7];

fn x10() -> [f64; 10] {
    std::array::from_fn(|i| {
        if i % 2 == 0 {
            -1.2 + 0.05 * i as f64
        } else {
            1.0
        }
    })
}

fn d10() -> [f64; 10] {
    std::array::from_fn(|i| 0.1 * i as f64 - 0.45)
}

/// One row: its function and its name.
type Row = (&'static str, &'static str, Box<dyn Fn()>);

/// Every row, as `(function, what, run once)`.
fn rows() -> Vec<Row> {
    let (x2, d2, x10, d10) = (X2, D2, x10(), d10());
    vec![
        (
            "rosenbrock 2-D",
            "f_grad",
            Box::new(move || {
                black_box(rosenbrock2_grad(black_box(x2[0]), black_box(x2[1])));
            }),
        ),
        (
            "rosenbrock 2-D",
            "f_hvp",
            Box::new(move || {
                black_box(rosenbrock2_hvp(
                    black_box(x2[0]),
                    black_box(x2[1]),
                    black_box(d2[0]),
                    black_box(d2[1]),
                ));
            }),
        ),
        (
            "rosenbrock 2-D",
            "f_hessian",
            Box::new(move || {
                black_box(rosenbrock2_hessian(black_box(x2[0]), black_box(x2[1])));
            }),
        ),
        (
            "rosenbrock 2-D",
            "num-dual",
            Box::new(move || {
                let mut args = [HyperDual64::from_re(0.0); 2];
                black_box(hyper_dual_hessian(
                    rosenbrock2_dual,
                    black_box(&x2),
                    &mut args,
                ));
            }),
        ),
        (
            "extended rosenbrock 10-D",
            "f_grad",
            Box::new(move || {
                black_box(rosenbrock10_grad(black_box(x10)));
            }),
        ),
        (
            "extended rosenbrock 10-D",
            "f_hvp",
            Box::new(move || {
                black_box(rosenbrock10_hvp(black_box(x10), black_box(d10)));
            }),
        ),
        (
            "extended rosenbrock 10-D",
            "f_hessian",
            Box::new(move || {
                black_box(rosenbrock10_hessian(black_box(x10)));
            }),
        ),
        (
            "extended rosenbrock 10-D",
            "num-dual",
            Box::new(move || {
                let mut args = [HyperDual64::from_re(0.0); 10];
                black_box(hyper_dual_hessian(
                    rosenbrock10_dual,
                    black_box(&x10),
                    &mut args,
                ));
            }),
        ),
    ]
}

fn bench_second_order(c: &mut Criterion) {
    check_rosenbrock2(X2, D2);
    check_rosenbrock2([0.7, -0.3], [1.0, 2.0]);
    check_rosenbrock10(x10(), d10());
    check_rosenbrock10([0.5; 10], [1.0; 10]);
    for (function, what, run) in rows() {
        let mut group = c.benchmark_group(function);
        group.sample_size(30);
        group.bench_function(what, |b| b.iter(&run));
        group.finish();
    }
}

criterion_group!(benches, bench_second_order);

/// Times every row in round-robin batches of about a millisecond each
/// (`rounds` rounds), and prints each row's median time per call and the
/// ratios.
fn interleaved(rounds: usize) {
    let rows = rows();
    let runs: Vec<&dyn Fn()> = rows.iter().map(|(_, _, run)| &**run).collect();
    let medians = interleaved::medians(&runs, rounds);
    println!("\ninterleaved: median ns per call over {rounds} rounds of ~1 ms batches");
    for (function, chunk) in rows.chunks(4).zip(medians.chunks(4)) {
        let name = function[0].0;
        let [grad, hvp, hessian, dual] = [chunk[0], chunk[1], chunk[2], chunk[3]];
        println!(
            "  {name:<30} f_grad {grad:8.1}  f_hvp {hvp:8.1}  f_hessian {hessian:8.1}  num-dual {dual:8.1}  \
             f_hvp/f_grad {:.1}×  num-dual/f_hessian {:.1}×",
            hvp / grad,
            dual / hessian
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
