//! Generator of the differential test (see `tests/differential.rs`).
//!
//! Writes `$OUT_DIR/shard_<s>.rs` (which include `$OUT_DIR/part_<s>_<k>.rs`)
//! for the test binaries `tests/differential_<s>.rs`, and `$OUT_DIR/meta.rs`:
//! `N` random functions, each emitted twice from one expression tree:
//!
//! * `#[grad(forward, hessian)] pub fn gen_<i>(x0: f64, ..) -> f64 { .. }`,
//!   the code under test (`f_grad`, `f_jvp`, `f_hvp`, `f_hessian`; every
//!   op has a second derivative, so every function gets both arguments
//!   unless `AUTODIFF_DIFFTEST_EXCLUDE` names `forward` or `hessian`);
//! * `pub fn gen_<i>_oracle<D: DualNum<Primitive = f64> + Copy>(x0: D, ..) -> D`,
//!   the same computation over num-dual's dual numbers (fully parenthesised,
//!   path calls only, hand-written helpers in `autodiff_difftest::oracle`),
//!   instantiated at `Dual64` and at `HyperDual64`.
//!
//! and, for about a quarter of them, a vector-valued `vgen_<i>` and its
//! oracle (`build/vector.rs`, `f_jacobian`, `f_vjp` and `f_jvp`, in the table
//! `VCASES` of `vcases_<s>.rs`), and for about one in five a generic
//! `ggen_<i><T: num_traits::Float>` (`build/generic.rs`, issue 12, checked
//! at `f64` against the same oracle and at `f32` against `f64`, in the
//! tables `GCASES`, `GCASES32` of `gcases_<s>.rs`),
//! plus a table `CASES` with each function's source text, random points and
//! one random direction per point. The directions are drawn after
//! everything else, so the functions and points of a seed are the ones it
//! gave before forward mode was tested.
//! Everything is derived from one seed with `fastrand`; function `i` uses its
//! own stream, so raising `N` keeps the first functions unchanged.
//!
//! Environment: `AUTODIFF_DIFFTEST_N` (default 500), `AUTODIFF_DIFFTEST_FIRST`
//! (default 0: generate `gen_FIRST .. gen_FIRST+N`, to reproduce one
//! function alone), `AUTODIFF_DIFFTEST_SEED`
//! (decimal or `0x` hex), `AUTODIFF_DIFFTEST_EXCLUDE` (comma-separated op or
//! statement names to leave out, to bisect a failure, and `forward`,
//! `hessian` to drop those attribute arguments and their checks),
//! `AUTODIFF_DIFFTEST_NO_MACRO=1` (omit `#[grad]` and emit stubs, to check the
//! generator and the oracle alone).
//!
//! The op list is `METHODS` of `difftest-harness/src/ops.rs` (see [`ops`]);
//! reading the environment, writing the shards and `meta.rs`, and counting
//! coverage are `autodiff_difftest_harness`'s, shared with `difftest-loops`.

// The constructs of issue 11 without loops (casts to integers, integer
// arithmetic and constant arrays, `match`), drawn from a second random
// stream so that the first one, and with it the older constructs, stays
// as it was.
#[path = "build/constructs.rs"]
mod constructs;

// The vector-valued functions of issue 13 (`vgen_<i>`, checked through
// `f_jacobian` and `f_vjp`), drawn from a stream of their own.
#[path = "build/vector.rs"]
mod vector;

// The generic functions of issue 12 (`ggen_<i><T: num_traits::Float>`),
// printed from `gen_<i>`'s tree over `T`.
#[path = "build/generic.rs"]
mod generic;

use autodiff_difftest_harness::ops::METHODS;
use autodiff_difftest_harness::{Config, Coverage};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

const CONFIG: Config = Config {
    name: "difftest",
    env_prefix: "AUTODIFF_DIFFTEST",
    // The quick test command; `AUTODIFF_HEAVY=1` (CI) runs `heavy_n`.
    default_n: 40,
    heavy_n: 500,
    default_seed: 0x00D1_FF7E_5700_0001,
    // `f64::from(k)` of an integer: `#[grad]` rejects it ("`from` has no
    // known derivative") though `k as f64` works; `AUTODIFF_DIFFTEST_EXCLUDE=`
    // (empty) puts it back.
    default_exclude: &["f64_from"],
    // The functions are split into this many test binaries,
    // `tests/differential_<k>.rs`, which compile in parallel (rustc's front
    // end is single-threaded; one binary of 20000 functions needs ~14 GB).
    shards: 4,
    // Functions per generated file/module.
    part_size: 500,
};
/// Random points per function.
const POINTS: usize = 4;
/// Parameters are drawn uniformly from `[-X_MAX, X_MAX]`.
const X_MAX: f64 = 3.0;
/// Bound on |value| of an operand; above it the generator squashes the value.
const MAG_CAP: f64 = 50.0;
/// Bound on the sum of |partials| of an operand (same).
const LIP_CAP: f64 = 500.0;
/// Largest bound on a `tanh` argument: num-dual's `tanh` is `sinh / cosh`,
/// whose derivative part overflows to NaN beyond |x| ~ 355.
const TANH_MAX: f64 = 300.0;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/constructs.rs");
    println!("cargo:rerun-if-changed=build/vector.rs");
    println!("cargo:rerun-if-changed=build/generic.rs");
    let ops = ops();
    let excludable: Vec<&str> = METHODS
        .iter()
        .chain(STMT_KINDS)
        .chain(GROUPS)
        .chain(CHECK_KINDS)
        .copied()
        .collect();
    let settings = CONFIG.read_env(&excludable);
    let exclude = &settings.exclude;
    let out_dir = std::env::var("OUT_DIR").expect("OUT_DIR");
    let out = Path::new(&out_dir);
    let mut coverage = Stats::default();
    // Each shard's `VCASES` (the vector-valued functions), by shard.
    let mut vtables = vec![String::new(); CONFIG.shards];
    let mut vshapes = BTreeMap::<String, usize>::new();
    // `vgen_<i>_jacobian` by input (forward passes) and by output (reverse
    // sweeps), by the macro's rule.
    let mut vpaths = [0usize; 2];
    // The generic functions `ggen_<i>` (issue 12): their coverage, each
    // shard's `GCASES`, and the chosen functions left out (a cast).
    let mut gcoverage = Stats::default();
    let mut gtables = vec![(String::new(), String::new()); CONFIG.shards];
    let mut gleft_out = 0usize;
    settings.write_shards(out, |i, module, code, table| {
        let func = generate(settings.seed, i, &ops, exclude);
        coverage.add(&func);
        emit_function(code, &func, settings.no_macro);
        emit_case(table, &func, module);
        // `module` is `part_<shard>_<k>`.
        let shard: usize = module.split('_').nth(1).unwrap().parse().unwrap();
        match generic::choose(settings.seed, i, &func, exclude, settings.no_macro) {
            generic::Choice::No => {}
            generic::Choice::LeftOut => gleft_out += 1,
            generic::Choice::Yes => {
                gcoverage.add(&func);
                generic::emit_function(code, &func);
                let (t64, t32) = &mut gtables[shard];
                generic::emit_case(t64, t32, &func, module);
            }
        }
        if let Some(vf) = vector::generate(settings.seed, i, func.params, &ops, exclude) {
            let shape = if vf.tuple { "tuple" } else { "array" };
            *vshapes
                .entry(format!("{shape} of {}", vf.outputs()))
                .or_default() += 1;
            vpaths[usize::from(!vf.by_input())] += 1;
            vector::emit_function(code, &vf, settings.no_macro);
            vector::emit_case(&mut vtables[shard], &vf, module);
        }
    });
    for (shard, table) in vtables.iter().enumerate() {
        std::fs::write(
            out.join(format!("vcases_{shard}.rs")),
            format!("pub static VCASES: &[VCase] = &[\n{table}];\n"),
        )
        .unwrap();
    }
    for (shard, (t64, t32)) in gtables.iter().enumerate() {
        std::fs::write(
            out.join(format!("gcases_{shard}.rs")),
            format!(
                "pub static GCASES: &[Case] = &[\n{t64}];\npub static GCASES32: &[Fns32] = &[\n{t32}];\n"
            ),
        )
        .unwrap();
    }
    let mut meta = settings.meta();
    coverage.emit(&mut meta, &ops, exclude);
    generic::emit_meta(&mut meta, &gcoverage, gleft_out, &ops, exclude);
    let shapes: Vec<String> = vshapes
        .iter()
        .map(|(k, v)| format!("({k:?}, {v})"))
        .collect();
    writeln!(
        meta,
        "/// Vector-valued functions `vgen_<i>` (`f_jacobian`, `f_vjp`, `f_jvp`).\npub const VECTOR_FUNCTIONS: usize = {};\n/// (output type, functions).\npub static VECTOR_SHAPES: &[(&str, usize)] = &[{}];\n/// Functions whose `f_jacobian` goes by input (one forward pass per input: `forward`, fewer inputs than outputs) and by output (one reverse sweep per output).\npub static VECTOR_JACOBIAN_PATHS: [usize; 2] = {:?};",
        vshapes.values().sum::<usize>(),
        shapes.join(", "),
        vpaths
    )
    .unwrap();
    std::fs::write(out.join("meta.rs"), meta).unwrap();
}

// ---------------------------------------------------------------------------
// Expression trees
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Op {
    Exp,
    Exp2,
    ExpM1,
    Ln,
    Ln1p,
    Log,
    Log2,
    Log10,
    Sqrt,
    Cbrt,
    Recip,
    Powi,
    Powf,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Atan2,
    Sinh,
    Cosh,
    Tanh,
    Asinh,
    Acosh,
    Atanh,
    Abs,
    Hypot,
    MulAdd,
    Max,
    Min,
    Clamp,
    Signum,
    Floor,
    Ceil,
    Round,
    Trunc,
    Fract,
    ToDegrees,
    ToRadians,
    Copysign,
    /// Only as the statement `let (s, c) = e.sin_cos();`.
    SinCos,
}

/// The op list, in the order of [`METHODS`] (the generator draws from it
/// in that order): adding a name there adds the op here, and fails the
/// build until `Op::from_name` and `Gen::op` know it.
fn ops() -> Vec<Op> {
    METHODS.iter().map(|name| Op::from_name(name)).collect()
}

impl Op {
    fn from_name(name: &str) -> Op {
        match name {
            "exp" => Op::Exp,
            "exp2" => Op::Exp2,
            "exp_m1" => Op::ExpM1,
            "ln" => Op::Ln,
            "ln_1p" => Op::Ln1p,
            "log" => Op::Log,
            "log2" => Op::Log2,
            "log10" => Op::Log10,
            "sqrt" => Op::Sqrt,
            "cbrt" => Op::Cbrt,
            "recip" => Op::Recip,
            "powi" => Op::Powi,
            "powf" => Op::Powf,
            "sin" => Op::Sin,
            "cos" => Op::Cos,
            "tan" => Op::Tan,
            "asin" => Op::Asin,
            "acos" => Op::Acos,
            "atan" => Op::Atan,
            "atan2" => Op::Atan2,
            "sinh" => Op::Sinh,
            "cosh" => Op::Cosh,
            "tanh" => Op::Tanh,
            "asinh" => Op::Asinh,
            "acosh" => Op::Acosh,
            "atanh" => Op::Atanh,
            "abs" => Op::Abs,
            "hypot" => Op::Hypot,
            "mul_add" => Op::MulAdd,
            "max" => Op::Max,
            "min" => Op::Min,
            "clamp" => Op::Clamp,
            "signum" => Op::Signum,
            "floor" => Op::Floor,
            "ceil" => Op::Ceil,
            "round" => Op::Round,
            "trunc" => Op::Trunc,
            "fract" => Op::Fract,
            "to_degrees" => Op::ToDegrees,
            "to_radians" => Op::ToRadians,
            "copysign" => Op::Copysign,
            "sin_cos" => Op::SinCos,
            _ => panic!(
                "difftest-harness/src/ops.rs: METHODS has `{name}`, which difftest/build.rs \
                 does not generate yet: add a variant to `Op`, a case to `Op::from_name` and \
                 to `Gen::op` (its arguments' domain and bounds), and its oracle"
            ),
        }
    }

    /// The method's name, as [`METHODS`] spells it.
    fn name(self) -> &'static str {
        METHODS
            .iter()
            .copied()
            .find(|name| Op::from_name(name) == self)
            .expect("every op comes from METHODS")
    }
}

/// Statement kinds and other syntax, for coverage and `AUTODIFF_DIFFTEST_EXCLUDE`.
const STMT_KINDS: &[&str] = &[
    "let",
    "let_mut",
    "assign",
    "add_assign",
    "sub_assign",
    "mul_assign",
    "div_assign",
    "shadow",
    "shadow_param",
    "sin_cos_let",
    "add",
    "sub",
    "mul",
    "div",
    "neg",
    "paren",
    "literal",
    "PI",
    "E",
    // The constructs of issue 11 (`build/constructs.rs`); `group_of`
    // gives each one's group, which `AUTODIFF_DIFFTEST_EXCLUDE` also accepts.
    "cast_i32",
    "cast_i64",
    "cast_usize",
    "cast_usize_abs",
    "int_add",
    "int_sub",
    "int_mul",
    "int_div",
    "int_rem",
    "as_f64",
    "f64_from",
    "let_int",
    "int_array",
    "int_slice",
    "int_index",
    "match_int",
    "match_bool",
    "match_let",
    "match_or",
    "match_range",
    "match_negative",
    "match_binding",
    "match_guard",
];

/// The groups of issue 11's constructs, for `AUTODIFF_DIFFTEST_EXCLUDE`:
/// `cast` (every cast to an integer, and with it every integer
/// expression, `match` on an integer and integer array), `match` (every
/// `match`), `int_array` (the constant integer arrays and slices).
const GROUPS: &[&str] = &["cast", "match", "int_array"];

/// Whether `AUTODIFF_DIFFTEST_EXCLUDE` leaves out `kind`, itself or by its
/// group; every integer construct needs a cast.
fn kind_excluded(kind: &str, exclude: &BTreeSet<String>) -> bool {
    let group = group_of(kind);
    let needs_cast = group.is_some() && kind != "match_bool" && kind != "match_let";
    exclude.contains(kind)
        || group.is_some_and(|g| exclude.contains(g))
        || needs_cast && exclude.contains("cast")
}

/// The group of a kind of [`STMT_KINDS`], if it is one of issue 11's.
fn group_of(kind: &str) -> Option<&'static str> {
    if kind.starts_with("match") {
        Some("match")
    } else if kind.starts_with("int_array") || kind == "int_slice" || kind == "int_index" {
        Some("int_array")
    } else if kind.starts_with("cast")
        || kind.starts_with("int_")
        || ["as_f64", "f64_from", "let_int"].contains(&kind)
    {
        Some("cast")
    } else {
        None
    }
}

#[derive(Clone, Debug)]
enum E {
    Var(String),
    /// A non-negative literal.
    Lit(f64),
    /// `std::f64::consts::{PI, E}`.
    Const(&'static str),
    Neg(Box<E>),
    /// Redundant parentheses (kept in the `#[grad]` form only).
    Paren(Box<E>),
    Bin(char, Box<E>, Box<E>),
    /// `args[0].op(args[1..])` or `f64::op(args..)`; `int` is `powi`'s exponent.
    Call {
        op: Op,
        path: bool,
        args: Vec<E>,
        int: Option<i32>,
    },
    /// An integer back to a float: `(i) as f64`, or `f64::from(i)` when
    /// `from` (an `i32` only).
    AsF64(I, bool),
    /// `match s { pat => e, .. }`, the last arm `_` (or `false`, `true`).
    Match(Box<Scrut>, Vec<(String, E)>),
}

/// An integer expression (issue 11). It carries no derivative: the casts
/// from float are flat between the integers, where they jump.
#[derive(Clone, Debug)]
enum I {
    /// `e as i32` (`i64`, `usize`), `e` a float expression.
    Cast(Box<E>, IntTy),
    /// A non-negative literal.
    Lit(i64),
    /// An integer local (`let k3 = ..;`) or a name bound by a `match` arm
    /// (`k4 @ 3..=5`).
    Var(String),
    /// `a op b`, `op` one of `+ - * / %`; `/` and `%` by a positive literal.
    Bin(char, Box<I>, Box<I>),
    /// `c[k]`: an element of a constant integer array or slice (`i32`),
    /// `k` a `usize`.
    Index(String, Box<I>),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum IntTy {
    I32,
    I64,
    Usize,
}

impl IntTy {
    fn name(self) -> &'static str {
        match self {
            IntTy::I32 => "i32",
            IntTy::I64 => "i64",
            IntTy::Usize => "usize",
        }
    }
}

/// What a `match` looks at.
#[derive(Clone, Debug)]
enum Scrut {
    Int(I),
    /// `a > b` (`op` is `>` or `<`).
    Cmp(char, E, E),
}

/// An integer expression with a bound on |value|.
#[derive(Clone, Debug)]
struct INode {
    i: I,
    ty: IntTy,
    m: i64,
}

/// An integer local or `match` binding in scope.
#[derive(Clone, Debug)]
struct IntVar {
    name: String,
    ty: IntTy,
    m: i64,
}

/// A constant integer array (`let c: [i32; 4] = [..];`) or slice
/// (`let c: &[i32] = &[..];`) in scope.
#[derive(Clone, Debug)]
struct IntArray {
    name: String,
    len: usize,
    m: i64,
}

/// An expression with crude bounds: |value| <= `m`, sum of |partials| <= `l`.
#[derive(Clone, Debug)]
struct Node {
    e: E,
    m: f64,
    l: f64,
    /// Takes values in a discrete set (literals, floor, signum, ...).
    disc: bool,
    /// Mentions a variable (so its type is known to be f64).
    var: bool,
}

#[derive(Clone, Debug)]
struct VarInfo {
    name: String,
    m: f64,
    l: f64,
    disc: bool,
    mutable: bool,
    /// Read since its last definition.
    used: bool,
}

#[derive(Clone, Debug)]
enum Stmt {
    Let {
        name: String,
        mutable: bool,
        e: E,
        kind: &'static str,
    },
    Assign {
        name: String,
        op: &'static str,
        e: E,
    },
    SinCos {
        s: String,
        c: String,
        arg: E,
        path: bool,
    },
    /// `let k = i;` or `let k: i32 = i;`, an integer local.
    LetInt {
        name: String,
        i: I,
        ty: Option<IntTy>,
    },
    /// `let c: [i32; N] = [..];` or `let c: &[i32] = &[..];`.
    IntArray {
        name: String,
        values: Vec<i64>,
        slice: bool,
    },
}

struct Function {
    name: String,
    params: usize,
    stmts: Vec<Stmt>,
    tail: E,
    points: Vec<Vec<f64>>,
    /// One direction per point, for `f_jvp` and `f_hvp`.
    dirs: Vec<Vec<f64>>,
    /// Marked `forward`: gets `f_jvp` (unless `forward` is excluded).
    forward: bool,
    /// Marked `hessian` (unless `hessian` is excluded): gets `f_hvp` and
    /// `f_hessian`.
    second: bool,
}

/// The checks beyond the gradient, for `AUTODIFF_DIFFTEST_EXCLUDE`:
/// `forward` (`#[grad(forward)]`, `f_jvp`), `hessian`
/// (`#[grad(hessian)]`, `f_hvp` and `f_hessian`) and `vector` (the
/// vector-valued `vgen_<i>`, `f_jacobian` and `f_vjp`). Excluding them
/// changes only the attribute or the `vgen_<i>`, never the functions
/// `gen_<i>` or their points.
const CHECK_KINDS: &[&str] = &["forward", "hessian", "vector", "generic"];

// ---------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------

struct Gen<'a> {
    rng: fastrand::Rng,
    /// The second random stream, for issue 11's constructs (see
    /// [`Gen::with_rng2`]).
    rng2: fastrand::Rng,
    rng2_depth: usize,
    /// Integer locals and `match` bindings in scope.
    ints: Vec<IntVar>,
    /// Constant integer arrays in scope.
    arrays: Vec<IntArray>,
    scope: Vec<VarInfo>,
    focus: Option<String>,
    next_id: usize,
    exclude: &'a BTreeSet<String>,
    ops: Vec<Op>,
}

/// Function `index`'s own random stream (its first one; the others are
/// derived from it).
fn stream(seed: u64, index: usize) -> u64 {
    seed ^ (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

fn generate(seed: u64, index: usize, ops: &[Op], exclude: &BTreeSet<String>) -> Function {
    let stream = stream(seed, index);
    let mut g = Gen::new(stream, ops, exclude);
    let params = g.rng.usize(1..=4);
    g.params(params);
    let count = g.rng.usize(3..=12);
    let mut stmts = Vec::new();
    stmts.extend(g.int_array_stmt());
    g.statements(count, &mut stmts);
    g.focus = None;
    // The tail combines the last value with up to two values nobody read, so
    // that most statements feed the result.
    let last = g.scope.last().unwrap().clone();
    let mut tail = g.var_node(&last);
    let unread: Vec<VarInfo> = g
        .scope
        .iter()
        .rev()
        .filter(|v| !v.used && !v.name.starts_with('x'))
        .take(2)
        .cloned()
        .collect();
    for v in unread {
        let b = g.var_node(&v);
        let op = *g.pick(&['+', '-', '*']);
        tail = g.bin(op, tail, b);
        tail = g.cap(tail);
    }
    if g.chance(0.6) {
        let depth = g.rng.u32(1..=3);
        let b = g.any(depth);
        let op = *g.pick(&['+', '-', '*']);
        tail = g.bin(op, tail, b);
    }
    let tail = g.cap(tail).e;
    let points = (0..POINTS)
        .map(|_| {
            (0..params)
                .map(|_| (g.rng.f64() * 2.0 - 1.0) * X_MAX)
                .collect()
        })
        .collect();
    // Drawn after everything else, so that the function and its points are
    // the ones this seed gave before forward mode was tested.
    let dirs = (0..POINTS)
        .map(|_| (0..params).map(|_| g.rng.f64() * 2.0 - 1.0).collect())
        .collect();
    let forward = !exclude.contains("forward");
    // Every op of the set has a second derivative in `#[grad(hessian)]`
    // (`powf` was the last one to get it), so every function has `hessian`.
    let second = !exclude.contains("hessian");
    Function {
        name: format!("gen_{index}"),
        params,
        stmts,
        tail,
        points,
        dirs,
        forward,
        second,
    }
}

impl<'a> Gen<'a> {
    /// A generator drawing from `stream` (and, for issue 11's constructs,
    /// from a second stream derived from it).
    fn new(stream: u64, ops: &[Op], exclude: &'a BTreeSet<String>) -> Gen<'a> {
        Gen {
            rng: fastrand::Rng::with_seed(stream),
            rng2: fastrand::Rng::with_seed(stream ^ 0x1111_0011_C0DE_0011),
            rng2_depth: 0,
            ints: Vec::new(),
            arrays: Vec::new(),
            scope: Vec::new(),
            focus: None,
            next_id: 0,
            exclude,
            ops: ops
                .iter()
                .copied()
                .filter(|op| *op != Op::SinCos && !exclude.contains(op.name()))
                .collect(),
        }
    }

    /// Puts the parameters `x0..x{n-1}` in scope.
    fn params(&mut self, n: usize) {
        for p in 0..n {
            self.scope.push(VarInfo {
                name: format!("x{p}"),
                m: X_MAX,
                l: 1.0,
                disc: false,
                mutable: false,
                used: false,
            });
        }
    }

    /// Appends `count` statements (and issue 11's integer statements drawn
    /// after them) to `stmts`.
    fn statements(&mut self, count: usize, stmts: &mut Vec<Stmt>) {
        let mut counted = 0;
        for attempt in 0.. {
            if counted == count {
                break;
            }
            assert!(
                attempt < 10_000,
                "AUTODIFF_DIFFTEST_EXCLUDE leaves no statement kind"
            );
            if let Some(s) = self.statement() {
                stmts.push(s);
                counted += 1;
                stmts.extend(self.new_stmt());
            }
        }
    }
}

impl Gen<'_> {
    fn allowed(&self, what: &str) -> bool {
        !self.exclude.contains(what)
    }

    fn pick<'b, T>(&mut self, items: &'b [T]) -> &'b T {
        &items[self.rng.usize(0..items.len())]
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.f64() < p
    }

    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.rng.f64()
    }

    /// A literal in `[lo, hi]` with two decimals.
    fn lit_in(&mut self, lo: f64, hi: f64) -> f64 {
        let v = (self.uniform(lo, hi) * 100.0).round() / 100.0;
        v.clamp(lo, hi)
    }

    fn fresh(&mut self, prefix: &str) -> String {
        let id = self.next_id;
        self.next_id += 1;
        format!("{prefix}{id}")
    }

    fn define(&mut self, info: VarInfo) {
        self.scope.retain(|v| v.name != info.name);
        self.scope.push(info);
    }

    // -- leaves ------------------------------------------------------------

    fn pick_var(&mut self) -> VarInfo {
        if let Some(f) = self.focus.clone()
            && self.chance(0.3)
            && let Some(v) = self.scope.iter().find(|v| v.name == f)
        {
            return v.clone();
        }
        let unread: Vec<usize> = (0..self.scope.len())
            .filter(|&i| !self.scope[i].used)
            .collect();
        if !unread.is_empty() && self.chance(0.3) {
            let i = *self.pick(&unread);
            return self.scope[i].clone();
        }
        let n = self.scope.len();
        let r = self.rng.f64();
        let i = if r < 0.4 {
            n - 1
        } else if r < 0.65 {
            n - 1 - self.rng.usize(0..n.min(3))
        } else {
            self.rng.usize(0..n)
        };
        self.scope[i].clone()
    }

    fn var_node(&mut self, v: &VarInfo) -> Node {
        if let Some(s) = self.scope.iter_mut().find(|s| s.name == v.name) {
            s.used = true;
        }
        Node {
            e: E::Var(v.name.clone()),
            m: v.m,
            l: v.l,
            disc: v.disc,
            var: true,
        }
    }

    fn var(&mut self) -> Node {
        let v = self.pick_var();
        self.var_node(&v)
    }

    fn lit(&mut self, v: f64) -> Node {
        Node {
            e: E::Lit(v),
            m: v.abs(),
            l: 0.0,
            disc: true,
            var: false,
        }
    }

    fn leaf(&mut self) -> Node {
        let r = self.rng.f64();
        if r < 0.8 {
            self.var()
        } else if r < 0.93 && self.allowed("literal") {
            let v = self.lit_in(0.1, 4.0);
            let n = self.lit(v);
            if self.chance(0.3) && self.allowed("neg") {
                self.neg(n)
            } else {
                n
            }
        } else if self.allowed("PI") && self.chance(0.5) {
            Node {
                e: E::Const("PI"),
                m: std::f64::consts::PI,
                l: 0.0,
                disc: true,
                var: false,
            }
        } else if self.allowed("E") {
            Node {
                e: E::Const("E"),
                m: std::f64::consts::E,
                l: 0.0,
                disc: true,
                var: false,
            }
        } else {
            self.var()
        }
    }

    // -- composite nodes ------------------------------------------------------

    fn neg(&mut self, a: Node) -> Node {
        Node {
            e: E::Neg(Box::new(a.e)),
            ..a
        }
    }

    fn bin(&mut self, op: char, a: Node, b: Node) -> Node {
        let (m, l) = match op {
            '+' | '-' => (a.m + b.m, a.l + b.l),
            '*' => (a.m * b.m, a.l * b.m + b.l * a.m),
            _ => unreachable!("division goes through `div`"),
        };
        Node {
            e: E::Bin(op, Box::new(a.e), Box::new(b.e)),
            m,
            l,
            disc: a.disc && b.disc,
            var: a.var || b.var,
        }
    }

    /// `a / d` where |d| >= lb > 0.
    fn div(&mut self, a: Node, d: Node, lb: f64) -> Node {
        Node {
            m: a.m / lb,
            l: a.l / lb + a.m * d.l / (lb * lb),
            disc: a.disc && d.disc,
            var: a.var || d.var,
            e: E::Bin('/', Box::new(a.e), Box::new(d.e)),
        }
    }

    fn call(&mut self, op: Op, args: Vec<Node>, int: Option<i32>, m: f64, l: f64) -> Node {
        let disc = match op {
            Op::Signum | Op::Floor | Op::Ceil | Op::Round | Op::Trunc => true,
            Op::Copysign => args[0].disc,
            _ => args.iter().all(|a| a.disc),
        };
        let var = args.iter().any(|a| a.var);
        // A literal receiver (`0.5.exp()`) has an ambiguous float type in Rust.
        let path = !args[0].var || self.rng.bool();
        Node {
            e: E::Call {
                op,
                path,
                args: args.into_iter().map(|a| a.e).collect(),
                int,
            },
            m,
            l,
            disc,
            var,
        }
    }

    fn call1(&mut self, op: Op, a: Node, m: f64, l: f64) -> Node {
        self.call(op, vec![a], None, m, l)
    }

    fn add_lit(&mut self, a: Node, c: f64) -> Node {
        let c = self.lit(c);
        self.bin('+', a, c)
    }

    fn mul_lit(&mut self, a: Node, c: f64) -> Node {
        let c = self.lit(c);
        self.bin('*', a, c)
    }

    fn maybe_paren(&mut self, n: Node) -> Node {
        if self.allowed("paren") && self.chance(0.04) {
            Node {
                e: E::Paren(Box::new(n.e)),
                ..n
            }
        } else {
            n
        }
    }

    /// Squash an operand whose bounds exceed the caps.
    fn cap(&mut self, n: Node) -> Node {
        let mut n = n;
        if n.l > LIP_CAP {
            // Scale down by a power of ten.
            let s = 10f64.powi(-((n.l / LIP_CAP).log10().ceil() as i32));
            n = self.mul_lit(n, s);
        }
        if n.m > MAG_CAP {
            // num-dual's tanh needs a moderate argument (see TANH_MAX).
            let choice = if n.m > TANH_MAX {
                self.rng.u32(0..2)
            } else {
                self.rng.u32(0..4)
            };
            let l = n.l;
            n = match choice {
                0 => self.call1(Op::Atan, n, std::f64::consts::FRAC_PI_2, l),
                1 => self.call1(Op::Sin, n, 1.0, l),
                2 => self.call1(Op::Tanh, n, 1.0, l),
                _ => self.call1(Op::Cos, n, 1.0, l),
            };
            if self.chance(0.5) {
                let k = self.lit_in(0.5, 5.0);
                n = self.mul_lit(n, k);
            }
        }
        n
    }

    /// Any expression with a variable in it.
    fn anyv(&mut self, depth: u32) -> Node {
        for _ in 0..4 {
            let n = self.any(depth);
            if n.var {
                return n;
            }
        }
        self.var()
    }

    /// Any expression, within the magnitude caps.
    fn any(&mut self, depth: u32) -> Node {
        if depth == 0 || self.chance(0.12) {
            return self.leaf();
        }
        if let Some(n) = self.new_expr(depth) {
            return n;
        }
        let d = depth - 1;
        let r = self.rng.f64();
        let n = if r < 0.33 {
            let op = *self.pick(&['+', '-', '*', '/']);
            let name = match op {
                '+' => "add",
                '-' => "sub",
                '*' => "mul",
                _ => "div",
            };
            if !self.allowed(name) {
                self.leaf()
            } else if op == '/' {
                let a = self.any(d);
                let (den, lb) = self.denominator(d);
                self.div(a, den, lb)
            } else {
                let a = self.any(d);
                let mut b = self.any(d);
                if op == '-' && rust(&a.e) == rust(&b.e) {
                    // `e - e` is an exact zero: a degenerate input for kinks.
                    b = self.any(d);
                }
                self.bin(op, a, b)
            }
        } else if r < 0.37 && self.allowed("neg") {
            let a = self.anyv(d);
            self.neg(a)
        } else if self.ops.is_empty() {
            self.leaf()
        } else {
            let op = *self.pick(&self.ops.clone());
            self.op(op, d)
        };
        let n = self.maybe_paren(n);
        self.cap(n)
    }

    /// An expression with |value| <= b.
    fn bounded(&mut self, d: u32, b: f64) -> Node {
        let n = self.anyv(d);
        if n.m <= b {
            return n;
        }
        let k = self.lit_in(b * 0.3, b);
        let l = n.l;
        let s = match self.rng.u32(0..3) {
            0 if n.m <= TANH_MAX => self.call1(Op::Tanh, n, 1.0, l),
            1 => self.call1(Op::Cos, n, 1.0, l),
            _ => self.call1(Op::Sin, n, 1.0, l),
        };
        self.mul_lit(s, k)
    }

    /// An expression >= lb > 0 (returns the bound too).
    fn pos(&mut self, d: u32) -> (Node, f64) {
        let c = self.lit_in(0.2, 1.5);
        self.pos_with(d, c)
    }

    /// A positive expression, `c` being the added constant where there is one.
    fn pos_with(&mut self, d: u32, c: f64) -> (Node, f64) {
        loop {
            match self.rng.u32(0..9) {
                0 => {
                    let v = self.pick_var();
                    if v.m > 7.0 {
                        continue;
                    }
                    let a = self.var_node(&v);
                    let b = self.var_node(&v);
                    let sq = self.bin('*', a, b);
                    return (self.add_lit(sq, c), c);
                }
                1 => {
                    let a = self.bounded(d, MAG_CAP * 0.8);
                    let (m, l) = (a.m, a.l);
                    let abs = self.call1(Op::Abs, a, m, l);
                    return (self.add_lit(abs, c), c);
                }
                2 => {
                    let a = self.bounded(d, 6.0);
                    let (m, l) = (a.m * a.m, 2.0 * a.m * a.l);
                    let sq = self.call(Op::Powi, vec![a], Some(2), m, l);
                    return (self.add_lit(sq, c), c);
                }
                3 | 8 => {
                    let a = self.bounded(d, 3.0);
                    let (op, base) = if self.chance(0.5) {
                        (Op::Exp, std::f64::consts::E)
                    } else {
                        (Op::Exp2, 2.0)
                    };
                    let m = base.powf(a.m);
                    let l = m * base.ln() * a.l;
                    let lb = base.powf(-a.m);
                    return (self.call1(op, a, m, l), lb);
                }
                4 | 7 => {
                    let a = self.anyv(d);
                    let l = a.l;
                    let op = *self.pick(&[Op::Tanh, Op::Sin, Op::Cos]);
                    let op = if op == Op::Tanh && a.m > TANH_MAX {
                        Op::Sin
                    } else {
                        op
                    };
                    let s = self.call1(op, a, 1.0, l);
                    let c = ((c + 1.0) * 100.0).round() / 100.0;
                    return (self.add_lit(s, c), c - 1.0);
                }
                5 => {
                    let a = self.bounded(d, 3.0);
                    let (m, l) = (a.m.cosh(), a.m.sinh() * a.l);
                    return (self.call1(Op::Cosh, a, m, l), 1.0);
                }
                _ => {
                    let a = self.bounded(d, MAG_CAP * 0.8);
                    let cn = self.lit(c);
                    let (m, l) = (a.m + c, a.l);
                    return (self.call(Op::Hypot, vec![a, cn], None, m, l), c);
                }
            }
        }
    }

    /// |value| >= lb > 0, either sign.
    fn nonzero(&mut self, d: u32) -> (Node, f64) {
        let (p, lb) = self.pos(d);
        if self.allowed("neg") && self.chance(0.3) {
            (self.neg(p), lb)
        } else {
            (p, lb)
        }
    }

    fn denominator(&mut self, d: u32) -> (Node, f64) {
        if self.allowed("literal") && self.chance(0.15) {
            let c = self.lit_in(0.5, 4.0);
            (self.lit(c), c)
        } else {
            self.nonzero(d)
        }
    }

    /// |value| <= k < 1 (returns k).
    fn unit(&mut self, d: u32) -> (Node, f64) {
        let k = self.lit_in(0.3, 0.9);
        let a = self.anyv(d);
        let l = a.l;
        let s = match self.rng.u32(0..4) {
            0 if a.m <= TANH_MAX => self.call1(Op::Tanh, a, 1.0, l),
            1 => self.call1(Op::Cos, a, 1.0, l),
            2 => {
                let t = self.call1(Op::Atan, a, std::f64::consts::FRAC_PI_2, l);
                let t = self.mul_lit(t, 0.6);
                return (self.mul_lit(t, k), k * 0.6 * std::f64::consts::FRAC_PI_2);
            }
            _ => self.call1(Op::Sin, a, 1.0, l),
        };
        (self.mul_lit(s, k), k)
    }

    /// value >= lb > 1.
    fn ge1(&mut self, d: u32) -> (Node, f64) {
        let c = self.lit_in(1.05, 2.0);
        loop {
            let (n, lb) = self.pos_with(d, c);
            if lb > 1.0 {
                return (n, lb);
            }
            if lb == 1.0 {
                // cosh: shift it.
                let c = self.lit_in(0.05, 1.0);
                return (self.add_lit(n, c), 1.0 + c);
            }
        }
    }

    fn op(&mut self, op: Op, d: u32) -> Node {
        use std::f64::consts::{FRAC_PI_2, PI};
        match op {
            Op::Exp | Op::ExpM1 | Op::Sinh | Op::Cosh => {
                let a = self.bounded(d, 3.0);
                let (m, l) = (a.m.exp(), a.m.exp() * a.l);
                self.call1(op, a, m, l)
            }
            Op::Exp2 => {
                let a = self.bounded(d, 4.0);
                let m = a.m.exp2();
                let l = m * a.l;
                self.call1(op, a, m, l)
            }
            Op::Ln | Op::Log2 | Op::Log10 => {
                let (p, lb) = self.pos(d);
                let m = lb.ln().abs().max(p.m.ln().abs()) * 1.5;
                let l = p.l / lb * 1.5;
                self.call1(op, p, m, l)
            }
            Op::Log => {
                let (p, lb) = self.pos(d);
                let r = self.rng.u32(0..4);
                let (base, lnb) = if r == 0 && self.allowed("E") {
                    let e = Node {
                        e: E::Const("E"),
                        m: std::f64::consts::E,
                        l: 0.0,
                        disc: true,
                        var: false,
                    };
                    (e, 1.0)
                } else if r == 1 {
                    let c = *self.pick(&[2.0, 10.0, 0.5, 3.0, 1.5, 0.25]);
                    (self.lit(c), f64::ln(c).abs())
                } else if r == 2 {
                    let c = self.lit_in(1.5, 3.0);
                    let a = self.bounded(d, MAG_CAP * 0.8);
                    let (m, l) = (a.m, a.l);
                    let abs = self.call1(Op::Abs, a, m, l);
                    (self.add_lit(abs, c), c.ln())
                } else {
                    let a = self.anyv(d);
                    let l = a.l;
                    let t = if a.m <= TANH_MAX {
                        self.call1(Op::Tanh, a, 1.0, l)
                    } else {
                        self.call1(Op::Sin, a, 1.0, l)
                    };
                    let t = self.mul_lit(t, 0.2);
                    (self.add_lit(t, 0.5), 0.7f64.ln().abs())
                };
                let m = lb.ln().abs().max(p.m.ln().abs()) / lnb;
                let l = (p.l / lb + m * base.l * 2.0) / lnb;
                self.call(op, vec![p, base], None, m, l)
            }
            Op::Ln1p => {
                let (a, lo) = if self.chance(0.5) {
                    let (p, lb) = self.pos(d);
                    (p, 1.0 + lb)
                } else {
                    let (u, k) = self.unit(d);
                    (u, 1.0 - k)
                };
                let m = lo.ln().abs().max((1.0 + a.m).ln());
                let l = a.l / lo;
                self.call1(op, a, m, l)
            }
            Op::Sqrt => {
                let (p, lb) = self.pos(d);
                let (m, l) = (p.m.sqrt(), p.l / (2.0 * lb.sqrt()));
                self.call1(op, p, m, l)
            }
            Op::Cbrt => {
                let (p, lb) = self.nonzero(d);
                let (m, l) = (p.m.cbrt(), p.l / (3.0 * lb.powf(2.0 / 3.0)));
                self.call1(op, p, m, l)
            }
            Op::Recip => {
                let (p, lb) = self.nonzero(d);
                let (m, l) = (1.0 / lb, p.l / (lb * lb));
                self.call1(op, p, m, l)
            }
            Op::Powi => {
                let n = *self.pick(&[-3, -2, -1, 0, 1, 2, 2, 3, 3, 4]);
                if n < 0 {
                    let (p, lb) = self.nonzero(d);
                    let m = lb.powi(n);
                    let l = f64::from(-n) * lb.powi(n - 1) * p.l;
                    self.call(op, vec![p], Some(n), m, l)
                } else {
                    let b = [MAG_CAP, MAG_CAP, 7.0, 3.6, 2.6][n as usize];
                    let a = self.bounded(d, b);
                    let m = a.m.powi(n);
                    let l = f64::from(n) * a.m.powi((n - 1).max(0)) * a.l;
                    self.call(op, vec![a], Some(n), m, l)
                }
            }
            Op::Powf => {
                let (p, lb) = loop {
                    let (p, lb) = self.pos(d);
                    if p.m <= MAG_CAP {
                        break (p, lb);
                    }
                };
                let q = if self.chance(0.5) {
                    let c = self.lit_in(0.1, 2.5);
                    let c = self.lit(c);
                    if self.chance(0.3) { self.neg(c) } else { c }
                } else {
                    self.bounded(d, 2.0)
                };
                let lnmax = lb.ln().abs().max(p.m.ln().abs());
                let m = (lnmax * q.m).exp();
                let l = m * (q.m * p.l / lb + q.l * lnmax);
                self.call(op, vec![p, q], None, m, l)
            }
            Op::Sin | Op::Cos | Op::Atan | Op::Tanh => {
                let a = if op == Op::Tanh {
                    self.bounded(d, TANH_MAX)
                } else {
                    self.anyv(d)
                };
                let m = if op == Op::Atan { FRAC_PI_2 } else { 1.0 };
                let l = a.l;
                self.call1(op, a, m, l)
            }
            Op::Tan => {
                let a = self.anyv(d);
                let l = a.l;
                let k = self.lit_in(0.3, 1.2);
                let s = match self.rng.u32(0..3) {
                    0 if a.m <= TANH_MAX => self.call1(Op::Tanh, a, 1.0, l),
                    1 => self.call1(Op::Sin, a, 1.0, l),
                    _ => self.call1(Op::Cos, a, 1.0, l),
                };
                let s = self.mul_lit(s, k);
                let m = k.tan();
                let l = (1.0 + m * m) * s.l;
                self.call1(op, s, m, l)
            }
            Op::Asin | Op::Acos | Op::Atanh => {
                let (u, k) = self.unit(d);
                let (m, l) = match op {
                    Op::Atanh => (k.atanh(), u.l / (1.0 - k * k)),
                    _ => (PI, u.l / (1.0 - k * k).sqrt()),
                };
                self.call1(op, u, m, l)
            }
            Op::Asinh => {
                let a = self.anyv(d);
                let (m, l) = (a.m.asinh(), a.l);
                self.call1(op, a, m, l)
            }
            Op::Acosh => {
                let (p, lb) = self.ge1(d);
                let (m, l) = (p.m.acosh(), p.l / (lb * lb - 1.0).sqrt());
                self.call1(op, p, m, l)
            }
            Op::Atan2 => {
                let (p, lb) = self.nonzero(d);
                let a = self.any(d);
                let l = (a.l + p.l) / lb;
                let args = if self.chance(0.5) {
                    vec![a, p]
                } else {
                    vec![p, a]
                };
                self.call(op, args, None, PI, l)
            }
            Op::Hypot => {
                let a = self.any(d);
                let (p, _lb) = if self.chance(0.3) && self.allowed("literal") {
                    let c = self.lit_in(0.2, 3.0);
                    (self.lit(c), c)
                } else {
                    self.pos(d)
                };
                let (m, l) = (a.m + p.m, a.l + p.l);
                let args = if self.chance(0.5) {
                    vec![a, p]
                } else {
                    vec![p, a]
                };
                self.call(op, args, None, m, l)
            }
            Op::MulAdd => {
                let a = self.any(d);
                let b = self.any(d);
                let c = self.any(d);
                let m = a.m * b.m + c.m;
                let l = a.l * b.m + b.l * a.m + c.l;
                self.call(op, vec![a, b, c], None, m, l)
            }
            Op::Max | Op::Min | Op::Copysign => {
                let a = self.any(d);
                // Avoid exact ties of two discrete values.
                let b = if a.disc { self.anyv(d) } else { self.any(d) };
                let (m, l) = if op == Op::Copysign {
                    (a.m, a.l)
                } else {
                    (a.m.max(b.m), a.l.max(b.l))
                };
                self.call(op, vec![a, b], None, m, l)
            }
            Op::Clamp => {
                let x = self.anyv(d);
                let lo = if self.chance(0.5) {
                    let c = self.lit_in(0.5, 2.5);
                    let c = self.lit(c);
                    self.neg(c)
                } else {
                    let c = self.lit_in(1.5, 2.5);
                    let a = self.anyv(d);
                    let l = a.l;
                    let t = self.call1(Op::Sin, a, 1.0, l);
                    let c = self.lit(c);
                    self.bin('-', t, c)
                };
                let hi = if self.chance(0.5) {
                    let c = self.lit_in(0.5, 2.5);
                    self.lit(c)
                } else {
                    let c = self.lit_in(1.5, 2.5);
                    let a = self.anyv(d);
                    let l = a.l;
                    let t = if a.m <= TANH_MAX {
                        self.call1(Op::Tanh, a, 1.0, l)
                    } else {
                        self.call1(Op::Cos, a, 1.0, l)
                    };
                    self.add_lit(t, c)
                };
                let m = x.m.min(lo.m.max(hi.m));
                let l = x.l.max(lo.l).max(hi.l);
                self.call(op, vec![x, lo, hi], None, m, l)
            }
            Op::Abs => {
                let a = self.anyv(d);
                let (m, l) = (a.m, a.l);
                self.call1(op, a, m, l)
            }
            Op::Signum => {
                let a = self.anyv(d);
                self.call1(op, a, 1.0, 0.0)
            }
            Op::Floor | Op::Ceil | Op::Round | Op::Trunc => {
                let a = self.anyv(d);
                let m = a.m + 1.0;
                self.call1(op, a, m, 0.0)
            }
            Op::Fract => {
                let a = self.anyv(d);
                let l = a.l;
                self.call1(op, a, 1.0, l)
            }
            Op::ToDegrees | Op::ToRadians => {
                let a = self.anyv(d);
                let k = if op == Op::ToDegrees {
                    180.0 / PI
                } else {
                    PI / 180.0
                };
                let (m, l) = (a.m * k, a.l * k);
                self.call1(op, a, m, l)
            }
            Op::SinCos => unreachable!("sin_cos is a statement"),
        }
    }

    // -- statements -------------------------------------------------------------

    fn statement(&mut self) -> Option<Stmt> {
        let locals: Vec<VarInfo> = self
            .scope
            .iter()
            .filter(|v| !v.name.starts_with('x'))
            .cloned()
            .collect();
        let muts: Vec<VarInfo> = self.scope.iter().filter(|v| v.mutable).cloned().collect();
        self.focus = if self.chance(0.5) {
            Some(self.pick_var().name)
        } else {
            None
        };
        let depth = self.rng.u32(1..=3);
        let r = self.rng.f64();
        if r < 0.30 {
            if !self.allowed("let") {
                return None;
            }
            let n = self.anyv(depth);
            let name = self.fresh("t");
            Some(self.bind(name, false, n, "let"))
        } else if r < 0.45 {
            if !self.allowed("let_mut") {
                return None;
            }
            let n = self.anyv(depth);
            let name = self.fresh("m");
            Some(self.bind(name, true, n, "let_mut"))
        } else if r < 0.70 {
            if muts.is_empty() {
                return None;
            }
            let target = self.pick(&muts).clone();
            self.assign(target, depth)
        } else if r < 0.88 {
            // Shadowing: `let v = <expr using v>;`
            let (target, kind) = if !locals.is_empty() && self.chance(0.8) {
                (self.pick(&locals).clone(), "shadow")
            } else {
                let params: Vec<VarInfo> = self
                    .scope
                    .iter()
                    .filter(|v| v.name.starts_with('x'))
                    .cloned()
                    .collect();
                if params.is_empty() {
                    return None;
                }
                (self.pick(&params).clone(), "shadow_param")
            };
            if !self.allowed(kind) {
                return None;
            }
            self.focus = Some(target.name.clone());
            let own = self.var_node(&target);
            let other = self.any(depth);
            let n = if self.chance(0.5) {
                let op = *self.pick(&['+', '-', '*']);
                if self.chance(0.5) {
                    self.bin(op, own, other)
                } else {
                    self.bin(op, other, own)
                }
            } else {
                let (den, lb) = self.denominator(depth - 1);
                let q = self.div(own, den, lb);
                self.bin('+', q, other)
            };
            let n = self.cap(n);
            let mutable = self.chance(0.3);
            Some(self.bind(target.name, mutable, n, kind))
        } else {
            if !self.allowed("sin_cos") || !self.allowed("sin_cos_let") {
                return None;
            }
            let a = self.anyv(depth);
            let s = self.fresh("s");
            let c = s.replacen('s', "c", 1);
            for name in [&s, &c] {
                self.define(VarInfo {
                    name: name.clone(),
                    m: 1.0,
                    l: a.l,
                    disc: a.disc,
                    mutable: false,
                    used: false,
                });
            }
            let path = self.rng.bool();
            Some(Stmt::SinCos {
                s,
                c,
                arg: a.e,
                path,
            })
        }
    }

    fn bind(&mut self, name: String, mutable: bool, n: Node, kind: &'static str) -> Stmt {
        self.define(VarInfo {
            name: name.clone(),
            m: n.m,
            l: n.l,
            disc: n.disc,
            mutable,
            used: false,
        });
        Stmt::Let {
            name,
            mutable,
            e: n.e,
            kind,
        }
    }

    fn assign(&mut self, target: VarInfo, depth: u32) -> Option<Stmt> {
        let op = *self.pick(&["=", "+=", "-=", "*=", "/="]);
        let kind = match op {
            "=" => "assign",
            "+=" => "add_assign",
            "-=" => "sub_assign",
            "*=" => "mul_assign",
            _ => "div_assign",
        };
        if !self.allowed(kind) {
            return None;
        }
        let (e, m, l, disc) = match op {
            "=" => {
                let n = self.anyv(depth);
                (n.e, n.m, n.l, n.disc)
            }
            "+=" | "-=" => {
                let n = self.anyv(depth);
                (n.e, target.m + n.m, target.l + n.l, target.disc && n.disc)
            }
            "*=" => {
                let n = self.bounded(depth, 2.0);
                let m = target.m * n.m;
                let l = target.l * n.m + n.l * target.m;
                (n.e, m, l, target.disc && n.disc)
            }
            _ => {
                let (n, lb) = self.nonzero(depth);
                let m = target.m / lb;
                let l = target.l / lb + target.m * n.l / (lb * lb);
                (n.e, m, l, target.disc && n.disc)
            }
        };
        if m > MAG_CAP * 4.0 || l > LIP_CAP * 4.0 {
            // Too large: reset the variable instead.
            if !self.allowed("assign") {
                return None;
            }
            let n = self.anyv(depth);
            self.update(&target.name, n.m, n.l, n.disc);
            return Some(Stmt::Assign {
                name: target.name,
                op: "=",
                e: n.e,
            });
        }
        self.update(&target.name, m, l, disc);
        Some(Stmt::Assign {
            name: target.name,
            op,
            e,
        })
    }

    fn update(&mut self, name: &str, m: f64, l: f64, disc: bool) {
        let v = self.scope.iter_mut().find(|v| v.name == name).unwrap();
        v.m = m;
        v.l = l;
        v.disc = disc;
        v.used = false;
    }
}

// ---------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------

fn lit_text(v: f64) -> String {
    format!("{v:?}")
}

fn prec(e: &E) -> u8 {
    match e {
        E::Match(..) => 0,
        E::Bin('+' | '-', ..) => 1,
        E::Bin(..) => 2,
        E::Neg(_) | E::AsF64(_, false) => 3,
        _ => 4,
    }
}

/// The `#[grad]` form: minimal parentheses by precedence.
fn rust(e: &E) -> String {
    match e {
        E::Var(n) => n.clone(),
        E::Lit(v) if generic::on() => generic::lit(&lit_text(*v)),
        E::Lit(v) => lit_text(*v),
        E::Const(c) if generic::on() => generic::constant(c),
        E::Const(c) => format!("std::f64::consts::{c}"),
        // A negative literal over `T`: `T::from(-2.5).unwrap()`.
        E::Neg(a) if generic::on() && matches!(**a, E::Lit(_)) => {
            let E::Lit(v) = **a else { unreachable!() };
            generic::lit(&format!("-{}", lit_text(v)))
        }
        E::Neg(a) => {
            if prec(a) <= 3 {
                format!("-({})", rust(a))
            } else {
                format!("-{}", rust(a))
            }
        }
        E::Paren(a) => format!("({})", rust(a)),
        E::Bin(op, a, b) => {
            let p = prec(e);
            let l = if prec(a) < p {
                format!("({})", rust(a))
            } else {
                rust(a)
            };
            let r = if prec(b) <= p {
                format!("({})", rust(b))
            } else {
                rust(b)
            };
            format!("{l} {op} {r}")
        }
        E::Call {
            op,
            path,
            args,
            int,
        } => {
            let mut rest: Vec<String> = args.iter().skip(1).map(rust).collect();
            if let Some(n) = int {
                rest.push(n.to_string());
            }
            if *path {
                let mut all = vec![rust(&args[0])];
                all.extend(rest);
                format!("{}::{}({})", generic::float(), op.name(), all.join(", "))
            } else {
                let recv = if prec(&args[0]) < 4 {
                    format!("({})", rust(&args[0]))
                } else {
                    rust(&args[0])
                };
                format!("{recv}.{}({})", op.name(), rest.join(", "))
            }
        }
        E::AsF64(i, from) => constructs::as_f64_text(i, *from),
        E::Match(s, arms) => constructs::match_text(s, arms, false),
    }
}

/// A constant as an `f64` expression, if `e` is one (for num-dual's
/// constant-argument methods).
fn constant(e: &E) -> Option<String> {
    match e {
        E::Lit(v) => Some(lit_text(*v)),
        E::Const(c) => Some(format!("std::f64::consts::{c}")),
        E::Neg(a) => constant(a).map(|c| format!("-{c}")),
        E::Paren(a) => constant(a),
        _ => None,
    }
}

/// The oracle form: generic over `D: DualNum<Primitive = f64> + Copy`, fully
/// parenthesised, no method-call syntax.
fn oracle(e: &E) -> String {
    match e {
        E::Var(n) => n.clone(),
        E::Lit(_) | E::Const(_) => format!("o::c::<D>({})", constant(e).unwrap()),
        E::Neg(a) => format!("(-{})", oracle(a)),
        E::Paren(a) => oracle(a),
        E::Bin(op, a, b) => format!("({} {op} {})", oracle(a), oracle(b)),
        E::Call { op, args, int, .. } => {
            let a: Vec<String> = args.iter().map(oracle).collect();
            let dn = |f: &str| format!("DualNum::{f}(&{})", a[0]);
            match op {
                Op::Exp => dn("exp"),
                Op::Exp2 => dn("exp2"),
                Op::ExpM1 => dn("exp_m1"),
                Op::Ln => dn("ln"),
                Op::Ln1p => dn("ln_1p"),
                Op::Log2 => dn("log2"),
                Op::Log10 => dn("log10"),
                Op::Log => match constant(&args[1]) {
                    Some(base) => format!("DualNum::log(&{}, {base})", a[0]),
                    None => format!("o::log_var({}, {})", a[0], a[1]),
                },
                Op::Sqrt => dn("sqrt"),
                Op::Cbrt => dn("cbrt"),
                Op::Recip => dn("recip"),
                Op::Powi => format!("o::powi({}, {})", a[0], int.unwrap()),
                Op::Powf => match constant(&args[1]) {
                    Some(q) => format!("o::powf({}, {q})", a[0]),
                    None => format!("o::powd({}, {})", a[0], a[1]),
                },
                Op::Sin => dn("sin"),
                Op::Cos => dn("cos"),
                Op::Asin => dn("asin"),
                Op::Acos => dn("acos"),
                Op::Atan => dn("atan"),
                Op::Sinh => dn("sinh"),
                Op::Cosh => dn("cosh"),
                Op::Asinh => dn("asinh"),
                Op::Acosh => dn("acosh"),
                Op::Atanh => dn("atanh"),
                Op::SinCos => unreachable!(),
                // Hand-written in `autodiff_difftest::oracle`.
                _ => format!("o::{}({})", op.name(), a.join(", ")),
            }
        }
        E::AsF64(i, _) => format!("o::c::<D>(({}) as f64)", constructs::int_text(i, true)),
        E::Match(s, arms) => constructs::match_text(s, arms, true),
    }
}

fn emit_function(out: &mut String, f: &Function, no_macro: bool) {
    let src = source(f, !no_macro);
    out.push_str(&src);
    out.push('\n');
    if no_macro {
        // Stub: no derivatives, only the plain value (for checking the oracle).
        let params: Vec<String> = (0..f.params).map(|p| format!("x{p}: f64")).collect();
        let args: Vec<String> = (0..f.params).map(|p| format!("x{p}")).collect();
        let nans = vec!["f64::NAN"; f.params].join(", ");
        writeln!(
            out,
            "pub fn {}_grad({}) -> ({}) {{ ({}({}), {nans}) }}",
            f.name,
            params.join(", "),
            vec!["f64"; f.params + 1].join(", "),
            f.name,
            args.join(", ")
        )
        .unwrap();
        let dirs: Vec<String> = (0..f.params).map(|p| format!("d_x{p}: f64")).collect();
        let all = [params.clone(), dirs].concat().join(", ");
        if f.forward {
            writeln!(
                out,
                "pub fn {}_jvp({all}) -> (f64, f64) {{ ({}({}), f64::NAN) }}",
                f.name,
                f.name,
                args.join(", ")
            )
            .unwrap();
        }
        if f.second {
            let n = f.params;
            writeln!(
                out,
                "pub fn {}_hvp({all}) -> ({}) {{ ({}({}), {}) }}",
                f.name,
                vec!["f64"; 2 * n + 1].join(", "),
                f.name,
                args.join(", "),
                vec!["f64::NAN"; 2 * n].join(", ")
            )
            .unwrap();
            writeln!(
                out,
                "pub fn {}_hessian({}) -> (f64, {} [[f64; {n}]; {n}]) {{ ({}({}), {} [[f64::NAN; {n}]; {n}]) }}",
                f.name,
                params.join(", "),
                "f64, ".repeat(n),
                f.name,
                args.join(", "),
                "f64::NAN, ".repeat(n),
            )
            .unwrap();
        }
    }
    let params: Vec<String> = (0..f.params).map(|p| format!("x{p}: D")).collect();
    writeln!(
        out,
        "pub fn {}_oracle<D: DualNum<Primitive = f64> + Copy + o::Parts>({}) -> D {{",
        f.name,
        params.join(", ")
    )
    .unwrap();
    for s in &f.stmts {
        writeln!(out, "    {}", oracle_stmt(s)).unwrap();
    }
    writeln!(out, "    {}\n}}\n", oracle(&f.tail)).unwrap();
}

/// A statement in the oracle's form.
fn oracle_stmt(s: &Stmt) -> String {
    match s {
        Stmt::Let {
            name, mutable, e, ..
        } => format!(
            "let {}{name} = {};",
            if *mutable { "mut " } else { "" },
            oracle(e)
        ),
        Stmt::Assign { name, op, e } => format!("{name} {op} {};", oracle(e)),
        Stmt::SinCos { s, c, arg, .. } => {
            format!("let ({s}, {c}) = DualNum::sin_cos(&{});", oracle(arg))
        }
        Stmt::LetInt { .. } | Stmt::IntArray { .. } => int_stmt(s, true),
    }
}

/// A statement in the `#[grad]` form.
fn rust_stmt(s: &Stmt) -> String {
    match s {
        Stmt::Let {
            name, mutable, e, ..
        } => format!(
            "let {}{name} = {};",
            if *mutable { "mut " } else { "" },
            rust(e)
        ),
        Stmt::Assign { name, op, e } => format!("{name} {op} {};", rust(e)),
        Stmt::SinCos { s, c, arg, path } => {
            if *path {
                format!(
                    "let ({s}, {c}) = {}::sin_cos({});",
                    generic::float(),
                    rust(arg)
                )
            } else if prec(arg) < 4 {
                format!("let ({s}, {c}) = ({}).sin_cos();", rust(arg))
            } else {
                format!("let ({s}, {c}) = {}.sin_cos();", rust(arg))
            }
        }
        Stmt::LetInt { .. } | Stmt::IntArray { .. } => int_stmt(s, false),
    }
}

/// The `#[grad]` function's source text.
fn source(f: &Function, attr: bool) -> String {
    let mut out = String::new();
    if attr {
        let args: Vec<&str> = [(f.forward, "forward"), (f.second, "hessian")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, arg)| *arg)
            .collect();
        if args.is_empty() {
            out.push_str("#[grad]\n");
        } else {
            writeln!(out, "#[grad({})]", args.join(", ")).unwrap();
        }
    }
    let params: Vec<String> = (0..f.params).map(|p| format!("x{p}: f64")).collect();
    writeln!(out, "pub fn {}({}) -> f64 {{", f.name, params.join(", ")).unwrap();
    for s in &f.stmts {
        writeln!(out, "    {}", rust_stmt(s)).unwrap();
    }
    writeln!(out, "    {}\n}}", rust(&f.tail)).unwrap();
    out
}

/// A statement of integers, in the `#[grad]` form or the oracle's (`o`).
fn int_stmt(s: &Stmt, o: bool) -> String {
    match s {
        Stmt::LetInt { name, i, ty } => {
            let ty = ty.map(|t| format!(": {}", t.name())).unwrap_or_default();
            format!("let {name}{ty} = {};", constructs::int_text(i, o))
        }
        Stmt::IntArray {
            name,
            values,
            slice,
        } => {
            let vs: Vec<String> = values.iter().map(i64::to_string).collect();
            if *slice {
                format!("let {name}: &[i32] = &[{}];", vs.join(", "))
            } else {
                format!("let {name}: [i32; {}] = [{}];", values.len(), vs.join(", "))
            }
        }
        _ => unreachable!("not a statement of integers"),
    }
}

fn emit_case(out: &mut String, f: &Function, module: &str) {
    let src = source(f, true);
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
    let name = &f.name;
    let p = f.params;
    let second = if f.second {
        format!(
            "Some(Second::P{p}({module}::{name}_hvp, {module}::{name}_hessian, {module}::{name}_oracle::<HyperDual64>))"
        )
    } else {
        "None".to_string()
    };
    let jvp = if f.forward {
        format!("Some(Jvp::P{p}({module}::{name}_jvp))")
    } else {
        "None".to_string()
    };
    writeln!(
        out,
        "    Case {{ name: \"{name}\", source: r#\"{src}\"#, points: {}, dirs: {}, fns: Fns::P{p}({module}::{name}, {module}::{name}_grad, {module}::{name}_oracle::<Dual64>), jvp: {jvp}, second: {second} }},",
        table(&f.points),
        table(&f.dirs),
    )
    .unwrap();
}

// ---------------------------------------------------------------------------
// Coverage
// ---------------------------------------------------------------------------

/// What the generator produced, for `meta.rs`.
#[derive(Default)]
struct Stats {
    /// Op uses in method form (`x.exp()`).
    method: Coverage,
    /// Op uses in path form (`f64::exp(x)`).
    path: Coverage,
    /// Syntax and statement kinds.
    syntax: Coverage,
    params: [usize; 4],
    stmts: BTreeMap<usize, usize>,
    /// Functions with `hessian` in their attribute.
    second: usize,
}

impl Stats {
    fn add(&mut self, f: &Function) {
        self.params[f.params - 1] += 1;
        self.second += usize::from(f.second);
        *self.stmts.entry(f.stmts.len()).or_default() += 1;
        for s in &f.stmts {
            match s {
                Stmt::Let { e, kind, .. } => {
                    self.syntax.add(kind, 1);
                    self.expr(e);
                }
                Stmt::Assign { op, e, .. } => {
                    let kind = match *op {
                        "=" => "assign",
                        "+=" => "add_assign",
                        "-=" => "sub_assign",
                        "*=" => "mul_assign",
                        _ => "div_assign",
                    };
                    self.syntax.add(kind, 1);
                    self.expr(e);
                }
                Stmt::SinCos { arg, path, .. } => {
                    self.syntax.add("sin_cos_let", 1);
                    self.op(Op::SinCos, *path);
                    self.expr(arg);
                }
                Stmt::LetInt { i, .. } => {
                    self.syntax.add("let_int", 1);
                    self.int(i);
                }
                Stmt::IntArray { slice, .. } => {
                    self.syntax
                        .add(if *slice { "int_slice" } else { "int_array" }, 1);
                }
            }
        }
        self.expr(&f.tail);
    }

    fn op(&mut self, op: Op, path: bool) {
        let forms = if path {
            &mut self.path
        } else {
            &mut self.method
        };
        forms.add(op.name(), 1);
    }

    fn expr(&mut self, e: &E) {
        match e {
            E::Var(_) => {}
            E::Lit(_) => self.syntax.add("literal", 1),
            E::Const(c) => self.syntax.add(c, 1),
            E::Neg(a) => {
                self.syntax.add("neg", 1);
                self.expr(a);
            }
            E::Paren(a) => {
                self.syntax.add("paren", 1);
                self.expr(a);
            }
            E::Bin(op, a, b) => {
                let k = match op {
                    '+' => "add",
                    '-' => "sub",
                    '*' => "mul",
                    _ => "div",
                };
                self.syntax.add(k, 1);
                self.expr(a);
                self.expr(b);
            }
            E::Call { op, path, args, .. } => {
                self.op(*op, *path);
                for a in args {
                    self.expr(a);
                }
            }
            E::AsF64(i, from) => {
                self.syntax
                    .add(if *from { "f64_from" } else { "as_f64" }, 1);
                self.int(i);
            }
            E::Match(scrutinee, arms) => {
                match &**scrutinee {
                    Scrut::Int(i) => {
                        self.syntax.add("match_int", 1);
                        self.int(i);
                    }
                    Scrut::Cmp(_, a, b) => {
                        self.syntax.add("match_bool", 1);
                        self.expr(a);
                        self.expr(b);
                    }
                }
                for (pat, e) in arms {
                    for (kind, there) in [
                        ("match_or", pat.contains('|')),
                        ("match_range", pat.contains("..=")),
                        (
                            "match_negative",
                            pat.starts_with('-') || pat.contains("..=-"),
                        ),
                        ("match_binding", pat.contains('@')),
                        ("match_guard", pat.contains(" if ")),
                    ] {
                        if there {
                            self.syntax.add(kind, 1);
                        }
                    }
                    self.expr(e);
                }
            }
        }
    }

    fn int(&mut self, i: &I) {
        match i {
            I::Cast(e, ty) => {
                let kind = match ty {
                    IntTy::I32 => "cast_i32",
                    IntTy::I64 => "cast_i64",
                    IntTy::Usize => "cast_usize",
                };
                self.syntax.add(kind, 1);
                let abs = |e: &E| matches!(e, E::Call { op: Op::Abs, .. });
                if *ty == IntTy::Usize && (abs(e) || matches!(&**e, E::Bin('*', a, _) if abs(a))) {
                    self.syntax.add("cast_usize_abs", 1);
                }
                self.expr(e);
            }
            I::Lit(_) | I::Var(_) => {}
            I::Bin(op, a, b) => {
                let kind = match op {
                    '+' => "int_add",
                    '-' => "int_sub",
                    '*' => "int_mul",
                    '/' => "int_div",
                    _ => "int_rem",
                };
                self.syntax.add(kind, 1);
                self.int(a);
                self.int(b);
            }
            I::Index(_, k) => {
                self.syntax.add("int_index", 1);
                self.int(k);
            }
        }
    }

    fn emit(&self, out: &mut String, ops: &[Op], exclude: &BTreeSet<String>) {
        writeln!(
            out,
            "/// (op, method-form uses, path-form uses), all ops of the set.\npub static OP_COVERAGE: &[(&str, usize, usize)] = &["
        )
        .unwrap();
        for name in ops.iter().map(|op| op.name()) {
            if exclude.contains(name) {
                continue;
            }
            let (m, p) = (self.method.get(name), self.path.get(name));
            writeln!(out, "    (\"{name}\", {m}, {p}),").unwrap();
        }
        writeln!(out, "];").unwrap();
        self.syntax.write_table(
            out,
            "(syntax or statement kind, uses).",
            "SYNTAX_COVERAGE",
            STMT_KINDS
                .iter()
                .copied()
                .filter(|k| !kind_excluded(k, exclude)),
        );
        writeln!(
            out,
            "/// Functions with 1, 2, 3, 4 parameters.\npub static PARAM_COUNTS: [usize; 4] = {:?};",
            self.params
        )
        .unwrap();
        let stmts: Vec<String> = self
            .stmts
            .iter()
            .map(|(k, v)| format!("({k}, {v})"))
            .collect();
        writeln!(
            out,
            "/// (statements in the body, functions).\npub static BODY_SIZES: &[(usize, usize)] = &[{}];",
            stmts.join(", ")
        )
        .unwrap();
        writeln!(
            out,
            "/// Functions with `hessian` in their attribute: all of them, unless `hessian` is excluded.\npub const SECOND_ORDER: usize = {};",
            self.second
        )
        .unwrap();
    }
}
