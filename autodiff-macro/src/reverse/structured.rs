//! The reverse sweep of structured code (branches, loops, arrays), the way
//! Tapenade and Clad differentiate loops: a pure function from IR to IR.
//!
//! The forward sweep runs the user's code; before a statement overwrites a
//! value that the reverse sweep will read (a value defined inside a loop, or
//! a variable assigned again) it pushes the old value on a tape. The reverse
//! sweep walks the statements backwards: each definition hands its adjoint to
//! its operands through the rule's `vjp` and then pops the value it had
//! overwritten, so every value the rules read is the one the forward sweep
//! saw. Branches replay with the same condition (itself taped inside loops);
//! `for` loops run their range backwards; `while` loops count their trips and
//! replay them as a counted loop. Array reads scatter into adjoint arrays and
//! array writes gather from them. Values never overwritten are never taped.

use super::tape::{
    augment, find_recomputable, in_loop_def, make_counters, nested_calls, nested_defs, overwritten,
    push_tuples, reads,
};
use super::{differentiable_slots, wrt_params};
use crate::analysis::{self, walk};
use crate::ir::{Func, Inst, Piece, Stmt, Ty, ValueId};
use crate::rules::Emit;
use proc_macro2::Span;
use std::collections::{HashMap, HashSet};

struct Sweep<'a> {
    fwd: &'a Func,
    out: Func,
    active: HashSet<ValueId>,
    /// The adjoint of each active value.
    adj: HashMap<ValueId, ValueId>,
    /// Values whose overwrite is saved on the tape.
    taped: HashSet<ValueId>,
    /// The trip counter of each `while` loop, by the loop's condition value.
    counters: HashMap<ValueId, ValueId>,
    /// How many loops the statement being reversed is in.
    loop_depth: usize,
    /// Calls inside loops or branches: their tuples go on a tape.
    tuple_taped: HashSet<ValueId>,
    /// Per `for` loop (by its variable): the values of its body that the
    /// reverse sweep computes again instead of taping them.
    recompute: HashMap<ValueId, Vec<ValueId>>,
}

impl Sweep<'_> {
    fn emit(&mut self, span: Span) -> Emit<'_> {
        Emit {
            func: &mut self.out,
            span,
        }
    }

    /// Defines, in `block`, every instruction pushed since `from`.
    fn def_since(&self, from: usize, block: &mut Vec<Stmt>) {
        for i in from..self.out.insts.len() {
            block.push(Stmt::Def(ValueId(i as u32)));
        }
    }

    fn is_active(&self, v: ValueId) -> bool {
        self.active.contains(&v)
    }

    /// `t = dv; dv = 0`: takes the adjoint of `v` for its operands.
    fn take(&mut self, v: ValueId, block: &mut Vec<Stmt>) -> ValueId {
        let dv = self.adj[&v];
        let span = self.fwd.span(v);
        let t = self.out.push(Inst::Copy(dv), span);
        block.push(Stmt::Def(t));
        block.push(Stmt::Clear(dv));
        t
    }

    /// The reverse of a block: its statements' adjoints, last first.
    fn block(&mut self, fwd: &[Stmt]) -> Vec<Stmt> {
        let mut out = Vec::new();
        for stmt in fwd.iter().rev() {
            self.stmt(stmt, &mut out);
        }
        out
    }

    fn stmt(&mut self, stmt: &Stmt, out: &mut Vec<Stmt>) {
        match stmt {
            Stmt::Def(v) => {
                let v = *v;
                if self.is_active(v) && self.fwd.ty(v) == Ty::Float {
                    self.def_adjoint(v, out);
                }
                if self.is_active(v)
                    && let Inst::ArrayList(elems) = self.fwd.inst(v)
                {
                    // `[a, b, c]`: each element's adjoint is its slot's.
                    let elems = elems.clone();
                    let da = self.adj[&v];
                    for (k, e) in elems.iter().enumerate() {
                        if !self.is_active(*e) {
                            continue;
                        }
                        let span = self.fwd.span(*e);
                        let index = self.out.passive.len();
                        self.out.passive.push(vec![Piece::Tokens(
                            format!("{k}usize").parse().expect("int"),
                        )]);
                        let k = self.out.push(Inst::Passive { index, ty: Ty::Int }, span);
                        let t = self.out.push(
                            Inst::Load {
                                arr: da,
                                index: vec![k],
                            },
                            span,
                        );
                        out.push(Stmt::Def(k));
                        out.push(Stmt::Def(t));
                        out.push(Stmt::AddAssign {
                            dst: self.adj[e],
                            src: t,
                        });
                    }
                }
                // A definition outside loops overwrites nothing.
                if self.taped.contains(&v) && self.loop_depth > 0 {
                    out.push(Stmt::Pop(v));
                }
            }
            Stmt::Assign { dst, src } => {
                if self.is_active(*dst) {
                    let t = self.take(*dst, out);
                    if self.is_active(*src) {
                        out.push(Stmt::AddAssign {
                            dst: self.adj[src],
                            src: t,
                        });
                    }
                }
                if self.taped.contains(dst) {
                    out.push(Stmt::Pop(*dst));
                }
            }
            Stmt::Store { arr, index, value } if self.is_active(*arr) => {
                let da = self.adj[arr];
                if self.is_active(*value) {
                    let t = self.out.push(
                        Inst::Load {
                            arr: da,
                            index: index.clone(),
                        },
                        self.fwd.span(*value),
                    );
                    out.push(Stmt::Def(t));
                    out.push(Stmt::AddAssign {
                        dst: self.adj[value],
                        src: t,
                    });
                }
                out.push(Stmt::ClearStore {
                    arr: da,
                    index: index.clone(),
                });
            }
            Stmt::If { cond, then, els } => {
                let then = self.block(then);
                let els = self.block(els);
                if !then.is_empty() || !els.is_empty() {
                    out.push(Stmt::If {
                        cond: *cond,
                        then,
                        els,
                    });
                }
            }
            Stmt::For {
                var,
                start,
                end,
                rev,
                body,
            } => {
                self.loop_depth += 1;
                let mut reversed = self.block(body);
                self.loop_depth -= 1;
                if !reversed.is_empty() {
                    // Values cheaper to compute again than to tape: recompute
                    // them at the top of each reversed trip.
                    if let Some(values) = self.recompute.get(var) {
                        let mut again: Vec<Stmt> = values.iter().map(|v| Stmt::Def(*v)).collect();
                        again.append(&mut reversed);
                        reversed = again;
                    }
                    out.push(Stmt::For {
                        var: *var,
                        start: *start,
                        end: *end,
                        rev: !rev,
                        body: reversed,
                    });
                }
            }
            Stmt::While { cond, body, .. } => {
                self.loop_depth += 1;
                let body = self.block(body);
                self.loop_depth -= 1;
                let count = self.counters[cond];
                if !body.is_empty() {
                    let span = self.fwd.span(*cond);
                    let index = self.out.passive.len();
                    self.out
                        .passive
                        .push(vec![Piece::Tokens(quote::quote!(0usize))]);
                    let zero = self.out.push(Inst::Passive { index, ty: Ty::Int }, span);
                    let var = self.out.push(Inst::Zero, span);
                    self.out.tys[var.index()] = Ty::Int;
                    out.push(Stmt::Def(zero));
                    out.push(Stmt::For {
                        var,
                        start: zero,
                        end: count,
                        rev: false,
                        body,
                    });
                }
                // The forward sweep saved the counter of the previous run.
                if self.taped.contains(&count) && self.loop_depth > 0 {
                    out.push(Stmt::Pop(count));
                }
            }
            _ => {}
        }
    }

    /// The adjoint of the definition of the active float `v`.
    fn def_adjoint(&mut self, v: ValueId, out: &mut Vec<Stmt>) {
        match self.fwd.inst(v).clone() {
            Inst::Op { op, args } => {
                let t = self.take(v, out);
                let from = self.out.insts.len();
                let span = self.fwd.span(v);
                let contributions = (op.vjp())(&mut self.emit(span), t, &args, v);
                self.def_since(from, out);
                for (k, (arg, c)) in args.iter().zip(contributions).enumerate() {
                    let Some(c) = c else { continue };
                    if op.int_args().contains(&k) || !self.is_active(*arg) {
                        continue;
                    }
                    out.push(Stmt::AddAssign {
                        dst: self.adj[arg],
                        src: c,
                    });
                }
            }
            Inst::Copy(src) => {
                let t = self.take(v, out);
                if self.is_active(src) {
                    out.push(Stmt::AddAssign {
                        dst: self.adj[&src],
                        src: t,
                    });
                }
            }
            Inst::Load { arr, index } => {
                let t = self.take(v, out);
                if self.is_active(arr) {
                    out.push(Stmt::AddStore {
                        arr: self.adj[&arr],
                        index,
                        value: t,
                    });
                }
            }
            Inst::Proj { tuple, index: 0 } => {
                // A call: `g_grad` returned the partials beside the value.
                let t = self.take(v, out);
                if self.tuple_taped.contains(&tuple) {
                    out.push(Stmt::PopTuple(tuple));
                }
                let Inst::Call { args, .. } = self.fwd.inst(tuple).clone() else {
                    return;
                };
                let span = self.fwd.span(v);
                for (arg, slot) in differentiable_slots(self.fwd, &args) {
                    if !self.is_active(arg) {
                        continue;
                    }
                    let partial = self.out.push(Inst::Proj { tuple, index: slot }, span);
                    self.out.tys[partial.index()] = self.fwd.ty(arg);
                    out.push(Stmt::Def(partial));
                    if self.fwd.ty(arg) == Ty::Array {
                        let prefix = args
                            .iter()
                            .find(|a| a.value == arg)
                            .map(|a| a.prefix.clone())
                            .unwrap_or_default();
                        out.push(Stmt::AddScaled {
                            dst: self.adj[&arg],
                            prefix,
                            scale: t,
                            src: partial,
                        });
                    } else {
                        let from = self.out.insts.len();
                        let c = self.emit(span).mul(t, partial);
                        self.def_since(from, out);
                        out.push(Stmt::AddAssign {
                            dst: self.adj[&arg],
                            src: c,
                        });
                    }
                }
            }
            // Parameters keep their adjoint: it is the gradient.
            _ => {}
        }
    }
}

// Input:  for %i in %s..%e { %t = load %x[%i]; %u = mul %acc, %t; %acc := %u }
// Output: the forward sweep with `push %t`, `push %acc` …, then the adjoints of
//         every active value and `for %i in %s..%e rev { … pop %acc … }`.
pub fn reverse(forward: &Func) -> Func {
    let mut out = forward.clone();
    let mut counters = HashMap::new();
    make_counters(&forward.body, &mut out, &mut counters);
    let active = analysis::active(forward);
    // Adjoint variables, declared between the sweeps.
    let mut adj = HashMap::new();
    let mut decls = Vec::new();
    let mut sorted: Vec<ValueId> = active.iter().copied().collect();
    sorted.sort();
    for v in sorted {
        let span = forward.span(v);
        let d = match forward.ty(v) {
            Ty::Array => out.push(Inst::ZeroLike(v), span),
            _ => out.push(Inst::Zero, span),
        };
        if let Some(name) = &forward.names[v.index()] {
            out.names[d.index()] = Some(format!("∂{name}"));
        }
        adj.insert(v, d);
        decls.push(Stmt::Def(d));
    }
    // Loop bodies' values that depend only on the loop variables, immutable
    // inputs and each other: recomputed in reverse rather than taped.
    let mut recompute = HashMap::new();
    let mut assigned = HashSet::new();
    walk(&forward.body, &mut |stmt| {
        if let Stmt::Assign { dst, .. } = stmt {
            assigned.insert(*dst);
        }
    });
    find_recomputable(forward, &forward.body, &assigned, &mut recompute);
    // Calls inside loops or branches keep their tuples on a tape of their own.
    let mut tuple_taped = HashSet::new();
    nested_calls(forward, &forward.body, 0, &active, &mut tuple_taped);
    for (i, inst) in forward.insts.iter().enumerate() {
        if let Inst::Call { callee, args, .. } = inst {
            out.insts[i] = Inst::Call {
                callee: callee.clone(),
                args: args.clone(),
                grad: active.contains(&ValueId(i as u32)),
            };
        }
    }
    // First pass: what the reverse sweep reads, to know what to tape.
    let reads_of = |taped: HashSet<ValueId>, out: Func| {
        let mut sweep = Sweep {
            fwd: forward,
            out,
            active: active.clone(),
            adj: adj.clone(),
            taped,
            counters: counters.clone(),
            loop_depth: 0,
            tuple_taped: tuple_taped.clone(),
            recompute: recompute.clone(),
        };
        let body = sweep.block(&forward.body);
        (body, sweep.out)
    };
    // Taping a value can make the reverse sweep read more (a branch around a
    // pop reads its condition): repeat until nothing new needs the tape.
    let mut over = HashSet::new();
    overwritten(forward, &forward.body, false, &mut over);
    for values in recompute.values() {
        for v in values {
            over.remove(v);
        }
    }
    let mut taped: HashSet<ValueId> = HashSet::new();
    loop {
        let (draft, draft_func) = reads_of(taped.clone(), out.clone());
        let read = reads(&draft_func, &draft);
        let mut next: HashSet<ValueId> = over
            .intersection(&read)
            .copied()
            .filter(|v| forward.ty(*v) != Ty::Tuple)
            .collect();
        for c in counters.values() {
            // A trip counter is overwritten when its loop runs again.
            if read.contains(c) && in_loop_def(&forward.body, *c, &counters) {
                next.insert(*c);
            }
        }
        if next == taped {
            break;
        }
        taped = next;
    }
    let (backward, mut out) = reads_of(taped.clone(), out);
    let mut body = augment(&out, &forward.body, &taped, &counters, false);
    body = push_tuples(&out, body, &tuple_taped);
    let mut hoisted = Vec::new();
    nested_defs(&out, &body, 0, &mut hoisted);
    body.extend(decls);
    let ret = forward.outputs[0];
    if let Some(dret) = adj.get(&ret) {
        let span = forward.span(ret);
        let one = out.lit(1.0, span);
        body.push(Stmt::Def(one));
        body.push(Stmt::AddAssign {
            dst: *dret,
            src: one,
        });
    }
    body.extend(backward);
    let mut outputs = vec![ret];
    for value in wrt_params(forward) {
        let grad = match (value.and_then(|v| adj.get(&v).copied()), value) {
            (Some(g), _) => g,
            (None, Some(v)) if forward.ty(v) == Ty::Array => {
                let z = out.push(Inst::ZeroLike(v), forward.span(v));
                body.push(Stmt::Def(z));
                z
            }
            (None, _) => {
                let span = forward
                    .spans
                    .first()
                    .copied()
                    .unwrap_or_else(Span::call_site);
                let z = out.lit(0.0, span);
                body.push(Stmt::Def(z));
                z
            }
        };
        outputs.push(grad);
    }
    out.body = body;
    out.outputs = outputs;
    out.hoisted = hoisted;
    out.adjoints = adj.into_iter().collect();
    out.adjoints.sort();
    out
}
