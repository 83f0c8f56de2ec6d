//! argmin, the Rust optimisation library, minimising `#[grad]` functions:
//! L-BFGS on the extended Rosenbrock function in 100 dimensions with the
//! gradient `rosenbrock_grad`, and Newton's method in 4 dimensions with the
//! Hessian `rosenbrock4_hessian`, both through argmin's problem traits
//! (`CostFunction`, `Gradient`, `Hessian`; see `common/argmin_problem.rs`).
//!
//! Run with `cargo run --example argmin_lbfgs`.

#[path = "common/argmin_problem.rs"]
mod argmin_problem;

use argmin::core::Error;
use argmin_problem::{lbfgs, newton, rosenbrock, rosenbrock_grad, rosenbrock4, rosenbrock4_grad};

/// The Euclidean norm.
fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn main() -> Result<(), Error> {
    // The classic start, (-1.2, 1) in every pair.
    let start: Vec<f64> = (0..100)
        .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
        .collect();
    let run = lbfgs(start.clone(), 1e-10, 500)?;
    println!(
        "L-BFGS (argmin, m = 7) on the extended Rosenbrock function, n = 100, from (-1.2, 1, …): f = {:.3e}",
        rosenbrock(&start)
    );
    println!("  step  f           |∇f|");
    println!(
        "  {:4}  {:.3e}   {:.3e}",
        0,
        rosenbrock(&start),
        norm(&rosenbrock_grad(&start).1)
    );
    for it in &run.path {
        let (f, g) = rosenbrock_grad(&it.x);
        println!("  {:4}  {f:.3e}   {:.3e}", it.iter + 1, norm(&g));
    }
    let (f, g) = rosenbrock_grad(&run.x);
    let err = run.x.iter().map(|x| (x - 1.0).abs()).fold(0.0, f64::max);
    println!(
        "  minimum after {} iterations: f = {f:.3e}, |∇f| = {:.3e}, max |xᵢ - 1| = {err:.3e}",
        run.path.len(),
        norm(&g)
    );

    let start = [-1.2, 1.0, -1.2, 1.0];
    let run = newton(start, 8)?;
    println!(
        "\nNewton's method (argmin) with rosenbrock4_hessian, n = 4, from {start:?}: f = {:.3e}",
        rosenbrock4(start)
    );
    println!("  step  f           |∇f|        x");
    let start_row = std::iter::once((0, start));
    let rows = run.path.iter().map(|it| {
        let x: [f64; 4] = it.x.as_slice().try_into().expect("4 coordinates");
        (it.iter + 1, x)
    });
    for (step, x) in start_row.chain(rows) {
        let (f, g) = rosenbrock4_grad(x);
        println!(
            "  {:4}  {f:.3e}   {:.3e}   ({:+.6}, {:+.6}, {:+.6}, {:+.6})",
            step,
            norm(&g),
            x[0],
            x[1],
            x[2],
            x[3]
        );
    }
    Ok(())
}
