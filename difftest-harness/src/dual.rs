//! What both oracles need of num-dual's dual numbers beyond `DualNum`: the
//! derivative parts ([`Parts`], for `Dual64`, hyper-dual numbers and plain
//! `f64`), and a count of the kinks and ties met ([`record_kink`],
//! [`take_kinks`]) so that the harness can skip those points. Only with the
//! feature `num-dual`.

use num_dual::{Dual64, HyperDual64};
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
    /// Whether `self` and `other` carry the same derivative parts, all of
    /// them for a number with several (a hyper-dual number's `ε₁`, `ε₂` and
    /// `ε₁ε₂`): at a tie of `max(a, b)` the conventions differ only if they
    /// do not. By default, [`tangent`](Parts::tangent)s compared.
    ///
    /// ```
    /// use autodiff_difftest_harness::dual::Parts;
    /// use num_dual::HyperDual64;
    ///
    /// let a = HyperDual64::new(1.0, 2.0, 3.0, 4.0);
    /// assert!(a.same_derivatives(&a.with_re(5.0)));
    /// assert!(!a.same_derivatives(&HyperDual64::new(1.0, 2.0, 3.0, 0.0)));
    /// ```
    fn same_derivatives(&self, other: &Self) -> bool {
        self.tangent() == other.tangent()
    }
    /// Whether any derivative part is non-zero (`abs` at 0 is a kink only
    /// then). By default, whether the [`tangent`](Parts::tangent) is.
    ///
    /// ```
    /// use autodiff_difftest_harness::dual::Parts;
    /// use num_dual::{Dual64, HyperDual64};
    ///
    /// assert!(!Dual64::new(0.0, 0.0).has_derivative());
    /// assert!(HyperDual64::new(0.0, 0.0, 0.0, 1.0).has_derivative());
    /// ```
    fn has_derivative(&self) -> bool {
        self.tangent() != 0.0
    }
}

impl Parts for Dual64 {
    fn tangent(&self) -> f64 {
        self.eps
    }
    fn with_re(self, re: f64) -> Self {
        Dual64::new(re, self.eps)
    }
}

/// A hyper-dual number `re + ε₁ eps1 + ε₂ eps2 + ε₁ε₂ eps1eps2`, the
/// second-order oracle: its tangent is the `ε₁` part; every part counts in
/// [`same_derivatives`](Parts::same_derivatives) and
/// [`has_derivative`](Parts::has_derivative).
///
/// ```
/// use autodiff_difftest_harness::dual::Parts;
/// use num_dual::HyperDual64;
///
/// let x = HyperDual64::new(2.0, 1.0, 0.5, 0.25);
/// assert_eq!(x.tangent(), 1.0);
/// let y = x.with_re(3.0);
/// assert_eq!((y.re, y.eps1, y.eps2, y.eps1eps2), (3.0, 1.0, 0.5, 0.25));
/// ```
impl Parts for HyperDual64 {
    fn tangent(&self) -> f64 {
        self.eps1
    }
    fn with_re(self, re: f64) -> Self {
        HyperDual64::new(re, self.eps1, self.eps2, self.eps1eps2)
    }
    fn same_derivatives(&self, other: &Self) -> bool {
        (self.eps1, self.eps2, self.eps1eps2) == (other.eps1, other.eps2, other.eps1eps2)
    }
    fn has_derivative(&self) -> bool {
        self.eps1 != 0.0 || self.eps2 != 0.0 || self.eps1eps2 != 0.0
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
