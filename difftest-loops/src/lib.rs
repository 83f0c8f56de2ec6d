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
use autodiff_difftest_harness::richardson;
use num_dual::Dual64;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Relative tolerance: `|a - b| <= TOL * max(1, |a|, |b|)`.
pub const TOL: f64 = 1e-9;
/// Two values closer than this (relative, as [`TOL`]) are a tie: a point
/// where a comparison, `max`, `min` or `abs` meets one is skipped.
pub const TIE: f64 = 1e-9;
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
/// convention gives the same result); the harness skips such points.
pub mod oracle {
    pub use autodiff_difftest_harness::dual::{Parts, take_kinks as take_ties};
    use num_dual::DualNum;

    fn tie() {
        autodiff_difftest_harness::dual::record_kink();
    }

    /// Records a tie if `a` and `b` are within `TIE` of each other, unless
    /// they are the same value with the same derivative.
    fn check_tie<D: DualNum<Primitive = f64> + Parts>(a: D, b: D) {
        let (x, y) = (a.re(), b.re());
        if x == y && a.tangent() == b.tangent() {
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

    /// `tanh`, by the chain rule with `tanh' = 1 - tanh²`: num-dual computes
    /// it as `sinh / cosh`, whose derivative is NaN once `cosh` overflows
    /// (`|a| > 710`), where `tanh` itself is flat.
    pub fn tanh<D: DualNum<Primitive = f64> + Parts>(a: D) -> D {
        let t = a.re().tanh();
        chain(a, t, 1.0 - t * t)
    }

    /// `f(a)` from `f`'s value `f0` and derivative `f1` at `a.re()`:
    /// `(a - a.re()) * f1 + f0` (value exactly `f0`, derivative `ȧ f1`).
    fn chain<D: DualNum<Primitive = f64> + Parts>(a: D, f0: f64, f1: f64) -> D {
        (a - D::from(a.re())) * D::from(f1) + D::from(f0)
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
    /// The `usize` parameters.
    pub i: &'a [usize],
    /// The `bool` parameters.
    pub b: &'a [bool],
    /// The labels parameters (`&[usize]`, `Vec<usize>`).
    pub l: &'a [&'a [usize]],
    /// The `f_grad` call at this point, as Rust source (to reproduce it).
    pub call: &'a str,
}

/// Value and one gradient per float parameter (scalars as lists of one).
pub type Grads = (f64, Vec<Vec<f64>>);

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
    /// `f_grad_into` (functions with a slice or `Vec` parameter).
    pub into: Option<fn(&Point) -> Grads>,
    /// The oracle at `Dual64` inputs.
    pub dual: fn(&Point, &[Vec<Dual64>]) -> Dual64,
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
    for case in cases {
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
                for (pi, (a, b)) in gg.iter().zip(&og).enumerate() {
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
                let q = Point {
                    f: &f,
                    i: p.i,
                    b: p.b,
                    l: p.l,
                    call: p.call,
                };
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
