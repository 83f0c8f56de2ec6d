//! Simplification: constant folding, algebraic identities that are exact in
//! IEEE arithmetic, value numbering (common subexpressions) and dead code
//! elimination. A pure function from IR to IR.
//!
//! Straight-line code: [`simplify`]. Structured code goes to `tidy.rs`
//! (the choice is `pipeline::clean_up`'s), which applies the same rules to
//! each definition through [`structured`].
//!
//! Only rewrites that never change a result are done: `x * 1 → x`,
//! `x + 0 → x`, `--x → x`, `x * -1 → -x`, `x / 1 → x`, folding of `+ - * /`
//! on literals (in the function's own float type). `x * 0` is *not* folded to
//! 0, since `inf * 0` is NaN.

use crate::analysis::walk;
use crate::ir::{
    CallKind, Float, Func, Inst, Stmt, ValueId, View, lit_inst, map_pieces, verify_after,
};
use crate::op::Op;
use std::collections::HashMap;

/// Identity of an instruction for value numbering.
#[derive(PartialEq, Eq, Hash)]
enum Key {
    Param(usize),
    Lit(u64),
    Extern(Vec<String>),
    Passive(usize),
    Op(Op, Vec<ValueId>),
    Proj(ValueId, usize),
}

fn key(inst: &Inst) -> Option<Key> {
    Some(match inst {
        Inst::Param(p) => Key::Param(*p),
        // Literals with the same value but different spelling are the same.
        Inst::Lit { value, .. } => Key::Lit(value.to_bits()),
        Inst::Extern(path) => Key::Extern(path.clone()),
        Inst::Passive { index, .. } => Key::Passive(*index),
        Inst::Op { op, args } => Key::Op(*op, args.clone()),
        Inst::Proj { tuple, index } => Key::Proj(*tuple, *index),
        _ => return None,
    })
}

struct Rewriter {
    out: Func,
    numbering: HashMap<Key, ValueId>,
}

impl Rewriter {
    fn lit(&self, v: ValueId) -> Option<f64> {
        self.out.inst(v).lit()
    }

    /// The operand of `v` if `v` is a negation.
    fn negated(&self, v: ValueId) -> Option<ValueId> {
        match self.out.inst(v) {
            Inst::Op { op: Op::Neg, args } => Some(args[0]),
            _ => None,
        }
    }

    fn emit(&mut self, inst: Inst, span: proc_macro2::Span) -> ValueId {
        let Some(k) = key(&inst) else {
            return self.out.push(inst, span);
        };
        if let Some(v) = self.numbering.get(&k) {
            return *v;
        }
        let v = self.out.push(inst, span);
        self.numbering.insert(k, v);
        v
    }

    /// Rewrites `op(args)`; returns the value that computes it.
    fn op(&mut self, op: Op, args: Vec<ValueId>, span: proc_macro2::Span) -> ValueId {
        let step = rewrite(op, &args, self.out.float, false, &|v| self.lit(v), &|v| {
            self.negated(v)
        });
        match step {
            Some(Rewrite::Lit(v)) => self.emit(lit_inst(v), span),
            Some(Rewrite::Value(v)) => v,
            Some(Rewrite::Op(op, args)) => self.op(op, args, span),
            None => self.emit(Inst::Op { op, args }, span),
        }
    }
}

/// One rewrite step of `op(args)`.
enum Rewrite {
    /// A literal (folded).
    Lit(f64),
    /// One of the operands, unchanged.
    Value(ValueId),
    /// Another operation, to rewrite again.
    Op(Op, Vec<ValueId>),
}

/// The rules: the rewrite of `op(args)`, if one applies, given the literal
/// value of an operand (`lit`) and the operand of an operand that is a
/// negation (`negated`). Shared by straight-line code ([`simplify`]) and
/// structured code ([`structured`]). With `signed_zeros`, `x + 0`, `x - 0`
/// and `0 - x` apply only with the zero whose sign leaves every result bit
/// for bit (`x + -0.0`, `x - 0.0`, `-0.0 - x`).
fn rewrite(
    op: Op,
    args: &[ValueId],
    float: Float,
    signed_zeros: bool,
    lit: &dyn Fn(ValueId) -> Option<f64>,
    negated: &dyn Fn(ValueId) -> Option<ValueId>,
) -> Option<Rewrite> {
    let lits: Option<Vec<f64>> = args.iter().map(|a| lit(*a)).collect();
    if let Some(lits) = lits
        && let Some(v) = fold(op, &lits, float)
        && v.is_finite()
    {
        return Some(Rewrite::Lit(v));
    }
    let is = |v: ValueId, k: f64| lit(v) == Some(k);
    // A zero literal; with `signed_zeros`, of the sign `negative`.
    let zero = |v: ValueId, negative: bool| {
        is(v, 0.0) && (!signed_zeros || lit(v).is_some_and(|z| z.is_sign_negative() == negative))
    };
    match op {
        Op::Add if zero(args[1], true) => Some(Rewrite::Value(args[0])),
        Op::Add if zero(args[0], true) => Some(Rewrite::Value(args[1])),
        Op::Sub if zero(args[1], false) => Some(Rewrite::Value(args[0])),
        Op::Sub if zero(args[0], true) => Some(Rewrite::Op(Op::Neg, vec![args[1]])),
        Op::Mul if is(args[1], 1.0) => Some(Rewrite::Value(args[0])),
        Op::Mul if is(args[0], 1.0) => Some(Rewrite::Value(args[1])),
        Op::Mul if is(args[1], -1.0) => Some(Rewrite::Op(Op::Neg, vec![args[0]])),
        Op::Mul if is(args[0], -1.0) => Some(Rewrite::Op(Op::Neg, vec![args[1]])),
        Op::Div if is(args[1], 1.0) => Some(Rewrite::Value(args[0])),
        // --x → x
        Op::Neg => negated(args[0]).map(Rewrite::Value),
        // a + -b → a - b
        Op::Add => negated(args[1]).map(|b| Rewrite::Op(Op::Sub, vec![args[0], b])),
        _ => None,
    }
}

/// Folds `op` on literals in the function's float type.
fn fold(op: Op, lits: &[f64], float: Float) -> Option<f64> {
    match float {
        Float::F64 => op.fold(lits),
        Float::F32 => {
            // Round each step to f32 as the generated code would.
            let rounded: Vec<f64> = lits.iter().map(|v| *v as f32 as f64).collect();
            op.fold(&rounded).map(|v| v as f32 as f64)
        }
    }
}

// Input:  %5 = lit 1.0 ; %6 = mul %5, %3 ; ret %4, %6
// Output: ret %4, %3
pub fn simplify(func: &Func) -> Func {
    assert!(func.is_straight_line(), "structured code goes to `tidy`");
    let mut rw = Rewriter {
        out: Func::new(func.float, func.params.clone()),
        numbering: HashMap::new(),
    };
    rw.out.passive = func.passive.clone();
    let mut map: Vec<ValueId> = Vec::with_capacity(func.insts.len());
    for (i, inst) in func.insts.iter().enumerate() {
        let span = func.spans[i];
        let mut inst = inst.clone();
        // Operands are earlier values: already renumbered.
        inst.map_values(&mut |a| map[a.index()]);
        let v = match inst {
            Inst::Op { op, args } => rw.op(op, args, span),
            other => rw.emit(other, span),
        };
        if rw.out.names[v.index()].is_none() {
            rw.out.names[v.index()] = func.names[i].clone();
        }
        map.push(v);
    }
    map_pieces_of(&mut rw.out, &map);
    rw.out.outputs = func.outputs.iter().map(|v| map[v.index()]).collect();
    verify_after("simplify (rewrites)", &rw.out, View::Plain);
    let out = dead_code(&rw.out);
    verify_after("simplify (dead code)", &out, View::Plain);
    out
}

// Input:  a structured body: `%1 = lit 1.0` … `%10 = mul %9, %1`
// Output: the rewritten instructions: `%10 = copy %9`
/// The same rules on the definitions of a structured body (`tidy.rs`
/// rewrites each instruction in place and reads the copies through; no
/// value numbering: a value may be defined in several places). An operand
/// counts as a literal only when its one definition is its only write;
/// `x + 0` and the like only where the zero's sign makes them exact (`tidy`
/// leaves every result bit for bit); `--x` and `a + -b` are left (they read an operand's operand, which need
/// not be readable, or the same, where the definition is).
pub fn structured(func: &Func, body: &[Stmt]) -> HashMap<ValueId, Inst> {
    // Each value written: how often, and whether only by definitions.
    let mut writes: HashMap<ValueId, (usize, bool)> = HashMap::new();
    let mut order = Vec::new();
    walk(body, &mut |stmt| {
        if let Some(v) = stmt.defs() {
            let w = writes.entry(v).or_insert((0, true));
            w.0 += 1;
            w.1 &= matches!(stmt, Stmt::Def(_));
            if w.0 == 1 && w.1 {
                order.push(v);
            }
        }
    });
    let fixed = |v: ValueId| writes.get(&v) == Some(&(1, true));
    let mut new: HashMap<ValueId, Inst> = HashMap::new();
    for v in order {
        // Each step leaves fewer operations.
        for _ in 0..3 {
            let inst = new.get(&v).unwrap_or(func.inst(v));
            let Inst::Op { op, args } = inst else {
                break;
            };
            let lit = |a: ValueId| {
                let inst = new.get(&a).unwrap_or(func.inst(a));
                if fixed(a) { inst.lit() } else { None }
            };
            let Some(step) = rewrite(*op, args, func.float, true, &lit, &|_| None) else {
                break;
            };
            let inst = match step {
                Rewrite::Lit(c) => lit_inst(c),
                Rewrite::Value(a) => Inst::Copy(a),
                Rewrite::Op(op, args) => Inst::Op { op, args },
            };
            new.insert(v, inst);
        }
    }
    new
}

/// Removes the instructions that no output depends on.
pub fn dead_code(func: &Func) -> Func {
    let mut live = vec![false; func.insts.len()];
    for v in &func.outputs {
        live[v.index()] = true;
    }
    for i in (0..func.insts.len()).rev() {
        if live[i] {
            func.insts[i].visit_uses(&func.passive, &mut |a| live[a.index()] = true);
        }
    }
    // A call whose partials nobody reads needs only `g`, not `g_grad`.
    let mut needs_grad = vec![false; func.insts.len()];
    for (i, inst) in func.insts.iter().enumerate() {
        if let Inst::Proj { tuple, index } = inst
            && live[i]
            && *index > 0
        {
            needs_grad[tuple.index()] = true;
        }
    }
    let mut out = Func::new(func.float, func.params.clone());
    out.passive = func.passive.clone();
    let mut map = vec![ValueId(u32::MAX); func.insts.len()];
    for (i, inst) in func.insts.iter().enumerate() {
        if !live[i] {
            continue;
        }
        let mut inst = inst.clone();
        inst.map_values(&mut |a| map[a.index()]);
        if let Inst::Call { kind, .. } = &mut inst {
            *kind = match *kind {
                CallKind::Value | CallKind::Grad if needs_grad[i] => CallKind::Grad,
                CallKind::Value | CallKind::Grad => CallKind::Value,
                other => other,
            };
        }
        let v = out.push(inst, func.spans[i]);
        out.names[v.index()] = func.names[i].clone();
        map[i] = v;
    }
    out.outputs = func.outputs.iter().map(|v| map[v.index()]).collect();
    map_pieces_of(&mut out, &map);
    out
}

/// Renumbers the values of the passive sources of `func`'s instructions
/// (an instruction's own operands are renumbered as it is copied).
fn map_pieces_of(func: &mut Func, map: &[ValueId]) {
    let mut passive = std::mem::take(&mut func.passive);
    let mut done = vec![false; passive.len()];
    for inst in &func.insts {
        if let Inst::Passive { index, .. } | Inst::ArrayRepeat { len: index, .. } = inst
            && !std::mem::replace(&mut done[*index], true)
        {
            map_pieces(&mut passive[*index], &mut |v| map[v.index()]);
        }
    }
    func.passive = passive;
}
