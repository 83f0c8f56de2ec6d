//! Fitting a physical model's parameters to data: a damped spring
//! `x'' = -k x - c x'` started at `(x0, v0)`, simulated with semi-implicit
//! Euler steps, and its four parameters recovered from noisy positions by
//! minimising the squared misfit with Adam.
//!
//! The parameters are one struct, `Spring`, that derives `Differentiable`;
//! `#[grad]` on `misfit(p: &Spring, ..)` returns the misfit's gradient as
//! another `Spring`, and the Adam step works on the struct's float slots
//! (`slots`, `visit_mut`), whatever fields it has.
//!
//! Run with `cargo run --example spring_fit`.

use autodiff_core::{Differentiable, grad};

/// A damped spring: stiffness, damping, initial position and velocity.
#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Spring {
    k: f64,
    c: f64,
    x0: f64,
    v0: f64,
}

/// Time step of the simulation.
const DT: f64 = 0.05;

/// Positions of the spring at steps `1..=n`.
fn simulate(p: &Spring, n: usize) -> Vec<f64> {
    let (mut x, mut v) = (p.x0, p.v0);
    (0..n)
        .map(|_| {
            v += (-p.k * x - p.c * v) * DT;
            x += v * DT;
            x
        })
        .collect()
}

/// Sum of squared differences between the simulated positions and `data`
/// (the same simulation as [`simulate`], written as a loop `#[grad]` reads).
#[grad(wrt(p))]
fn misfit(p: &Spring, data: &[f64]) -> f64 {
    let mut x = p.x0;
    let mut v = p.v0;
    let mut err = 0.0;
    for &obs in data.iter() {
        v += (-p.k * x - p.c * v) * DT;
        x += v * DT;
        let d = x - obs;
        err += d * d;
    }
    err
}

/// Adam's state: first and second moment estimates per slot.
struct Adam {
    m: Vec<f64>,
    v: Vec<f64>,
    t: i32,
}

impl Adam {
    fn new(slots: usize) -> Self {
        Adam {
            m: vec![0.0; slots],
            v: vec![0.0; slots],
            t: 0,
        }
    }

    /// One Adam step of `p` along its gradient `g`.
    fn step<P: Differentiable<Float = f64>>(&mut self, p: &mut P, g: &P, lr: f64) {
        let (b1, b2, eps) = (0.9, 0.999, 1e-12);
        self.t += 1;
        let g = g.slots();
        for ((m, v), g) in self.m.iter_mut().zip(&mut self.v).zip(&g) {
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
        }
        let (c1, c2) = (1.0 - b1.powi(self.t), 1.0 - b2.powi(self.t));
        let mut i = 0;
        p.visit_mut(&mut |s| {
            *s -= lr * (self.m[i] / c1) / ((self.v[i] / c2).sqrt() + eps);
            i += 1;
        });
    }
}

fn main() {
    let truth = Spring {
        k: 4.0,
        c: 0.3,
        x0: 1.0,
        v0: -0.5,
    };
    // Noisy observations: a small deterministic wobble.
    let data: Vec<f64> = simulate(&truth, 200)
        .iter()
        .enumerate()
        .map(|(i, x)| x + 1e-3 * (i as f64 * 12.9898).sin())
        .collect();

    let mut p = Spring {
        k: 2.5,
        c: 0.05,
        x0: 0.5,
        v0: 0.0,
    };
    let mut adam = Adam::new(p.slot_count());
    let initial = misfit(&p, &data);
    for it in 0..=1000 {
        let (err, g) = misfit_grad(&p, &data);
        if it % 200 == 0 {
            println!(
                "step {it:4}: misfit {err:.3e}, k {:.4}, c {:.4}, x0 {:.4}, v0 {:.4}",
                p.k, p.c, p.x0, p.v0
            );
        }
        adam.step(&mut p, &g, 0.02);
    }
    let err = misfit(&p, &data);
    println!("misfit {initial:.3e} -> {err:.3e}; true parameters {truth:?}");
    for (got, want) in p.slots().iter().zip(truth.slots()) {
        assert!((got - want).abs() < 1e-2, "fitted {p:?}, true {truth:?}");
    }
    println!("ok");
}
