//! The generator's constructs of issue 11 that make sense without loops:
//! casts from float to integer (`as i32`, `as i64`, `as usize`) in integer
//! arithmetic (`+ - * / %`) and back to float (`as f64`, `f64::from`),
//! integer locals, constant integer arrays and slices indexed by a cast,
//! and `match` as a value, on such an integer (literals, `|`, ranges,
//! negative patterns, a binding `k @ a..=b`, a guard) and on a `bool`
//! (`match a > b { true => .., false => .. }`).
//!
//! They are drawn from the second random stream `Gen::rng2`: the decision
//! to make one, and everything inside it, so that the first stream draws
//! the older statements and expressions as it did before these existed.
//! (What a new construct declares can still change later choices among
//! the visible variables.)
//!
//! A cast jumps at the integers, where its value is discontinuous and its
//! derivative 0 on both sides: random points meet a jump with probability
//! 0, and the oracle (`o::cast_arg`) counts a kink when the float it
//! casts lies within `1e-9` of an integer, so that an ulp of difference
//! between the oracle's value and `f64`'s never picks different integers.
//! Comparisons (`o::gt`, `o::lt`) do the same near a tie.

use super::{E, Gen, I, INode, IntArray, IntTy, IntVar, Node, Op, Scrut, Stmt, oracle, rust};

/// Chance that an expression of depth >= 1 is one of these constructs.
const EXPR_CHANCE: f64 = 0.03;
/// Chance of a `let` of an integer or a `match` after a statement.
const STMT_CHANCE: f64 = 0.12;
/// Chance of a constant integer array at the top of a function.
const ARRAY_CHANCE: f64 = 0.2;

impl Gen<'_> {
    /// Runs `f` with the second random stream in place of the first.
    fn with_rng2<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        if self.rng2_depth == 0 {
            std::mem::swap(&mut self.rng, &mut self.rng2);
        }
        self.rng2_depth += 1;
        let out = f(self);
        self.rng2_depth -= 1;
        if self.rng2_depth == 0 {
            std::mem::swap(&mut self.rng, &mut self.rng2);
        }
        out
    }

    /// Now and then, instead of an expression of depth `d >= 1`, one of the
    /// constructs: an integer back to float, a `match` on an integer or a
    /// `bool`.
    pub(super) fn new_expr(&mut self, d: u32) -> Option<Node> {
        self.with_rng2(|g| {
            if !g.chance(EXPR_CHANCE) {
                return None;
            }
            let n = match g.rng.u32(0..5) {
                0 | 1 => {
                    let i = g.int_expr(d - 1)?;
                    g.as_f64(i)
                }
                2 | 3 => g.match_int(d - 1),
                _ => g.match_bool(d - 1),
            }?;
            Some(g.cap(n))
        })
    }

    /// Now and then, after a statement: `let k = <integer>;` or
    /// `let t = match .. { .. };`.
    pub(super) fn new_stmt(&mut self) -> Option<Stmt> {
        self.with_rng2(|g| {
            if !g.chance(STMT_CHANCE) {
                return None;
            }
            let d = g.rng.u32(1..=2);
            if g.chance(0.5) {
                if !g.allowed("let_int") {
                    return None;
                }
                let n = g.int_expr(d)?;
                let name = g.fresh("k");
                let ty = g.chance(0.3).then_some(n.ty);
                g.ints.push(IntVar {
                    name: name.clone(),
                    ty: n.ty,
                    m: n.m,
                });
                Some(Stmt::LetInt { name, i: n.i, ty })
            } else {
                if !g.allowed("match_let") {
                    return None;
                }
                let n = if g.chance(0.7) {
                    g.match_int(d)
                } else {
                    g.match_bool(d)
                }?;
                let name = g.fresh("t");
                Some(g.bind(name, false, n, "match_let"))
            }
        })
    }

    /// Maybe a constant integer array or slice, at the top of a function.
    pub(super) fn int_array_stmt(&mut self) -> Option<Stmt> {
        self.with_rng2(|g| {
            if !g.allowed("int_array") || !g.allowed("cast") || !g.chance(ARRAY_CHANCE) {
                return None;
            }
            let slice = g.chance(0.4);
            let kind = if slice { "int_slice" } else { "int_array" };
            if !g.allowed(kind) {
                return None;
            }
            let len = g.rng.usize(2..=6);
            let values: Vec<i64> = (0..len).map(|_| g.rng.i64(-9..=9)).collect();
            let name = g.fresh("c");
            g.arrays.push(IntArray {
                name: name.clone(),
                len,
                m: values.iter().map(|v| v.abs()).max().unwrap_or(0),
            });
            Some(Stmt::IntArray {
                name,
                values,
                slice,
            })
        })
    }

    // -- integers -------------------------------------------------------------

    /// A float with |value| <= `b`, cast to `ty`: `(e * 3.0) as i32`,
    /// `(e.abs() * 2.0) as usize`, `(e + 1.5) as usize` (saturating at 0).
    fn cast(&mut self, d: u32, ty: IntTy) -> Option<INode> {
        let kind = match ty {
            IntTy::I32 => "cast_i32",
            IntTy::I64 => "cast_i64",
            IntTy::Usize => "cast_usize",
        };
        if !self.allowed("cast") || !self.allowed(kind) {
            return None;
        }
        let b = self.lit_in(1.0, 3.0);
        let inner = self.bounded(d, b);
        let scale = *self.pick(&[1.0, 1.5, 2.0, 3.0, 0.5]);
        let e = if ty == IntTy::Usize && self.allowed("cast_usize_abs") && self.chance(0.6) {
            let (m, l) = (inner.m, inner.l);
            let abs = self.call1(Op::Abs, inner, m, l);
            scaled(self, abs, scale)
        } else if ty == IntTy::Usize && self.chance(0.5) {
            let c = self.lit_in(0.5, 2.0);
            self.add_lit(inner, c)
        } else {
            scaled(self, inner, scale)
        };
        let m = e.m.ceil() as i64;
        Some(INode {
            i: I::Cast(Box::new(e.e), ty),
            ty,
            m,
        })
    }

    /// An integer expression (|value| <= a few dozen): a cast, an integer
    /// local, an element of a constant array, combined by integer
    /// arithmetic.
    fn int_expr(&mut self, d: u32) -> Option<INode> {
        if !self.allowed("cast") {
            return None;
        }
        let r = self.rng.f64();
        let base = if r < 0.25 && !self.ints.is_empty() {
            let v = self.pick(&self.ints.clone()).clone();
            INode {
                i: I::Var(v.name),
                ty: v.ty,
                m: v.m,
            }
        } else if r < 0.45 && !self.arrays.is_empty() && self.allowed("int_index") {
            self.index(d)?
        } else {
            let ty = *self.pick(&[IntTy::I32, IntTy::I32, IntTy::I64, IntTy::Usize]);
            self.cast(d, ty)?
        };
        if self.chance(0.5) {
            Some(self.int_arith(base, d))
        } else {
            Some(base)
        }
    }

    /// `c[k]`, `k` a `usize` below `c.len()`: `(e.abs() * 2.0) as usize % 4`.
    fn index(&mut self, d: u32) -> Option<INode> {
        let a = self.pick(&self.arrays.clone()).clone();
        let k = self.cast(d, IntTy::Usize)?;
        // Bare when the bound leaves a wide margin, else `% len`.
        let k = if 2 * k.m < a.len as i64 {
            k
        } else {
            self.rem(k, a.len as i64)
        };
        Some(INode {
            i: I::Index(a.name, Box::new(k.i)),
            ty: IntTy::I32,
            m: a.m,
        })
    }

    fn rem(&mut self, a: INode, k: i64) -> INode {
        INode {
            m: a.m.min(k - 1),
            i: I::Bin('%', Box::new(a.i), Box::new(I::Lit(k))),
            ty: a.ty,
        }
    }

    /// `a op b`: `b` a small literal or another integer of `a`'s type.
    fn int_arith(&mut self, a: INode, d: u32) -> INode {
        let ops: &[char] = if a.ty == IntTy::Usize {
            &['+', '*', '/', '%']
        } else {
            &['+', '-', '*', '/', '%']
        };
        let op = *self.pick(ops);
        let kind = match op {
            '+' => "int_add",
            '-' => "int_sub",
            '*' => "int_mul",
            '/' => "int_div",
            _ => "int_rem",
        };
        if !self.allowed(kind) {
            return a;
        }
        match op {
            '%' => {
                let k = self.rng.i64(2..=5);
                self.rem(a, k)
            }
            '/' => {
                let k = self.rng.i64(2..=3);
                INode {
                    m: a.m / k,
                    i: I::Bin('/', Box::new(a.i), Box::new(I::Lit(k))),
                    ty: a.ty,
                }
            }
            _ => {
                let b = if self.chance(0.5) {
                    // Another cast of the same type (of the same kind of bound).
                    match self.cast(d.saturating_sub(1), a.ty) {
                        Some(b) if b.m <= 10 => b,
                        _ => self.int_lit(),
                    }
                } else {
                    self.int_lit()
                };
                let m = if op == '*' { a.m * b.m } else { a.m + b.m };
                let (l, r) = if op != '-' && self.chance(0.5) {
                    (b.i, a.i)
                } else {
                    (a.i, b.i)
                };
                INode {
                    i: I::Bin(op, Box::new(l), Box::new(r)),
                    ty: a.ty,
                    m,
                }
            }
        }
    }

    fn int_lit(&mut self) -> INode {
        let v = self.rng.i64(1..=4);
        INode {
            i: I::Lit(v),
            ty: IntTy::I32,
            m: v,
        }
    }

    /// An integer back to float: `(i) as f64` or `f64::from(i)`.
    fn as_f64(&mut self, n: INode) -> Option<Node> {
        let from = n.ty == IntTy::I32 && self.chance(0.4);
        if !self.allowed(if from { "f64_from" } else { "as_f64" }) {
            return None;
        }
        Some(Node {
            e: E::AsF64(n.i, from),
            m: n.m as f64,
            l: 0.0,
            disc: true,
            var: true,
        })
    }

    // -- match ------------------------------------------------------------------

    /// `match <integer> { 0 => e0, 1 | 2 => e1, 3..=5 => e2, _ => e3 }`, with
    /// now and then a negative pattern, a binding `k @ a..=b` (the arm uses
    /// `k`) or a guard `k if k > c`.
    fn match_int(&mut self, d: u32) -> Option<Node> {
        if !self.allowed("match") || !self.allowed("match_int") {
            return None;
        }
        let s = self.int_expr(d)?;
        // Patterns that do not overlap, in order; `None` a guard arm.
        let signed = s.ty != IntTy::Usize;
        let mut pats: Vec<(String, Option<(String, i64)>)> = Vec::new();
        if self.chance(0.7) {
            pats.push(("0".into(), None));
        }
        if self.chance(0.6) && self.allowed("match_or") {
            pats.push(("1 | 2".into(), None));
        }
        if self.chance(0.6) && self.allowed("match_range") {
            if self.chance(0.3) && self.allowed("match_binding") {
                let k = self.fresh("k");
                pats.push((format!("{k} @ 3..=5"), Some((k, 5))));
            } else {
                pats.push(("3..=5".into(), None));
            }
        }
        if signed && self.chance(0.4) && self.allowed("match_negative") {
            if self.chance(0.5) {
                pats.push(("-1".into(), None));
            } else {
                pats.push(("-4..=-2".into(), None));
            }
        }
        if self.chance(0.25) && self.allowed("match_guard") {
            let k = self.fresh("k");
            let c = self.rng.i64(5..=8);
            pats.push((format!("{k} if {k} > {c}"), Some((k, s.m))));
        }
        if pats.is_empty() {
            pats.push(("0".into(), None));
        }
        pats.push(("_".into(), None));
        let mut arms = Vec::new();
        for (pat, binding) in pats {
            let e = match binding {
                Some((k, m)) => {
                    // The arm reads its binding.
                    self.ints.push(IntVar {
                        name: k.clone(),
                        ty: s.ty,
                        m,
                    });
                    let kf = self.as_f64(INode {
                        i: I::Var(k),
                        ty: s.ty,
                        m,
                    });
                    self.ints.pop();
                    let other = self.any(d);
                    match kf {
                        Some(kf) => self.bin('*', kf, other),
                        None => other,
                    }
                }
                None => self.any(d),
            };
            arms.push((pat, e));
        }
        Some(self.match_node(Scrut::Int(s.i), arms))
    }

    /// `match a > b { true => e1, false => e2 }` (or `false` first, or `_`).
    fn match_bool(&mut self, d: u32) -> Option<Node> {
        if !self.allowed("match") || !self.allowed("match_bool") {
            return None;
        }
        let a = self.anyv(d);
        let b = if self.chance(0.4) {
            let c = self.lit_in(-1.0, 1.0);
            if c < 0.0 {
                let c = self.lit(-c);
                self.neg(c)
            } else {
                self.lit(c)
            }
        } else {
            self.anyv(d)
        };
        let op = if self.chance(0.5) { '>' } else { '<' };
        let t = self.any(d);
        let f = self.any(d);
        let arms = match self.rng.u32(0..3) {
            0 => vec![("true".into(), t), ("false".into(), f)],
            1 => vec![("false".into(), f), ("true".into(), t)],
            _ => vec![("true".into(), t), ("_".into(), f)],
        };
        Some(self.match_node(Scrut::Cmp(op, a.e, b.e), arms))
    }

    /// The node of a `match`: bounds of its widest arm; an arm gets a
    /// variable if none has one (so that the arms' type is known).
    fn match_node(&mut self, s: Scrut, arms: Vec<(String, Node)>) -> Node {
        let mut arms = arms;
        if !arms.iter().any(|(_, n)| n.var) {
            let k = self.rng.usize(0..arms.len());
            arms[k].1 = self.var();
        }
        let m = arms.iter().map(|(_, n)| n.m).fold(0.0, f64::max);
        let l = arms.iter().map(|(_, n)| n.l).fold(0.0, f64::max);
        let disc = arms.iter().all(|(_, n)| n.disc);
        Node {
            e: E::Match(
                Box::new(s),
                arms.into_iter().map(|(p, n)| (p, n.e)).collect(),
            ),
            m,
            l,
            disc,
            var: true,
        }
    }
}

/// `e * scale` (just `e` when the scale is 1).
fn scaled(g: &mut Gen<'_>, e: Node, scale: f64) -> Node {
    if scale == 1.0 { e } else { g.mul_lit(e, scale) }
}

// ---------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------

/// Precedence of an integer expression, as `prec` for floats.
fn int_prec(i: &I) -> u8 {
    match i {
        I::Bin('+' | '-', ..) => 1,
        I::Bin(..) => 2,
        I::Cast(..) => 3,
        I::Lit(_) | I::Var(_) | I::Index(..) => 4,
    }
}

/// An integer expression: the `#[grad]` form, or the oracle's (`o`), where
/// each cast reads the float's value through `o::cast_arg`.
pub(super) fn int_text(i: &I, o: bool) -> String {
    match i {
        I::Cast(e, ty) => {
            let e = if o {
                format!("o::cast_arg({})", oracle(e))
            } else if super::prec(e) < 4 {
                format!("({})", rust(e))
            } else {
                rust(e)
            };
            format!("{e} as {}", ty.name())
        }
        I::Lit(v) => v.to_string(),
        I::Var(n) => n.clone(),
        I::Bin(op, a, b) => {
            let p = int_prec(i);
            let l = if int_prec(a) < p {
                format!("({})", int_text(a, o))
            } else {
                int_text(a, o)
            };
            let r = if int_prec(b) <= p {
                format!("({})", int_text(b, o))
            } else {
                int_text(b, o)
            };
            format!("{l} {op} {r}")
        }
        I::Index(c, k) => format!("{c}[{}]", int_text(k, o)),
    }
}

/// `E::AsF64` in the `#[grad]` form.
pub(super) fn as_f64_text(i: &I, from: bool) -> String {
    if super::generic::on() {
        // Over `T` (issue 12); not generated yet: an integer needs a cast.
        format!("T::from({}).unwrap()", int_text(i, false))
    } else if from {
        format!("f64::from({})", int_text(i, false))
    } else if int_prec(i) < 4 {
        format!("({}) as f64", int_text(i, false))
    } else {
        format!("{} as f64", int_text(i, false))
    }
}

/// `E::Match` in the `#[grad]` form (`o` false) or the oracle's.
pub(super) fn match_text(s: &Scrut, arms: &[(String, E)], o: bool) -> String {
    let scrutinee = match s {
        Scrut::Int(i) => int_text(i, o),
        Scrut::Cmp(op, a, b) if o => {
            let f = if *op == '>' { "gt" } else { "lt" };
            format!("o::{f}({}, {})", oracle(a), oracle(b))
        }
        Scrut::Cmp(op, a, b) => {
            // `k as f64 < b` would parse `f64<` as generics.
            let side = |e: &E| {
                if matches!(e, E::AsF64(_, false) | E::Match(..)) {
                    format!("({})", rust(e))
                } else {
                    rust(e)
                }
            };
            format!("{} {op} {}", side(a), side(b))
        }
    };
    let arms: Vec<String> = arms
        .iter()
        .map(|(p, e)| format!("{p} => {}", if o { oracle(e) } else { rust(e) }))
        .collect();
    format!("match {scrutinee} {{ {} }}", arms.join(", "))
}
