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

use crate::ir::{Func, Inst, Piece, Stmt, Ty, ValueId};
use crate::rules::Emit;
use proc_macro2::Span;
use std::collections::{HashMap, HashSet};

/// Which values need an adjoint: those that depend on a differentiated
/// parameter and that the result depends on through differentiable uses
/// (a value that only feeds conditions or indices needs none).
pub fn active(func: &Func) -> HashSet<ValueId> {
    let varied = varied(func);
    active_from(func, Some(varied))
}

/// The values the result depends on through differentiable uses, among
/// `varied` (or all of them).
fn active_from(func: &Func, varied: Option<HashSet<ValueId>>) -> HashSet<ValueId> {
    let mut useful: HashSet<ValueId> = func.outputs.iter().copied().collect();
    loop {
        let before = useful.len();
        walk(&func.body, &mut |stmt| match stmt {
            Stmt::Def(v) if useful.contains(v) => {
                let inst = func.inst(*v);
                if let Inst::Op { .. }
                | Inst::Copy(_)
                | Inst::Load { .. }
                | Inst::ArrayList(_)
                | Inst::Call { .. }
                | Inst::Proj { .. } = inst
                {
                    for a in inst.operands() {
                        if matches!(func.ty(a), Ty::Float | Ty::Array | Ty::Tuple) {
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
            break;
        }
    }
    match varied {
        Some(varied) => varied.intersection(&useful).copied().collect(),
        None => useful
            .into_iter()
            .filter(|v| matches!(func.ty(*v), Ty::Float | Ty::Array | Ty::Tuple))
            .collect(),
    }
}

/// For the circuit view: every float the result depends on, constants too.
fn active_all(func: &Func) -> HashSet<ValueId> {
    active_from(func, None)
}

/// Which values depend on a differentiated parameter (a fixpoint over loops).
fn varied(func: &Func) -> HashSet<ValueId> {
    let mut active = HashSet::new();
    loop {
        let before = active.len();
        walk(&func.body, &mut |stmt| match stmt {
            Stmt::Def(v) => {
                let on = match func.inst(*v) {
                    Inst::Param(p) | Inst::ArrayParam(p) => func.params[*p].wrt,
                    Inst::Op { args, .. } | Inst::ArrayList(args) => {
                        args.iter().any(|a| active.contains(a))
                    }
                    Inst::Copy(s) => active.contains(s),
                    Inst::Load { arr, .. } => active.contains(arr),
                    Inst::Call { args, .. } => args.iter().any(|a| active.contains(&a.value)),
                    Inst::Proj { tuple, index: 0 } => active.contains(tuple),
                    _ => false,
                };
                if on && matches!(func.ty(*v), Ty::Float | Ty::Array | Ty::Tuple) {
                    active.insert(*v);
                }
            }
            Stmt::Assign { dst, src } if active.contains(src) && func.ty(*dst) == Ty::Float => {
                active.insert(*dst);
            }
            Stmt::Store { arr, value, .. } if active.contains(value) => {
                active.insert(*arr);
            }
            _ => {}
        });
        if active.len() == before {
            return active;
        }
    }
}

/// Calls `f` on every statement, nested ones included.
fn walk(block: &[Stmt], f: &mut impl FnMut(&Stmt)) {
    for stmt in block {
        f(stmt);
        for inner in stmt.blocks() {
            walk(inner, f);
        }
    }
}

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
    /// Record the circuit view.
    graph: bool,
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
        if self.graph && has_node(self.fwd, v) {
            block.push(Stmt::GraphGrad { value: v, grad: t });
        }
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
                let rule = op.rule();
                let from = self.out.insts.len();
                let span = self.fwd.span(v);
                let contributions = (rule.vjp)(&mut self.emit(span), t, &args, v);
                self.def_since(from, out);
                for (k, (arg, c)) in args.iter().zip(contributions).enumerate() {
                    let Some(c) = c else { continue };
                    if rule.int_args.contains(&k) || !self.is_active(*arg) {
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
                for (arg, slot) in crate::reverse::differentiable_slots(self.fwd, &args) {
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
            // A constant's adjoint is its gradient in the circuit view.
            Inst::Lit { .. } | Inst::Extern(_) | Inst::Passive { .. } if self.graph => {
                self.take(v, out);
            }
            // Parameters keep their adjoint: it is the gradient.
            _ => {}
        }
    }
}

/// Every value the statements read.
fn reads(func: &Func, block: &[Stmt]) -> HashSet<ValueId> {
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
fn overwritten(func: &Func, block: &[Stmt], in_loop: bool, set: &mut HashSet<ValueId>) {
    let mut assigned = HashSet::new();
    walk(block, &mut |stmt| {
        if let Stmt::Assign { dst, .. } = stmt {
            assigned.insert(*dst);
        }
    });
    overwritten_in(func, block, in_loop, &assigned, set);
}

fn overwritten_in(
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
fn is_constant(func: &Func, v: ValueId) -> bool {
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
fn augment(
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
                if per_trip != [0; 3] {
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
fn find_recomputable(
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

fn collect_piece_values(pieces: &[Piece], out: &mut Vec<ValueId>) {
    for p in pieces {
        match p {
            Piece::Value(v) => out.push(*v),
            Piece::Paren(inner) | Piece::Bracket(inner) => collect_piece_values(inner, out),
            Piece::Tokens(_) => {}
        }
    }
}

/// Active calls defined inside loops or branches.
fn nested_calls(
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
fn push_tuples(func: &Func, block: Vec<Stmt>, taped: &HashSet<ValueId>) -> Vec<Stmt> {
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
/// branches and inner loops), per tape: floats, integers, booleans.
fn pushes_per_trip(func: &Func, body: &[Stmt]) -> [usize; 3] {
    let mut n = [0; 3];
    for stmt in body {
        if let Stmt::Push(v) = stmt {
            match func.ty(*v) {
                Ty::Float => n[0] += 1,
                Ty::Bool => n[2] += 1,
                _ => n[1] += 1,
            }
        }
    }
    n
}

/// Values defined inside nested blocks of the forward sweep: codegen declares
/// them at the top so the reverse sweep can read them.
fn nested_defs(func: &Func, block: &[Stmt], depth: usize, out: &mut Vec<ValueId>) {
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
fn make_counters(block: &[Stmt], out: &mut Func, counters: &mut HashMap<ValueId, ValueId>) {
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

// Input:  for %i in %s..%e { %t = load %x[%i]; %u = mul %acc, %t; %acc := %u }
// Output: the forward sweep with `push %t`, `push %acc` …, then the adjoints of
//         every active value and `for %i in %s..%e rev { … pop %acc … }`.
pub fn reverse(forward: &Func) -> Func {
    reverse_with(forward, false)
}

/// The reverse sweep; with `graph`, also the statements that record the
/// circuit (every gate, its value and its gradient) for `f_graph`: then
/// every float gets an adjoint, constants included.
pub fn reverse_with(forward: &Func, graph: bool) -> Func {
    let mut out = forward.clone();
    let mut counters = HashMap::new();
    make_counters(&forward.body, &mut out, &mut counters);
    let active = if graph {
        active_all(forward)
    } else {
        active(forward)
    };
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
    // inputs and each other: recomputed in reverse rather than taped. (Not in
    // the circuit view, whose node stacks follow each definition.)
    let mut recompute = HashMap::new();
    if !graph {
        let mut assigned = HashSet::new();
        walk(&forward.body, &mut |stmt| {
            if let Stmt::Assign { dst, .. } = stmt {
                assigned.insert(*dst);
            }
        });
        find_recomputable(forward, &forward.body, &assigned, &mut recompute);
    }
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
            graph,
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
    if graph {
        body = record_graph(forward, body);
    }
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
    for (p, param) in forward.params.iter().enumerate() {
        if !param.wrt {
            continue;
        }
        let value = forward
            .insts
            .iter()
            .position(|inst| *inst == Inst::Param(p) || *inst == Inst::ArrayParam(p))
            .map(|i| ValueId(i as u32));
        let grad = value.and_then(|v| adj.get(&v).copied());
        let grad = match (grad, value) {
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
    if graph {
        let params = forward
            .insts
            .iter()
            .enumerate()
            .filter(|(_, inst)| matches!(inst, Inst::Param(_) | Inst::ArrayParam(_)))
            .filter_map(|(i, _)| {
                let v = ValueId(i as u32);
                adj.get(&v).map(|d| (v, *d))
            })
            .collect();
        body.push(Stmt::GraphFinish {
            params,
            output: ret,
        });
    }
    out.body = body;
    out.outputs = outputs;
    out.hoisted = hoisted;
    out
}

/// Whether `v` is a gate of its own in the circuit view (copies and array
/// reads stand for the node of what they copy).
pub fn has_node(func: &Func, v: ValueId) -> bool {
    match func.inst(v) {
        Inst::Lit { .. } | Inst::Extern(_) | Inst::Op { .. } | Inst::Proj { index: 0, .. } => true,
        Inst::Passive { ty, .. } => *ty == Ty::Float,
        _ => false,
    }
}

/// The label of a gate: its variable's name, or its expression.
pub fn label(func: &Func, v: ValueId, depth: usize) -> String {
    if let Some(name) = &func.names[v.index()] {
        return name.clone();
    }
    if depth > 2 {
        return "…".into();
    }
    // How tightly an unnamed infix gate binds (sums 1, products 2).
    let prec = |w: ValueId| match func.inst(w) {
        Inst::Op { op, .. } if func.names[w.index()].is_none() => match op.rule().forward {
            crate::rules::Forward::Infix("+" | "-") => 1,
            crate::rules::Forward::Infix(_) => 2,
            _ => 3,
        },
        _ => 3,
    };
    let mine = prec(v);
    // An operand, parenthesized when it binds less tightly than this gate.
    let operand = |w: ValueId, right: bool| {
        let text = label(func, w, depth + 1);
        let tight = prec(w);
        if tight < mine || (right && tight == mine && mine < 3) {
            format!("({text})")
        } else {
            text
        }
    };
    let sub = |w: ValueId| label(func, w, depth + 1);
    match func.inst(v) {
        Inst::Lit { value, .. } => format!("{value}"),
        Inst::Extern(path) => path.join("::"),
        Inst::Passive { index, .. } => func.passive_text(*index),
        Inst::Op { op, args } => match op.rule().forward {
            crate::rules::Forward::Infix(o) => {
                format!("{} {o} {}", operand(args[0], false), operand(args[1], true))
            }
            crate::rules::Forward::Prefix(o) => format!("{o}{}", operand(args[0], true)),
            _ => {
                let args: Vec<String> = args.iter().map(|a| sub(*a)).collect();
                format!("{}({})", op.name(), args.join(", "))
            }
        },
        Inst::Proj { tuple, .. } => match func.inst(*tuple) {
            Inst::Call { callee, args, .. } => {
                let name = match callee {
                    crate::ir::Callee::Path(p) => p.join("::"),
                    crate::ir::Callee::Method(m) => format!("self.{m}"),
                };
                let args: Vec<String> = args.iter().map(|a| sub(a.value)).collect();
                format!("{name}({})", args.join(", "))
            }
            _ => "call".into(),
        },
        Inst::Load { arr, .. } => format!("{}[…]", sub(*arr)),
        _ => "…".into(),
    }
}

/// The forward sweep with the statements that record the circuit.
fn record_graph(func: &Func, block: Vec<Stmt>) -> Vec<Stmt> {
    let mut out = Vec::new();
    for stmt in block {
        match stmt {
            Stmt::Def(v) => {
                out.push(Stmt::Def(v));
                if v.index() >= func.insts.len() {
                    continue;
                }
                match func.inst(v) {
                    Inst::Param(_) => out.push(Stmt::GraphInput {
                        value: v,
                        label: label(func, v, 0),
                    }),
                    Inst::Copy(src) if func.ty(v) == Ty::Float => {
                        out.push(Stmt::GraphAlias { dst: v, src: *src })
                    }
                    Inst::Load { arr, index } => {
                        let name = label(func, *arr, 0);
                        out.push(Stmt::GraphLoad {
                            value: v,
                            arr: *arr,
                            index: index.clone(),
                            label: name,
                        })
                    }
                    Inst::Op { op, args } => {
                        let inputs = args
                            .iter()
                            .copied()
                            .filter(|a| func.ty(*a) == Ty::Float)
                            .collect();
                        out.push(Stmt::GraphNode {
                            value: v,
                            label: label(func, v, 0),
                            op: op.name().to_string(),
                            inputs,
                        });
                    }
                    Inst::Proj { tuple, index: 0 } => {
                        let inputs = match func.inst(*tuple) {
                            Inst::Call { args, .. } => args
                                .iter()
                                .map(|a| a.value)
                                .filter(|a| func.ty(*a) == Ty::Float)
                                .collect(),
                            _ => Vec::new(),
                        };
                        out.push(Stmt::GraphNode {
                            value: v,
                            label: label(func, v, 0),
                            op: "call".into(),
                            inputs,
                        });
                    }
                    _ if has_node(func, v) => out.push(Stmt::GraphNode {
                        value: v,
                        label: label(func, v, 0),
                        op: "const".into(),
                        inputs: Vec::new(),
                    }),
                    _ => {}
                }
            }
            Stmt::Assign { dst, src } => {
                out.push(Stmt::Assign { dst, src });
                if func.ty(dst) == Ty::Float {
                    out.push(Stmt::GraphAlias { dst, src });
                }
            }
            Stmt::Store { arr, index, value } => {
                out.push(Stmt::GraphStore {
                    arr,
                    index: index.clone(),
                    value,
                });
                out.push(Stmt::Store { arr, index, value });
            }
            other => out.push(other.map_blocks(|b| record_graph(func, b))),
        }
    }
    out
}

/// Whether the trip counter `c` of a `while` loop is defined inside another loop.
fn in_loop_def(block: &[Stmt], c: ValueId, counters: &HashMap<ValueId, ValueId>) -> bool {
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
