//! Checking a gradient against central finite differences: the tool for
//! testing a hand-written `g_grad` (a custom derivative) before `#[grad]`
//! functions build on it.

use core::fmt;

/// A gradient that disagrees with finite differences, as found by
/// [`check_gradient`].
#[derive(Clone, Debug, PartialEq)]
pub struct GradientMismatch {
    /// Which slot disagrees: `None` for the value, `Some(i)` for `∂/∂x_i`.
    pub slot: Option<usize>,
    /// The point where it was checked.
    pub at: Vec<f64>,
    /// What the gradient function returned.
    pub got: f64,
    /// What the function and its finite differences give.
    pub expected: f64,
}

impl fmt::Display for GradientMismatch {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.slot {
            None => write!(
                f,
                "the value at {:?} is {} but the function gives {}",
                self.at, self.got, self.expected
            ),
            Some(i) => write!(
                f,
                "∂/∂x{i} at {:?} is {} but central finite differences give {}",
                self.at, self.got, self.expected
            ),
        }
    }
}

impl std::error::Error for GradientMismatch {}

/// Checks `grad` (which returns the value and the gradient, as `f_grad`
/// does, with the partials in an array) against `f` and central finite
/// differences at the point `at`.
///
/// Each partial must agree within a relative tolerance of `1e-6` (absolute
/// near zero), the value within `1e-12`. The step is `1e-6 * max(1, |x_i|)`,
/// so the check suits smooth functions away from kinks.
///
/// # Examples
///
/// A hand-written derivative for a function `#[grad]` functions call:
///
/// ```
/// use autodiff_core::check_gradient;
///
/// /// `log(1 + exp(x))`, written so that it does not overflow.
/// fn softplus(x: f64) -> f64 {
///     x.max(0.0) + (-x.abs()).exp().ln_1p()
/// }
///
/// /// Its derivative, the logistic function: a custom `_grad`.
/// fn softplus_grad(x: f64) -> (f64, f64) {
///     (softplus(x), 1.0 / (1.0 + (-x).exp()))
/// }
///
/// for x in [-30.0, -1.0, 0.5, 20.0] {
///     check_gradient(
///         |[x]| softplus(x),
///         |[x]| {
///             let (v, d) = softplus_grad(x);
///             (v, [d])
///         },
///         [x],
///     )
///     .unwrap();
/// }
/// ```
///
/// A wrong derivative is caught:
///
/// ```
/// use autodiff_core::check_gradient;
///
/// let err = check_gradient(|[x, y]| x * y, |[x, y]| (x * y, [y, y]), [2.0, 3.0])
///     .unwrap_err();
/// assert_eq!(err.slot, Some(1));
/// ```
pub fn check_gradient<const N: usize>(
    f: impl Fn([f64; N]) -> f64,
    grad: impl Fn([f64; N]) -> (f64, [f64; N]),
    at: [f64; N],
) -> Result<(), GradientMismatch> {
    let (value, partials) = grad(at);
    let expected = f(at);
    let close = |a: f64, b: f64, tol: f64| (a - b).abs() <= tol * a.abs().max(b.abs()).max(1.0);
    if !close(value, expected, 1e-12) {
        return Err(GradientMismatch {
            slot: None,
            at: at.to_vec(),
            got: value,
            expected,
        });
    }
    for i in 0..N {
        let h = 1e-6 * at[i].abs().max(1.0);
        let (mut hi, mut lo) = (at, at);
        hi[i] += h;
        lo[i] -= h;
        let fd = (f(hi) - f(lo)) / (hi[i] - lo[i]);
        if !close(partials[i], fd, 1e-6) {
            return Err(GradientMismatch {
                slot: Some(i),
                at: at.to_vec(),
                got: partials[i],
                expected: fd,
            });
        }
    }
    Ok(())
}
