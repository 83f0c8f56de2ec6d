//! Least-squares curve fitting with the Jacobian that `#[grad]` generates
//! for a function with several outputs: the model `y = a · exp(b · t)` fitted
//! to eight points by Gauss–Newton steps with Levenberg–Marquardt damping.

use autodiff_core::grad;

/// The times of the data.
pub const T: [f64; 8] = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5];

/// Measurements of `2.5 · exp(-0.7 t)` with a little noise.
pub const Y: [f64; 8] = [2.52, 1.76, 1.23, 0.87, 0.62, 0.43, 0.31, 0.21];

/// The residuals `a · exp(b · tᵢ) - yᵢ` of the parameters `p = [a, b]`:
/// `residuals_jacobian(p)` gives them and their 8 × 2 Jacobian.
#[grad]
pub fn residuals(p: [f64; 2]) -> [f64; 8] {
    let mut r = [0.0; 8];
    for i in 0..8 {
        r[i] = p[0] * (p[1] * T[i]).exp() - Y[i];
    }
    r
}

/// Half the sum of squared residuals.
pub fn cost(p: [f64; 2]) -> f64 {
    residuals(p).iter().map(|r| r * r).sum::<f64>() / 2.0
}

/// One iterate of the fit: the parameters and the cost there.
pub type Iterate = ([f64; 2], f64);

/// Levenberg–Marquardt from `p`: solves `(JᵀJ + λ diag(JᵀJ)) δ = -Jᵀr`
/// (a 2 × 2 system) at each step, halving `λ` after a step that lowers the
/// cost and multiplying it by 10 otherwise (`λ = 0` throughout is plain
/// Gauss–Newton). Stops when the step is below `tol`; returns the iterates.
pub fn levenberg_marquardt(mut p: [f64; 2], mut lambda: f64, tol: f64, max: usize) -> Vec<Iterate> {
    let mut path = vec![(p, cost(p))];
    for _ in 0..max {
        let (r, j) = residuals_jacobian(p);
        // J is given per parameter: j[k] is the residual k's gradient.
        let (mut a, mut g) = ([[0.0; 2]; 2], [0.0; 2]);
        for k in 0..8 {
            for u in 0..2 {
                g[u] += j[k][u] * r[k];
                for v in 0..2 {
                    a[u][v] += j[k][u] * j[k][v];
                }
            }
        }
        let (a00, a11) = (a[0][0] * (1.0 + lambda), a[1][1] * (1.0 + lambda));
        let det = a00 * a11 - a[0][1] * a[1][0];
        let step = [
            -(a11 * g[0] - a[0][1] * g[1]) / det,
            -(a00 * g[1] - a[1][0] * g[0]) / det,
        ];
        let next = [p[0] + step[0], p[1] + step[1]];
        if cost(next) < cost(p) {
            p = next;
            lambda *= 0.5;
            path.push((p, cost(p)));
        } else {
            lambda = (lambda * 10.0).max(1e-3);
        }
        if step[0].abs().max(step[1].abs()) < tol {
            break;
        }
    }
    path
}
