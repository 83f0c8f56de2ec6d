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
        fn visit_expr(&mut self, e: &'ast Expr) {
            match e {
                Expr::If(_)
                | Expr::ForLoop(_)
                | Expr::While(_)
                | Expr::Loop(_)
                | Expr::Index(_)
                | Expr::Array(_)
                | Expr::Repeat(_)
                | Expr::Break(_)
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
                Expr::MethodCall(m) if m.method == "iter" || m.method == "len" => self.0 = true,
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
/// `break` of the loop around it (not of a loop inside it).
pub(super) fn may_exit(stmt: &SynStmt) -> bool {
    exits(stmt, true)
}

/// Whether a statement contains a `break` of the loop around it, or (with
/// `returns`) a `return`.
fn exits(stmt: &SynStmt, returns: bool) -> bool {
    struct Exit {
        returns: bool,
        found: bool,
        loops: usize,
    }
    impl<'ast> Visit<'ast> for Exit {
        fn visit_expr(&mut self, e: &'ast Expr) {
            match e {
                Expr::Return(_) if self.returns => self.found = true,
                Expr::Break(_) if self.loops == 0 => self.found = true,
                Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => {
                    self.loops += 1;
                    syn::visit::visit_expr(self, e);
                    self.loops -= 1;
                    return;
                }
                Expr::Closure(_) => return,
                _ => {}
            }
            syn::visit::visit_expr(self, e);
        }
    }
    let mut x = Exit {
        returns,
        found: false,
        loops: 0,
    };
    x.visit_stmt(stmt);
    x.found
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
        Expr::If(i) => match &i.else_branch {
            None => false,
            Some(_) => block_yields(&i.then_branch),
        },
        Expr::Block(b) => block_yields(&b.block),
        Expr::ForLoop(_)
        | Expr::While(_)
        | Expr::Loop(_)
        | Expr::Assign(_)
        | Expr::Return(_)
        | Expr::Break(_)
        | Expr::Continue(_) => false,
        Expr::Binary(b) => compound_op(&b.op).is_none(),
        _ => true,
    }
}

/// Whether a statement contains a `break` of the loop around it.
pub(super) fn may_exit_break(stmt: &SynStmt) -> bool {
    exits(stmt, false)
}
