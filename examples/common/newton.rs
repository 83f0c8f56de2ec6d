//! Newton's method and gradient descent on the Rosenbrock function, with the
//! Hessian and gradient that `#[grad(hessian)]` writes (shared by
//! `examples/newton.rs` and its test).

use autodiff_core::grad;

/// The Rosenbrock function in two dimensions: a curved valley with its
/// minimum 0 at (1, 1), the classic test of optimisers.
#[grad(hessian)]
pub fn rosenbrock(p: [f64; 2]) -> f64 {
    let a = 1.0 - p[0];
    let b = p[1] - p[0] * p[0];
    a * a + 100.0 * b * b
}

/// Solves the 2×2 system `h · s = g` (Cramer's rule).
fn solve(h: [[f64; 2]; 2], g: [f64; 2]) -> [f64; 2] {
    let det = h[0][0] * h[1][1] - h[0][1] * h[1][0];
    [
        (g[0] * h[1][1] - h[0][1] * g[1]) / det,
        (h[0][0] * g[1] - g[0] * h[1][0]) / det,
    ]
}

/// Newton's method from `p`: the iterates' values until the gradient's norm
/// is below `tol` (at most `max` steps).
pub fn newton(mut p: [f64; 2], tol: f64, max: usize) -> Vec<([f64; 2], f64)> {
    let mut path = Vec::new();
    for _ in 0..max {
        let (value, g, h) = rosenbrock_hessian(p);
        path.push((p, value));
        if g[0].hypot(g[1]) < tol {
            break;
        }
        let s = solve(h, g);
        p = [p[0] - s[0], p[1] - s[1]];
    }
    path
}

/// Gradient descent with a fixed step from `p`: the iterates' values.
pub fn gradient_descent(mut p: [f64; 2], step: f64, tol: f64, max: usize) -> Vec<([f64; 2], f64)> {
    let mut path = Vec::new();
    for _ in 0..max {
        let (value, g) = rosenbrock_grad(p);
        path.push((p, value));
        if g[0].hypot(g[1]) < tol {
            break;
        }
        p = [p[0] - step * g[0], p[1] - step * g[1]];
    }
    path
}
