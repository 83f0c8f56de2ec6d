//! User names that look like the macro's own temporaries (`__ad_v0`, …) still
//! mean what the user wrote: generated locals live at `Span::mixed_site()`.
//!
//! One collision cannot be avoided on stable Rust: a *constant* in scope named
//! exactly like a generated local (`__ad_v0`) turns the generated `let` into a
//! pattern; the README documents the `__ad_` prefix as reserved for constants.

// Some functions here are called only through their generated gradient,
// and loops index several arrays at once, as numeric code does.
#![allow(dead_code, clippy::needless_range_loop)]

use autodiff_core::grad;

#[allow(non_upper_case_globals)]
const __v0: f64 = 100.0;

#[grad]
fn clashing_names(__ad_v0: f64, __ad_v1: f64) -> f64 {
    let __ad_v2 = __ad_v0 * __ad_v1;
    let __ad_v3 = __v0;
    __ad_v2 + __ad_v3 + __v0
}

#[test]
fn user_names_like_generated_ones_work() {
    assert_eq!(clashing_names_grad(2.0, 3.0), (206.0, 3.0, 2.0));
}

mod shadowed_std {
    // Items named like what generated code uses do not capture it: generated
    // code calls `f64::max`, never a `max` in scope.
    #[allow(dead_code)]
    fn max(_: f64, _: f64) -> f64 {
        unreachable!()
    }

    #[autodiff_core::grad]
    pub fn uses_max(x: f64, y: f64) -> f64 {
        x.max(y) * f64::max(y, 0.0)
    }
}

#[test]
fn local_items_do_not_capture_generated_code() {
    assert_eq!(shadowed_std::uses_max_grad(3.0, 2.0), (6.0, 2.0, 3.0));
}
