//! The checks of the vector-valued functions `vgen_<i>` (see
//! `build/vector.rs`): `f_jacobian`, `f_vjp` and `f_jvp` against `Dual64`,
//! and the oracle's Jacobian against finite differences.

use super::{FD_TOL, Point, Report, TOL, guarded, oracle, richardson};
use num_dual::Dual64;
use std::fmt::Write as _;

/// `f_jacobian` at a point: the outputs and, per float parameter, its block
/// as rows (`[k][element]`, a scalar's rows of one).
pub type JacobianAt = fn(&Point) -> (Vec<f64>, Vec<Vec<Vec<f64>>>);
/// `f_vjp` at a point and a cotangent: the outputs and `wᵀJ`, shaped as
/// [`Grads`](super::Grads).
pub type VjpAt = fn(&Point, &[f64]) -> (Vec<f64>, Vec<Vec<f64>>);
/// `f_jvp` at a point along its direction: the outputs and `J·d`.
pub type VectorJvpAt = fn(&Point) -> (Vec<f64>, Vec<f64>);

/// A vector-valued function `vgen_<i>` (`-> [f64; M]` or a tuple of `M`
/// floats) with `gen_<i>`'s parameters, body and points.
pub struct VCase {
    pub name: &'static str,
    /// Its source text, as given to `#[grad]` (with its tables).
    pub source: &'static str,
    /// Its float parameters, as [`Case::floats`](super::Case::floats).
    pub floats: &'static [&'static str],
    /// `gen_<i>`'s points and directions (`call`: the `f_jacobian` call,
    /// `dcall`: the `f_jvp` call).
    pub points: &'static [Point<'static>],
    /// One random cotangent `w` per point, each coordinate in `[-1, 1]`.
    pub weights: &'static [&'static [f64]],
    /// `M`.
    pub outputs: usize,
    /// Whether the macro takes `f_jacobian` by input (one forward pass per
    /// input float slot) rather than by output (one reverse sweep per
    /// output).
    pub by_input: bool,
    /// The function as written.
    pub plain: fn(&Point) -> Vec<f64>,
    /// The oracle at `Dual64` inputs (shaped as the point's floats).
    pub dual: fn(&Point, &[Vec<Dual64>]) -> Vec<Dual64>,
    pub jacobian: Option<JacobianAt>,
    pub vjp: Option<VjpAt>,
    /// Unless `forward` is excluded.
    pub jvp: Option<VectorJvpAt>,
}

/// The oracle's outputs and Jacobian at a point.
pub struct VectorOracle {
    pub value: Vec<f64>,
    /// `columns[param][element][k] = ∂y_k/∂(param[element])`.
    pub columns: Vec<Vec<Vec<f64>>>,
    /// Ties met (the point is skipped if there is one).
    pub ties: u32,
}

impl VectorOracle {
    /// The value [`Report::skip`] looks at: the first non-finite output,
    /// else the first output.
    pub fn skip_value(&self) -> f64 {
        self.value
            .iter()
            .copied()
            .find(|v| !v.is_finite())
            .unwrap_or(self.value[0])
    }

    /// `Σₖ wₖ ∂y_k/∂slot`, shaped as the point's floats.
    pub fn vjp(&self, w: &[f64]) -> Vec<Vec<f64>> {
        self.columns
            .iter()
            .map(|param| {
                param
                    .iter()
                    .map(|col| col.iter().zip(w).map(|(d, w)| d * w).sum())
                    .collect()
            })
            .collect()
    }
}

/// The oracle at `p`: one `Dual64` pass per float slot, that slot seeded
/// (column by column). With no float slot, one unseeded pass.
pub fn vector_oracle_at(case: &VCase, p: &Point) -> VectorOracle {
    oracle::take_ties();
    let base: Vec<Vec<Dual64>> =
        p.f.iter()
            .map(|xs| xs.iter().map(|&x| Dual64::new(x, 0.0)).collect())
            .collect();
    let mut value = Vec::new();
    let mut columns: Vec<Vec<Vec<f64>>> = p.f.iter().map(|_| Vec::new()).collect();
    for (pi, xs) in p.f.iter().enumerate() {
        for k in 0..xs.len() {
            let mut d = base.clone();
            d[pi][k].eps = 1.0;
            let y = (case.dual)(p, &d);
            value = y.iter().map(|y| y.re).collect();
            columns[pi].push(y.iter().map(|y| y.eps).collect());
        }
    }
    if value.is_empty() {
        value = (case.dual)(p, &base).iter().map(|y| y.re).collect();
    }
    VectorOracle {
        value,
        columns,
        ties: oracle::take_ties(),
    }
}

/// `x[2]` or `a`.
fn slot(case: &VCase, pi: usize, e: usize) -> String {
    match case.floats[pi].strip_suffix("[]") {
        Some(name) => format!("{name}[{e}]"),
        None => case.floats[pi].to_string(),
    }
}

/// The oracle at `p`, or a failure if it panicked.
fn oracle_or_fail(r: &mut Report, case: &VCase, p: &Point) -> Option<VectorOracle> {
    match guarded(|| vector_oracle_at(case, p)) {
        Ok(o) => Some(o),
        Err(e) => {
            r.failures.push(format!(
                "PANIC in the oracle of {} at {}: {e}\n{}",
                case.name, p.call, case.source
            ));
            None
        }
    }
}

/// A failure message: what differs, both results, the source.
fn mismatch(case: &VCase, call: &str, bad: &[String], results: &str) -> String {
    let mut msg = String::new();
    writeln!(msg, "MISMATCH in {} at {call}", case.name).unwrap();
    for b in bad {
        writeln!(msg, "  {b}").unwrap();
    }
    msg.push_str(results);
    writeln!(msg, "  source:\n{}", case.source).unwrap();
    msg
}

/// Compares `got` with `want` at `tol`, recording what differs in `bad`.
fn cmp(r: &mut Report, bad: &mut Vec<String>, what: String, got: f64, want: f64) {
    if !r.compare(got, want, TOL) {
        bad.push(format!(
            "{what}: {got:?} vs oracle {want:?} (diff {:.3e})",
            got - want
        ));
    }
}

/// Compares `f` and `f_jacobian` (the outputs and every entry of every
/// block) with the oracle at `Dual64`, one float slot seeded at a time, at
/// [`TOL`]. Points are skipped as by the gradient check: a non-finite
/// output of the oracle, or a tie it met.
pub fn check_jacobian(cases: &[VCase]) -> Report {
    let by_input = cases.iter().filter(|c| c.by_input).count();
    println!(
        "f_jacobian in this shard: {by_input} functions by input (a forward pass per input slot), \
         {} by output (a reverse sweep per output)",
        cases.len() - by_input
    );
    let mut r = Report::new(cases.iter().filter(|c| c.jacobian.is_some()).count());
    for case in cases {
        let Some(jacobian) = case.jacobian else {
            continue;
        };
        for p in case.points {
            r.points += 1;
            let Some(want) = oracle_or_fail(&mut r, case, p) else {
                continue;
            };
            if r.skip(want.skip_value(), want.ties) {
                continue;
            }
            let mut bad = Vec::new();
            let plain = guarded(|| (case.plain)(p));
            let got = guarded(|| jacobian(p));
            match &plain {
                Ok(v) => {
                    for (k, (g, w)) in v.iter().zip(&want.value).enumerate() {
                        cmp(&mut r, &mut bad, format!("plain f[{k}]"), *g, *w);
                    }
                }
                Err(e) => bad.push(format!("plain f panicked: {e}")),
            }
            match &got {
                Ok((value, blocks)) => {
                    for (k, (g, w)) in value.iter().zip(&want.value).enumerate() {
                        cmp(&mut r, &mut bad, format!("value[{k}]"), *g, *w);
                    }
                    for (pi, (block, cols)) in blocks.iter().zip(&want.columns).enumerate() {
                        for (e, col) in cols.iter().enumerate() {
                            for (k, w) in col.iter().enumerate() {
                                let what = format!("∂y{k}/∂{}", slot(case, pi, e));
                                match block.get(k).and_then(|row| row.get(e)) {
                                    Some(g) => cmp(&mut r, &mut bad, what, *g, *w),
                                    None => bad.push(format!("{what}: missing")),
                                }
                            }
                        }
                    }
                }
                Err(e) => bad.push(format!("f_jacobian panicked: {e}")),
            }
            if !bad.is_empty() {
                let results = format!(
                    "  #[grad] : {got:?} (value, per parameter rows [k][element])\n  \
                     plain f : {plain:?}\n  \
                     oracle  : value {:?}, columns [parameter][element][k] {:?}\n",
                    want.value, want.columns
                );
                r.failures.push(mismatch(case, p.call, &bad, &results));
            }
        }
    }
    r
}

/// Compares `f_vjp(x, w)` (the outputs and `wᵀJ`), with each point's
/// random cotangent, with the oracle's outputs and `Σₖ wₖ·(row k)` of its
/// Jacobian, at [`TOL`]; points skipped as in [`check_jacobian`].
pub fn check_vjp(cases: &[VCase]) -> Report {
    let mut r = Report::new(cases.iter().filter(|c| c.vjp.is_some()).count());
    for case in cases {
        let Some(vjp) = case.vjp else {
            continue;
        };
        for (p, w) in case.points.iter().zip(case.weights) {
            r.points += 1;
            let Some(want) = oracle_or_fail(&mut r, case, p) else {
                continue;
            };
            if r.skip(want.skip_value(), want.ties) {
                continue;
            }
            let want_vjp = want.vjp(w);
            let mut bad = Vec::new();
            let got = guarded(|| vjp(p, w));
            match &got {
                Ok((value, slots)) => {
                    for (k, (g, o)) in value.iter().zip(&want.value).enumerate() {
                        cmp(&mut r, &mut bad, format!("value[{k}]"), *g, *o);
                    }
                    for (pi, want_p) in want_vjp.iter().enumerate() {
                        for (e, o) in want_p.iter().enumerate() {
                            let what = format!("(wᵀJ)[{}]", slot(case, pi, e));
                            match slots.get(pi).and_then(|s| s.get(e)) {
                                Some(g) => cmp(&mut r, &mut bad, what, *g, *o),
                                None => bad.push(format!("{what}: missing")),
                            }
                        }
                    }
                }
                Err(e) => bad.push(format!("f_vjp panicked: {e}")),
            }
            if !bad.is_empty() {
                let results = format!(
                    "  w = {w:?}\n  #[grad] : {got:?} (value, wᵀJ)\n  \
                     oracle  : value {:?}, wᵀJ {want_vjp:?}\n",
                    want.value
                );
                r.failures.push(mismatch(case, p.call, &bad, &results));
            }
        }
    }
    r
}

/// Compares `f_jvp(x, d)` (the outputs and every component of `J·d`), with
/// each point's direction, with one pass of the oracle at `Dual64` inputs
/// carrying the direction, at [`TOL`]. A point is skipped where
/// [`check_jacobian`] skips it or where the directional pass meets a tie.
pub fn check_vector_jvp(cases: &[VCase]) -> Report {
    let mut r = Report::new(cases.iter().filter(|c| c.jvp.is_some()).count());
    for case in cases {
        let Some(jvp) = case.jvp else {
            continue;
        };
        for p in case.points {
            r.points += 1;
            let want = guarded(|| {
                let per_slot = vector_oracle_at(case, p);
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
                let y = (case.dual)(p, &x);
                let ties = per_slot.ties + oracle::take_ties();
                (per_slot.skip_value(), y, ties)
            });
            let (skip_value, want, ties) = match want {
                Ok(w) => w,
                Err(e) => {
                    r.failures.push(format!(
                        "PANIC in the oracle of {} at {}: {e}\n{}",
                        case.name, p.dcall, case.source
                    ));
                    continue;
                }
            };
            let nonfinite = want.iter().map(|y| y.re).find(|v| !v.is_finite());
            if r.skip(nonfinite.unwrap_or(skip_value), ties) {
                continue;
            }
            let mut bad = Vec::new();
            let got = guarded(|| jvp(p));
            match &got {
                Ok((value, tangent)) => {
                    for (k, y) in want.iter().enumerate() {
                        cmp(&mut r, &mut bad, format!("value[{k}]"), value[k], y.re);
                        cmp(&mut r, &mut bad, format!("(J·d)[{k}]"), tangent[k], y.eps);
                    }
                }
                Err(e) => bad.push(format!("f_jvp panicked: {e}")),
            }
            if !bad.is_empty() {
                let want_value: Vec<f64> = want.iter().map(|y| y.re).collect();
                let want_tangent: Vec<f64> = want.iter().map(|y| y.eps).collect();
                let results = format!(
                    "  d = {:?}\n  #[grad] : {got:?} (value, J·d)\n  \
                     oracle  : value {want_value:?}, J·d {want_tangent:?}\n",
                    p.d
                );
                r.failures.push(mismatch(case, p.dcall, &bad, &results));
            }
        }
    }
    r
}

/// Self-check of the vector oracle, independent of the macro: every
/// Jacobian entry against central finite differences (with Richardson
/// extrapolation) of the plain function's output, at [`FD_TOL`]; points
/// where two step sizes disagree are skipped as non-smooth.
pub fn check_vector_oracle_by_finite_differences(cases: &[VCase]) -> Report {
    let mut r = Report::new(cases.len());
    for case in cases {
        'points: for p in case.points {
            r.points += 1;
            let Some(want) = oracle_or_fail(&mut r, case, p) else {
                continue;
            };
            if r.skip(want.skip_value(), want.ties) {
                continue;
            }
            let x0: Vec<Vec<f64>> = p.f.iter().map(|v| v.to_vec()).collect();
            let mut fds = Vec::new();
            for (pi, xs) in x0.iter().enumerate() {
                for e in 0..xs.len() {
                    for k in 0..case.outputs {
                        let along = |t: f64| {
                            let mut a = x0.clone();
                            a[pi][e] = t;
                            let f: Vec<&[f64]> = a.iter().map(Vec::as_slice).collect();
                            let q = Point { f: &f, ..*p };
                            (case.plain)(&q)[k]
                        };
                        let Some(fd) = richardson(along, xs[e]) else {
                            r.skipped_nonsmooth += 1;
                            continue 'points;
                        };
                        fds.push((pi, e, k, fd));
                    }
                }
            }
            for (pi, e, k, fd) in fds {
                let o = want.columns[pi][e][k];
                if !r.compare(o, fd, FD_TOL) {
                    r.failures.push(format!(
                        "{}: ∂y{k}/∂{} oracle {o:?} vs finite differences {fd:?} at {}\n{}",
                        case.name,
                        slot(case, pi, e),
                        p.call,
                        case.source
                    ));
                }
            }
        }
    }
    r
}
