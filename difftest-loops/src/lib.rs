//! Differential test of `#[grad]` on generated functions with branches,
//! loops and arrays (see `README.md`).
//!
//! `build.rs` generates random functions, each twice: once as a `#[grad]`
//! function over `f64`, once generic over num-dual's `DualNum` with the same
//! control flow (the oracle, which shares no code with the macro). The test
//! binaries `tests/loops_<s>.rs` include the generated code and call
//! [`check_against_oracle`] and [`check_oracle_by_finite_differences`]; this
//! crate holds the oracle's operations ([`oracle`]) and the checking
//! specific to these functions. What it shares with `difftest` ([`Report`],
//! the comparison `close`, the finite differences, the oracle's
//! [`Parts`](oracle::Parts)) is in `autodiff-difftest-harness`
//! (`difftest-harness/`).

pub use autodiff_difftest_harness::Report;
use autodiff_difftest_harness::{richardson, scaled_error};
use num_dual::{Dual64, HyperDual64};
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
pub use vector::{
    VCase, VectorOracle, check_jacobian, check_vector_jvp,
    check_vector_oracle_by_finite_differences, check_vjp, vector_oracle_at,
};

/// The vector-valued functions `vgen_<i>` ([`VCase`]): `f_jacobian`,
/// `f_vjp`, `f_jvp`.
mod vector;

/// Relative tolerance: `|a - b| <= TOL * max(1, |a|, |b|)`.
pub const TOL: f64 = 1e-9;
/// Two values closer than this (relative, as [`TOL`]) are a tie: a point
/// where a comparison, `max`, `min` or `abs` meets one is skipped.
pub const TIE: f64 = 1e-9;
/// Relative tolerance of second derivatives (`H·d`, Hessian entries).
pub const SECOND_TOL: f64 = 1e-8;
/// Relative tolerance of the hyper-dual oracle's self-check by finite
/// differences of the dual-number oracle's gradient.
pub const FD_SECOND_TOL: f64 = 1e-5;
/// The hyper-dual oracle's self-check runs on every `FD_SECOND_STRIDE`-th
/// function of a shard (its `H·d` at every point).
pub const FD_SECOND_STRIDE: usize = 1;
/// ... and checks every Hessian entry where a point has at most this many
/// float slots.
pub const FD_SECOND_FULL: usize = 8;
/// Fail when more than this fraction of points is skipped.
pub const MAX_SKIP_FRACTION: f64 = 0.02;
/// Relative tolerance of the oracle's self-check by finite differences.
pub const FD_TOL: f64 = 1e-5;

/// The oracle's operations, written from the mathematical definitions.
///
/// Each returns num-dual's derivative with `f64`'s own value (num-dual
/// computes some values differently, `tanh` as `sinh / cosh`, `a / b` as
/// `a * (1 / b)`), so that the oracle takes the branches the plain function
/// takes. Comparisons, `max`, `min` and `abs` record a *tie* when their
/// inputs are within [`TIE`] of each other (of 0 for `abs`),
/// unless they are exactly equal with the same derivative (then every
/// convention gives the same result); the harness skips such points. At
/// hyper-dual numbers, "the same derivative" means every part (`ε₁`, `ε₂`,
/// `ε₁ε₂`): the macro gives `max` at a tie the first derivative's
/// convention (½ of each side), which differs from either side's second
/// derivative.
///
/// Every helper is exact to second order, so that the same oracle serves
/// at `Dual64` (gradient, `f_jvp`) and at `HyperDual64` (`f_hvp`,
/// `f_hessian`).
pub mod oracle {
    pub use autodiff_difftest_harness::dual::{Parts, take_kinks as take_ties};
    use num_dual::DualNum;

    fn tie() {
        autodiff_difftest_harness::dual::record_kink();
    }

    /// Records a tie if `a` and `b` are within `TIE` of each other, unless
    /// they are the same value with the same derivatives (all parts).
    fn check_tie<D: DualNum<Primitive = f64> + Parts>(a: D, b: D) {
        let (x, y) = (a.re(), b.re());
        if x == y && a.same_derivatives(&b) {
            return;
        }
        // An infinity (`fold(f64::NEG_INFINITY, ..)`) is near nothing finite.
        if x.is_infinite() || y.is_infinite() {
            return;
        }
        if (x - y).abs() <= super::TIE * 1f64.max(x.abs()).max(y.abs()) {
            tie();
        }
    }

    pub fn lt<D: DualNum<Primitive = f64> + Parts>(a: D, b: D) -> bool {
        check_tie(a, b);
        a.re() < b.re()
    }

    pub fn le<D: DualNum<Primitive = f64> + Parts>(a: D, b: D) -> bool {
        check_tie(a, b);
        a.re() <= b.re()
    }

    pub fn gt<D: DualNum<Primitive = f64> + Parts>(a: D, b: D) -> bool {
        check_tie(a, b);
        a.re() > b.re()
    }

    pub fn ge<D: DualNum<Primitive = f64> + Parts>(a: D, b: D) -> bool {
        check_tie(a, b);
        a.re() >= b.re()
    }

    /// `max(a, b)`: the larger input, with its derivative.
    pub fn max<D: DualNum<Primitive = f64> + Parts>(a: D, b: D) -> D {
        check_tie(a, b);
        if a.re() >= b.re() { a } else { b }
    }

    /// `min(a, b)`: the smaller input, with its derivative.
    pub fn min<D: DualNum<Primitive = f64> + Parts>(a: D, b: D) -> D {
        check_tie(a, b);
        if a.re() <= b.re() { a } else { b }
    }

    /// `max_by` (`largest`) or `min_by` of the items, as `Iterator` picks:
    /// each item is compared with the one kept so far (through `gt`, `ge`,
    /// `lt`, `le`, so a near-equal pair counts as a tie), and replaces it if
    /// larger (smaller), or also if equal when `last` (`max_by` keeps the
    /// last of equal maxima, `min_by` the first of equal minima; a reversed
    /// comparator swaps both). Panics on no items, as `unwrap` does.
    pub fn pick<D: DualNum<Primitive = f64> + Parts>(
        items: impl IntoIterator<Item = D>,
        largest: bool,
        last: bool,
    ) -> D {
        let mut items = items.into_iter();
        let mut kept = items.next().expect("no items");
        for v in items {
            let replace = match (largest, last) {
                (true, true) => ge(v, kept),
                (true, false) => gt(v, kept),
                (false, true) => le(v, kept),
                (false, false) => lt(v, kept),
            };
            if replace {
                kept = v;
            }
        }
        kept
    }

    /// `|a|`: `a` or `-a`.
    pub fn abs<D: DualNum<Primitive = f64> + Parts>(a: D) -> D {
        check_tie(a, D::from(0.0));
        if a.re() < 0.0 { -a } else { a }
    }

    /// `a / b`: num-dual's derivative, `f64`'s quotient.
    pub fn div<D: DualNum<Primitive = f64> + Parts>(a: D, b: D) -> D {
        (a / b).with_re(a.re() / b.re())
    }

    pub fn exp<D: DualNum<Primitive = f64> + Parts>(a: D) -> D {
        a.exp().with_re(a.re().exp())
    }

    pub fn ln<D: DualNum<Primitive = f64> + Parts>(a: D) -> D {
        a.ln().with_re(a.re().ln())
    }

    pub fn sqrt<D: DualNum<Primitive = f64> + Parts>(a: D) -> D {
        a.sqrt().with_re(a.re().sqrt())
    }

    /// `tanh`, by the chain rule with `tanh' = 1 - tanh²` and
    /// `tanh'' = -2 tanh (1 - tanh²)`: num-dual computes it as
    /// `sinh / cosh`, whose derivatives are NaN once `cosh` overflows
    /// (`|a| > 710`), where `tanh` itself is flat.
    pub fn tanh<D: DualNum<Primitive = f64> + Parts>(a: D) -> D {
        let t = a.re().tanh();
        let s = 1.0 - t * t;
        chain(a, t, s, -2.0 * t * s)
    }

    /// `f(a)` from `f`'s value `f0`, first derivative `f1` and second
    /// derivative `f2` at `a.re()`: with `h = a - a.re()`,
    /// `f0 + h f1 + h² f2 / 2` (value exactly `f0`; at `Dual64` the
    /// derivative `ȧ f1`, at `HyperDual64` also the `ε₁ε₂` part
    /// `f1 ä + f2 ȧ₁ ȧ₂`, since `h²`'s is `2 ȧ₁ ȧ₂`).
    fn chain<D: DualNum<Primitive = f64> + Parts>(a: D, f0: f64, f1: f64, f2: f64) -> D {
        let h = a - D::from(a.re());
        h * D::from(f1) + h * h * D::from(0.5 * f2) + D::from(f0)
    }

    pub fn sin<D: DualNum<Primitive = f64> + Parts>(a: D) -> D {
        a.sin().with_re(a.re().sin())
    }

    pub fn cos<D: DualNum<Primitive = f64> + Parts>(a: D) -> D {
        a.cos().with_re(a.re().cos())
    }

    pub fn powi<D: DualNum<Primitive = f64> + Parts>(a: D, n: i32) -> D {
        a.powi(n).with_re(a.re().powi(n))
    }
}

/// The values of the parameters at one test point, in declaration order
/// within each kind.
pub struct Point<'a> {
    /// One list per float parameter (scalar: one value; array: `K`; slice
    /// or `Vec`: the point's length).
    pub f: &'a [&'a [f64]],
    /// The direction of `f_jvp` and `f_hvp` at this point, shaped as `f`,
    /// each coordinate in `[-1, 1]`.
    pub d: &'a [&'a [f64]],
    /// The `usize` parameters.
    pub i: &'a [usize],
    /// The `bool` parameters.
    pub b: &'a [bool],
    /// The labels parameters (`&[usize]`, `Vec<usize>`).
    pub l: &'a [&'a [usize]],
    /// The `f_grad` call at this point, as Rust source (to reproduce it).
    pub call: &'a str,
    /// The `f_jvp` call at this point and direction (`f_hvp` takes the same
    /// arguments).
    pub dcall: &'a str,
}

/// Value and one gradient per float parameter (scalars as lists of one).
pub type Grads = (f64, Vec<Vec<f64>>);

/// `f_jvp` at a point and its direction: the value and `∇f·d`.
pub type Jvp = fn(&Point) -> (f64, f64);

/// What `f_hvp` gives, as lists: the value, one gradient per float
/// parameter and one `H·d` per float parameter (scalars as lists of one);
/// and what `f_hessian` gives: the value, the gradient, and the Hessian's
/// rows over the float slots in declaration order.
pub type Second = (f64, Vec<Vec<f64>>, Vec<Vec<f64>>);

/// One generated function.
pub struct Case {
    pub name: &'static str,
    /// Its source text, as given to `#[grad]`.
    pub source: &'static str,
    /// Names of the float parameters, in order (the gradient slots); arrays,
    /// slices and `Vec`s end in `[]`.
    pub floats: &'static [&'static str],
    pub points: &'static [Point<'static>],
    /// The function as written.
    pub plain: fn(&Point) -> f64,
    /// `f_grad` (`None` when generated without the macro).
    pub grad: Option<fn(&Point) -> Grads>,
    /// `f_grad_into` (functions with a slice, `Vec` or struct parameter).
    pub into: Option<fn(&Point) -> Grads>,
    /// The float parameters (indices into `floats`) whose gradients
    /// `grad` and `into` return, in order, when `#[grad(wrt(..))]` leaves
    /// some out; `None`: all of them.
    pub grad_of: Option<&'static [usize]>,
    /// The oracle at `Dual64` inputs.
    pub dual: fn(&Point, &[Vec<Dual64>]) -> Dual64,
    /// `f_jvp` at the point and its direction (`None` without `forward`).
    pub jvp: Option<Jvp>,
    /// `f_hvp` at the point and its direction (`None` without `hessian`).
    pub hvp: Option<fn(&Point) -> Second>,
    /// `f_hessian` (`None` without `hessian`, or with a slice or `Vec`
    /// parameter).
    pub hessian: Option<fn(&Point) -> Second>,
    /// The oracle at `HyperDual64` inputs.
    pub hyper: fn(&Point, &[Vec<HyperDual64>]) -> HyperDual64,
}

/// `[T; K]` from a slice of length `K`.
pub fn arr<T: Copy, const K: usize>(s: &[T]) -> [T; K] {
    s.try_into().expect("array parameter of the wrong length")
}

/// The oracle at `p`: one forward-mode pass per input coordinate, with that
/// coordinate's `Dual64` seeded. Returns the value, the gradient (shaped as
/// [`Grads`]) and the number of ties met.
pub fn oracle_at(case: &Case, p: &Point) -> (f64, Vec<Vec<f64>>, u32) {
    oracle::take_ties();
    let base: Vec<Vec<Dual64>> =
        p.f.iter()
            .map(|xs| xs.iter().map(|&x| Dual64::new(x, 0.0)).collect())
            .collect();
    let mut value = f64::NAN;
    let mut grad: Vec<Vec<f64>> = p.f.iter().map(|xs| vec![0.0; xs.len()]).collect();
    let mut any = false;
    for (pi, xs) in p.f.iter().enumerate() {
        for k in 0..xs.len() {
            let mut d = base.clone();
            d[pi][k].eps = 1.0;
            let r = (case.dual)(p, &d);
            value = r.re;
            grad[pi][k] = r.eps;
            any = true;
        }
    }
    if !any {
        value = (case.dual)(p, &base).re;
    }
    (value, grad, oracle::take_ties())
}

fn panic_text(e: &(dyn std::any::Any + Send)) -> String {
    e.downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| e.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(non-string panic)".into())
}

/// Runs `f`, turning a panic into an error message.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|e| panic_text(&*e))
}

/// `∂f/∂a` or `∂f/∂x[2]`.
fn slot_name(case: &Case, pi: usize, k: usize) -> String {
    match case.floats[pi].strip_suffix("[]") {
        Some(name) => format!("∂f/∂{name}[{k}]"),
        None => format!("∂f/∂{}", case.floats[pi]),
    }
}

/// Compares `f`, `f_grad`, `f_grad_into` and the oracle on every case and
/// point.
pub fn check_against_oracle(cases: &[Case]) -> Report {
    let mut r = Report::new(cases.len());
    // The struct functions' share (functions, points, comparisons,
    // skipped, failures), printed apart.
    let mut structs = [0usize; 5];
    for case in cases {
        let before = (r.points, r.comparisons, r.skipped(), r.failures.len());
        check_case_against_oracle(&mut r, case);
        if is_struct_case(case) {
            structs[0] += 1;
            structs[1] += r.points - before.0;
            structs[2] += r.comparisons - before.1;
            structs[3] += r.skipped() - before.2;
            structs[4] += r.failures.len() - before.3;
        }
    }
    let [n, points, comparisons, skipped, failures] = structs;
    println!(
        "struct functions (p: &S, p: S, &self): {n} functions, {points} points, \
         {comparisons} comparisons, {skipped} skipped, {failures} failures"
    );
    r
}

/// Whether `case` has a struct parameter (its slots named `p.slots()[]`).
pub fn is_struct_case(case: &Case) -> bool {
    case.floats.iter().any(|f| f.ends_with(".slots()[]"))
}

/// [`check_against_oracle`] for one case.
fn check_case_against_oracle(r: &mut Report, case: &Case) {
    for p in case.points {
        r.points += 1;
        let (ov, og, ties) = match guarded(|| oracle_at(case, p)) {
            Ok(o) => o,
            Err(e) => {
                r.failures.push(format!(
                    "PANIC in the oracle of {} at {}: {e}\n{}",
                    case.name, p.call, case.source
                ));
                continue;
            }
        };
        if r.skip(ov, ties) {
            continue;
        }
        // The partials `f_grad` returns (those of `wrt(..)`), with the
        // index of their parameter.
        let og: Vec<(usize, Vec<f64>)> = match case.grad_of {
            None => og.into_iter().enumerate().collect(),
            Some(of) => of.iter().map(|&k| (k, og[k].clone())).collect(),
        };
        let mut bad = Vec::new();
        let mut results = Vec::new();
        let plain = guarded(|| (case.plain)(p));
        let grad = case.grad.map(|g| guarded(|| g(p)));
        let into = case.into.map(|g| guarded(|| g(p)));
        match &plain {
            Ok(v) => {
                if !r.compare(*v, ov, TOL) {
                    bad.push(format!("plain f: {v:?} vs oracle {ov:?}"));
                }
            }
            Err(e) => bad.push(format!("plain f panicked: {e}")),
        }
        for (what, res) in [("f_grad", grad), ("f_grad_into", into)] {
            let Some(res) = res else { continue };
            let (gv, gg) = match res {
                Ok(x) => x,
                Err(e) => {
                    bad.push(format!("{what} panicked: {e}"));
                    continue;
                }
            };
            results.push(format!("  {what:<11}: value {gv:?}, gradient {gg:?}"));
            if !r.compare(gv, ov, TOL) {
                bad.push(format!(
                    "{what} value: {gv:?} vs oracle {ov:?} (diff {:.3e})",
                    gv - ov
                ));
            }
            if gg.len() != og.len() {
                bad.push(format!(
                    "{what}: {} gradient slots, expected {}",
                    gg.len(),
                    og.len()
                ));
                continue;
            }
            for (a, (pi, b)) in gg.iter().zip(&og) {
                let pi = *pi;
                if a.len() != b.len() {
                    bad.push(format!(
                        "{what}: gradient of `{}` has length {}, expected {}",
                        case.floats[pi],
                        a.len(),
                        b.len()
                    ));
                    continue;
                }
                for (k, (x, y)) in a.iter().zip(b).enumerate() {
                    if !r.compare(*x, *y, TOL) {
                        bad.push(format!(
                            "{what} {}: {x:?} vs oracle {y:?} (diff {:.3e})",
                            slot_name(case, pi, k),
                            x - y
                        ));
                    }
                }
            }
        }
        if !bad.is_empty() {
            let mut msg = String::new();
            writeln!(msg, "MISMATCH in {} at {}", case.name, p.call).unwrap();
            for b in &bad {
                writeln!(msg, "  {b}").unwrap();
            }
            for line in &results {
                writeln!(msg, "{line}").unwrap();
            }
            if let Ok(v) = plain {
                writeln!(msg, "  plain f    : value {v:?}").unwrap();
            }
            writeln!(msg, "  oracle     : value {ov:?}, gradient {og:?}").unwrap();
            writeln!(msg, "  source:\n{}", case.source).unwrap();
            r.failures.push(msg);
        }
    }
}

/// The float slots of a point, in declaration order: `(parameter, element)`.
fn slots(p: &Point) -> Vec<(usize, usize)> {
    p.f.iter()
        .enumerate()
        .flat_map(|(pi, xs)| (0..xs.len()).map(move |k| (pi, k)))
        .collect()
}

/// `x[2]` or `a`: the name of a float slot.
fn slot_label(case: &Case, pi: usize, k: usize) -> String {
    match case.floats[pi].strip_suffix("[]") {
        Some(name) => format!("{name}[{k}]"),
        None => case.floats[pi].to_string(),
    }
}

/// The oracle at `Dual64` inputs carrying the point's direction: one
/// forward pass, `(value, ∇f·d)` in its parts.
pub fn oracle_along(case: &Case, p: &Point) -> Dual64 {
    let x: Vec<Vec<Dual64>> =
        p.f.iter()
            .zip(p.d)
            .map(|(xs, ds)| {
                xs.iter()
                    .zip(*ds)
                    .map(|(&x, &d)| Dual64::new(x, d))
                    .collect()
            })
            .collect();
    (case.dual)(p, &x)
}

/// The oracle at `HyperDual64` inputs: slot `s` (flat, in declaration
/// order) carries `e1(s) ε₁ + e2(s) ε₂`.
pub fn hyper_at(
    case: &Case,
    p: &Point,
    e1: impl Fn(usize) -> f64,
    e2: impl Fn(usize) -> f64,
) -> HyperDual64 {
    let mut s = 0;
    let mut x = Vec::with_capacity(p.f.len());
    for xs in p.f {
        let mut row = Vec::with_capacity(xs.len());
        for &v in *xs {
            row.push(HyperDual64::new(v, e1(s), e2(s), 0.0));
            s += 1;
        }
        x.push(row);
    }
    (case.hyper)(p, &x)
}

/// What the hyper-dual oracle gives at a point ([`second_order_oracle`]).
pub struct SecondOracle {
    /// `f(x)`.
    pub value: f64,
    /// `∇f(x)`, shaped as the parameters.
    pub gradient: Vec<Vec<f64>>,
    /// `H·d` along the point's direction, shaped as the parameters.
    pub hd: Vec<Vec<f64>>,
    /// The Hessian over the flat slots, row by row, if asked for.
    pub hessian: Option<Vec<Vec<f64>>>,
    /// Ties met (the point is skipped if there is one).
    pub ties: u32,
}

/// The hyper-dual oracle at `p`: `(H·d)ᵢ` and `∂f/∂xᵢ` from one evaluation
/// with slot `i` carrying `ε₁` and every slot `k` carrying `dₖ ε₂` (its
/// `ε₁ε₂` and `ε₁` parts); with `hessian`, entry `(i, j)` from one
/// evaluation with slot `i` carrying `ε₁` and slot `j` carrying `ε₂`.
pub fn second_order_oracle(case: &Case, p: &Point, hessian: bool) -> SecondOracle {
    oracle::take_ties();
    let slots = slots(p);
    let d: Vec<f64> = p.d.iter().flat_map(|ds| ds.iter().copied()).collect();
    let unit = |i: usize| move |k: usize| if k == i { 1.0 } else { 0.0 };
    let mut gradient: Vec<Vec<f64>> = p.f.iter().map(|xs| vec![f64::NAN; xs.len()]).collect();
    let mut hd = gradient.clone();
    let mut value = f64::NAN;
    for (i, &(pi, k)) in slots.iter().enumerate() {
        let r = hyper_at(case, p, unit(i), |s| d[s]);
        value = r.re;
        gradient[pi][k] = r.eps1;
        hd[pi][k] = r.eps1eps2;
    }
    let hessian = hessian.then(|| {
        let n = slots.len();
        (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| hyper_at(case, p, unit(i), unit(j)).eps1eps2)
                    .collect()
            })
            .collect()
    });
    SecondOracle {
        value,
        gradient,
        hd,
        hessian,
        ties: oracle::take_ties(),
    }
}

/// Compares `got` with `want` slot by slot (both shaped as the
/// parameters), at `tol`; a mismatch or a wrong shape goes into `bad`.
/// Returns the largest scaled error among those that agree.
fn compare_slots(
    r: &mut Report,
    case: &Case,
    what: &str,
    got: &[Vec<f64>],
    want: &[Vec<f64>],
    tol: f64,
    bad: &mut Vec<String>,
) -> f64 {
    let mut largest = 0.0f64;
    if got.len() != want.len() {
        bad.push(format!(
            "{what}: {} slots, expected {}",
            got.len(),
            want.len()
        ));
        return largest;
    }
    for (pi, (a, b)) in got.iter().zip(want).enumerate() {
        if a.len() != b.len() {
            bad.push(format!(
                "{what} of `{}`: length {}, expected {}",
                case.floats[pi],
                a.len(),
                b.len()
            ));
            continue;
        }
        for (k, (x, y)) in a.iter().zip(b).enumerate() {
            if r.compare(*x, *y, tol) {
                largest = largest.max(scaled_error(*x, *y));
            } else {
                bad.push(format!(
                    "{what} at {}: {x:?} vs oracle {y:?} (diff {:.3e})",
                    slot_label(case, pi, k),
                    x - y
                ));
            }
        }
    }
    largest
}

/// The message of a failing point of the checks beyond the gradient.
/// `what` is the function (`"jvp"`, `"hvp"`, `"hessian"`), printed with
/// its call at this point (to reproduce it).
fn mismatch(case: &Case, p: &Point, what: &str, bad: &[String], results: &[String]) -> String {
    let call = match what {
        "hessian" => p.call.replacen("_grad(", "_hessian(", 1),
        _ => p.dcall.replacen("_jvp(", &format!("_{what}("), 1),
    };
    let mut msg = String::new();
    writeln!(msg, "MISMATCH in {}_{what}: {call}", case.name).unwrap();
    writeln!(
        msg,
        "  (point as for f_grad: {}; direction d = {:?})",
        p.call, p.d
    )
    .unwrap();
    for b in bad {
        writeln!(msg, "  {b}").unwrap();
    }
    for line in results {
        writeln!(msg, "  {line}").unwrap();
    }
    writeln!(msg, "  source:\n{}", case.source).unwrap();
    msg
}

/// Compares `f_jvp` with the oracle at `Dual64` numbers carrying each
/// point's direction (one forward pass), at [`TOL`]: the value and the
/// directional derivative `∇f·d`. A point is skipped where the gradient's
/// check skips it (a non-finite value, a tie met by the per-coordinate
/// oracle) or where the directional pass meets a tie.
pub fn check_forward_mode(cases: &[Case]) -> Report {
    let mut r = Report::new(cases.iter().filter(|c| c.jvp.is_some()).count());
    for case in cases {
        let Some(jvp) = case.jvp else {
            continue;
        };
        for p in case.points {
            r.points += 1;
            let want = guarded(|| {
                let (_, _, ties) = oracle_at(case, p);
                let along = oracle_along(case, p);
                (along, ties + oracle::take_ties())
            });
            let (want, ties) = match want {
                Ok(w) => w,
                Err(e) => {
                    r.failures.push(format!(
                        "PANIC in the oracle of {} at {}: {e}\n{}",
                        case.name, p.dcall, case.source
                    ));
                    continue;
                }
            };
            if r.skip(want.re, ties) {
                continue;
            }
            let mut bad = Vec::new();
            let mut results = Vec::new();
            match guarded(|| jvp(p)) {
                Ok((value, tangent)) => {
                    results.push(format!("f_jvp : ({value:?}, {tangent:?})"));
                    if !r.compare(value, want.re, TOL) {
                        bad.push(format!(
                            "value {value:?} vs oracle {:?} (diff {:.3e})",
                            want.re,
                            value - want.re
                        ));
                    }
                    if !r.compare(tangent, want.eps, TOL) {
                        bad.push(format!(
                            "∇f·d {tangent:?} vs oracle {:?} (diff {:.3e})",
                            want.eps,
                            tangent - want.eps
                        ));
                    }
                }
                Err(e) => bad.push(format!("f_jvp panicked: {e}")),
            }
            if !bad.is_empty() {
                results.push(format!("oracle: ({:?}, {:?})", want.re, want.eps));
                r.failures.push(mismatch(case, p, "jvp", &bad, &results));
            }
        }
    }
    r
}

/// Compares `f_hvp` (value, gradient, `H·d` along each point's direction)
/// with the hyper-dual oracle ([`second_order_oracle`]): the value and the
/// gradient at [`TOL`], `H·d` at [`SECOND_TOL`]. A point is skipped if the
/// oracle's value is not finite or it met a tie (with any part differing,
/// second ones included). Prints the largest scaled error of `H·d` alone.
pub fn check_hvp(cases: &[Case]) -> Report {
    let mut r = Report::new(cases.iter().filter(|c| c.hvp.is_some()).count());
    let mut max_second = 0.0f64;
    for case in cases {
        let Some(hvp) = case.hvp else {
            continue;
        };
        for p in case.points {
            r.points += 1;
            let want = match guarded(|| second_order_oracle(case, p, false)) {
                Ok(w) => w,
                Err(e) => {
                    r.failures.push(format!(
                        "PANIC in the hyper-dual oracle of {} at {}: {e}\n{}",
                        case.name, p.dcall, case.source
                    ));
                    continue;
                }
            };
            if r.skip(want.value, want.ties) {
                continue;
            }
            let mut bad = Vec::new();
            let mut results = Vec::new();
            match guarded(|| hvp(p)) {
                Ok((value, gradient, hd)) => {
                    results.push(format!(
                        "f_hvp : value {value:?}, gradient {gradient:?}, H·d {hd:?}"
                    ));
                    if !r.compare(value, want.value, TOL) {
                        bad.push(format!(
                            "value {value:?} vs oracle {:?} (diff {:.3e})",
                            want.value,
                            value - want.value
                        ));
                    }
                    compare_slots(&mut r, case, "∂f", &gradient, &want.gradient, TOL, &mut bad);
                    let e = compare_slots(&mut r, case, "H·d", &hd, &want.hd, SECOND_TOL, &mut bad);
                    max_second = max_second.max(e);
                }
                Err(e) => bad.push(format!("f_hvp panicked: {e}")),
            }
            if !bad.is_empty() {
                results.push(format!(
                    "oracle: value {:?}, gradient {:?}, H·d {:?}",
                    want.value, want.gradient, want.hd
                ));
                r.failures.push(mismatch(case, p, "hvp", &bad, &results));
            }
        }
    }
    println!("H·d alone: max |a-b|/max(1,|a|,|b|) = {max_second:.3e}");
    r
}

/// Compares `f_hessian` (value, gradient, every entry) with the hyper-dual
/// oracle ([`second_order_oracle`]) on the functions that have it (no
/// slice or `Vec` parameter): the value and the gradient at [`TOL`], the
/// entries at [`SECOND_TOL`]. Skips as [`check_hvp`]. Prints the largest
/// scaled error of the entries alone.
pub fn check_hessian(cases: &[Case]) -> Report {
    let mut r = Report::new(cases.iter().filter(|c| c.hessian.is_some()).count());
    let mut max_second = 0.0f64;
    for case in cases {
        let Some(hessian) = case.hessian else {
            continue;
        };
        for p in case.points {
            r.points += 1;
            let want = match guarded(|| second_order_oracle(case, p, true)) {
                Ok(w) => w,
                Err(e) => {
                    r.failures.push(format!(
                        "PANIC in the hyper-dual oracle of {} at {}: {e}\n{}",
                        case.name, p.call, case.source
                    ));
                    continue;
                }
            };
            if r.skip(want.value, want.ties) {
                continue;
            }
            let want_h = want.hessian.as_deref().unwrap_or_default();
            let mut bad = Vec::new();
            let mut results = Vec::new();
            match guarded(|| hessian(p)) {
                Ok((value, gradient, h)) => {
                    results.push(format!(
                        "f_hessian : value {value:?}, gradient {gradient:?}, H {h:?}"
                    ));
                    if !r.compare(value, want.value, TOL) {
                        bad.push(format!(
                            "value {value:?} vs oracle {:?} (diff {:.3e})",
                            want.value,
                            value - want.value
                        ));
                    }
                    compare_slots(&mut r, case, "∂f", &gradient, &want.gradient, TOL, &mut bad);
                    let labels: Vec<String> = slots(p)
                        .into_iter()
                        .map(|(pi, k)| slot_label(case, pi, k))
                        .collect();
                    let rows_ok = h.len() == want_h.len()
                        && h.iter().zip(want_h).all(|(a, b)| a.len() == b.len());
                    if !rows_ok {
                        bad.push(format!(
                            "Hessian of shape {:?}, expected {}×{}",
                            h.iter().map(Vec::len).collect::<Vec<_>>(),
                            want_h.len(),
                            want_h.len()
                        ));
                    } else {
                        for (i, (a, b)) in h.iter().zip(want_h).enumerate() {
                            for (j, (x, y)) in a.iter().zip(b).enumerate() {
                                if r.compare(*x, *y, SECOND_TOL) {
                                    max_second = max_second.max(scaled_error(*x, *y));
                                } else {
                                    bad.push(format!(
                                        "H[{}, {}]: {x:?} vs oracle {y:?} (diff {:.3e})",
                                        labels[i],
                                        labels[j],
                                        x - y
                                    ));
                                }
                            }
                        }
                    }
                }
                Err(e) => bad.push(format!("f_hessian panicked: {e}")),
            }
            if !bad.is_empty() {
                results.push(format!(
                    "oracle: value {:?}, gradient {:?}, H {want_h:?}",
                    want.value, want.gradient
                ));
                r.failures
                    .push(mismatch(case, p, "hessian", &bad, &results));
            }
        }
    }
    println!("Hessian entries alone: max |a-b|/max(1,|a|,|b|) = {max_second:.3e}");
    r
}

/// Self-check of the hyper-dual oracle, independent of the macro, on every
/// `stride`-th case: `(H·d)ᵢ` against central finite differences (with
/// Richardson extrapolation, [`richardson`]) along `d` of the `Dual64`
/// oracle's `∂f/∂xᵢ`, and, for functions of at most `max_full` float slots
/// at a point, every Hessian entry `(i, j)` against finite differences in
/// `xⱼ` of `∂f/∂xᵢ`; at relative tolerance [`FD_SECOND_TOL`]. Points where
/// two step sizes disagree are skipped as non-smooth.
pub fn check_second_order_oracle_by_finite_differences(
    cases: &[Case],
    stride: usize,
    max_full: usize,
) -> Report {
    let mut r = Report::default();
    for case in cases.iter().step_by(stride.max(1)) {
        r.functions += 1;
        'points: for p in case.points {
            r.points += 1;
            let slots = slots(p);
            let full = slots.len() <= max_full;
            let Ok(want) = guarded(|| second_order_oracle(case, p, full)) else {
                r.failures.push(format!(
                    "PANIC in the hyper-dual oracle of {} at {}",
                    case.name, p.call
                ));
                continue;
            };
            if r.skip(want.value, want.ties) {
                continue;
            }
            // `∂f/∂(slot i)` by the `Dual64` oracle at `x + t e` (`e` a
            // direction over the flat slots).
            let partial = |i: usize, e: &dyn Fn(usize) -> f64, t: f64| {
                let mut s = 0;
                let mut x = Vec::with_capacity(p.f.len());
                for xs in p.f {
                    let mut row = Vec::with_capacity(xs.len());
                    for &v in *xs {
                        row.push(Dual64::new(v + t * e(s), if s == i { 1.0 } else { 0.0 }));
                        s += 1;
                    }
                    x.push(row);
                }
                (case.dual)(p, &x).eps
            };
            let d: Vec<f64> = p.d.iter().flat_map(|ds| ds.iter().copied()).collect();
            let mut checks: Vec<(String, f64, f64)> = Vec::new();
            for (i, &(pi, k)) in slots.iter().enumerate() {
                let Some(fd) = richardson(|t| partial(i, &|s| d[s], t), 0.0) else {
                    r.skipped_nonsmooth += 1;
                    continue 'points;
                };
                checks.push((
                    format!("(H·d) at {}", slot_label(case, pi, k)),
                    want.hd[pi][k],
                    fd,
                ));
            }
            if let Some(h) = &want.hessian {
                for (i, &(pi, k)) in slots.iter().enumerate() {
                    for (j, &(pj, l)) in slots.iter().enumerate() {
                        let unit = |s: usize| if s == j { 1.0 } else { 0.0 };
                        let Some(fd) = richardson(|t| partial(i, &unit, t), 0.0) else {
                            r.skipped_nonsmooth += 1;
                            continue 'points;
                        };
                        checks.push((
                            format!(
                                "H[{}, {}]",
                                slot_label(case, pi, k),
                                slot_label(case, pj, l)
                            ),
                            h[i][j],
                            fd,
                        ));
                    }
                }
            }
            for (what, a, b) in checks {
                if !r.compare(a, b, FD_SECOND_TOL) {
                    r.failures.push(format!(
                        "{}: {what} hyper-dual oracle {a:?} vs finite differences {b:?} at {}, d = {:?}\n{}",
                        case.name, p.call, p.d, case.source
                    ));
                }
            }
        }
    }
    r
}

/// Self-check of the generator and the oracle, independent of the macro:
/// the oracle's partials against central finite differences (with Richardson
/// extrapolation, [`richardson`]) of the plain function, at relative
/// tolerance [`FD_TOL`],
/// on every `stride`-th case. Points where two step sizes disagree (a branch
/// flips, or a `max` switches, within the step) are skipped as non-smooth.
pub fn check_oracle_by_finite_differences(cases: &[Case], stride: usize) -> Report {
    let mut r = Report::default();
    for case in cases.iter().step_by(stride.max(1)) {
        r.functions += 1;
        'points: for p in case.points {
            r.points += 1;
            let Ok((ov, og, ties)) = guarded(|| oracle_at(case, p)) else {
                r.failures.push(format!(
                    "PANIC in the oracle of {} at {}",
                    case.name, p.call
                ));
                continue;
            };
            if r.skip(ov, ties) {
                continue;
            }
            // The plain function at a point whose float inputs are `xs`.
            let eval = |xs: &[Vec<f64>]| -> f64 {
                let f: Vec<&[f64]> = xs.iter().map(Vec::as_slice).collect();
                let q = Point { f: &f, ..*p };
                (case.plain)(&q)
            };
            let x0: Vec<Vec<f64>> = p.f.iter().map(|v| v.to_vec()).collect();
            let mut fd: Vec<Vec<f64>> = Vec::new();
            for (pi, xs) in x0.iter().enumerate() {
                let mut row = Vec::new();
                for k in 0..xs.len() {
                    let along = |t: f64| {
                        let mut a = x0.clone();
                        a[pi][k] = t;
                        eval(&a)
                    };
                    let Some(d) = richardson(along, xs[k]) else {
                        r.skipped_nonsmooth += 1;
                        continue 'points;
                    };
                    row.push(d);
                }
                fd.push(row);
            }
            for (pi, (a, b)) in og.iter().zip(&fd).enumerate() {
                for (k, (x, y)) in a.iter().zip(b).enumerate() {
                    if !r.compare(*x, *y, FD_TOL) {
                        r.failures.push(format!(
                            "{}: {} oracle {x:?} vs finite differences {y:?} at {}\n{}",
                            case.name,
                            slot_name(case, pi, k),
                            p.call,
                            case.source
                        ));
                    }
                }
            }
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::oracle::pick;
    use num_dual::Dual64;

    /// `o::pick` keeps the element `Iterator::max_by`/`min_by` keep, ties
    /// included (the derivative tells which one).
    #[test]
    fn pick_keeps_what_the_iterator_keeps() {
        let xs = [(1.0, 1.0), (3.0, 2.0), (3.0, 3.0), (1.0, 4.0), (2.0, 5.0)];
        let duals = xs.map(|(x, e)| Dual64::new(x, e));
        let by = |a: &&(f64, f64), b: &&(f64, f64)| a.0.total_cmp(&b.0);
        let rev = |a: &&(f64, f64), b: &&(f64, f64)| b.0.total_cmp(&a.0);
        let cases = [
            (xs.iter().max_by(by), true, true),
            (xs.iter().min_by(by), false, false),
            (xs.iter().max_by(rev), false, true),
            (xs.iter().min_by(rev), true, false),
        ];
        for (kept, largest, last) in cases {
            assert_eq!(pick(duals, largest, last).eps, kept.unwrap().1);
        }
    }
}

/// Each check beyond the gradient fails when one side is wrong: a
/// hand-written case (a loop, a branch, a fixed-length slice and a scalar)
/// passes every check with its true `f_jvp`, `f_hvp`, `f_hessian` and
/// hyper-dual oracle, and each check reports failures once the function or
/// the oracle it compares is corrupted.
#[cfg(test)]
#[allow(clippy::needless_range_loop)] // index loops, as the generated functions write them
mod higher_order_checks_can_fail {
    use super::oracle as o;
    use super::*;
    use autodiff_core::grad;
    use num_dual::DualNum;

    #[grad(forward, hessian)]
    pub fn demo(x: &[f64; 3], a: f64) -> f64 {
        let mut s = 0.0;
        for i in 0..x.len() {
            if x[i] > a {
                s += (x[i] * a).sin();
            } else {
                s += x[i] * x[i] * a;
            }
        }
        (s * a).tanh()
    }

    fn demo_oracle<D: DualNum<Primitive = f64> + Copy + o::Parts>(x: &[D], a: D) -> D {
        let mut s = D::from(0.0);
        for i in 0..x.len() {
            if o::gt(x[i], a) {
                s += o::sin(x[i] * a);
            } else {
                s += x[i] * x[i] * a;
            }
        }
        o::tanh(s * a)
    }

    fn plain(p: &Point) -> f64 {
        demo(&arr(p.f[0]), p.f[1][0])
    }
    fn dual(p: &Point, d: &[Vec<Dual64>]) -> Dual64 {
        let _ = p;
        demo_oracle(&d[0], d[1][0])
    }
    fn hyper(p: &Point, d: &[Vec<HyperDual64>]) -> HyperDual64 {
        let _ = p;
        demo_oracle(&d[0], d[1][0])
    }
    fn g(p: &Point) -> Grads {
        let r = demo_grad(&arr(p.f[0]), p.f[1][0]);
        (r.0, vec![r.1.to_vec(), vec![r.2]])
    }
    fn j(p: &Point) -> (f64, f64) {
        demo_jvp(&arr(p.f[0]), p.f[1][0], &arr(p.d[0]), p.d[1][0])
    }
    fn h(p: &Point) -> Second {
        let r = demo_hvp(&arr(p.f[0]), p.f[1][0], &arr(p.d[0]), p.d[1][0]);
        (
            r.0,
            vec![r.1.to_vec(), vec![r.2]],
            vec![r.3.to_vec(), vec![r.4]],
        )
    }
    fn hess(p: &Point) -> Second {
        let r = demo_hessian(&arr(p.f[0]), p.f[1][0]);
        (
            r.0,
            vec![r.1.to_vec(), vec![r.2]],
            r.3.iter().map(|row| row.to_vec()).collect(),
        )
    }
    // The corruptions, one part each.
    fn j_bad(p: &Point) -> (f64, f64) {
        let (v, t) = j(p);
        (v, t * (1.0 + 1e-6))
    }
    fn h_bad(p: &Point) -> Second {
        let (v, g, mut hd) = h(p);
        hd[0][1] += 1e-6;
        (v, g, hd)
    }
    fn hess_bad(p: &Point) -> Second {
        let (v, g, mut hh) = hess(p);
        hh[2][3] += 1e-6;
        (v, g, hh)
    }
    fn hyper_bad(p: &Point, d: &[Vec<HyperDual64>]) -> HyperDual64 {
        let r = hyper(p, d);
        HyperDual64::new(r.re, r.eps1, r.eps2, r.eps1eps2 + 1e-3)
    }

    const POINTS: &[Point<'static>] = &[
        Point {
            f: &[&[0.5, -1.2, 0.9], &[0.3]],
            d: &[&[0.25, -0.5, 1.0], &[-0.75]],
            i: &[],
            b: &[],
            l: &[],
            call: "demo_grad(&[0.5, -1.2, 0.9], 0.3)",
            dcall: "demo_jvp(&[0.5, -1.2, 0.9], 0.3, &[0.25, -0.5, 1.0], -0.75)",
        },
        Point {
            f: &[&[-0.4, 1.7, 0.2], &[-0.6]],
            d: &[&[-1.0, 0.5, 0.125], &[0.5]],
            i: &[],
            b: &[],
            l: &[],
            call: "demo_grad(&[-0.4, 1.7, 0.2], -0.6)",
            dcall: "demo_jvp(&[-0.4, 1.7, 0.2], -0.6, &[-1.0, 0.5, 0.125], 0.5)",
        },
    ];

    fn case() -> Case {
        Case {
            name: "demo",
            source: "(see higher_order_checks_can_fail::demo)",
            floats: &["x[]", "a"],
            points: POINTS,
            plain,
            grad: Some(g),
            into: None,
            grad_of: None,
            dual,
            jvp: Some(j),
            hvp: Some(h),
            hessian: Some(hess),
            hyper,
        }
    }

    #[test]
    fn the_true_case_passes_every_check() {
        let cases = [case()];
        for (what, r) in [
            ("grad", check_against_oracle(&cases)),
            ("jvp", check_forward_mode(&cases)),
            ("hvp", check_hvp(&cases)),
            ("hessian", check_hessian(&cases)),
            (
                "hyper-dual oracle",
                check_second_order_oracle_by_finite_differences(&cases, 1, 8),
            ),
        ] {
            assert!(r.failures.is_empty(), "{what}: {:?}", r.failures);
            assert!(
                r.comparisons > 0 && r.skipped() == 0,
                "{what}: {}",
                r.summary()
            );
        }
    }

    #[test]
    fn each_check_fails_on_a_corrupted_part() {
        let bad = [Case {
            jvp: Some(j_bad),
            hvp: Some(h_bad),
            hessian: Some(hess_bad),
            ..case()
        }];
        let r = check_forward_mode(&bad);
        assert_eq!(r.failures.len(), 2, "{}", r.summary());
        assert!(r.failures[0].contains("∇f·d"), "{}", r.failures[0]);
        let r = check_hvp(&bad);
        assert_eq!(r.failures.len(), 2, "{}", r.summary());
        assert!(r.failures[0].contains("H·d at x[1]"), "{}", r.failures[0]);
        let r = check_hessian(&bad);
        assert_eq!(r.failures.len(), 2, "{}", r.summary());
        assert!(r.failures[0].contains("H[x[2], a]"), "{}", r.failures[0]);
        let bad_oracle = [Case {
            hyper: hyper_bad,
            ..case()
        }];
        let r = check_second_order_oracle_by_finite_differences(&bad_oracle, 1, 8);
        assert!(!r.failures.is_empty(), "{}", r.summary());
        // The oracle corrupted, the macro's side now disagrees with it.
        assert!(!check_hvp(&bad_oracle).failures.is_empty());
        assert!(!check_hessian(&bad_oracle).failures.is_empty());
    }
}
