//! The gradient's passes, in order: [`run`] is the one function that runs
//! them ([`gradient`]: with the default options), and what `expand.rs`,
//! `forward.rs` (the Hessian), `graph.rs` and the tests call.
//!
//! ```text
//! lower (expand.rs)
//!   → straight-line: reverse::straight → simplify
//!   → structured:    shift → sweep (fuse, buffers) → stores → tidy
//!   → codegen (expand.rs)
//! ```
//!
//! Each pass is a function from IR to IR that calls no other pass, and
//! [`verify_after`] checks its output. One exception, inside the sweep:
//! which sum reductions are fused (`fuse.rs`) is decided while the sweep is
//! built, from the adjoints the sweep seeds ahead of them, and the tapes
//! become slots and buffers (`buffers.rs`) before the fused loops' reversed
//! trips are spliced in, all in `reverse/structured/mod.rs`.

use crate::ir::{Func, ValueId, View, verify_after};
use crate::{reverse, simplify, tidy};

/// What [`run`] does besides the passes every gradient goes through.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Run the clean-up (`simplify` or `tidy`); off for the circuit view,
    /// whose probes read values the IR does not list.
    pub clean_up: bool,
    /// The value returned first instead of the function's result (the
    /// Hessian-vector product returns the primal value, not the tangent it
    /// differentiates).
    pub value: Option<ValueId>,
}

impl Options {
    /// The reverse passes only, no clean-up.
    pub const NO_CLEAN_UP: Options = Options {
        clean_up: false,
        value: None,
    };
}

impl Default for Options {
    fn default() -> Self {
        Options {
            clean_up: true,
            value: None,
        }
    }
}

// Input:  the forward IR of `f` (`ret %4`)
// Output: its gradient function's IR (`ret %4, ∂p1, ∂p2, …`), cleaned up
pub fn gradient(forward: &Func) -> Func {
    run(forward, Options::default())
}

/// The gradient's passes, in order.
pub fn run(forward: &Func, options: Options) -> Func {
    let view = View::of(forward);
    let mut out = if forward.is_straight_line() {
        let out = reverse::straight(forward);
        verify_after("reverse", &out, view);
        out
    } else {
        // A shift (`x - max`) the result does not depend on: detached, so
        // the sweep does not differentiate through it.
        let detached = reverse::detach_shifts(forward);
        if let Some(detached) = &detached {
            verify_after("reverse::shift", detached, view);
        }
        let out = reverse::structured(detached.as_ref().unwrap_or(forward));
        verify_after("reverse::structured (sweep, fuse, buffers)", &out, view);
        // Gradients of array parameters: each element stored once.
        let out = reverse::stores(out);
        verify_after("reverse::stores", &out, view);
        out
    };
    if let Some(value) = options.value {
        out.outputs[0] = value;
    }
    if options.clean_up {
        out = clean_up(out);
    }
    out
}

/// The clean-up of a derived function: `simplify` for straight-line code,
/// `tidy` (which applies `simplify`'s rules too) for structured code.
pub fn clean_up(func: Func) -> Func {
    if func.is_straight_line() {
        return simplify::simplify(&func);
    }
    let view = View::of(&func);
    let out = tidy::tidy(func);
    verify_after("tidy", &out, view);
    out
}
