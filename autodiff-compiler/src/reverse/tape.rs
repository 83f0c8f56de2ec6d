//! What the structured reverse sweep saves, and where.
//!
//! Before a statement overwrites a value that the reverse sweep will read
//! (a value defined inside a loop, or a variable assigned again), the
//! augmented forward sweep pushes the old value on the tape of its kind
//! ([`Tape`]); the reverse sweep pops it back. This module decides which
//! values those are ([`Overwrites::taped`]: [`overwritten`] after the
//! reverse sweep has read them, iterated to a fixpoint in `structured/`), which loop values are cheaper to recompute than to
//! tape ([`find_recomputable`]), writes the augmented forward sweep
//! ([`augment`]: pushes, `while` trip counters, reservations), and tapes the
//! tuples of calls made inside loops or branches.

use crate::analysis::walk;
use crate::ir::{Func, Inst, Piece, Stmt, Tape, Ty, ValueId};
use crate::op::Op;
use std::collections::{HashMap, HashSet};

/// Every value the statements read ([`Stmt::uses`], nested blocks included).
pub fn reads(func: &Func, block: &[Stmt]) -> HashSet<ValueId> {
    let mut set = HashSet::new();
    walk(block, &mut |stmt| {
        stmt.visit_uses(func, &mut |v| {
            set.insert(v);
        })
    });
    set
}

/// One level of the position of a statement: its index in its block, the
/// nested block of it the position goes on into (0 for a branch's `then`,
/// a loop's body, a `while` head; 1 for `else`, a `while` body), and
/// whether that statement repeats (a loop not fused).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Level {
    pub index: usize,
    pub block: usize,
    pub repeats: bool,
}

/// The position of a statement in the forward sweep, outermost level first.
pub type Path = Vec<Level>;

/// Whether the statement at `a` can run after the one at `s` in the forward
/// sweep (in program order, or in a later trip of a loop around both); a
/// statement nested in `s` runs after `s` reads its condition or bounds.
fn after(a: &[Level], s: &[Level]) -> bool {
    let (Some(x), Some(y)) = (a.first(), s.first()) else {
        return false;
    };
    if x.index != y.index {
        return x.index > y.index;
    }
    if a.len() == 1 || s.len() == 1 {
        // The same statement, or `a` nested in `s`.
        return a.len() > s.len();
    }
    if x.repeats {
        return true;
    }
    // Two branches of one `if` never both run (outside loops).
    x.block == y.block && after(&a[1..], &s[1..])
}

/// The values that something overwrites after the reverse sweep may have
/// read them (`overwritten`, less what is recomputed), with the statements
/// that overwrite each: what the taping decision ([`Overwrites::taped`])
/// weighs the sweep's reads against.
pub struct Overwrites<'a> {
    forward: &'a Func,
    fused: &'a HashSet<ValueId>,
    over: HashSet<ValueId>,
    /// Where each of `over` is overwritten: an assignment, or a definition
    /// that the next trip of a loop around it repeats.
    sites: HashMap<ValueId, Vec<Path>>,
}

impl<'a> Overwrites<'a> {
    pub fn of(
        forward: &'a Func,
        fused: &'a HashSet<ValueId>,
        recompute: &HashMap<ValueId, Vec<ValueId>>,
    ) -> Self {
        let mut over = HashSet::new();
        overwritten(forward, &forward.body, fused, &mut over);
        for values in recompute.values() {
            for v in values {
                over.remove(v);
            }
        }
        let mut sites = HashMap::new();
        overwrite_sites(&forward.body, fused, &over, &mut Vec::new(), &mut sites);
        Overwrites {
            forward,
            fused,
            over,
            sites,
        }
    }

    /// The taping decision, given where the reverse sweep reads each value
    /// (`read_sites`, by the forward statement whose reverse reads it):
    /// values the reverse of a statement reads that something overwrites
    /// after that statement has run, and the trip counters it reads of
    /// `while` loops inside loops.
    pub fn taped(
        &self,
        read_sites: &HashMap<ValueId, Vec<Path>>,
        counters: &HashMap<ValueId, ValueId>,
    ) -> HashSet<ValueId> {
        let mut taped: HashSet<ValueId> = self
            .over
            .iter()
            .copied()
            .filter(|v| self.forward.ty(*v) != Ty::Tuple)
            .filter(|v| {
                let (Some(reads), Some(writes)) = (read_sites.get(v), self.sites.get(v)) else {
                    return false;
                };
                reads.iter().any(|s| writes.iter().any(|a| after(a, s)))
            })
            .collect();
        for c in counters.values() {
            // A trip counter is overwritten when its loop runs again.
            if read_sites.contains_key(c)
                && in_loop_def(&self.forward.body, *c, counters, self.fused)
            {
                taped.insert(*c);
            }
        }
        taped
    }
}

/// Values defined inside loops, or assigned after their definition: the
/// ones whose old values may be gone when the reverse sweep needs them.
/// Loop variables are left out: the reverse loop recreates them. `while`
/// heads are left out: the reverse sweep never replays them. The body of a
/// fused loop (by its variable, in `fused`) counts as straight code: each
/// trip is reversed before the next one runs.
pub fn overwritten(
    func: &Func,
    block: &[Stmt],
    fused: &HashSet<ValueId>,
    set: &mut HashSet<ValueId>,
) {
    let mut assigned = HashSet::new();
    walk(block, &mut |stmt| {
        if let Stmt::Assign { dst, .. } = stmt {
            assigned.insert(*dst);
        }
    });
    overwritten_in(func, block, false, &assigned, fused, set);
}

fn overwritten_in(
    func: &Func,
    block: &[Stmt],
    in_loop: bool,
    assigned: &HashSet<ValueId>,
    fused: &HashSet<ValueId>,
    set: &mut HashSet<ValueId>,
) {
    for stmt in block {
        match stmt {
            // A constant that nothing reassigns is the same on every
            // iteration: nothing to save. A variable reset to a constant
            // (a loop's `break` flag) loses the last iteration's value.
            Stmt::Def(v) if in_loop && (!is_constant(func, *v) || assigned.contains(v)) => {
                set.insert(*v);
            }
            Stmt::Assign { dst, .. } => {
                set.insert(*dst);
            }
            Stmt::If { then, els, .. } => {
                overwritten_in(func, then, in_loop, assigned, fused, set);
                overwritten_in(func, els, in_loop, assigned, fused, set);
            }
            Stmt::For { var, body, .. } => {
                let in_loop = in_loop || !fused.contains(var);
                overwritten_in(func, body, in_loop, assigned, fused, set)
            }
            Stmt::While { body, .. } => overwritten_in(func, body, true, assigned, fused, set),
            _ => {}
        }
    }
}

/// Whether `v` is an integer known at compile time: passive source made of
/// literals, paths (constants in scope) and operators, with no parameter,
/// `self`, method call, field or index in it. It can size an array.
pub fn is_const_expr(func: &Func, v: ValueId) -> bool {
    use proc_macro2::TokenTree;
    fn plain(func: &Func, tokens: proc_macro2::TokenStream) -> bool {
        tokens.into_iter().all(|t| match t {
            TokenTree::Ident(id) => {
                let name = id.to_string();
                // `__ad_…`: a generated name, such as a struct field's
                // hidden parameter (`structs.rs`), never a constant.
                name != "self"
                    && !name.starts_with("__ad_")
                    && !func.params.iter().any(|p| p.name == name)
            }
            TokenTree::Punct(p) => p.as_char() != '.',
            TokenTree::Literal(_) => true,
            TokenTree::Group(g) => {
                g.delimiter() == proc_macro2::Delimiter::Parenthesis && plain(func, g.stream())
            }
        })
    }
    match func.inst(v) {
        Inst::Passive { index, ty: Ty::Int } => func.passive[*index].iter().all(|p| match p {
            Piece::Tokens(t) => plain(func, t.clone()),
            _ => false,
        }),
        _ => false,
    }
}

/// Whether `v` is a constant: a literal, a constant in scope, or passive
/// source that reads no value of the IR.
pub fn is_constant(func: &Func, v: ValueId) -> bool {
    match func.inst(v) {
        Inst::Lit { .. } | Inst::Extern(_) => true,
        Inst::Passive { index, .. } => func.passive[*index]
            .iter()
            .all(|p| matches!(p, Piece::Tokens(_))),
        _ => false,
    }
}

/// The forward sweep: the user's code, with a push before each overwrite of
/// a taped value and a trip counter on each `while` loop.
pub fn augment(
    forward: &Func,
    block: &[Stmt],
    taped: &HashSet<ValueId>,
    counters: &HashMap<ValueId, ValueId>,
    fused: &HashMap<ValueId, Vec<ValueId>>,
    in_loop: bool,
) -> Vec<Stmt> {
    augment_in(
        forward,
        block,
        taped,
        counters,
        fused,
        in_loop,
        &HashSet::new(),
    )
}

/// [`augment`] inside a fused loop that sums into the variables `sums`:
/// their old values are saved once around the whole loop (trips reversed
/// inside it must not restore them, or they would undo the sum).
fn augment_in(
    forward: &Func,
    block: &[Stmt],
    taped: &HashSet<ValueId>,
    counters: &HashMap<ValueId, ValueId>,
    fused: &HashMap<ValueId, Vec<ValueId>>,
    in_loop: bool,
    sums: &HashSet<ValueId>,
) -> Vec<Stmt> {
    let mut out = Vec::new();
    let augment = |block: &[Stmt], in_loop: bool, sums: &HashSet<ValueId>| {
        augment_in(forward, block, taped, counters, fused, in_loop, sums)
    };
    for stmt in block {
        match stmt {
            Stmt::Def(v) if in_loop && taped.contains(v) => {
                out.push(Stmt::Push(*v));
                out.push(stmt.clone());
            }
            Stmt::Assign { dst: v, .. } if taped.contains(v) && !sums.contains(v) => {
                out.push(Stmt::Push(*v));
                out.push(stmt.clone());
            }
            Stmt::If { cond, then, els } => out.push(Stmt::If {
                cond: *cond,
                then: augment(then, in_loop, sums),
                els: augment(els, in_loop, sums),
            }),
            Stmt::For {
                var,
                start,
                end,
                rev,
                body,
            } => {
                let body = match fused.get(var) {
                    Some(reductions) => {
                        for s in reductions {
                            if taped.contains(s) {
                                out.push(Stmt::Push(*s));
                            }
                        }
                        let sums = reductions.iter().copied().collect();
                        augment(body, in_loop, &sums)
                    }
                    None => augment(body, true, sums),
                };
                // The trip count is known: reserve the tape up front.
                let per_trip = pushes_per_trip(forward, &body);
                if !per_trip.is_empty() {
                    out.push(Stmt::Reserve {
                        start: *start,
                        end: *end,
                        per_trip,
                    });
                }
                out.push(Stmt::For {
                    var: *var,
                    start: *start,
                    end: *end,
                    rev: *rev,
                    body,
                });
            }
            Stmt::While { head, cond, body } => {
                let count = counters[cond];
                if in_loop && taped.contains(&count) {
                    out.push(Stmt::Push(count));
                }
                out.push(Stmt::Def(count));
                let mut body = augment(body, true, sums);
                body.push(Stmt::Count(count));
                out.push(Stmt::While {
                    head: head.clone(),
                    cond: *cond,
                    body,
                });
            }
            other => out.push(other.clone()),
        }
    }
    out
}

/// Operations too costly to compute again in the reverse sweep when their
/// loop can keep them in a buffer on the stack instead.
fn costly(op: Op) -> bool {
    use Op::*;
    matches!(
        op,
        Exp | Exp2
            | ExpM1
            | Ln
            | Ln1p
            | Log
            | Log2
            | Log10
            | Cbrt
            | Powi
            | Powf
            | Sin
            | Cos
            | Tan
            | Asin
            | Acos
            | Atan
            | Atan2
            | Sinh
            | Cosh
            | Tanh
            | Asinh
            | Acosh
            | Atanh
            | Hypot
    )
}

/// The arrays that statements store into.
fn stores(block: &[Stmt]) -> HashSet<ValueId> {
    let mut out = HashSet::new();
    walk(block, &mut |s| {
        if let Stmt::Store { arr, .. } = s {
            out.insert(*arr);
        }
    });
    out
}

/// Where [`find_recomputable`] is.
#[derive(Clone, Copy)]
pub struct Place<'a> {
    /// Fused loops, by variable: their trips are reversed in place.
    pub fused: &'a HashSet<ValueId>,
    /// Whether a loop around (not fused) repeats what is here.
    pub repeating: bool,
    /// Arrays stored between here and the reverse of here, outside the
    /// block: what a reversed loop reads from them may have changed.
    pub stored_after: &'a HashSet<ValueId>,
}

/// For every `for` loop: the values defined at the top level of its body
/// that are pure functions of loop variables, values defined outside the
/// loop that it does not assign, elements of parameter arrays (which never
/// change) and of local arrays that nothing stores into until the loop's
/// reverse, and each other, in the order they are defined. A costly
/// operation is left out (kept on the loop's tape instead) where that tape
/// is a buffer on the stack: a loop with constant bounds that runs once
/// (not in a loop that is not fused).
pub fn find_recomputable(
    func: &Func,
    block: &[Stmt],
    assigned: &HashSet<ValueId>,
    place: Place,
    out: &mut HashMap<ValueId, Vec<ValueId>>,
) {
    // Last statement first, so that the arrays stored after each statement
    // grow one statement at a time (linear, where a scan of the rest of the
    // block at each statement would be quadratic).
    let mut later = place.stored_after.clone();
    for stmt in block.iter().rev() {
        match stmt {
            Stmt::For { var, body, .. } if place.fused.contains(var) => {
                let inner = Place {
                    stored_after: &HashSet::new(),
                    ..place
                };
                find_recomputable(func, body, assigned, inner, out);
            }
            Stmt::For {
                var,
                start,
                end,
                body,
                ..
            } => {
                let mut inside = HashSet::new();
                let mut assigned_in = HashSet::new();
                walk(body, &mut |s| match s {
                    Stmt::Def(v) => {
                        inside.insert(*v);
                    }
                    Stmt::Assign { dst, .. } => {
                        assigned_in.insert(*dst);
                    }
                    _ => {}
                });
                let mut unstable = stores(body);
                unstable.extend(later.iter().copied());
                let stack =
                    !place.repeating && is_const_expr(func, *start) && is_const_expr(func, *end);
                let mut ok: HashSet<ValueId> = HashSet::new();
                let mut order = Vec::new();
                for s in body {
                    let Stmt::Def(v) = s else { continue };
                    let inst = func.inst(*v);
                    let pure = match inst {
                        Inst::Op { op, .. } => !(stack && costly(*op)),
                        Inst::Lit { .. } | Inst::Extern(_) | Inst::Passive { .. } => true,
                        Inst::Load { arr, .. } => match func.inst(*arr) {
                            Inst::ArrayParam(_) => true,
                            Inst::ArrayRepeat { .. } | Inst::ArrayList(_) => {
                                !inside.contains(arr) && !unstable.contains(arr)
                            }
                            _ => false,
                        },
                        _ => false,
                    };
                    if !pure || assigned.contains(v) {
                        continue;
                    }
                    let operands = inst.uses(&func.passive);
                    let available = operands.iter().all(|o| {
                        *o == *var
                            || ok.contains(o)
                            || (!inside.contains(o) && !assigned_in.contains(o))
                    });
                    if available {
                        ok.insert(*v);
                        order.push(*v);
                    }
                }
                out.insert(*var, order);
                let inner = Place {
                    repeating: true,
                    stored_after: &unstable,
                    ..place
                };
                find_recomputable(func, body, assigned, inner, out);
            }
            Stmt::If { then, els, .. } => {
                let inner = Place {
                    stored_after: &later,
                    ..place
                };
                find_recomputable(func, then, assigned, inner, out);
                find_recomputable(func, els, assigned, inner, out);
            }
            Stmt::While { head, body, .. } => {
                let mut unstable = stores(head);
                unstable.extend(stores(body));
                unstable.extend(later.iter().copied());
                let inner = Place {
                    repeating: true,
                    stored_after: &unstable,
                    ..place
                };
                find_recomputable(func, body, assigned, inner, out);
            }
            _ => {}
        }
        later.extend(stores(std::slice::from_ref(stmt)));
    }
}

/// Active calls defined inside loops or branches.
pub fn nested_calls(
    func: &Func,
    block: &[Stmt],
    depth: usize,
    active: &HashSet<ValueId>,
    fused: &HashSet<ValueId>,
    out: &mut HashSet<ValueId>,
) {
    for stmt in block {
        match stmt {
            Stmt::Def(v)
                if depth > 0
                    && matches!(func.inst(*v), Inst::Call { .. })
                    && active.contains(v) =>
            {
                out.insert(*v);
            }
            Stmt::If { then, els, .. } => {
                nested_calls(func, then, depth + 1, active, fused, out);
                nested_calls(func, els, depth + 1, active, fused, out);
            }
            // A fused loop reverses each trip in the same block.
            Stmt::For { var, body, .. } if fused.contains(var) => {
                nested_calls(func, body, depth, active, fused, out)
            }
            Stmt::For { body, .. } | Stmt::While { body, .. } => {
                nested_calls(func, body, depth + 1, active, fused, out)
            }
            _ => {}
        }
    }
}

/// Pushes each taped call's tuple once its value has been read.
pub fn push_tuples(func: &Func, block: Vec<Stmt>, taped: &HashSet<ValueId>) -> Vec<Stmt> {
    let mut out = Vec::new();
    for stmt in block {
        match stmt {
            Stmt::Def(v) => {
                out.push(Stmt::Def(v));
                if let Inst::Proj { tuple, index: 0 } = func.inst(v)
                    && taped.contains(tuple)
                {
                    out.push(Stmt::PushTuple(*tuple));
                }
            }
            other => out.push(other.map_blocks(|b| push_tuples(func, b, taped))),
        }
    }
    out
}

/// The pushes every trip of a loop body makes for sure (those outside
/// branches and inner loops), per tape; tapes with none are left out.
pub fn pushes_per_trip(func: &Func, body: &[Stmt]) -> Vec<(Tape, usize)> {
    let mut n: Vec<(Tape, usize)> = Vec::new();
    for stmt in body {
        if let Stmt::Push(v) = stmt {
            let tape = Tape::of(func.ty(*v));
            match n.iter_mut().find(|(t, _)| *t == tape) {
                Some((_, k)) => *k += 1,
                None => n.push((tape, 1)),
            }
        }
    }
    n.sort();
    n
}

/// Values defined inside nested blocks of the forward sweep: codegen declares
/// them at the top so the reverse sweep can read them.
pub fn nested_defs(
    func: &Func,
    block: &[Stmt],
    depth: usize,
    fused: &HashSet<ValueId>,
    out: &mut Vec<ValueId>,
) {
    for stmt in block {
        match stmt {
            // A call's tuple stays local: its reverse takes it from a tape.
            Stmt::Def(v) if depth > 0 && func.ty(*v) != Ty::Tuple => out.push(*v),
            Stmt::If { then, els, .. } => {
                nested_defs(func, then, depth + 1, fused, out);
                nested_defs(func, els, depth + 1, fused, out);
            }
            // A fused loop's trip reads its values in the same block.
            Stmt::For { var, body, .. } if fused.contains(var) => {
                nested_defs(func, body, depth, fused, out)
            }
            Stmt::For { body, .. } => nested_defs(func, body, depth + 1, fused, out),
            Stmt::While { head, body, .. } => {
                nested_defs(func, head, depth + 1, fused, out);
                nested_defs(func, body, depth + 1, fused, out);
            }
            _ => {}
        }
    }
}

/// Trip counters for every `while` loop, keyed by its condition.
pub fn make_counters(block: &[Stmt], out: &mut Func, counters: &mut HashMap<ValueId, ValueId>) {
    walk(block, &mut |stmt| {
        if let Stmt::While { cond, .. } = stmt {
            let index = out.passive.len();
            out.passive.push(vec![Piece::Tokens(quote::quote!(0usize))]);
            let span = out.spans[cond.index()];
            let c = out.push(Inst::Passive { index, ty: Ty::Int }, span);
            out.names[c.index()] = Some("trips".into());
            counters.insert(*cond, c);
        }
    });
}

/// Whether the trip counter `c` of a `while` loop is defined inside another loop.
pub fn in_loop_def(
    block: &[Stmt],
    c: ValueId,
    counters: &HashMap<ValueId, ValueId>,
    fused: &HashSet<ValueId>,
) -> bool {
    let go = |block: &[Stmt], in_loop: bool| -> bool {
        fn go(
            block: &[Stmt],
            c: ValueId,
            counters: &HashMap<ValueId, ValueId>,
            fused: &HashSet<ValueId>,
            in_loop: bool,
        ) -> bool {
            block.iter().any(|stmt| match stmt {
                Stmt::If { then, els, .. } => {
                    go(then, c, counters, fused, in_loop) || go(els, c, counters, fused, in_loop)
                }
                Stmt::For { var, body, .. } => {
                    go(body, c, counters, fused, in_loop || !fused.contains(var))
                }
                Stmt::While { cond, body, .. } => {
                    (counters.get(cond) == Some(&c) && in_loop)
                        || go(body, c, counters, fused, true)
                }
                _ => false,
            })
        }
        go(block, c, counters, fused, in_loop)
    };
    go(block, false)
}

/// The positions of the statements that overwrite each value of `of`: its
/// assignments, and its definitions inside loops (repeated by the next trip).
fn overwrite_sites(
    block: &[Stmt],
    fused: &HashSet<ValueId>,
    of: &HashSet<ValueId>,
    path: &mut Path,
    out: &mut HashMap<ValueId, Vec<Path>>,
) {
    for (index, stmt) in block.iter().enumerate() {
        path.push(Level {
            index,
            block: 0,
            repeats: false,
        });
        let in_loop = path.iter().any(|l| l.repeats);
        match stmt {
            Stmt::Assign { dst: v, .. } if of.contains(v) => {
                out.entry(*v).or_default().push(path.clone());
            }
            Stmt::Def(v) if in_loop && of.contains(v) => {
                out.entry(*v).or_default().push(path.clone());
            }
            Stmt::If { then, els, .. } => {
                overwrite_sites(then, fused, of, path, out);
                path.last_mut().expect("pushed").block = 1;
                overwrite_sites(els, fused, of, path, out);
            }
            Stmt::For { var, body, .. } => {
                path.last_mut().expect("pushed").repeats = !fused.contains(var);
                overwrite_sites(body, fused, of, path, out);
            }
            Stmt::While { head, body, .. } => {
                path.last_mut().expect("pushed").repeats = true;
                overwrite_sites(head, fused, of, path, out);
                path.last_mut().expect("pushed").block = 1;
                overwrite_sites(body, fused, of, path, out);
            }
            _ => {}
        }
        path.pop();
    }
}
