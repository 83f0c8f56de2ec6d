//! Which loops run their reverse sweep inside the forward one.
//!
//! A sum reduction `for i in a..b { …; s += e(i); }` is the shape of most
//! losses and energies. Its reverse sweep passes the adjoint of `s` through
//! unchanged (`∂s` before an iteration is `∂s` after it), so every trip of
//! the reversed loop receives the same upstream gradient. When nothing else
//! carries from one trip to the next, trip `i` of the reverse sweep needs
//! only trip `i` of the forward sweep and that one adjoint, and the two can
//! run together: one loop, each trip computing its forward body and then its
//! adjoint, with no second pass, no recomputation and no tape. This module
//! decides which top-level `for` loops qualify ([`candidates`]); the sweep
//! (`structured/`, `structured/seed.rs`) computes the adjoint of each reduction ahead of the loop
//! ([`slice`] keeps the statements of the reversed tail it needs) and writes
//! the fused loop.
//!
//! Fusion changes the order in which a value's contributions are summed:
//! the reverse sweep adds the contributions of the trips last first, the
//! fused loop first first. Floating-point addition is commutative, so a
//! value with at most two contributions gets the same bits; with `k`
//! contributions the two orders differ by at most `(k - 1)·ε·Σ|cᵢ|`
//! (ε = 2⁻⁵³ for `f64`), the bound of recursive summation. The primal value
//! is computed in the order the user wrote.

use super::tape::is_constant;
use crate::analysis::walk;
use crate::ir::{Func, Inst, Stmt, Ty, ValueId};
use crate::op::Op;
use std::collections::{HashMap, HashSet};

/// A top-level `for` loop that can be fused.
#[derive(Debug)]
pub struct Candidate {
    /// Its position in the function's body.
    pub pos: usize,
    /// Its loop variable, which names it.
    pub var: ValueId,
    /// The variables it sums into (`s += e`), declared before it.
    pub reductions: Vec<ValueId>,
}

/// The top-level `for` loops whose trips depend on one another only through
/// sums (see [`fusable`]). None in an instrumented function (the circuit
/// view records the gates in the order of the plain sweeps).
pub fn candidates(func: &Func) -> Vec<Candidate> {
    let mut probes = false;
    // Nor with effects (`println!`), which must run in the forward order.
    walk(&func.body, &mut |s| {
        probes |= matches!(s, Stmt::Probe(_) | Stmt::Effect(_))
    });
    if probes {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (pos, stmt) in func.body.iter().enumerate() {
        if let Stmt::For { var, body, .. } = stmt
            && let Some(reductions) = fusable(func, *var, body, &func.body[pos + 1..])
        {
            out.push(Candidate {
                pos,
                var: *var,
                reductions,
            });
        }
    }
    out
}

/// The reductions of the loop `for var { body }` followed by the statements
/// `after`, when its trips can each be reversed right after they run:
///
/// - every variable declared outside the loop and assigned in it is a sum
///   (`s := s + e`, `s := e + s`, `s := s - e`) that nothing else in the
///   loop reads, so its adjoint is the same on every trip;
/// - every local array the loop writes is overwritten at the start of each
///   trip (by a loop over its whole length) and used nowhere after the loop,
///   so no trip reads what another wrote;
/// - nothing the loop reads from outside is assigned after it, so that the
///   adjoints a fused trip adds to are not taken (and reset) by the reverse
///   sweep of later statements before it would have reached the loop.
fn fusable(func: &Func, var: ValueId, body: &[Stmt], after: &[Stmt]) -> Option<Vec<ValueId>> {
    let mut defined = HashSet::from([var]);
    let mut assigns = Vec::new();
    let mut stored = HashSet::new();
    walk(body, &mut |stmt| match stmt {
        Stmt::Def(v) => {
            defined.insert(*v);
        }
        Stmt::For { var, .. } => {
            defined.insert(*var);
        }
        Stmt::Assign { dst, src } => assigns.push((*dst, *src)),
        Stmt::Store { arr, .. } => {
            stored.insert(*arr);
        }
        _ => {}
    });
    // Carried variables: sums only.
    let mut reductions = Vec::new();
    let mut sums = HashMap::new();
    for (dst, src) in assigns {
        if defined.contains(&dst) {
            continue;
        }
        if func.ty(dst) != Ty::Float || !defined.contains(&src) || !sums_into(func, src, dst) {
            return None;
        }
        if !reductions.contains(&dst) {
            reductions.push(dst);
        }
        sums.insert(src, dst);
    }
    // A reduction is read only by its sums, a sum only by its assignment.
    let mut read = Vec::new();
    walk(body, &mut |stmt| match stmt {
        Stmt::Def(v) if sums.contains_key(v) => {
            let mut operands = func.inst(*v).uses(&func.passive);
            let at = operands.iter().position(|o| *o == sums[v]);
            operands.remove(at.expect("a sum reads its variable"));
            read.extend(operands);
        }
        Stmt::Assign { dst, src } if sums.get(src) == Some(dst) => {}
        other => read.extend(other.uses(func)),
    });
    if read
        .iter()
        .any(|v| reductions.contains(v) || sums.contains_key(v))
    {
        return None;
    }
    // Local arrays: rewritten whole by every trip, dead after the loop.
    for arr in &stored {
        if !killed_each_trip(func, *arr, body) || after.iter().any(|s| mentions(func, s, *arr)) {
            return None;
        }
    }
    // What the loop reads from outside is final.
    let mut later = HashSet::new();
    walk(after, &mut |stmt| match stmt {
        Stmt::Assign { dst, .. } => {
            later.insert(*dst);
        }
        Stmt::Store { arr, .. } => {
            later.insert(*arr);
        }
        _ => {}
    });
    if read
        .iter()
        .any(|v| !defined.contains(v) && later.contains(v))
    {
        return None;
    }
    Some(reductions)
}

/// Whether `v` is `s + e`, `e + s` or `s - e` (with `e` another value).
fn sums_into(func: &Func, v: ValueId, s: ValueId) -> bool {
    match func.inst(v) {
        Inst::Op { op: Op::Add, args } => (args[0] == s) != (args[1] == s),
        Inst::Op { op: Op::Sub, args } => args[0] == s && args[1] != s,
        _ => false,
    }
}

/// Whether the statement (or a block nested in it) reads or writes `arr`.
fn mentions(func: &Func, stmt: &Stmt, arr: ValueId) -> bool {
    let mut found = false;
    walk(std::slice::from_ref(stmt), &mut |s| {
        found |=
            s.uses(func).contains(&arr) || (!matches!(s, Stmt::Def(_)) && s.defs() == Some(arr));
    });
    found
}

/// Whether the first statement of `body` that mentions the local array
/// `arr` is `for j in 0..LEN { …; arr[j] = …; … }` over its whole length
/// `LEN` (the same constant it was declared with), reading none of it.
fn killed_each_trip(func: &Func, arr: ValueId, body: &[Stmt]) -> bool {
    let Inst::ArrayRepeat { elem, len } = func.inst(arr) else {
        return false;
    };
    if func.ty(*elem) != Ty::Float {
        return false;
    }
    let Some(first) = body.iter().find(|s| mentions(func, s, arr)) else {
        return false;
    };
    let Stmt::For {
        var,
        start,
        end,
        body: inner,
        ..
    } = first
    else {
        return false;
    };
    let text = |v: ValueId| match func.inst(v) {
        Inst::Passive { index, .. } if is_constant(func, v) => Some(func.passive_text(*index)),
        _ => None,
    };
    let whole = text(*start).as_deref() == Some("0")
        && text(*end).is_some_and(|t| t == crate::ir::pieces_text(&func.passive[*len]));
    let writes_each = inner
        .iter()
        .any(|s| matches!(s, Stmt::Store { arr: a, index, .. } if *a == arr && index == &[*var]));
    let mut reads_it = false;
    walk(inner, &mut |s| reads_it |= s.uses(func).contains(&arr));
    whole && writes_each && !reads_it
}

/// The statements of `draft` that the values of `outputs` at its end depend
/// on, and the values they read from before it; `None` when a loop, a branch
/// or a statement other than a definition, a sum or a reset writes one of
/// them.
pub fn slice(
    func: &Func,
    draft: &[Stmt],
    outputs: &[ValueId],
) -> Option<(Vec<Stmt>, HashSet<ValueId>)> {
    let mut needed: HashSet<ValueId> = outputs.iter().copied().collect();
    let mut keep = vec![false; draft.len()];
    for (i, stmt) in draft.iter().enumerate().rev() {
        match stmt {
            Stmt::AddAssign { dst, src } => {
                if needed.contains(dst) {
                    keep[i] = true;
                    needed.insert(*src);
                }
            }
            Stmt::Clear(v) => keep[i] = needed.remove(v),
            Stmt::Def(v) => {
                if needed.remove(v) {
                    keep[i] = true;
                    needed.extend(func.inst(*v).uses(&func.passive));
                }
            }
            other => {
                let mut written = false;
                walk(std::slice::from_ref(other), &mut |s| {
                    written |= s.defs().is_some_and(|v| needed.contains(&v));
                });
                if written {
                    return None;
                }
            }
        }
    }
    let kept = draft
        .iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(s, _)| s.clone())
        .collect();
    Some((kept, needed))
}

/// Whether the value `v` of the forward sweep can be read ahead of the
/// top-level statement at `pos`: a parameter, or defined at the top level
/// before it and never assigned, or defined at the top level after it by a
/// pure instruction of such values (its definition, pushed on `again` in
/// order, is then repeated ahead).
pub fn available(
    func: &Func,
    v: ValueId,
    pos: usize,
    assigned: &HashSet<ValueId>,
    again: &mut Vec<ValueId>,
) -> bool {
    if assigned.contains(&v) {
        return false;
    }
    if matches!(func.inst(v), Inst::Param(_) | Inst::ArrayParam(_)) {
        return true;
    }
    let at = func
        .body
        .iter()
        .position(|s| matches!(s, Stmt::Def(d) if *d == v));
    match at {
        Some(at) if at < pos => true,
        Some(at) if at > pos => {
            let inst = func.inst(v);
            let pure = matches!(
                inst,
                Inst::Op { .. } | Inst::Lit { .. } | Inst::Extern(_) | Inst::Passive { .. }
            );
            if !pure {
                return false;
            }
            if !inst
                .uses(&func.passive)
                .iter()
                .all(|o| available(func, *o, pos, assigned, again))
            {
                return false;
            }
            if !again.contains(&v) {
                again.push(v);
            }
            true
        }
        _ => false,
    }
}
