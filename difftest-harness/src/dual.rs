//! What both oracles need of num-dual's dual numbers beyond `DualNum`: the
//! derivative part ([`Parts`]), and a count of the kinks and ties met
//! ([`record_kink`], [`take_kinks`]) so that the harness can skip those
//! points. Only with the feature `num-dual`.

use num_dual::Dual64;
use std::cell::Cell;

thread_local! {
    static KINKS: Cell<u32> = const { Cell::new(0) };
}

/// Access to the parts of a dual number that `DualNum` does not give.
///
/// ```
/// use autodiff_difftest_harness::dual::Parts;
/// use num_dual::Dual64;
///
/// let x = Dual64::new(2.0, 1.0);
/// assert_eq!(x.tangent(), 1.0);
/// assert_eq!(x.with_re(3.0).re, 3.0);
/// assert_eq!(x.with_re(3.0).eps, 1.0);
/// ```
pub trait Parts: Copy {
    /// The derivative part, to tell whether a kink matters: at a tie of
    /// `max(a, b)` the conventions differ only if `a` and `b` carry
    /// different derivatives.
    fn tangent(&self) -> f64;
    /// The same derivative with the value `re`.
    #[must_use]
    fn with_re(self, re: f64) -> Self;
}

impl Parts for Dual64 {
    fn tangent(&self) -> f64 {
        self.eps
    }
    fn with_re(self, re: f64) -> Self {
        Dual64::new(re, self.eps)
    }
}

impl Parts for f64 {
    fn tangent(&self) -> f64 {
        0.0
    }
    fn with_re(self, re: f64) -> Self {
        re
    }
}

/// Records that the oracle met a kink or a tie: a point where the
/// conventions of a non-smooth operation (`abs` at 0, `max` of equal
/// inputs, a comparison of equal values, ...) are ambiguous.
pub fn record_kink() {
    KINKS.with(|k| k.set(k.get() + 1));
}

/// Number of kinks and ties recorded on this thread since the last call.
///
/// ```
/// use autodiff_difftest_harness::dual::{record_kink, take_kinks};
///
/// take_kinks();
/// record_kink();
/// record_kink();
/// assert_eq!(take_kinks(), 2);
/// assert_eq!(take_kinks(), 0);
/// ```
pub fn take_kinks() -> u32 {
    KINKS.with(|k| k.replace(0))
}
