//! Lowering: the body of the user's function (syn) to the IR.
//!
//! Straight-line code becomes plain SSA: an environment maps each name in
//! scope to the value it holds, so `let`, shadowing, reassignment and `+=`
//! are just new values. Code with branches, loops or arrays becomes a
//! structured body (`ir::Stmt`): mutable variables are values that
//! `Stmt::Assign` overwrites, arrays are values that `Stmt::Store` writes,
//! `break` and early `return` become flags that guard the rest of the code,
//! and every loop becomes a counted `for` or a `while`. Integer and boolean
//! expressions become passive values that keep their Rust source.
//!
//! Everything outside the supported language is an error on its tokens, and
//! lowering carries on with a placeholder so that all errors are reported.
//!
//! This file holds the lowering state, the entry points and the building
//! blocks the other files share. `scan` looks at the syntax before lowering
//! (which form the body needs, where it may exit early); `stmt` lowers
//! statements, `let` and assignments; `expr` expressions and operands;
//! `call` calls of functions and methods; `control` branches, loops, `break`
//! and `return`; `iter` what a loop or an iterator sum runs over; `array`
//! places, loads, stores and local arrays.

mod array;
mod call;
mod control;
mod expr;
mod iter;
mod scan;
mod stmt;

use crate::ast::{Sig, ident_name};
use crate::ctxt::Ctxt;
use crate::ir::{Func, Inst, Param, Piece, Stmt, Ty, ValueId};
use crate::op::Op;
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use std::collections::{HashMap, HashSet};
use syn::spanned::Spanned;

/// Which IR form the body is lowered to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Form {
    /// SSA instructions in order, no statements (straight-line code).
    Straight,
    /// A structured body of `ir::Stmt` (branches, loops, arrays).
    Structured,
}

/// What a name in scope denotes.
#[derive(Clone)]
enum Binding {
    /// A value; `mutable` when `let mut` (in structured code, assignments
    /// overwrite it in place).
    Value { value: ValueId, mutable: bool },
    /// A row of an array: `arr[prefix…]` (a loop over `w.iter()` binds one).
    View { arr: ValueId, prefix: Vec<ValueId> },
}

/// The loop being lowered: its `break` flag, created on first use.
struct LoopCx {
    broken: Option<ValueId>,
}

struct Lower<'a> {
    cx: &'a Ctxt,
    func: Func,
    scopes: Vec<HashMap<String, Binding>>,
    /// Straight-line SSA or a structured body.
    form: Form,
    /// The statements of the blocks being built, innermost last.
    blocks: Vec<Vec<Stmt>>,
    /// Array rank of each array value.
    ranks: HashMap<ValueId, usize>,
    /// Values that are mutable variables (copies must snapshot them).
    mutable: HashSet<ValueId>,
    /// Constants of unknown type (`self.n`): integers where one is expected.
    opaque: HashSet<ValueId>,
    loops: Vec<LoopCx>,
    /// How deep in loops and branches the current block is.
    depth: usize,
    /// Structured code: the result variable and the `returned` flag.
    ret_var: Option<ValueId>,
    returned: Option<ValueId>,
    /// Straight-line code: set once a `return` was lowered.
    early: Option<ValueId>,
}

/// Lowers the body of a validated function, in the form it needs
/// (straight-line SSA, or a structured body for branches, loops, arrays).
pub fn lower(cx: &Ctxt, sig: &Sig) -> Func {
    let params = sig
        .params
        .iter()
        .map(|p| Param {
            name: ident_name(&p.ident),
            ty: p.ty,
            wrt: p.wrt,
        })
        .collect();
    let form = if scan::needs_structure(sig) {
        Form::Structured
    } else {
        Form::Straight
    };
    let mut l = Lower {
        cx,
        func: Func::new(sig.float, params),
        scopes: vec![HashMap::new()],
        form,
        blocks: vec![Vec::new()],
        ranks: HashMap::new(),
        mutable: HashSet::new(),
        opaque: HashSet::new(),
        loops: Vec::new(),
        depth: 0,
        ret_var: None,
        returned: None,
        early: None,
    };
    // Input: `fn f(x: f64, v: &[f64], n: usize)`
    // Output: `%0 = param 0 x`, `%1 = array param 1 v`, `%2 = passive int `n``
    for (i, p) in sig.params.iter().enumerate() {
        let span = p.ident.span();
        let v = match p.ty {
            Ty::Float => l.def(Inst::Param(i), span),
            Ty::Array => {
                let v = l.def(Inst::ArrayParam(i), span);
                let rank = p.array.as_ref().map_or(1, |a| a.rank);
                l.ranks.insert(v, rank);
                v
            }
            ty => l.passive(vec![Piece::Tokens(p.ident.to_token_stream())], ty, span),
        };
        l.func.names[v.index()] = Some(ident_name(&p.ident));
        l.bind_value(&ident_name(&p.ident), v, false);
    }
    let block = &sig.item.block;
    let span = block.span();
    match form {
        Form::Structured => {
            let ret = l.def(Inst::Zero, span);
            l.func.names[ret.index()] = Some("return value".into());
            l.ret_var = Some(ret);
            l.mutable.insert(ret);
            // An early `return` anywhere: the flag exists before any loop that
            // must stop on it is lowered.
            if scan::has_early_return(&block.stmts) {
                let f = l.flag("returned", span);
                l.returned = Some(f);
            }
            if let Some(v) = l.block_stmts(&block.stmts, true) {
                l.assign(ret, v);
            }
            l.func.outputs = vec![ret];
            l.func.body = l.blocks.pop().expect("the function's block");
            if l.func.body.is_empty() {
                // Never empty: the structured form is told apart by a non-empty body.
                l.func.body.push(Stmt::Def(ret));
            }
        }
        Form::Straight => {
            let tail = l.block_stmts(&block.stmts, true);
            let ret = match (tail, l.early) {
                (Some(v), _) | (None, Some(v)) => v,
                (None, None) => l.missing_value(block),
            };
            l.func.outputs = vec![ret];
        }
    }
    l.func
}

impl Lower<'_> {
    fn emit(&mut self, stmt: Stmt) {
        self.blocks.last_mut().expect("a block is open").push(stmt);
    }

    /// Defines a value by an instruction, at this point of the body.
    fn def(&mut self, inst: Inst, span: Span) -> ValueId {
        let v = self.func.push(inst, span);
        if self.form == Form::Structured {
            self.emit(Stmt::Def(v));
        }
        v
    }

    /// Lowers statements into a new block and returns it.
    fn in_block(&mut self, f: impl FnOnce(&mut Self)) -> Vec<Stmt> {
        self.blocks.push(Vec::new());
        self.depth += 1;
        f(self);
        self.depth -= 1;
        self.blocks.pop().expect("pushed above")
    }

    fn bind_value(&mut self, name: &str, value: ValueId, mutable: bool) {
        let scope = self.scopes.last_mut().expect("a scope is always open");
        scope.insert(name.to_owned(), Binding::Value { value, mutable });
    }

    fn lookup(&self, name: &str) -> Option<Binding> {
        self.scopes.iter().rev().find_map(|s| s.get(name).cloned())
    }

    /// Straight-line code: rebinds a mutable variable in the scope that declared it.
    fn rebind(&mut self, name: &str, value: ValueId) {
        for scope in self.scopes.iter_mut().rev() {
            if let Some(Binding::Value { value: v, .. }) = scope.get_mut(name) {
                *v = value;
                return;
            }
        }
    }

    fn passive(&mut self, pieces: Vec<Piece>, ty: Ty, span: Span) -> ValueId {
        let index = self.func.passive.len();
        self.func.passive.push(pieces);
        self.def(Inst::Passive { index, ty }, span)
    }

    /// The pieces that stand for value `v` inside a passive expression.
    fn pieces_of(&self, v: ValueId) -> Vec<Piece> {
        match self.func.inst(v) {
            // A field of `self` is written out where it is used.
            Inst::Passive { index, .. } if self.opaque.contains(&v) => {
                self.func.passive[*index].clone()
            }
            // Passive values outside structured code are inlined; in structured
            // code they are variables like any other.
            Inst::Passive { index, .. } if self.form == Form::Straight => {
                self.func.passive[*index].clone()
            }
            _ => vec![Piece::Value(v)],
        }
    }

    /// A passive expression `(a) op (b)` of two values.
    fn passive_bin(
        &mut self,
        a: ValueId,
        op: TokenStream,
        b: ValueId,
        ty: Ty,
        span: Span,
    ) -> ValueId {
        let mut out = self.paren(a);
        out.push(Piece::Tokens(op));
        out.extend(self.paren(b));
        self.passive(out, ty, span)
    }

    /// The pieces of `v`, parenthesized unless it is a single value or token.
    fn paren(&self, v: ValueId) -> Vec<Piece> {
        let pieces = self.pieces_of(v);
        let simple = match pieces.as_slice() {
            [Piece::Value(_)] | [Piece::Paren(_)] => true,
            [Piece::Tokens(t)] => t.clone().into_iter().count() == 1,
            _ => false,
        };
        if simple {
            pieces
        } else {
            vec![Piece::Paren(pieces)]
        }
    }

    /// Records an error and returns a placeholder so lowering can go on.
    fn error<T: ToTokens>(&mut self, tokens: T, msg: impl std::fmt::Display) -> ValueId {
        let span = tokens.to_token_stream().span();
        self.cx.error_spanned_by(tokens, msg);
        self.func.lit(0.0, span)
    }

    fn op(&mut self, op: Op, args: Vec<ValueId>, span: Span) -> ValueId {
        let args = args.into_iter().map(|a| self.operand(a)).collect();
        self.def(Inst::Op { op, args }, span)
    }

    fn lit(&mut self, value: f64, span: Span) -> ValueId {
        self.def(crate::ir::lit_inst(value), span)
    }

    /// `dst = src` on a mutable variable (structured code).
    fn assign(&mut self, dst: ValueId, src: ValueId) {
        let src = self.operand(src);
        self.emit(Stmt::Assign { dst, src });
    }

    /// A new mutable boolean flag, `false`.
    fn flag(&mut self, name: &str, span: Span) -> ValueId {
        let f = self.passive(vec![Piece::Tokens(quote!(false))], Ty::Bool, span);
        self.func.names[f.index()] = Some(name.into());
        self.mutable.insert(f);
        f
    }

    fn set_flag(&mut self, flag: ValueId, span: Span) {
        let t = self.passive(vec![Piece::Tokens(quote!(true))], Ty::Bool, span);
        self.assign(flag, t);
    }

    /// The condition under which code after an early exit still runs:
    /// neither returned nor broken out of the innermost loop.
    fn still_running(&mut self, span: Span) -> Option<ValueId> {
        let mut flags: Vec<ValueId> = Vec::new();
        if let Some(r) = self.returned {
            flags.push(r);
        }
        if let Some(b) = self.loops.last().and_then(|l| l.broken) {
            flags.push(b);
        }
        if flags.is_empty() {
            return None;
        }
        let mut inner = Vec::new();
        for (i, f) in flags.iter().enumerate() {
            if i > 0 {
                inner.push(Piece::Tokens(quote!(||)));
            }
            inner.push(Piece::Value(*f));
        }
        let pieces = vec![Piece::Tokens(quote!(!)), Piece::Paren(inner)];
        Some(self.passive(pieces, Ty::Bool, span))
    }
}
