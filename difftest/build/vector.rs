//! Functions with several outputs (issue 13): for about one function in
//! [`VECTOR_CHANCE`], next to `gen_<i>`,
//!
//! * `#[grad(forward)] pub fn vgen_<i>(x0: f64, ..) -> [f64; M]` (`M` 2
//!   or 3) or `-> (f64, f64)` / `-> (f64, f64, f64)`, the code under test
//!   (`vgen_<i>_jacobian`, `vgen_<i>_vjp`, `vgen_<i>_jvp`; `#[grad]` alone,
//!   without `_jvp`, when `AUTODIFF_DIFFTEST_EXCLUDE` names `forward`): a
//!   few statements shared by the outputs, then the outputs, each a
//!   generated expression over the same parameters as `gen_<i>` and those
//!   statements' locals. With `forward`, `f_jacobian` takes one forward
//!   pass per input when there are fewer inputs than outputs (1 input, or
//!   2 inputs and 3 outputs), else one reverse sweep per output;
//! * `pub fn vgen_<i>_oracle<D: DualNum<Primitive = f64> + Copy>(x0: D, ..)
//!   -> [D; M]`, the same computation printed as the scalar oracles are.
//!
//! Everything about `vgen_<i>` (whether there is one, its body, its points,
//! cotangents and directions) is drawn from its own random stream, derived from
//! `gen_<i>`'s, so that `gen_<i>` and its points are the ones the seed gave
//! before vector outputs were tested; only the number of parameters is
//! taken from `gen_<i>`.

use super::{E, Gen, Op, Stmt, X_MAX, lit_text, oracle, oracle_stmt, rust, rust_stmt};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// Chance that function `i` has a vector-valued companion `vgen_<i>`.
const VECTOR_CHANCE: f64 = 0.25;
/// Chance that its outputs are a tuple rather than an array.
const TUPLE_CHANCE: f64 = 0.3;

/// A vector-valued function: statements, then `M` outputs.
pub(super) struct VFunction {
    pub(super) name: String,
    params: usize,
    stmts: Vec<Stmt>,
    outputs: Vec<E>,
    /// `(f64, f64[, f64])` rather than `[f64; M]`.
    pub(super) tuple: bool,
    points: Vec<Vec<f64>>,
    /// One random cotangent per point, each coordinate in `[-1, 1]`.
    weights: Vec<Vec<f64>>,
    /// One random direction per point (for `f_jvp`), each coordinate in
    /// `[-1, 1]`; drawn last, so the rest is what it was without them.
    dirs: Vec<Vec<f64>>,
    /// Marked `forward` (unless `forward` is excluded): gets `f_jvp`, and
    /// `f_jacobian` may go by input.
    pub(super) forward: bool,
}

impl VFunction {
    pub(super) fn outputs(&self) -> usize {
        self.outputs.len()
    }

    /// Whether `f_jacobian` takes one forward pass per input (marked
    /// `forward`, fewer inputs than outputs) rather than one reverse sweep
    /// per output: the macro's rule, for a function without slices.
    pub(super) fn by_input(&self) -> bool {
        self.forward && self.params < self.outputs()
    }

    /// The output type's value with every float `f64::NAN` (stubs).
    fn nan_value(&self) -> String {
        if self.tuple {
            format!("({})", vec!["f64::NAN"; self.outputs()].join(", "))
        } else {
            format!("[f64::NAN; {}]", self.outputs())
        }
    }

    /// The output type, `[f64; M]` or `(f64, ..)`.
    fn ret(&self) -> String {
        if self.tuple {
            format!("({})", vec!["f64"; self.outputs()].join(", "))
        } else {
            format!("[f64; {}]", self.outputs())
        }
    }

    /// `x0: f64, ..`.
    fn params(&self, ty: &str) -> String {
        (0..self.params)
            .map(|p| format!("x{p}: {ty}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `x[0], x[1], ..` (the arguments in the test's adapters).
    fn args_from(&self, x: &str) -> String {
        (0..self.params)
            .map(|p| format!("{x}[{p}]"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A value of the output type, written as a `Vec<f64>` in the adapters.
    fn to_vec(&self, v: &str) -> String {
        if self.tuple {
            let parts: Vec<String> = (0..self.outputs()).map(|k| format!("{v}.{k}")).collect();
            format!("vec![{}]", parts.join(", "))
        } else {
            format!("{v}.to_vec()")
        }
    }
}

/// `vgen_<index>`, if function `index` has one (about one in
/// [`VECTOR_CHANCE`]), with `params` parameters.
pub(super) fn generate(
    seed: u64,
    index: usize,
    params: usize,
    ops: &[Op],
    exclude: &BTreeSet<String>,
) -> Option<VFunction> {
    // A stream of its own: `gen_<i>`'s streams are left as they were.
    let stream = super::stream(seed, index) ^ 0x5EC7_0A00_0000_0013;
    let mut g = Gen::new(stream, ops, exclude);
    if exclude.contains("vector") || !g.chance(VECTOR_CHANCE) {
        return None;
    }
    g.params(params);
    let m = g.rng.usize(2..=3);
    let tuple = g.chance(TUPLE_CHANCE);
    // Statements whose locals the outputs share.
    let count = g.rng.usize(0..=3);
    let mut stmts = Vec::new();
    stmts.extend(g.int_array_stmt());
    g.statements(count, &mut stmts);
    g.focus = None;
    let mut outputs = Vec::new();
    for _ in 0..m {
        let depth = g.rng.u32(1..=3);
        let mut n = g.anyv(depth);
        if g.chance(0.5) {
            // Combine with the last value, so that the outputs share it.
            let last = g.scope.last().unwrap().clone();
            let v = g.var_node(&last);
            let op = *g.pick(&['+', '-', '*']);
            n = g.bin(op, v, n);
        }
        outputs.push(g.cap(n).e);
    }
    let points = (0..super::POINTS)
        .map(|_| {
            (0..params)
                .map(|_| (g.rng.f64() * 2.0 - 1.0) * X_MAX)
                .collect()
        })
        .collect();
    let weights = (0..super::POINTS)
        .map(|_| (0..m).map(|_| g.rng.f64() * 2.0 - 1.0).collect())
        .collect();
    let dirs = (0..super::POINTS)
        .map(|_| (0..params).map(|_| g.rng.f64() * 2.0 - 1.0).collect())
        .collect();
    Some(VFunction {
        name: format!("vgen_{index}"),
        params,
        stmts,
        outputs,
        tuple,
        points,
        weights,
        dirs,
        forward: !exclude.contains("forward"),
    })
}

/// The `#[grad]` function's source text.
fn source(f: &VFunction, attr: bool) -> String {
    let mut out = String::new();
    if attr {
        out.push_str(if f.forward {
            "#[grad(forward)]\n"
        } else {
            "#[grad]\n"
        });
    }
    writeln!(
        out,
        "pub fn {}({}) -> {} {{",
        f.name,
        f.params("f64"),
        f.ret()
    )
    .unwrap();
    for s in &f.stmts {
        writeln!(out, "    {}", rust_stmt(s)).unwrap();
    }
    let outs: Vec<String> = f.outputs.iter().map(rust).collect();
    if f.tuple {
        writeln!(out, "    ({})\n}}", outs.join(", ")).unwrap();
    } else {
        writeln!(out, "    [{}]\n}}", outs.join(", ")).unwrap();
    }
    out
}

/// The function (with stubs of its derivatives when `no_macro`) and its
/// oracle.
pub(super) fn emit_function(out: &mut String, f: &VFunction, no_macro: bool) {
    out.push_str(&source(f, !no_macro));
    out.push('\n');
    let (name, ret, m) = (&f.name, f.ret(), f.outputs());
    if no_macro {
        let args: Vec<String> = (0..f.params).map(|p| format!("x{p}")).collect();
        let args = args.join(", ");
        let params = f.params("f64");
        let cols = vec![format!("[f64; {m}]"); f.params].join(", ");
        let nan_cols = vec![format!("[f64::NAN; {m}]"); f.params].join(", ");
        writeln!(
            out,
            "pub fn {name}_jacobian({params}) -> ({ret}, {cols}) {{ ({name}({args}), {nan_cols}) }}"
        )
        .unwrap();
        let slots = vec!["f64"; f.params].join(", ");
        let nans = vec!["f64::NAN"; f.params].join(", ");
        writeln!(
            out,
            "pub fn {name}_vjp({params}, w: {ret}) -> ({ret}, {slots}) {{ let _ = w; ({name}({args}), {nans}) }}"
        )
        .unwrap();
        if f.forward {
            let dirs: Vec<String> = (0..f.params).map(|p| format!("d_x{p}: f64")).collect();
            writeln!(
                out,
                "pub fn {name}_jvp({params}, {}) -> ({ret}, {ret}) {{ ({name}({args}), {}) }}",
                dirs.join(", "),
                f.nan_value()
            )
            .unwrap();
        }
    }
    writeln!(
        out,
        "pub fn {name}_oracle<D: DualNum<Primitive = f64> + Copy + o::Parts>({}) -> [D; {m}] {{",
        f.params("D")
    )
    .unwrap();
    for s in &f.stmts {
        writeln!(out, "    {}", oracle_stmt(s)).unwrap();
    }
    let outs: Vec<String> = f.outputs.iter().map(oracle).collect();
    writeln!(out, "    [{}]\n}}\n", outs.join(", ")).unwrap();
}

/// Its row of the shard's `VCASES`: the source, points, cotangents,
/// directions, and adapters from slices to the generated functions.
pub(super) fn emit_case(out: &mut String, f: &VFunction, module: &str) {
    let table = |rows: &[Vec<f64>]| {
        let rows: Vec<String> = rows
            .iter()
            .map(|p| {
                let xs: Vec<String> = p.iter().map(|x| lit_text(*x)).collect();
                format!("&[{}]", xs.join(", "))
            })
            .collect();
        format!("&[{}]", rows.join(", "))
    };
    let (name, m) = (&f.name, f.outputs());
    let x = f.args_from("x");
    let cols: Vec<String> = (1..=f.params).map(|j| format!("r.{j}.to_vec()")).collect();
    let grads: Vec<String> = (1..=f.params).map(|j| format!("r.{j}")).collect();
    let w: Vec<String> = (0..m).map(|k| format!("w[{k}]")).collect();
    let w = if f.tuple {
        format!("({})", w.join(", "))
    } else {
        format!("[{}]", w.join(", "))
    };
    let jvp = if f.forward {
        format!(
            "Some(|x: &[f64], d: &[f64]| {{ let r = {module}::{name}_jvp({x}, {d}); ({value}, {tangent}) }})",
            d = f.args_from("d"),
            value = f.to_vec("r.0"),
            tangent = f.to_vec("r.1"),
        )
    } else {
        "None".to_string()
    };
    writeln!(
        out,
        "    VCase {{ name: \"{name}\", source: r#\"{src}\"#, points: {points}, weights: {weights}, \
         dirs: {dirs}, outputs: {m}, by_input: {by_input}, \
         plain: |x: &[f64]| {{ let v = {module}::{name}({x}); {plain} }}, \
         jacobian: |x: &[f64]| {{ let r = {module}::{name}_jacobian({x}); ({value}, vec![{cols}]) }}, \
         vjp: |x: &[f64], w: &[f64]| {{ let r = {module}::{name}_vjp({x}, {w}); ({value}, vec![{grads}]) }}, \
         jvp: {jvp}, \
         oracle: |x: &[Dual64]| {module}::{name}_oracle::<Dual64>({x}).to_vec() }},",
        src = source(f, true),
        points = table(&f.points),
        weights = table(&f.weights),
        dirs = table(&f.dirs),
        by_input = f.by_input(),
        plain = f.to_vec("v"),
        value = f.to_vec("r.0"),
        cols = cols.join(", "),
        grads = grads.join(", "),
    )
    .unwrap();
}
