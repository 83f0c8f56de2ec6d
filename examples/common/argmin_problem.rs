//! `#[grad]` functions as argmin problems (shared by
//! `examples/argmin_lbfgs.rs` and its test `tests/argmin_example.rs`).
//!
//! argmin asks a problem for its cost, gradient and Hessian through the
//! traits `CostFunction`, `Gradient` and `Hessian`; here each one calls the
//! function `#[grad]` wrote: `f`, `f_grad`, `f_hessian`. Parameters are
//! `Vec<f64>`, the type of argmin-math's `vec` backend.
//!
//! - [`lbfgs`]: L-BFGS (More–Thuente line search) on the extended Rosenbrock
//!   function over a slice of any length, with `rosenbrock_grad`.
//! - [`newton`]: Newton's method on the same function in 4 dimensions, with
//!   `rosenbrock4_hessian`. argmin's `Newton` inverts the Hessian
//!   (`ArgminInv`), which the `vec` backend does not implement for
//!   `Vec<Vec<f64>>`, so the Hessian is handed over as a [`Matrix`] that
//!   implements the inverse (Gauss–Jordan) and the product with a vector.

use std::sync::{Arc, Mutex};

use argmin::core::observers::{Observe, ObserverMode};
use argmin::core::{CostFunction, Error, Executor, Gradient, Hessian, KV, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::newton::Newton;
use argmin::solver::quasinewton::LBFGS;
use argmin_math::{ArgminDot, ArgminInv};
use autodiff_core::grad;

/// The extended Rosenbrock function: `Σ 100 (x₂ᵢ² - x₂ᵢ₊₁)² + (x₂ᵢ - 1)²`
/// over the pairs of `x` (a trailing odd coordinate does not count). Its
/// minimum is 0, at every coordinate 1.
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

/// The same function in 4 dimensions, for `f_hessian` (which needs a
/// fixed-size parameter).
#[grad(hessian)]
pub fn rosenbrock4(x: [f64; 4]) -> f64 {
    let mut s = 0.0;
    for i in 0..2 {
        let a = x[2 * i];
        let b = x[2 * i + 1];
        let t = a * a - b;
        let u = a - 1.0;
        s += 100.0 * t * t + u * u;
    }
    s
}

/// The extended Rosenbrock problem, any dimension: cost `rosenbrock`,
/// gradient `rosenbrock_grad`.
pub struct ExtendedRosenbrock;

impl CostFunction for ExtendedRosenbrock {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
        Ok(rosenbrock(x))
    }
}

impl Gradient for ExtendedRosenbrock {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
        Ok(rosenbrock_grad(x).1)
    }
}

/// The 4-dimensional problem: cost `rosenbrock4`, gradient and Hessian
/// from `rosenbrock4_hessian`.
pub struct Rosenbrock4;

/// A parameter of [`Rosenbrock4`] as the array `rosenbrock4` takes.
fn array4(x: &[f64]) -> Result<[f64; 4], Error> {
    x.try_into()
        .map_err(|_| Error::msg(format!("expected 4 coordinates, got {}", x.len())))
}

impl CostFunction for Rosenbrock4 {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
        Ok(rosenbrock4(array4(x)?))
    }
}

impl Gradient for Rosenbrock4 {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
        Ok(rosenbrock4_grad(array4(x)?).1.to_vec())
    }
}

impl Hessian for Rosenbrock4 {
    type Param = Vec<f64>;
    type Hessian = Matrix<4>;

    fn hessian(&self, x: &Vec<f64>) -> Result<Matrix<4>, Error> {
        let (_, _, h) = rosenbrock4_hessian(array4(x)?);
        Ok(Matrix(h))
    }
}

/// An `N × N` matrix, row-major, as `f_hessian` returns it, with what
/// argmin's Newton method needs of a Hessian: its inverse and its product
/// with a vector.
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix<const N: usize>(pub [[f64; N]; N]);

impl<const N: usize> ArgminInv<Matrix<N>> for Matrix<N> {
    /// Gauss–Jordan elimination with partial pivoting; an error if the
    /// matrix is singular (a zero pivot).
    fn inv(&self) -> Result<Matrix<N>, Error> {
        let mut a = self.0;
        let mut inv = [[0.0; N]; N];
        for (i, row) in inv.iter_mut().enumerate() {
            row[i] = 1.0;
        }
        for col in 0..N {
            let pivot = (col..N)
                .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
                .expect("a column below the diagonal");
            if a[pivot][col] == 0.0 {
                return Err(Error::msg("singular matrix"));
            }
            a.swap(col, pivot);
            inv.swap(col, pivot);
            let p = a[col][col];
            for k in 0..N {
                a[col][k] /= p;
                inv[col][k] /= p;
            }
            for row in 0..N {
                if row != col {
                    let m = a[row][col];
                    for k in 0..N {
                        a[row][k] -= m * a[col][k];
                        inv[row][k] -= m * inv[col][k];
                    }
                }
            }
        }
        Ok(Matrix(inv))
    }
}

impl<const N: usize> ArgminDot<Vec<f64>, Vec<f64>> for Matrix<N> {
    /// The product `M · v`.
    fn dot(&self, v: &Vec<f64>) -> Vec<f64> {
        self.0
            .iter()
            .map(|row| row.iter().zip(v).map(|(m, x)| m * x).sum())
            .collect()
    }
}

/// One iterate of a run: argmin's iteration number and its parameter.
#[derive(Clone, Debug)]
pub struct Iterate {
    /// argmin's iteration counter: 0 for the point after the first step.
    pub iter: u64,
    /// The parameter at the end of that iteration.
    pub x: Vec<f64>,
}

/// An argmin observer that records every iterate into a shared list.
struct Recorder(Arc<Mutex<Vec<Iterate>>>);

impl<I: State<Param = Vec<f64>>> Observe<I> for Recorder {
    fn observe_iter(&mut self, state: &I, _kv: &KV) -> Result<(), Error> {
        if let Some(x) = state.get_param() {
            let mut path = self.0.lock().expect("the recorder's lock");
            path.push(Iterate {
                iter: state.get_iter(),
                x: x.clone(),
            });
        }
        Ok(())
    }
}

/// A finished run: the iterates in order, and the final parameter.
#[derive(Clone, Debug)]
pub struct Run {
    /// Every iterate, the first step's result first.
    pub path: Vec<Iterate>,
    /// The final parameter (argmin's best one).
    pub x: Vec<f64>,
}

/// Minimises the extended Rosenbrock function with argmin's L-BFGS (history
/// of 7 pairs, More–Thuente line search) from `x0`, until the gradient's
/// norm is below `tol` or after `max_iters` iterations.
pub fn lbfgs(x0: Vec<f64>, tol: f64, max_iters: u64) -> Result<Run, Error> {
    let path = Arc::new(Mutex::new(Vec::new()));
    let line_search = MoreThuenteLineSearch::new();
    let solver = LBFGS::new(line_search, 7)
        .with_tolerance_grad(tol)?
        .with_tolerance_cost(0.0)?;
    let result = Executor::new(ExtendedRosenbrock, solver)
        .configure(|state| state.param(x0).max_iters(max_iters))
        .add_observer(Recorder(Arc::clone(&path)), ObserverMode::Always)
        .run()?;
    let x = result
        .state()
        .get_best_param()
        .cloned()
        .ok_or_else(|| Error::msg("no best parameter"))?;
    let path = path.lock().expect("the recorder's lock").clone();
    Ok(Run { path, x })
}

/// Minimises `rosenbrock4` with argmin's Newton method (full steps) from
/// `x0`, for `iters` iterations; the Hessian is `rosenbrock4_hessian`'s.
/// argmin's `Newton` has no stopping test of its own (it never evaluates
/// the cost): once at the minimum, its steps are zero.
pub fn newton(x0: [f64; 4], iters: u64) -> Result<Run, Error> {
    let path = Arc::new(Mutex::new(Vec::new()));
    let result = Executor::new(Rosenbrock4, Newton::<f64>::new())
        .configure(|state| state.param(x0.to_vec()).max_iters(iters))
        .add_observer(Recorder(Arc::clone(&path)), ObserverMode::Always)
        .run()?;
    let x = result
        .state()
        .get_param()
        .cloned()
        .ok_or_else(|| Error::msg("no parameter"))?;
    let path = path.lock().expect("the recorder's lock").clone();
    Ok(Run { path, x })
}
