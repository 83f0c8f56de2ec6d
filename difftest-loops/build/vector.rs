//! Functions with several outputs: for about one function in
//! [`VECTOR_CHANCE`], next to `gen_<i>`,
//!
//! * `#[grad(forward)] pub fn vgen_<i>(same parameters) -> [f64; M]` (`M`
//!   2 or 3) or `-> (f64, f64[, f64])`, the code under test
//!   (`vgen_<i>_jacobian`, `vgen_<i>_vjp`, `vgen_<i>_jvp`): `gen_<i>`'s
//!   statements (loops, branches, everything), then the outputs: `gen_<i>`'s
//!   tail and `M - 1` more expressions drawn by the generator as it ends
//!   (over the variables live at the tail). An early `return e` becomes
//!   `return [e, t₁(e), ..]`, each `tₖ` a fixed transform of the function
//!   ([`Extra`]: `c * e`, `e.tanh()`, `e.sin()`, `e * e`), since the
//!   variables of the tail may not exist where it returns;
//! * `pub fn vgen_<i>_oracle<D: DualNum<Primitive = f64> + Copy +
//!   o::Parts>(..) -> [D; M]`, printed as `gen_<i>_oracle` is;
//! * adapters from a `Point` (`vgen_<i>_p`, `_d`, `_jac_at`, `_vjp_at`,
//!   `_jvp_at`) and a row of the shard's `VCASES` (`vcases_<s>.rs`).
//!
//! Whether function `i` has one, its outputs and its cotangents come from
//! streams of their own, seeded from `gen_<i>`'s and used only after
//! `gen_<i>` and its points are complete: `gen_<i>`, its points and its
//! directions are the ones the seed gave before. `vgen_<i>` is checked at
//! `gen_<i>`'s points and directions.

use super::{
    CAP, E, Function, Gen, PKind, Point, dir_call_text_of, float_names, float_params,
    function_text_v, has_slices, point_args_text, points_text, splitmix,
};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// Chance that function `i` has a vector-valued companion `vgen_<i>`.
const VECTOR_CHANCE: u32 = 25;
/// Chance that its outputs are a tuple rather than an array.
const TUPLE_CHANCE: u32 = 30;

/// Constructs (coverage names of `gen_<i>`) whose function gets no
/// `vgen_<i>`, with the macro bug that keeps them out. Shrink it as the
/// macro is fixed. Empty: the bug found here (`f_jacobian` moved a
/// `labels: Vec<usize>` or `Vec<f64>` parameter into the closure it runs
/// once per output, error[E0507]) is fixed.
pub(super) const NOT_VECTOR: &[(&str, &str)] = &[];

/// `f` uses construct `k` of [`NOT_VECTOR`].
fn uses(f: &Function, k: &str) -> bool {
    match k {
        "param_vec" => f.fixed.is_none() && f.params.iter().any(|q| q.kind == PKind::VecP),
        _ => f.cov.get(k) > 0,
    }
}

/// What an early `return e` returns besides `e`.
#[derive(Clone, Debug)]
pub(super) enum Extra {
    Scale(f64),
    Tanh,
    Sin,
    Square,
}

/// The outputs of the early returns of a vector-valued function.
pub(super) struct VRet {
    /// `(f64, ..)` rather than `[f64; M]` (in the `#[grad]` form; the
    /// oracle returns `[D; M]`).
    pub(super) tuple: bool,
    /// `M - 1` transforms of the returned value.
    extra: Vec<Extra>,
}

impl VRet {
    /// `[e, t₁(e), ..]`.
    pub(super) fn outputs(&self, e: &E) -> Vec<E> {
        let b = || Box::new(e.clone());
        let mut outs = vec![e.clone()];
        for t in &self.extra {
            outs.push(match t {
                Extra::Scale(c) => E::Bin('*', Box::new(E::Lit(*c)), b()),
                Extra::Tanh => E::Call("tanh", vec![e.clone()]),
                Extra::Sin => E::Call("sin", vec![e.clone()]),
                Extra::Square => E::Bin('*', b(), b()),
            });
        }
        outs
    }
}

/// `[a, b]`, or `(a, b)` when `tuple`.
pub(super) fn list(items: &[String], tuple: bool) -> String {
    if tuple {
        format!("({})", items.join(", "))
    } else {
        format!("[{}]", items.join(", "))
    }
}

pub(super) struct VFunction {
    pub(super) name: String,
    pub(super) ret: VRet,
    /// The outputs after `gen_<i>`'s tail.
    more: Vec<E>,
    /// Marked `forward` (gets `f_jvp`) unless `forward` is excluded.
    pub(super) forward: bool,
    /// One random cotangent per point of `gen_<i>`, each coordinate in
    /// `[-1, 1]`.
    weights: Vec<Vec<f64>>,
    /// Whether `gen_<i>`'s body has an early `return` (rewritten).
    pub(super) returns: bool,
}

impl VFunction {
    pub(super) fn outputs(&self) -> usize {
        self.more.len() + 1
    }

    /// `[f64; M]` or `(f64, ..)`.
    pub(super) fn ret_type(&self) -> String {
        if self.ret.tuple {
            list(&vec!["f64".to_string(); self.outputs()], true)
        } else {
            format!("[f64; {}]", self.outputs())
        }
    }

    /// The outputs at the end of the body: `gen_<i>`'s tail, then the rest.
    pub(super) fn outputs_at_tail(&self, tail: &E) -> Vec<E> {
        let mut outs = vec![tail.clone()];
        outs.extend(self.more.iter().cloned());
        outs
    }

    /// `v` (of the output type) as a `Vec<f64>` expression.
    fn to_vec(&self, v: &str) -> String {
        if self.ret.tuple {
            let parts: Vec<String> = (0..self.outputs()).map(|k| format!("{v}.{k}")).collect();
            format!("vec![{}]", parts.join(", "))
        } else {
            format!("{v}.to_vec()")
        }
    }
}

/// The number of float slots of `f` when it has no slice or `Vec`
/// parameter (all fixed lengths), else `None`.
fn fixed_slots(f: &Function) -> Option<usize> {
    if has_slices(f) {
        return None;
    }
    Some(
        float_params(f)
            .iter()
            .map(|q| match q.kind {
                PKind::Scalar => 1,
                PKind::Array(k) => k,
                _ => f.fixed.expect("fixed length"),
            })
            .sum(),
    )
}

/// Whether the macro takes `vgen_<i>_jacobian` by input (one forward pass
/// per input float slot): marked `forward`, no slice parameter, fewer
/// input slots than outputs. Else by output (one reverse sweep per output).
pub(super) fn by_input(f: &Function, v: &VFunction) -> bool {
    v.forward && fixed_slots(f).is_some_and(|n| n < v.outputs())
}

/// `vgen_<index>` if function `index` has one; `g` is the generator as
/// `gen_<index>` left it.
/// The random stream of `vgen_<i>`.
fn stream(seed: u64, index: usize) -> fastrand::Rng {
    fastrand::Rng::with_seed(splitmix(
        seed ^ splitmix(index as u64) ^ 0x5EC7_0A00_0000_0016,
    ))
}

/// Whether function `index` gets a `vgen_<i>` (unless `vector` is
/// excluded, or it is a struct function); its first draw.
pub(super) fn drawn(seed: u64, index: usize) -> bool {
    stream(seed, index).u32(0..100) < VECTOR_CHANCE
}

pub(super) fn generate(
    seed: u64,
    index: usize,
    f: &Function,
    g: &mut Gen,
    exclude: &BTreeSet<String>,
    stats: &mut Stats,
) -> Option<VFunction> {
    let mut rng = stream(seed, index);
    if exclude.contains("vector") || rng.u32(0..100) >= VECTOR_CHANCE {
        return None;
    }
    // `#[grad]` takes no struct parameter in a function of several outputs.
    if f.strukt.is_some() {
        return None;
    }
    if NOT_VECTOR.iter().any(|(k, _)| uses(f, k)) {
        stats.refused += 1;
        return None;
    }
    // The generator's streams, reseeded from this one.
    g.rng = fastrand::Rng::with_seed(rng.u64(..));
    g.rng2 = fastrand::Rng::with_seed(rng.u64(..));
    g.every.rng = fastrand::Rng::with_seed(rng.u64(..));
    let m = rng.usize(2..=3);
    let tuple = rng.u32(0..100) < TUPLE_CHANCE;
    let mut more = Vec::new();
    for _ in 1..m {
        // A combination of the locals (as the tail is), or an expression.
        let e = if g.chance(50) {
            g.tail()
        } else {
            let (e, b) = g.expr(2);
            g.squash(e, b, CAP).0
        };
        more.push(e);
    }
    let extra = (1..m)
        .map(|_| match rng.u32(0..4) {
            0 => Extra::Scale(((rng.f64() * 4.0 - 2.0) * 4.0).round() / 4.0 + 0.125),
            1 => Extra::Tanh,
            2 => Extra::Sin,
            _ => Extra::Square,
        })
        .collect();
    let weights = f
        .points
        .iter()
        .map(|_| (0..m).map(|_| rng.f64() * 2.0 - 1.0).collect())
        .collect();
    let returns = super::function_text(f, false, false).contains("return ");
    Some(VFunction {
        name: format!("vgen_{index}"),
        ret: VRet { tuple, extra },
        more,
        forward: !exclude.contains("forward"),
        weights,
        returns,
    })
}

/// `vgen_<i>`, its oracle and the adapters from a `Point`; `f` is
/// `gen_<i>`, already emitted (with its tables) in the same module.
pub(super) fn emit_function(out: &mut String, f: &Function, v: &VFunction, no_macro: bool) {
    out.push_str(&function_text_v(f, Some(v), !no_macro, false));
    out.push('\n');
    out.push_str(&function_text_v(f, Some(v), false, true));
    out.push('\n');
    let name = &v.name;
    let args = super::call_args(f, false);
    let floats = float_params(f);
    writeln!(
        out,
        "pub fn {name}_p(p: &Point) -> Vec<f64> {{\n    let v = {name}({args});\n    {}\n}}\n",
        v.to_vec("v")
    )
    .unwrap();
    writeln!(
        out,
        "pub fn {name}_d(p: &Point, d: &[Vec<Dual64>]) -> Vec<Dual64> {{\n    {name}_oracle::<Dual64>({}).to_vec()\n}}\n",
        super::call_args(f, true)
    )
    .unwrap();
    if no_macro {
        return;
    }
    // Per float parameter `j`, its block of the Jacobian as rows.
    let blocks: Vec<String> = floats
        .iter()
        .enumerate()
        .map(|(j, q)| match q.kind {
            PKind::Scalar => format!("r.{}.iter().map(|x| vec![*x]).collect()", j + 1),
            _ => format!("r.{}.iter().map(|row| row.to_vec()).collect()", j + 1),
        })
        .collect();
    writeln!(
        out,
        "pub fn {name}_jac_at(p: &Point) -> (Vec<f64>, Vec<Vec<Vec<f64>>>) {{\n    let r = {name}_jacobian({args});\n    ({}, vec![{}])\n}}\n",
        v.to_vec("r.0"),
        blocks.join(", ")
    )
    .unwrap();
    let slots: Vec<String> = floats
        .iter()
        .enumerate()
        .map(|(j, q)| match q.kind {
            PKind::Scalar => format!("vec![r.{}]", j + 1),
            _ => format!("r.{}.to_vec()", j + 1),
        })
        .collect();
    let w: Vec<String> = (0..v.outputs()).map(|k| format!("w[{k}]")).collect();
    writeln!(
        out,
        "pub fn {name}_vjp_at(p: &Point, w: &[f64]) -> (Vec<f64>, Vec<Vec<f64>>) {{\n    let r = {name}_vjp({args}, {});\n    ({}, vec![{}])\n}}\n",
        list(&w, v.ret.tuple),
        v.to_vec("r.0"),
        slots.join(", ")
    )
    .unwrap();
    if v.forward {
        writeln!(
            out,
            "pub fn {name}_jvp_at(p: &Point) -> (Vec<f64>, Vec<f64>) {{\n    let r = {name}_jvp({args}, {});\n    ({}, {})\n}}\n",
            super::dir_args(f),
            v.to_vec("r.0"),
            v.to_vec("r.1")
        )
        .unwrap();
    }
}

/// Its row of the shard's `VCASES`.
pub(super) fn emit_case(
    out: &mut String,
    f: &Function,
    v: &VFunction,
    module: &str,
    no_macro: bool,
) {
    let name = &v.name;
    let src = format!("{}{}", f.items, function_text_v(f, Some(v), true, false));
    let points = points_text(f, |p: &Point| {
        (
            format!("{name}_jacobian({})", point_args_text(f, p)),
            dir_call_text_of(f, name, p),
        )
    });
    let weights: Vec<String> = v
        .weights
        .iter()
        .map(|w| format!("&[{}]", super::floats_text(w)))
        .collect();
    let some = |on: bool, suffix: &str| {
        if on && !no_macro {
            format!("Some({module}::{name}_{suffix})")
        } else {
            "None".to_string()
        }
    };
    writeln!(
        out,
        "    VCase {{ name: \"{name}\", source: r#\"{src}\"#, floats: &[{}], points: &[{points}], \
         weights: &[{}], outputs: {}, by_input: {}, plain: {module}::{name}_p, dual: {module}::{name}_d, \
         jacobian: {}, vjp: {}, jvp: {} }},",
        float_names(f),
        weights.join(", "),
        v.outputs(),
        by_input(f, v),
        some(true, "jac_at"),
        some(true, "vjp_at"),
        some(v.forward, "jvp_at"),
    )
    .unwrap();
}

/// What the vector-valued functions are, for `meta.rs`.
#[derive(Default)]
pub(super) struct Stats {
    functions: usize,
    arrays: [usize; 2],
    tuples: [usize; 2],
    by_input: usize,
    by_output: usize,
    returns: usize,
    fixed: usize,
    /// Drawn, but left out for a construct of [`NOT_VECTOR`].
    refused: usize,
}

impl Stats {
    pub(super) fn add(&mut self, f: &Function, v: &VFunction) {
        self.functions += 1;
        let m = v.outputs() - 2;
        if v.ret.tuple {
            self.tuples[m] += 1;
        } else {
            self.arrays[m] += 1;
        }
        if by_input(f, v) {
            self.by_input += 1;
        } else {
            self.by_output += 1;
        }
        self.returns += usize::from(v.returns);
        self.fixed += usize::from(fixed_slots(f).is_some());
    }

    pub(super) fn emit(&self, out: &mut String) {
        writeln!(
            out,
            "/// Vector-valued functions `vgen_<i>`: how many; `[f64; 2]`, `[f64; 3]`, \
             `(f64, f64)`, `(f64, f64, f64)`; `f_jacobian` by input and by output; \
             with an early `return` (rewritten to return vectors); with no slice or `Vec`.\n\
             pub const VECTOR: (usize, [usize; 4], [usize; 2], usize, usize) = \
             ({}, [{}, {}, {}, {}], [{}, {}], {}, {});\n\
             /// Functions drawn for a `vgen_<i>` but left out (`NOT_VECTOR`), and why.\n\
             pub const VECTOR_REFUSED: (usize, &[&str]) = ({}, &{:?});",
            self.functions,
            self.arrays[0],
            self.arrays[1],
            self.tuples[0],
            self.tuples[1],
            self.by_input,
            self.by_output,
            self.returns,
            self.fixed,
            self.refused,
            NOT_VECTOR
                .iter()
                .map(|(k, why)| format!("{k}: {why}"))
                .collect::<Vec<_>>()
        )
        .unwrap();
    }
}
