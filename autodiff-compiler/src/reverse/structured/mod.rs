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

use super::buffers::Buffers;
use super::fuse;
use super::tape::{
    Level, Overwrites, Path, Place, augment, find_recomputable, make_counters, nested_calls,
    nested_defs, push_tuples, reads,
};
use super::{call_partials, wrt_params};
use crate::analysis::{self, walk};
use crate::ir::{CallKind, Func, Inst, Piece, Stmt, Ty, ValueId};
use crate::rules::Emit;
use proc_macro2::Span;
use std::collections::{HashMap, HashSet};

mod seed;

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
    /// The taped tuples already popped (a `Jvp`/`Hvp` call has two outputs).
    popped: HashSet<ValueId>,
    /// Per `for` loop (by its variable): the values of its body that the
    /// reverse sweep computes again instead of taping them.
    recompute: HashMap<ValueId, Vec<ValueId>>,
    /// Loops (by variable) whose trips are reversed inside the forward
    /// sweep, with the variables each sums into.
    fused: HashMap<ValueId, Vec<ValueId>>,
    /// The sums of the fused loop being reversed: their pops are not in its
    /// trips but around the whole loop.
    sums: HashSet<ValueId>,
    /// The reversed body of each fused loop, which the forward sweep runs.
    fused_bodies: HashMap<ValueId, Vec<Stmt>>,
    /// Where in the forward sweep the statement being reversed is.
    path: Path,
    /// Each value the reverse sweep reads, with the forward statements whose
    /// reverse reads it.
    read_sites: HashMap<ValueId, Vec<Path>>,
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
        for (index, stmt) in fwd.iter().enumerate().rev() {
            self.path.push(Level {
                index,
                block: 0,
                repeats: false,
            });
            let from = out.len();
            self.stmt(stmt, &mut out);
            if matches!(
                stmt,
                Stmt::Def(_) | Stmt::Assign { .. } | Stmt::Store { .. }
            ) {
                let read = reads(&self.out, &out[from..]);
                self.read_at(read);
            }
            self.path.pop();
        }
        out
    }

    /// Records that the statement being reversed reads `values`.
    fn read_at(&mut self, values: impl IntoIterator<Item = ValueId>) {
        for v in values {
            self.read_sites
                .entry(v)
                .or_default()
                .push(self.path.clone());
        }
    }

    /// Enters nested block `block` of the statement being reversed.
    fn enter(&mut self, block: usize, repeats: bool) {
        let level = self.path.last_mut().expect("inside a block");
        level.block = block;
        level.repeats = repeats;
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
                if self.taped.contains(dst) && !self.sums.contains(dst) {
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
                self.enter(0, false);
                let then = self.block(then);
                self.enter(1, false);
                let els = self.block(els);
                if !then.is_empty() || !els.is_empty() {
                    self.read_at([*cond]);
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
            } if self.fused.contains_key(var) => {
                // Reversed trip by trip inside the forward sweep: here only
                // the values its sums had before it.
                self.enter(0, false);
                let reductions = self.fused[var].clone();
                self.sums = reductions.iter().copied().collect();
                let reversed = self.block(body);
                self.sums.clear();
                self.fused_bodies.insert(*var, reversed);
                for s in reductions {
                    if self.taped.contains(&s) {
                        out.push(Stmt::Pop(s));
                    }
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
                self.enter(0, true);
                let mut reversed = self.block(body);
                self.loop_depth -= 1;
                if !reversed.is_empty() {
                    self.read_at([*start, *end]);
                    // Values cheaper to compute again than to tape: recompute
                    // them at the top of each reversed trip.
                    if let Some(values) = self.recompute.get(var) {
                        let mut again: Vec<Stmt> = values.iter().map(|v| Stmt::Def(*v)).collect();
                        let read = reads(&self.out, &again);
                        self.read_at(read);
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
                self.enter(1, true);
                let body = self.block(body);
                self.loop_depth -= 1;
                let count = self.counters[cond];
                if !body.is_empty() {
                    self.read_at([count]);
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
            Inst::Proj { tuple, index } => {
                // A call: its function returned the partials beside the value.
                let Inst::Call { args, kind, .. } = self.fwd.inst(tuple).clone() else {
                    return;
                };
                if index >= kind.outputs() {
                    return;
                }
                let t = self.take(v, out);
                // Popped once, at the first of its outputs the sweep meets.
                if self.tuple_taped.contains(&tuple) && self.popped.insert(tuple) {
                    out.push(Stmt::PopTuple(tuple));
                }
                let span = self.fwd.span(v);
                for (arg, slot) in call_partials(self.fwd, &args, kind, index) {
                    if !self.is_active(arg.value) {
                        continue;
                    }
                    let partial = self.out.push(Inst::Proj { tuple, index: slot }, span);
                    self.out.tys[partial.index()] = self.fwd.ty(arg.value);
                    out.push(Stmt::Def(partial));
                    if self.fwd.ty(arg.value) == Ty::Array {
                        // The argument's own place: one array may be passed
                        // twice (`g(&w[0], &w[1])`, `g(&x[1..], &x[..n])`).
                        out.push(Stmt::AddScaled {
                            dst: self.adj[&arg.value],
                            prefix: arg.prefix,
                            scale: t,
                            src: partial,
                        });
                    } else {
                        let from = self.out.insts.len();
                        let c = self.emit(span).mul(t, partial);
                        self.def_since(from, out);
                        out.push(Stmt::AddAssign {
                            dst: self.adj[&arg.value],
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
//         every active value and `for %i in %s..%e rev { … pop %acc … }`;
//         a sum reduction `for %i { …; %s := %s + %e }` instead runs as one
//         loop whose trips compute their forward body and then its adjoint.
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
    let params: HashSet<ValueId> = wrt_params(forward).into_iter().flatten().collect();
    for v in sorted {
        let span = forward.span(v);
        let d = match forward.ty(v) {
            Ty::Array => out.push(Inst::ZeroLike(v), span),
            // A gradient the function returns starts at +0.0, as written.
            _ if params.contains(&v) => out.push(Inst::Zero, span),
            _ => out.push(Inst::NegZero, span),
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
    let nothing = HashSet::new();
    let place = Place {
        fused: &nothing,
        repeating: false,
        stored_after: &nothing,
    };
    find_recomputable(forward, &forward.body, &assigned, place, &mut recompute);
    for (i, inst) in forward.insts.iter().enumerate() {
        if let Inst::Call {
            callee,
            args,
            kind: CallKind::Value | CallKind::Grad,
        } = inst
        {
            out.insts[i] = Inst::Call {
                callee: callee.clone(),
                args: args.clone(),
                kind: if active.contains(&ValueId(i as u32)) {
                    CallKind::Grad
                } else {
                    CallKind::Value
                },
            };
        }
    }
    let mut sweep = Sweep {
        fwd: forward,
        out,
        active: active.clone(),
        adj: adj.clone(),
        taped: HashSet::new(),
        counters: counters.clone(),
        loop_depth: 0,
        tuple_taped: HashSet::new(),
        popped: HashSet::new(),
        recompute: recompute.clone(),
        fused: HashMap::new(),
        sums: HashSet::new(),
        fused_bodies: HashMap::new(),
        path: Vec::new(),
        read_sites: HashMap::new(),
    };
    // Sum reductions whose adjoints are known ahead of them: fused.
    let mut seeds = HashMap::new();
    let mut fused_sums = HashMap::new();
    for candidate in fuse::candidates(forward) {
        if let Some(seed) = sweep.seed(&candidate, &assigned) {
            seeds.insert(candidate.var, seed);
            fused_sums.insert(candidate.var, candidate.reductions);
        }
    }
    let fused: HashSet<ValueId> = seeds.keys().copied().collect();
    // What to compute again, now that fused trips are reversed in place.
    let mut recompute = HashMap::new();
    let place = Place {
        fused: &fused,
        repeating: false,
        stored_after: &nothing,
    };
    find_recomputable(forward, &forward.body, &assigned, place, &mut recompute);
    // Calls inside loops or branches keep their tuples on a tape of their own.
    let mut tuple_taped = HashSet::new();
    nested_calls(forward, &forward.body, 0, &active, &fused, &mut tuple_taped);
    // The sweep, given what is taped; it also says what it reads.
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
            popped: HashSet::new(),
            recompute: recompute.clone(),
            fused: fused_sums.clone(),
            sums: HashSet::new(),
            fused_bodies: HashMap::new(),
            path: Vec::new(),
            read_sites: HashMap::new(),
        };
        let body = sweep.block(&forward.body);
        (body, sweep.fused_bodies, sweep.read_sites, sweep.out)
    };
    // Taping a value can make the reverse sweep read more (a branch around a
    // pop reads its condition): repeat until nothing new needs the tape. The
    // instructions a round adds are dropped before the next round, and the
    // round whose taping stays the same is the sweep.
    let mut out = sweep.out;
    let (values, passive) = (out.insts.len(), out.passive.len());
    let overwrites = Overwrites::of(forward, &fused, &recompute);
    let mut taped: HashSet<ValueId> = HashSet::new();
    let (mut backward, mut fused_bodies, mut out) = loop {
        let (backward, fused_bodies, read_sites, built) = reads_of(taped.clone(), out);
        let next = overwrites.taped(&read_sites, &counters);
        if next == taped {
            break (backward, fused_bodies, built);
        }
        out = built;
        out.truncate(values, passive);
        taped = next;
    };
    let mut body = augment(&out, &forward.body, &taped, &counters, &fused_sums, false);
    body = push_tuples(&out, body, &tuple_taped);
    // Tapes as slots and buffers indexed by the trip where they fit.
    let mut buffers = Buffers {
        func: &mut out,
        fused: &fused,
        top: Vec::new(),
        hoisted: Vec::new(),
    };
    for stmt in body.iter_mut() {
        if let Stmt::For {
            var, body: trip, ..
        } = stmt
            && let Some(reversed) = fused_bodies.get_mut(var)
        {
            buffers.region(trip, reversed, false);
        }
    }
    buffers.region(&mut body, &mut backward, true);
    let (top, slots) = (buffers.top, buffers.hoisted);
    body.splice(0..0, top);
    // Each fused loop: its reductions' adjoints, then trips that run
    // forward and back, then those adjoints reset for the reverse sweep.
    if !fused.is_empty() {
        let mut spliced = Vec::new();
        for stmt in body {
            let Stmt::For {
                var,
                start,
                end,
                rev,
                body: mut trip,
            } = stmt
            else {
                spliced.push(stmt);
                continue;
            };
            let Some((seed_block, seeds)) = seeds.remove(&var) else {
                spliced.push(Stmt::For {
                    var,
                    start,
                    end,
                    rev,
                    body: trip,
                });
                continue;
            };
            // The adjoints are declared ahead of the first fused loop.
            spliced.append(&mut decls);
            spliced.extend(seed_block);
            for (d, seed) in &seeds {
                spliced.push(Stmt::AddAssign {
                    dst: *d,
                    src: *seed,
                });
            }
            trip.extend(fused_bodies.remove(&var).unwrap_or_default());
            spliced.push(Stmt::For {
                var,
                start,
                end,
                rev,
                body: trip,
            });
            for (d, _) in &seeds {
                spliced.push(Stmt::Clear(*d));
            }
        }
        body = spliced;
    }
    let mut hoisted = slots;
    nested_defs(&out, &body, 0, &fused, &mut hoisted);
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
