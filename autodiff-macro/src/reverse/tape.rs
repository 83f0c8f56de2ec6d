//! What the structured reverse sweep saves, and where.
//!
//! Before a statement overwrites a value that the reverse sweep will read
//! (a value defined inside a loop, or a variable assigned again), the
//! augmented forward sweep pushes the old value on the tape of its kind
//! ([`Tape`]); the reverse sweep pops it back. This module decides which
//! values those are ([`overwritten`] ∩ [`reads`], iterated to a fixpoint in
//! `structured.rs`), which loop values are cheaper to recompute than to
//! tape ([`find_recomputable`]), writes the augmented forward sweep
//! ([`augment`]: pushes, `while` trip counters, reservations), and tapes the
//! tuples of calls made inside loops or branches.

use crate::analysis::walk;
use crate::ir::{Func, Inst, Piece, Stmt, Tape, Ty, ValueId};
use std::collections::{HashMap, HashSet};

/// Every value the statements read.
pub fn reads(func: &Func, block: &[Stmt]) -> HashSet<ValueId> {
    let mut set = HashSet::new();
    let add_pieces = |set: &mut HashSet<ValueId>, pieces: &[Piece]| {
        fn go(set: &mut HashSet<ValueId>, pieces: &[Piece]) {
            for p in pieces {
                match p {
                    Piece::Value(v) => {
                        set.insert(*v);
                    }
                    Piece::Paren(inner) | Piece::Bracket(inner) => go(set, inner),
                    Piece::Tokens(_) => {}
                }
            }
        }
        go(set, pieces);
    };
    walk(block, &mut |stmt| match stmt {
        Stmt::Def(v) => {
            let inst = func.inst(*v);
            set.extend(inst.operands());
            if let Inst::Passive { index, .. } = inst {
                add_pieces(&mut set, &func.passive[*index]);
            }
        }
        Stmt::Assign { src, .. } | Stmt::AddAssign { src, .. } => {
            set.insert(*src);
        }
        Stmt::Store { index, value, .. } | Stmt::AddStore { index, value, .. } => {
            set.extend(index.iter().copied());
            set.insert(*value);
        }
        Stmt::ClearStore { index, .. } => set.extend(index.iter().copied()),
        Stmt::If { cond, .. } => {
            set.insert(*cond);
        }
        Stmt::For { start, end, .. } => {
            set.insert(*start);
            set.insert(*end);
        }
        _ => {}
    });
    set
}

/// Values defined inside loops, or assigned after their definition: the
/// ones whose old values may be gone when the reverse sweep needs them.
/// Loop variables are left out: the reverse loop recreates them. `while`
/// heads are left out: the reverse sweep never replays them.
pub fn overwritten(func: &Func, block: &[Stmt], in_loop: bool, set: &mut HashSet<ValueId>) {
    let mut assigned = HashSet::new();
    walk(block, &mut |stmt| {
        if let Stmt::Assign { dst, .. } = stmt {
            assigned.insert(*dst);
        }
    });
    overwritten_in(func, block, in_loop, &assigned, set);
}

pub fn overwritten_in(
    func: &Func,
    block: &[Stmt],
    in_loop: bool,
    assigned: &HashSet<ValueId>,
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
                overwritten_in(func, then, in_loop, assigned, set);
                overwritten_in(func, els, in_loop, assigned, set);
            }
            Stmt::For { body, .. } | Stmt::While { body, .. } => {
                overwritten_in(func, body, true, assigned, set)
            }
            _ => {}
        }
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
    in_loop: bool,
) -> Vec<Stmt> {
    let mut out = Vec::new();
    for stmt in block {
        match stmt {
            Stmt::Def(v) if in_loop && taped.contains(v) => {
                out.push(Stmt::Push(*v));
                out.push(stmt.clone());
            }
            Stmt::Assign { dst: v, .. } if taped.contains(v) => {
                out.push(Stmt::Push(*v));
                out.push(stmt.clone());
            }
            Stmt::If { cond, then, els } => out.push(Stmt::If {
                cond: *cond,
                then: augment(forward, then, taped, counters, in_loop),
                els: augment(forward, els, taped, counters, in_loop),
            }),
            Stmt::For {
                var,
                start,
                end,
                rev,
                body,
            } => {
                let body = augment(forward, body, taped, counters, true);
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
                let mut body = augment(forward, body, taped, counters, true);
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

/// For every `for` loop: the values defined at the top level of its body
/// that are pure functions of loop variables, values defined outside the
/// loop that nothing reassigns, elements of parameter arrays (which never
/// change) and each other, in the order they are defined.
pub fn find_recomputable(
    func: &Func,
    block: &[Stmt],
    assigned: &HashSet<ValueId>,
    out: &mut HashMap<ValueId, Vec<ValueId>>,
) {
    for stmt in block {
        match stmt {
            Stmt::For { var, body, .. } => {
                let mut inside = HashSet::new();
                walk(body, &mut |s| {
                    if let Stmt::Def(v) = s {
                        inside.insert(*v);
                    }
                });
                let mut ok: HashSet<ValueId> = HashSet::new();
                let mut order = Vec::new();
                for s in body {
                    let Stmt::Def(v) = s else { continue };
                    let inst = func.inst(*v);
                    let pure = match inst {
                        Inst::Op { .. } | Inst::Lit { .. } | Inst::Extern(_) => true,
                        Inst::Passive { .. } => true,
                        Inst::Load { arr, .. } => matches!(func.inst(*arr), Inst::ArrayParam(_)),
                        _ => false,
                    };
                    if !pure || assigned.contains(v) {
                        continue;
                    }
                    let mut operands = inst.operands();
                    if let Inst::Passive { index, .. } = inst {
                        collect_piece_values(&func.passive[*index], &mut operands);
                    }
                    let available = operands.iter().all(|o| {
                        *o == *var
                            || ok.contains(o)
                            || (!inside.contains(o) && !assigned.contains(o))
                    });
                    if available {
                        ok.insert(*v);
                        order.push(*v);
                    }
                }
                out.insert(*var, order);
                find_recomputable(func, body, assigned, out);
            }
            Stmt::If { then, els, .. } => {
                find_recomputable(func, then, assigned, out);
                find_recomputable(func, els, assigned, out);
            }
            Stmt::While { body, .. } => find_recomputable(func, body, assigned, out),
            _ => {}
        }
    }
}

pub fn collect_piece_values(pieces: &[Piece], out: &mut Vec<ValueId>) {
    for p in pieces {
        match p {
            Piece::Value(v) => out.push(*v),
            Piece::Paren(inner) | Piece::Bracket(inner) => collect_piece_values(inner, out),
            Piece::Tokens(_) => {}
        }
    }
}

/// Active calls defined inside loops or branches.
pub fn nested_calls(
    func: &Func,
    block: &[Stmt],
    depth: usize,
    active: &HashSet<ValueId>,
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
                nested_calls(func, then, depth + 1, active, out);
                nested_calls(func, els, depth + 1, active, out);
            }
            Stmt::For { body, .. } | Stmt::While { body, .. } => {
                nested_calls(func, body, depth + 1, active, out)
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
pub fn nested_defs(func: &Func, block: &[Stmt], depth: usize, out: &mut Vec<ValueId>) {
    for stmt in block {
        match stmt {
            // A call's tuple stays local: its reverse takes it from a tape.
            Stmt::Def(v) if depth > 0 && func.ty(*v) != Ty::Tuple => out.push(*v),
            Stmt::If { then, els, .. } => {
                nested_defs(func, then, depth + 1, out);
                nested_defs(func, els, depth + 1, out);
            }
            Stmt::For { body, .. } => nested_defs(func, body, depth + 1, out),
            Stmt::While { head, body, .. } => {
                nested_defs(func, head, depth + 1, out);
                nested_defs(func, body, depth + 1, out);
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
pub fn in_loop_def(block: &[Stmt], c: ValueId, counters: &HashMap<ValueId, ValueId>) -> bool {
    fn go(block: &[Stmt], c: ValueId, counters: &HashMap<ValueId, ValueId>, in_loop: bool) -> bool {
        block.iter().any(|stmt| match stmt {
            Stmt::If { then, els, .. } => {
                go(then, c, counters, in_loop) || go(els, c, counters, in_loop)
            }
            Stmt::For { body, .. } => go(body, c, counters, true),
            Stmt::While { cond, body, .. } => {
                (counters.get(cond) == Some(&c) && in_loop) || go(body, c, counters, true)
            }
            _ => false,
        })
    }
    go(block, c, counters, false)
}
