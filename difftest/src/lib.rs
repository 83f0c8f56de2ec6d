//! Differential test of `#[grad]` against num-dual on generated functions.
//!
//! `build.rs` generates random functions, each twice: once as a `#[grad]`
//! function over `f64` (with `forward` and `hessian`),
//! once generic over num-dual's `DualNum` (the oracle, which shares no code
//! with the macro). The test binaries `tests/differential_<s>.rs` include
//! one shard each of the generated code and call [`check_against_oracle`],
//! [`check_oracle_by_finite_differences`], [`check_forward_mode`],
//! [`check_second_order`] and
//! [`check_second_order_oracle_by_finite_differences`], and for the
//! vector-valued functions `vgen_<i>` ([`VCase`]: `f_jacobian`, `f_vjp`,
//! `f_jvp`) [`check_jacobian`], [`check_vjp`], [`check_vector_jvp`] and
//! [`check_vector_oracle_by_finite_differences`];
//! this crate holds the oracle's hand-written operations ([`oracle`]) and the
//! checking specific to these functions. What it shares with `difftest-loops`
//! ([`Report`], the comparison `close`, the finite differences, the oracle's
//! [`Parts`](oracle::Parts)) is in `autodiff-difftest-harness`
//! (`difftest-harness/`). See `README.md`.
//!
//! Run: `cargo test -p autodiff-difftest --no-fail-fast -- --nocapture`; a long
//! run: `AUTODIFF_DIFFTEST_N=20000 cargo test -p autodiff-difftest --no-fail-fast`.

pub use autodiff_difftest_harness::Report;
use autodiff_difftest_harness::{richardson, scaled_error};
use num_dual::{Dual64, HyperDual64};
use std::fmt::Write as _;

/// Relative tolerance: `|a - b| <= TOL * max(1, |a|, |b|)`.
pub const TOL: f64 = 1e-10;
/// Relative tolerance of forward mode (`f_jvp`) and of the values and
/// gradients that `f_hvp` and `f_hessian` return.
pub const JVP_TOL: f64 = 1e-9;
/// Relative tolerance of second derivatives (`f_hvp`'s `H·d`, `f_hessian`'s
/// entries) against hyper-dual numbers.
pub const SECOND_TOL: f64 = 1e-8;
/// Relative tolerance of the hyper-dual oracle's Hessian against central
/// finite differences of the dual-number oracle's gradient.
pub const FD_SECOND_TOL: f64 = 1e-5;
/// Fail when more than this fraction of points is skipped.
pub const MAX_SKIP_FRACTION: f64 = 0.01;
/// Relative tolerance of the oracle's self-check by finite differences.
pub const FD_TOL: f64 = 1e-6;
/// Relative tolerance of a generic function's `f32` instance (value and
/// partials) against its `f64` instance (issue 12).
pub const F32_TOL: f64 = 1e-3;
/// A point is ill-conditioned at `f32` (and skipped) when the `f32` value
/// differs from the `f64` value by more than this (relative).
pub const F32_CONDITION: f64 = 1e-4;
/// Fail the `f32` check when more than this fraction of points is skipped.
pub const F32_MAX_SKIP_FRACTION: f64 = 0.05;

/// Operations the oracle builds by hand, because num-dual lacks them, because
/// num-dual's convention differs from `f64`'s (`signum(0.0)`), or to give
/// num-dual's derivative `f64`'s exact value (`tan`, `tanh`, `powi`, ...).
///
/// Every function here is written from the mathematical definition and the
/// conventions of the issue: `abs' = ±1`; `signum`, `floor`, `ceil`, `round`,
/// `trunc` have derivative 0; `fract' = 1`; `max`/`min` route the gradient to
/// the larger/smaller input; `clamp` routes to `x` strictly inside `(lo, hi)`
/// and to the active bound outside; `copysign(x, y)` has `∂/∂x = sgn x sgn y`
/// and `∂/∂y = 0`. At a tie or a zero, where those conventions are
/// ambiguous, the function records a *kink* and the harness skips the point.
pub mod oracle {
    pub use autodiff_difftest_harness::dual::{Parts, take_kinks};
    use num_dual::DualNum;

    /// Records a kink (see the module docs).
    fn kink() {
        autodiff_difftest_harness::dual::record_kink();
    }

    /// A constant.
    pub fn c<D: DualNum<Primitive = f64>>(v: f64) -> D {
        D::from(v)
    }

    fn constant<D: DualNum<Primitive = f64>>(v: f64) -> D {
        D::from(v)
    }

    /// `|a|` (num-dual's, derivative `±1`).
    pub fn abs<D: DualNum<Primitive = f64> + Copy + Parts>(a: D) -> D {
        if a.re() == 0.0 && a.has_derivative() {
            kink();
        }
        a.abs()
    }

    /// `max(a, b)`: the larger input, with its derivative.
    pub fn max<D: DualNum<Primitive = f64> + Copy + Parts>(a: D, b: D) -> D {
        if a.re() == b.re() && !a.same_derivatives(&b) {
            kink();
        }
        if a.re() > b.re() { a } else { b }
    }

    /// `min(a, b)`: the smaller input, with its derivative.
    pub fn min<D: DualNum<Primitive = f64> + Copy + Parts>(a: D, b: D) -> D {
        if a.re() == b.re() && !a.same_derivatives(&b) {
            kink();
        }
        if a.re() < b.re() { a } else { b }
    }

    /// `clamp(x, lo, hi)`: `x` strictly inside, else the active bound.
    pub fn clamp<D: DualNum<Primitive = f64> + Copy + Parts>(x: D, lo: D, hi: D) -> D {
        assert!(
            lo.re() <= hi.re(),
            "generator bug: clamp bounds out of order"
        );
        if (x.re() == lo.re() && !x.same_derivatives(&lo))
            || (x.re() == hi.re() && !x.same_derivatives(&hi))
        {
            kink();
        }
        if x.re() < lo.re() {
            lo
        } else if x.re() > hi.re() {
            hi
        } else {
            x
        }
    }

    /// Within this (relative) distance of a jump, a cast or a comparison
    /// counts a kink: an ulp of difference between the oracle's value and
    /// `f64`'s could pick the other side.
    const NEAR: f64 = 1e-9;

    fn near(x: f64, y: f64) -> bool {
        (x - y).abs() <= NEAR * 1f64.max(x.abs()).max(y.abs())
    }

    /// The value of a float about to be cast to an integer (`e as i32`,
    /// `as i64`, `as usize`). The cast is flat between the integers (no
    /// derivative) and jumps at them: a value with a derivative within
    /// [`NEAR`] of an integer is a kink.
    pub fn cast_arg<D: DualNum<Primitive = f64> + Copy + Parts>(a: D) -> f64 {
        let v = a.re();
        if a.has_derivative() && near(v, v.round()) {
            kink();
        }
        v
    }

    /// `a > b` on the values; a near tie of different derivatives is a kink.
    pub fn gt<D: DualNum<Primitive = f64> + Copy + Parts>(a: D, b: D) -> bool {
        tie(a, b);
        a.re() > b.re()
    }

    /// `a < b` on the values; a near tie of different derivatives is a kink.
    pub fn lt<D: DualNum<Primitive = f64> + Copy + Parts>(a: D, b: D) -> bool {
        tie(a, b);
        a.re() < b.re()
    }

    fn tie<D: DualNum<Primitive = f64> + Copy + Parts>(a: D, b: D) {
        if near(a.re(), b.re()) && !(a.re() == b.re() && a.same_derivatives(&b)) {
            kink();
        }
    }

    /// `signum` as `f64` defines it (`signum(0.0) == 1.0`), derivative 0.
    pub fn signum<D: DualNum<Primitive = f64> + Copy + Parts>(a: D) -> D {
        constant(a.re().signum())
    }

    /// `floor`, derivative 0.
    pub fn floor<D: DualNum<Primitive = f64> + Copy + Parts>(a: D) -> D {
        constant(a.re().floor())
    }

    /// `ceil`, derivative 0.
    pub fn ceil<D: DualNum<Primitive = f64> + Copy + Parts>(a: D) -> D {
        constant(a.re().ceil())
    }

    /// `round`, derivative 0.
    pub fn round<D: DualNum<Primitive = f64> + Copy + Parts>(a: D) -> D {
        constant(a.re().round())
    }

    /// `trunc`, derivative 0.
    pub fn trunc<D: DualNum<Primitive = f64> + Copy + Parts>(a: D) -> D {
        constant(a.re().trunc())
    }

    /// `fract(a) = a - trunc(a)`, derivative 1.
    pub fn fract<D: DualNum<Primitive = f64> + Copy + Parts>(a: D) -> D {
        a - constant::<D>(a.re().trunc())
    }

    /// `hypot(a, b) = sqrt(a² + b²)`, with `f64::hypot`'s value.
    pub fn hypot<D: DualNum<Primitive = f64> + Copy + Parts>(a: D, b: D) -> D {
        if a.re() == 0.0 && b.re() == 0.0 && (a.has_derivative() || b.has_derivative()) {
            kink();
        }
        (a * a + b * b).sqrt().with_re(a.re().hypot(b.re()))
    }

    /// `copysign(a, b)`: `|a|` with the sign of `b`, i.e. `a` when their
    /// sign bits agree, else `-a`; so `∂/∂a = a.signum() * b.signum()` with
    /// `f64::signum`'s convention at `±0.0` (no kink).
    pub fn copysign<D: DualNum<Primitive = f64> + Copy + Parts>(a: D, b: D) -> D {
        if a.re().is_sign_negative() == b.re().is_sign_negative() {
            a
        } else {
            -a
        }
    }

    /// `to_degrees(a) = a * (180 / π)`.
    pub fn to_degrees<D: DualNum<Primitive = f64> + Copy + Parts>(a: D) -> D {
        a * (180.0 / std::f64::consts::PI)
    }

    /// `to_radians(a) = a * (π / 180)`.
    pub fn to_radians<D: DualNum<Primitive = f64> + Copy + Parts>(a: D) -> D {
        a * (std::f64::consts::PI / 180.0)
    }

    /// `atan2(y, x)`: num-dual's, except at `x == 0` where num-dual divides
    /// by zero (NaN derivative); there `atan2(y, x) = atan2(y, 0) - atan(x / y)`.
    pub fn atan2<D: DualNum<Primitive = f64> + Copy + Parts>(y: D, x: D) -> D {
        if x.re() == 0.0 {
            if y.re() == 0.0 && (x.has_derivative() || y.has_derivative()) {
                kink();
            }
            constant::<D>(y.re().atan2(x.re())) - (x / y).atan()
        } else {
            y.atan2(x)
        }
    }

    // num-dual computes the values of these ops in its own way (`tan` as
    // `sin / cos`, `tanh` as `sinh / cosh`, `powi`/`powf` as
    // `x^(n-3) * x * x * x`, `powd` as `exp(b ln a)`, `mul_add` unfused).
    // An ulp of difference can flip a later `floor` or `max` (`tanh(21.9)`
    // is exactly 1.0 in f64 but not as `sinh / cosh`), so these take
    // num-dual's derivative with f64's own value.

    /// `tan`: num-dual's derivative, `f64::tan`'s value.
    pub fn tan<D: DualNum<Primitive = f64> + Copy + Parts>(a: D) -> D {
        a.tan().with_re(a.re().tan())
    }

    /// `tanh`: num-dual's derivative, `f64::tanh`'s value.
    pub fn tanh<D: DualNum<Primitive = f64> + Copy + Parts>(a: D) -> D {
        a.tanh().with_re(a.re().tanh())
    }

    /// `powi`: num-dual's derivative, `f64::powi`'s value.
    pub fn powi<D: DualNum<Primitive = f64> + Copy + Parts>(a: D, n: i32) -> D {
        a.powi(n).with_re(a.re().powi(n))
    }

    /// `powf` with a constant exponent: num-dual's derivative, `f64::powf`'s value.
    pub fn powf<D: DualNum<Primitive = f64> + Copy + Parts>(a: D, q: f64) -> D {
        a.powf(q).with_re(a.re().powf(q))
    }

    /// `powf` with a dual exponent: num-dual's `powd` derivative, `f64::powf`'s value.
    pub fn powd<D: DualNum<Primitive = f64> + Copy + Parts>(a: D, q: D) -> D {
        a.powd(q).with_re(a.re().powf(q.re()))
    }

    /// `mul_add`: num-dual's derivative, `f64::mul_add`'s (fused) value.
    pub fn mul_add<D: DualNum<Primitive = f64> + Copy + Parts>(a: D, b: D, c: D) -> D {
        a.mul_add(b, c).with_re(a.re().mul_add(b.re(), c.re()))
    }

    /// `a.log(b)` for a non-constant base: `ln a / ln b`.
    pub fn log_var<D: DualNum<Primitive = f64> + Copy + Parts>(a: D, b: D) -> D {
        a.ln() / b.ln()
    }
}

/// `f_grad` of a function of 1, 2, 3 or 4 parameters.
pub type Grad1 = fn(f64) -> (f64, f64);
pub type Grad2 = fn(f64, f64) -> (f64, f64, f64);
pub type Grad3 = fn(f64, f64, f64) -> (f64, f64, f64, f64);
pub type Grad4 = fn(f64, f64, f64, f64) -> (f64, f64, f64, f64, f64);

/// The three versions of one generated function, by number of parameters:
/// the function as written, its `f_grad`, and the oracle at `Dual64`.
#[derive(Clone, Copy)]
pub enum Fns {
    P1(fn(f64) -> f64, Grad1, fn(Dual64) -> Dual64),
    P2(fn(f64, f64) -> f64, Grad2, fn(Dual64, Dual64) -> Dual64),
    P3(
        fn(f64, f64, f64) -> f64,
        Grad3,
        fn(Dual64, Dual64, Dual64) -> Dual64,
    ),
    P4(
        fn(f64, f64, f64, f64) -> f64,
        Grad4,
        fn(Dual64, Dual64, Dual64, Dual64) -> Dual64,
    ),
}

impl Fns {
    pub fn arity(&self) -> usize {
        match self {
            Fns::P1(..) => 1,
            Fns::P2(..) => 2,
            Fns::P3(..) => 3,
            Fns::P4(..) => 4,
        }
    }

    /// The function as written (left unchanged by `#[grad]`).
    pub fn plain(&self, p: &[f64]) -> f64 {
        match *self {
            Fns::P1(f, ..) => f(p[0]),
            Fns::P2(f, ..) => f(p[0], p[1]),
            Fns::P3(f, ..) => f(p[0], p[1], p[2]),
            Fns::P4(f, ..) => f(p[0], p[1], p[2], p[3]),
        }
    }

    /// `f_grad`: value and partials.
    pub fn grad(&self, p: &[f64]) -> (f64, Vec<f64>) {
        match *self {
            Fns::P1(_, g, _) => {
                let r = g(p[0]);
                (r.0, vec![r.1])
            }
            Fns::P2(_, g, _) => {
                let r = g(p[0], p[1]);
                (r.0, vec![r.1, r.2])
            }
            Fns::P3(_, g, _) => {
                let r = g(p[0], p[1], p[2]);
                (r.0, vec![r.1, r.2, r.3])
            }
            Fns::P4(_, g, _) => {
                let r = g(p[0], p[1], p[2], p[3]);
                (r.0, vec![r.1, r.2, r.3, r.4])
            }
        }
    }

    /// The oracle at `Dual64` numbers `x`.
    pub fn oracle_at(&self, x: &[Dual64]) -> Dual64 {
        match *self {
            Fns::P1(.., o) => o(x[0]),
            Fns::P2(.., o) => o(x[0], x[1]),
            Fns::P3(.., o) => o(x[0], x[1], x[2]),
            Fns::P4(.., o) => o(x[0], x[1], x[2], x[3]),
        }
    }

    /// The oracle: one forward-mode pass per direction with `Dual64` seeded
    /// on that parameter. Returns the value, the partials and the number of
    /// kinks met.
    pub fn oracle(&self, p: &[f64]) -> (f64, Vec<f64>, u32) {
        oracle::take_kinks();
        let n = self.arity();
        let mut value = f64::NAN;
        let mut grad = Vec::with_capacity(n);
        for dir in 0..n {
            let x: Vec<Dual64> = (0..n)
                .map(|i| Dual64::new(p[i], if i == dir { 1.0 } else { 0.0 }))
                .collect();
            let r = match *self {
                Fns::P1(.., o) => o(x[0]),
                Fns::P2(.., o) => o(x[0], x[1]),
                Fns::P3(.., o) => o(x[0], x[1], x[2]),
                Fns::P4(.., o) => o(x[0], x[1], x[2], x[3]),
            };
            value = r.re;
            grad.push(r.eps);
        }
        (value, grad, oracle::take_kinks())
    }
}

/// `f_jvp` of a function of one parameter: `(x, d_x) -> (value, ∇f·d)`.
pub type Jvp1 = fn(f64, f64) -> (f64, f64);
/// `f_jvp` of a function of two parameters.
pub type Jvp2 = fn(f64, f64, f64, f64) -> (f64, f64);
/// `f_jvp` of a function of three parameters.
pub type Jvp3 = fn(f64, f64, f64, f64, f64, f64) -> (f64, f64);
/// `f_jvp` of a function of four parameters.
pub type Jvp4 = fn(f64, f64, f64, f64, f64, f64, f64, f64) -> (f64, f64);

/// `f_jvp` of a generated function, by number of parameters.
#[derive(Clone, Copy)]
pub enum Jvp {
    /// One parameter.
    P1(Jvp1),
    /// Two parameters.
    P2(Jvp2),
    /// Three parameters.
    P3(Jvp3),
    /// Four parameters.
    P4(Jvp4),
}

impl Jvp {
    /// `f_jvp(x, d)`: the value and the directional derivative.
    pub fn call(&self, x: &[f64], d: &[f64]) -> (f64, f64) {
        match *self {
            Jvp::P1(f) => f(x[0], d[0]),
            Jvp::P2(f) => f(x[0], x[1], d[0], d[1]),
            Jvp::P3(f) => f(x[0], x[1], x[2], d[0], d[1], d[2]),
            Jvp::P4(f) => f(x[0], x[1], x[2], x[3], d[0], d[1], d[2], d[3]),
        }
    }
}

/// `f_hvp` of a function of one parameter: `(x, d_x) -> (value, ∂f, (H·d))`.
pub type Hvp1 = fn(f64, f64) -> (f64, f64, f64);
/// `f_hvp` of a function of two parameters.
pub type Hvp2 = fn(f64, f64, f64, f64) -> (f64, f64, f64, f64, f64);
/// `f_hvp` of a function of three parameters.
pub type Hvp3 = fn(f64, f64, f64, f64, f64, f64) -> (f64, f64, f64, f64, f64, f64, f64);
/// `f_hvp` of a function of four parameters.
pub type Hvp4 =
    fn(f64, f64, f64, f64, f64, f64, f64, f64) -> (f64, f64, f64, f64, f64, f64, f64, f64, f64);
/// `f_hessian` of a function of one parameter: `x -> (value, ∂f, H)`.
pub type Hessian1 = fn(f64) -> (f64, f64, [[f64; 1]; 1]);
/// `f_hessian` of a function of two parameters.
pub type Hessian2 = fn(f64, f64) -> (f64, f64, f64, [[f64; 2]; 2]);
/// `f_hessian` of a function of three parameters.
pub type Hessian3 = fn(f64, f64, f64) -> (f64, f64, f64, f64, [[f64; 3]; 3]);
/// `f_hessian` of a function of four parameters.
pub type Hessian4 = fn(f64, f64, f64, f64) -> (f64, f64, f64, f64, f64, [[f64; 4]; 4]);

/// The second-order functions of a generated function marked
/// `#[grad(forward, hessian)]`, by number of parameters: `f_hvp`,
/// `f_hessian`, and the oracle at hyper-dual numbers.
#[derive(Clone, Copy)]
pub enum Second {
    /// One parameter.
    P1(Hvp1, Hessian1, fn(HyperDual64) -> HyperDual64),
    /// Two parameters.
    P2(Hvp2, Hessian2, fn(HyperDual64, HyperDual64) -> HyperDual64),
    /// Three parameters.
    P3(
        Hvp3,
        Hessian3,
        fn(HyperDual64, HyperDual64, HyperDual64) -> HyperDual64,
    ),
    /// Four parameters.
    P4(
        Hvp4,
        Hessian4,
        fn(HyperDual64, HyperDual64, HyperDual64, HyperDual64) -> HyperDual64,
    ),
}

/// A `[[f64; N]; N]` as rows.
fn rows<const N: usize>(h: [[f64; N]; N]) -> Vec<Vec<f64>> {
    h.iter().map(|r| r.to_vec()).collect()
}

impl Second {
    /// `f_hvp(x, d)`: the value, the gradient and `H·d`.
    pub fn hvp(&self, x: &[f64], d: &[f64]) -> (f64, Vec<f64>, Vec<f64>) {
        match *self {
            Second::P1(f, ..) => {
                let r = f(x[0], d[0]);
                (r.0, vec![r.1], vec![r.2])
            }
            Second::P2(f, ..) => {
                let r = f(x[0], x[1], d[0], d[1]);
                (r.0, vec![r.1, r.2], vec![r.3, r.4])
            }
            Second::P3(f, ..) => {
                let r = f(x[0], x[1], x[2], d[0], d[1], d[2]);
                (r.0, vec![r.1, r.2, r.3], vec![r.4, r.5, r.6])
            }
            Second::P4(f, ..) => {
                let r = f(x[0], x[1], x[2], x[3], d[0], d[1], d[2], d[3]);
                (r.0, vec![r.1, r.2, r.3, r.4], vec![r.5, r.6, r.7, r.8])
            }
        }
    }

    /// `f_hessian(x)`: the value, the gradient and the Hessian's rows.
    pub fn hessian(&self, x: &[f64]) -> (f64, Vec<f64>, Vec<Vec<f64>>) {
        match *self {
            Second::P1(_, f, _) => {
                let r = f(x[0]);
                (r.0, vec![r.1], rows(r.2))
            }
            Second::P2(_, f, _) => {
                let r = f(x[0], x[1]);
                (r.0, vec![r.1, r.2], rows(r.3))
            }
            Second::P3(_, f, _) => {
                let r = f(x[0], x[1], x[2]);
                (r.0, vec![r.1, r.2, r.3], rows(r.4))
            }
            Second::P4(_, f, _) => {
                let r = f(x[0], x[1], x[2], x[3]);
                (r.0, vec![r.1, r.2, r.3, r.4], rows(r.5))
            }
        }
    }

    /// The oracle at hyper-dual numbers `x`.
    pub fn oracle_at(&self, x: &[HyperDual64]) -> HyperDual64 {
        match *self {
            Second::P1(.., o) => o(x[0]),
            Second::P2(.., o) => o(x[0], x[1]),
            Second::P3(.., o) => o(x[0], x[1], x[2]),
            Second::P4(.., o) => o(x[0], x[1], x[2], x[3]),
        }
    }

    /// The oracle's value, gradient, Hessian and `H·d` at `x`, and the kinks
    /// it met. Hessian entry `(i, j)` comes from one evaluation with `xᵢ`
    /// carrying `ε₁` and `xⱼ` carrying `ε₂` (its `ε₁ε₂` part); the gradient
    /// from the `ε₁` parts; `(H·d)ᵢ` from one evaluation with `xᵢ` carrying
    /// `ε₁` and every `xₖ` carrying `dₖ ε₂`.
    pub fn oracle(&self, x: &[f64], d: &[f64]) -> SecondOracle {
        oracle::take_kinks();
        let n = x.len();
        let eval = |e1: &dyn Fn(usize) -> f64, e2: &dyn Fn(usize) -> f64| {
            let args: Vec<HyperDual64> = (0..n)
                .map(|k| HyperDual64::new(x[k], e1(k), e2(k), 0.0))
                .collect();
            self.oracle_at(&args)
        };
        let unit = |i: usize| move |k: usize| if k == i { 1.0 } else { 0.0 };
        let mut value = f64::NAN;
        let mut gradient = vec![f64::NAN; n];
        let mut hessian = vec![vec![f64::NAN; n]; n];
        let mut hd = vec![f64::NAN; n];
        for (i, row) in hessian.iter_mut().enumerate() {
            for (j, entry) in row.iter_mut().enumerate() {
                let r = eval(&unit(i), &unit(j));
                value = r.re;
                gradient[i] = r.eps1;
                *entry = r.eps1eps2;
            }
            hd[i] = eval(&unit(i), &|k| d[k]).eps1eps2;
        }
        SecondOracle {
            value,
            gradient,
            hessian,
            hd,
            kinks: oracle::take_kinks(),
        }
    }
}

/// What the hyper-dual oracle gives at a point ([`Second::oracle`]).
pub struct SecondOracle {
    /// `f(x)`.
    pub value: f64,
    /// `∇f(x)`.
    pub gradient: Vec<f64>,
    /// The Hessian, row by row.
    pub hessian: Vec<Vec<f64>>,
    /// `H·d`.
    pub hd: Vec<f64>,
    /// Kinks and ties met (the point is skipped if there is one).
    pub kinks: u32,
}

/// One generated function.
pub struct Case {
    /// `gen_<i>`.
    pub name: &'static str,
    /// Its source text, as given to `#[grad]`.
    pub source: &'static str,
    /// Random points, each inside every op's domain by construction.
    pub points: &'static [&'static [f64]],
    /// One random direction per point, each coordinate in `[-1, 1]`.
    pub dirs: &'static [&'static [f64]],
    /// The function, `f_grad` and the dual-number oracle.
    pub fns: Fns,
    /// `f_jvp`, unless `forward` was excluded.
    pub jvp: Option<Jvp>,
    /// `f_hvp`, `f_hessian` and the hyper-dual oracle, unless `hessian`
    /// was excluded.
    pub second: Option<Second>,
}

fn fmt_point(p: &[f64]) -> String {
    let xs: Vec<String> = p
        .iter()
        .enumerate()
        .map(|(i, x)| format!("x{i} = {x:?}"))
        .collect();
    xs.join(", ")
}

/// Compares `f`, `f_grad` and the oracle on every case and point.
pub fn check_against_oracle(cases: &[Case]) -> Report {
    let mut r = Report::new(cases.len());
    for case in cases {
        for p in case.points {
            r.points += 1;
            let (ov, og, kinks) = case.fns.oracle(p);
            if r.skip(ov, kinks) {
                continue;
            }
            let plain = case.fns.plain(p);
            let (gv, gg) = case.fns.grad(p);
            let mut bad = Vec::new();
            let mut cmp = |what: String, macro_side: f64, oracle_side: f64| {
                if !r.compare(macro_side, oracle_side, TOL) {
                    bad.push(format!(
                        "{what}: {macro_side:?} vs oracle {oracle_side:?} (diff {:.3e})",
                        macro_side - oracle_side
                    ));
                }
            };
            cmp(format!("{}(..)", case.name), plain, ov);
            cmp(format!("{}_grad(..).0 (value)", case.name), gv, ov);
            for (i, (a, b)) in gg.iter().zip(&og).enumerate() {
                cmp(format!("∂f/∂x{i}"), *a, *b);
            }
            if !bad.is_empty() {
                let mut msg = String::new();
                writeln!(msg, "MISMATCH in {} at {}", case.name, fmt_point(p)).unwrap();
                for b in &bad {
                    writeln!(msg, "  {b}").unwrap();
                }
                writeln!(msg, "  #[grad] : value {gv:?}, gradient {gg:?}").unwrap();
                writeln!(msg, "  plain f : value {plain:?}").unwrap();
                writeln!(msg, "  oracle  : value {ov:?}, gradient {og:?}").unwrap();
                writeln!(msg, "  source:\n{}", case.source).unwrap();
                r.failures.push(msg);
            }
        }
    }
    r
}

/// The `f32` instance of a generic function `ggen_<i><T: Float>` (issue 12):
/// the function and `f_grad`, by number of parameters.
#[derive(Clone, Copy)]
pub enum Fns32 {
    P1(fn(f32) -> f32, Grad32x1),
    P2(fn(f32, f32) -> f32, Grad32x2),
    P3(fn(f32, f32, f32) -> f32, Grad32x3),
    P4(fn(f32, f32, f32, f32) -> f32, Grad32x4),
}

/// `f_grad` of a generic function's `f32` instance, by number of parameters.
pub type Grad32x1 = fn(f32) -> (f32, f32);
pub type Grad32x2 = fn(f32, f32) -> (f32, f32, f32);
pub type Grad32x3 = fn(f32, f32, f32) -> (f32, f32, f32, f32);
pub type Grad32x4 = fn(f32, f32, f32, f32) -> (f32, f32, f32, f32, f32);

impl Fns32 {
    /// The plain function and `f_grad` (value and partials) at `p`.
    pub fn eval(&self, p: &[f32]) -> (f32, f32, Vec<f32>) {
        match *self {
            Fns32::P1(f, g) => {
                let r = g(p[0]);
                (f(p[0]), r.0, vec![r.1])
            }
            Fns32::P2(f, g) => {
                let r = g(p[0], p[1]);
                (f(p[0], p[1]), r.0, vec![r.1, r.2])
            }
            Fns32::P3(f, g) => {
                let r = g(p[0], p[1], p[2]);
                (f(p[0], p[1], p[2]), r.0, vec![r.1, r.2, r.3])
            }
            Fns32::P4(f, g) => {
                let r = g(p[0], p[1], p[2], p[3]);
                (f(p[0], p[1], p[2], p[3]), r.0, vec![r.1, r.2, r.3, r.4])
            }
        }
    }
}

/// The `f32` instances of generic functions (`f32s[k]` is `cases[k]`'s)
/// against their `f64` instances, at each point rounded to `f32` (both
/// instances see the same point): the plain value and `f_grad`'s value and
/// partials at [`F32_TOL`] (relative, as [`close`](autodiff_difftest_harness::close)).
/// A point is skipped where the gradient's check would skip the rounded
/// point (the oracle's value is not finite, or it met a kink or tie), or
/// where the `f32` value is off the `f64` value by more than
/// [`F32_CONDITION`] (relative): the function is ill-conditioned there at
/// `f32` (counted as non-smooth). Prints how many points that gate skipped.
pub fn check_f32(cases: &[Case], f32s: &[Fns32]) -> Report {
    assert_eq!(cases.len(), f32s.len());
    let mut r = Report::new(cases.len());
    for (case, f32s) in cases.iter().zip(f32s) {
        for p in case.points {
            r.points += 1;
            let p32: Vec<f32> = p.iter().map(|x| *x as f32).collect();
            let q: Vec<f64> = p32.iter().map(|x| f64::from(*x)).collect();
            let (ov, _, kinks) = case.fns.oracle(&q);
            if r.skip(ov, kinks) {
                continue;
            }
            let (v64, g64) = case.fns.grad(&q);
            let (plain, v32, g32) = f32s.eval(&p32);
            // (A non-finite `f32` value, where the `f64` one is finite, is
            // ill-conditioned too: an overflow at `f32`.)
            let off = scaled_error(f64::from(v32), v64);
            if off.is_nan() || off > F32_CONDITION {
                r.skipped_nonsmooth += 1;
                continue;
            }
            let mut bad = Vec::new();
            let mut cmp = |what: String, got: f32, want: f64| {
                if !r.compare(f64::from(got), want, F32_TOL) {
                    bad.push(format!(
                        "{what}: f32 {got:?} vs f64 {want:?} (diff {:.3e})",
                        f64::from(got) - want
                    ));
                }
            };
            cmp(format!("{}::<f32>(..)", case.name), plain, v64);
            cmp(format!("{}_grad::<f32>(..).0 (value)", case.name), v32, v64);
            for (i, (a, b)) in g32.iter().zip(&g64).enumerate() {
                cmp(format!("∂f/∂x{i}"), *a, *b);
            }
            if !bad.is_empty() {
                r.failures.push(format!(
                    "MISMATCH in {} at f32 point {}\n  {}\n  f32: value {v32:?}, gradient {g32:?}\n  f64: value {v64:?}, gradient {g64:?}\n  source:\n{}",
                    case.name,
                    fmt_point(&q),
                    bad.join("\n  "),
                    case.source
                ));
            }
        }
    }
    println!(
        "{} points skipped as ill-conditioned at f32 (value off by more than {F32_CONDITION:e})",
        r.skipped_nonsmooth
    );
    r
}

/// Compares `f_jvp` with the oracle at `Dual64` numbers carrying each
/// point's direction (one forward pass), at [`JVP_TOL`]: the value and the
/// directional derivative. A point is skipped where the gradient's check
/// skips it (a non-finite value, a kink met by the per-coordinate oracle)
/// or where the directional pass meets a kink.
pub fn check_forward_mode(cases: &[Case]) -> Report {
    let mut r = Report::new(cases.iter().filter(|c| c.jvp.is_some()).count());
    for case in cases {
        let Some(jvp) = case.jvp else {
            continue;
        };
        for (p, d) in case.points.iter().zip(case.dirs) {
            r.points += 1;
            let (_, _, kinks) = case.fns.oracle(p);
            let x: Vec<Dual64> = p.iter().zip(*d).map(|(x, d)| Dual64::new(*x, *d)).collect();
            let want = case.fns.oracle_at(&x);
            if r.skip(want.re, kinks + oracle::take_kinks()) {
                continue;
            }
            let (value, tangent) = jvp.call(p, d);
            let mut bad = Vec::new();
            if !r.compare(value, want.re, JVP_TOL) {
                bad.push(format!("value {value:?} vs oracle {:?}", want.re));
            }
            if !r.compare(tangent, want.eps, JVP_TOL) {
                bad.push(format!(
                    "∇f·d {tangent:?} vs oracle {:?} (diff {:.3e})",
                    want.eps,
                    tangent - want.eps
                ));
            }
            if !bad.is_empty() {
                r.failures.push(format!(
                    "MISMATCH in {}_jvp at {}, d = {d:?}\n  {}\n  source:\n{}",
                    case.name,
                    fmt_point(p),
                    bad.join("\n  "),
                    case.source
                ));
            }
        }
    }
    r
}

/// Compares `f_hvp` (value, gradient, `H·d` along each point's direction)
/// and `f_hessian` (value, gradient, every entry) with the hyper-dual
/// oracle ([`Second::oracle`]) on the functions that have them: values and
/// gradients at [`JVP_TOL`], second derivatives at [`SECOND_TOL`]. A point
/// is skipped if the oracle's value is not finite or it met a kink or tie
/// (with any derivative part differing, second ones included). Prints the
/// largest scaled error of the second derivatives alone.
pub fn check_second_order(cases: &[Case]) -> Report {
    let mut r = Report::new(cases.iter().filter(|c| c.second.is_some()).count());
    let mut max_second = 0.0f64;
    for case in cases {
        let Some(second) = case.second else {
            continue;
        };
        for (p, d) in case.points.iter().zip(case.dirs) {
            r.points += 1;
            let want = second.oracle(p, d);
            if r.skip(want.value, want.kinks) {
                continue;
            }
            let (hv_value, hv_grad, hv) = second.hvp(p, d);
            let (h_value, h_grad, h) = second.hessian(p);
            let mut bad = Vec::new();
            let mut cmp = |what: String, got: f64, want: f64, tol: f64| {
                if r.compare(got, want, tol) {
                    if tol == SECOND_TOL {
                        max_second = max_second.max(scaled_error(got, want));
                    }
                } else {
                    bad.push(format!(
                        "{what}: {got:?} vs oracle {want:?} (diff {:.3e})",
                        got - want
                    ));
                }
            };
            cmp("f_hvp value".into(), hv_value, want.value, JVP_TOL);
            cmp("f_hessian value".into(), h_value, want.value, JVP_TOL);
            for i in 0..p.len() {
                cmp(
                    format!("f_hvp ∂f/∂x{i}"),
                    hv_grad[i],
                    want.gradient[i],
                    JVP_TOL,
                );
                cmp(
                    format!("f_hessian ∂f/∂x{i}"),
                    h_grad[i],
                    want.gradient[i],
                    JVP_TOL,
                );
                cmp(format!("(H·d)[{i}]"), hv[i], want.hd[i], SECOND_TOL);
                for (j, (got, oracle)) in h[i].iter().zip(&want.hessian[i]).enumerate() {
                    cmp(format!("H[{i}][{j}]"), *got, *oracle, SECOND_TOL);
                }
            }
            if !bad.is_empty() {
                let mut msg = String::new();
                writeln!(
                    msg,
                    "MISMATCH in {}_hvp/{}_hessian at {}, d = {d:?}",
                    case.name,
                    case.name,
                    fmt_point(p)
                )
                .unwrap();
                for b in &bad {
                    writeln!(msg, "  {b}").unwrap();
                }
                writeln!(msg, "  #[grad] : H {h:?}, H·d {hv:?}").unwrap();
                writeln!(msg, "  oracle  : H {:?}, H·d {:?}", want.hessian, want.hd).unwrap();
                writeln!(msg, "  source:\n{}", case.source).unwrap();
                r.failures.push(msg);
            }
        }
    }
    println!("second derivatives alone: max |a-b|/max(1,|a|,|b|) = {max_second:.3e}");
    r
}

/// Self-check of the hyper-dual oracle, independent of the macro: each
/// Hessian entry `(i, j)` against central finite differences (with
/// Richardson extrapolation) in `xⱼ` of the dual-number oracle's `∂f/∂xᵢ`,
/// at relative tolerance [`FD_SECOND_TOL`]. Points where two step sizes
/// disagree are skipped as non-smooth.
pub fn check_second_order_oracle_by_finite_differences(cases: &[Case]) -> Report {
    let mut r = Report::new(cases.iter().filter(|c| c.second.is_some()).count());
    for case in cases {
        let Some(second) = case.second else {
            continue;
        };
        'points: for (p, d) in case.points.iter().zip(case.dirs) {
            r.points += 1;
            let want = second.oracle(p, d);
            if r.skip(want.value, want.kinks) {
                continue;
            }
            let n = p.len();
            for i in 0..n {
                for j in 0..n {
                    let partial = |t: f64| {
                        let x: Vec<Dual64> = (0..n)
                            .map(|k| {
                                let v = if k == j { t } else { p[k] };
                                Dual64::new(v, if k == i { 1.0 } else { 0.0 })
                            })
                            .collect();
                        case.fns.oracle_at(&x).eps
                    };
                    let Some(fd) = richardson(partial, p[j]) else {
                        r.skipped_nonsmooth += 1;
                        continue 'points;
                    };
                    if !r.compare(want.hessian[i][j], fd, FD_SECOND_TOL) {
                        r.failures.push(format!(
                            "{}: H[{i}][{j}] hyper-dual oracle {:?} vs finite differences {fd:?} at {}\n{}",
                            case.name,
                            want.hessian[i][j],
                            fmt_point(p),
                            case.source
                        ));
                    }
                }
            }
        }
    }
    r
}

/// Self-check of the generator and the oracle, independent of the macro:
/// the oracle's partials against central finite differences (with Richardson
/// extrapolation, [`richardson`]) of the plain function, at relative
/// tolerance `FD_TOL`.
/// Points where two step sizes disagree (a jump of `floor`, `max`, ...
/// within the step) are skipped as non-smooth.
pub fn check_oracle_by_finite_differences(cases: &[Case]) -> Report {
    let mut r = Report::new(cases.len());
    for case in cases {
        'points: for p in case.points {
            r.points += 1;
            let (ov, og, kinks) = case.fns.oracle(p);
            if r.skip(ov, kinks) {
                continue;
            }
            let mut fd = Vec::new();
            for i in 0..p.len() {
                let along = |t: f64| {
                    let mut a = p.to_vec();
                    a[i] = t;
                    case.fns.plain(&a)
                };
                let Some(d) = richardson(along, p[i]) else {
                    r.skipped_nonsmooth += 1;
                    continue 'points;
                };
                fd.push(d);
            }
            for (i, (a, b)) in og.iter().zip(&fd).enumerate() {
                if !r.compare(*a, *b, FD_TOL) {
                    r.failures.push(format!(
                        "{}: ∂f/∂x{i} oracle {a:?} vs finite differences {b:?} at {}\n{}",
                        case.name,
                        fmt_point(p),
                        case.source
                    ));
                }
            }
        }
    }
    r
}

/// `f_jacobian` through a slice: the outputs and the Jacobian's columns.
pub type JacobianFn = fn(&[f64]) -> (Vec<f64>, Vec<Vec<f64>>);
/// `f_vjp` through slices: `(x, w)` to the outputs and `wᵀJ`.
pub type VjpFn = fn(&[f64], &[f64]) -> (Vec<f64>, Vec<f64>);
/// `f_jvp` of a function with several outputs, through slices: `(x, d)`
/// to the outputs and `J·d`.
pub type VectorJvpFn = fn(&[f64], &[f64]) -> (Vec<f64>, Vec<f64>);

/// A vector-valued generated function `vgen_<i>` (`-> [f64; M]` or a tuple
/// of `M` floats), through adapters from slices that `build.rs` writes.
pub struct VCase {
    /// `vgen_<i>`.
    pub name: &'static str,
    /// Its source text, as given to `#[grad]`.
    pub source: &'static str,
    /// Random points, each inside every op's domain by construction.
    pub points: &'static [&'static [f64]],
    /// One random cotangent `w` per point, each coordinate in `[-1, 1]`.
    pub weights: &'static [&'static [f64]],
    /// One random direction `d` per point, each coordinate in `[-1, 1]`.
    pub dirs: &'static [&'static [f64]],
    /// `M`, the number of outputs.
    pub outputs: usize,
    /// Whether `f_jacobian` takes one forward pass per input (the function
    /// is marked `forward` and has fewer inputs than outputs) rather than
    /// one reverse sweep per output.
    pub by_input: bool,
    /// The function as written: its outputs.
    pub plain: fn(&[f64]) -> Vec<f64>,
    /// `f_jacobian`: the outputs and, per parameter `j`, the column
    /// `∂y_k/∂x_j` for every output `k`.
    pub jacobian: JacobianFn,
    /// `f_vjp(x, w)`: the outputs and `wᵀJ`, one entry per parameter.
    pub vjp: VjpFn,
    /// `f_jvp(x, d)`: the outputs and `J·d`, one entry per output (unless
    /// `forward` was excluded).
    pub jvp: Option<VectorJvpFn>,
    /// The oracle at `Dual64` numbers: its outputs.
    pub oracle: fn(&[Dual64]) -> Vec<Dual64>,
}

/// What the dual-number oracle gives for a vector-valued function at a
/// point ([`VCase::oracle_at_point`]).
pub struct VectorOracle {
    /// The outputs `y_k`.
    pub value: Vec<f64>,
    /// The Jacobian by columns: `columns[j][k] = ∂y_k/∂x_j`.
    pub columns: Vec<Vec<f64>>,
    /// Kinks and ties met (the point is skipped if there is one).
    pub kinks: u32,
}

impl VectorOracle {
    /// A value standing for all the outputs in [`Report::skip`]: the first
    /// non-finite one, if any.
    fn skip_value(&self) -> f64 {
        self.value
            .iter()
            .copied()
            .find(|v| !v.is_finite())
            .unwrap_or(0.0)
    }

    /// `Σₖ wₖ ∂y_k/∂x_j` for every `j`.
    pub fn vjp(&self, w: &[f64]) -> Vec<f64> {
        self.columns
            .iter()
            .map(|col| col.iter().zip(w).map(|(d, w)| d * w).sum())
            .collect()
    }
}

impl VCase {
    /// The oracle: one pass at `Dual64` per parameter `j`, seeded on `x_j`
    /// alone (column `j` of the Jacobian). Every output is finite in each
    /// pass or the point is skipped; the value is the last pass's.
    pub fn oracle_at_point(&self, p: &[f64]) -> VectorOracle {
        oracle::take_kinks();
        let n = p.len();
        let mut value = vec![f64::NAN; self.outputs];
        let mut columns = Vec::with_capacity(n);
        for j in 0..n {
            let x: Vec<Dual64> = (0..n)
                .map(|i| Dual64::new(p[i], if i == j { 1.0 } else { 0.0 }))
                .collect();
            let y = (self.oracle)(&x);
            value = y.iter().map(|y| y.re).collect();
            columns.push(y.iter().map(|y| y.eps).collect());
        }
        VectorOracle {
            value,
            columns,
            kinks: oracle::take_kinks(),
        }
    }
}

/// Formats the failures of one point of a vector-valued function.
fn vector_mismatch(case: &VCase, what: &str, p: &[f64], bad: &[String], results: &str) -> String {
    let mut msg = String::new();
    writeln!(msg, "MISMATCH in {}_{what} at {}", case.name, fmt_point(p)).unwrap();
    for b in bad {
        writeln!(msg, "  {b}").unwrap();
    }
    msg.push_str(results);
    writeln!(msg, "  source:\n{}", case.source).unwrap();
    msg
}

/// Compares `f` and `f_jacobian` (the outputs and every entry) of the
/// vector-valued functions with the oracle at `Dual64`, one input seeded at
/// a time, at [`TOL`]. Points are skipped as in [`check_against_oracle`]: a
/// non-finite output of the oracle, or a kink or tie it met.
///
/// Prints how many functions of `cases` had their Jacobian taken by input
/// and by output.
pub fn check_jacobian(cases: &[VCase]) -> Report {
    let by_input = cases.iter().filter(|c| c.by_input).count();
    println!(
        "f_jacobian in this shard: {by_input} functions by input (one forward pass per input, \
         fewer inputs than outputs), {} by output (one reverse sweep per output)",
        cases.len() - by_input
    );
    let mut r = Report::new(cases.len());
    for case in cases {
        for p in case.points {
            r.points += 1;
            let want = case.oracle_at_point(p);
            if r.skip(want.skip_value(), want.kinks) {
                continue;
            }
            let plain = (case.plain)(p);
            let (value, columns) = (case.jacobian)(p);
            let mut bad = Vec::new();
            let mut cmp = |what: String, got: f64, oracle: f64| {
                if !r.compare(got, oracle, TOL) {
                    bad.push(format!(
                        "{what}: {got:?} vs oracle {oracle:?} (diff {:.3e})",
                        got - oracle
                    ));
                }
            };
            for (k, want_k) in want.value.iter().enumerate() {
                cmp(format!("{}(..)[{k}]", case.name), plain[k], *want_k);
                cmp(format!("value[{k}]"), value[k], *want_k);
                for (j, (col, want_col)) in columns.iter().zip(&want.columns).enumerate() {
                    cmp(format!("∂y{k}/∂x{j}"), col[k], want_col[k]);
                }
            }
            if !bad.is_empty() {
                let results = format!(
                    "  #[grad] : value {value:?}, columns (∂y/∂x0, ..) {columns:?}\n  \
                     plain f : value {plain:?}\n  \
                     oracle  : value {:?}, columns {:?}\n",
                    want.value, want.columns
                );
                r.failures
                    .push(vector_mismatch(case, "jacobian", p, &bad, &results));
            }
        }
    }
    r
}

/// Compares `f_vjp(x, w)` (the outputs and `wᵀJ`) of the vector-valued
/// functions, with each point's random cotangent `w`, against the oracle's
/// outputs and `Σₖ wₖ·(row k)` of its Jacobian ([`VCase::oracle_at_point`]),
/// at [`TOL`]; points skipped as in [`check_jacobian`].
pub fn check_vjp(cases: &[VCase]) -> Report {
    let mut r = Report::new(cases.len());
    for case in cases {
        for (p, w) in case.points.iter().zip(case.weights) {
            r.points += 1;
            let want = case.oracle_at_point(p);
            if r.skip(want.skip_value(), want.kinks) {
                continue;
            }
            let want_vjp = want.vjp(w);
            let (value, vjp) = (case.vjp)(p, w);
            let mut bad = Vec::new();
            let mut cmp = |what: String, got: f64, oracle: f64| {
                if !r.compare(got, oracle, TOL) {
                    bad.push(format!(
                        "{what}: {got:?} vs oracle {oracle:?} (diff {:.3e})",
                        got - oracle
                    ));
                }
            };
            for (k, (got, want_k)) in value.iter().zip(&want.value).enumerate() {
                cmp(format!("value[{k}]"), *got, *want_k);
            }
            for (j, (got, want_j)) in vjp.iter().zip(&want_vjp).enumerate() {
                cmp(format!("(wᵀJ)[{j}]"), *got, *want_j);
            }
            if !bad.is_empty() {
                let results = format!(
                    "  w = {w:?}\n  #[grad] : value {value:?}, wᵀJ {vjp:?}\n  \
                     oracle  : value {:?}, wᵀJ {want_vjp:?}, columns {:?}\n",
                    want.value, want.columns
                );
                r.failures
                    .push(vector_mismatch(case, "vjp", p, &bad, &results));
            }
        }
    }
    r
}

/// Compares `f_jvp(x, d)` of the vector-valued functions marked `forward`
/// (the outputs and every component of `J·d`), with each point's random
/// direction `d`, against one pass of the oracle at `Dual64` numbers with
/// every input `xⱼ` carrying `dⱼ`, at [`TOL`]. A point is skipped where
/// [`check_jacobian`] skips it (a non-finite output, a kink met by the
/// per-input oracle) or where the directional pass meets a kink.
pub fn check_vector_jvp(cases: &[VCase]) -> Report {
    let mut r = Report::new(cases.iter().filter(|c| c.jvp.is_some()).count());
    for case in cases {
        let Some(jvp) = case.jvp else {
            continue;
        };
        for (p, d) in case.points.iter().zip(case.dirs) {
            r.points += 1;
            let per_input = case.oracle_at_point(p);
            let x: Vec<Dual64> = p.iter().zip(*d).map(|(x, d)| Dual64::new(*x, *d)).collect();
            let want = (case.oracle)(&x);
            let kinks = per_input.kinks + oracle::take_kinks();
            let nonfinite = want.iter().map(|y| y.re).find(|v| !v.is_finite());
            if r.skip(nonfinite.unwrap_or(per_input.skip_value()), kinks) {
                continue;
            }
            let (value, tangent) = jvp(p, d);
            let mut bad = Vec::new();
            let mut cmp = |what: String, got: f64, oracle: f64| {
                if !r.compare(got, oracle, TOL) {
                    bad.push(format!(
                        "{what}: {got:?} vs oracle {oracle:?} (diff {:.3e})",
                        got - oracle
                    ));
                }
            };
            for (k, y) in want.iter().enumerate() {
                cmp(format!("value[{k}]"), value[k], y.re);
                cmp(format!("(J·d)[{k}]"), tangent[k], y.eps);
            }
            if !bad.is_empty() {
                let want_value: Vec<f64> = want.iter().map(|y| y.re).collect();
                let want_tangent: Vec<f64> = want.iter().map(|y| y.eps).collect();
                let results = format!(
                    "  d = {d:?}\n  #[grad] : value {value:?}, J·d {tangent:?}\n  \
                     oracle  : value {want_value:?}, J·d {want_tangent:?}\n"
                );
                r.failures
                    .push(vector_mismatch(case, "jvp", p, &bad, &results));
            }
        }
    }
    r
}

/// Self-check of the vector oracle, independent of the macro: each
/// Jacobian entry against central finite differences (with Richardson
/// extrapolation) of the plain function's output, at [`FD_TOL`]; points
/// where two step sizes disagree are skipped as non-smooth.
pub fn check_vector_oracle_by_finite_differences(cases: &[VCase]) -> Report {
    let mut r = Report::new(cases.len());
    for case in cases {
        'points: for p in case.points {
            r.points += 1;
            let want = case.oracle_at_point(p);
            if r.skip(want.skip_value(), want.kinks) {
                continue;
            }
            let mut fds = Vec::new();
            for j in 0..p.len() {
                for k in 0..case.outputs {
                    let along = |t: f64| {
                        let mut a = p.to_vec();
                        a[j] = t;
                        (case.plain)(&a)[k]
                    };
                    let Some(fd) = richardson(along, p[j]) else {
                        r.skipped_nonsmooth += 1;
                        continue 'points;
                    };
                    fds.push((j, k, fd));
                }
            }
            for (j, k, fd) in fds {
                if !r.compare(want.columns[j][k], fd, FD_TOL) {
                    r.failures.push(format!(
                        "{}: ∂y{k}/∂x{j} oracle {:?} vs finite differences {fd:?} at {}\n{}",
                        case.name,
                        want.columns[j][k],
                        fmt_point(p),
                        case.source
                    ));
                }
            }
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::oracle;
    use num_dual::HyperDual64;

    fn close(a: f64, b: f64) -> bool {
        autodiff_difftest_harness::close(a, b, 1e-13)
    }

    /// The hand-written `powi` and `hypot` of the oracle at second order,
    /// against their closed forms: `(xⁿ)'' = n(n-1)xⁿ⁻²`, and for
    /// `r = hypot(a, b)`: `r_aa = b²/r³`, `r_ab = -ab/r³`, `r_bb = a²/r³`.
    #[test]
    fn powi_and_hypot_second_derivatives() {
        for n in -3..=4 {
            for x in [-2.5, -0.7, 0.3, 1.9] {
                let y = oracle::powi(HyperDual64::new(x, 1.0, 1.0, 0.0), n);
                let nf = f64::from(n);
                assert!(close(y.re, x.powi(n)), "x^{n} at {x}");
                let d1 = if n == 0 { 0.0 } else { nf * x.powi(n - 1) };
                let d2 = if (0..2).contains(&n) {
                    0.0
                } else {
                    nf * (nf - 1.0) * x.powi(n - 2)
                };
                assert!(close(y.eps1, d1) && close(y.eps2, d1), "(x^{n})' at {x}");
                assert!(close(y.eps1eps2, d2), "(x^{n})'' at {x}: {}", y.eps1eps2);
            }
        }
        for (a, b) in [(3.0, 4.0), (-1.2, 0.5), (0.3, -2.2)] {
            let r: f64 = f64::hypot(a, b);
            let at = |ea: [f64; 2], eb: [f64; 2]| {
                oracle::hypot(
                    HyperDual64::new(a, ea[0], ea[1], 0.0),
                    HyperDual64::new(b, eb[0], eb[1], 0.0),
                )
            };
            let aa = at([1.0, 1.0], [0.0, 0.0]);
            let ab = at([1.0, 0.0], [0.0, 1.0]);
            let bb = at([0.0, 0.0], [1.0, 1.0]);
            assert!(close(aa.re, r) && close(aa.eps1, a / r) && close(bb.eps1, b / r));
            assert!(close(aa.eps1eps2, b * b / r.powi(3)), "r_aa at {a}, {b}");
            assert!(close(ab.eps1eps2, -a * b / r.powi(3)), "r_ab at {a}, {b}");
            assert!(close(bb.eps1eps2, a * a / r.powi(3)), "r_bb at {a}, {b}");
        }
    }

    /// The oracle's `powf` at second order, against the closed forms of
    /// `z = x^y`: `z_xx = y(y-1)x^(y-2)`, `z_xy = x^(y-1)(1 + y ln x)`,
    /// `z_yy = x^y ln² x`; with a constant exponent (`powf`) and a dual one
    /// (`powd`, what the generator prints for a variable exponent).
    #[test]
    fn powf_second_derivatives() {
        let close = |a: f64, b: f64| autodiff_difftest_harness::close(a, b, 1e-12);
        for x in [0.3, 0.9, 1.0, 2.7, 7.5] {
            for y in [-2.5, -1.0, -0.3, 0.0, 0.5, 1.0, 1.7, 3.0] {
                let (z, l) = (f64::powf(x, y), f64::ln(x));
                let xx = y * (y - 1.0) * x.powf(y - 2.0);
                let xy = x.powf(y - 1.0) * (1.0 + y * l);
                let yy = z * l * l;
                let c = oracle::powf(HyperDual64::new(x, 1.0, 1.0, 0.0), y);
                assert!(
                    close(c.re, z) && close(c.eps1, y * x.powf(y - 1.0)),
                    "powf({x}, {y})'"
                );
                assert!(
                    close(c.eps1eps2, xx),
                    "∂²/∂x² powf({x}, {y}): {}",
                    c.eps1eps2
                );
                let at = |ex: [f64; 2], ey: [f64; 2]| {
                    oracle::powd(
                        HyperDual64::new(x, ex[0], ex[1], 0.0),
                        HyperDual64::new(y, ey[0], ey[1], 0.0),
                    )
                };
                let (dxx, dxy, dyx, dyy) = (
                    at([1.0, 1.0], [0.0, 0.0]),
                    at([1.0, 0.0], [0.0, 1.0]),
                    at([0.0, 1.0], [1.0, 0.0]),
                    at([0.0, 0.0], [1.0, 1.0]),
                );
                assert!(
                    close(dxx.re, z) && close(dyy.eps1, z * l),
                    "powd({x}, {y})'"
                );
                assert!(
                    close(dxx.eps1eps2, xx),
                    "∂²/∂x² powd({x}, {y}): {}",
                    dxx.eps1eps2
                );
                assert!(
                    close(dxy.eps1eps2, xy),
                    "∂²/∂x∂y powd({x}, {y}): {}",
                    dxy.eps1eps2
                );
                assert!(
                    close(dyx.eps1eps2, xy),
                    "∂²/∂y∂x powd({x}, {y}): {}",
                    dyx.eps1eps2
                );
                assert!(
                    close(dyy.eps1eps2, yy),
                    "∂²/∂y² powd({x}, {y}): {}",
                    dyy.eps1eps2
                );
            }
        }
    }
}
