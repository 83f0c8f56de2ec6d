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
//! `call` calls of functions and methods; `closure` closures bound to a name; `control` branches, loops, `break`,
//! `continue` and `return`; `matching` `match`; `iter` what a loop runs over; `macros` `assert!` and `println!`; `reduce` `.sum()`, `.product()`, `.fold(..)`; `array`
//! places, loads and stores; `array_expr` array expressions.

mod array;
mod array_expr;
mod call;
mod closure;
mod control;
mod expr;
mod iter;
mod macros;
mod matching;
mod precision;
mod reduce;
mod scan;
mod stmt;

use crate::ast::Sig;
use crate::ctxt::Ctxt;
use crate::ir::{Func, Inst, Param, Piece, Stmt, Ty, ValueId};
use crate::op::Op;
use crate::syntax::ident_name;
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
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
    /// A place inside an array that is an array itself: a row, a sub-slice,
    /// a window (a loop over `w.iter()` or `x.windows(2)` binds one).
    View(View),
    /// A closure bound to a name (`let sq = |v: f64| v * v;`): inlined
    /// where it is called.
    Closure(Rc<ClosureDef>),
}

/// A closure and the names in scope where it was written: its body is
/// lowered at each call in these scopes (captured variables that may
/// change later are snapshots), with its parameters bound to the arguments.
struct ClosureDef {
    closure: syn::ExprClosure,
    scopes: Vec<HashMap<String, Binding>>,
}

/// An array place: `arr[prefix…]`, and of that, when `range` is set, the
/// elements `start..end` (`end` `None`: to the end), as `&x[1..]`,
/// `x.windows(k)` and `x.chunks_exact(k)` give.
#[derive(Clone)]
struct View {
    arr: ValueId,
    prefix: Vec<ValueId>,
    range: Option<(ValueId, Option<ValueId>)>,
}

impl View {
    /// The whole array value `arr`.
    fn whole(arr: ValueId) -> View {
        View {
            arr,
            prefix: Vec::new(),
            range: None,
        }
    }
}

/// A loop being lowered: its label and the flags its exits set, made
/// before its body is lowered when the body exits it.
struct LoopCx {
    label: Option<String>,
    /// The block the loop is emitted into, and the first value defined
    /// after it began: values before it do not change inside the loop.
    block: usize,
    first_value: usize,
    /// Set by a `break` of this loop.
    broken: Option<ValueId>,
    /// Set by a `continue` of this loop; cleared at the start of each trip.
    continued: Option<ValueId>,
    /// Flags of enclosing loops that labeled exits inside this body set:
    /// the rest of this loop stops on them too.
    outer: Vec<ValueId>,
    /// A `loop` used as a value: the variable its `break x` assign, and
    /// whether a `break` has given it its type yet.
    value: Option<(ValueId, bool)>,
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
    /// The lengths of each dimension of local arrays and fixed-size array
    /// parameters, as source (to copy them).
    array_lens: HashMap<ValueId, Vec<TokenStream>>,
    /// Local arrays declared `let mut`: others are never written.
    mut_arrays: HashSet<ValueId>,
    /// The values of integer and `bool` parameters (constants that keep
    /// their names in the generated code).
    const_params: HashSet<ValueId>,
    /// Values that are mutable variables (copies must snapshot them).
    mutable: HashSet<ValueId>,
    /// Constants of unknown type (`self.n`): integers where one is expected.
    opaque: HashSet<ValueId>,
    /// Float values of type `f32` inside an `f64` function (`x as f32` and
    /// what is computed from it): held as `f64`s that are exactly `f32`s
    /// (`precision.rs`).
    narrow: HashSet<ValueId>,
    /// Values that stand for code with an error: their uses raise no more
    /// errors (one root error per problem).
    poisoned: HashSet<ValueId>,
    loops: Vec<LoopCx>,
    /// How deep in loops and branches the current block is.
    depth: usize,
    /// Structured code: the result variable and the `returned` flag.
    ret_var: Option<ValueId>,
    returned: Option<ValueId>,
    /// Straight-line code: set once a `return` was lowered.
    early: Option<ValueId>,
    /// Straight-line code: set when the body needs the structured form.
    restart: bool,
}

/// How a parameter is named in the IR, docs and messages: a struct field
/// by its path (`p.w`), others by their name.
fn display_name(sig: &Sig, p: &crate::ast::Param) -> String {
    match p.role {
        crate::ast::Role::Field(i) => sig.fields[i].label.clone(),
        _ => ident_name(&p.ident),
    }
}

/// Lowers the body of a validated function, in the form it needs
/// (straight-line SSA, or a structured body for branches, loops, arrays).
pub fn lower(cx: &Ctxt, sig: &Sig) -> Func {
    lower_keeping(cx, sig, None).0
}

/// [`lower`] for a function whose local `outputs` holds its outputs at the
/// end of its body (`vector.rs`'s scalar function for `f_jvp`): the
/// function, and the value that local is bound to there, resolved as the
/// body's own reads of it are.
pub fn lower_outputs(cx: &Ctxt, sig: &Sig, outputs: &syn::Ident) -> (Func, Option<ValueId>) {
    lower_keeping(cx, sig, Some(&ident_name(outputs)))
}

fn lower_keeping(cx: &Ctxt, sig: &Sig, keep: Option<&str>) -> (Func, Option<ValueId>) {
    if scan::needs_structure(sig) {
        let (func, _, kept) = lower_as(cx, sig, Form::Structured, keep);
        return (func, kept);
    }
    // Straight-line code that turns a float into an integer (`x as i32`)
    // needs the structured form after all: lower it again, and report the
    // errors of the run that counts only.
    let straight = Ctxt::default();
    let (func, restart, kept) = lower_as(&straight, sig, Form::Straight, keep);
    let straight = straight.check();
    if restart {
        // The structured run reports the body's errors; these are dropped.
        let (func, _, kept) = lower_as(cx, sig, Form::Structured, keep);
        return (func, kept);
    }
    if let Err(errors) = straight {
        cx.syn_error(errors);
    }
    (func, kept)
}

/// Lowers the body in the given form; `true` when straight-line lowering
/// met code that needs the structured form; the value of the local `keep`
/// at the end of the body.
fn lower_as(cx: &Ctxt, sig: &Sig, form: Form, keep: Option<&str>) -> (Func, bool, Option<ValueId>) {
    let params = sig
        .params
        .iter()
        .map(|p| Param {
            name: display_name(sig, p),
            ty: p.ty,
            wrt: p.wrt,
        })
        .collect();
    let mut l = Lower {
        cx,
        func: Func::new(sig.float, params),
        scopes: vec![HashMap::new()],
        form,
        blocks: vec![Vec::new()],
        ranks: HashMap::new(),
        array_lens: HashMap::new(),
        mut_arrays: HashSet::new(),
        const_params: HashSet::new(),
        mutable: HashSet::new(),
        opaque: HashSet::new(),
        narrow: HashSet::new(),
        poisoned: HashSet::new(),
        loops: Vec::new(),
        depth: 0,
        ret_var: None,
        returned: None,
        early: None,
        restart: false,
    };
    // Input: `fn f(x: f64, v: &[f64], n: usize)`
    // Output: `%0 = param 0 x`, `%1 = array param 1 v`, `%2 = passive int `n``
    for (i, p) in sig.params.iter().enumerate() {
        // A struct parameter is read through its fields (hidden parameters
        // of their own, or constants' tokens): no value, which would move it.
        if let crate::ast::Role::Struct { .. } = p.role {
            continue;
        }
        let span = p.ident.span();
        let v = match p.ty {
            Ty::Float => l.def(Inst::Param(i), span),
            Ty::Array => {
                let v = l.def(Inst::ArrayParam(i), span);
                let rank = p.array.as_ref().map_or(1, |a| a.rank);
                l.ranks.insert(v, rank);
                if let Some(lens) = array_expr::fixed_lens(p.syn_ty) {
                    l.array_lens.insert(v, lens);
                }
                v
            }
            ty => {
                let v = l.passive(vec![Piece::Tokens(p.ident.to_token_stream())], ty, span);
                l.const_params.insert(v);
                v
            }
        };
        l.func.names[v.index()] = Some(display_name(sig, p));
        l.bind_value(&ident_name(&p.ident), v, false);
    }
    let block = &sig.item.block;
    let span = block.span();
    let kept_value;
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
            let (tail, kept) = l.fn_block(&block.stmts, keep);
            kept_value = kept;
            if let Some(v) = tail {
                let v = l.float_result(v, block);
                // A tail that may itself `return` (`if c { return a } else { b }`)
                // is the result only if it did not.
                match l.still_running(span) {
                    Some(cond) => {
                        let then = l.in_block(|l| l.assign(ret, v));
                        l.emit(Stmt::If {
                            cond,
                            then,
                            els: Vec::new(),
                        });
                    }
                    None => l.assign(ret, v),
                }
            }
            l.func.outputs = vec![ret];
            l.func.body = l.blocks.pop().expect("the function's block");
            l.check_merged_types();
            if l.func.body.is_empty() {
                // Never empty: the structured form is told apart by a non-empty body.
                l.func.body.push(Stmt::Def(ret));
            }
        }
        Form::Straight => {
            let (tail, kept) = l.fn_block(&block.stmts, keep);
            kept_value = kept;
            let ret = match (tail, l.early) {
                (Some(v), _) | (None, Some(v)) => v,
                (None, None) => l.missing_value(block),
            };
            let ret = l.float_result(ret, block);
            let ret = l.wide(ret, block.span());
            l.func.outputs = vec![ret];
        }
    }
    (l.func, l.restart, kept_value)
}

impl Lower<'_> {
    fn emit(&mut self, stmt: Stmt) {
        self.blocks.last_mut().expect("a block is open").push(stmt);
    }

    /// Defines a value by an instruction, at this point of the body.
    fn def(&mut self, inst: Inst, span: Span) -> ValueId {
        // A copy of a constant read where it is used (`T[0]`, `self.w`)
        // copies it defined here.
        let inst = match inst {
            Inst::Copy(s) if self.opaque.contains(&s) => Inst::Copy(self.operand(s)),
            other => other,
        };
        // A copy of an `f32` value is one.
        let narrow = matches!(inst, Inst::Copy(s) if self.narrow.contains(&s));
        let v = self.func.push(inst, span);
        if narrow {
            self.narrow.insert(v);
        }
        if self.form == Form::Structured {
            self.emit(Stmt::Def(v));
        }
        v
    }

    /// Lowers the function's block: its tail value, and the value the local
    /// `keep` is bound to at its end (a whole array).
    fn fn_block(
        &mut self,
        stmts: &[syn::Stmt],
        keep: Option<&str>,
    ) -> (Option<ValueId>, Option<ValueId>) {
        self.scopes.push(HashMap::new());
        let tail = self.stmts(stmts, true);
        let kept = keep.and_then(|name| match self.lookup(name)? {
            Binding::Value { value, .. } => Some(value),
            Binding::View(v) if v.prefix.is_empty() && v.range.is_none() => Some(v.arr),
            _ => None,
        });
        self.scopes.pop();
        (tail, kept)
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
        self.poison(span)
    }

    /// A placeholder for code whose error was reported (or that has type
    /// `!`): its uses raise no further errors.
    fn poison(&mut self, span: Span) -> ValueId {
        // Defined where it stands (a `0.0` no one reads): after a `return`,
        // `break` or `continue` in an operand (`a + return b`), valid Rust,
        // the code that would read it is dead but must still see a
        // definition.
        let v = self.def(crate::ir::lit_inst(0.0), span);
        self.poisoned.insert(v);
        v
    }

    /// Whether any of `values` stands for code with an error.
    fn poisoned(&self, values: &[ValueId]) -> bool {
        values.iter().any(|v| self.poisoned.contains(v))
    }

    /// Binds every name of a pattern to a placeholder that raises no errors.
    fn bind_poisoned(&mut self, pat: &syn::Pat) {
        use syn::Pat;
        match pat {
            Pat::Ident(p) => {
                let v = self.poison(p.ident.span());
                self.bind_value(&ident_name(&p.ident), v, p.mutability.is_some());
                if let Some((_, sub)) = &p.subpat {
                    self.bind_poisoned(sub);
                }
            }
            Pat::Tuple(t) => t.elems.iter().for_each(|p| self.bind_poisoned(p)),
            Pat::TupleStruct(t) => t.elems.iter().for_each(|p| self.bind_poisoned(p)),
            Pat::Slice(t) => t.elems.iter().for_each(|p| self.bind_poisoned(p)),
            Pat::Or(o) => o.cases.iter().for_each(|p| self.bind_poisoned(p)),
            Pat::Reference(r) => self.bind_poisoned(&r.pat),
            Pat::Paren(p) => self.bind_poisoned(&p.pat),
            Pat::Type(t) => self.bind_poisoned(&t.pat),
            Pat::Struct(s) => s.fields.iter().for_each(|f| self.bind_poisoned(&f.pat)),
            Pat::Guard(g) => self.bind_poisoned(&g.pat),
            _ => {}
        }
    }

    fn op(&mut self, op: Op, args: Vec<ValueId>, span: Span) -> ValueId {
        let args: Vec<ValueId> = args.into_iter().map(|a| self.operand(a)).collect();
        if args.iter().any(|a| self.narrow.contains(a)) {
            return self.narrow_op(op, args, span);
        }
        self.def(Inst::Op { op, args }, span)
    }

    fn lit(&mut self, value: f64, span: Span) -> ValueId {
        self.def(crate::ir::lit_inst(value), span)
    }

    /// `dst = src` on a mutable variable (structured code).
    fn assign(&mut self, dst: ValueId, src: ValueId) {
        let src = self.operand(src);
        let src = self.same_precision(dst, src);
        self.emit(Stmt::Assign { dst, src });
    }

    /// A variable that branches give values of different types (`if c { 1 }
    /// else { x }`, which rustc rejects too) is an error on the value that
    /// does not fit, rather than IR that does not type-check.
    fn check_merged_types(&mut self) {
        let mut bad = Vec::new();
        crate::analysis::walk(&self.func.body, &mut |s| {
            if let Stmt::Assign { dst, src } = s {
                let (want, got) = (self.func.ty(*dst), self.func.ty(*src));
                let scalar = |t: Ty| matches!(t, Ty::Float | Ty::Int | Ty::Bool);
                if want != got && scalar(want) && scalar(got) && !self.poisoned(&[*src]) {
                    bad.push((*src, want, got));
                }
            }
        });
        let name = |t: Ty| match t {
            Ty::Float => "a float",
            Ty::Int => "an integer",
            _ => "a `bool`",
        };
        for (src, want, got) in bad {
            let msg = format!(
                "expected {} here, found {}: every branch must give a value of the same type",
                name(want),
                name(got)
            );
            self.cx.syn_error(syn::Error::new(self.func.span(src), msg));
        }
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
    /// nothing returned, and no `break` or `continue` left the innermost
    /// loop (or, by label, a loop around it).
    fn still_running(&mut self, span: Span) -> Option<ValueId> {
        self.running(span, true)
    }

    /// The condition under which the innermost loop runs another trip: as
    /// `still_running`, but a `continue` of this loop does not stop it.
    fn loop_running(&mut self, span: Span) -> Option<ValueId> {
        self.running(span, false)
    }

    fn running(&mut self, span: Span, continues: bool) -> Option<ValueId> {
        let mut flags: Vec<ValueId> = Vec::new();
        if let Some(r) = self.returned {
            flags.push(r);
        }
        if let Some(l) = self.loops.last() {
            flags.extend(l.broken);
            if continues {
                flags.extend(l.continued);
            }
            flags.extend(l.outer.iter().copied());
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
