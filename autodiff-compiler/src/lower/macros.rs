//! Assertion and formatting macros in statement position: `assert!`,
//! `assert_eq!`, `assert_ne!`, their `debug_` forms, `println!`,
//! `eprintln!`, `print!` and `eprint!`. They read values and change none,
//! so they are kept in the forward sweep as they are written (one
//! [`Stmt::Effect`], with every value they read, names captured by the
//! format string included, passed by the name it has in the generated code)
//! and the reverse sweep leaves them out: `f_grad` checks the same
//! assertions and prints the same lines as `f`, once per run of the
//! forward code.

use super::Lower;
use crate::ir::{Piece, Stmt, Ty, ValueId};
use crate::syntax::ident_name;
use quote::{ToTokens, quote};
use syn::punctuated::Punctuated;
use syn::{Expr, Token};

/// The macros `#[grad]` keeps, and how many of their arguments come before
/// the format string (the condition, or the two operands compared).
const MACROS: &[(&str, usize)] = &[
    ("assert", 1),
    ("debug_assert", 1),
    ("assert_eq", 2),
    ("assert_ne", 2),
    ("debug_assert_eq", 2),
    ("debug_assert_ne", 2),
    ("println", 0),
    ("eprintln", 0),
    ("print", 0),
    ("eprint", 0),
];

impl Lower<'_> {
    // Input: `assert!(x > 0.0, "x = {x}");`, `println!("{} {s:.3}", i);`
    // Output: `effect `assert!((v3), "x = {x}", x = v1)``
    pub(super) fn macro_stmt(&mut self, mac: &syn::Macro) {
        let name = mac.path.segments.last().map(|s| ident_name(&s.ident));
        let leading = MACROS
            .iter()
            .find(|(m, _)| Some(*m) == name.as_deref())
            .map(|(_, n)| *n);
        let Some(leading) = leading.filter(|_| mac.path.segments.len() <= 2) else {
            self.cx.error_spanned_by(
                &mac.path,
                "#[grad] keeps `assert!`, `assert_eq!`, `assert_ne!` (and their `debug_` forms), `println!`, `eprintln!`, `print!` and `eprint!`; write other macros out as code",
            );
            return;
        };
        let args = match mac.parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated) {
            Ok(args) => args,
            Err(e) => {
                self.cx.syn_error(e);
                return;
            }
        };
        if args.len() < leading {
            self.cx
                .error_spanned_by(mac, "this macro needs more arguments");
            return;
        }
        let mut inner: Vec<Piece> = Vec::new();
        let comma = |inner: &mut Vec<Piece>| {
            if !inner.is_empty() {
                inner.push(Piece::Tokens(quote!(,)));
            }
        };
        let mut ok = true;
        let mut named: Vec<String> = Vec::new();
        let mut captured: Vec<(String, proc_macro2::Span)> = Vec::new();
        for (k, arg) in args.iter().enumerate() {
            comma(&mut inner);
            // The condition of `assert!`, the operands of `assert_eq!`.
            if k < leading {
                let v = if leading == 1 {
                    self.cond(arg)
                } else {
                    self.shown(arg)
                };
                ok &= !self.poisoned(&[v]);
                inner.extend(self.shown_pieces(v));
                continue;
            }
            // The format string: kept, with the names it captures.
            if k == leading {
                match arg {
                    Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => {
                        for name in captures(&s.value()) {
                            captured.push((name, s.span()));
                        }
                        inner.push(Piece::Tokens(arg.to_token_stream()));
                    }
                    other => {
                        self.cx.error_spanned_by(
                            other,
                            "#[grad] needs the format string written as a literal here",
                        );
                        ok = false;
                    }
                }
                continue;
            }
            // `name = value` or a value.
            let (label, value) = match arg {
                Expr::Assign(a) => match &*a.left {
                    Expr::Path(p) if p.path.get_ident().is_some() => {
                        let id = p.path.get_ident().expect("checked");
                        named.push(ident_name(id));
                        (Some(id.to_token_stream()), &*a.right)
                    }
                    other => {
                        self.cx
                            .error_spanned_by(other, "expected a name for this argument");
                        ok = false;
                        continue;
                    }
                },
                e => (None, e),
            };
            let v = self.shown(value);
            ok &= !self.poisoned(&[v]);
            if let Some(label) = label {
                inner.push(Piece::Tokens(quote!(#label =)));
            }
            inner.extend(self.shown_pieces(v));
        }
        // `{x}` in the format string reads `x`: pass it by name.
        for (name, span) in captured {
            if named.contains(&name) {
                continue;
            }
            named.push(name.clone());
            let id = crate::syntax::name_ident(&name, span);
            let v = match self.lookup(&name) {
                Some(super::Binding::Value { value, .. }) => value,
                // Not a local: a constant from outside, captured as written.
                None => {
                    comma(&mut inner);
                    inner.push(Piece::Tokens(quote!(#id = #id)));
                    continue;
                }
                Some(_) => {
                    self.cx.error_spanned_by(
                        id,
                        "#[grad] prints floats, integers and `bool`s; print the elements of an array",
                    );
                    ok = false;
                    continue;
                }
            };
            ok &= self.showable(v, &id);
            comma(&mut inner);
            inner.push(Piece::Tokens(quote!(#id =)));
            inner.extend(self.shown_pieces(v));
        }
        if !ok {
            return;
        }
        let path = &mac.path;
        let mut pieces = vec![Piece::Tokens(quote!(#path!))];
        pieces.push(Piece::Paren(inner));
        let k = self.func.passive.len();
        self.func.passive.push(pieces);
        self.emit(Stmt::Effect(k));
    }

    /// The source of a value a macro reads: an `f32` value as the `f32` it is.
    fn shown_pieces(&self, v: ValueId) -> Vec<Piece> {
        let pieces = self.paren(v);
        if self.narrow.contains(&v) {
            vec![Piece::Paren(
                pieces
                    .into_iter()
                    .chain([Piece::Tokens(quote!(as f32))])
                    .collect(),
            )]
        } else {
            pieces
        }
    }

    /// A value a macro shows or compares: a float, an integer or a `bool`.
    fn shown(&mut self, e: &Expr) -> ValueId {
        if self.names_array(e) {
            return self.error(
                e,
                "#[grad] prints and compares floats, integers and `bool`s; use the elements of an array",
            );
        }
        let v = self.expr(e);
        let v = self.operand(v);
        if !self.poisoned(&[v]) {
            self.showable(v, e);
        }
        v
    }

    /// Whether `v` can be shown (errs on `tokens` if not).
    fn showable(&mut self, v: ValueId, tokens: impl ToTokens) -> bool {
        if self.poisoned(&[v]) {
            return false;
        }
        match self.func.ty(v) {
            Ty::Float | Ty::Int | Ty::Bool => true,
            _ => {
                self.cx.error_spanned_by(
                    tokens,
                    "#[grad] prints and compares floats, integers and `bool`s",
                );
                false
            }
        }
    }
}

/// The names a format string reads by itself: `{x}`, `{x:?}`, `{:width$}`,
/// `{:.prec$}` (not positions, `{}` or `{0}`).
fn captures(fmt: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = fmt;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        if let Some(r) = rest.strip_prefix('{') {
            rest = r;
            continue;
        }
        let Some(close) = rest.find('}') else { break };
        let spec = &rest[..close];
        rest = &rest[close + 1..];
        let (arg, format) = spec.split_once(':').unwrap_or((spec, ""));
        let arg = arg.trim();
        if is_name(arg) {
            out.push(arg.to_string());
        }
        // `width$` and `.prec$` inside the format spec.
        for part in format.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$')) {
            if let Some(name) = part.strip_suffix('$')
                && is_name(name)
            {
                out.push(name.to_string());
            }
        }
    }
    out
}

/// Whether `s` is an identifier (not a position).
fn is_name(s: &str) -> bool {
    let s = s.strip_prefix("r#").unwrap_or(s);
    s.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_alphanumeric() || c == '_')
        && s != "_"
}
