//! Struct parameters (issue 12): about a quarter of the functions
//! (`STRUCT_PERCENT`) take some of their float inputs through a struct
//! `S<i>` (`#[derive(autodiff_core::Differentiable, Clone, Debug)]`),
//! `p: &S<i>` or `p: S<i>`, or are a method
//! `impl S<i> { #[grad(wrt(self, ..))] pub fn gen_<i>(&self, ..) -> f64 }`.
//!
//! The struct gets some of the parameters the function would have had (its
//! scalars `a`, `b`, `c`, its array `w`, its second slice `y` as a `Vec`
//! field, its `n`), and new fields: a `[[f64; C]; R]` matrix `m`, a `Vec`
//! `v`, a scalar `h`, a nested struct `inner: S<i>_1`, an integer `k`. The
//! body reads them where it would read parameters (`p.a`, `p.w[i]`,
//! `p.inner.c2[j]`, `p.m[j][i]`, rows of `p.m`, `0..p.k`); every `Vec`
//! field has the point's slice length. The decision and the struct are
//! drawn from a fifth random stream (the other functions are unchanged);
//! the body of a struct function is drawn as any other, over those names.
//!
//! The oracle takes `S<i>O<D>`, the same struct over `D` (no derive), and
//! the test passes both as one flat list of floats in slot order (fields
//! in declaration order, arrays and `Vec`s element by element, a nested
//! struct's slots in place), which the builders `gen_<i>_new` and
//! `gen_<i>_onew` read back in that order; the gradient's
//! `Differentiable::slots()` is compared with the oracle's partials in the
//! same order.

use super::{E, Gen, Lim, PKind, Param, S, VK, X_MAX, splitmix};
use std::fmt::Write as _;

/// Percentage of the eligible functions with a struct parameter: those
/// that draw neither a fixed length (`f_hessian`) nor a `vgen_<i>`
/// companion, which a struct function cannot have, so that those checks
/// keep their functions (a struct function has no `f_jvp` or `f_hvp`
/// either). About 52% of the functions are eligible: 25% of all.
pub(super) const STRUCT_PERCENT: u32 = 48;

/// The type of a field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum FTy {
    F64,
    /// `[f64; K]`
    Arr(usize),
    /// `[[f64; cols]; rows]`
    Arr2(usize, usize),
    /// `Vec<f64>` of the point's slice length.
    Vec,
    /// `usize`, a constant `1 <= k <= len`.
    Usize,
    /// A nested struct: `defs[i]`.
    Nested(usize),
}

pub(super) struct Def {
    pub name: String,
    pub fields: Vec<(String, FTy)>,
}

/// A struct parameter (`p`, `q`) or `self`.
#[derive(Clone, Debug)]
pub(super) struct Root {
    pub name: String,
    pub by_value: bool,
}

pub(super) struct Strukt {
    /// `defs[0]` is the parameters' type, the others nested in it.
    pub defs: Vec<Def>,
    pub roots: Vec<Root>,
    /// `self` is `roots[0]`, the first parameter.
    pub method: bool,
    /// `wrt(..)`'s names, or `None` for `#[grad]`.
    pub wrt: Option<Vec<String>>,
}

impl Strukt {
    /// Float slots and `Vec`s (of the point's length) of `defs[d]`.
    fn counts(&self, d: usize) -> (usize, usize, usize) {
        let (mut fixed, mut vecs, mut ints) = (0, 0, 0);
        for (_, t) in &self.defs[d].fields {
            match *t {
                FTy::F64 => fixed += 1,
                FTy::Arr(k) => fixed += k,
                FTy::Arr2(r, c) => fixed += r * c,
                FTy::Vec => vecs += 1,
                FTy::Usize => ints += 1,
                FTy::Nested(i) => {
                    let (f, v, n) = self.counts(i);
                    fixed += f;
                    vecs += v;
                    ints += n;
                }
            }
        }
        (fixed, vecs, ints)
    }

    /// Float slots of the struct at slice length `len`, and its integers.
    pub fn slots(&self, len: usize) -> (usize, usize) {
        let (f, v, n) = self.counts(0);
        (f + v * len, n)
    }

    /// The integer fields (their values are drawn for each point).
    pub fn ints(&self) -> usize {
        self.counts(0).2
    }

    /// Whether `defs[d]` has an array, matrix or `Vec` field (nested too).
    fn has_arrays(&self, d: usize) -> bool {
        self.defs[d].fields.iter().any(|(_, t)| match *t {
            FTy::Arr(_) | FTy::Arr2(..) | FTy::Vec => true,
            FTy::Nested(i) => self.has_arrays(i),
            _ => false,
        })
    }

    /// Whether root `name` is differentiated.
    pub fn differentiated(&self, name: &str) -> bool {
        self.wrt
            .as_ref()
            .is_none_or(|w| w.iter().any(|n| n == name))
    }
}

impl Gen {
    /// Runs `f` with the struct stream in place of the first one.
    fn with_srng<T>(&mut self, srng: &mut fastrand::Rng, f: impl FnOnce(&mut Gen) -> T) -> T {
        std::mem::swap(&mut self.rng, srng);
        let out = f(self);
        std::mem::swap(&mut self.rng, srng);
        out
    }

    /// Maybe turns function `index` into a struct function: moves some of
    /// `params` into a struct, adds fields, and puts the struct parameter(s)
    /// among `params`.
    pub(super) fn plan_struct(
        &mut self,
        seed: u64,
        index: usize,
        params: &mut Vec<Param>,
    ) -> Option<Strukt> {
        if !self.ok("structs") {
            return None;
        }
        let mut srng = fastrand::Rng::with_seed(splitmix(
            seed ^ splitmix(index as u64) ^ 0x57_2C_7F_A2_A3_00_00_12,
        ));
        let fixed = self.ok("fixed_len") && super::fixed_drawn(seed, index);
        let vector = self.ok("vector") && super::vector::drawn(seed, index);
        if srng.u32(0..100) >= STRUCT_PERCENT || fixed || vector {
            return None;
        }
        self.with_srng(&mut srng, |g| g.plan_struct_here(index, params))
    }

    fn plan_struct_here(&mut self, index: usize, params: &mut Vec<Param>) -> Option<Strukt> {
        self.count("struct_fn");
        let method = self.ok("struct_method") && self.chance(20);
        let by_value = !method && self.ok("struct_value") && self.chance(30);
        // By value, `#[grad]` does not compile a body reading an array or
        // `Vec` field (README, "Bugs found"): `struct_value_arrays`.
        let arrays_ok = !by_value || self.ok("struct_value_arrays");
        let mut fields: Vec<(String, FTy)> = Vec::new();
        let mut kept = Vec::new();
        for q in params.drain(..) {
            let moved = match q.kind {
                PKind::Scalar => self.chance(60).then_some(FTy::F64),
                PKind::Array(k) => (arrays_ok && self.chance(65)).then_some(FTy::Arr(k)),
                // The second slice only: `x` stays (slice length, labels).
                PKind::Slice | PKind::VecP if q.name != "x" => {
                    (arrays_ok && self.chance(60)).then_some(FTy::Vec)
                }
                PKind::Usize => self.chance(50).then_some(FTy::Usize),
                _ => None,
            };
            match moved {
                Some(t) => fields.push((q.name, t)),
                None => kept.push(q),
            }
        }
        *params = kept;
        let mut defs = vec![Def {
            name: format!("S{index}"),
            fields: Vec::new(),
        }];
        if arrays_ok && self.chance(40) {
            let (r, c) = (self.rng.usize(2..=3), self.rng.usize(2..=3));
            fields.push(("m".into(), FTy::Arr2(r, c)));
        }
        if arrays_ok && self.chance(35) {
            fields.push(("v".into(), FTy::Vec));
        }
        if self.chance(35) {
            let mut inner = vec![("b2".to_string(), FTy::F64)];
            if arrays_ok && self.chance(70) {
                let t = if self.chance(60) {
                    FTy::Arr(self.rng.usize(2..=4))
                } else {
                    FTy::Vec
                };
                inner.push(("c2".into(), t));
            }
            self.rng.shuffle(&mut inner);
            defs.push(Def {
                name: format!("S{index}_1"),
                fields: inner,
            });
            fields.push(("inner".into(), FTy::Nested(1)));
        }
        if !fields.iter().any(|(_, t)| *t == FTy::Usize) && self.chance(30) {
            fields.push(("k".into(), FTy::Usize));
        }
        let floats = fields
            .iter()
            .filter(|(_, t)| !matches!(t, FTy::Usize))
            .count();
        if floats < 2 || self.chance(25) {
            fields.push(("h".into(), FTy::F64));
        }
        self.rng.shuffle(&mut fields);
        defs[0].fields = fields;
        let root = if method { "self" } else { "p" };
        let mut roots = vec![Root {
            name: root.into(),
            by_value,
        }];
        let mut s = Strukt {
            defs,
            roots: Vec::new(),
            method,
            wrt: None,
        };
        // `wrt(..)`: always for a method; a second struct parameter `q`
        // (a constant) only with it.
        let wrt = method || self.chance(50);
        if wrt {
            let mut names = vec![root.to_string()];
            for q in params.iter() {
                if matches!(
                    q.kind,
                    PKind::Scalar | PKind::Array(_) | PKind::Slice | PKind::VecP
                ) && self.chance(40)
                {
                    names.push(q.name.clone());
                }
            }
            self.count("struct_wrt");
            if names.len() > 1 {
                self.count("struct_wrt_floats");
            }
            if method {
                self.count("struct_method");
            }
            s.wrt = Some(names);
            if !method && self.chance(35) {
                // By value it does not compile (README, "Bugs found"):
                // `struct_value_const`.
                let q_value = self.ok("struct_value_const")
                    && (arrays_ok || !s.has_arrays(0))
                    && self.chance(30);
                self.count("struct_const_param");
                roots.push(Root {
                    name: "q".into(),
                    by_value: q_value,
                });
            }
        }
        self.count(if method {
            "struct_self"
        } else if by_value {
            "struct_value"
        } else {
            "struct_ref"
        });
        // The struct parameters among the others (`self` first).
        for (k, r) in roots.iter().enumerate() {
            let at = if method {
                0
            } else {
                self.rng.usize(0..=params.len())
            };
            params.insert(
                at,
                Param {
                    name: r.name.clone(),
                    kind: PKind::Struct(k),
                },
            );
        }
        s.roots = roots;
        Some(s)
    }

    /// Declares the fields of every struct parameter as variables
    /// (`p.a`, `p.inner.c2`), and counts them.
    pub(super) fn declare_fields(&mut self, s: &Strukt) {
        for r in &s.roots {
            self.declare_def(s, 0, &r.name.clone());
        }
    }

    /// The fields of struct definition `d` under `prefix`; rows of every
    /// matrix may go into locals (a struct that `wrt` leaves out too).
    fn declare_def(&mut self, s: &Strukt, d: usize, prefix: &str) {
        for (name, t) in &s.defs[d].fields {
            let path = format!("{prefix}.{name}");
            match *t {
                FTy::F64 => {
                    self.count("struct_field_scalar");
                    self.declare(&path, VK::Scalar { assignable: false }, X_MAX);
                }
                FTy::Arr(k) => {
                    self.count("struct_field_array");
                    self.declare(&path, VK::Array { k, local: false }, X_MAX);
                }
                FTy::Arr2(rows, cols) => {
                    self.count("struct_field_matrix");
                    self.declare(
                        &path,
                        VK::Array2 {
                            rows,
                            cols,
                            row_locals: true,
                        },
                        X_MAX,
                    );
                }
                FTy::Vec => {
                    self.count("struct_field_vec");
                    self.vec_params.insert(path.clone());
                    self.declare(&path, VK::Slice, X_MAX);
                }
                FTy::Usize => {
                    self.count("struct_field_int");
                    self.declare(&path, VK::Usize, super::MAX_LEN as f64);
                }
                FTy::Nested(i) => {
                    self.count("struct_field_nested");
                    self.declare_def(s, i, &path);
                }
            }
        }
    }

    /// `p.m[i][j]`: an element of a matrix field (`None` if there is none).
    pub(super) fn matrix_leaf(&mut self) -> Option<(E, f64)> {
        let ms = self.of_kind(|k| matches!(k, VK::Array2 { .. }));
        if ms.is_empty() {
            return None;
        }
        let m = self.pick(&ms);
        let VK::Array2 { rows, cols, .. } = m.kind else {
            unreachable!()
        };
        let i = self.index_for(&m.name, Lim::Const(rows));
        // `p.m[0].len()` is not an index bound `index_for` writes: cols.
        let j = self.index_for(&format!("{}[0]", m.name), Lim::Const(cols));
        self.count("struct_read_matrix");
        Some((E::Index(m.name, format!("{i}][{j}")), m.bound))
    }

    /// A loop over the rows of a matrix field, if one is visible and drawn:
    /// `for (j, row) in p.m.iter().enumerate()`, `for row in p.m.iter()`
    /// (rows `&[f64; C]`, only indexed) or `for row in p.m` (rows by
    /// value, arrays as any other). Declares the loop variables; returns
    /// the header and the trip count.
    pub(super) fn row_loop(&mut self, level: usize) -> Option<(String, usize)> {
        let ms = self.of_kind(|k| {
            matches!(
                k,
                VK::Array2 {
                    row_locals: true,
                    ..
                }
            )
        });
        if ms.is_empty() || !self.chance(35) {
            return None;
        }
        let m = self.pick(&ms);
        let VK::Array2 { rows, cols, .. } = m.kind else {
            unreachable!()
        };
        let idx = ["i", "j", "l"][level].to_string();
        let row = format!("row{level}");
        let mn = &m.name;
        self.count("struct_row_loop");
        let header = match self.rng.u32(0..3) {
            0 => {
                self.declare(&idx, VK::Index(Lim::Const(rows)), 0.0);
                self.declare(&row, VK::RowRef(cols), m.bound);
                format!("for ({idx}, {row}) in {mn}.iter().enumerate()")
            }
            1 => {
                self.declare(&row, VK::RowRef(cols), m.bound);
                format!("for {row} in {mn}.iter()")
            }
            _ => {
                self.declare(
                    &row,
                    VK::Array {
                        k: cols,
                        local: false,
                    },
                    m.bound,
                );
                format!("for {row} in {mn}")
            }
        };
        Some((header, rows))
    }

    /// Now and then, `let r = &p.m[i];` or `let r = p.m[i];`: a row of a
    /// matrix field in a local (read by index, or as an array).
    pub(super) fn row_let(&mut self) -> Option<S> {
        let ms = self.of_kind(|k| {
            matches!(
                k,
                VK::Array2 {
                    row_locals: true,
                    ..
                }
            )
        });
        if ms.is_empty() || !self.chance(15) {
            return None;
        }
        let m = self.pick(&ms);
        let VK::Array2 { rows, cols, .. } = m.kind else {
            unreachable!()
        };
        let i = self.index_for(&m.name, Lim::Const(rows));
        let name = self.fresh("rw");
        self.count("struct_row_let");
        let text = if self.chance(50) {
            self.declare(&name, VK::RowRef(cols), m.bound);
            format!("let {name} = &{}[{i}];", m.name)
        } else {
            self.declare(
                &name,
                VK::Array {
                    k: cols,
                    local: false,
                },
                m.bound,
            );
            format!("let {name} = {}[{i}];", m.name)
        };
        Some(S::Raw(text))
    }

    /// `tail + 0.1 * (p.k as f64)` for each integer field: `#[grad]` tells
    /// an integer field from a float one by its uses (a range bound, a
    /// whole index, an `as` operand), and `p.k > 2` or `x[p.k - 1]` alone
    /// do not tell it (README, "Bugs found").
    pub(super) fn int_fields_in_tail(&mut self, tail: E) -> E {
        let ints: Vec<String> = self
            .visible()
            .into_iter()
            .filter(|v| v.kind == VK::Usize && v.name.contains('.'))
            .map(|v| v.name)
            .collect();
        let mut e = tail;
        for n in ints {
            self.count("struct_int_cast");
            let t = E::Bin('*', Box::new(E::Lit(0.1)), Box::new(E::AsF64(n)));
            e = E::Bin('+', Box::new(e), Box::new(t));
        }
        e
    }
}

// ---------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------

/// The name of `defs[d]` in the `#[grad]` form or the oracle's.
fn type_name(s: &Strukt, d: usize, oracle: bool) -> String {
    if oracle {
        format!("{}O<D>", s.defs[d].name)
    } else {
        s.defs[d].name.clone()
    }
}

fn field_type(s: &Strukt, t: FTy, oracle: bool) -> String {
    let f = if oracle { "D" } else { "f64" };
    match t {
        FTy::F64 => f.into(),
        FTy::Arr(k) => format!("[{f}; {k}]"),
        FTy::Arr2(r, c) => format!("[[{f}; {c}]; {r}]"),
        FTy::Vec => format!("Vec<{f}>"),
        FTy::Usize => "usize".into(),
        FTy::Nested(i) => type_name(s, i, oracle),
    }
}

/// The parameter's type: `&S7`, `S7`, `&S7O<D>`.
pub(super) fn param_type(s: &Strukt, root: usize, oracle: bool) -> String {
    let t = type_name(s, 0, oracle);
    if s.roots[root].by_value {
        t
    } else {
        format!("&{t}")
    }
}

/// The struct definitions (`#[grad]` form: deriving `Differentiable`).
pub(super) fn defs_text(s: &Strukt, oracle: bool) -> String {
    let mut out = String::new();
    for (d, def) in s.defs.iter().enumerate().rev() {
        if oracle {
            out.push_str("#[derive(Clone, Debug)]\n");
        } else {
            out.push_str("#[derive(autodiff_core::Differentiable, Clone, Debug)]\n");
        }
        writeln!(out, "pub struct {} {{", type_name(s, d, oracle)).unwrap();
        for (name, t) in &def.fields {
            writeln!(out, "    pub {name}: {},", field_type(s, *t, oracle)).unwrap();
        }
        out.push_str("}\n");
    }
    out
}

/// A value of `defs[d]` whose floats are `f()` and integers `i()`, in slot
/// order, as Rust source; `vec(n)` writes a `Vec` of `n` floats.
fn value_text(
    s: &Strukt,
    d: usize,
    oracle: bool,
    f: &mut dyn FnMut() -> String,
    i: &mut dyn FnMut() -> String,
    vec: &mut dyn FnMut(&mut dyn FnMut() -> String) -> String,
) -> String {
    let mut parts = Vec::new();
    for (name, t) in &s.defs[d].fields {
        let v = match *t {
            FTy::F64 => f(),
            FTy::Arr(k) => {
                let xs: Vec<String> = (0..k).map(|_| f()).collect();
                format!("[{}]", xs.join(", "))
            }
            FTy::Arr2(r, c) => {
                let rows: Vec<String> = (0..r)
                    .map(|_| {
                        let xs: Vec<String> = (0..c).map(|_| f()).collect();
                        format!("[{}]", xs.join(", "))
                    })
                    .collect();
                format!("[{}]", rows.join(", "))
            }
            FTy::Vec => vec(f),
            FTy::Usize => i(),
            FTy::Nested(n) => value_text(s, n, oracle, f, i, vec),
        };
        parts.push(format!("{name}: {v}"));
    }
    let name = if oracle {
        format!("{}O", s.defs[d].name)
    } else {
        s.defs[d].name.clone()
    };
    format!("{name} {{ {} }}", parts.join(", "))
}

/// The builders `<fname>_new(f: &[f64], i: &[usize]) -> S7` and
/// `<fname>_onew<D: Copy>(f: &[D], i: &[usize]) -> S7O<D>`: the struct
/// from its float slots and integers in slot order (the `Vec`s have the
/// length the slots leave).
pub(super) fn builders_text(s: &Strukt, fname: &str) -> String {
    let (fixed, vecs, _) = s.counts(0);
    let mut out = String::new();
    for oracle in [false, true] {
        let (sig, t) = if oracle {
            (
                format!("{fname}_onew<D: Copy>(f: &[D], i: &[usize])"),
                type_name(s, 0, true),
            )
        } else {
            (
                format!("{fname}_new(f: &[f64], i: &[usize])"),
                type_name(s, 0, false),
            )
        };
        let mut nf = || "nf()".to_string();
        let mut ni = || "ni()".to_string();
        let mut vec =
            |_: &mut dyn FnMut() -> String| "(0..len).map(|_| nf()).collect()".to_string();
        let value = value_text(s, 0, oracle, &mut nf, &mut ni, &mut vec);
        let len = if vecs > 0 {
            format!("(f.len() - {fixed}) / {vecs}")
        } else {
            "0".into()
        };
        writeln!(
            out,
            "pub fn {sig} -> {t} {{\n    let len = {len};\n    let mut fs = f.iter().copied();\n    let mut is = i.iter().copied();\n    let mut nf = || fs.next().unwrap();\n    let mut ni = || is.next().unwrap();\n    let s = {value};\n    assert!(fs.next().is_none() && is.next().is_none());\n    let _ = len;\n    s\n}}\n"
        )
        .unwrap();
    }
    out
}

/// The struct at a point, as a literal (`S7 { a: 0.5, w: [..], .. }`),
/// from its float slots `xs` and integers `ns`.
pub(super) fn literal(s: &Strukt, xs: &[f64], ns: &[usize]) -> String {
    let (fixed, vecs, _) = s.counts(0);
    let len = (xs.len() - fixed).checked_div(vecs).unwrap_or(0);
    let mut fi = xs.iter();
    let mut ii = ns.iter();
    let mut f = || format!("{:?}", fi.next().unwrap());
    let mut i = || ii.next().unwrap().to_string();
    let mut vec = |f: &mut dyn FnMut() -> String| {
        let v: Vec<String> = (0..len).map(|_| f()).collect();
        format!("vec![{}]", v.join(", "))
    };
    value_text(s, 0, false, &mut f, &mut i, &mut vec)
}
