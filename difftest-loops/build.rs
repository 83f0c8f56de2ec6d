//! Generator of the control-flow differential test (see `README.md`).
//!
//! Writes into `$OUT_DIR`, for the test binaries `tests/loops_<s>.rs`:
//!
//! * `part_<s>_<k>.rs`: the generated functions, each twice from one tree:
//!   `#[grad] pub fn gen_<i>(x: &[f64], w: [f64; 3], a: f64, ..) -> f64`
//!   (the code under test) and `pub fn gen_<i>_oracle<D: DualNum<Primitive =
//!   f64> + Copy + o::Parts>(x: &[D], w: [D; 3], a: D, ..) -> D` (the same
//!   control flow over num-dual's dual numbers, comparisons on `.re()`, every
//!   float operation through the hand-written helpers `o::*` of
//!   `autodiff_difftest_loops::oracle`), plus small wrappers that call both
//!   with the values of a [`Point`];
//! * `shard_<s>.rs`: the modules of shard `s` and its table `CASES`;
//! * `meta.rs`: `N`, `SEED`, construct coverage.
//!
//! Everything is derived from one seed with `fastrand`; function `i` uses its
//! own stream, so raising `N` keeps the first functions unchanged.
//!
//! Environment: `AUTODIFF_DIFFTEST_LOOPS_N` (default 500),
//! `AUTODIFF_DIFFTEST_LOOPS_SEED` (decimal or `0x` hex),
//! `AUTODIFF_DIFFTEST_LOOPS_FIRST` (index of the first function, to reproduce
//! one function alone), `AUTODIFF_DIFFTEST_LOOPS_EXCLUDE` (constructs to
//! leave out; unset: `DEFAULT_EXCLUDE`), `AUTODIFF_DIFFTEST_LOOPS_NO_MACRO=1`
//! (omit `#[grad]`: checks the generator and the oracle alone).
//!
//! Reading the environment, writing the shards and `meta.rs`, and counting
//! coverage are `autodiff_difftest_harness`'s, shared with `difftest`; every
//! method this generator calls is in its `METHODS`.

// The constructs of issue 11 (`continue`, labeled exits, `match`, local
// arrays in loops, integer arrays, casts), drawn from a second random
// stream so that the first one, and with it the older constructs, stays
// as it was.
#[path = "build/constructs.rs"]
mod constructs;
// The everyday forms of issue 15 (`const`/`static` tables, closures bound
// to a name, `product`/`fold`/`max_by`/`min_by`/`reduce`, `loop` as a
// value), drawn from a third random stream.
#[path = "build/everyday.rs"]
mod everyday;
// Functions with several outputs (`vgen_<i>`, `f_jacobian`, `f_vjp`,
// `f_jvp`), built on `gen_<i>`'s body, from a fourth random stream.
#[path = "build/vector.rs"]
mod vector;
// Struct parameters (issue 12): `p: &S<i>`, `p: S<i>`, `wrt(..)`,
// methods under `wrt(self)`, from a fifth random stream.
#[path = "build/structs.rs"]
mod structs;
// A log-sum-exp block, whose max the macro leaves out of the sweep when
// the value does not depend on it, from a sixth random stream.
#[path = "build/shift.rs"]
mod shift;

use autodiff_difftest_harness::ops::METHODS;
use autodiff_difftest_harness::{Config, Coverage};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

const CONFIG: Config = Config {
    name: "difftest-loops",
    env_prefix: "AUTODIFF_DIFFTEST_LOOPS",
    // The quick test command; `AUTODIFF_HEAVY=1` (CI) runs `heavy_n`.
    default_n: 40,
    heavy_n: 500,
    default_seed: 0x100D_D1FF_7E57_0001,
    default_exclude: DEFAULT_EXCLUDE,
    // Test binaries `tests/loops_<s>.rs`, compiled in parallel.
    shards: 4,
    // Functions per generated module file.
    part_size: 200,
};
/// Random points per function.
const POINTS: usize = 5;
/// Inputs are drawn uniformly from `[-X_MAX, X_MAX]`.
const X_MAX: f64 = 2.0;
/// Slices have a random length in `MIN_LEN..=MAX_LEN` at each point.
const MIN_LEN: usize = 2;
const MAX_LEN: usize = 6;
/// An expression whose bound exceeds this is squashed (`tanh`, `sin`).
const CAP: f64 = 16.0;
/// Iteration limit of generated `while` loops (their counter's bound).
const WHILE_LIMIT: usize = 20;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/constructs.rs");
    println!("cargo:rerun-if-changed=build/everyday.rs");
    println!("cargo:rerun-if-changed=build/vector.rs");
    println!("cargo:rerun-if-changed=build/structs.rs");
    let excludable: Vec<&str> = EXCLUDABLE.iter().chain(CHECK_KINDS).copied().collect();
    let settings = CONFIG.read_env(&excludable);
    let out_dir = std::env::var("OUT_DIR").expect("OUT_DIR");
    let out = Path::new(&out_dir);
    let mut stats = Stats::default();
    // Each shard's `VCASES` (the vector-valued functions), by shard.
    let mut vtables = vec![String::new(); CONFIG.shards];
    let mut vstats = vector::Stats::default();
    settings.write_shards(out, |i, module, code, table| {
        let (func, mut g) = generate(settings.seed, i, &settings.exclude);
        stats.add(&func);
        emit_function(code, &func, settings.no_macro);
        emit_case(table, &func, module, settings.no_macro);
        if let Some(vf) = vector::generate(
            settings.seed,
            i,
            &func,
            &mut g,
            &settings.exclude,
            &mut vstats,
        ) {
            vstats.add(&func, &vf);
            vector::emit_function(code, &func, &vf, settings.no_macro);
            // `module` is `part_<shard>_<k>`.
            let shard: usize = module.split('_').nth(1).unwrap().parse().unwrap();
            vector::emit_case(&mut vtables[shard], &func, &vf, module, settings.no_macro);
        }
    });
    for (shard, table) in vtables.iter().enumerate() {
        std::fs::write(
            out.join(format!("vcases_{shard}.rs")),
            format!("pub static VCASES: &[VCase] = &[\n{table}];\n"),
        )
        .unwrap();
    }
    let mut meta = settings.meta();
    stats.emit(&mut meta, &settings.exclude);
    vstats.emit(&mut meta);
    std::fs::write(out.join("meta.rs"), meta).unwrap();
}

/// Left out unless `AUTODIFF_DIFFTEST_LOOPS_EXCLUDE` says otherwise: the
/// constructs of known, not yet fixed macro bugs, so that the default run
/// stays green (see `README.md`).
///
/// `struct_value_arrays` and `struct_value_const`: a struct parameter by
/// value does not compile when the body reads an array or `Vec` field of
/// it, or when `wrt(..)` leaves it out (README, "Bugs found"); by value,
/// structs get scalar, nested and integer fields only, and the constant
/// struct `q` is a reference.
///
/// Empty: both were fixed (the macro no longer binds the struct itself to a
/// value, which moved it).
const DEFAULT_EXCLUDE: &[&str] = &[];

/// What `AUTODIFF_DIFFTEST_LOOPS_EXCLUDE` can leave out (to bisect a
/// failure): statement kinds, condition kinds, expression kinds.
const EXCLUDABLE: &[&str] = &[
    "let",
    "accumulator",
    "shadow",
    "assign",
    "element_assign",
    "if",
    "for",
    "nested_loop",
    "while",
    "loop_break",
    "if_value",
    "block_expr",
    "break",
    "return",
    "flag",
    "local_array",
    "cond_and",
    "cond_and_in_loop",
    "cond_or",
    "cond_not",
    "cond_int",
    "add",
    "mul",
    "div",
    "neg",
    "tanh",
    "sin_cos",
    "exp",
    "ln_sqrt",
    "abs",
    "max_min",
    "log_sum_exp",
    "powi",
    "sum",
    "continue",
    "labeled_exit",
    "match",
    "match_value",
    "local_array_in_loop",
    "labels",
    "cast",
    "int_const",
    // everyday::EXCLUDABLE
    "tables",
    "closures",
    "reductions",
    "loop_value",
    // build/structs.rs: all struct functions, methods, by-value structs,
    // and the two by-value forms that do not compile (`DEFAULT_EXCLUDE`)
    "structs",
    "struct_method",
    "struct_value",
    "struct_value_arrays",
    "struct_value_const",
];

/// The checks beyond the gradient, for `AUTODIFF_DIFFTEST_LOOPS_EXCLUDE`:
/// `forward` (`#[grad(forward)]`, `f_jvp`) and `hessian`
/// (`#[grad(hessian)]`, `f_hvp` and `f_hessian`). Excluding them changes
/// only the attribute and the checks, never the functions, their points or
/// their directions.
///
/// `vector` leaves out the vector-valued companions `vgen_<i>` (drawn from
/// a stream of their own: excluding them changes nothing else).
const CHECK_KINDS: &[&str] = &["forward", "hessian", "fixed_len", "vector"];

/// Constructs (coverage names, as counted in `Function::cov`) that
/// `#[grad(hessian)]` refuses, with the reason: a function using one gets
/// `#[grad(forward)]` only (its gradient and `f_jvp` are still checked).
/// Shrink this list as the macro lifts its refusals. Empty: at the time of
/// writing the macro refuses `powf` and calls between `#[grad]` functions
/// under `hessian`, and this generator emits neither (closures are not
/// calls between functions).
const NOT_HESSIAN: &[(&str, &str)] = &[];

/// Percentage of functions whose slices and `Vec`s are given a fixed length
/// (`&[f64; L]`, `[f64; L]`), so that `f_hessian` (fixed sizes only) is
/// generated and checked; `fixed_len` in `AUTODIFF_DIFFTEST_LOOPS_EXCLUDE`
/// turns it off (the function bodies stay the same, the points of those
/// functions change).
const FIXED_PERCENT: u32 = 30;

/// Constructs for which the macro's `f_hessian` (generated under `hessian`
/// for fixed sizes only) is wrong or does not compile, with the bug: a
/// function using one keeps its slices (no fixed length, so no
/// `f_hessian`); its `f_hvp` and `f_jvp` are still checked. Empty: the one
/// found (`f_hessian` moved a `labels: Vec<usize>` parameter into each of
/// its evaluations, error[E0382]) is fixed (it clones such parameters).
const NOT_F_HESSIAN: &[(&str, &str)] = &[];

/// Constructs that `#[grad(forward)]` refuses (or gets wrong, a known bug
/// named in the reason): a function using one gets `#[grad]` only. Empty.
const NOT_FORWARD: &[(&str, &str)] = &[];

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

// ---------------------------------------------------------------------------
// The generated language
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum PKind {
    /// `&[f64]`
    Slice,
    /// `Vec<f64>`
    VecP,
    /// `[f64; K]`
    Array(usize),
    /// `f64`
    Scalar,
    /// `usize`, a constant `1 <= n <= len`
    Usize,
    /// `bool`, a constant
    Bool,
    /// `&[usize]` (or `Vec<usize>` when `true`): class labels, one per
    /// element of the slices, each below their length
    Labels(bool),
    /// A struct parameter (`build/structs.rs`): root `k` of
    /// `Function::strukt` (`p`, `q` or `self`).
    Struct(usize),
}

#[derive(Clone, Debug)]
struct Param {
    name: String,
    kind: PKind,
}

/// A float expression.
#[derive(Clone, Debug)]
enum E {
    Lit(f64),
    Var(String),
    /// `*v` of a `&f64` variable.
    Deref(String),
    /// A `&f64` variable used as it is (`v * e`, `v.tanh()`); the oracle
    /// writes `(*v)`.
    Bare(String),
    /// `x[idx]`; the index is integer code, the same in both forms.
    Index(String, String),
    Neg(Box<E>),
    Bin(char, Box<E>, Box<E>),
    /// `recv.method(args..)`: exp ln sqrt tanh sin cos abs max min.
    Call(&'static str, Vec<E>),
    Powi(Box<E>, i32),
    /// `(i as f64)`
    AsF64(String),
    /// `x.iter().sum::<f64>()`
    Sum(String),
    /// `x.iter().map(|v| e).sum::<f64>()`
    SumMap(String, String, Box<E>),
    /// `x.iter().zip(y.iter()).map(|(p, q)| e).sum::<f64>()`
    SumZip([String; 4], Box<E>),
    /// `((e * 2.0) as i32 % m) as f64`: a float cast to an integer.
    CastInt(Box<E>, i32),
    /// `x[((e).abs() * 2.0) as usize % len]`: an index cast from a float.
    IndexCast(String, Box<E>, String),
    /// A table read, a closure call or a reduction (`build/everyday.rs`).
    Every(everyday::X),
}

/// A condition.
#[derive(Clone, Debug)]
enum C {
    Cmp(&'static str, E, E),
    And(Box<C>, Box<C>),
    Or(Box<C>, Box<C>),
    Not(Box<C>),
    /// Integer or bool code, the same in both forms.
    Raw(String),
}

/// `{ stmts; tail }`
#[derive(Clone, Debug)]
struct Block {
    stmts: Vec<S>,
    tail: E,
}

#[derive(Clone, Debug)]
enum S {
    Let {
        name: String,
        id: usize,
        annot: bool,
        e: E,
    },
    LetIf {
        name: String,
        id: usize,
        arms: Vec<(C, Block)>,
        els: Block,
    },
    LetBlock {
        name: String,
        id: usize,
        block: Block,
    },
    /// `let mut s = [0.0; K];` (`init` empty) or `let s = [a, b, ..];`
    LetArr {
        name: String,
        id: usize,
        k: usize,
        init: Vec<E>,
    },
    /// `target op e;`, target a scalar local or an element `s[idx]`.
    Assign {
        target: String,
        op: &'static str,
        e: E,
    },
    /// Integer code or `break;`, the same in both forms.
    Raw(String),
    If {
        arms: Vec<(C, Vec<S>)>,
        els: Option<Vec<S>>,
    },
    For {
        /// `'l0` when a labeled `break` or `continue` names the loop.
        label: Option<String>,
        header: String,
        body: Vec<S>,
    },
    While {
        cond: C,
        body: Vec<S>,
    },
    Loop {
        body: Vec<S>,
    },
    Return(E),
    /// `let [mut] f = cond;` (a local `bool`)
    LetFlag {
        name: String,
        id: usize,
        init: C,
    },
    /// `f = cond;`
    SetFlag {
        name: String,
        value: C,
    },
    /// `match scrutinee { pattern [if guard] => { .. }, .. }`
    Match {
        scrutinee: String,
        arms: Vec<(String, Option<C>, Vec<S>)>,
    },
    /// `let y = match scrutinee { pattern [if guard] => value, .. };`
    LetMatch {
        name: String,
        id: usize,
        scrutinee: String,
        arms: Vec<(String, Option<C>, constructs::Arm)>,
    },
    /// A closure, a `loop` as a value, a loop over a table (`build/everyday.rs`).
    Every(everyday::St),
}

struct Function {
    name: String,
    params: Vec<Param>,
    /// Which `let`s are assigned later (printed `let mut`).
    assigned: BTreeSet<usize>,
    stmts: Vec<S>,
    tail: E,
    points: Vec<Point>,
    cov: Coverage,
    /// Module-level items it uses (tables), printed before it.
    items: String,
    /// Marked `forward`: gets `f_jvp` (unless `forward` is excluded or it
    /// uses a construct of [`NOT_FORWARD`]).
    forward: bool,
    /// Marked `hessian`: gets `f_hvp` and, when it has no slice or `Vec`
    /// parameter, `f_hessian` (unless `hessian` is excluded or it uses a
    /// construct of [`NOT_HESSIAN`] or [`NOT_FORWARD`]).
    second: bool,
    /// Fixed length `L` of its slices (`FIXED_PERCENT` of the functions):
    /// the `#[grad]` form takes `&[f64; L]` for a slice and `[f64; L]` for
    /// a `Vec` (the body reads them alike), all points have that length, and
    /// with no slice or `Vec` left it gets `f_hessian`.
    fixed: Option<usize>,
    /// Its struct parameter(s), if any (`build/structs.rs`).
    strukt: Option<structs::Strukt>,
}

struct Point {
    /// One list per float parameter (a scalar is a list of one).
    floats: Vec<Vec<f64>>,
    /// One random direction for `f_jvp` and `f_hvp`, shaped as `floats`,
    /// each coordinate in `[-1, 1]`.
    dirs: Vec<Vec<f64>>,
    ints: Vec<usize>,
    bools: Vec<bool>,
    /// One list per labels parameter.
    labels: Vec<Vec<usize>>,
}

// ---------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------

/// What a loop index ranges over: `0..len` of the slices, or `0..K`.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Lim {
    Len,
    Const(usize),
}

#[derive(Clone, Debug, PartialEq)]
enum VK {
    /// A float value; `assignable` for locals (not parameters or loop values).
    Scalar {
        assignable: bool,
    },
    /// A `&f64` (loop or closure variable).
    Ref,
    /// A slice or `Vec` parameter.
    Slice,
    /// A fixed array, parameter or local (locals are written).
    Array {
        k: usize,
        local: bool,
    },
    /// A loop index.
    Index(Lim),
    /// The integer counter of a `while` or `loop`.
    Counter,
    /// The `usize` parameter.
    Usize,
    Bool,
    /// A local `bool` (`let mut found = false;`), written by statements.
    Flag,
    /// A labels parameter (`&[usize]` or `Vec<usize>`).
    Labels,
    /// A constant integer array `let c: [usize; k] = [..];`.
    IntConst(usize),
    /// A closure bound to a name, of this many float arguments; the
    /// variable's bound is its value's.
    Closure(usize),
    /// An element of a module-level integer table, below this limit: an
    /// index only (`#[grad]` cannot tell its type, `j as f64` fails).
    TableItem(usize),
    /// A `[[f64; cols]; rows]` field of a struct parameter.
    /// `row_locals`: its rows may be bound to locals (not in a struct
    /// that `wrt` leaves out, README "Bugs found").
    Array2 {
        rows: usize,
        cols: usize,
        row_locals: bool,
    },
    /// A row `&[f64; K]` of such a field (`for row in p.m.iter()`,
    /// `let r = &p.m[i];`): read by index only.
    RowRef(usize),
}

#[derive(Clone, Debug)]
struct Var {
    name: String,
    id: usize,
    kind: VK,
    /// Bound on |value| (of every element, for an array).
    bound: f64,
    /// Number of loops around its declaration.
    level: usize,
    /// Read by an expression since its declaration.
    used: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum LoopKind {
    For,
    While,
    Loop,
    /// A `loop` used as a value: a `break` in it needs a value.
    Value,
}

struct Gen {
    rng: fastrand::Rng,
    vars: Vec<Var>,
    scopes: Vec<usize>,
    /// Enclosing loops: kind and maximal trip count.
    loops: Vec<(LoopKind, usize)>,
    next_id: usize,
    assigned: BTreeSet<usize>,
    cov: Coverage,
    /// Block nesting.
    depth: usize,
    in_closure: bool,
    has_loop: bool,
    /// Parameters have the ids `0..n_params`.
    n_params: usize,
    vec_params: BTreeSet<String>,
    /// Constructs left out (`AUTODIFF_DIFFTEST_LOOPS_EXCLUDE`).
    exclude: BTreeSet<String>,
    /// The second random stream (see `constructs.rs`).
    rng2: fastrand::Rng,
    /// `for` loops by nesting level: whether a labeled exit names them.
    label_used: Vec<Option<bool>>,
    /// How deep in `with_rng2` the generator is (0: the first stream).
    rng2_depth: usize,
    /// The constructs of issue 15 and their random stream (`everyday.rs`).
    every: everyday::State,
    /// The random stream of the log-sum-exp block (`shift.rs`).
    shift_rng: fastrand::Rng,
}

/// Function `index`, and the generator as it ends (its scope is the
/// function body's at the tail: `build/vector.rs` draws further outputs
/// from it, with streams of its own).
fn generate(seed: u64, index: usize, exclude: &BTreeSet<String>) -> (Function, Gen) {
    let rng = fastrand::Rng::with_seed(splitmix(seed ^ splitmix(index as u64)));
    let mut g = Gen {
        rng,
        vars: Vec::new(),
        scopes: Vec::new(),
        loops: Vec::new(),
        next_id: 0,
        assigned: BTreeSet::new(),
        cov: Coverage::default(),
        depth: 0,
        in_closure: false,
        has_loop: false,
        n_params: 0,
        vec_params: BTreeSet::new(),
        exclude: exclude.clone(),
        rng2: fastrand::Rng::with_seed(splitmix(
            seed ^ splitmix(index as u64) ^ 0x15_5E_11_C0_5E_C0_0D_01,
        )),
        label_used: Vec::new(),
        rng2_depth: 0,
        every: everyday::State::new(splitmix(
            seed ^ splitmix(index as u64) ^ 0x15_E7_E2_7D_A7_15_00_03,
        )),
        shift_rng: fastrand::Rng::with_seed(splitmix(
            seed ^ splitmix(index as u64) ^ 0x10_65_00_E7_50_F7_0A_06,
        )),
    };
    let mut params = g.params();
    let strukt = g.plan_struct(seed, index, &mut params);
    g.n_params = params.len();
    for p in &params {
        if p.kind == PKind::VecP {
            g.vec_params.insert(p.name.clone());
        }
    }
    for p in &params {
        let (kind, bound) = match p.kind {
            PKind::Slice | PKind::VecP => (VK::Slice, X_MAX),
            PKind::Array(k) => (VK::Array { k, local: false }, X_MAX),
            PKind::Scalar => (VK::Scalar { assignable: false }, X_MAX),
            PKind::Usize => (VK::Usize, MAX_LEN as f64),
            PKind::Bool => (VK::Bool, 1.0),
            PKind::Labels(_) => (VK::Labels, MAX_LEN as f64),
            PKind::Struct(_) => continue,
        };
        g.declare(&p.name.clone(), kind, bound);
    }
    if let Some(s) = &strukt {
        g.declare_fields(s);
    }
    g.tables(index);
    let mut stmts = Vec::new();
    // Local arrays, at the top of the body.
    let arrays = match g.rng.u32(0..100) {
        0..=54 => 0,
        55..=89 => 1,
        _ => 2,
    };
    for _ in 0..arrays {
        if g.ok("local_array") {
            stmts.push(g.local_array());
        }
    }
    stmts.extend(g.int_const_array());
    let count = g.rng.usize(3..=10);
    for _ in 0..count {
        stmts.extend(g.stmt());
    }
    if !g.has_loop {
        stmts.push(g.for_loop());
    }
    let tail = g.tail();
    // Half the struct functions also cast each integer field in the tail;
    // the others rely on `#[grad]` telling integer fields from their uses
    // beside integer literals and in index arithmetic (`p.k > 2`,
    // `x[p.k - 1]`).
    let tail = if strukt.is_some() && index % 2 == 1 {
        g.int_fields_in_tail(tail)
    } else {
        tail
    };
    everyday::guard_passive_lets(&mut stmts, &g.assigned, &mut g.every.passive);
    // Fixed lengths and the directions come from a fourth stream: the
    // functions, and the points of those without fixed lengths, are the
    // ones this seed gave before forward mode was tested.
    let mut dirs = dirs_stream(seed, index);
    let no_f_hessian = NOT_F_HESSIAN.iter().any(|(k, _)| g.cov.get(k) > 0);
    // (A struct function has no `f_hessian`: no fixed lengths.)
    let fixed = (dirs.u32(0..100) < FIXED_PERCENT
        && !exclude.contains("fixed_len")
        && !no_f_hessian
        && strukt.is_none())
    .then(|| dirs.usize(MIN_LEN..=MAX_LEN));
    let mut points: Vec<Point> = match fixed {
        None => (0..POINTS)
            .map(|_| g.point(&params, strukt.as_ref()))
            .collect(),
        Some(len) => {
            g.count("fixed_len");
            g.rng = fastrand::Rng::with_seed(dirs.u64(..));
            g.rng2 = fastrand::Rng::with_seed(dirs.u64(..));
            (0..POINTS)
                .map(|_| g.point_len(&params, len, strukt.as_ref()))
                .collect()
        }
    };
    for p in &mut points {
        p.dirs = p
            .floats
            .iter()
            .map(|xs| xs.iter().map(|_| dirs.f64() * 2.0 - 1.0).collect())
            .collect();
    }
    g.count("functions");
    let uses = |list: &[(&str, &str)]| list.iter().any(|(k, _)| g.cov.get(k) > 0);
    // `#[grad]` takes no struct parameter under `forward` or `hessian`.
    let forward = !exclude.contains("forward") && !uses(NOT_FORWARD) && strukt.is_none();
    let second = !exclude.contains("hessian")
        && !uses(NOT_FORWARD)
        && !uses(NOT_HESSIAN)
        && strukt.is_none();
    let mut items = std::mem::take(&mut g.every.items);
    if let Some(s) = &strukt {
        items = structs::defs_text(s, false) + &items;
    }
    let f = Function {
        name: format!("gen_{index}"),
        params,
        assigned: std::mem::take(&mut g.assigned),
        stmts,
        tail,
        points,
        cov: std::mem::take(&mut g.cov),
        items,
        forward,
        second,
        fixed,
        strukt,
    };
    (f, g)
}

/// The fourth random stream of function `index`: its fixed length (first
/// draw) and its directions.
fn dirs_stream(seed: u64, index: usize) -> fastrand::Rng {
    fastrand::Rng::with_seed(splitmix(
        seed ^ splitmix(index as u64) ^ 0x13_F0_5A_2D_D1_5E_00_04,
    ))
}

/// Whether function `index` draws a fixed length (unless `fixed_len` is
/// excluded or it is a struct function).
fn fixed_drawn(seed: u64, index: usize) -> bool {
    dirs_stream(seed, index).u32(0..100) < FIXED_PERCENT
}

impl Gen {
    fn count(&mut self, what: &str) {
        self.cov.add(what, 1);
    }

    /// `what` is not excluded.
    fn ok(&self, what: &str) -> bool {
        !self.exclude.contains(what)
    }

    /// `weight`, or 0 if `what` is excluded.
    fn w(&self, what: &str, weight: u32) -> u32 {
        if self.ok(what) { weight } else { 0 }
    }

    fn chance(&mut self, percent: u32) -> bool {
        self.rng.u32(0..100) < percent
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.rng.usize(0..items.len())].clone()
    }

    /// Index into `weights` chosen with those weights (all zero: `None`).
    fn weighted(&mut self, weights: &[u32]) -> Option<usize> {
        let total: u32 = weights.iter().sum();
        if total == 0 {
            return None;
        }
        let mut r = self.rng.u32(0..total);
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                return Some(i);
            }
            r -= w;
        }
        unreachable!()
    }

    fn params(&mut self) -> Vec<Param> {
        let mut params = Vec::new();
        let slices = if self.chance(55) { 1 } else { 2 };
        for name in ["x", "y"].iter().take(slices) {
            let kind = if self.chance(15) {
                self.count("param_vec");
                PKind::VecP
            } else {
                self.count("param_slice");
                PKind::Slice
            };
            params.push(Param {
                name: (*name).to_string(),
                kind,
            });
        }
        if slices == 2 {
            self.count("two_slices");
        }
        if self.chance(55) {
            self.count("param_array");
            let k = self.rng.usize(2..=5);
            params.push(Param {
                name: "w".into(),
                kind: PKind::Array(k),
            });
        }
        let scalars = self.rng.usize(1..=3);
        for name in ["a", "b", "c"].iter().take(scalars) {
            self.count("param_scalar");
            params.push(Param {
                name: (*name).to_string(),
                kind: PKind::Scalar,
            });
        }
        if self.chance(30) {
            self.count("param_usize");
            params.push(Param {
                name: "n".into(),
                kind: PKind::Usize,
            });
        }
        if self.chance(20) {
            self.count("param_bool");
            params.push(Param {
                name: "flag".into(),
                kind: PKind::Bool,
            });
        }
        // Declaration order varies (the slots follow it).
        self.rng.shuffle(&mut params);
        self.labels_param(&mut params);
        params
    }

    fn point(&mut self, params: &[Param], s: Option<&structs::Strukt>) -> Point {
        let len = self.rng.usize(MIN_LEN..=MAX_LEN);
        self.point_len(params, len, s)
    }

    /// A point whose slices have length `len`.
    fn point_len(&mut self, params: &[Param], len: usize, s: Option<&structs::Strukt>) -> Point {
        let mut p = Point {
            floats: Vec::new(),
            dirs: Vec::new(),
            ints: Vec::new(),
            bools: Vec::new(),
            labels: Vec::new(),
        };
        for param in params {
            let k = match param.kind {
                PKind::Slice | PKind::VecP => len,
                PKind::Array(k) => k,
                PKind::Scalar => 1,
                PKind::Usize => {
                    p.ints.push(self.rng.usize(1..=len));
                    continue;
                }
                PKind::Bool => {
                    p.bools.push(self.rng.bool());
                    continue;
                }
                PKind::Labels(_) => {
                    let ls = (0..len).map(|_| self.rng2.usize(0..len)).collect();
                    p.labels.push(ls);
                    continue;
                }
                PKind::Struct(_) => {
                    let s = s.expect("a struct parameter without its struct");
                    let (floats, ints) = s.slots(len);
                    for _ in 0..ints {
                        p.ints.push(self.rng.usize(1..=len));
                    }
                    floats
                }
            };
            let xs = (0..k)
                .map(|_| (self.rng.f64() * 2.0 - 1.0) * X_MAX)
                .collect();
            p.floats.push(xs);
        }
        p
    }

    // --- scopes -----------------------------------------------------------

    fn declare(&mut self, name: &str, kind: VK, bound: f64) -> usize {
        let id = self.next_id;
        self.next_id += 1;
        self.vars.push(Var {
            name: name.to_string(),
            id,
            kind,
            bound,
            level: self.loops.len(),
            used: false,
        });
        id
    }

    fn mark_used(&mut self, id: usize) {
        if let Some(v) = self.vars.iter_mut().rev().find(|v| v.id == id) {
            v.used = true;
        }
    }

    /// Locals of the innermost scope that nothing reads yet: their value
    /// would not reach the result.
    fn unused_here(&self) -> Vec<Var> {
        let start = self.scopes.last().copied().unwrap_or(0);
        let visible: BTreeSet<usize> = self.visible().iter().map(|v| v.id).collect();
        self.vars[start..]
            .iter()
            .filter(|v| !v.used && visible.contains(&v.id) && matches!(v.kind, VK::Scalar { .. }))
            .cloned()
            .collect()
    }

    /// Before a block ends: `outer += local;` for a local nothing reads, so
    /// that the values computed in branches and loops reach the result.
    fn sink(&mut self) -> Option<S> {
        let unused = self.unused_here();
        if unused.is_empty() || !self.chance(85) {
            return None;
        }
        let start = self.scopes.last().copied().unwrap_or(0);
        let outer: Vec<Var> = self
            .targets()
            .into_iter()
            .filter(|v| self.vars.iter().position(|x| x.id == v.id) < Some(start))
            .collect();
        if outer.is_empty() {
            return None;
        }
        let local = self.pick(&unused);
        let target = self.pick(&outer);
        self.mark_used(local.id);
        self.count("sink");
        let trips = self.trips_since(target.level);
        let (e, b) = if trips > 1.0 {
            self.squash(E::Var(local.name), f64::INFINITY, 1.0)
        } else {
            self.squash(E::Var(local.name), local.bound, CAP)
        };
        let op = if self.chance(75) { "+=" } else { "-=" };
        self.count(if op == "+=" {
            "add_assign"
        } else {
            "sub_assign"
        });
        self.assigned.insert(target.id);
        self.set_bound(target.id, target.bound + trips * b);
        Some(S::Assign {
            target: target.name,
            op,
            e,
        })
    }

    fn fresh(&mut self, base: &str) -> String {
        format!("{base}{}", self.next_id)
    }

    fn push_scope(&mut self) {
        self.scopes.push(self.vars.len());
    }

    fn pop_scope(&mut self) {
        let n = self.scopes.pop().unwrap();
        self.vars.truncate(n);
    }

    /// The variables visible here (shadowed ones left out), innermost first.
    fn visible(&self) -> Vec<Var> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for v in self.vars.iter().rev() {
            if seen.insert(v.name.clone()) {
                out.push(v.clone());
            }
        }
        out
    }

    fn of_kind(&self, f: impl Fn(&VK) -> bool) -> Vec<Var> {
        self.visible().into_iter().filter(|v| f(&v.kind)).collect()
    }

    fn bounds(&self) -> Vec<f64> {
        self.vars.iter().map(|v| v.bound).collect()
    }

    fn set_bounds(&mut self, b: &[f64]) {
        for (v, b) in self.vars.iter_mut().zip(b) {
            v.bound = *b;
        }
    }

    fn set_bound(&mut self, id: usize, bound: f64) {
        if let Some(v) = self.vars.iter_mut().rev().find(|v| v.id == id) {
            v.bound = bound;
        }
    }

    /// Product of the trip counts of the loops between a variable's
    /// declaration and here: how often a statement here can update it.
    fn trips_since(&self, level: usize) -> f64 {
        self.loops[level.min(self.loops.len())..]
            .iter()
            .map(|(_, t)| *t as f64)
            .product()
    }

    // --- expressions --------------------------------------------------------

    fn lit(&mut self) -> f64 {
        f64::from(self.rng.u32(1..=20)) / 10.0
    }

    /// A literal in `[-1.5, 1.5]`, for comparisons.
    fn cmp_lit(&mut self) -> f64 {
        f64::from(self.rng.i32(-15..=15)) / 10.0
    }

    /// An index expression for array `target` (slices: `Lim::Len`).
    fn index_for(&mut self, target: &str, lim: Lim) -> String {
        let len = match lim {
            Lim::Len => format!("{target}.len()"),
            Lim::Const(k) => {
                if self.chance(25) {
                    format!("{target}.len()")
                } else {
                    k.to_string()
                }
            }
        };
        let ints = self.of_kind(|k| matches!(k, VK::Index(_) | VK::Counter));
        if !ints.is_empty() && self.chance(80) {
            let v = self.pick(&ints);
            let fits = match (&v.kind, lim) {
                (VK::Index(Lim::Len), Lim::Len) => true,
                (VK::Index(Lim::Const(a)), Lim::Const(b)) => *a <= b,
                (VK::Index(Lim::Const(a)), Lim::Len) => *a <= MIN_LEN,
                _ => false,
            };
            let i = v.name;
            if fits {
                match self.rng.u32(0..10) {
                    0..=5 => return i,
                    6..=7 => {
                        self.count("index_reversed");
                        return match lim {
                            Lim::Const(k) => format!("{} - {i}", k - 1),
                            Lim::Len => format!("{len} - 1 - {i}"),
                        };
                    }
                    _ => {}
                }
            }
            self.count("index_modulo");
            return if self.chance(50) {
                format!("{i} % {len}")
            } else {
                format!("({i} + {}) % {len}", self.rng.usize(1..=3))
            };
        }
        match lim {
            Lim::Const(k) => self.rng.usize(0..k).to_string(),
            Lim::Len => {
                let ns = self.of_kind(|k| *k == VK::Usize);
                match self.rng.u32(0..10) {
                    0..=2 => "0".into(),
                    3..=4 => "1".into(),
                    5..=6 => format!("{len} - 1"),
                    _ if !ns.is_empty() => {
                        self.count("index_by_param");
                        // `n`, or an integer field `p.k` (struct functions).
                        let n = if ns.len() == 1 {
                            ns[0].name.clone()
                        } else {
                            self.pick(&ns).name
                        };
                        if self.chance(50) {
                            format!("{n} - 1")
                        } else {
                            format!("{n} % {len}")
                        }
                    }
                    _ => "0".into(),
                }
            }
        }
    }

    /// A variable, element, index or literal.
    fn leaf(&mut self) -> (E, f64) {
        let scalars = self.of_kind(|k| matches!(k, VK::Scalar { .. }));
        let refs = self.of_kind(|k| *k == VK::Ref);
        let slices = self.of_kind(|k| *k == VK::Slice);
        let arrays = self.of_kind(|k| matches!(k, VK::Array { .. } | VK::RowRef(_)));
        let ints = self.of_kind(|k| matches!(k, VK::Index(_) | VK::Counter | VK::Usize));
        let matrices = self.of_kind(|k| matches!(k, VK::Array2 { .. }));
        let w = [
            if scalars.is_empty() { 0 } else { 5 },
            if refs.is_empty() { 0 } else { 5 },
            if slices.is_empty() { 0 } else { 4 },
            if arrays.is_empty() { 0 } else { 3 },
            if ints.is_empty() { 0 } else { 1 },
            1,
            // (only struct functions have matrices)
            if matrices.is_empty() { 0 } else { 2 },
        ];
        match self.weighted(&w).unwrap() {
            0 => {
                // prefer a local that nothing reads yet
                let unused: Vec<Var> = scalars.iter().filter(|v| !v.used).cloned().collect();
                let v = if !unused.is_empty() && self.chance(50) {
                    self.pick(&unused)
                } else {
                    self.pick(&scalars)
                };
                self.mark_used(v.id);
                (E::Var(v.name), v.bound)
            }
            1 => {
                let v = self.pick(&refs);
                (E::Deref(v.name), v.bound)
            }
            2 => {
                let v = self.pick(&slices);
                let idx = self.index_for(&v.name, Lim::Len);
                (E::Index(v.name, idx), v.bound)
            }
            3 => {
                let v = self.pick(&arrays);
                self.mark_used(v.id);
                let (VK::Array { k, .. } | VK::RowRef(k)) = v.kind else {
                    unreachable!()
                };
                let idx = self.index_for(&v.name, Lim::Const(k));
                (E::Index(v.name, idx), v.bound)
            }
            4 => {
                let v = self.pick(&ints);
                if let Some(leaf) = self.int_const_leaf(&v.name) {
                    return leaf;
                }
                self.count("as_f64");
                let bound = match v.kind {
                    VK::Index(Lim::Const(k)) => k as f64,
                    VK::Counter => {
                        return (
                            E::Bin('*', Box::new(E::AsF64(v.name)), Box::new(E::Lit(0.1))),
                            WHILE_LIMIT as f64 * 0.1,
                        );
                    }
                    _ => MAX_LEN as f64,
                };
                (E::AsF64(v.name), bound)
            }
            5 => {
                let l = self.lit();
                (E::Lit(l), l)
            }
            _ => self.matrix_leaf().expect("a matrix"),
        }
    }

    /// A leaf that is not a literal (falls back to a literal if nothing else).
    fn var_leaf(&mut self) -> (E, f64) {
        for _ in 0..8 {
            let (e, b) = self.leaf();
            if !matches!(e, E::Lit(_)) {
                return (e, b);
            }
        }
        self.leaf()
    }

    /// `*v` used as an operand may be written as a bare `v` (a `&f64`).
    fn operand(&mut self, e: E, percent: u32) -> E {
        match e {
            E::Deref(n) if self.chance(percent) => {
                self.count("ref_operand");
                E::Bare(n)
            }
            e => e,
        }
    }

    fn bin(&mut self, op: char, a: E, b: E) -> E {
        let a = self.operand(a, 50);
        let b = self.operand(b, 50);
        E::Bin(op, Box::new(a), Box::new(b))
    }

    fn call(&mut self, name: &'static str, recv: E, rest: Vec<E>) -> E {
        assert!(
            METHODS.contains(&name),
            "`{name}` is missing from METHODS in difftest-harness/src/ops.rs"
        );
        let recv = self.operand(recv, 30);
        let mut args = vec![recv];
        args.extend(rest);
        E::Call(name, args)
    }

    /// Names of the locals that statements write (scalars and arrays).
    fn written_names(&self) -> BTreeSet<String> {
        self.visible()
            .into_iter()
            .filter(|v| {
                matches!(
                    v.kind,
                    VK::Scalar { assignable: true } | VK::Array { local: true, .. }
                )
            })
            .map(|v| v.name)
            .collect()
    }

    /// Inside a loop, a value computed from locals that the loop may also
    /// update has no reliable bound (`acc += acc * x[i]` grows
    /// geometrically): such a value is squashed whatever its recorded bound.
    fn squash_in_loop(&mut self, e: E, b: f64, limit: f64) -> (E, f64) {
        if reads_any(&e, &self.written_names()) {
            self.squash(e, f64::INFINITY, limit)
        } else {
            self.squash(e, b, limit)
        }
    }

    fn squash(&mut self, e: E, b: f64, limit: f64) -> (E, f64) {
        if b <= limit {
            return (e, b);
        }
        if self.chance(75) {
            self.count("tanh");
            (self.call("tanh", e, vec![]), 1.0)
        } else {
            self.count("sin");
            (self.call("sin", e, vec![]), 1.0)
        }
    }

    fn expr(&mut self, depth: u32) -> (E, f64) {
        if let Some(cast) = self.cast_expr(depth) {
            return cast;
        }
        if let Some(e) = self.everyday_expr(depth) {
            return e;
        }
        if depth == 0 || self.chance(25) {
            return self.leaf();
        }
        let d = depth - 1;
        let has_slices = !self.of_kind(|k| *k == VK::Slice).is_empty();
        let mut r = self.rng.u32(0..100);
        let class = match r {
            0..=17 => "add",
            18..=31 => "mul",
            32..=38 => "div",
            39..=42 => "neg",
            43..=50 => "tanh",
            51..=56 => "sin_cos",
            57..=61 => "exp",
            62..=67 => "ln_sqrt",
            68..=72 => "abs",
            73..=82 => "max_min",
            83..=89 => "powi",
            _ => "sum",
        };
        if !self.ok(class) {
            r = 0;
        }
        let (e, b) = match r {
            0..=17 => {
                let (a, ba) = self.expr(d);
                let (c, bc) = self.expr(d);
                let op = if self.chance(50) { '+' } else { '-' };
                self.count(if op == '+' { "add" } else { "sub" });
                (self.bin(op, a, c), ba + bc)
            }
            18..=31 => {
                let (a, ba) = self.expr(d);
                let (c, bc) = self.expr(d);
                self.count("mul");
                (self.bin('*', a, c), ba * bc)
            }
            32..=38 => {
                let (a, ba) = self.expr(d);
                let (den, min) = self.denominator(false);
                self.count("div");
                (self.bin('/', a, den), ba / min)
            }
            39..=42 => {
                let (a, ba) = self.expr(d);
                self.count("neg");
                let a = self.operand(a, 30);
                (E::Neg(Box::new(a)), ba)
            }
            43..=50 => {
                let (a, _) = self.expr(d);
                self.count("tanh");
                (self.call("tanh", a, vec![]), 1.0)
            }
            51..=56 => {
                let (a, _) = self.expr(d);
                let f = if self.chance(50) { "sin" } else { "cos" };
                self.count(f);
                (self.call(f, a, vec![]), 1.0)
            }
            57..=61 => {
                let (a, ba) = self.expr(d);
                self.count("exp");
                let (arg, barg) = match self.rng.u32(0..3) {
                    0 => {
                        self.count("tanh");
                        (self.call("tanh", a, vec![]), 1.0)
                    }
                    1 if ba <= 10.0 => (self.bin('*', a, E::Lit(0.3)), ba * 0.3),
                    _ => {
                        self.count("abs");
                        self.count("neg");
                        let abs = self.call("abs", a, vec![]);
                        (E::Neg(Box::new(abs)), 0.0)
                    }
                };
                (self.call("exp", arg, vec![]), barg.exp())
            }
            62..=67 => {
                let f = if self.chance(50) { "ln" } else { "sqrt" };
                self.count(f);
                let (arg, lo, hi) = self.positive(d);
                let b = if f == "ln" {
                    lo.ln().abs().max(hi.ln().abs())
                } else {
                    hi.sqrt()
                };
                (self.call(f, arg, vec![]), b)
            }
            68..=72 => {
                let (a, ba) = self.expr(d);
                self.count("abs");
                (self.call("abs", a, vec![]), ba)
            }
            73..=82 => {
                let (a, ba) = self.expr(d);
                let (c, bc) = if self.chance(30) {
                    let l = self.cmp_lit();
                    (E::Lit(l), l.abs())
                } else {
                    self.expr(d)
                };
                let f = if self.chance(50) { "max" } else { "min" };
                self.count(f);
                (self.call(f, a, vec![c]), ba.max(bc))
            }
            83..=89 => {
                let (a, ba) = self.expr(d);
                if self.chance(60) {
                    let (a, ba) = self.squash(a, ba, 3.0);
                    self.count("powi2");
                    let a = self.operand(a, 30);
                    (E::Powi(Box::new(a), 2), ba * ba)
                } else {
                    let (a, ba) = self.squash(a, ba, 2.0);
                    self.count("powi3");
                    let a = self.operand(a, 30);
                    (E::Powi(Box::new(a), 3), ba * ba * ba)
                }
            }
            _ if has_slices && !self.in_closure => self.sum(d),
            _ => {
                let (a, ba) = self.expr(d);
                let (c, bc) = self.expr(d);
                self.count("add");
                (self.bin('+', a, c), ba + bc)
            }
        };
        self.squash(e, b, CAP)
    }

    /// A value bounded away from zero, and its lower bound.
    /// `at_least_one`: never below 1 (dividing by it in a loop cannot
    /// make a value grow).
    fn denominator(&mut self, at_least_one: bool) -> (E, f64) {
        let (f, _) = self.expr(1);
        let c = if at_least_one {
            self.pick(&[1.0, 2.0])
        } else {
            self.pick(&[0.5, 1.0, 2.0])
        };
        let r = if at_least_one {
            self.pick(&[0, 1, 3])
        } else {
            self.rng.u32(0..4)
        };
        match r {
            0 => {
                self.count("mul");
                self.count("add");
                let sq = self.bin('*', f.clone(), f);
                (self.bin('+', sq, E::Lit(c)), c)
            }
            1 => {
                self.count("abs");
                self.count("add");
                let abs = self.call("abs", f, vec![]);
                (self.bin('+', abs, E::Lit(c)), c)
            }
            2 => {
                self.count("tanh");
                self.count("add");
                let t = self.call("tanh", f, vec![]);
                (self.bin('+', t, E::Lit(1.5)), 0.5)
            }
            _ => {
                self.count("cos");
                self.count("add");
                let t = self.call("cos", f, vec![]);
                (self.bin('+', t, E::Lit(2.0)), 1.0)
            }
        }
    }

    /// A positive value (for `ln`, `sqrt`), with bounds `lo <= v <= hi`.
    fn positive(&mut self, depth: u32) -> (E, f64, f64) {
        let (f, bf) = self.expr(depth);
        let c = self.pick(&[0.25, 0.5, 1.0]);
        if self.chance(50) {
            self.count("mul");
            self.count("add");
            let sq = self.bin('*', f.clone(), f);
            (self.bin('+', sq, E::Lit(c)), c, bf * bf + c)
        } else {
            self.count("abs");
            self.count("add");
            let abs = self.call("abs", f, vec![]);
            (self.bin('+', abs, E::Lit(c)), c, bf + c)
        }
    }

    /// An iterator sum over a slice parameter.
    fn sum(&mut self, depth: u32) -> (E, f64) {
        let slices = self.of_kind(|k| *k == VK::Slice);
        let x = self.pick(&slices);
        let len = MAX_LEN as f64;
        match self.rng.u32(0..3) {
            0 => {
                self.count("sum");
                (E::Sum(x.name), len * x.bound)
            }
            1 => {
                self.count("sum_map");
                self.push_scope();
                self.in_closure = true;
                let v = self.fresh("v");
                self.declare(&v, VK::Ref, x.bound);
                let (body, b) = self.closure_body(std::slice::from_ref(&v), depth);
                self.in_closure = false;
                self.pop_scope();
                (E::SumMap(x.name, v, Box::new(body)), len * b)
            }
            _ => {
                self.count("sum_zip");
                let y = self.pick(&slices);
                self.push_scope();
                self.in_closure = true;
                let p = self.fresh("p");
                self.declare(&p, VK::Ref, x.bound);
                let q = self.fresh("q");
                self.declare(&q, VK::Ref, y.bound);
                let (body, b) = self.closure_body(&[p.clone(), q.clone()], depth);
                self.in_closure = false;
                self.pop_scope();
                (E::SumZip([x.name, y.name, p, q], Box::new(body)), len * b)
            }
        }
    }

    /// A closure body that uses its arguments.
    fn closure_body(&mut self, args: &[String], depth: u32) -> (E, f64) {
        let (e, b) = if args.len() == 2 && self.chance(50) {
            let op = self.pick(&['*', '-', '+']);
            self.count(match op {
                '*' => "mul",
                '-' => "sub",
                _ => "add",
            });
            let (p, q) = (E::Deref(args[0].clone()), E::Deref(args[1].clone()));
            (self.bin(op, p, q), 2.0 * X_MAX * X_MAX)
        } else if self.chance(60) {
            let v = E::Deref(self.pick(args));
            let (e, be) = self.expr(depth.min(1));
            let op = self.pick(&['*', '-', '+']);
            self.count(match op {
                '*' => "mul",
                '-' => "sub",
                _ => "add",
            });
            (self.bin(op, v, e), X_MAX * be + X_MAX + be)
        } else {
            self.expr(depth.clamp(1, 2))
        };
        let (e, b) = self.squash(e, b, 4.0);
        if self.chance(25) {
            self.count("tanh");
            return (self.call("tanh", e, vec![]), 1.0);
        }
        (e, b)
    }

    // --- conditions ---------------------------------------------------------

    fn int_conditions(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        for v in self.visible() {
            let i = &v.name;
            match v.kind {
                VK::Index(Lim::Len) => {
                    out.push(format!("{i} % 2 == 0"));
                    out.push(format!("{i} > 0"));
                    out.push(format!("{i} < 2"));
                    let x = self.of_kind(|k| *k == VK::Slice);
                    if let Some(x) = x.first() {
                        out.push(format!("{i} + 1 < {}.len()", x.name));
                    }
                }
                VK::Index(Lim::Const(k)) => {
                    out.push(format!("{i} % 2 == 1"));
                    out.push(format!("{i} < {}", k / 2 + 1));
                }
                VK::Counter => {
                    out.push(format!("{i} % 2 == 0"));
                    out.push(format!("{i} < 3"));
                    out.push(format!("{i} > 1"));
                }
                VK::Usize => {
                    out.push(format!("{i} > 2"));
                    out.push(format!("{i} % 2 == 0"));
                }
                VK::Bool | VK::Flag => {
                    out.push(i.clone());
                    out.push(format!("!{i}"));
                }
                _ => {}
            }
        }
        out
    }

    fn cond(&mut self, depth: u32) -> C {
        let ints = self.int_conditions();
        let r = self.rng.u32(0..100);
        let and_ok = self.ok("cond_and") && (self.loops.is_empty() || self.ok("cond_and_in_loop"));
        if depth > 0 && r < 12 && and_ok {
            self.count("cond_and");
            if !self.loops.is_empty() {
                self.count("cond_and_in_loop");
            }
            let a = self.cond(depth - 1);
            let b = self.cond(depth - 1);
            C::And(Box::new(a), Box::new(b))
        } else if depth > 0 && (12..22).contains(&r) && self.ok("cond_or") {
            self.count("cond_or");
            let a = self.cond(depth - 1);
            let b = self.cond(depth - 1);
            C::Or(Box::new(a), Box::new(b))
        } else if depth > 0 && (22..28).contains(&r) && self.ok("cond_not") {
            self.count("cond_not");
            let a = self.cond(depth - 1);
            C::Not(Box::new(a))
        } else if (28..36).contains(&r) && !ints.is_empty() && self.ok("cond_int") {
            self.count("cond_int");
            C::Raw(self.pick(&ints))
        } else {
            self.compare()
        }
    }

    fn compare(&mut self) -> C {
        self.count("cond_float");
        let (mut lhs, _) = if self.chance(50) {
            self.var_leaf()
        } else {
            self.expr(1)
        };
        if is_const(&lhs) {
            lhs = self.var_leaf().0;
        }
        let op = self.pick(&["<", "<=", ">", ">="]);
        let rhs = if self.chance(55) {
            E::Lit(self.cmp_lit())
        } else {
            self.expr(1).0
        };
        C::Cmp(op, lhs, rhs)
    }

    // --- statements ---------------------------------------------------------

    fn local_array(&mut self) -> S {
        let k = self.rng.usize(2..=4);
        let name = self.fresh("s");
        let (init, bound) = if self.chance(30) {
            self.count("local_array_literal");
            let mut init = Vec::new();
            let mut bound: f64 = 0.0;
            for _ in 0..k {
                let (e, b) = self.expr(1);
                bound = bound.max(b);
                init.push(e);
            }
            (init, bound)
        } else {
            self.count("local_array_zeros");
            (Vec::new(), 0.0)
        };
        let id = self.declare(&name, VK::Array { k, local: true }, bound);
        S::LetArr { name, id, k, init }
    }

    /// A loop body of `n` statements, with `if cond { break; }` before
    /// statement `break_at` (`n`: at the end).
    fn loop_body(&mut self, n: usize, break_at: Option<usize>) -> Vec<S> {
        self.push_scope();
        self.depth += 1;
        let mut out = Vec::new();
        for idx in 0..=n {
            if break_at == Some(idx) {
                out.push(self.break_stmt());
            }
            if idx < n {
                out.extend(self.stmt());
            }
        }
        out.extend(self.sink());
        self.depth -= 1;
        self.pop_scope();
        out
    }

    fn sub_block(&mut self, n: usize) -> Vec<S> {
        self.push_scope();
        self.depth += 1;
        let mut out = Vec::new();
        for _ in 0..n {
            out.extend(self.stmt());
        }
        // after a `break` or `return` it would be unreachable
        if !matches!(out.last(), Some(S::Raw(r)) if r == "break;")
            && !matches!(out.last(), Some(S::Return(_)))
        {
            out.extend(self.sink());
        }
        self.depth -= 1;
        self.pop_scope();
        out
    }

    /// A statement (or a few), and now and then one of issue 11's after it.
    fn stmt(&mut self) -> Vec<S> {
        let mut out = self.old_stmt();
        out.extend(self.new_stmt());
        out.extend(self.everyday_stmt());
        out.extend(self.log_sum_exp());
        // (only struct functions have matrices)
        out.extend(self.row_let());
        out
    }

    fn old_stmt(&mut self) -> Vec<S> {
        let in_loop = !self.loops.is_empty();
        let can_nest = self.depth < 3;
        let targets = self.targets();
        let has_arrays = !self
            .of_kind(|k| matches!(k, VK::Array { local: true, .. }))
            .is_empty();
        let top = self.depth == 0;
        let flags = !self.of_kind(|k| *k == VK::Flag).is_empty();
        let w = [
            5,                                      // let
            2,                                      // let accumulator
            1,                                      // shadow
            if targets.is_empty() { 0 } else { 7 }, // assign
            if has_arrays { 3 } else { 0 },         // element assign
            if can_nest { 3 } else { 0 },           // if
            if can_nest && self.loops.len() < 2 {
                if top { 7 } else { 3 }
            } else {
                0
            }, // for
            match (self.loops.len(), self.depth) {
                (0, 0..=1) => 2,
                (1, 1..=2) => 1, // inside a `for`
                _ => 0,
            }, // while
            match (self.loops.len(), self.depth) {
                (0, 0..=1) => 1,
                (1, 1..=2) => 1,
                _ => 0,
            }, // loop
            2,                                      // let if
            1,                                      // let block
            // (not directly in a `loop` used as a value)
            if in_loop && !matches!(self.loops.last(), Some((LoopKind::Value, _))) {
                2
            } else {
                0
            }, // break
            1,                         // return
            1,                         // flag
            if flags { 3 } else { 0 }, // set flag
        ];
        let names = [
            "let",
            "accumulator",
            "shadow",
            "assign",
            "element_assign",
            "if",
            "for",
            "while",
            "loop_break",
            "if_value",
            "block_expr",
            "break",
            "return",
            "flag",
            "flag",
        ];
        let mut w = w;
        for (k, name) in names.iter().enumerate() {
            w[k] = self.w(name, w[k]);
            if k == 6 && !self.loops.is_empty() {
                w[k] = self.w("nested_loop", w[k]);
            }
        }
        if w.iter().all(|x| *x == 0) {
            w[0] = 1;
        }
        match self.weighted(&w).unwrap() {
            0 => vec![self.let_scalar()],
            1 => vec![self.let_accumulator()],
            2 => vec![self.shadow()],
            3 => vec![self.assign(&targets)],
            4 => vec![self.element_assign()],
            5 => vec![self.if_stmt()],
            6 => vec![self.for_loop()],
            7 => self.while_loop(),
            8 => self.loop_break(),
            9 => vec![self.let_if()],
            10 => vec![self.let_block()],
            11 => vec![self.break_stmt()],
            12 => vec![self.return_stmt()],
            13 => vec![self.let_flag()],
            _ => vec![self.set_flag()],
        }
    }

    /// `let mut found = false;` (or a condition), a flag for later branches.
    fn let_flag(&mut self) -> S {
        self.count("flag");
        let init = if self.chance(70) {
            C::Raw("false".into())
        } else {
            self.cond(1)
        };
        let name = self.fresh("found");
        let id = self.declare(&name, VK::Flag, 1.0);
        S::LetFlag { name, id, init }
    }

    /// `found = true;`, `found = cond;`, `found = !found;`
    fn set_flag(&mut self) -> S {
        self.count("set_flag");
        let flags = self.of_kind(|k| *k == VK::Flag);
        let f = self.pick(&flags);
        self.assigned.insert(f.id);
        let value = match self.rng.u32(0..4) {
            0 | 1 => C::Raw("true".into()),
            2 => C::Raw(format!("!{}", f.name)),
            _ => self.cond(1),
        };
        S::SetFlag {
            name: f.name,
            value,
        }
    }

    fn let_scalar(&mut self) -> S {
        let (e, b) = self.expr(3);
        let base = self.pick(&["t", "u", "h", "r", "z"]);
        let name = self.fresh(base);
        let annot = self.chance(10);
        if annot {
            self.count("let_annotated");
        }
        self.count("let");
        let id = self.declare(&name, VK::Scalar { assignable: true }, b);
        S::Let { name, id, annot, e }
    }

    /// `let acc = 0.0;` and the like: something for loops to accumulate into.
    fn let_accumulator(&mut self) -> S {
        let (name, e, b) = match self.rng.u32(0..5) {
            0 | 1 => (self.fresh("acc"), E::Lit(0.0), 0.0),
            2 => (self.fresh("prod"), E::Lit(1.0), 1.0),
            3 => {
                let l = -self.lit() * 5.0;
                (self.fresh("m"), E::Lit(l), l.abs())
            }
            _ => {
                let (e, b) = self.var_leaf();
                (self.fresh("m"), e, b)
            }
        };
        self.count("let");
        let id = self.declare(&name, VK::Scalar { assignable: true }, b);
        S::Let {
            name,
            id,
            annot: false,
            e,
        }
    }

    fn shadow(&mut self) -> S {
        // (A field `p.a` cannot be shadowed.)
        let scalars: Vec<Var> = self
            .of_kind(|k| matches!(k, VK::Scalar { .. }))
            .into_iter()
            .filter(|v| !v.name.contains('.'))
            .collect();
        if scalars.is_empty() {
            return self.let_scalar();
        }
        let v = self.pick(&scalars);
        let param = v.id < self.n_params;
        self.count(if param { "shadow_param" } else { "shadow" });
        let (e, b) = self.expr(1);
        let (new, nb) = match self.rng.u32(0..4) {
            0 => {
                self.count("tanh");
                self.count("mul");
                let t = self.call("tanh", E::Var(v.name.clone()), vec![]);
                (self.bin('*', t, E::Lit(2.0)), 2.0)
            }
            1 => {
                self.count("mul");
                self.count("add");
                let m = self.bin('*', E::Var(v.name.clone()), E::Lit(0.5));
                (self.bin('+', m, e), 0.5 * v.bound + b)
            }
            2 => {
                self.count("add");
                self.count("sin");
                let s = self.bin('+', E::Var(v.name.clone()), e);
                (self.call("sin", s, vec![]), 1.0)
            }
            _ => {
                self.count("mul");
                let m = self.bin('*', E::Var(v.name.clone()), e);
                self.squash(m, v.bound * b, CAP)
            }
        };
        let id = self.declare(&v.name, VK::Scalar { assignable: true }, nb);
        S::Let {
            name: v.name,
            id,
            annot: false,
            e: new,
        }
    }

    /// Scalar locals that may be assigned.
    fn targets(&self) -> Vec<Var> {
        self.of_kind(|k| *k == VK::Scalar { assignable: true })
    }

    /// `target op= e` for a target of bound `bound` declared `trips` loop
    /// iterations away; returns the statement's pieces and the new bound.
    fn update(&mut self, target: &str, bound: f64, trips: f64) -> (&'static str, E, f64) {
        let me = if target.contains('[') {
            // `s[idx]`: the element, read back.
            let (name, idx) = target.split_once('[').unwrap();
            E::Index(name.into(), idx.trim_end_matches(']').into())
        } else {
            E::Var(target.into())
        };
        if trips <= 1.0 {
            // Runs once: any update.
            let op = self.pick(&["=", "+=", "-=", "*=", "/="]);
            return match op {
                "=" => {
                    let (e, b) = self.expr(3);
                    self.count("assign");
                    ("=", e, b)
                }
                "+=" | "-=" => {
                    let (e, b) = self.expr(2);
                    let (e, b) = self.squash(e, b, (2.0 * CAP - bound).max(1.0));
                    self.count(if op == "+=" {
                        "add_assign"
                    } else {
                        "sub_assign"
                    });
                    (op, e, bound + b)
                }
                "*=" => {
                    let (e, b) = self.expr(2);
                    let (e, b) = self.squash(e, b, 2.0);
                    self.count("mul_assign");
                    ("*=", e, bound * b)
                }
                _ => {
                    let (e, min) = self.denominator(false);
                    self.count("div_assign");
                    ("/=", e, bound / min)
                }
            };
        }
        // Inside loops: forms that keep the value bounded over the trips.
        match self.rng.u32(0..9) {
            0..=2 => {
                let (e, b) = self.expr(2);
                let (e, b) = self.squash_in_loop(e, b, 2.0);
                let op = if self.chance(70) { "+=" } else { "-=" };
                self.count(if op == "+=" {
                    "add_assign"
                } else {
                    "sub_assign"
                });
                (op, e, bound + trips * b)
            }
            3 => {
                let (e, b) = self.expr(2);
                let f = self.pick(&["tanh", "sin", "cos"]);
                let e = if b <= 1.0 && !reads_any(&e, &self.written_names()) {
                    e
                } else {
                    self.count(f);
                    self.call(f, e, vec![])
                };
                self.count("mul_assign");
                self.count("product");
                ("*=", e, bound.max(1.0))
            }
            4 => {
                let (e, _) = self.denominator(true);
                self.count("div_assign");
                ("/=", e, bound.max(1.0))
            }
            5 => {
                // Horner: acc = acc * c + e with |c| <= 0.8.
                self.count("horner");
                self.count("mul");
                self.count("add");
                let c = match self.rng.u32(0..3) {
                    0 => E::Lit(self.pick(&[0.3, 0.5, 0.8])),
                    1 => {
                        // a parameter (or an element of one) times 0.4
                        let (l, _) = self.var_leaf();
                        let (l, _) = self.squash_in_loop(l, X_MAX, X_MAX);
                        self.bin('*', l, E::Lit(0.4))
                    }
                    _ => {
                        let (l, _) = self.var_leaf();
                        self.count("tanh");
                        let t = self.call("tanh", l, vec![]);
                        self.bin('*', t, E::Lit(0.8))
                    }
                };
                let (e, b) = self.expr(1);
                let (e, b) = self.squash_in_loop(e, b, 2.0);
                let m = self.bin('*', me, c);
                ("=", self.bin('+', m, e), bound.max(b / 0.2))
            }
            6 => {
                let f = if self.chance(50) { "max" } else { "min" };
                self.count(if f == "max" {
                    "running_max"
                } else {
                    "running_min"
                });
                self.count(f);
                let (e, b) = self.expr(1);
                let call = if self.chance(70) {
                    self.call(f, me, vec![e])
                } else {
                    self.call(f, e, vec![me])
                };
                ("=", call, bound.max(b))
            }
            7 => {
                self.count("assign_squashed");
                let (e, _) = self.expr(1);
                let op = self.pick(&['+', '*']);
                let inner = self.bin(op, me, e);
                let f = self.pick(&["tanh", "sin"]);
                self.count(f);
                ("=", self.call(f, inner, vec![]), bound.max(1.0))
            }
            _ => {
                self.count("assign");
                let (e, b) = self.expr(2);
                let (e, b) = self.squash_in_loop(e, b, 4.0);
                ("=", e, bound.max(b))
            }
        }
    }

    fn assign(&mut self, targets: &[Var]) -> S {
        let t = self.pick(targets);
        let trips = self.trips_since(t.level);
        let (op, e, b) = self.update(&t.name, t.bound, trips);
        self.assigned.insert(t.id);
        self.set_bound(t.id, b);
        S::Assign {
            target: t.name,
            op,
            e,
        }
    }

    fn element_assign(&mut self) -> S {
        let arrays = self.of_kind(|k| matches!(k, VK::Array { local: true, .. }));
        let a = self.pick(&arrays);
        let VK::Array { k, .. } = a.kind else {
            unreachable!()
        };
        let idx = self.index_for(&a.name, Lim::Const(k));
        let target = format!("{}[{idx}]", a.name);
        let trips = self.trips_since(a.level);
        let (op, e, b) = self.update(&target, a.bound, trips);
        self.count(if op == "=" {
            "element_assign"
        } else {
            "element_compound_assign"
        });
        self.assigned.insert(a.id);
        self.set_bound(a.id, b);
        S::Assign { target, op, e }
    }

    fn if_stmt(&mut self) -> S {
        self.count("if");
        let before = self.bounds();
        let mut merged = before.clone();
        let mut arms = Vec::new();
        let extra = match self.rng.u32(0..10) {
            0..=5 => 0,
            6..=8 => 1,
            _ => 2,
        };
        for _ in 0..=extra {
            let c = self.cond(2);
            let n = self.rng.usize(1..=2);
            self.set_bounds(&before);
            let body = self.sub_block(n);
            merge(&mut merged, &self.bounds());
            arms.push((c, body));
        }
        if extra > 0 {
            self.count("else_if");
        }
        let els = if self.chance(50) {
            self.count("else");
            self.set_bounds(&before);
            let n = self.rng.usize(1..=2);
            let body = self.sub_block(n);
            merge(&mut merged, &self.bounds());
            Some(body)
        } else {
            None
        };
        self.set_bounds(&merged);
        S::If { arms, els }
    }

    fn for_loop(&mut self) -> S {
        self.has_loop = true;
        let level = self.loops.len();
        if level > 0 {
            self.count("nested_loop");
        }
        let idx = ["i", "j", "l"][level].to_string();
        let elem = ["v", "e", "f"][level].to_string();
        let slices: Vec<Var> = self.of_kind(|k| *k == VK::Slice);
        let arrays: Vec<Var> = self.of_kind(|k| matches!(k, VK::Array { .. }));
        let ns = self.of_kind(|k| *k == VK::Usize);
        let has_n = !ns.is_empty();
        let over_slice = !slices.is_empty() && (arrays.is_empty() || self.chance(70));
        self.push_scope();
        let (header, trips);
        if let Some((h, t)) = self.row_loop(level) {
            header = h;
            trips = t;
        } else if over_slice {
            let x = self.pick(&slices);
            let xn = &x.name;
            let is_vec = self.vec_params.contains(xn);
            trips = MAX_LEN;
            match self.rng.u32(0..12) {
                0..=1 => {
                    self.count("for_range");
                    header = format!("for {idx} in 0..{xn}.len()");
                    self.declare(&idx, VK::Index(Lim::Len), 0.0);
                }
                2 => {
                    self.count("for_rev");
                    header = format!("for {idx} in (0..{xn}.len()).rev()");
                    self.declare(&idx, VK::Index(Lim::Len), 0.0);
                }
                3 if has_n => {
                    self.count("for_range_n");
                    // `n`, or an integer field `p.k` (struct functions).
                    let n = if ns.len() == 1 {
                        ns[0].name.clone()
                    } else {
                        self.pick(&ns).name
                    };
                    header = format!("for {idx} in 0..{n}");
                    self.declare(&idx, VK::Index(Lim::Len), 0.0);
                }
                3 | 4 => {
                    self.count("for_iter_copied");
                    header = format!("for &{elem} in {xn}.iter()");
                    self.declare(&elem, VK::Scalar { assignable: false }, x.bound);
                }
                5 => {
                    self.count("for_iter_ref");
                    header = format!("for {elem} in {xn}.iter()");
                    self.declare(&elem, VK::Ref, x.bound);
                }
                6 => {
                    if is_vec {
                        self.count("for_vec_ref");
                        header = format!("for {elem} in &{xn}");
                    } else {
                        self.count("for_slice_direct");
                        header = format!("for {elem} in {xn}");
                    }
                    self.declare(&elem, VK::Ref, x.bound);
                }
                7 | 8 => {
                    self.declare(&idx, VK::Index(Lim::Len), 0.0);
                    if self.chance(30) {
                        self.count("for_enumerate_copied");
                        header = format!("for ({idx}, &{elem}) in {xn}.iter().enumerate()");
                        self.declare(&elem, VK::Scalar { assignable: false }, x.bound);
                    } else {
                        self.count("for_enumerate");
                        header = format!("for ({idx}, {elem}) in {xn}.iter().enumerate()");
                        self.declare(&elem, VK::Ref, x.bound);
                    }
                }
                _ => {
                    let y = self.pick(&slices);
                    let (p, q) = (format!("p{level}"), format!("q{level}"));
                    self.count("for_zip");
                    header = format!("for ({p}, {q}) in {xn}.iter().zip({}.iter())", y.name);
                    self.declare(&p, VK::Ref, x.bound);
                    self.declare(&q, VK::Ref, y.bound);
                }
            }
        } else {
            let w = self.pick(&arrays);
            let VK::Array { k, local } = w.kind else {
                unreachable!()
            };
            let wn = &w.name;
            trips = k;
            let r = if local {
                self.rng.u32(0..3)
            } else {
                self.rng.u32(0..8)
            };
            match r {
                0 => {
                    self.count("for_array_range");
                    header = format!("for {idx} in 0..{k}");
                    self.declare(&idx, VK::Index(Lim::Const(k)), 0.0);
                }
                1 => {
                    self.count("for_array_inclusive");
                    header = format!("for {idx} in 0..={}", k - 1);
                    self.declare(&idx, VK::Index(Lim::Const(k)), 0.0);
                }
                2 => {
                    self.count("for_array_rev");
                    header = format!("for {idx} in (0..{k}).rev()");
                    self.declare(&idx, VK::Index(Lim::Const(k)), 0.0);
                }
                3 => {
                    self.count("for_array_value");
                    header = format!("for {elem} in {wn}");
                    self.declare(&elem, VK::Scalar { assignable: false }, w.bound);
                }
                4 => {
                    self.count("for_array_ref");
                    header = format!("for {elem} in &{wn}");
                    self.declare(&elem, VK::Ref, w.bound);
                }
                5 => {
                    self.count("for_iter_copied");
                    header = format!("for &{elem} in {wn}.iter()");
                    self.declare(&elem, VK::Scalar { assignable: false }, w.bound);
                }
                6 => {
                    self.count("for_array_len");
                    header = format!("for {idx} in 0..{wn}.len()");
                    self.declare(&idx, VK::Index(Lim::Const(k)), 0.0);
                }
                _ => {
                    self.count("for_enumerate");
                    header = format!("for ({idx}, {elem}) in {wn}.iter().enumerate()");
                    self.declare(&idx, VK::Index(Lim::Const(k)), 0.0);
                    self.declare(&elem, VK::Ref, w.bound);
                }
            }
        }
        self.loops.push((LoopKind::For, trips));
        let level = self.loops.len() - 1;
        self.set_label_slot(level, Some(false));
        let n = self.rng.usize(1..=3);
        let break_at = if self.chance(15) && self.ok("break") {
            Some(self.rng.usize(0..=n))
        } else {
            None
        };
        let body = self.loop_body(n, break_at);
        let label = self.take_label(level);
        self.loops.pop();
        self.pop_scope();
        S::For {
            label,
            header,
            body,
        }
    }

    /// `let mut k = 0; let mut t = ..; while cond { t = ..; ..; k += 1; }`
    fn while_loop(&mut self) -> Vec<S> {
        self.has_loop = true;
        self.count("while");
        if !self.loops.is_empty() {
            self.count("nested_loop");
            self.count("while_in_for");
        }
        let k = self.fresh("k");
        self.declare(&k, VK::Counter, WHILE_LIMIT as f64);
        let mut out = vec![S::Raw(format!("let mut {k} = 0;"))];
        let t = self.fresh("t");
        let (e, be) = self.expr(2);
        let (e, be) = self.squash(e, be, 4.0);
        let limit = WHILE_LIMIT;
        let (init, cond, update, bound);
        match self.rng.u32(0..3) {
            0 => {
                // grows until it passes `l`
                self.count("while_grow");
                let l = self.pick(&[2.0, 3.0, 4.0]);
                let g = self.pick(&[1.2, 1.3, 1.5]);
                let c = self.pick(&[0.05, 0.1]);
                self.count("abs");
                let abs = self.call("abs", e, vec![]);
                init = self.bin('+', abs, E::Lit(0.5));
                let lt = C::Cmp("<", E::Var(t.clone()), E::Lit(l));
                let kc = C::Raw(format!("{k} < {limit}"));
                self.count("while_and");
                cond = if self.chance(50) {
                    C::And(Box::new(lt), Box::new(kc))
                } else {
                    C::And(Box::new(kc), Box::new(lt))
                };
                let m = self.bin('*', E::Var(t.clone()), E::Lit(g));
                update = self.bin('+', m, E::Lit(c));
                bound = (be + 0.5).max(l * g + c);
            }
            1 => {
                // shrinks until it falls below 0.2, by a data-dependent factor
                self.count("while_shrink");
                self.count("mul");
                self.count("add");
                let sq = self.bin('*', e.clone(), e);
                init = self.bin('+', sq, E::Lit(0.3));
                let lt = C::Cmp(">", E::Var(t.clone()), E::Lit(0.2));
                self.count("while_and");
                let kc = C::Raw(format!("{k} < {limit}"));
                cond = C::And(Box::new(lt), Box::new(kc));
                let (f, _) = self.var_leaf();
                let s = self.pick(&["sin", "cos", "tanh"]);
                self.count(s);
                let sf = self.call(s, f, vec![]);
                let factor = self.bin('*', E::Lit(0.2), sf);
                let factor = self.bin('+', E::Lit(0.6), factor);
                update = self.bin('*', E::Var(t.clone()), factor);
                bound = be * be + 0.3;
            }
            _ => {
                // at least 3 trips, then while below `l`
                self.count("while_or");
                self.count("cond_or");
                let l = self.pick(&[1.5, 2.5]);
                self.count("sin");
                let s = self.call("sin", e, vec![]);
                init = s;
                let lt = C::Cmp("<", E::Var(t.clone()), E::Lit(l));
                let inner = C::And(
                    Box::new(lt),
                    Box::new(C::Raw(format!("{k} < {}", limit - 5))),
                );
                cond = C::Or(Box::new(C::Raw(format!("{k} < 3"))), Box::new(inner));
                let (f, _) = self.var_leaf();
                self.count("tanh");
                let tf = self.call("tanh", f, vec![]);
                let step = self.bin('*', E::Lit(0.3), tf);
                let step = self.bin('+', E::Lit(0.4), step);
                update = self.bin('+', E::Var(t.clone()), step);
                bound = l + 0.7 * limit as f64;
            }
        }
        let tid = self.declare(&t, VK::Scalar { assignable: true }, bound);
        self.assigned.insert(tid);
        out.push(S::Let {
            name: t.clone(),
            id: tid,
            annot: false,
            e: init,
        });
        self.loops.push((LoopKind::While, limit));
        self.push_scope();
        self.depth += 1;
        let mut body = vec![S::Assign {
            target: t.clone(),
            op: "=",
            e: update,
        }];
        for _ in 0..self.rng.usize(0..=2) {
            body.extend(self.stmt());
        }
        body.extend(self.sink());
        let shadowed = body
            .iter()
            .any(|s| matches!(s, S::Let { name, .. } if *name == t));
        if self.chance(50) && !shadowed {
            // the update last
            body.rotate_left(1);
        }
        body.push(S::Raw(format!("{k} += 1;")));
        self.depth -= 1;
        self.pop_scope();
        self.loops.pop();
        out.push(S::While { cond, body });
        out
    }

    /// `let mut k = 0; loop { ..; k += 1; if cond || k >= L { break; } }`
    fn loop_break(&mut self) -> Vec<S> {
        self.has_loop = true;
        self.count("loop_break");
        if !self.loops.is_empty() {
            self.count("nested_loop");
            self.count("loop_in_for");
        }
        let k = self.fresh("k");
        self.declare(&k, VK::Counter, WHILE_LIMIT as f64);
        let limit = self.rng.usize(3..=10);
        self.loops.push((LoopKind::Loop, limit));
        self.push_scope();
        self.depth += 1;
        let mut body = Vec::new();
        let exit_first = self.chance(50);
        let exit = |g: &mut Gen| {
            let c = g.cond(1);
            let stop = C::Raw(format!("{k} >= {limit}"));
            let c = if g.chance(50) {
                C::Or(Box::new(c), Box::new(stop))
            } else {
                C::Or(Box::new(stop), Box::new(c))
            };
            g.count("cond_or");
            S::If {
                arms: vec![(c, vec![S::Raw("break;".into())])],
                els: None,
            }
        };
        if exit_first {
            body.push(exit(self));
        }
        for _ in 0..self.rng.usize(1..=3) {
            body.extend(self.stmt());
        }
        body.extend(self.sink());
        // The counter before or after the body's statements.
        if self.chance(50) {
            body.push(S::Raw(format!("{k} += 1;")));
        } else {
            body.insert(usize::from(exit_first), S::Raw(format!("{k} += 1;")));
        }
        if !exit_first {
            body.push(exit(self));
        }
        self.depth -= 1;
        self.pop_scope();
        self.loops.pop();
        vec![S::Raw(format!("let mut {k} = 0;")), S::Loop { body }]
    }

    /// `if cond { [update;] break; }`
    fn break_stmt(&mut self) -> S {
        let kind = self.loops.last().map(|l| l.0);
        self.count(match kind {
            Some(LoopKind::For) => "break_for",
            Some(LoopKind::While) => "break_while",
            _ => "break_loop",
        });
        let c = self.cond(1);
        let mut body = Vec::new();
        let targets = self.targets();
        if !targets.is_empty() && self.chance(40) {
            body.push(self.assign(&targets));
        }
        body.push(S::Raw("break;".into()));
        S::If {
            arms: vec![(c, body)],
            els: None,
        }
    }

    /// `if cond { return e; }`
    fn return_stmt(&mut self) -> S {
        self.count(if self.loops.is_empty() {
            "return_in_branch"
        } else {
            "return_in_loop"
        });
        let c = self.cond(1);
        let (e, _) = self.expr(2);
        if self.chance(20) {
            self.count("else");
            let before = self.bounds();
            let els = self.sub_block(1);
            let mut merged = before;
            merge(&mut merged, &self.bounds());
            self.set_bounds(&merged);
            S::If {
                arms: vec![(c, vec![S::Return(e)])],
                els: Some(els),
            }
        } else {
            S::If {
                arms: vec![(c, vec![S::Return(e)])],
                els: None,
            }
        }
    }

    /// `{ [let q = e;] tail }`
    fn value_block(&mut self) -> (Block, f64) {
        self.push_scope();
        let mut stmts = Vec::new();
        let (tail, b) = if self.chance(35) {
            let (e, b) = self.expr(2);
            let name = self.fresh("q");
            let id = self.declare(&name, VK::Scalar { assignable: false }, b);
            stmts.push(S::Let {
                name: name.clone(),
                id,
                annot: false,
                e,
            });
            let (e2, b2) = self.expr(1);
            let op = self.pick(&['+', '*', '-']);
            let bound = if op == '*' { b * b2 } else { b + b2 };
            let tail = self.bin(op, E::Var(name), e2);
            self.squash(tail, bound, CAP)
        } else {
            self.expr(2)
        };
        self.pop_scope();
        (Block { stmts, tail }, b)
    }

    fn let_if(&mut self) -> S {
        self.count("if_value");
        let mut arms = Vec::new();
        let mut bound: f64 = 0.0;
        let extra = if self.chance(30) { 1 } else { 0 };
        if extra > 0 {
            self.count("else_if");
        }
        for _ in 0..=extra {
            let c = self.cond(2);
            let (blk, b) = self.value_block();
            bound = bound.max(b);
            arms.push((c, blk));
        }
        let (els, b) = self.value_block();
        bound = bound.max(b);
        let name = self.fresh("y");
        let id = self.declare(&name, VK::Scalar { assignable: true }, bound);
        S::LetIf {
            name,
            id,
            arms,
            els,
        }
    }

    fn let_block(&mut self) -> S {
        self.count("block_expr");
        self.push_scope();
        let (e, b) = self.expr(2);
        let q = self.fresh("q");
        let qid = self.declare(&q, VK::Scalar { assignable: false }, b);
        let (e2, b2) = self.expr(1);
        let (tail, bt) = match self.rng.u32(0..2) {
            0 => {
                let m = self.bin('*', E::Var(q.clone()), E::Var(q.clone()));
                (self.bin('+', m, e2), b * b + b2)
            }
            _ => {
                let m = self.bin('*', E::Var(q.clone()), e2);
                (self.bin('-', m, E::Var(q.clone())), b * b2 + b)
            }
        };
        let (tail, bt) = self.squash(tail, bt, CAP);
        self.pop_scope();
        let name = self.fresh("bq");
        let id = self.declare(&name, VK::Scalar { assignable: true }, bt);
        S::LetBlock {
            name,
            id,
            block: Block {
                stmts: vec![S::Let {
                    name: q,
                    id: qid,
                    annot: false,
                    e,
                }],
                tail,
            },
        }
    }

    /// The tail expression: a combination of the locals at the end.
    fn tail(&mut self) -> E {
        let mut locals = self.targets();
        self.rng.shuffle(&mut locals);
        // the locals nothing reads first
        locals.sort_by_key(|v| v.used);
        locals.truncate(5);
        let mut terms: Vec<E> = locals.into_iter().map(|v| E::Var(v.name)).collect();
        let arrays = self.of_kind(|k| matches!(k, VK::Array { local: true, .. }));
        for a in arrays {
            let VK::Array { k, .. } = a.kind else {
                unreachable!()
            };
            terms.push(E::Index(a.name, self.rng.usize(0..k).to_string()));
        }
        if terms.is_empty() || self.chance(30) {
            terms.push(self.expr(2).0);
        }
        let mut e = terms.remove(0);
        for t in terms {
            e = match self.rng.u32(0..4) {
                0 => E::Bin('-', Box::new(e), Box::new(t)),
                1 => {
                    let c = self.lit();
                    E::Bin(
                        '+',
                        Box::new(e),
                        Box::new(E::Bin('*', Box::new(E::Lit(c)), Box::new(t))),
                    )
                }
                _ => E::Bin('+', Box::new(e), Box::new(t)),
            };
        }
        e
    }
}

/// `e` reads one of `names` (a variable or an element of an array).
fn reads_any(e: &E, names: &BTreeSet<String>) -> bool {
    match e {
        E::Lit(_) | E::AsF64(_) | E::Sum(_) => false,
        E::CastInt(a, _) => reads_any(a, names),
        E::IndexCast(x, a, _) => names.contains(x) || reads_any(a, names),
        E::Var(n) | E::Deref(n) | E::Bare(n) => names.contains(n),
        E::Index(a, _) => names.contains(a),
        E::Neg(a) | E::Powi(a, _) | E::SumMap(_, _, a) | E::SumZip(_, a) => reads_any(a, names),
        E::Bin(_, a, b) => reads_any(a, names) || reads_any(b, names),
        E::Call(_, args) => args.iter().any(|a| reads_any(a, names)),
        E::Every(x) => everyday::reads(x, names),
    }
}

fn merge(into: &mut [f64], other: &[f64]) {
    for (a, b) in into.iter_mut().zip(other) {
        *a = a.max(*b);
    }
}

// ---------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------

fn prec(e: &E) -> u8 {
    match e {
        E::Bin('+' | '-', ..) => 1,
        E::Bin(..) => 2,
        E::Neg(_) | E::Deref(_) => 3,
        E::Lit(v) if *v < 0.0 => 3,
        _ => 4,
    }
}

/// A method receiver: parenthesised unless atomic; a literal gets the
/// `f64` suffix (`0.5.tanh()` has an ambiguous numeric type).
fn receiver(e: &E) -> String {
    let suffix = is_const(e);
    if prec(e) < 4 {
        format!("({})", plain_s(e, suffix))
    } else {
        plain_s(e, suffix)
    }
}

/// `e` has no variable: its type would be the ambiguous `{float}`.
fn is_const(e: &E) -> bool {
    match e {
        E::Lit(_) => true,
        E::Neg(a) | E::Powi(a, _) | E::CastInt(a, _) => is_const(a),
        E::Bin(_, a, b) => is_const(a) && is_const(b),
        E::Call(_, args) => args.iter().all(is_const),
        _ => false,
    }
}

/// The `#[grad]` form: minimal parentheses.
fn plain(e: &E) -> String {
    plain_s(e, false)
}

/// The `#[grad]` form, literals with the `f64` suffix if `suffix`.
fn plain_s(e: &E, suffix: bool) -> String {
    let plain = |e: &E| plain_s(e, suffix);
    match e {
        E::Lit(v) if suffix => format!("{v:?}f64"),
        E::Lit(v) => format!("{v:?}"),
        E::Var(n) | E::Bare(n) => n.clone(),
        E::Deref(n) => format!("*{n}"),
        E::Index(a, i) => format!("{a}[{i}]"),
        E::Neg(a) => {
            if prec(a) < 4 {
                format!("-({})", plain(a))
            } else {
                format!("-{}", plain(a))
            }
        }
        E::Bin(op, a, b) => {
            let p = prec(e);
            let l = if prec(a) < p {
                format!("({})", plain(a))
            } else {
                plain(a)
            };
            let r = if prec(b) <= p {
                format!("({})", plain(b))
            } else {
                plain(b)
            };
            format!("{l} {op} {r}")
        }
        E::Call(f, args) => {
            let rest: Vec<String> = args[1..].iter().map(&plain).collect();
            format!("{}.{f}({})", receiver(&args[0]), rest.join(", "))
        }
        E::Powi(a, n) => format!("{}.powi({n})", receiver(a)),
        E::AsF64(i) => format!("({i} as f64)"),
        E::Sum(x) => format!("{x}.iter().sum::<f64>()"),
        E::SumMap(x, v, body) => format!("{x}.iter().map(|{v}| {}).sum::<f64>()", plain(body)),
        E::SumZip([x, y, p, q], body) => format!(
            "{x}.iter().zip({y}.iter()).map(|({p}, {q})| {}).sum::<f64>()",
            plain(body)
        ),
        E::CastInt(a, m) => format!("(((({}) * 2.0) as i32 % {m}) as f64)", plain(a)),
        E::IndexCast(x, a, len) => format!("{x}[({}.abs() * 2.0) as usize % {len}]", receiver(a)),
        E::Every(x) => everyday::plain(x),
    }
}

/// The oracle form: generic over `D`, fully parenthesised, every float
/// operation through `o::*` (or num-dual's `+ - *`).
fn oracle(e: &E) -> String {
    match e {
        E::Lit(v) => format!("D::from({v:?})"),
        E::Var(n) => n.clone(),
        E::Bare(n) | E::Deref(n) => format!("(*{n})"),
        E::Index(a, i) => format!("{a}[{i}]"),
        E::Neg(a) => format!("(-{})", oracle(a)),
        E::Bin('/', a, b) => format!("o::div({}, {})", oracle(a), oracle(b)),
        E::Bin(op, a, b) => format!("({} {op} {})", oracle(a), oracle(b)),
        E::Call(f, args) => {
            let a: Vec<String> = args.iter().map(oracle).collect();
            format!("o::{f}({})", a.join(", "))
        }
        E::Powi(a, n) => format!("o::powi({}, {n})", oracle(a)),
        E::AsF64(i) => format!("D::from(({i}) as f64)"),
        E::Sum(x) => format!("{x}.iter().copied().sum::<D>()"),
        E::SumMap(x, v, body) => format!("{x}.iter().map(|{v}| {}).sum::<D>()", oracle(body)),
        E::SumZip([x, y, p, q], body) => format!(
            "{x}.iter().zip({y}.iter()).map(|({p}, {q})| {}).sum::<D>()",
            oracle(body)
        ),
        E::CastInt(a, m) => format!(
            "D::from(((({}).re() * 2.0) as i32 % {m}) as f64)",
            oracle(a)
        ),
        E::IndexCast(x, a, len) => {
            format!("{x}[(({}).re().abs() * 2.0) as usize % {len}]", oracle(a))
        }
        E::Every(x) => everyday::oracle(x),
    }
}

fn cond_text(c: &C, o: bool) -> String {
    match c {
        C::Cmp(op, l, r) => {
            if o {
                let f = match *op {
                    "<" => "lt",
                    "<=" => "le",
                    ">" => "gt",
                    _ => "ge",
                };
                format!("o::{f}({}, {})", oracle(l), oracle(r))
            } else {
                format!("{} {op} {}", plain(l), plain(r))
            }
        }
        C::And(a, b) => {
            let side = |c: &C| match c {
                C::Or(..) => format!("({})", cond_text(c, o)),
                _ => cond_text(c, o),
            };
            format!("{} && {}", side(a), side(b))
        }
        C::Or(a, b) => format!("{} || {}", cond_text(a, o), cond_text(b, o)),
        C::Not(a) => format!("!({})", cond_text(a, o)),
        C::Raw(s) => s.clone(),
    }
}

struct Printer<'a> {
    out: String,
    oracle: bool,
    assigned: &'a BTreeSet<usize>,
    /// Set in a vector-valued function: what its early `return`s return.
    vret: Option<&'a vector::VRet>,
}

impl Printer<'_> {
    fn e(&self, e: &E) -> String {
        if self.oracle { oracle(e) } else { plain(e) }
    }

    /// What `return e` returns: `e`, or in a vector-valued function the
    /// outputs `[e, ..]` (`(e, ..)`) that [`vector::VRet`] makes of it.
    fn returned(&self, e: &E) -> String {
        match self.vret {
            None => self.e(e),
            Some(v) => {
                let outs: Vec<String> = v.outputs(e).iter().map(|e| self.e(e)).collect();
                vector::list(&outs, v.tuple && !self.oracle)
            }
        }
    }

    fn line(&mut self, ind: usize, s: &str) {
        for _ in 0..ind {
            self.out.push_str("    ");
        }
        self.out.push_str(s);
        self.out.push('\n');
    }

    fn mutable(&self, id: usize) -> &'static str {
        if self.assigned.contains(&id) {
            "mut "
        } else {
            ""
        }
    }

    fn block_value(&mut self, b: &Block, ind: usize) {
        self.stmts(&b.stmts, ind);
        let t = self.e(&b.tail);
        self.line(ind, &t);
    }

    fn stmts(&mut self, stmts: &[S], ind: usize) {
        for s in stmts {
            self.stmt(s, ind);
        }
    }

    fn stmt(&mut self, s: &S, ind: usize) {
        let o = self.oracle;
        match s {
            S::Let { name, id, annot, e } => {
                // A constant needs a type: `let t: f64 = 0.5;` or `0.5f64`.
                let constant = !o && is_const(e);
                let suffix = constant && !annot && id % 2 == 1 && matches!(e, E::Lit(_));
                let ty = match (*annot || (constant && !suffix), o) {
                    (false, _) => "",
                    (true, false) => ": f64",
                    (true, true) => ": D",
                };
                let value = if suffix { plain_s(e, true) } else { self.e(e) };
                let l = format!("let {}{name}{ty} = {value};", self.mutable(*id));
                self.line(ind, &l);
            }
            S::LetIf {
                name,
                id,
                arms,
                els,
            } => {
                let constant =
                    !o && is_const(&els.tail) && arms.iter().all(|(_, b)| is_const(&b.tail));
                let ty = if constant { ": f64" } else { "" };
                for (k, (c, b)) in arms.iter().enumerate() {
                    let head = if k == 0 {
                        format!(
                            "let {}{name}{ty} = if {} {{",
                            self.mutable(*id),
                            cond_text(c, o)
                        )
                    } else {
                        format!("}} else if {} {{", cond_text(c, o))
                    };
                    self.line(ind, &head);
                    self.block_value(b, ind + 1);
                }
                self.line(ind, "} else {");
                self.block_value(els, ind + 1);
                self.line(ind, "};");
            }
            S::LetBlock { name, id, block } => {
                let head = format!("let {}{name} = {{", self.mutable(*id));
                self.line(ind, &head);
                self.block_value(block, ind + 1);
                self.line(ind, "};");
            }
            S::LetArr { name, id, k, init } => {
                let m = self.mutable(*id);
                let l = if init.is_empty() {
                    if o {
                        format!("let {m}{name} = [D::from(0.0); {k}];")
                    } else if id % 2 == 0 {
                        format!("let {m}{name} = [0.0f64; {k}];")
                    } else {
                        format!("let {m}{name}: [f64; {k}] = [0.0; {k}];")
                    }
                } else {
                    let items: Vec<String> = init.iter().map(|e| self.e(e)).collect();
                    let ty = if !o && init.iter().all(is_const) {
                        format!(": [f64; {k}]")
                    } else {
                        String::new()
                    };
                    format!("let {m}{name}{ty} = [{}];", items.join(", "))
                };
                self.line(ind, &l);
            }
            S::Assign { target, op, e } => {
                let l = if o && *op == "/=" {
                    format!("{target} = o::div({target}, {});", self.e(e))
                } else {
                    format!("{target} {op} {};", self.e(e))
                };
                self.line(ind, &l);
            }
            S::Raw(r) => self.line(ind, r),
            S::If { arms, els } => {
                for (k, (c, body)) in arms.iter().enumerate() {
                    let head = if k == 0 {
                        format!("if {} {{", cond_text(c, o))
                    } else {
                        format!("}} else if {} {{", cond_text(c, o))
                    };
                    self.line(ind, &head);
                    self.stmts(body, ind + 1);
                }
                if let Some(body) = els {
                    self.line(ind, "} else {");
                    self.stmts(body, ind + 1);
                }
                self.line(ind, "}");
            }
            S::For {
                label,
                header,
                body,
            } => {
                let label = label.as_ref().map(|l| format!("{l}: ")).unwrap_or_default();
                self.line(ind, &format!("{label}{header} {{"));
                self.stmts(body, ind + 1);
                self.line(ind, "}");
            }
            S::While { cond, body } => {
                self.line(ind, &format!("while {} {{", cond_text(cond, o)));
                self.stmts(body, ind + 1);
                self.line(ind, "}");
            }
            S::Loop { body } => {
                self.line(ind, "loop {");
                self.stmts(body, ind + 1);
                self.line(ind, "}");
            }
            S::LetFlag { name, id, init } => {
                let l = format!("let {}{name} = {};", self.mutable(*id), cond_text(init, o));
                self.line(ind, &l);
            }
            S::SetFlag { name, value } => {
                let l = format!("{name} = {};", cond_text(value, o));
                self.line(ind, &l);
            }
            S::Return(e) => {
                let l = format!("return {};", self.returned(e));
                self.line(ind, &l);
            }
            S::Match { scrutinee, arms } => self.match_stmt(scrutinee, arms, ind),
            S::LetMatch {
                name,
                id,
                scrutinee,
                arms,
            } => self.let_match(name, *id, scrutinee, arms, ind),
            S::Every(s) => self.every_stmt(s, ind),
        }
    }
}

fn param_type(kind: PKind, oracle: bool) -> String {
    let t = if oracle { "D" } else { "f64" };
    match kind {
        PKind::Slice => format!("&[{t}]"),
        PKind::VecP => format!("Vec<{t}>"),
        PKind::Array(k) => format!("[{t}; {k}]"),
        PKind::Scalar => t.to_string(),
        PKind::Usize => "usize".into(),
        PKind::Bool => "bool".into(),
        PKind::Labels(false) => "&[usize]".into(),
        PKind::Labels(true) => "Vec<usize>".into(),
        PKind::Struct(_) => unreachable!("a struct parameter's type is the struct's"),
    }
}

/// The function's text: the `#[grad]` form or the oracle.
fn function_text(f: &Function, attr: bool, oracle: bool) -> String {
    function_text_v(f, None, attr, oracle)
}

/// The text of `f`, or with `v` of its vector-valued companion `vgen_<i>`
/// (same parameters and body, `v`'s outputs and early returns).
fn function_text_v(
    f: &Function,
    v: Option<&vector::VFunction>,
    attr: bool,
    oracle: bool,
) -> String {
    let mut p = Printer {
        out: String::new(),
        oracle,
        assigned: &f.assigned,
        vret: v.map(|v| &v.ret),
    };
    if let (Some(v), true) = (v, attr) {
        p.out.push_str(if v.forward {
            "#[grad(forward)]\n"
        } else {
            "#[grad]\n"
        });
    } else if let (Some(s), true) = (&f.strukt, attr) {
        match &s.wrt {
            None => p.out.push_str("#[grad]\n"),
            Some(w) => p.out.push_str(&format!("#[grad(wrt({}))]\n", w.join(", "))),
        }
    } else if attr {
        let args: Vec<&str> = [(f.forward, "forward"), (f.second, "hessian")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, arg)| *arg)
            .collect();
        if args.is_empty() {
            p.out.push_str("#[grad]\n");
        } else {
            p.out.push_str(&format!("#[grad({})]\n", args.join(", ")));
        }
    }
    let params: Vec<String> = f
        .params
        .iter()
        .map(|q| {
            let t = match (q.kind, f.fixed) {
                (PKind::Slice, Some(len)) if !oracle => format!("&[f64; {len}]"),
                (PKind::VecP, Some(len)) if !oracle => format!("[f64; {len}]"),
                (PKind::Struct(_), _) if q.name == "self" => return "&self".to_string(),
                (PKind::Struct(k), _) => {
                    structs::param_type(f.strukt.as_ref().expect("struct"), k, oracle)
                }
                (kind, _) => param_type(kind, oracle),
            };
            format!("{}: {t}", q.name)
        })
        .collect();
    let method = f.strukt.as_ref().is_some_and(|s| s.method);
    let (name, ret_o, ret) = match v {
        None => (&f.name, "D".to_string(), "f64".to_string()),
        Some(v) => (&v.name, format!("[D; {}]", v.outputs()), v.ret_type()),
    };
    if oracle && method {
        p.out.push_str(&format!(
            "pub fn {name}_oracle({}) -> {ret_o} {{\n",
            params.join(", ")
        ));
    } else if oracle {
        p.out.push_str(&format!(
            "pub fn {name}_oracle<D: DualNum<Primitive = f64> + Copy + o::Parts>({}) -> {ret_o} {{\n",
            params.join(", ")
        ));
    } else {
        p.out.push_str(&format!(
            "pub fn {name}({}) -> {ret} {{\n",
            params.join(", ")
        ));
    }
    p.stmts(&f.stmts, 1);
    let t = match v {
        None => p.e(&f.tail),
        Some(v) => {
            let outs: Vec<String> = v.outputs_at_tail(&f.tail).iter().map(|e| p.e(e)).collect();
            vector::list(&outs, v.ret.tuple && !oracle)
        }
    };
    p.line(1, &t);
    p.out.push_str("}\n");
    if method {
        // `impl S7 { .. }`, `impl<D: ..> S7O<D> { .. }`, the method indented.
        let s = f.strukt.as_ref().expect("struct");
        let head = if oracle {
            format!(
                "impl<D: DualNum<Primitive = f64> + Copy + o::Parts> {}O<D> {{\n",
                s.defs[0].name
            )
        } else {
            format!("impl {} {{\n", s.defs[0].name)
        };
        let body: String = p
            .out
            .lines()
            .map(|l| {
                if l.is_empty() {
                    "\n".to_string()
                } else {
                    format!("    {l}\n")
                }
            })
            .collect();
        return format!("{head}{body}}}\n");
    }
    p.out
}

/// Arguments of a call, from a `Point` `p` (`duals`: from `d`, dual inputs).
fn call_args(f: &Function, duals: bool) -> String {
    call_arg_list(f, duals).join(", ")
}

/// The value of struct parameter `f.params[at]` at a point `p`, built
/// from its float list and integers: `gen_7_new(p.f[1], &p.i[0..1])`
/// (`duals`: `gen_7_onew(&d[1], ..)`, the oracle's struct).
fn struct_value(f: &Function, at: usize, duals: bool) -> String {
    let s = f.strukt.as_ref().expect("struct");
    let (mut fi, mut ii) = (0, 0);
    for q in &f.params[..at] {
        match q.kind {
            PKind::Usize => ii += 1,
            PKind::Struct(_) => {
                fi += 1;
                ii += s.ints();
            }
            PKind::Bool | PKind::Labels(_) => {}
            _ => fi += 1,
        }
    }
    let n = s.ints();
    if duals {
        format!("{}_onew(&d[{fi}], &p.i[{ii}..{}])", f.name, ii + n)
    } else {
        format!("{}_new(p.f[{fi}], &p.i[{ii}..{}])", f.name, ii + n)
    }
}

/// A call of `f`'s `name<suffix>` at a point (`duals`: the oracle, at
/// `d`): `gen_7_grad(args)`, or for a method `gen_7_new(..).gen_7_grad(rest)`.
/// `suffix` may end in a turbofish (`_oracle::<Dual64>`), which a method
/// call leaves out (its `D` is its receiver's).
fn call(f: &Function, duals: bool, suffix: &str, extra: &[String]) -> String {
    let mut args = call_arg_list(f, duals);
    args.extend(extra.iter().cloned());
    if f.strukt.as_ref().is_some_and(|s| s.method) {
        let recv = args.remove(0);
        let recv = recv.strip_prefix('&').unwrap_or(&recv).to_string();
        let suffix = suffix.split("::<").next().unwrap();
        format!("{recv}.{}{suffix}({})", f.name, args.join(", "))
    } else {
        format!("{}{suffix}({})", f.name, args.join(", "))
    }
}

fn call_arg_list(f: &Function, duals: bool) -> Vec<String> {
    let (mut fi, mut ii, mut bi, mut li) = (0, 0, 0, 0);
    let mut args = Vec::new();
    let src = if duals { "d" } else { "p.f" };
    let fixed = f.fixed.is_some() && !duals;
    for q in &f.params {
        let a = match q.kind {
            PKind::Slice if fixed => format!("&arr(p.f[{fi}])"),
            PKind::VecP if fixed => format!("arr(p.f[{fi}])"),
            PKind::Slice => {
                if duals {
                    format!("&d[{fi}]")
                } else {
                    format!("p.f[{fi}]")
                }
            }
            PKind::VecP => format!("{src}[{fi}].to_vec()"),
            PKind::Array(_) => format!("arr(&{src}[{fi}])"),
            PKind::Scalar => format!("{src}[{fi}][0]"),
            PKind::Usize => {
                ii += 1;
                format!("p.i[{}]", ii - 1)
            }
            PKind::Bool => {
                bi += 1;
                format!("p.b[{}]", bi - 1)
            }
            PKind::Labels(vec) => {
                li += 1;
                if vec {
                    format!("p.l[{}].to_vec()", li - 1)
                } else {
                    format!("p.l[{}]", li - 1)
                }
            }
            PKind::Struct(k) => {
                let s = f.strukt.as_ref().expect("struct");
                ii += s.ints();
                let at = f.params.iter().position(|x| x.name == q.name).unwrap();
                let v = struct_value(f, at, duals);
                if s.roots[k].by_value {
                    v
                } else {
                    format!("&{v}")
                }
            }
        };
        if matches!(
            q.kind,
            PKind::Slice | PKind::VecP | PKind::Array(_) | PKind::Scalar | PKind::Struct(_)
        ) {
            fi += 1;
        }
        args.push(a);
    }
    let _ = (fi, ii);
    args
}

/// The float parameters whose gradients `f_grad` returns, as indices
/// into [`float_params`]: all of them, or those `wrt(..)` names.
fn differentiated(f: &Function) -> Vec<usize> {
    float_params(f)
        .iter()
        .enumerate()
        .filter(|(_, q)| f.strukt.as_ref().is_none_or(|s| s.differentiated(&q.name)))
        .map(|(k, _)| k)
        .collect()
}

fn float_params(f: &Function) -> Vec<&Param> {
    f.params
        .iter()
        .filter(|q| !matches!(q.kind, PKind::Usize | PKind::Bool | PKind::Labels(_)))
        .collect()
}

fn emit_function(out: &mut String, f: &Function, no_macro: bool) {
    let name = &f.name;
    out.push_str(&f.items);
    if let Some(s) = &f.strukt {
        // The oracle's struct and the builders of both from a `Point`.
        out.push_str(&structs::defs_text(s, true));
        out.push_str(&structs::builders_text(s, name));
    }
    out.push_str(&function_text(f, !no_macro, false));
    out.push('\n');
    out.push_str(&function_text(f, false, true));
    out.push('\n');
    let args = call_args(f, false);
    let floats = float_params(f);
    writeln!(
        out,
        "pub fn {name}_plain(p: &Point) -> f64 {{\n    {}\n}}\n",
        call(f, false, "", &[])
    )
    .unwrap();
    writeln!(
        out,
        "pub fn {name}_dual(p: &Point, d: &[Vec<Dual64>]) -> Dual64 {{\n    {}\n}}\n",
        call(f, true, "_oracle::<Dual64>", &[])
    )
    .unwrap();
    writeln!(
        out,
        "pub fn {name}_hyper(p: &Point, d: &[Vec<HyperDual64>]) -> HyperDual64 {{\n    {}\n}}\n",
        call(f, true, "_oracle::<HyperDual64>", &[])
    )
    .unwrap();
    if no_macro {
        return;
    }
    emit_higher_order(out, f, &args);
    // The gradients `f_grad` returns: every float parameter's, or those
    // `wrt(..)` names (`r.1`, `r.2`, .. in order); a struct's as its slots.
    let diff = differentiated(f);
    let slots: Vec<String> = diff
        .iter()
        .enumerate()
        .map(|(k, &j)| match floats[j].kind {
            PKind::Scalar => format!("vec![r.{}]", k + 1),
            PKind::Struct(_) => format!("autodiff_core::Differentiable::slots(&r.{})", k + 1),
            _ => format!("r.{}.to_vec()", k + 1),
        })
        .collect();
    writeln!(
        out,
        "pub fn {name}_g(p: &Point) -> (f64, Vec<Vec<f64>>) {{\n    let r = {};\n    (r.0, vec![{}])\n}}\n",
        call(f, false, "_grad", &[]),
        slots.join(", ")
    )
    .unwrap();
    if has_into(f) {
        // `f_grad_into`, with outputs that start as garbage (overwritten,
        // never accumulated into): 7.0, a struct's slots NaN.
        let mut decl = String::new();
        let mut outs = Vec::new();
        let mut back = Vec::new();
        for &k in &diff {
            let q = floats[k];
            match q.kind {
                PKind::Slice | PKind::VecP => {
                    writeln!(decl, "    let mut g{k} = vec![7.0; p.f[{k}].len()];").unwrap();
                    back.push(format!("g{k}"));
                }
                PKind::Array(n) => {
                    writeln!(decl, "    let mut g{k} = [7.0; {n}];").unwrap();
                    back.push(format!("g{k}.to_vec()"));
                }
                PKind::Struct(_) => {
                    let at = f.params.iter().position(|x| x.name == q.name).unwrap();
                    writeln!(
                        decl,
                        "    let mut g{k} = {};\n    autodiff_core::Differentiable::visit_mut(&mut g{k}, &mut |s| *s = f64::NAN);",
                        struct_value(f, at, false)
                    )
                    .unwrap();
                    back.push(format!("autodiff_core::Differentiable::slots(&g{k})"));
                }
                _ => {
                    writeln!(decl, "    let mut g{k} = 7.0;").unwrap();
                    back.push(format!("vec![g{k}]"));
                }
            }
            outs.push(format!("&mut g{k}"));
        }
        writeln!(
            out,
            "pub fn {name}_into(p: &Point) -> (f64, Vec<Vec<f64>>) {{\n{decl}    let v = {};\n    (v, vec![{}])\n}}\n",
            call(f, false, "_grad_into", &outs),
            back.join(", ")
        )
        .unwrap();
    }
}

/// Whether the macro generates `f_grad_into` for `f`: with a slice or
/// `Vec` parameter, or a struct parameter.
fn has_into(f: &Function) -> bool {
    has_slices(f) || f.strukt.is_some()
}

/// The direction arguments of `f_jvp` and `f_hvp`, from `p.d`: one per
/// float parameter, of its type.
fn dir_args(f: &Function) -> String {
    let args: Vec<String> = float_params(f)
        .iter()
        .enumerate()
        .map(|(k, q)| match (q.kind, f.fixed) {
            (PKind::Slice, Some(_)) => format!("&arr(p.d[{k}])"),
            (PKind::VecP, Some(_)) => format!("arr(p.d[{k}])"),
            (PKind::Slice, None) => format!("p.d[{k}]"),
            (PKind::VecP, None) => format!("p.d[{k}].to_vec()"),
            (PKind::Array(_), _) => format!("arr(p.d[{k}])"),
            _ => format!("p.d[{k}][0]"),
        })
        .collect();
    args.join(", ")
}

/// Whether `f` has a slice or `Vec` float parameter (then no `f_hessian`).
fn has_slices(f: &Function) -> bool {
    f.fixed.is_none()
        && float_params(f)
            .iter()
            .any(|q| matches!(q.kind, PKind::Slice | PKind::VecP))
}

/// The wrappers of `f_jvp` (`<name>_j`), `f_hvp` (`<name>_h`) and
/// `f_hessian` (`<name>_hess`) that call them at a `Point` and its
/// direction, giving the slots as lists (scalars as lists of one) as
/// `Grads` does; `args` are the point's arguments.
fn emit_higher_order(out: &mut String, f: &Function, args: &str) {
    let name = &f.name;
    let floats = float_params(f);
    let m = floats.len();
    let dargs = dir_args(f);
    // Slot `k` of the tuple `r` for float parameter `q`, as a list.
    let slot = |q: &Param, k: usize| match q.kind {
        PKind::Scalar => format!("vec![r.{k}]"),
        _ => format!("r.{k}.to_vec()"),
    };
    if f.forward {
        writeln!(
            out,
            "pub fn {name}_j(p: &Point) -> (f64, f64) {{\n    {name}_jvp({args}, {dargs})\n}}\n"
        )
        .unwrap();
    }
    if !f.second {
        return;
    }
    let grads: Vec<String> = floats
        .iter()
        .enumerate()
        .map(|(k, q)| slot(q, k + 1))
        .collect();
    let hd: Vec<String> = floats
        .iter()
        .enumerate()
        .map(|(k, q)| slot(q, m + k + 1))
        .collect();
    writeln!(
        out,
        "pub fn {name}_h(p: &Point) -> Second {{\n    let r = {name}_hvp({args}, {dargs});\n    (r.0, vec![{}], vec![{}])\n}}\n",
        grads.join(", "),
        hd.join(", ")
    )
    .unwrap();
    if !has_slices(f) {
        writeln!(
            out,
            "pub fn {name}_hess(p: &Point) -> Second {{\n    let r = {name}_hessian({args});\n    (r.0, vec![{}], r.{}.iter().map(|row| row.to_vec()).collect())\n}}\n",
            grads.join(", "),
            m + 1
        )
        .unwrap();
    }
}

fn floats_text(xs: &[f64]) -> String {
    let v: Vec<String> = xs.iter().map(|x| format!("{x:?}")).collect();
    v.join(", ")
}

/// `gen_3_grad(&[..], [..], 0.5, 3)`: the call at a point, to reproduce it.
fn call_text(f: &Function, p: &Point) -> String {
    let mut args = point_arg_list(f, p);
    if f.strukt.as_ref().is_some_and(|s| s.method) {
        // `S7 { .. }.gen_7_grad(..)`
        let recv = args.remove(0);
        let recv = recv.strip_prefix('&').unwrap_or(&recv).to_string();
        return format!("{recv}.{}_grad({})", f.name, args.join(", "));
    }
    format!("{}_grad({})", f.name, args.join(", "))
}

/// `gen_3_jvp(&[..], [..], 0.5, 3, &[..], [..], 0.1)`: the call of `f_jvp`
/// at a point and its direction (`f_hvp` takes the same arguments).
fn dir_call_text(f: &Function, p: &Point) -> String {
    dir_call_text_of(f, &f.name, p)
}

/// [`dir_call_text`] for the function `name` (`vgen_<i>`) with `f`'s
/// parameters.
fn dir_call_text_of(f: &Function, name: &str, p: &Point) -> String {
    let dirs: Vec<String> = float_params(f)
        .iter()
        .zip(&p.dirs)
        .map(|(q, d)| match q.kind {
            PKind::Slice => format!("&[{}]", floats_text(d)),
            PKind::VecP if f.fixed.is_some() => format!("[{}]", floats_text(d)),
            PKind::VecP => format!("vec![{}]", floats_text(d)),
            PKind::Array(_) => format!("[{}]", floats_text(d)),
            // (no `f_jvp` for struct functions: printed for the record)
            PKind::Struct(_) => format!("[{}]", floats_text(d)),
            _ => format!("{:?}", d[0]),
        })
        .collect();
    format!("{name}_jvp({}, {})", point_args_text(f, p), dirs.join(", "))
}

/// The arguments of a call at a point, as Rust source.
fn point_args_text(f: &Function, p: &Point) -> String {
    point_arg_list(f, p).join(", ")
}

fn point_arg_list(f: &Function, p: &Point) -> Vec<String> {
    let (mut fi, mut ii, mut bi, mut li) = (0, 0, 0, 0);
    let mut args = Vec::new();
    for q in &f.params {
        let a = match q.kind {
            PKind::Slice => format!("&[{}]", floats_text(&p.floats[fi])),
            PKind::VecP if f.fixed.is_some() => format!("[{}]", floats_text(&p.floats[fi])),
            PKind::VecP => format!("vec![{}]", floats_text(&p.floats[fi])),
            PKind::Array(_) => format!("[{}]", floats_text(&p.floats[fi])),
            PKind::Scalar => format!("{:?}", p.floats[fi][0]),
            PKind::Usize => {
                ii += 1;
                p.ints[ii - 1].to_string()
            }
            PKind::Bool => {
                bi += 1;
                p.bools[bi - 1].to_string()
            }
            PKind::Labels(vec) => {
                li += 1;
                let ls: Vec<String> = p.labels[li - 1].iter().map(ToString::to_string).collect();
                if vec {
                    format!("vec![{}]", ls.join(", "))
                } else {
                    format!("&[{}]", ls.join(", "))
                }
            }
            PKind::Struct(k) => {
                let s = f.strukt.as_ref().expect("struct");
                let n = s.ints();
                ii += n;
                let v = structs::literal(s, &p.floats[fi], &p.ints[ii - n..ii]);
                if s.roots[k].by_value {
                    v
                } else {
                    format!("&{v}")
                }
            }
        };
        if !matches!(q.kind, PKind::Usize | PKind::Bool | PKind::Labels(_)) {
            fi += 1;
        }
        args.push(a);
    }
    args
}

/// The names of `f`'s float slots, for `Case::floats`: `"a"`, `"x[]"`.
fn float_names(f: &Function) -> String {
    let names: Vec<String> = float_params(f)
        .iter()
        .map(|q| match q.kind {
            PKind::Scalar => format!("\"{}\"", q.name),
            // `p.slots()[3]`: the struct's slot 3, in `slots()` order.
            PKind::Struct(_) => format!("\"{}.slots()[]\"", q.name),
            _ => format!("\"{}[]\"", q.name),
        })
        .collect();
    names.join(", ")
}

/// `f`'s points as `Point { .. }, ..`; `calls(p)` gives their `call` and
/// `dcall` texts.
fn points_text(f: &Function, calls: impl Fn(&Point) -> (String, String)) -> String {
    let mut points = String::new();
    for p in &f.points {
        let fl: Vec<String> = p
            .floats
            .iter()
            .map(|xs| format!("&[{}]", floats_text(xs)))
            .collect();
        let ints: Vec<String> = p.ints.iter().map(ToString::to_string).collect();
        let bools: Vec<String> = p.bools.iter().map(ToString::to_string).collect();
        let labels: Vec<String> = p
            .labels
            .iter()
            .map(|ls| {
                let ls: Vec<String> = ls.iter().map(ToString::to_string).collect();
                format!("&[{}]", ls.join(", "))
            })
            .collect();
        let dirs: Vec<String> = p
            .dirs
            .iter()
            .map(|xs| format!("&[{}]", floats_text(xs)))
            .collect();
        let (call, dcall) = calls(p);
        write!(
            points,
            "Point {{ f: &[{}], d: &[{}], i: &[{}], b: &[{}], l: &[{}], call: \"{call}\", dcall: \"{dcall}\" }}, ",
            fl.join(", "),
            dirs.join(", "),
            ints.join(", "),
            bools.join(", "),
            labels.join(", "),
        )
        .unwrap();
    }
    points
}

fn emit_case(out: &mut String, f: &Function, module: &str, no_macro: bool) {
    let name = &f.name;
    let src = format!("{}{}", f.items, function_text(f, true, false));
    let points = points_text(f, |p| (call_text(f, p), dir_call_text(f, p)));
    let (grad, into) = if no_macro {
        ("None".to_string(), "None".to_string())
    } else {
        (
            format!("Some({module}::{name}_g)"),
            if has_into(f) {
                format!("Some({module}::{name}_into)")
            } else {
                "None".into()
            },
        )
    };
    let some = |on: bool, suffix: &str| {
        if on && !no_macro {
            format!("Some({module}::{name}_{suffix})")
        } else {
            "None".to_string()
        }
    };
    let jvp = some(f.forward, "j");
    let hvp = some(f.second, "h");
    let hessian = some(f.second && !has_slices(f), "hess");
    // Which float parameters `f_grad` differentiates (`wrt(..)`).
    let grad_of = if f.strukt.is_some() {
        format!("Some(&{:?})", differentiated(f))
    } else {
        "None".to_string()
    };
    writeln!(
        out,
        "    Case {{ name: \"{name}\", source: r#\"{src}\"#, floats: &[{}], points: &[{points}], \
         plain: {module}::{name}_plain, grad: {grad}, into: {into}, grad_of: {grad_of}, dual: {module}::{name}_dual, \
         jvp: {jvp}, hvp: {hvp}, hessian: {hessian}, hyper: {module}::{name}_hyper }},",
        float_names(f)
    )
    .unwrap();
}

// ---------------------------------------------------------------------------
// Coverage
// ---------------------------------------------------------------------------

/// Constructs every default run must generate at least once.
const REQUIRED: &[&str] = &[
    "param_slice",
    "param_vec",
    "param_array",
    "param_scalar",
    "param_usize",
    "param_bool",
    "two_slices",
    "let",
    "let_annotated",
    "shadow",
    "shadow_param",
    "assign",
    "add_assign",
    "sub_assign",
    "mul_assign",
    "div_assign",
    "horner",
    "running_max",
    "running_min",
    "lse",
    "lse_softmax_loss",
    "lse_without_max",
    "lse_times_max",
    "product",
    "assign_squashed",
    "local_array_zeros",
    "local_array_literal",
    "element_assign",
    "element_compound_assign",
    "if",
    "else_if",
    "else",
    "if_value",
    "block_expr",
    "cond_float",
    "cond_int",
    "cond_and",
    "cond_or",
    "cond_not",
    "for_range",
    "for_rev",
    "for_range_n",
    "for_iter_copied",
    "for_iter_ref",
    "for_slice_direct",
    "for_vec_ref",
    "for_enumerate",
    "for_enumerate_copied",
    "for_zip",
    "for_array_range",
    "for_array_inclusive",
    "for_array_rev",
    "for_array_value",
    "for_array_ref",
    "for_array_len",
    "nested_loop",
    "while",
    "while_grow",
    "while_shrink",
    "while_or",
    "while_and",
    "while_in_for",
    "loop_break",
    "loop_in_for",
    "break_for",
    "break_while",
    "break_loop",
    "return_in_loop",
    "return_in_branch",
    "flag",
    "set_flag",
    "sum",
    "sum_map",
    "sum_zip",
    "as_f64",
    "index_reversed",
    "index_modulo",
    "index_by_param",
    "ref_operand",
    "sink",
    "add",
    "sub",
    "mul",
    "div",
    "neg",
    "exp",
    "ln",
    "sqrt",
    "tanh",
    "sin",
    "cos",
    "max",
    "min",
    "abs",
    "powi2",
    "powi3",
    "continue",
    "labeled_continue",
    "labeled_break",
    "match",
    "match_value",
    "match_bool",
    "match_binding",
    "match_guard",
    "match_return",
    "local_array_in_loop",
    "param_labels",
    "param_labels_vec",
    "for_labels_copied",
    "for_labels_enumerate",
    "for_labels_zip",
    "cast_int",
    "index_cast",
    "int_const_array",
    "int_const_read",
    "int_const_match",
    "fixed_len",
    // struct parameters (`build/structs.rs`)
    "struct_fn",
    "struct_ref",
    "struct_value",
    "struct_self",
    "struct_method",
    "struct_wrt",
    "struct_wrt_floats",
    "struct_const_param",
    "struct_field_scalar",
    "struct_field_array",
    "struct_field_matrix",
    "struct_field_vec",
    "struct_field_nested",
    "struct_field_int",
    "struct_read_matrix",
    "struct_row_loop",
    "struct_row_let",
    "struct_int_cast",
];

/// What the generator produced, for `meta.rs`.
#[derive(Default)]
struct Stats {
    counts: Coverage,
    lines: usize,
    max_lines: usize,
    /// Functions marked `forward`, marked `hessian`, and with `f_hessian`.
    forward: usize,
    second: usize,
    hessian: usize,
}

impl Stats {
    fn add(&mut self, f: &Function) {
        self.counts.merge(&f.cov);
        self.forward += usize::from(f.forward);
        self.second += usize::from(f.second);
        self.hessian += usize::from(f.second && !has_slices(f));
        if !f.assigned.is_empty() {
            self.counts.add("let_mut", f.assigned.len());
        }
        let lines = function_text(f, false, false).lines().count();
        self.lines += lines;
        self.max_lines = self.max_lines.max(lines);
    }

    fn emit(&self, out: &mut String, exclude: &BTreeSet<String>) {
        self.counts.write_table(
            out,
            "(construct, uses) over all generated functions.",
            "COVERAGE",
            self.counts.names(),
        );
        let required: Vec<&str> = REQUIRED
            .iter()
            .chain(everyday::REQUIRED)
            .copied()
            .filter(|k| !exclude.contains(*k))
            .collect();
        // Checked only when nothing but the default exclusions is left out.
        let check = exclude
            .iter()
            .all(|e| DEFAULT_EXCLUDE.contains(&e.as_str()));
        writeln!(
            out,
            "/// Constructs every run of at least 300 functions must generate.\n\
             pub static REQUIRED: &[&str] = &{required:?};\n\
             pub const CHECK_COVERAGE: bool = {check};"
        )
        .unwrap();
        writeln!(
            out,
            "/// Functions marked `forward` (with `f_jvp`), marked `hessian` (with `f_hvp`), \
             and with `f_hessian` (no slice or `Vec` parameter).\n\
             pub const HIGHER_ORDER: (usize, usize, usize) = ({}, {}, {});",
            self.forward, self.second, self.hessian
        )
        .unwrap();
        let refused: Vec<String> = NOT_FORWARD
            .iter()
            .map(|(k, why)| format!("{k} (no forward: {why})"))
            .chain(
                NOT_HESSIAN
                    .iter()
                    .map(|(k, why)| format!("{k} (no hessian: {why})")),
            )
            .chain(
                NOT_F_HESSIAN
                    .iter()
                    .map(|(k, why)| format!("{k} (no f_hessian: {why})")),
            )
            .collect();
        writeln!(
            out,
            "/// Constructs kept out of `forward` or `hessian`, and why.\npub static NOT_HIGHER_ORDER: &[&str] = &{refused:?};"
        )
        .unwrap();
        writeln!(
            out,
            "/// Lines of the generated functions: total and longest.\npub const LINES: (usize, usize) = ({}, {});",
            self.lines, self.max_lines
        )
        .unwrap();
    }
}
