//! Uses and definitions: the one answer to "what does this instruction or
//! statement read, write, rename?", in the manner of cranelift's
//! `DataFlowGraph::inst_values` / `map_inst_values`. Every pass that walks
//! values asks here; none matches on the variants itself for that.
//!
//! - [`Inst::uses`]: every value an instruction reads, the values inside
//!   its passive source ([`Piece::Value`]) and a tape buffer's bounds included.
//! - [`Stmt::uses`]: every value a statement reads itself, not those of the
//!   blocks nested in it.
//! - [`Stmt::defs`]: the value a statement defines or writes (at most one).
//! - [`Inst::map_values`], [`Stmt::map_values`], [`Stmt::map_values_deep`],
//!   [`map_pieces`], [`Func::map_inst_values`]: renaming.
//!
//! The rules for the statements that write part of a value:
//!
//! - `arr[i] = v` ([`Stmt::Store`]), `arr[i] = -0.0` ([`Stmt::ClearStore`]),
//!   [`Stmt::ZeroOutside`] and [`Stmt::Save`] (into its buffer) write part
//!   of an array: the array is their definition, not a use (they need none
//!   of its elements; the array must be declared before them, which the
//!   verifier checks).
//! - `arr[i] += v` ([`Stmt::AddStore`]), `dst[..] += s * src`
//!   ([`Stmt::AddScaled`]), `dst += src` ([`Stmt::AddAssign`]) and
//!   `v += 1` ([`Stmt::Count`]) read what they add to: it is both a use and
//!   the definition.
//! - [`Stmt::Push`] and [`Stmt::PushTuple`] read their value and write a
//!   tape, which is not a value: they define nothing. [`Stmt::Pop`],
//!   [`Stmt::PopTuple`] and [`Stmt::Restore`] define the value they take
//!   back. A `for` loop defines its variable, a `while` loop reads its
//!   condition (computed by its head, a nested block).

use super::{Func, Inst, Piece, Stmt, ValueId};

/// Calls `f` on every value named in passive pieces (nested groups too).
fn visit_pieces(pieces: &[Piece], f: &mut impl FnMut(ValueId)) {
    for p in pieces {
        match p {
            Piece::Value(v) => f(*v),
            Piece::Paren(inner) | Piece::Bracket(inner) => visit_pieces(inner, f),
            Piece::Tokens(_) => {}
        }
    }
}

/// Renames every value named in passive pieces (nested groups too).
pub fn map_pieces(pieces: &mut [Piece], f: &mut impl FnMut(ValueId) -> ValueId) {
    for p in pieces {
        match p {
            Piece::Value(v) => *v = f(*v),
            Piece::Paren(inner) | Piece::Bracket(inner) => map_pieces(inner, f),
            Piece::Tokens(_) => {}
        }
    }
}

impl Inst {
    /// Calls `f` on every value this instruction reads, in order: operands,
    /// call arguments and their row indices, a tape buffer's bounds, and the
    /// values in its passive source (`passive` is [`Func::passive`]; an
    /// [`Inst::Passive`]'s expression, an [`Inst::ArrayRepeat`]'s length).
    pub fn visit_uses(&self, passive: &[Vec<Piece>], f: &mut impl FnMut(ValueId)) {
        match self {
            Inst::Op { args, .. } | Inst::ArrayList(args) => args.iter().copied().for_each(f),
            Inst::Copy(v) | Inst::ZeroLike(v) | Inst::OutputLike(v) => f(*v),
            Inst::ArrayRepeat { elem, len } => {
                f(*elem);
                visit_pieces(&passive[*len], f);
            }
            Inst::Passive { index, .. } => visit_pieces(&passive[*index], f),
            Inst::Load { arr, index } => {
                f(*arr);
                index.iter().copied().for_each(f);
            }
            Inst::TapeBuf { start, end, .. } => {
                f(*start);
                f(*end);
            }
            Inst::Call { args, .. } => {
                for a in args {
                    f(a.value);
                    a.prefix.iter().copied().for_each(&mut *f);
                }
            }
            Inst::Proj { tuple, .. } => f(*tuple),
            Inst::Param(_)
            | Inst::Lit { .. }
            | Inst::Extern(_)
            | Inst::ArrayParam(_)
            | Inst::Zero
            | Inst::NegZero => {}
        }
    }

    /// Every value this instruction reads ([`Inst::visit_uses`]).
    pub fn uses(&self, passive: &[Vec<Piece>]) -> Vec<ValueId> {
        let mut out = Vec::new();
        self.visit_uses(passive, &mut |v| out.push(v));
        out
    }

    /// Renames every value this instruction names itself. The values of its
    /// passive source live in [`Func::passive`]: [`map_pieces`] renames
    /// them, [`Func::map_inst_values`] renames both.
    pub fn map_values(&mut self, f: &mut impl FnMut(ValueId) -> ValueId) {
        let mut m = |v: &mut ValueId| *v = f(*v);
        match self {
            Inst::Op { args, .. } | Inst::ArrayList(args) => args.iter_mut().for_each(m),
            Inst::Copy(v) | Inst::ZeroLike(v) | Inst::OutputLike(v) => m(v),
            Inst::ArrayRepeat { elem, .. } => m(elem),
            Inst::Load { arr, index } => {
                m(arr);
                index.iter_mut().for_each(m);
            }
            Inst::TapeBuf { start, end, .. } => {
                m(start);
                m(end);
            }
            Inst::Call { args, .. } => {
                for a in args {
                    m(&mut a.value);
                    a.prefix.iter_mut().for_each(&mut m);
                }
            }
            Inst::Proj { tuple, .. } => m(tuple),
            Inst::Param(_)
            | Inst::Lit { .. }
            | Inst::Extern(_)
            | Inst::Passive { .. }
            | Inst::ArrayParam(_)
            | Inst::Zero
            | Inst::NegZero => {}
        }
    }
}

impl Stmt {
    /// Calls `f` on every value this statement reads itself (not those of
    /// the blocks nested in it): a definition's [`Inst::uses`], sources,
    /// stored values, indices, conditions, loop bounds, the values in an
    /// effect's passive source, and what `+=` adds to (see the module docs
    /// for the arrays of stores).
    pub fn visit_uses(&self, func: &Func, f: &mut impl FnMut(ValueId)) {
        match self {
            Stmt::Def(v) => func.inst(*v).visit_uses(&func.passive, f),
            Stmt::Assign { src, .. } => f(*src),
            Stmt::AddAssign { dst, src } => {
                f(*dst);
                f(*src);
            }
            Stmt::Store { index, value, .. } => {
                index.iter().copied().for_each(&mut *f);
                f(*value);
            }
            Stmt::AddStore { arr, index, value } => {
                f(*arr);
                index.iter().copied().for_each(&mut *f);
                f(*value);
            }
            Stmt::ClearStore { index, .. } => index.iter().copied().for_each(f),
            Stmt::If { cond, .. } | Stmt::While { cond, .. } => f(*cond),
            Stmt::For { start, end, .. } | Stmt::Reserve { start, end, .. } => {
                f(*start);
                f(*end);
            }
            Stmt::Push(v) | Stmt::Count(v) | Stmt::PushTuple(v) => f(*v),
            Stmt::AddScaled {
                dst,
                prefix,
                scale,
                src,
            } => {
                f(*dst);
                prefix.iter().copied().for_each(&mut *f);
                f(*scale);
                f(*src);
            }
            Stmt::Effect(k) => visit_pieces(&func.passive[*k], f),
            Stmt::Save { var, value, .. } => {
                f(*var);
                f(*value);
            }
            Stmt::Restore { buf, var, .. } => {
                f(*buf);
                f(*var);
            }
            Stmt::ZeroOutside { lo, hi, .. } => {
                f(*lo);
                f(*hi);
            }
            Stmt::Clear(_) | Stmt::Pop(_) | Stmt::PopTuple(_) | Stmt::Probe(_) => {}
        }
    }

    /// Every value this statement reads itself ([`Stmt::visit_uses`]).
    pub fn uses(&self, func: &Func) -> Vec<ValueId> {
        let mut out = Vec::new();
        self.visit_uses(func, &mut |v| out.push(v));
        out
    }

    /// The value this statement defines or writes itself, if any (not those
    /// of its nested blocks; no statement writes two): a definition's value,
    /// the destination of `=`, `+=`, clears, counts, pops and restores, the
    /// array of a store, clear, `+= s * src` or [`Stmt::ZeroOutside`], the
    /// buffer of a [`Stmt::Save`], a `for` loop's variable.
    pub fn defs(&self) -> Option<ValueId> {
        Some(match self {
            Stmt::Def(v)
            | Stmt::Clear(v)
            | Stmt::Pop(v)
            | Stmt::Count(v)
            | Stmt::PopTuple(v)
            | Stmt::Assign { dst: v, .. }
            | Stmt::AddAssign { dst: v, .. }
            | Stmt::Restore { value: v, .. }
            | Stmt::For { var: v, .. }
            | Stmt::Store { arr: v, .. }
            | Stmt::AddStore { arr: v, .. }
            | Stmt::ClearStore { arr: v, .. }
            | Stmt::AddScaled { dst: v, .. }
            | Stmt::ZeroOutside { arr: v, .. }
            | Stmt::Save { buf: v, .. } => *v,
            Stmt::If { .. }
            | Stmt::While { .. }
            | Stmt::Push(_)
            | Stmt::PushTuple(_)
            | Stmt::Effect(_)
            | Stmt::Probe(_)
            | Stmt::Reserve { .. } => return None,
        })
    }

    /// Renames every value this statement names itself, its definition
    /// included, not those of its nested blocks nor those of a definition's
    /// instruction ([`Func::map_inst_values`] renames those).
    pub fn map_values(&mut self, f: &mut impl FnMut(ValueId) -> ValueId) {
        let mut m = |v: &mut ValueId| *v = f(*v);
        match self {
            Stmt::Def(v)
            | Stmt::Clear(v)
            | Stmt::Push(v)
            | Stmt::Pop(v)
            | Stmt::Count(v)
            | Stmt::PushTuple(v)
            | Stmt::PopTuple(v) => m(v),
            Stmt::Assign { dst, src } | Stmt::AddAssign { dst, src } => {
                m(dst);
                m(src);
            }
            Stmt::Store { arr, index, value } | Stmt::AddStore { arr, index, value } => {
                m(arr);
                index.iter_mut().for_each(&mut m);
                m(value);
            }
            Stmt::ClearStore { arr, index } => {
                m(arr);
                index.iter_mut().for_each(m);
            }
            Stmt::If { cond, .. } | Stmt::While { cond, .. } => m(cond),
            Stmt::For {
                var, start, end, ..
            } => {
                m(var);
                m(start);
                m(end);
            }
            Stmt::AddScaled {
                dst,
                prefix,
                scale,
                src,
            } => {
                m(dst);
                prefix.iter_mut().for_each(&mut m);
                m(scale);
                m(src);
            }
            Stmt::Reserve { start, end, .. } => {
                m(start);
                m(end);
            }
            Stmt::Save {
                buf, var, value, ..
            }
            | Stmt::Restore {
                buf, var, value, ..
            } => {
                m(buf);
                m(var);
                m(value);
            }
            Stmt::ZeroOutside { arr, lo, hi } => {
                m(arr);
                m(lo);
                m(hi);
            }
            Stmt::Effect(_) | Stmt::Probe(_) => {}
        }
    }

    /// [`Stmt::map_values`] on this statement and every statement nested in it.
    pub fn map_values_deep(&mut self, f: &mut impl FnMut(ValueId) -> ValueId) {
        self.map_values(f);
        match self {
            Stmt::If { then, els, .. } => {
                then.iter_mut().for_each(|s| s.map_values_deep(f));
                els.iter_mut().for_each(|s| s.map_values_deep(f));
            }
            Stmt::For { body, .. } => body.iter_mut().for_each(|s| s.map_values_deep(f)),
            Stmt::While { head, body, .. } => {
                head.iter_mut().for_each(|s| s.map_values_deep(f));
                body.iter_mut().for_each(|s| s.map_values_deep(f));
            }
            _ => {}
        }
    }
}

impl Func {
    /// Renames every value the instructions read, the values of passive
    /// sources included (not the statements, outputs or side tables).
    pub fn map_inst_values(&mut self, f: &mut impl FnMut(ValueId) -> ValueId) {
        for inst in &mut self.insts {
            inst.map_values(f);
        }
        for pieces in &mut self.passive {
            map_pieces(pieces, f);
        }
    }
}
