//! Data-driven tests of the IR text: each case is a function's source and the
//! IR that a stage must produce from it (rust-analyzer style `check`).

use crate::args::Args;
use crate::ast::Sig;
use crate::ctxt::Ctxt;
use crate::ir::Func;
use crate::lower;
use expect_test::Expect;

mod alloc;
mod codegen;
mod everyday;
mod graph;
mod higher;
mod lowering;
mod robustness;
mod scale;
mod speed;
mod structs;
mod sweep;
mod table;
mod tidy;
mod verify;

fn with_func(src: &str, f: impl FnOnce(Func) -> String) -> String {
    f(lowered(src))
}

/// The forward IR of `src` (verified).
fn lowered(src: &str) -> Func {
    let item: syn::ItemFn = syn::parse_str(src).expect("test source parses");
    let cx = Ctxt::default();
    let rewritten = crate::structs::rewrite(&cx, &item, &Args::default());
    let (item, fields) = match &rewritten {
        Some(r) => (&r.item, &r.fields[..]),
        None => (&item, &[][..]),
    };
    let sig = Sig::from_syn(&cx, item, &Args::default(), fields).expect("valid signature");
    let func = lower::lower(&cx, &sig);
    if let Err(e) = cx.check() {
        panic!("unexpected error: {e}");
    }
    crate::ir::verify_after("lower (test)", &func, crate::ir::View::Plain);
    func
}

/// Checks the lowered IR of `src`.
fn check_lower(src: &str, expected: Expect) {
    expected.assert_eq(&with_func(src, |f| f.to_string()));
}

/// The gradient IR of a forward function, as `#[grad]` builds it.
fn gradient(f: &Func) -> Func {
    let out = crate::pipeline::gradient(f);
    crate::ir::verify_after("gradient (test)", &out, crate::ir::View::of(f));
    out
}

/// Checks the reversed and simplified IR of `src`.
fn check_grad(src: &str, expected: Expect) {
    expected.assert_eq(&with_func(src, |f| gradient(&f).to_string()));
}

/// Prints the forward and gradient IR of `src`, for a developer's ad-hoc test.
#[allow(dead_code)]
fn dump(src: &str) {
    println!("{}", with_func(src, |f| format!("{f}\n{}", gradient(&f))));
}
