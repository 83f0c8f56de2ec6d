//! Writing the gradients of array parameters: each element once.
//!
//! A loop whose trip `i` reads `x[a·i + b₁]`, `x[a·i + b₂]`, … adds to the
//! gradient at those indices: `∂x[a·i + bₖ] += cₖ`. When two offsets differ
//! by a multiple of the stride (`x[i]` and `x[i + 1]`), neighbouring trips
//! add to the same element, a dependence from trip to trip through memory.
//! Here the contributions to an element that later trips still add to stay
//! in registers (carries) and each element is stored once, when its last
//! contribution is in; after the loop, the carries are stored. Each sum
//! takes its contributions where they are made (so each dies there rather
//! than living to the store: a long loop body would otherwise keep one
//! value per read of the array alive across the whole trip). When nothing
//! else writes the gradient and the loop runs once, every element is
//! written at most once and starts at zero: the store is `=`, not `+=`.
//!
//! The carries sum an element's contributions in the order of the trips of
//! this loop. The reverse sweep did too (a reversed loop), but the fused
//! loop (`fuse.rs`) runs forward: there an element's contributions are
//! summed first trip first. Two contributions sum to the same bits in
//! either order.

use crate::analysis::walk;
use crate::ir::{Func, Inst, Piece, Stmt, Ty, ValueId};
use crate::op::Op;
use proc_macro2::{Delimiter, TokenTree};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The most values a gradient carries from one trip to the next, per class
/// of elements: reads `x[i]` to `x[i + MAX_CARRIED]` are carried, wider
/// spreads are stored with `+=` as they are made. This bounds the expansion
/// whatever the offsets (`x[i + 4294967296]` once asked for 2³² carries).
const MAX_CARRIED: usize = 8;

/// An integer `coef · i + off` of a loop variable `i`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Affine {
    coef: i64,
    off: i64,
}

/// A token of a passive integer expression.
#[derive(Clone, Debug)]
enum Tok {
    Val(ValueId),
    Num(i64),
    Op(char),
    Open,
    Close,
}

fn tokens(pieces: &[Piece], out: &mut Vec<Tok>) -> Option<()> {
    fn tree(t: TokenTree, out: &mut Vec<Tok>) -> Option<()> {
        match t {
            TokenTree::Literal(l) => {
                let text = l.to_string();
                let cut = text
                    .find(|c: char| c.is_ascii_alphabetic())
                    .unwrap_or(text.len());
                let (digits, suffix) = text.split_at(cut);
                if !matches!(
                    suffix,
                    "" | "usize" | "isize" | "u32" | "i32" | "u64" | "i64"
                ) {
                    return None;
                }
                out.push(Tok::Num(digits.replace('_', "").parse().ok()?));
            }
            TokenTree::Punct(p) if matches!(p.as_char(), '+' | '-' | '*') => {
                out.push(Tok::Op(p.as_char()))
            }
            TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis => {
                out.push(Tok::Open);
                for t in g.stream() {
                    tree(t, out)?;
                }
                out.push(Tok::Close);
            }
            _ => return None,
        }
        Some(())
    }
    for p in pieces {
        match p {
            Piece::Value(v) => out.push(Tok::Val(*v)),
            Piece::Tokens(ts) => {
                for t in ts.clone() {
                    tree(t, out)?;
                }
            }
            Piece::Paren(inner) => {
                out.push(Tok::Open);
                tokens(inner, out)?;
                out.push(Tok::Close);
            }
            Piece::Bracket(_) => return None,
        }
    }
    Some(())
}

/// Reads `coef · var + off` from the integer value `v`, if it is one.
fn affine(func: &Func, v: ValueId, var: ValueId, depth: usize) -> Option<Affine> {
    if v == var {
        return Some(Affine { coef: 1, off: 0 });
    }
    let Inst::Passive { index, ty: Ty::Int } = func.inst(v) else {
        return None;
    };
    if depth > 16 {
        return None;
    }
    let mut toks = Vec::new();
    tokens(&func.passive[*index], &mut toks)?;
    let mut parser = Parser {
        func,
        var,
        toks: &toks,
        at: 0,
        depth,
    };
    let e = parser.sum()?;
    (parser.at == toks.len()).then_some(e)
}

struct Parser<'a> {
    func: &'a Func,
    var: ValueId,
    toks: &'a [Tok],
    at: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn sum(&mut self) -> Option<Affine> {
        let mut acc = self.product()?;
        while let Some(Tok::Op(c @ ('+' | '-'))) = self.peek() {
            let c = *c;
            self.at += 1;
            let t = self.product()?;
            acc = if c == '+' {
                Affine {
                    coef: acc.coef.checked_add(t.coef)?,
                    off: acc.off.checked_add(t.off)?,
                }
            } else {
                Affine {
                    coef: acc.coef.checked_sub(t.coef)?,
                    off: acc.off.checked_sub(t.off)?,
                }
            };
        }
        Some(acc)
    }

    fn product(&mut self) -> Option<Affine> {
        let mut acc = self.factor()?;
        while let Some(Tok::Op('*')) = self.peek() {
            self.at += 1;
            let f = self.factor()?;
            acc = match (acc.coef, f.coef) {
                (0, _) => Affine {
                    coef: f.coef.checked_mul(acc.off)?,
                    off: f.off.checked_mul(acc.off)?,
                },
                (_, 0) => Affine {
                    coef: acc.coef.checked_mul(f.off)?,
                    off: acc.off.checked_mul(f.off)?,
                },
                _ => return None,
            };
        }
        Some(acc)
    }

    fn factor(&mut self) -> Option<Affine> {
        let t = self.peek()?.clone();
        self.at += 1;
        match t {
            Tok::Num(n) => Some(Affine { coef: 0, off: n }),
            Tok::Val(v) => affine(self.func, v, self.var, self.depth + 1),
            Tok::Op('-') => {
                let f = self.factor()?;
                Some(Affine {
                    coef: f.coef.checked_neg()?,
                    off: f.off.checked_neg()?,
                })
            }
            Tok::Open => {
                let e = self.sum()?;
                matches!(self.peek(), Some(Tok::Close)).then_some(())?;
                self.at += 1;
                Some(e)
            }
            _ => None,
        }
    }
}

/// The gradient arrays of array parameters (`zeros like` a parameter).
fn gradient_arrays(func: &Func) -> HashSet<ValueId> {
    let mut out = HashSet::new();
    walk(&func.body, &mut |s| {
        if let Stmt::Def(v) = s
            && let Inst::ZeroLike(a) = func.inst(*v)
            && matches!(func.inst(*a), Inst::ArrayParam(_))
        {
            out.insert(*v);
        }
    });
    out
}

/// The values statements (and the blocks in them) read or write, their
/// own definitions left out ([`Stmt::uses`] and [`Stmt::defs`]).
fn touched(func: &Func, block: &[Stmt]) -> HashSet<ValueId> {
    let mut out = HashSet::new();
    walk(block, &mut |s| {
        s.visit_uses(func, &mut |v| {
            out.insert(v);
        });
        if !matches!(s, Stmt::Def(_)) {
            out.extend(s.defs());
        }
    });
    out
}

// Input:  the gradient function's body
// Output: the same with carries for neighbouring writes and `=` for writes
//         that are the only ones to their elements
pub fn rewrite(func: &mut Func) {
    let grads = gradient_arrays(func);
    if grads.is_empty() {
        return;
    }
    let body = std::mem::take(&mut func.body);
    let touches: Vec<HashSet<ValueId>> = body
        .iter()
        .map(|s| touched(func, std::slice::from_ref(s)))
        .collect();
    // How many top-level statements touch each gradient (counted once, so
    // that asking it for every loop is not quadratic).
    let mut touching: HashMap<ValueId, usize> = HashMap::new();
    for t in &touches {
        for g in t.iter().filter(|g| grads.contains(g)) {
            *touching.entry(*g).or_default() += 1;
        }
    }
    let mut out = Vec::new();
    for (stmt, mine) in body.into_iter().zip(&touches) {
        // A top-level loop runs once: its writes are the only ones to a
        // gradient no other statement touches.
        let only: HashSet<ValueId> = match stmt {
            Stmt::For { .. } => grads
                .iter()
                .copied()
                .filter(|g| {
                    let others = touching.get(g).copied().unwrap_or(0);
                    others == usize::from(mine.contains(g))
                })
                .collect(),
            _ => HashSet::new(),
        };
        out.extend(visit(func, stmt, &grads, &only));
    }
    func.body = out;
}

/// Rewrites the loops in `stmt`; `only` are the gradients whose sole
/// writer is `stmt` itself, when it is a loop that runs once.
fn visit(
    func: &mut Func,
    stmt: Stmt,
    grads: &HashSet<ValueId>,
    only: &HashSet<ValueId>,
) -> Vec<Stmt> {
    let none = HashSet::new();
    let inner = |func: &mut Func, block: Vec<Stmt>| -> Vec<Stmt> {
        block
            .into_iter()
            .flat_map(|s| visit(func, s, grads, &none))
            .collect()
    };
    match stmt {
        Stmt::For {
            var,
            start,
            end,
            rev,
            body,
        } => {
            let body = inner(func, body);
            let mut lp = Loop {
                var,
                start,
                end,
                rev,
                body,
            };
            let mut before = Vec::new();
            let mut after = Vec::new();
            let mut sorted: Vec<ValueId> = grads.iter().copied().collect();
            sorted.sort();
            for g in sorted {
                carry(func, &mut lp, g, only.contains(&g), &mut before, &mut after);
            }
            before.push(Stmt::For {
                var,
                start,
                end,
                rev,
                body: lp.body,
            });
            before.extend(after);
            before
        }
        Stmt::If { cond, then, els } => vec![Stmt::If {
            cond,
            then: inner(func, then),
            els: inner(func, els),
        }],
        Stmt::While { head, cond, body } => vec![Stmt::While {
            head,
            cond,
            body: inner(func, body),
        }],
        other => vec![other],
    }
}

struct Loop {
    var: ValueId,
    start: ValueId,
    end: ValueId,
    rev: bool,
    body: Vec<Stmt>,
}

/// One write of a trip to a gradient: `g[index] += value`, `index` being
/// `stride · i + off`, at position `at` of the body.
struct Write {
    at: usize,
    index: ValueId,
    off: i64,
    value: ValueId,
}

/// Rewrites the writes of one trip of `lp` to the gradient `g` (see the
/// module's docs); `only` when they are the only writes to `g` and the loop
/// runs once. Statements to run before and after the loop go to `before`
/// and `after`.
fn carry(
    func: &mut Func,
    lp: &mut Loop,
    g: ValueId,
    only: bool,
    before: &mut Vec<Stmt>,
    after: &mut Vec<Stmt>,
) {
    // The trip's writes to `g`: at its top level, affine in the variable,
    // one stride; nothing else in the loop touches `g`.
    let mut writes = Vec::new();
    let mut stride = None;
    for (at, s) in lp.body.iter().enumerate() {
        if let Stmt::AddStore { arr, index, value } = s
            && *arr == g
        {
            let [ix] = index.as_slice() else { return };
            if func.ty(*value) != Ty::Float {
                return;
            }
            let Some(p) = affine(func, *ix, lp.var, 0) else {
                return;
            };
            if p.coef <= 0 || stride.is_some_and(|a| a != p.coef) {
                return;
            }
            stride = Some(p.coef);
            writes.push(Write {
                at,
                index: *ix,
                off: p.off,
                value: *value,
            });
        } else if touched(func, std::slice::from_ref(s)).contains(&g) {
            return;
        }
    }
    let Some(a) = stride else { return };
    // Classes of elements: offsets equal modulo the stride.
    let mut classes: BTreeMap<i64, Vec<&Write>> = BTreeMap::new();
    for w in &writes {
        classes.entry(w.off.rem_euclid(a)).or_default().push(w);
    }
    // Offsets far apart (`x[i]` and `x[i + 1000]`) would need a carry per
    // element between them: such a gradient keeps its `+=` writes, which
    // read the element again.
    if classes.values().any(|ws| {
        let (lo, hi) = bounds(ws, a);
        hi.checked_sub(lo).is_none_or(|d| d >= MAX_CARRIED as i64)
    }) {
        return;
    }
    let dir: i64 = if lp.rev { -1 } else { 1 };
    let span = func.span(g);
    // New statements, by the position they go after; positions removed.
    let mut inserts: BTreeMap<usize, Vec<Stmt>> = BTreeMap::new();
    let mut removed = HashSet::new();
    for (r, ws) in &classes {
        let m = |w: &Write| w.off.div_euclid(a);
        let (lo, hi) = bounds(ws, a);
        let width = (hi - lo + 1) as usize;
        if width == 1 && ws.len() == 1 && !only {
            continue;
        }
        // `done`: the offset whose element gets its last contribution now.
        let done = if dir > 0 { lo } else { hi };
        let delta = |w: &Write| (dir * (m(w) - done)) as usize;
        let carries: Vec<ValueId> = (1..width).map(|_| func.push(Inst::NegZero, span)).collect();
        before.extend(carries.iter().map(|c| Stmt::Def(*c)));
        let last = ws.iter().map(|w| w.at).max().expect("a write");
        // Each element's sum, in the order of the writes: its carry, then
        // each contribution added where it was written (so each dies
        // there), the sums read at `last`.
        let mut sums: Vec<Option<ValueId>> = (0..width).map(|d| carries.get(d).copied()).collect();
        for w in ws.iter() {
            let d = delta(w);
            sums[d] = Some(match sums[d] {
                None => w.value,
                Some(prev) => {
                    let v = func.push(
                        Inst::Op {
                            op: Op::Add,
                            args: vec![prev, w.value],
                        },
                        span,
                    );
                    inserts.entry(w.at).or_default().push(Stmt::Def(v));
                    v
                }
            });
        }
        let mut code = Vec::new();
        // The element completed now: its carry and this trip's share.
        let index = ws
            .iter()
            .find(|w| delta(w) == 0)
            .expect("a write at the completing offset")
            .index;
        let total = sums[0].expect("a share");
        code.push(if only {
            Stmt::Store {
                arr: g,
                index: vec![index],
                value: total,
            }
        } else {
            Stmt::AddStore {
                arr: g,
                index: vec![index],
                value: total,
            }
        });
        // The carries move one element on.
        for (d, next) in sums.iter().enumerate().skip(1) {
            code.push(match *next {
                Some(v) => Stmt::Assign {
                    dst: carries[d - 1],
                    src: v,
                },
                None => Stmt::Clear(carries[d - 1]),
            });
        }
        inserts.entry(last).or_default().extend(code);
        removed.extend(ws.iter().map(|w| w.at));
        // After the loop, if it ran: the elements its last trip left in
        // the carries.
        if width > 1 {
            let mut flush = Vec::new();
            for d in 1..width as i64 {
                let off = a * (done + dir * d) + r;
                let last_trip = if dir > 0 {
                    vec![
                        Piece::Paren(vec![
                            Piece::Value(lp.end),
                            Piece::Tokens(quote::quote!(as i128)),
                        ]),
                        Piece::Tokens(quote::quote!(-1i128)),
                    ]
                } else {
                    vec![
                        Piece::Value(lp.start),
                        Piece::Tokens(quote::quote!(as i128)),
                    ]
                };
                let (a_lit, off_lit) = (
                    proc_macro2::Literal::i128_suffixed(a as i128),
                    proc_macro2::Literal::i128_suffixed(off as i128),
                );
                let pieces = vec![
                    Piece::Paren(vec![
                        Piece::Paren(last_trip),
                        Piece::Tokens(quote::quote!(* #a_lit + (#off_lit))),
                    ]),
                    Piece::Tokens(quote::quote!(as usize)),
                ];
                let at = passive(func, pieces, Ty::Int, span);
                flush.push(Stmt::Def(at));
                let value = carries[d as usize - 1];
                flush.push(if only {
                    Stmt::Store {
                        arr: g,
                        index: vec![at],
                        value,
                    }
                } else {
                    Stmt::AddStore {
                        arr: g,
                        index: vec![at],
                        value,
                    }
                });
            }
            let ran = passive(
                func,
                vec![
                    Piece::Value(lp.start),
                    Piece::Tokens(quote::quote!(<)),
                    Piece::Value(lp.end),
                ],
                Ty::Bool,
                span,
            );
            after.push(Stmt::Def(ran));
            after.push(Stmt::If {
                cond: ran,
                then: flush,
                els: Vec::new(),
            });
        }
    }
    if only {
        cover(func, lp, g, a, &classes, after);
    }
    if removed.is_empty() {
        return;
    }
    let body = std::mem::take(&mut lp.body);
    for (at, s) in body.into_iter().enumerate() {
        if !removed.contains(&at) {
            lp.body.push(s);
        }
        if let Some(code) = inserts.remove(&at) {
            lp.body.extend(code);
        }
    }
}

/// The least and greatest `off.div_euclid(stride)` of a class's writes:
/// the elements one trip writes, in strides.
fn bounds(ws: &[&Write], stride: i64) -> (i64, i64) {
    let m = |w: &&Write| w.off.div_euclid(stride);
    let lo = ws.iter().map(m).min().expect("a write");
    let hi = ws.iter().map(m).max().expect("a write");
    (lo, hi)
}

/// A passive value with the given source.
fn passive(func: &mut Func, pieces: Vec<Piece>, ty: Ty, span: proc_macro2::Span) -> ValueId {
    let index = func.passive.len();
    func.passive.push(pieces);
    func.push(Inst::Passive { index, ty }, span)
}

/// When the stores of a loop that runs once write every element of `g`
/// from `a·(start + lo)` to `a·(end + hi)` (every residue modulo the stride,
/// each at every offset from `lo` to `hi`), the gradient needs no zeros
/// before the loop: it becomes `output like` its parameter and only the
/// elements outside that range are set to zero, after the loop.
fn cover(
    func: &mut Func,
    lp: &Loop,
    g: ValueId,
    a: i64,
    classes: &BTreeMap<i64, Vec<&Write>>,
    after: &mut Vec<Stmt>,
) {
    let Inst::ZeroLike(param) = *func.inst(g) else {
        return;
    };
    let offsets = |ws: &Vec<&Write>| {
        let mut m: Vec<i64> = ws.iter().map(|w| w.off.div_euclid(a)).collect();
        m.sort();
        m.dedup();
        m
    };
    let Some(first) = classes.values().next().map(offsets) else {
        return;
    };
    let contiguous = first.windows(2).all(|w| w[1] == w[0] + 1);
    let every_residue = classes.keys().copied().eq(0..a);
    if !contiguous || !every_residue || classes.values().any(|ws| offsets(ws) != first) {
        return;
    }
    let (lo, hi) = (first[0], first[first.len() - 1]);
    let span = func.span(g);
    // `(start < end).then_some(a * (at + m)).unwrap_or(0)` in `i128`: no
    // overflow for any integer type, and a select, not a product by the
    // condition.
    let bound = |func: &mut Func, at: ValueId, m: i64| {
        let (a, m) = (
            proc_macro2::Literal::i128_suffixed(a as i128),
            proc_macro2::Literal::i128_suffixed(m as i128),
        );
        let pieces = vec![Piece::Paren(vec![
            Piece::Paren(vec![
                Piece::Value(lp.start),
                Piece::Tokens(quote::quote!(<)),
                Piece::Value(lp.end),
            ]),
            Piece::Tokens(quote::quote!(.then_some)),
            Piece::Paren(vec![
                Piece::Tokens(quote::quote!(#a *)),
                Piece::Paren(vec![
                    Piece::Paren(vec![
                        Piece::Value(at),
                        Piece::Tokens(quote::quote!(as i128)),
                    ]),
                    Piece::Tokens(quote::quote!(+ (#m))),
                ]),
            ]),
            Piece::Tokens(quote::quote!(.unwrap_or(0i128))),
        ])];
        passive(func, pieces, Ty::Int, span)
    };
    let from = bound(func, lp.start, lo);
    let to = bound(func, lp.end, hi);
    func.insts[g.index()] = Inst::OutputLike(param);
    after.push(Stmt::Def(from));
    after.push(Stmt::Def(to));
    after.push(Stmt::ZeroOutside {
        arr: g,
        lo: from,
        hi: to,
    });
}
