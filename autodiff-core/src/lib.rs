//! Compile-time reverse-mode automatic differentiation for Rust.
//!
//! Mark a function that computes a float with [`macro@grad`] and it gains a
//! sibling `f_grad` that returns the value **and** every partial derivative,
//! computed by a reverse sweep (backpropagation) that the macro wrote out as
//! plain Rust at compile time: no tape, no dual numbers, no runtime graph.
//!
//! ```
//! use autodiff_core::grad;
//!
//! #[grad]
//! pub fn circuit(x: f64, y: f64, z: f64) -> f64 {
//!     let q = x + y;
//!     q * z
//! }
//!
//! let (value, dx, dy, dz) = circuit_grad(-2.0, 5.0, -4.0);
//! assert_eq!((value, dx, dy, dz), (-12.0, -4.0, -4.0, 3.0));
//! ```
//!
//! # Conventions at non-differentiable points
//!
//! They follow PyTorch and JAX:
//!
//! | where | derivative |
//! | --- | --- |
//! | `a.max(b)`, `a.min(b)` at a tie `a == b` | ½ to each input |
//! | `a.max(b)` with one NaN input | all to the other input (the one `max` returns) |
//! | `x.clamp(lo, hi)` at `x == lo` or `x == hi` | ½ to `x`, ½ to the bound |
//! | `x.abs()` at 0 | 0 |
//! | `signum`, `floor`, `ceil`, `round`, `trunc` | 0 everywhere |
//! | `fract` | 1 everywhere |
//! | `x.powi(0)`, `x.powf(0.0)` in `x` | 0 (also at `x = 0`) |
//! | `x.powf(y)` in `y` at `x = 0`, `y >= 0` | 0 |
//! | `x.hypot(y)` at the origin | 0 |
//! | `x.copysign(y)` | `sign(x) * signum(y)` in `x` (0 at `x = 0`), 0 in `y` |
//! | conditions of `if`/`while` | no gradient |
//!
//! Elsewhere NaN and infinity propagate as the std functions make them:
//! `x.sqrt()` at 0 has derivative `+inf`, `x.ln()` at 0 has `+inf`, and so on.

pub use autodiff_macro::{Differentiable, grad};

mod differentiable;
pub use differentiable::{Differentiable, Real};

mod check;
pub use check::{GradientMismatch, check_gradient};

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

mod graph;
pub use graph::{Graph, Node};

/// The README's examples, compiled and run as doctests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
