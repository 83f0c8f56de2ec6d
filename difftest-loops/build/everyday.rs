//! The generator's everyday forms of issue 15: `const` and `static` tables
//! at module level (float tables read by index and iterated, a 2-D table,
//! integer tables as indices, a table in a module, `T.len()`), closures
//! bound to a name (one or two arguments, capturing variables, called more
//! than once, a `move` closure whose captured variable changes afterwards),
//! the reductions (`product`, `fold` with `max`/`min` and with a closure,
//! `max_by`/`min_by`, `reduce`, after `.map(..)`, `.rev()`, `.skip(1)`),
//! and `loop` as a value (`let r = loop { .. break e; };`, an integer
//! `break k`, `break 'v e` out of a `for` inside it).
//!
//! They are drawn from a third random stream, `State::rng` (swapped in by
//! `Gen::with_rng3`): the decision to make one and everything inside it, so
//! that the first two streams draw the older constructs as before (what a
//! new construct declares can still change later choices). In the oracle,
//! tables are read through `D::from`, closures take `D`, a `max_by` is
//! `o::pick` (an explicit loop whose comparisons count ties as `max` does),
//! a product or a `fold(.., f64::max)` a `fold` over `D` with `*` or `o::max`.

use super::{
    Block, C, CAP, E, Gen, LoopKind, MAX_LEN, Printer, S, VK, Var, WHILE_LIMIT, X_MAX, reads_any,
};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// Constructs every default run must generate at least once.
pub const REQUIRED: &[&str] = &[
    "table_const",
    "table_static",
    "table_module",
    "table_2d",
    "table_int",
    "table_int_small",
    "table_read",
    "index_by_table",
    "index_by_table_item",
    "for_table_len",
    "for_table_iter",
    "for_table_value",
    "for_table_enumerate",
    "for_table_zip",
    "for_int_table",
    "closure",
    "closure_two_args",
    "closure_block",
    "closure_capture",
    "closure_move",
    "closure_move_changed",
    "closure_call",
    "closure_in_loop",
    "closure_calls_closure",
    "iter_product",
    "product_map",
    "fold_closure",
    "fold_max",
    "fold_min",
    "fold_path",
    "fold_cloned",
    "max_by",
    "min_by",
    "pick_map",
    "cmp_partial",
    "cmp_path",
    "cmp_reversed",
    "reduce_path",
    "reduce_closure",
    "reduce_rev",
    "reduce_skip",
    "loop_value",
    "loop_value_int",
    "loop_value_labeled",
];

/// The state of these constructs in one function.
pub struct State {
    /// The third random stream.
    pub rng: fastrand::Rng,
    /// How deep in `with_rng3` the generator is (0: another stream).
    depth: usize,
    /// The module-level tables of this function.
    tables: Vec<Table>,
    /// Their declarations (module-level items), printed before the function.
    pub items: String,
    /// The names each closure (by variable id) reads besides its arguments.
    captures: Vec<(usize, Vec<String>)>,
    /// Inside the body of a closure bound to a name.
    in_named: usize,
    /// The variables that hold a table's element (`for &tv in T.iter()`).
    pub passive: BTreeSet<String>,
}

impl State {
    pub fn new(seed: u64) -> State {
        State {
            rng: fastrand::Rng::with_seed(seed),
            depth: 0,
            tables: Vec::new(),
            items: String::new(),
            captures: Vec::new(),
            in_named: 0,
            passive: BTreeSet::new(),
        }
    }
}

#[derive(Clone, Debug)]
struct Table {
    /// As it is used: `T17_0` or `tab17_0::T`.
    path: String,
    kind: TKind,
}

#[derive(Clone, Copy, Debug)]
enum TKind {
    /// `[f64; k]`, every element within `bound`.
    Float { k: usize, bound: f64 },
    /// `[[f64; cols]; rows]`
    Float2 {
        rows: usize,
        cols: usize,
        bound: f64,
    },
    /// `[usize; k]`, values below `lim` (2: a valid index anywhere).
    Int { k: usize, lim: usize },
}

/// An expression of these constructs (`E::Every`).
#[derive(Clone, Debug)]
pub enum X {
    /// `T[i]`, `T[i][j]` of a float table; the oracle reads `D::from(T[i])`.
    Table(String, Vec<String>),
    /// `f64::NEG_INFINITY` (`true`) or `f64::INFINITY`.
    Inf(bool),
    /// `g(a, b)`, a closure bound to a name; `reads`: what it captures.
    Call {
        name: String,
        args: Vec<E>,
        reads: Vec<String>,
    },
    /// A reduction over an array or a slice.
    Reduce(Box<Red>),
}

/// `src.iter(){adapt}{owned}[.map(|v| e)]` and what ends it.
#[derive(Clone, Debug)]
pub struct Red {
    src: String,
    /// `.rev()`, `.skip(1)` or nothing.
    adapt: &'static str,
    /// `.copied()`, `.cloned()` or nothing (then the items are `&f64`).
    owned: &'static str,
    /// `.map(|v| e)` over `&f64` items.
    map: Option<(String, E)>,
    term: Term,
}

#[derive(Clone, Debug)]
enum Term {
    /// `.product::<f64>()`
    Product,
    /// `.fold(init, |acc, pat| body)`
    Fold {
        init: E,
        acc: String,
        pat: String,
        body: E,
    },
    /// `.fold(init, f64::max)` (`min`)
    FoldPath { init: E, max: bool },
    /// `.max_by(cmp).unwrap()` (`min_by`)
    Pick { max: bool, cmp: Cmp },
    /// `.reduce(f64::max).unwrap()`, `.reduce(|a, b| a.max(b)).unwrap()`
    Reduce { max: bool, path: bool },
}

#[derive(Clone, Copy, Debug)]
enum Cmp {
    /// `|a, b| a.total_cmp(b)`
    Total,
    /// `|a, b| a.partial_cmp(b).unwrap()`
    Partial,
    /// `f64::total_cmp`
    Path,
    /// `|a, b| b.total_cmp(a)`: the order reversed.
    Reversed,
}

/// A statement of these constructs (`S::Every`).
#[derive(Clone, Debug)]
pub enum St {
    /// `let g = [move] |u: f64, ..| body;`
    LetClosure {
        name: String,
        mv: bool,
        params: Vec<String>,
        body: Block,
    },
    /// `let r: f64 = ['v: ]loop { .. };` (`int`: `usize`)
    LetLoop {
        name: String,
        id: usize,
        int: bool,
        label: Option<String>,
        body: Vec<S>,
    },
    /// `break ['v ]e;` with a float value.
    Break { label: Option<String>, e: E },
    /// A `for` loop over a table: its header in each form.
    For {
        label: Option<String>,
        plain: String,
        oracle: String,
        body: Vec<S>,
    },
}

impl Gen {
    /// Runs `f` with the third random stream in place of the first.
    fn with_rng3<T>(&mut self, f: impl FnOnce(&mut Gen) -> T) -> T {
        if self.every.depth == 0 {
            std::mem::swap(&mut self.rng, &mut self.every.rng);
        }
        self.every.depth += 1;
        let out = f(self);
        self.every.depth -= 1;
        if self.every.depth == 0 {
            std::mem::swap(&mut self.rng, &mut self.every.rng);
        }
        out
    }

    /// Maybe one or two tables at module level for function `index`.
    pub(super) fn tables(&mut self, index: usize) {
        if !self.ok("tables") {
            return;
        }
        self.with_rng3(|g| {
            if !g.chance(45) {
                return;
            }
            let n = if g.chance(35) { 2 } else { 1 };
            for t in 0..n {
                g.table(index, t);
            }
        });
    }

    fn table(&mut self, index: usize, t: usize) {
        let stat = self.chance(40);
        let in_module = self.chance(20);
        let r = self.rng.u32(0..100);
        let lit = |g: &mut Gen| format!("{:?}", f64::from(g.rng.i32(-15..=15)) / 10.0);
        let (ty, value, kind) = if r < 55 {
            let k = self.rng.usize(2..=5);
            let v: Vec<String> = (0..k).map(|_| lit(self)).collect();
            (
                format!("[f64; {k}]"),
                format!("[{}]", v.join(", ")),
                TKind::Float { k, bound: 1.5 },
            )
        } else if r < 70 {
            self.count("table_2d");
            let (rows, cols) = (self.rng.usize(2..=3), self.rng.usize(2..=3));
            let rs: Vec<String> = (0..rows)
                .map(|_| {
                    let v: Vec<String> = (0..cols).map(|_| lit(self)).collect();
                    format!("[{}]", v.join(", "))
                })
                .collect();
            (
                format!("[[f64; {cols}]; {rows}]"),
                format!("[{}]", rs.join(", ")),
                TKind::Float2 {
                    rows,
                    cols,
                    bound: 1.5,
                },
            )
        } else {
            self.count("table_int");
            let k = self.rng.usize(2..=5);
            let lim = if self.chance(40) {
                self.count("table_int_small");
                2
            } else {
                MAX_LEN
            };
            let v: Vec<String> = (0..k).map(|_| self.rng.usize(0..lim).to_string()).collect();
            (
                format!("[usize; {k}]"),
                format!("[{}]", v.join(", ")),
                TKind::Int { k, lim },
            )
        };
        self.count(if stat { "table_static" } else { "table_const" });
        let what = if stat { "static" } else { "const" };
        let path = if in_module {
            self.count("table_module");
            let m = format!("tab{index}_{t}");
            writeln!(
                self.every.items,
                "mod {m} {{\n    pub {what} T: {ty} = {value};\n}}"
            )
            .unwrap();
            format!("{m}::T")
        } else {
            let name = format!("T{index}_{t}");
            writeln!(self.every.items, "{what} {name}: {ty} = {value};").unwrap();
            name
        };
        self.every.tables.push(Table { path, kind });
    }

    /// Now and then, instead of an expression, a table read, a call of a
    /// closure or a reduction.
    pub(super) fn everyday_expr(&mut self, depth: u32) -> Option<(E, f64)> {
        let tables = self.ok("tables") && !self.every.tables.is_empty();
        let closures =
            self.ok("closures") && !self.of_kind(|k| matches!(k, VK::Closure(_))).is_empty();
        let reductions = self.ok("reductions") && depth > 0 && !self.in_closure;
        if !tables && !closures && !reductions {
            return None;
        }
        self.with_rng3(|g| {
            if !g.chance(5) {
                return None;
            }
            let has_float = g
                .every
                .tables
                .iter()
                .any(|t| !matches!(t.kind, TKind::Int { .. }));
            let has_int = g
                .every
                .tables
                .iter()
                .any(|t| matches!(t.kind, TKind::Int { .. }));
            let indexable = !g
                .of_kind(|k| matches!(k, VK::Slice | VK::Array { .. }))
                .is_empty();
            let items = !g.of_kind(|k| matches!(k, VK::TableItem(_))).is_empty();
            let w = [
                if tables && has_float { 3 } else { 0 },
                if tables && (has_int || items) && indexable {
                    2
                } else {
                    0
                },
                if closures { 5 } else { 0 },
                if reductions && indexable { 4 } else { 0 },
            ];
            let (e, b) = match g.weighted(&w)? {
                0 => g.table_read(),
                1 => g.index_by_table(),
                2 => g.closure_call(depth),
                _ => g.reduction(depth),
            };
            Some(g.squash(e, b, CAP))
        })
    }

    /// An index into a table of length `k`: a visible integer that fits,
    /// or modulo `k`, or a literal.
    fn table_index(&mut self, k: usize) -> String {
        let ints = self.of_kind(|v| matches!(v, VK::Index(_) | VK::Counter | VK::TableItem(_)));
        if ints.is_empty() || self.chance(25) {
            return self.rng.usize(0..k).to_string();
        }
        let v = self.pick(&ints);
        match v.kind {
            VK::Index(super::Lim::Const(a)) | VK::TableItem(a) if a <= k => v.name,
            _ => format!("{} % {k}", v.name),
        }
    }

    /// `T[i]` or `T[i][j]`.
    fn table_read(&mut self) -> (E, f64) {
        self.count("table_read");
        let floats: Vec<Table> = self
            .every
            .tables
            .iter()
            .filter(|t| !matches!(t.kind, TKind::Int { .. }))
            .cloned()
            .collect();
        let t = self.pick(&floats);
        match t.kind {
            TKind::Float { k, bound } => {
                let i = self.table_index(k);
                (E::Every(X::Table(t.path, vec![i])), bound)
            }
            TKind::Float2 { rows, cols, bound } => {
                let i = self.table_index(rows);
                let j = self.table_index(cols);
                (E::Every(X::Table(t.path, vec![i, j])), bound)
            }
            TKind::Int { .. } => unreachable!(),
        }
    }

    /// `x[P[i] % x.len()]`, `w[P[i]]`: an element chosen by an integer table.
    fn index_by_table(&mut self) -> (E, f64) {
        let ints: Vec<Table> = self
            .every
            .tables
            .iter()
            .filter(|t| matches!(t.kind, TKind::Int { .. }))
            .cloned()
            .collect();
        let items = self.of_kind(|k| matches!(k, VK::TableItem(_)));
        let indexable = self.of_kind(|k| matches!(k, VK::Slice | VK::Array { .. }));
        let a = self.pick(&indexable);
        self.mark_used(a.id);
        let len = match a.kind {
            VK::Array { k, .. } => k.to_string(),
            _ => format!("{}.len()", a.name),
        };
        // `P[i]` of a table, or `j` of a loop over one.
        let (value, lim) = if !items.is_empty() && (ints.is_empty() || self.chance(50)) {
            self.count("index_by_table_item");
            let j = self.pick(&items);
            let VK::TableItem(lim) = j.kind else {
                unreachable!()
            };
            (j.name, lim)
        } else {
            self.count("index_by_table");
            let t = self.pick(&ints);
            let TKind::Int { k, lim } = t.kind else {
                unreachable!()
            };
            let i = self.table_index(k);
            (format!("{}[{i}]", t.path), lim)
        };
        let idx = if lim <= 2 && self.chance(70) {
            value
        } else {
            format!("{value} % {len}")
        };
        (E::Index(a.name, idx), a.bound)
    }

    /// `g(a, b)` of a visible closure.
    fn closure_call(&mut self, depth: u32) -> (E, f64) {
        let closures = self.of_kind(|k| matches!(k, VK::Closure(_)));
        let c = self.pick(&closures);
        let VK::Closure(arity) = c.kind else {
            unreachable!()
        };
        let args = (0..arity)
            .map(|_| {
                let (e, b) = self.expr(depth.saturating_sub(1).min(1));
                self.squash(e, b, X_MAX).0
            })
            .collect();
        (self.call_of(&c, args), c.bound)
    }

    fn call_of(&mut self, c: &Var, args: Vec<E>) -> E {
        self.count("closure_call");
        if self.every.in_named > 0 {
            self.count("closure_calls_closure");
        }
        let reads = self
            .every
            .captures
            .iter()
            .find(|(id, _)| *id == c.id)
            .map(|(_, r)| r.clone())
            .unwrap_or_default();
        E::Every(X::Call {
            name: c.name.clone(),
            args,
            reads,
        })
    }

    /// A reduction over a visible array or slice.
    fn reduction(&mut self, depth: u32) -> (E, f64) {
        let sources = self.of_kind(|k| matches!(k, VK::Slice | VK::Array { .. }));
        let s = self.pick(&sources);
        self.mark_used(s.id);
        let len = match s.kind {
            VK::Array { k, .. } => k,
            _ => MAX_LEN,
        };
        let adapt = match self.rng.u32(0..10) {
            0 => {
                self.count("reduce_rev");
                ".rev()"
            }
            1 => {
                self.count("reduce_skip");
                ".skip(1)"
            }
            _ => "",
        };
        let mut red = Red {
            src: s.name.clone(),
            adapt,
            owned: "",
            map: None,
            term: Term::Product,
        };
        // The items: `&f64`, owned, or mapped (owned).
        let owned = |g: &mut Gen| {
            if g.chance(70) {
                ".copied()"
            } else {
                g.count("fold_cloned");
                ".cloned()"
            }
        };
        let mut item_bound = s.bound;
        let map = |g: &mut Gen, red: &mut Red, limit: f64| -> f64 {
            let saved = g.in_closure;
            g.in_closure = true;
            g.push_scope();
            let v = g.fresh("v");
            g.declare(&v, VK::Ref, s.bound);
            let (body, b) = g.closure_body(std::slice::from_ref(&v), depth);
            let (body, b) = g.squash(body, b, limit);
            // (a table element as it is would be kept by `max_by`: bug 2)
            let body = g.fold_init(body);
            g.pop_scope();
            g.in_closure = saved;
            red.map = Some((v, body));
            b
        };
        let bound;
        match self.rng.u32(0..17) {
            0..=2 => {
                self.count("iter_product");
                if self.chance(40) {
                    self.count("product_map");
                    item_bound = map(self, &mut red, 1.5);
                } else if self.chance(30) {
                    red.owned = ".copied()";
                }
                bound = item_bound.max(1.0).powi(len as i32);
            }
            3..=5 => {
                let (term, b) = self.fold_closure(&mut red, s.bound, len as f64, depth);
                red.term = term;
                bound = b;
            }
            6..=7 => {
                // `fold(f64::NEG_INFINITY, |m, &v| m.max(v))`
                let max = self.chance(50);
                self.count(if max { "fold_max" } else { "fold_min" });
                let (acc, v) = (self.fresh("m"), self.fresh("v"));
                let (pat, item) = if self.chance(50) {
                    (format!("&{v}"), E::Var(v))
                } else {
                    red.owned = owned(self);
                    (v.clone(), E::Var(v))
                };
                let f = if max { "max" } else { "min" };
                let body = self.call(f, E::Var(acc.clone()), vec![item]);
                red.term = Term::Fold {
                    init: E::Every(X::Inf(max)),
                    acc,
                    pat,
                    body,
                };
                bound = s.bound;
            }
            8..=9 => {
                self.count("fold_path");
                let max = self.chance(50);
                if self.chance(30) {
                    item_bound = map(self, &mut red, CAP);
                } else {
                    red.owned = owned(self);
                }
                let (init, bi) = match self.rng.u32(0..3) {
                    0 => (E::Every(X::Inf(max)), 0.0),
                    1 => {
                        let l = self.cmp_lit();
                        (E::Lit(l), l.abs())
                    }
                    _ => {
                        let (e, b) = self.expr(1);
                        (self.fold_init(e), b)
                    }
                };
                red.term = Term::FoldPath { init, max };
                bound = item_bound.max(bi);
            }
            10..=14 => {
                let max = self.chance(50);
                self.count(if max { "max_by" } else { "min_by" });
                let r = self.rng.u32(0..10);
                if r < 4 {
                    self.count("pick_map");
                    item_bound = map(self, &mut red, CAP);
                } else if r < 7 {
                    red.owned = owned(self);
                }
                let items_owned = !red.owned.is_empty() || red.map.is_some();
                let cmp = match self.rng.u32(0..10) {
                    0..=3 => Cmp::Total,
                    4..=5 => {
                        self.count("cmp_partial");
                        Cmp::Partial
                    }
                    6..=7 if items_owned => {
                        self.count("cmp_path");
                        Cmp::Path
                    }
                    6..=7 => Cmp::Total,
                    _ => {
                        self.count("cmp_reversed");
                        Cmp::Reversed
                    }
                };
                red.term = Term::Pick { max, cmp };
                bound = item_bound;
            }
            _ => {
                let max = self.chance(50);
                let path = self.chance(50);
                self.count(if path {
                    "reduce_path"
                } else {
                    "reduce_closure"
                });
                if self.chance(30) {
                    item_bound = map(self, &mut red, CAP);
                } else {
                    red.owned = owned(self);
                }
                red.term = Term::Reduce { max, path };
                bound = item_bound;
            }
        }
        (E::Every(X::Reduce(Box::new(red))), bound)
    }

    /// A fold's start: a table element as it is would hit the macro bug
    /// `guard_passive_lets` works around (the accumulator is a `let mut`).
    fn fold_init(&self, e: E) -> E {
        let passive = match &e {
            E::Every(X::Table(..)) => true,
            E::Var(n) => self.every.passive.contains(n),
            _ => false,
        };
        if passive {
            E::Bin('*', Box::new(e), Box::new(E::Lit(1.0)))
        } else {
            e
        }
    }

    /// `.fold(init, |acc, &v| acc * 0.5 + e)` and other bounded updates.
    fn fold_closure(&mut self, red: &mut Red, item: f64, len: f64, depth: u32) -> (Term, f64) {
        self.count("fold_closure");
        let (init, bi) = if self.chance(50) {
            let l = self.cmp_lit();
            (E::Lit(l), l.abs())
        } else {
            let (e, b) = self.expr(1);
            let (e, b) = self.squash(e, b, X_MAX);
            (self.fold_init(e), b)
        };
        let saved = self.in_closure;
        self.in_closure = true;
        self.push_scope();
        let v = self.fresh("v");
        let (pat, elem) = match self.rng.u32(0..4) {
            0 => {
                // `|acc, v|` over `&f64`: `*v` or a bare `v`
                self.declare(&v, VK::Ref, item);
                (v.clone(), E::Deref(v))
            }
            1 => {
                red.owned = if self.chance(60) {
                    ".copied()"
                } else {
                    self.count("fold_cloned");
                    ".cloned()"
                };
                self.declare(&v, VK::Scalar { assignable: false }, item);
                (v.clone(), E::Var(v))
            }
            _ => {
                self.declare(&v, VK::Scalar { assignable: false }, item);
                (format!("&{v}"), E::Var(v))
            }
        };
        let (e, be) = match self.rng.u32(0..3) {
            0 => (elem, item),
            1 => {
                let (f, bf) = self.expr(depth.clamp(1, 2));
                let op = self.pick(&['*', '+', '-']);
                let b = if op == '*' { item * bf } else { item + bf };
                (self.bin(op, elem, f), b)
            }
            _ => {
                let (f, _) = self.expr(1);
                let s = self.bin('*', elem, f);
                (self.call("tanh", s, vec![]), 1.0)
            }
        };
        let (e, be) = self.squash(e, be, X_MAX);
        let acc = self.fresh("acc");
        self.declare(&acc, VK::Scalar { assignable: false }, bi);
        let a = E::Var(acc.clone());
        let (body, bound) = match self.rng.u32(0..4) {
            0 => {
                let c = self.pick(&[0.3, 0.5, 0.8]);
                let m = self.bin('*', a, E::Lit(c));
                (self.bin('+', m, e), bi.max(be / 0.2))
            }
            1 => {
                let op = self.pick(&['+', '*']);
                let s = self.bin(op, a, e);
                let f = self.pick(&["tanh", "sin"]);
                (self.call(f, s, vec![]), bi.max(1.0))
            }
            2 => (self.bin('+', a, e), bi + len * be),
            _ => {
                let f = if self.chance(50) { "max" } else { "min" };
                (self.call(f, a, vec![e]), bi.max(be))
            }
        };
        self.pop_scope();
        self.in_closure = saved;
        (
            Term::Fold {
                init,
                acc,
                pat,
                body,
            },
            bound,
        )
    }

    /// Now and then, after a statement, one of these constructs.
    pub(super) fn everyday_stmt(&mut self) -> Vec<S> {
        let closures = self.ok("closures");
        let loops = self.ok("loop_value");
        let tables = self.ok("tables") && !self.every.tables.is_empty();
        if !closures && !loops && !tables {
            return Vec::new();
        }
        self.with_rng3(|g| {
            if !g.chance(12) {
                return Vec::new();
            }
            let can_nest = g.depth < 3 && g.loops.len() < 2;
            let w = [
                if closures { 5 } else { 0 },
                if closures { 2 } else { 0 },
                if loops && can_nest { 3 } else { 0 },
                if loops && can_nest { 1 } else { 0 },
                if loops && can_nest && g.loops.is_empty() {
                    1
                } else {
                    0
                },
                if tables && can_nest { 4 } else { 0 },
            ];
            match g.weighted(&w) {
                None => Vec::new(),
                Some(0) => {
                    let mv = g.chance(25);
                    g.closure_and_calls(mv)
                }
                Some(1) => g.move_changed(),
                Some(2) => g.loop_value(),
                Some(3) => g.loop_value_int(),
                Some(4) => vec![g.loop_value_labeled()],
                Some(_) => vec![g.table_loop()],
            }
        })
    }

    /// `let g = |u: f64| ..;` and a statement calling it twice.
    fn closure_and_calls(&mut self, mv: bool) -> Vec<S> {
        let (def, c) = self.closure_def(mv, None);
        vec![def, self.two_calls(&c)]
    }

    /// `let mut c = e; let g = move |u: f64| .. c ..; c = e2; let r = g(..) + g(..);`
    fn move_changed(&mut self) -> Vec<S> {
        self.count("closure_move_changed");
        let (e, b) = self.expr(2);
        let name = self.fresh("c");
        let id = self.declare(&name, VK::Scalar { assignable: true }, b);
        self.assigned.insert(id);
        let let_c = S::Let {
            name: name.clone(),
            id,
            annot: false,
            e,
        };
        let (def, g) = self.closure_def(true, Some(name.clone()));
        let (op, e2, b2) = self.update(&name, b, 1.0);
        self.set_bound(id, b2);
        let change = S::Assign {
            target: name,
            op,
            e: e2,
        };
        vec![let_c, def, change, self.two_calls(&g)]
    }

    /// `let r = g(a1) + g(a2);`
    fn two_calls(&mut self, c: &Var) -> S {
        let VK::Closure(arity) = c.kind else {
            unreachable!()
        };
        let mut calls = Vec::new();
        for _ in 0..2 {
            let args = (0..arity)
                .map(|_| {
                    let (e, b) = self.expr(1);
                    self.squash(e, b, X_MAX).0
                })
                .collect();
            calls.push(self.call_of(c, args));
        }
        let op = self.pick(&['+', '-', '*']);
        let b = if op == '*' {
            c.bound * c.bound
        } else {
            2.0 * c.bound
        };
        let second = calls.pop().unwrap();
        let first = calls.pop().unwrap();
        let e = self.bin(op, first, second);
        let (e, b) = self.squash(e, b, CAP);
        let name = self.fresh("r");
        let id = self.declare(&name, VK::Scalar { assignable: true }, b);
        S::Let {
            name,
            id,
            annot: false,
            e,
        }
    }

    /// `let g = [move] |u: f64[, w: f64]| body;`, the body reading only
    /// what it may capture: without `move`, nothing a later statement could
    /// change (parameters, loop variables); with `move`, copies of scalar
    /// locals too (not of local arrays, nor of a `Vec`). `forced`: a local
    /// the body reads.
    fn closure_def(&mut self, mv: bool, forced: Option<String>) -> (S, Var) {
        let arity = if self.chance(30) { 2 } else { 1 };
        self.count("closure");
        if arity == 2 {
            self.count("closure_two_args");
        }
        if mv {
            self.count("closure_move");
        }
        if !self.loops.is_empty() {
            self.count("closure_in_loop");
        }
        // Only what the closure may read stays visible while its body is
        // generated (each name once: a hidden local must not uncover an
        // outer variable of the same name).
        let saved_vars = self.vars.clone();
        let saved_scopes = std::mem::take(&mut self.scopes);
        let vec_params = self.vec_params.clone();
        let allowed = |v: &Var| match v.kind {
            VK::Scalar { assignable: true } | VK::Counter | VK::Flag => mv,
            VK::Array { local: true, .. } | VK::Labels => false,
            VK::Slice => !(mv && vec_params.contains(&v.name)),
            _ => true,
        };
        let mut kept: Vec<Var> = self.visible().into_iter().filter(allowed).collect();
        kept.reverse();
        let capturable: BTreeSet<String> = kept.iter().map(|v| v.name.clone()).collect();
        self.vars = kept;
        let saved_in = self.in_closure;
        self.in_closure = true;
        self.every.in_named += 1;
        self.push_scope();
        let params: Vec<String> = (0..arity)
            .map(|_| {
                let p = self.fresh("u");
                self.declare(&p, VK::Scalar { assignable: false }, X_MAX);
                p
            })
            .collect();
        let (e, be) = self.expr(2);
        let u = E::Var(params[0].clone());
        let (mut body, mut b) = if arity == 1 {
            match self.rng.u32(0..3) {
                0 => (self.bin('*', u, e), X_MAX * be),
                1 => (self.bin('+', u, e), X_MAX + be),
                _ => {
                    let d = self.bin('-', u, e);
                    (self.call("tanh", d, vec![]), 1.0)
                }
            }
        } else {
            let w = E::Var(params[1].clone());
            let op = self.pick(&['*', '+', '-']);
            let uw = self.bin(op, u, w);
            let buw = if op == '*' {
                X_MAX * X_MAX
            } else {
                2.0 * X_MAX
            };
            if self.chance(50) {
                (self.bin('+', uw, e), buw + be)
            } else {
                (self.bin('*', uw, e), buw * be)
            }
        };
        if let Some(c) = &forced {
            let cb = self
                .vars
                .iter()
                .rev()
                .find(|v| v.name == *c)
                .map_or(CAP, |v| v.bound);
            let (cv, cb) = self.squash(E::Var(c.clone()), cb, X_MAX);
            let (body2, b2) = if self.chance(50) {
                (self.bin('*', body, cv), b * cb)
            } else {
                (self.bin('+', body, cv), b + cb)
            };
            body = body2;
            b = b2;
        }
        let (body, b) = self.squash(body, b, CAP);
        let (block, bound) = if self.chance(25) {
            self.count("closure_block");
            let q = self.fresh("q");
            let qid = self.declare(&q, VK::Scalar { assignable: false }, b);
            let qq = self.bin('*', E::Var(q.clone()), E::Var(params[0].clone()));
            let tail = self.bin('-', qq, E::Var(q.clone()));
            let (tail, bt) = self.squash(tail, b * X_MAX + b, CAP);
            (
                Block {
                    stmts: vec![S::Let {
                        name: q,
                        id: qid,
                        annot: false,
                        e: body,
                    }],
                    tail,
                },
                bt,
            )
        } else {
            (
                Block {
                    stmts: Vec::new(),
                    tail: body,
                },
                b,
            )
        };
        self.pop_scope();
        self.every.in_named -= 1;
        self.in_closure = saved_in;
        self.vars = saved_vars;
        self.scopes = saved_scopes;
        // What the body reads besides its arguments.
        let reads: Vec<String> = capturable
            .into_iter()
            .filter(|n| {
                let one = BTreeSet::from([n.clone()]);
                block_reads(&block, &one)
            })
            .collect();
        if !reads.is_empty() {
            self.count("closure_capture");
        }
        for n in &reads {
            if let Some(v) = self.visible().into_iter().find(|v| v.name == *n) {
                self.mark_used(v.id);
            }
        }
        let name = self.fresh("g");
        let id = self.declare(&name, VK::Closure(arity), bound);
        self.every.captures.push((id, reads));
        let var = self.vars.last().unwrap().clone();
        (
            S::Every(St::LetClosure {
                name,
                mv,
                params,
                body: block,
            }),
            var,
        )
    }

    /// Enters a `loop` used as a value at this level.
    fn enter_value_loop(&mut self, trips: usize) {
        self.has_loop = true;
        let level = self.loops.len();
        self.set_label_slot(level, None);
        self.loops.push((LoopKind::Value, trips));
        self.push_scope();
        self.depth += 1;
    }

    fn leave_value_loop(&mut self) {
        self.depth -= 1;
        self.pop_scope();
        self.loops.pop();
    }

    /// `if c || k >= L { break e; }`: the value's bound.
    fn value_exit(&mut self, k: &str, limit: usize) -> (S, f64) {
        let c = self.cond(1);
        let stop = C::Raw(format!("{k} >= {limit}"));
        let c = if self.chance(50) {
            C::Or(Box::new(c), Box::new(stop))
        } else {
            C::Or(Box::new(stop), Box::new(c))
        };
        let (e, b) = self.expr(2);
        (
            S::If {
                arms: vec![(c, vec![S::Every(St::Break { label: None, e })])],
                els: None,
            },
            b,
        )
    }

    /// `let mut k = 0; let r = loop { ..; k += 1; if c || k >= L { break e; } };`
    fn loop_value(&mut self) -> Vec<S> {
        self.count("loop_value");
        let k = self.fresh("k");
        self.declare(&k, VK::Counter, WHILE_LIMIT as f64);
        let limit = self.rng.usize(2..=6);
        self.enter_value_loop(limit);
        let mut body = Vec::new();
        let mut bound: f64 = 0.0;
        let exit_first = self.chance(40);
        if exit_first {
            let (s, b) = self.value_exit(&k, limit);
            bound = bound.max(b);
            body.push(s);
        }
        for _ in 0..self.rng.usize(1..=3) {
            body.extend(self.stmt());
            if self.chance(15) {
                // a second exit in the middle
                let c = self.cond(1);
                let (e, b) = self.expr(2);
                bound = bound.max(b);
                body.push(S::If {
                    arms: vec![(c, vec![S::Every(St::Break { label: None, e })])],
                    els: None,
                });
            }
        }
        body.extend(self.sink());
        body.push(S::Raw(format!("{k} += 1;")));
        if !exit_first {
            let (s, b) = self.value_exit(&k, limit);
            bound = bound.max(b);
            body.push(s);
        }
        self.leave_value_loop();
        let name = self.fresh("r");
        let id = self.declare(&name, VK::Scalar { assignable: true }, bound);
        vec![
            S::Raw(format!("let mut {k} = 0;")),
            S::Every(St::LetLoop {
                name,
                id,
                int: false,
                label: None,
                body,
            }),
        ]
    }

    /// `let mut k = 0; let n = loop { if c || k + 1 >= x.len() { break k; } k += 1; };`
    fn loop_value_int(&mut self) -> Vec<S> {
        self.count("loop_value_int");
        let slices = self.of_kind(|k| *k == VK::Slice);
        let x = self.pick(&slices);
        let k = self.fresh("k");
        self.declare(&k, VK::Counter, WHILE_LIMIT as f64);
        self.enter_value_loop(super::MAX_LEN);
        let mut body = Vec::new();
        if self.chance(40) {
            body.extend(self.stmt());
        }
        let c = self.cond(1);
        let stop = C::Raw(format!("{k} + 1 >= {}.len()", x.name));
        body.push(S::If {
            arms: vec![(
                C::Or(Box::new(c), Box::new(stop)),
                vec![S::Raw(format!("break {k};"))],
            )],
            els: None,
        });
        body.extend(self.sink());
        body.push(S::Raw(format!("{k} += 1;")));
        self.leave_value_loop();
        let name = self.fresh("n");
        let id = self.declare(&name, VK::Index(super::Lim::Len), 0.0);
        vec![
            S::Raw(format!("let mut {k} = 0;")),
            S::Every(St::LetLoop {
                name,
                id,
                int: true,
                label: None,
                body,
            }),
        ]
    }

    /// `let r = 'v: loop { for i in .. { ..; if c { break 'v e; } } break e2; };`
    fn loop_value_labeled(&mut self) -> S {
        self.count("loop_value_labeled");
        let label = format!("'v{}", self.next_id);
        self.enter_value_loop(1);
        let level = self.loops.len();
        let idx = ["i", "j", "l"][level].to_string();
        self.push_scope();
        let slices = self.of_kind(|k| *k == VK::Slice);
        let x = self.pick(&slices);
        let header = format!("for {idx} in 0..{}.len()", x.name);
        self.declare(&idx, VK::Index(super::Lim::Len), 0.0);
        self.loops.push((LoopKind::For, MAX_LEN));
        self.set_label_slot(level, Some(false));
        let n = self.rng.usize(1..=2);
        let mut inner = self.loop_body(n, None);
        let c = self.cond(1);
        let (e, mut bound) = self.expr(2);
        let at = self.rng.usize(0..=inner.len());
        inner.insert(
            at,
            S::If {
                arms: vec![(
                    c,
                    vec![S::Every(St::Break {
                        label: Some(label.clone()),
                        e,
                    })],
                )],
                els: None,
            },
        );
        let for_label = self.take_label(level);
        self.loops.pop();
        self.pop_scope();
        let (e2, b2) = self.expr(2);
        bound = bound.max(b2);
        let body = vec![
            S::For {
                label: for_label,
                header,
                body: inner,
            },
            S::Every(St::Break { label: None, e: e2 }),
        ];
        self.leave_value_loop();
        let name = self.fresh("r");
        let id = self.declare(&name, VK::Scalar { assignable: true }, bound);
        S::Every(St::LetLoop {
            name,
            id,
            int: false,
            label: Some(label),
            body,
        })
    }

    /// A `for` loop over a table: `0..T.len()`, `T.iter()`, `T`,
    /// `.enumerate()`, `.zip(x.iter())`; an integer table's values as indices.
    fn table_loop(&mut self) -> S {
        self.has_loop = true;
        let level = self.loops.len();
        if level > 0 {
            self.count("nested_loop");
        }
        let t = self.pick(&self.every.tables.clone());
        let p = t.path.clone();
        let (ti, tv) = (self.fresh("ti"), self.fresh("tv"));
        self.every.passive.insert(tv.clone());
        self.push_scope();
        let dual = |it: &str| format!("{p}.iter().map(|&z| D::from(z)){it}");
        let (plain, oracle, trips) = match t.kind {
            TKind::Float { k, bound } => match self.rng.u32(0..6) {
                0 | 1 => {
                    self.count("for_table_len");
                    self.declare(&ti, VK::Index(super::Lim::Const(k)), 0.0);
                    let h = if self.chance(70) {
                        format!("for {ti} in 0..{p}.len()")
                    } else {
                        format!("for {ti} in (0..{p}.len()).rev()")
                    };
                    (h.clone(), h, k)
                }
                2 => {
                    self.count("for_table_iter");
                    self.declare(&tv, VK::Scalar { assignable: false }, bound);
                    (
                        format!("for &{tv} in {p}.iter()"),
                        format!("for {tv} in {}", dual("")),
                        k,
                    )
                }
                3 => {
                    self.count("for_table_value");
                    self.declare(&tv, VK::Scalar { assignable: false }, bound);
                    (
                        format!("for {tv} in {p}"),
                        format!("for {tv} in {p}.map(D::from)"),
                        k,
                    )
                }
                4 => {
                    self.count("for_table_enumerate");
                    self.declare(&ti, VK::Index(super::Lim::Const(k)), 0.0);
                    self.declare(&tv, VK::Scalar { assignable: false }, bound);
                    (
                        format!("for ({ti}, &{tv}) in {p}.iter().enumerate()"),
                        format!("for ({ti}, {tv}) in {}", dual(".enumerate()")),
                        k,
                    )
                }
                _ => {
                    self.count("for_table_zip");
                    let slices = self.of_kind(|k| *k == VK::Slice);
                    let x = self.pick(&slices);
                    self.declare(&tv, VK::Scalar { assignable: false }, bound);
                    let pv = self.fresh("pv");
                    self.declare(&pv, VK::Ref, x.bound);
                    (
                        format!("for (&{tv}, {pv}) in {p}.iter().zip({}.iter())", x.name),
                        format!(
                            "for ({tv}, {pv}) in {}",
                            dual(&format!(".zip({}.iter())", x.name))
                        ),
                        k,
                    )
                }
            },
            TKind::Float2 { rows, .. } => {
                self.count("for_table_len");
                self.declare(&ti, VK::Index(super::Lim::Const(rows)), 0.0);
                let h = format!("for {ti} in 0..{p}.len()");
                (h.clone(), h, rows)
            }
            TKind::Int { k, lim } => {
                self.count("for_int_table");
                let h = match self.rng.u32(0..3) {
                    0 => format!("for &{ti} in {p}.iter()"),
                    1 => format!("for {ti} in {p}"),
                    _ => {
                        let e = self.fresh("te");
                        self.declare(&e, VK::Index(super::Lim::Const(k)), 0.0);
                        format!("for ({e}, &{ti}) in {p}.iter().enumerate()")
                    }
                };
                self.declare(&ti, VK::TableItem(lim), 0.0);
                (h.clone(), h, k)
            }
        };
        self.loops.push((LoopKind::For, trips));
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
        S::Every(St::For {
            label,
            plain,
            oracle,
            body,
        })
    }
}

/// Works around a macro bug (README, "Bugs found"): a `let mut`
/// whose value is a table's element as it is (`let mut t = T[0];`,
/// `let mut z = tv;` in `for &tv in T.iter()`) makes `#[grad]` emit code
/// that does not compile. Such a value is written `T[0] * 1.0` (the same
/// number).
pub(super) fn guard_passive_lets(
    stmts: &mut [S],
    assigned: &BTreeSet<usize>,
    passive: &mut BTreeSet<String>,
) {
    let is_passive = |e: &E, passive: &BTreeSet<String>| match e {
        E::Every(X::Table(..)) => true,
        E::Var(n) => passive.contains(n),
        _ => false,
    };
    for s in stmts.iter_mut() {
        match s {
            S::Let { name, id, e, .. } if is_passive(e, passive) => {
                if assigned.contains(id) {
                    let t = std::mem::replace(e, E::Lit(0.0));
                    *e = E::Bin('*', Box::new(t), Box::new(E::Lit(1.0)));
                } else {
                    passive.insert(name.clone());
                }
            }
            S::LetIf { arms, els, .. } => {
                for (_, b) in arms.iter_mut() {
                    guard_passive_lets(&mut b.stmts, assigned, passive);
                }
                guard_passive_lets(&mut els.stmts, assigned, passive);
            }
            S::LetBlock { block: b, .. } => guard_passive_lets(&mut b.stmts, assigned, passive),
            S::If { arms, els } => {
                for (_, b) in arms.iter_mut() {
                    guard_passive_lets(b, assigned, passive);
                }
                if let Some(b) = els {
                    guard_passive_lets(b, assigned, passive);
                }
            }
            S::For { body, .. } | S::While { body, .. } | S::Loop { body } => {
                guard_passive_lets(body, assigned, passive);
            }
            S::Match { arms, .. } => {
                for (_, _, b) in arms.iter_mut() {
                    guard_passive_lets(b, assigned, passive);
                }
            }
            S::LetMatch { arms, .. } => {
                for (_, _, a) in arms.iter_mut() {
                    if let super::constructs::Arm::Value(b) = a {
                        guard_passive_lets(&mut b.stmts, assigned, passive);
                    }
                }
            }
            S::Every(St::LetLoop { body, .. } | St::For { body, .. }) => {
                guard_passive_lets(body, assigned, passive);
            }
            _ => {}
        }
    }
}

fn block_reads(b: &Block, names: &BTreeSet<String>) -> bool {
    b.stmts
        .iter()
        .any(|s| matches!(s, S::Let { e, .. } if reads_any(e, names)))
        || reads_any(&b.tail, names)
}

/// `e` reads one of `names`.
pub(super) fn reads(x: &X, names: &BTreeSet<String>) -> bool {
    match x {
        X::Table(..) | X::Inf(_) => false,
        X::Call { args, reads, .. } => {
            args.iter().any(|a| reads_any(a, names)) || reads.iter().any(|r| names.contains(r))
        }
        X::Reduce(r) => {
            names.contains(&r.src)
                || r.map.as_ref().is_some_and(|(_, e)| reads_any(e, names))
                || match &r.term {
                    Term::Fold { init, body, .. } => {
                        reads_any(init, names) || reads_any(body, names)
                    }
                    Term::FoldPath { init, .. } => reads_any(init, names),
                    _ => false,
                }
        }
    }
}

/// `|a, b| a.total_cmp(b)` and the others.
fn cmp_text(c: Cmp) -> &'static str {
    match c {
        Cmp::Total => "|a, b| a.total_cmp(b)",
        Cmp::Partial => "|a, b| a.partial_cmp(b).unwrap()",
        Cmp::Path => "f64::total_cmp",
        Cmp::Reversed => "|a, b| b.total_cmp(a)",
    }
}

fn max_min(max: bool) -> &'static str {
    if max { "max" } else { "min" }
}

/// The `#[grad]` form.
pub(super) fn plain(x: &X) -> String {
    let p = super::plain;
    match x {
        X::Table(t, idx) => {
            let mut s = t.clone();
            for i in idx {
                write!(s, "[{i}]").unwrap();
            }
            s
        }
        X::Inf(true) => "f64::NEG_INFINITY".into(),
        X::Inf(false) => "f64::INFINITY".into(),
        X::Call { name, args, .. } => {
            let a: Vec<String> = args.iter().map(p).collect();
            format!("{name}({})", a.join(", "))
        }
        X::Reduce(r) => {
            // A constant body needs its type (`.map(|v| 0.5f64)`).
            let map = match &r.map {
                Some((v, e)) => format!(".map(|{v}| {})", super::plain_s(e, super::is_const(e))),
                None => String::new(),
            };
            let it = format!("{}.iter(){}{}{map}", r.src, r.adapt, r.owned);
            // A literal start needs its type (`acc.max(v)` of a `{float}`).
            let init = |e: &E| super::plain_s(e, super::is_const(e));
            match &r.term {
                Term::Product => format!("{it}.product::<f64>()"),
                Term::Fold {
                    init: i0,
                    acc,
                    pat,
                    body,
                } => format!("{it}.fold({}, |{acc}, {pat}| {})", init(i0), p(body)),
                Term::FoldPath { init: i, max } => {
                    format!("{it}.fold({}, f64::{})", init(i), max_min(*max))
                }
                Term::Pick { max, cmp } => {
                    let call = format!("{it}.{}_by({}).unwrap()", max_min(*max), cmp_text(*cmp));
                    if r.owned.is_empty() && r.map.is_none() {
                        format!("(*{call})")
                    } else {
                        call
                    }
                }
                Term::Reduce { max, path: true } => {
                    format!("{it}.reduce(f64::{}).unwrap()", max_min(*max))
                }
                Term::Reduce { max, path: false } => {
                    let m = max_min(*max);
                    format!("{it}.reduce(|a, b| a.{m}(b)).unwrap()")
                }
            }
        }
    }
}

/// The oracle form.
pub(super) fn oracle(x: &X) -> String {
    let o = super::oracle;
    match x {
        X::Table(..) => format!("D::from({})", plain(x)),
        X::Inf(_) => format!("D::from({})", plain(x)),
        X::Call { name, args, .. } => {
            let a: Vec<String> = args.iter().map(o).collect();
            format!("{name}({})", a.join(", "))
        }
        X::Reduce(r) => {
            let map = match &r.map {
                Some((v, e)) => format!(".map(|{v}| {})", o(e)),
                None => String::new(),
            };
            let refs = r.owned.is_empty() && r.map.is_none();
            let it = format!("{}.iter(){}{}{map}", r.src, r.adapt, r.owned);
            match &r.term {
                Term::Product if refs => format!("{it}.fold(D::from(1.0), |p, &q| p * q)"),
                Term::Product => format!("{it}.fold(D::from(1.0), |p, q| p * q)"),
                Term::Fold {
                    init,
                    acc,
                    pat,
                    body,
                } => format!("{it}.fold({}, |{acc}, {pat}| {})", o(init), o(body)),
                Term::FoldPath { init, max } => {
                    format!("{it}.fold({}, |p, q| o::{}(p, q))", o(init), max_min(*max))
                }
                Term::Pick { max, cmp } => {
                    // `max_by` keeps the last of equal maxima, `min_by` the
                    // first of equal minima; with the order reversed,
                    // `max_by` keeps the last of equal minima, `min_by` the
                    // first of equal maxima.
                    let (largest, last) = match cmp {
                        Cmp::Reversed => (!max, *max),
                        _ => (*max, *max),
                    };
                    let copied = if refs { ".copied()" } else { "" };
                    format!("o::pick({it}{copied}, {largest}, {last})")
                }
                Term::Reduce { max, .. } => {
                    format!("{it}.reduce(|p, q| o::{}(p, q)).unwrap()", max_min(*max))
                }
            }
        }
    }
}

impl Printer<'_> {
    pub(super) fn every_stmt(&mut self, s: &St, ind: usize) {
        let o = self.oracle;
        match s {
            St::LetClosure {
                name,
                mv,
                params,
                body,
            } => {
                let t = if o { "D" } else { "f64" };
                let ps: Vec<String> = params.iter().map(|p| format!("{p}: {t}")).collect();
                let mv = if *mv { "move " } else { "" };
                let head = format!("let {name} = {mv}|{}|", ps.join(", "));
                if body.stmts.is_empty() {
                    let e = self.e(&body.tail);
                    self.line(ind, &format!("{head} {e};"));
                } else {
                    self.line(ind, &format!("{head} {{"));
                    self.block_value(body, ind + 1);
                    self.line(ind, "};");
                }
            }
            St::LetLoop {
                name,
                id,
                int,
                label,
                body,
            } => {
                let ty = match (int, o) {
                    (true, _) => "usize",
                    (false, true) => "D",
                    (false, false) => "f64",
                };
                let label = label.as_ref().map(|l| format!("{l}: ")).unwrap_or_default();
                let m = self.mutable(*id);
                self.line(ind, &format!("let {m}{name}: {ty} = {label}loop {{"));
                self.stmts(body, ind + 1);
                self.line(ind, "};");
            }
            St::Break { label, e } => {
                let label = label.as_ref().map(|l| format!("{l} ")).unwrap_or_default();
                let e = self.e(e);
                self.line(ind, &format!("break {label}{e};"));
            }
            St::For {
                label,
                plain,
                oracle,
                body,
            } => {
                let label = label.as_ref().map(|l| format!("{l}: ")).unwrap_or_default();
                let h = if o { oracle } else { plain };
                self.line(ind, &format!("{label}{h} {{"));
                self.stmts(body, ind + 1);
                self.line(ind, "}");
            }
        }
    }
}
