//! Struct parameters: `p: &Params`, `p: Params`, and `self` under
//! `#[grad(wrt(self))]`.
//!
//! The fields of a struct parameter that `wrt(..)` leaves out are rewritten
//! the same way, as constants.
//!
//! The macro never sees the struct's definition, so it works from the body:
//! every field path the body reads (`p.w`, `p.layer.b`) becomes a hidden
//! parameter of its own (bound at the top of each generated function as
//! `let __ad_f0_p_w = &p.w;`), and the body is rewritten to read that name.
//! The rest of the pipeline then sees only floats, arrays and integers. What
//! each field is comes from how the body uses it:
//!
//! - indexed (`p.w[j][i]`, through `let row = p.w[j];` and `for row in
//!   p.w.iter()` too), iterated, borrowed (`&p.w`) or asked for `.len()`:
//!   an array (or `Vec`) whose rank is the deepest indexing seen;
//! - a range bound, an index (or a term of its arithmetic), the operand of
//!   `as`, or beside an integer literal (`p.k > 2`): an integer constant;
//! - passed by reference to a call and used no other way: a whole value
//!   (`layer(&p.l1, x)`: a struct, array or `Vec`);
//! - anything else: a float.
//!
//! rustc checks every guess (a float field is bound with its type written
//! out, an element is loaded as a float, an integer field is passed to
//! `__private::not_float`), so a wrong guess is a type error, never a wrong
//! derivative. The gradient of a struct parameter is a value of the same
//! struct made by `Differentiable::zero_like`, whose fields the sweep writes.

use crate::args::Args;
use crate::ctxt::Ctxt;
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use std::collections::HashMap;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{Expr, FnArg, Ident, ItemFn, Member, Pat, Type};

/// What a field is, as the body uses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Float,
    /// An array or `Vec` of floats of this rank.
    Array(usize),
    Int,
    /// Only ever passed by reference to a call (`layer(&p.l1, x)`): any
    /// `Differentiable` value (a nested struct, an array, a `Vec`), whose
    /// gradient the callee returns whole.
    Whole,
}

/// One field path the body reads.
pub struct Field {
    /// The struct parameter's index among the function's typed parameters,
    /// or `None` for `self`.
    pub root: Option<usize>,
    /// `p` or `self`.
    pub root_ident: Ident,
    /// `.w.b` after the root.
    pub members: Vec<Member>,
    /// The hidden parameter's name.
    pub ident: Ident,
    /// `p.w.b`, for docs, messages and the circuit view.
    pub label: String,
    pub kind: Kind,
    /// The span of its first use.
    pub span: Span,
    /// Whether its struct is differentiated (else it is a constant).
    pub grad: bool,
}

impl Field {
    /// Whether this field is passed whole and `other` (a different field)
    /// lies inside it (`p.l1` and `p.l1.b`, `p` and `p.w`): its gradient
    /// cannot be written in place, beside `other`'s.
    pub fn contains(&self, other: &Field) -> bool {
        self.kind == Kind::Whole
            && crate::syntax::ident_name(&other.root_ident)
                == crate::syntax::ident_name(&self.root_ident)
            && other.members.len() > self.members.len()
            && other.members[..self.members.len()] == self.members[..]
    }

    /// `p.w.b` as tokens at the field's first use; the struct itself, `*p`
    /// behind a reference (`by_ref`), when it is passed whole.
    pub fn place(&self, by_ref: bool) -> TokenStream {
        let root = &self.root_ident;
        let members = &self.members;
        if members.is_empty() && by_ref {
            return quote::quote_spanned!(self.span=> (*#root));
        }
        quote::quote_spanned!(self.span=> #root #(.#members)*)
    }

    /// `.w.b`: the same place inside another value of the struct.
    pub fn path(&self) -> TokenStream {
        let members = &self.members;
        quote!(#(.#members)*)
    }
}

/// The function with its struct fields replaced by hidden parameters.
pub struct Rewritten {
    pub item: ItemFn,
    pub fields: Vec<Field>,
}

/// Types that are never struct parameters (they keep the error for an
/// unsupported parameter type).
const NOT_STRUCTS: &[&str] = &[
    "String", "str", "Option", "Result", "Box", "Rc", "Arc", "Cell", "RefCell", "HashMap",
    "BTreeMap", "HashSet", "BTreeSet", "VecDeque", "Vec", "Self",
];

/// The struct a parameter of type `ty` is, if it is one: a path type that
/// is not a float, integer, `bool`, `Vec` or other standard container, by
/// value or behind `&`.
pub fn struct_type(ty: &Type) -> Option<&syn::TypePath> {
    match ty {
        Type::Reference(r) if r.mutability.is_none() => match &*r.elem {
            Type::Path(p) => struct_type_path(p),
            _ => None,
        },
        Type::Path(p) => struct_type_path(p),
        Type::Paren(p) => struct_type(&p.elem),
        Type::Group(g) => struct_type(&g.elem),
        _ => None,
    }
}

fn struct_type_path(p: &syn::TypePath) -> Option<&syn::TypePath> {
    let last = p.path.segments.last()?;
    let name = last.ident.to_string();
    let builtin = crate::syntax::float_type(&Type::Path(p.clone())).is_some()
        || crate::syntax::is_int_type(&Type::Path(p.clone()))
        || crate::syntax::is_bool_type(&Type::Path(p.clone()));
    let generic = matches!(&last.arguments, syn::PathArguments::AngleBracketed(a)
        if a.args.iter().any(|g| !matches!(g, syn::GenericArgument::Lifetime(_))));
    (p.qself.is_none() && !builtin && !generic && !NOT_STRUCTS.contains(&name.as_str()))
        .then_some(p)
}

/// Whether `self` is listed in `wrt(..)`.
pub fn wrt_self(args: &Args) -> bool {
    args.wrt
        .as_ref()
        .is_some_and(|names| names.iter().any(|n| n == "self"))
}

/// The struct parameters of `item` whose fields are rewritten: `(index
/// among the typed parameters or None for self, name, differentiated)`.
/// Every struct parameter, and `self` under `wrt(self)`.
fn roots(item: &ItemFn, args: &Args) -> Vec<(Option<usize>, Ident, bool)> {
    let mut roots = Vec::new();
    let mut typed = 0;
    for arg in &item.sig.inputs {
        match arg {
            FnArg::Receiver(r) => {
                if wrt_self(args) {
                    roots.push((None, Ident::new("self", r.self_token.span), true));
                }
            }
            FnArg::Typed(pt) => {
                if let (Some(_), Pat::Ident(p)) = (struct_type(&pt.ty), &*pt.pat) {
                    let listed = args.wrt.as_ref().is_none_or(|names| {
                        names.iter().any(|n| {
                            crate::syntax::ident_name(n) == crate::syntax::ident_name(&p.ident)
                        })
                    });
                    roots.push((Some(typed), p.ident.clone(), listed));
                }
                typed += 1;
            }
        }
    }
    roots
}

/// Rewrites the body of `item` when it has differentiated struct
/// parameters; `None` when it has none.
pub fn rewrite(cx: &Ctxt, item: &ItemFn, args: &Args) -> Option<Rewritten> {
    let roots = roots(item, args);
    if roots.is_empty() {
        return None;
    }
    let mut item = item.clone();
    let mut r = Rewriter {
        cx,
        roots,
        fields: Vec::new(),
        index: HashMap::new(),
        aliases: HashMap::new(),
        ranks: Vec::new(),
        ints: Vec::new(),
        wholes: Vec::new(),
        shadowed: Vec::new(),
    };
    r.shadowed = r.check_shadowing(&item.block);
    r.visit_block_mut(&mut item.block);
    let fields = r
        .fields
        .into_iter()
        .enumerate()
        .map(|(i, mut f)| {
            f.kind = if r.ranks[i] > 0 {
                Kind::Array(r.ranks[i])
            } else if r.wholes[i] {
                Kind::Whole
            } else if r.ints[i] {
                Kind::Int
            } else {
                Kind::Float
            };
            f
        })
        .collect();
    Some(Rewritten { item, fields })
}

struct Rewriter<'c> {
    cx: &'c Ctxt,
    roots: Vec<(Option<usize>, Ident, bool)>,
    fields: Vec<Field>,
    /// Field label → index in `fields`.
    index: HashMap<String, usize>,
    /// A local bound to a field or one of its rows: `row` → (field, depth).
    aliases: HashMap<String, (usize, usize)>,
    /// The deepest indexing of each field seen so far (0: none).
    ranks: Vec<usize>,
    /// Whether each field was used where an integer is expected.
    ints: Vec<bool>,
    /// Whether each field was passed by reference to a call.
    wholes: Vec<bool>,
    /// Struct parameters shadowed by a binding in the body (reported).
    shadowed: Vec<String>,
}

const ARRAY_METHODS: &[&str] = &[
    "len",
    "is_empty",
    "iter",
    "into_iter",
    "first",
    "last",
    "windows",
    "chunks",
];

impl Rewriter<'_> {
    fn root_of(&self, e: &Expr) -> Option<usize> {
        let Expr::Path(p) = e else { return None };
        if p.qself.is_some() {
            return None;
        }
        let id = p.path.get_ident()?;
        let name = crate::syntax::ident_name(id);
        self.roots
            .iter()
            .position(|(_, r, _)| crate::syntax::ident_name(r) == name)
    }

    /// `p.a.b` rooted at a struct parameter: (root, members).
    fn chain(&self, e: &Expr) -> Option<(usize, Vec<Member>)> {
        let mut members = Vec::new();
        let mut e = e;
        while let Expr::Field(f) = e {
            members.push(f.member.clone());
            e = &f.base;
        }
        if members.is_empty() {
            return None;
        }
        members.reverse();
        Some((self.root_of(e)?, members))
    }

    /// The field for `p.a.b`, created at its first use.
    fn field(&mut self, root: usize, members: Vec<Member>, span: Span) -> usize {
        let (root_index, root_ident, grad) = self.roots[root].clone();
        let label = format!(
            "{}{}",
            crate::syntax::ident_name(&root_ident),
            members
                .iter()
                .map(|m| match m {
                    Member::Named(n) => format!(".{}", crate::syntax::ident_name(n)),
                    Member::Unnamed(i) => format!(".{}", i.index),
                })
                .collect::<String>()
        );
        if let Some(&i) = self.index.get(&label) {
            return i;
        }
        let i = self.fields.len();
        let ident = format_ident!(
            "__ad_f{}_{}",
            i,
            label.replace('.', "_"),
            span = Span::mixed_site()
        );
        self.fields.push(Field {
            root: root_index,
            root_ident: Ident::new(&root_ident.to_string(), span),
            members,
            ident,
            label: label.clone(),
            kind: Kind::Float,
            span,
            grad,
        });
        self.ranks.push(0);
        self.ints.push(false);
        self.wholes.push(false);
        self.index.insert(label, i);
        i
    }

    /// The field (and the depth already indexed) that `e` reads: a field
    /// path, or a local bound to one of its rows, behind `&` and indexing.
    fn source(&mut self, e: &Expr) -> Option<(usize, usize)> {
        let mut depth = 0;
        let mut e = e;
        loop {
            match e {
                Expr::Index(ix) => {
                    depth += 1;
                    e = &ix.expr;
                }
                Expr::Reference(r) => e = &r.expr,
                Expr::Paren(p) => e = &p.expr,
                Expr::MethodCall(m) if m.method == "iter" && m.args.is_empty() => e = &m.receiver,
                _ => break,
            }
        }
        if let Some((root, members)) = self.chain(e) {
            let f = self.field(root, members, e.span());
            return Some((f, depth));
        }
        if let Expr::Path(p) = e
            && let Some(id) = p.path.get_ident()
            && let Some(&(f, d)) = self.aliases.get(&crate::syntax::ident_name(id))
        {
            return Some((f, d + depth));
        }
        None
    }

    fn at_least(&mut self, field: usize, rank: usize) {
        self.ranks[field] = self.ranks[field].max(rank);
    }

    /// Notes an integer use of `e` if it is a field path.
    fn int_use(&mut self, e: &Expr) {
        let e = strip(e);
        if let Some((root, members)) = self.chain(e) {
            let f = self.field(root, members, e.span());
            self.ints[f] = true;
        }
    }

    /// Notes integer uses in an index expression: every operand of its
    /// arithmetic (`x[p.k - 1]`, `x[(p.k + i) % n]`).
    fn index_uses(&mut self, e: &Expr) {
        match strip(e) {
            Expr::Binary(b) => {
                self.index_uses(&b.left);
                self.index_uses(&b.right);
            }
            e => self.int_use(e),
        }
    }

    /// A name bound by `let NAME = init;` or `for NAME in init`.
    fn bind(&mut self, pat: &Pat, init: &Expr, extra: usize) {
        // `for (i, row) in p.w.iter().enumerate()`: `row` is the element.
        if let (Pat::Tuple(t), Expr::MethodCall(m)) = (strip_pat(pat), strip(init))
            && m.method == "enumerate"
            && t.elems.len() == 2
        {
            return self.bind(&t.elems[1], &m.receiver, extra);
        }
        let Pat::Ident(p) = strip_pat(pat) else {
            return;
        };
        let name = crate::syntax::ident_name(&p.ident);
        match self.source(init) {
            Some((f, d)) => {
                self.aliases.insert(name, (f, d + extra));
                if extra > 0 {
                    self.at_least(f, d + extra);
                }
            }
            None => {
                self.aliases.remove(&name);
            }
        }
    }

    /// An error for every binding that shadows a struct parameter; the
    /// names shadowed.
    fn check_shadowing(&self, block: &syn::Block) -> Vec<String> {
        struct Shadows<'a, 'c>(&'a Rewriter<'c>, Vec<String>);
        impl<'ast> Visit<'ast> for Shadows<'_, '_> {
            fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
                let name = crate::syntax::ident_name(&p.ident);
                if self
                    .0
                    .roots
                    .iter()
                    .any(|(_, r, _)| crate::syntax::ident_name(r) == name)
                {
                    self.0.cx.error_spanned_by(
                        &p.ident,
                        format!("`{name}` shadows the struct parameter `{name}`, whose fields #[grad] differentiates; use another name"),
                    );
                    self.1.push(name);
                }
                syn::visit::visit_pat_ident(self, p);
            }
        }
        let mut shadows = Shadows(self, Vec::new());
        shadows.visit_block(block);
        shadows.1
    }
}

fn strip(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => strip(&p.expr),
        Expr::Group(g) => strip(&g.expr),
        _ => e,
    }
}

fn strip_pat(p: &Pat) -> &Pat {
    match p {
        Pat::Reference(r) => strip_pat(&r.pat),
        Pat::Type(t) => strip_pat(&t.pat),
        _ => p,
    }
}

/// Whether `e` writes through its place: the left side of `=` or `op=`.
fn assigned_place(e: &Expr) -> Option<&Expr> {
    match e {
        Expr::Assign(a) => Some(&a.left),
        Expr::Binary(b)
            if matches!(
                b.op,
                syn::BinOp::AddAssign(_)
                    | syn::BinOp::SubAssign(_)
                    | syn::BinOp::MulAssign(_)
                    | syn::BinOp::DivAssign(_)
                    | syn::BinOp::RemAssign(_)
            ) =>
        {
            Some(&b.left)
        }
        Expr::Reference(r) if r.mutability.is_some() => Some(&r.expr),
        _ => None,
    }
}

impl VisitMut for Rewriter<'_> {
    fn visit_local_mut(&mut self, local: &mut syn::Local) {
        if let Some(init) = &local.init {
            let init = init.expr.clone();
            self.bind(&local.pat, &init, 0);
        }
        syn::visit_mut::visit_local_mut(self, local);
    }

    fn visit_expr_mut(&mut self, e: &mut Expr) {
        // Writes to a field: refused (the parameter is read-only here).
        if let Some(place) = assigned_place(e) {
            let mut base = place;
            while let Expr::Index(ix) = base {
                base = &ix.expr;
            }
            if let Some((root, _)) = self.chain(strip(base)) {
                let name = self.roots[root].1.to_string();
                self.cx.error_spanned_by(
                    place,
                    format!("#[grad] does not write to the fields of the struct parameter `{name}`; copy the field into a local `let mut` first"),
                );
                // Reported once: the rest of the pipeline sees no write.
                *e = syn::parse_quote!({});
                return;
            }
        }
        match e {
            // `g(&p.l1, x)`, `Self::g(&p.w)`: a field passed whole.
            Expr::Call(c) => {
                for arg in c.args.iter_mut() {
                    self.whole_arg(arg);
                }
            }
            Expr::MethodCall(m) if self.root_of(strip(&m.receiver)).is_none() => {
                for arg in m.args.iter_mut() {
                    self.whole_arg(arg);
                }
            }
            _ => {}
        }
        match e {
            Expr::Index(ix) => {
                // `p.w[j][i]`, `row[i]`: the field is at least that deep.
                let whole = Expr::Index(ix.clone());
                if let Some((f, d)) = self.source(&whole) {
                    self.at_least(f, d);
                }
                self.index_uses(&ix.index);
            }
            Expr::MethodCall(m) => {
                if self.root_of(strip(&m.receiver)).is_some() {
                    self.whole_use(&m.receiver);
                    *e = placeholder(e);
                    return;
                }
                if ARRAY_METHODS.contains(&m.method.to_string().as_str())
                    && let Some((f, d)) = self.source(&m.receiver)
                {
                    self.at_least(f, d + 1);
                }
            }
            Expr::Reference(r) => {
                if let Some((f, d)) = self.source(&r.expr) {
                    // `&p.w`, `&p.w[j]`: an array at that depth.
                    if matches!(strip(&r.expr), Expr::Field(_) | Expr::Index(_)) {
                        self.at_least(f, d + 1);
                    }
                }
            }
            Expr::ForLoop(l) => {
                if let Some((f, d)) = self.source(&l.expr) {
                    self.at_least(f, d + 1);
                }
                let (pat, iter) = (l.pat.clone(), l.expr.clone());
                self.bind(&pat, &iter, 1);
            }
            Expr::Range(r) => {
                for end in [&r.start, &r.end].into_iter().flatten() {
                    self.int_use(end);
                }
            }
            Expr::Cast(c) => self.int_use(&c.expr),
            // `p.k > 2`, `p.k % 4`, `p.k - 1`: a float is never beside an
            // integer literal.
            Expr::Binary(b) => {
                let int_lit = |e: &Expr| matches!(strip(e), Expr::Lit(l) if matches!(l.lit, syn::Lit::Int(_)));
                if int_lit(&b.right) {
                    self.int_use(&b.left);
                }
                if int_lit(&b.left) {
                    self.int_use(&b.right);
                }
            }
            Expr::Path(_) if self.root_of(e).is_some() => {
                self.whole_use(e);
                *e = placeholder(e);
                return;
            }
            _ => {}
        }
        if let Expr::Field(_) = e
            && let Some((root, members)) = self.chain(e)
        {
            let span = match e {
                Expr::Field(f) => f.member.span(),
                _ => e.span(),
            };
            let f = self.field(root, members, span);
            let ident = &self.fields[f].ident;
            let ident = Ident::new(&ident.to_string(), span);
            *e = syn::parse_quote_spanned!(span=> #ident);
            return;
        }
        syn::visit_mut::visit_expr_mut(self, e);
    }
}

/// A float literal in place of an expression already reported, so that no
/// later stage reports it again.
fn placeholder(e: &Expr) -> Expr {
    let span = e.span();
    syn::parse_quote_spanned!(span=> 0.0)
}

impl Rewriter<'_> {
    /// `&p.l1` as a call's argument: the field is passed whole; rewritten
    /// here, so that `&` is not taken for an array's borrow.
    fn whole_arg(&mut self, arg: &mut Expr) {
        // `helper(p)`, `helper(&p)`: the struct parameter itself, whole.
        let root_arg = match strip(arg) {
            Expr::Reference(r) if r.mutability.is_none() => self.root_of(strip(&r.expr)),
            e => self.root_of(e),
        };
        if let Some(root) = root_arg {
            let span = arg.span();
            let f = self.field(root, Vec::new(), span);
            self.wholes[f] = true;
            let ident = Ident::new(&self.fields[f].ident.to_string(), span);
            *arg = syn::parse_quote_spanned!(span=> &#ident);
            return;
        }
        let Expr::Reference(r) = arg else { return };
        if r.mutability.is_some() {
            return;
        }
        let inner = strip(&r.expr).clone();
        let Some((root, members)) = self.chain(&inner) else {
            return;
        };
        let span = match &inner {
            Expr::Field(f) => f.member.span(),
            _ => inner.span(),
        };
        let f = self.field(root, members, span);
        self.wholes[f] = true;
        let ident = Ident::new(&self.fields[f].ident.to_string(), span);
        *r.expr = syn::parse_quote_spanned!(span=> #ident);
    }
}

impl Rewriter<'_> {
    fn whole_use(&self, e: &Expr) {
        let name = e.to_token_stream().to_string();
        if self.shadowed.contains(&name) {
            // Reported as shadowing: this `p` is the new binding.
            return;
        }
        self.cx.error_spanned_by(
            e,
            format!("#[grad] differentiates the fields that the body reads (`{name}.field`), not the struct parameter `{name}` as a whole, except as an argument of a call; read its fields here, or pass it (or a field) to a `#[grad]` function"),
        );
    }
}

/// An error on the first struct parameter of `item`, for the forms that do
/// not take them (`what` says which).
pub fn refuse(item: &ItemFn, what: &str) -> Option<syn::Error> {
    item.sig.inputs.iter().find_map(|arg| match arg {
        FnArg::Typed(pt) if struct_type(&pt.ty).is_some() => Some(syn::Error::new_spanned(
            &pt.ty,
            format!("#[grad] does not support struct parameters in {what} yet; pass the fields it needs as float and array parameters"),
        )),
        _ => None,
    })
}
