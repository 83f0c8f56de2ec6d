//! Comparing floats: the relative tolerance of both differential tests, and
//! the central finite differences their oracles are checked against.

/// `a` and `b` agree: `|a - b| <= tol * max(1, |a|, |b|)` (relative, absolute
/// near 0); NaN matches NaN and an infinity only itself.
///
/// ```
/// use autodiff_difftest_harness::close;
///
/// assert!(close(1e6, 1e6 + 1e-5, 1e-10)); // relative
/// assert!(close(1e-14, 0.0, 1e-10)); // absolute near 0
/// assert!(!close(1.0, 1.001, 1e-4));
/// assert!(close(f64::NAN, f64::NAN, 1e-10));
/// assert!(!close(f64::INFINITY, f64::MAX, 1e-10));
/// ```
pub fn close(a: f64, b: f64, tol: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a.is_infinite() || b.is_infinite() {
        return a == b;
    }
    (a - b).abs() <= tol * 1f64.max(a.abs()).max(b.abs())
}

/// `|a - b| / max(1, |a|, |b|)`, the error that [`close`] holds against its
/// tolerance (0 when `a == b`), for reporting.
///
/// ```
/// use autodiff_difftest_harness::scaled_error;
///
/// assert_eq!(scaled_error(4.0, 5.0), 0.2);
/// assert_eq!(scaled_error(0.25, 0.5), 0.25);
/// assert_eq!(scaled_error(f64::INFINITY, f64::INFINITY), 0.0);
/// ```
pub fn scaled_error(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else {
        (a - b).abs() / 1f64.max(a.abs()).max(b.abs())
    }
}

/// The derivative at `x` of the function of one variable `g`, by central
/// finite differences `d(h) = (g(x + h) - g(x - h)) / 2h` with Richardson
/// extrapolation: `(4 d(h/2) - d(h)) / 3`, with `h = 1e-5 * max(1, |x|)`.
///
/// `None` when `d(h)` and `d(h/2)` disagree by more than `1e-4` (as
/// [`close`]): a jump or a kink within the step, where no derivative can be
/// read off.
///
/// ```
/// use autodiff_difftest_harness::{close, richardson};
///
/// let d = richardson(|t| t.sin(), 0.5).unwrap();
/// assert!(close(d, 0.5f64.cos(), 1e-9));
/// assert_eq!(richardson(|t| t.floor(), 1.0), None);
/// ```
pub fn richardson(g: impl Fn(f64) -> f64, x: f64) -> Option<f64> {
    let h = 1e-5 * 1f64.max(x.abs());
    let central = |h: f64| (g(x + h) - g(x - h)) / (2.0 * h);
    let (d1, d2) = (central(h), central(h / 2.0));
    close(d1, d2, 1e-4).then(|| (4.0 * d2 - d1) / 3.0)
}
