//! The scans of the syntax done before lowering it: which form the body
//! needs (straight-line or structured), whether it returns early, and
//! whether a statement may leave its block (`return`, `break`) or an
//! expression in tail position yields a value.

use super::stmt::compound_op;
use crate::ast::Sig;
use crate::ir::Ty;
use syn::visit::Visit;
use syn::{BinOp, Block, Expr, Stmt as SynStmt};

/// Whether the body needs structured lowering: branches, loops, arrays.
pub(super) fn needs_structure(sig: &Sig) -> bool {
    struct Scan(bool);
    impl<'ast> Visit<'ast> for Scan {
        fn visit_stmt_macro(&mut self, _: &'ast syn::StmtMacro) {
            // `assert!`, `println!`: an effect, kept in structured code.
            self.0 = true;
        }
        fn visit_expr(&mut self, e: &'ast Expr) {
            match e {
                Expr::Macro(_) => self.0 = true,
                Expr::If(_)
                | Expr::ForLoop(_)
                | Expr::While(_)
                | Expr::Loop(_)
                | Expr::Index(_)
                | Expr::Array(_)
                | Expr::Repeat(_)
                | Expr::Break(_)
                | Expr::Continue(_)
                | Expr::Match(_)
                | Expr::Binary(syn::ExprBinary {
                    op:
                        BinOp::Lt(_)
                        | BinOp::Le(_)
                        | BinOp::Gt(_)
                        | BinOp::Ge(_)
                        | BinOp::Eq(_)
                        | BinOp::Ne(_)
                        | BinOp::And(_)
                        | BinOp::Or(_),
                    ..
                }) => self.0 = true,
                Expr::MethodCall(m)
                    if matches!(
                        m.method.to_string().as_str(),
                        "iter"
                            | "len"
                            | "windows"
                            | "chunks_exact"
                            | "sum"
                            | "product"
                            | "fold"
                            | "max_by"
                            | "min_by"
                            | "reduce"
                    ) =>
                {
                    self.0 = true
                }
                _ => {}
            }
            syn::visit::visit_expr(self, e);
        }
    }
    let mut scan = Scan(
        sig.params
            .iter()
            .any(|p| matches!(p.ty, Ty::Array | Ty::Bool)),
    );
    scan.visit_block(&sig.item.block);
    scan.0 || has_early_return(&sig.item.block.stmts)
}

/// Whether the body returns early: a `return` anywhere but as the last
/// statement (a `return` at the very end is only the result).
pub(super) fn has_early_return(stmts: &[SynStmt]) -> bool {
    stmts.iter().enumerate().any(|(i, s)| {
        let last_return = i + 1 == stmts.len() && matches!(s, SynStmt::Expr(Expr::Return(_), _));
        let mut r = ReturnScan(false);
        r.visit_stmt(s);
        r.0 && !last_return
    })
}

/// Finds a `return` (a closure's own `return`s do not count).
struct ReturnScan(bool);
impl<'ast> Visit<'ast> for ReturnScan {
    fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
        self.0 = true;
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
}

/// Whether a statement may leave the enclosing block early: a `return`, or a
/// `break` or `continue` of a loop around it (not of a loop inside it).
pub(super) fn may_exit(stmt: &SynStmt) -> bool {
    let mut x = Exits::default();
    x.visit_stmt(stmt);
    x.returns || x.escapes
}

/// The `break`s and `continue`s found in a piece of syntax, relative to the
/// loops it contains (a closure's body is its own world).
#[derive(Default)]
struct Exits {
    /// The labels of the loops entered inside the syntax, innermost last
    /// (`None` for an unlabeled loop).
    inner: Vec<Option<String>>,
    /// A `return` was found.
    returns: bool,
    /// A `break` or `continue` leaves the syntax scanned.
    escapes: bool,
    /// `break`/`continue` with no label that leave the syntax.
    plain: (bool, bool),
    /// Labeled `break`s/`continue`s that leave the syntax, by label.
    labeled: Vec<(String, bool, bool)>,
}

impl Exits {
    /// Records a `break` (`is_break`) or `continue` with this label.
    fn exit(&mut self, label: Option<&syn::Lifetime>, is_break: bool) {
        let target = match label {
            None => self.inner.is_empty(),
            Some(l) => {
                let name = l.ident.to_string();
                !self
                    .inner
                    .iter()
                    .any(|x| x.as_deref() == Some(name.as_str()))
            }
        };
        if !target {
            return;
        }
        self.escapes = true;
        match label {
            None if is_break => self.plain.0 = true,
            None => self.plain.1 = true,
            Some(l) => self
                .labeled
                .push((l.ident.to_string(), is_break, !is_break)),
        }
    }

    /// Whether a `break` (`.0`) or `continue` (`.1`) labeled `label` leaves.
    fn labeled(&self, label: &str) -> (bool, bool) {
        self.labeled
            .iter()
            .filter(|(l, _, _)| l == label)
            .fold((false, false), |(b, c), (_, x, y)| (b || *x, c || *y))
    }
}

impl<'ast> Visit<'ast> for Exits {
    fn visit_expr(&mut self, e: &'ast Expr) {
        let label = match e {
            Expr::Return(_) => {
                self.returns = true;
                None
            }
            Expr::Break(b) => {
                self.exit(b.label.as_ref(), true);
                None
            }
            Expr::Continue(c) => {
                self.exit(c.label.as_ref(), false);
                None
            }
            Expr::ForLoop(f) => Some(&f.label),
            Expr::While(w) => Some(&w.label),
            Expr::Loop(l) => Some(&l.label),
            Expr::Closure(_) => return,
            _ => None,
        };
        match label {
            Some(label) => {
                let name = label.as_ref().map(|l| l.name.ident.to_string());
                self.inner.push(name);
                syn::visit::visit_expr(self, e);
                self.inner.pop();
            }
            None => syn::visit::visit_expr(self, e),
        }
    }
}

/// The exits a loop's body makes to the loop itself, `(break, continue)`:
/// plain ones outside inner loops, and those labeled with its label.
pub(super) fn loop_exits(body: &Block, label: Option<&syn::Label>) -> (bool, bool) {
    let mut x = Exits::default();
    x.visit_block(body);
    let (mut b, mut c) = x.plain;
    if let Some(l) = label {
        let (lb, lc) = x.labeled(&l.name.ident.to_string());
        b |= lb;
        c |= lc;
    }
    (b, c)
}

/// The exits a loop's body makes to an enclosing loop labeled `label`,
/// `(break, continue)`.
pub(super) fn labeled_exits(body: &Block, label: &str) -> (bool, bool) {
    let mut x = Exits::default();
    x.visit_block(body);
    x.labeled(label)
}

/// Whether a `loop` is left by a `break` with a value (`break x;`,
/// `break 'outer x;`): a `loop` used as an expression.
pub(super) fn breaks_with_value(l: &syn::ExprLoop) -> bool {
    struct Scan<'a> {
        label: Option<String>,
        depth: usize,
        found: bool,
        _l: std::marker::PhantomData<&'a ()>,
    }
    impl<'ast> Visit<'ast> for Scan<'_> {
        fn visit_expr(&mut self, e: &'ast Expr) {
            match e {
                Expr::Break(b) if b.expr.is_some() => {
                    let ours = match &b.label {
                        None => self.depth == 0,
                        Some(l) => self.label.as_deref() == Some(&*l.ident.to_string()),
                    };
                    self.found |= ours;
                }
                Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => {
                    self.depth += 1;
                    syn::visit::visit_expr(self, e);
                    self.depth -= 1;
                    return;
                }
                Expr::Closure(_) => return,
                _ => {}
            }
            syn::visit::visit_expr(self, e);
        }
    }
    let mut scan = Scan {
        label: l.label.as_ref().map(|l| l.name.ident.to_string()),
        depth: 0,
        found: false,
        _l: std::marker::PhantomData,
    };
    scan.visit_block(&l.body);
    scan.found
}

/// Whether an expression in tail position produces a value (rather than being
/// a statement such as an `if` without `else`, a loop or an assignment).
pub(super) fn yields_value(e: &Expr) -> bool {
    fn block_yields(b: &Block) -> bool {
        match b.stmts.last() {
            Some(SynStmt::Expr(e, None)) => yields_value(e),
            _ => false,
        }
    }
    match e {
        // A branch may end in `return`, `break` or `continue` (type `!`):
        // the `if` or `match` yields a value if any branch does.
        Expr::If(i) => match &i.else_branch {
            None => false,
            Some((_, e)) => block_yields(&i.then_branch) || yields_value(e),
        },
        Expr::Match(m) => m.arms.iter().any(|a| yields_value(&a.body)),
        Expr::Block(b) => block_yields(&b.block),
        Expr::Loop(l) => breaks_with_value(l),
        Expr::ForLoop(_)
        | Expr::While(_)
        | Expr::Assign(_)
        | Expr::Return(_)
        | Expr::Break(_)
        | Expr::Continue(_) => false,
        Expr::Binary(b) => compound_op(&b.op).is_none(),
        _ => true,
    }
}
