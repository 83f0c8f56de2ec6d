//! Functions generic over their float type (issue 12): for a share
//! [`GENERIC_CHANCE`] of the functions without a cast to an integer (about
//! one function in five of all), next to `gen_<i>`,
//!
//! * `#[grad(forward, hessian)] pub fn ggen_<i><T: num_traits::Float>(x0: T, ..) -> T`
//!   (`T: num_traits::Float + num_traits::NumAssign` if it has `+=`, `-=`,
//!   `*=` or `/=`, which `Float` lacks), `gen_<i>`'s tree printed over `T`: every `f64` type is `T`, every
//!   float literal `c` is `T::from(c).unwrap()` (a negated literal
//!   `T::from(-c).unwrap()`), the constants `T::from(std::f64::consts::PI).unwrap()`,
//!   the path calls `T::exp(x)`; method calls are as they were. The macro
//!   instantiates it at `f64` and `f32`.
//!
//! Its checks reuse `gen_<i>`'s oracle and points: `ggen_<i>_grad::<f64>`
//! (and `_jvp`, `_hvp`, `_hessian`) in the table `GCASES` of
//! `gcases_<s>.rs` (rows of the same `Case` as `CASES`), and
//! `ggen_<i>::<f32>`, `ggen_<i>_grad::<f32>` in `GCASES32`.
//!
//! Left out: functions with a cast from float to integer (`e as i32`, and
//! with it every integer construct of issue 11 but the array declarations):
//! `num_traits`' spelling, `e.to_i32().unwrap()`, is rejected by `#[grad]`
//! ("supports `.unwrap()` only on `.max_by(..)` ..."); about 70% of the
//! functions have such a cast. Whether `gen_<i>` gets a `ggen_<i>` is
//! drawn from a stream of its own, so nothing else changes.

use super::{Function, Op, STMT_KINDS, Stats, kind_excluded, lit_text};
use std::cell::Cell;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// Chance that function `i`, if it has no cast to an integer, is also
/// emitted as a generic `ggen_<i>`.
const GENERIC_CHANCE: f64 = 0.6;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Printing `f64` code.
    Off,
    /// Printing over `T`.
    On,
    /// Over `T`, the constants `PI` and `E` as decimal literals (in a
    /// function with a `match` or an integer array: see [`constant`]).
    ConstLiterals,
}

thread_local! {
    static MODE: Cell<Mode> = const { Cell::new(Mode::Off) };
}

/// Whether the printer writes the generic form.
pub(super) fn on() -> bool {
    MODE.get() != Mode::Off
}

/// The float type's name in paths: `f64`, or `T`.
pub(super) fn float() -> &'static str {
    if on() { "T" } else { "f64" }
}

/// A literal (its text, maybe negative) over `T`.
pub(super) fn lit(text: &str) -> String {
    format!("T::from({text}).unwrap()")
}

/// `std::f64::consts::{c}` over `T`: `T::from(std::f64::consts::PI).unwrap()`,
/// or `T::from(3.141592653589793).unwrap()` in a function with a `match`
/// or a constant integer array, where `#[grad]` drops the cast `as f32`
/// of the `f32` instance (a macro bug: with `let p = T::from(std::f64::consts::PI).unwrap() * x;`,
/// `if x > p { p } else { x }` fails to compile, "expected `f32`, found
/// `f64`", and so does `p * x` after `let c: &[i32] = &[1, 2];`).
pub(super) fn constant(c: &str) -> String {
    if MODE.get() == Mode::ConstLiterals {
        let v = match c {
            "PI" => std::f64::consts::PI,
            _ => std::f64::consts::E,
        };
        lit(&lit_text(v))
    } else {
        lit(&format!("std::f64::consts::{c}"))
    }
}

pub(super) enum Choice {
    /// No generic form.
    No,
    /// Not eligible: it has a cast to an integer.
    LeftOut,
    Yes,
}

/// Whether `gen_<index>` (`f`) also gets a `ggen_<index>`.
pub(super) fn choose(
    seed: u64,
    index: usize,
    f: &Function,
    exclude: &BTreeSet<String>,
    no_macro: bool,
) -> Choice {
    let mut rng = fastrand::Rng::with_seed(super::stream(seed, index) ^ 0x6E6E_E71C_0000_0012);
    let drawn = rng.f64() < GENERIC_CHANCE;
    let src = super::source(f, false);
    if exclude.contains("generic") || no_macro {
        Choice::No
    } else if [" as i32", " as i64", " as usize"]
        .iter()
        .any(|c| src.contains(c))
    {
        Choice::LeftOut
    } else if drawn {
        Choice::Yes
    } else {
        Choice::No
    }
}

/// `ggen_<i>`'s source text (with the attribute when `attr`).
pub(super) fn source(f: &Function, attr: bool) -> String {
    let plain = super::source(f, false);
    let hit_by_bug = plain.contains("match ") || plain.contains("[i32");
    MODE.set(if hit_by_bug {
        Mode::ConstLiterals
    } else {
        Mode::On
    });
    let text = super::source(f, attr);
    MODE.set(Mode::Off);
    // `Float` has no `+=`: a function with a compound assignment is bound
    // by `NumAssign` too.
    let bound = if [" += ", " -= ", " *= ", " /= "]
        .iter()
        .any(|op| text.contains(op))
    {
        "num_traits::Float + num_traits::NumAssign"
    } else {
        "num_traits::Float"
    };
    let mut out = String::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("pub fn gen_") {
            // `pub fn gen_7(x0: f64, x1: f64) -> f64 {`
            let (index, rest) = rest.split_once('(').unwrap();
            let rest = rest.replace(": f64", ": T").replace("-> f64", "-> T");
            writeln!(out, "pub fn ggen_{index}<T: {bound}>({rest}").unwrap();
        } else {
            writeln!(out, "{line}").unwrap();
        }
    }
    out
}

pub(super) fn emit_function(out: &mut String, f: &Function) {
    out.push_str(&source(f, true));
    out.push('\n');
}

/// Its rows of `GCASES` (`t64`: the `f64` instance, with `gen_<i>`'s oracle,
/// points and directions) and `GCASES32` (`t32`: the `f32` instance).
pub(super) fn emit_case(t64: &mut String, t32: &mut String, f: &Function, module: &str) {
    let mut row = String::new();
    super::emit_case(&mut row, f, module);
    // The same row as `gen_<i>`'s but for the source and the functions
    // under test (the oracles stay `gen_<i>_oracle`).
    let name = &f.name;
    let gname = format!("g{name}");
    let (before, after) = row.split_once("source: r#\"").unwrap();
    let (_, after) = after.split_once("\"#").unwrap();
    let after = after
        .replace(
            &format!("{module}::{name}, "),
            &format!("{module}::{gname}::<f64>, "),
        )
        .replace(
            &format!("{module}::{name}_grad,"),
            &format!("{module}::{gname}_grad::<f64>,"),
        )
        .replace(
            &format!("{module}::{name}_jvp)"),
            &format!("{module}::{gname}_jvp::<f64>)"),
        )
        .replace(
            &format!("{module}::{name}_hvp,"),
            &format!("{module}::{gname}_hvp::<f64>,"),
        )
        .replace(
            &format!("{module}::{name}_hessian,"),
            &format!("{module}::{gname}_hessian::<f64>,"),
        );
    let before = before.replace(&format!("\"{name}\""), &format!("\"{gname}\""));
    write!(t64, "{before}source: r#\"{}\"#{after}", source(f, true)).unwrap();
    writeln!(
        t32,
        "    Fns32::P{p}({module}::{gname}::<f32>, {module}::{gname}_grad::<f32>),",
        p = f.params
    )
    .unwrap();
}

/// Constructs a generic function can have (no integer needs a cast):
/// everything but issue 11's, its array declarations and `match` on a
/// comparison.
fn possible(kind: &str) -> bool {
    super::group_of(kind).is_none()
        || ["int_array", "int_slice", "match_bool", "match_let"].contains(&kind)
}

/// `GENERIC_FUNCTIONS`, `GENERIC_LEFT_OUT` and the coverage of the generic
/// functions (`GENERIC_OP_COVERAGE`, `GENERIC_SYNTAX_COVERAGE`) in `meta.rs`.
pub(super) fn emit_meta(
    out: &mut String,
    stats: &Stats,
    left_out: usize,
    ops: &[Op],
    exclude: &BTreeSet<String>,
) {
    writeln!(
        out,
        "/// Generic functions `ggen_<i><T: Float>` (issue 12).\npub const GENERIC_FUNCTIONS: usize = {};\n/// Functions that cannot have a generic form (a cast to an integer).\npub const GENERIC_LEFT_OUT: usize = {left_out};",
        stats.params.iter().sum::<usize>()
    )
    .unwrap();
    writeln!(
        out,
        "/// (op, method-form uses, path-form uses) in the generic functions.\npub static GENERIC_OP_COVERAGE: &[(&str, usize, usize)] = &["
    )
    .unwrap();
    for name in ops.iter().map(|op| op.name()) {
        if !exclude.contains(name) {
            let (m, p) = (stats.method.get(name), stats.path.get(name));
            writeln!(out, "    (\"{name}\", {m}, {p}),").unwrap();
        }
    }
    writeln!(out, "];").unwrap();
    stats.syntax.write_table(
        out,
        "(syntax or statement kind, uses) in the generic functions: the kinds they can have.",
        "GENERIC_SYNTAX_COVERAGE",
        STMT_KINDS
            .iter()
            .copied()
            .filter(|k| possible(k) && !kind_excluded(k, exclude)),
    );
}
