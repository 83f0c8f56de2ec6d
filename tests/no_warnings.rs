//! Generated code raises no warnings in the user's crate, also when `f_grad`
//! is never called: this file denies them all, so it compiles only if that
//! holds. (`cargo clippy --all-targets -- -D warnings` in CI adds clippy's.)

#![deny(warnings, unused, missing_docs, clippy::all)]

use autodiff_core::grad;

#[grad]
fn never_differentiated(x: f64, y: f64, n: i32, _unused: f64) -> f64 {
    let mut s = x * y;
    s += x.powi(n);
    s.max(y)
}

#[grad]
fn f32_never_differentiated(x: f32) -> f32 {
    x.sqrt()
}

/// A public function with docs: the generated `f_grad` has docs too
/// (`missing_docs` is denied above).
#[grad]
pub fn documented(x: f64) -> f64 {
    x.exp()
}

#[test]
fn original_functions_still_work() {
    assert_eq!(never_differentiated(2.0, 3.0, 1, 0.0), 8.0);
    assert_eq!(f32_never_differentiated(4.0), 2.0);
    assert_eq!(documented(0.0), 1.0);
}
