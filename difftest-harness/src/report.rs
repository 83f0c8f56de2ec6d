//! What a differential run found ([`Report`]), and the assertions a test
//! binary makes on it.

use crate::compare::{close, scaled_error};

/// What a run found: counts, the largest error among the values that agree,
/// and one message per failure.
///
/// ```
/// use autodiff_difftest_harness::Report;
///
/// let mut r = Report::default();
/// assert!(r.compare(1.0, 1.0 + 1e-12, 1e-10));
/// assert!(!r.compare(1.0, 2.0, 1e-10));
/// assert!(r.skip(f64::NAN, 0));
/// assert!(!r.skip(1.0, 0));
/// assert_eq!((r.comparisons, r.skipped()), (2, 1));
/// assert!(r.summary().contains("2 comparisons"));
/// ```
#[derive(Default, Debug)]
pub struct Report {
    /// Functions checked.
    pub functions: usize,
    /// Points checked, skipped ones included.
    pub points: usize,
    /// Values compared (a value and each partial derivative count one each).
    pub comparisons: usize,
    /// Points skipped because the oracle's value is not finite.
    pub skipped_nonfinite: usize,
    /// Points skipped because the oracle met a kink or a tie, where the
    /// conventions of a non-smooth operation are ambiguous.
    pub skipped_kink: usize,
    /// Finite-difference check only: points skipped for a jump or a kink
    /// within the step.
    pub skipped_nonsmooth: usize,
    /// Largest [`scaled_error`] among the comparisons that agreed.
    pub max_scaled_error: f64,
    /// One message per failing point.
    pub failures: Vec<String>,
}

impl Report {
    /// An empty report of a run over `functions` functions.
    pub fn new(functions: usize) -> Report {
        Report {
            functions,
            ..Report::default()
        }
    }

    /// Points skipped, for any reason.
    pub fn skipped(&self) -> usize {
        self.skipped_nonfinite + self.skipped_kink + self.skipped_nonsmooth
    }

    /// Counts one comparison of `got` with `want`: whether they are
    /// [`close`] at `tol`; if so, their error joins `max_scaled_error`.
    pub fn compare(&mut self, got: f64, want: f64, tol: f64) -> bool {
        self.comparisons += 1;
        let ok = close(got, want, tol);
        if ok {
            self.max_scaled_error = self.max_scaled_error.max(scaled_error(got, want));
        }
        ok
    }

    /// Whether to skip a point where the oracle gave `value` after meeting
    /// `kinks` kinks or ties (counting the skip).
    pub fn skip(&mut self, value: f64, kinks: u32) -> bool {
        if !value.is_finite() {
            self.skipped_nonfinite += 1;
        } else if kinks > 0 {
            self.skipped_kink += 1;
        } else {
            return false;
        }
        true
    }

    /// One line: the counts and the largest error.
    pub fn summary(&self) -> String {
        format!(
            "{} functions, {} points, {} comparisons, {} failures; skipped {} points \
             ({} non-finite oracle value, {} at a kink or tie, {} non-smooth); \
             max |a-b|/max(1,|a|,|b|) = {:.3e}",
            self.functions,
            self.points,
            self.comparisons,
            self.failures.len(),
            self.skipped(),
            self.skipped_nonfinite,
            self.skipped_kink,
            self.skipped_nonsmooth,
            self.max_scaled_error
        )
    }

    /// Prints the summary after `title` and the first `shown` failures.
    pub fn print(&self, title: &str, shown: usize) {
        println!("{title}{}", self.summary());
        for f in self.failures.iter().take(shown) {
            println!("{f}");
        }
    }

    /// The test of the oracle's self-check: prints the report, then panics
    /// if the oracle disagreed with finite differences anywhere or if more
    /// than one point in `one_in` was skipped.
    ///
    /// ```
    /// use autodiff_difftest_harness::Report;
    ///
    /// let r = Report { points: 20, skipped_nonsmooth: 1, ..Report::default() };
    /// r.assert_oracle_matches_finite_differences(20);
    /// let r = Report { points: 19, skipped_nonsmooth: 1, ..Report::default() };
    /// assert!(std::panic::catch_unwind(|| r.assert_oracle_matches_finite_differences(20)).is_err());
    /// ```
    #[track_caller]
    pub fn assert_oracle_matches_finite_differences(&self, one_in: usize) {
        self.print("oracle vs finite differences: ", 10);
        assert!(
            self.failures.is_empty(),
            "the oracle disagrees with finite differences"
        );
        assert!(
            self.skipped() * one_in <= self.points,
            "too many points skipped (non-finite, at a kink or tie, or non-smooth): {} of {}",
            self.skipped(),
            self.points
        );
    }
}
