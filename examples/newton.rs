//! Newton's method on the Rosenbrock function with the Hessian that
//! `#[grad(hessian)]` generates (`rosenbrock_hessian`), compared with plain
//! gradient descent on the gradient (`rosenbrock_grad`).
//!
//! Run with `cargo run --example newton`.

#[path = "common/newton.rs"]
mod newton;

fn main() {
    let start = [-1.2, 1.0];
    let path = newton::newton(start, 1e-10, 50);
    println!(
        "Newton's method from {start:?} (f = {}):",
        newton::rosenbrock(start)
    );
    for (k, (p, v)) in path.iter().enumerate() {
        println!("  {k:2}  x = ({:+.6}, {:+.6})  f = {v:.3e}", p[0], p[1]);
    }
    let descent = newton::gradient_descent(start, 1e-3, 1e-10, 100_000);
    let (p, v) = descent.last().expect("a step");
    println!(
        "Gradient descent (step 1e-3) from {start:?}: {} steps to x = ({:+.6}, {:+.6}), f = {v:.3e}",
        descent.len(),
        p[0],
        p[1]
    );
}
