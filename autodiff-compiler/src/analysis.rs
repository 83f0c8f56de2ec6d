//! Analyses of the IR shared by the passes: walking nested statements, and
//! the one activity analysis (which values need an adjoint).
//!
//! Both IR forms are analysed the same way: straight-line code is read as
//! the block of its instructions in order ([`stmts`]).

use crate::ir::{Func, Inst, Stmt, Ty, ValueId};
use crate::op::Op;
use std::borrow::Cow;
use std::collections::HashSet;

/// The statements of `func`: its structured body, or for straight-line code
/// one `Def` per instruction, in order.
pub fn stmts(func: &Func) -> Cow<'_, [Stmt]> {
    if func.is_straight_line() {
        Cow::Owned(
            (0..func.insts.len())
                .map(|i| Stmt::Def(ValueId(i as u32)))
                .collect(),
        )
    } else {
        Cow::Borrowed(&func.body)
    }
}

/// Calls `f` on every statement, nested ones included, in program order.
pub fn walk(block: &[Stmt], f: &mut impl FnMut(&Stmt)) {
    for stmt in block {
        f(stmt);
        for inner in stmt.blocks() {
            walk(inner, f);
        }
    }
}

/// Calls `f` on every statement, nested ones included, last first (the order
/// in which a backward analysis converges fastest).
fn walk_rev(block: &[Stmt], f: &mut impl FnMut(&Stmt)) {
    for stmt in block.iter().rev() {
        for inner in stmt.blocks().into_iter().rev() {
            walk_rev(inner, f);
        }
        f(stmt);
    }
}

/// Whether values of this type carry a gradient (a call's tuple carries its
/// value's).
fn differentiable(ty: Ty) -> bool {
    matches!(ty, Ty::Float | Ty::Array | Ty::Tuple)
}

/// Which values depend on a differentiated parameter (forward; a fixpoint
/// over loops, one pass for straight-line code).
pub fn varied(func: &Func) -> HashSet<ValueId> {
    let stmts = stmts(func);
    let mut varied = HashSet::new();
    loop {
        let before = varied.len();
        walk(&stmts, &mut |stmt| match stmt {
            Stmt::Def(v) => {
                let on = match func.inst(*v) {
                    Inst::Param(p) | Inst::ArrayParam(p) => func.params[*p].wrt,
                    // A detached value is a constant to the derivative.
                    Inst::Op { op: Op::Detach, .. } => false,
                    Inst::Op { args, .. } | Inst::ArrayList(args) => {
                        args.iter().any(|a| varied.contains(a))
                    }
                    Inst::Copy(s) => varied.contains(s),
                    Inst::Load { arr, .. } => varied.contains(arr),
                    Inst::Call { args, .. } => args.iter().any(|a| varied.contains(&a.value)),
                    Inst::Proj { tuple, index } => {
                        varied.contains(tuple)
                            && matches!(func.inst(*tuple), Inst::Call { kind, .. } if *index < kind.outputs())
                    }
                    _ => false,
                };
                if on && differentiable(func.ty(*v)) {
                    varied.insert(*v);
                }
            }
            Stmt::Assign { dst, src } if varied.contains(src) && func.ty(*dst) == Ty::Float => {
                varied.insert(*dst);
            }
            Stmt::Store { arr, value, .. } if varied.contains(value) => {
                varied.insert(*arr);
            }
            _ => {}
        });
        if varied.len() == before {
            return varied;
        }
    }
}

/// Which values the result depends on through differentiable uses (backward;
/// a value that only feeds conditions or indices is not useful).
pub fn useful(func: &Func) -> HashSet<ValueId> {
    let stmts = stmts(func);
    let mut useful: HashSet<ValueId> = func.outputs.iter().copied().collect();
    loop {
        let before = useful.len();
        walk_rev(&stmts, &mut |stmt| match stmt {
            Stmt::Def(v) if useful.contains(v) => {
                let inst = func.inst(*v);
                if let Inst::Op { op: Op::Detach, .. } = inst {
                    // Not differentiated through.
                } else if let Inst::Op { .. }
                | Inst::Copy(_)
                | Inst::Load { .. }
                | Inst::ArrayList(_)
                | Inst::Call { .. }
                | Inst::Proj { .. } = inst
                {
                    for a in inst.uses(&func.passive) {
                        if differentiable(func.ty(a)) {
                            useful.insert(a);
                        }
                    }
                }
            }
            Stmt::Assign { dst, src } if useful.contains(dst) => {
                useful.insert(*src);
            }
            Stmt::Store { arr, value, .. } if useful.contains(arr) => {
                useful.insert(*value);
            }
            _ => {}
        });
        if useful.len() == before {
            return useful;
        }
    }
}

/// The values that need an adjoint: those that depend on a differentiated
/// parameter and that the result depends on through differentiable uses.
pub fn active(func: &Func) -> HashSet<ValueId> {
    let useful = useful(func);
    varied(func)
        .into_iter()
        .filter(|v| useful.contains(v))
        .collect()
}
