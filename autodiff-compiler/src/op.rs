//! The operations of the IR and the one table that describes them.
//!
//! [`op_table!`] is the only place an operation is written down: one row per
//! operation with its IR name, the `f32`/`f64` method users write, its arity,
//! which operands are integers, how codegen writes its forward form, its local
//! partials (for the docs) and its reverse rule (`vjp`). Two expansions read
//! the rows:
//!
//! - this module expands them into [`Op`], [`Op::ALL`] and the syntactic
//!   facts (`name`, `method`, `arity`, `int_args`, `forward`, `partials`);
//!   the `vjp` column is ignored here, so this module depends on nothing else
//!   of the crate;
//! - `rules.rs` expands them into `Op::vjp`, where the reverse rules are
//!   compiled against the IR builder ([`crate::rules::Emit`]).
//!
//! Adding a float method is one row here (plus a test in `tests/ops.rs`);
//! nothing else keeps a list, and unit tests fail when the README, the tests
//! or the differential-test generators miss a method.
//!
//! The first three rows are the gates of the backpropagation lecture: **add**
//! distributes the upstream gradient, **mul** swaps the inputs, **max** routes
//! the gradient to the larger input (ties split evenly, DESIGN.md §2.8).
//!
//! A rule's `vjp` gets the IR builder `e`, the upstream gradient `adj`, the
//! operands `a` and the forward result `out`, and returns each operand's
//! contribution (`None` for a structural zero). Writing the contribution
//! rather than the bare partial lets a rule divide instead of multiplying by
//! a reciprocal; the local partial itself is the contribution for `adj = 1`,
//! which is how the circuit view and the formula in the docs get it.

use proc_macro2::TokenStream;
use quote::quote;

/// How codegen writes an operation's forward form.
#[derive(Clone, Copy)]
pub enum Forward {
    /// `a <op> b`.
    Infix(&'static str),
    /// `<op> a`.
    Prefix(&'static str),
    /// `F::method(a, b, …)` on the function's float type `F`.
    Method(&'static str),
    /// Written by a function of the operands and the float type.
    Inline(fn(&[TokenStream], &TokenStream) -> TokenStream),
}

/// Binding strength of a printed expression: sums bind least, atoms most.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Prec {
    Sum,
    Product,
    Unary,
    Atom,
}

/// The table of operations: calls `$callback! { rows }`.
///
/// Each row is `Variant { name, method, arity, int_args, forward, partials,
/// vjp }`. `forward` is an expression of type [`Forward`] (its variants are in
/// scope), `vjp` a closure of type `rules::Vjp` (compiled in `rules.rs`, where
/// `one`, `two`, `NONE` and the builder's methods are in scope).
macro_rules! op_table {
    ($callback:ident) => {
        $callback! {
            // ----- The lecture's gates -----
            Add {
                name: "add", method: None, arity: 2, int_args: [],
                forward: Infix("+"),
                partials: "∂a = 1, ∂b = 1",
                vjp: |_, adj, _, _| two(adj, adj),
            }
            Mul {
                name: "mul", method: None, arity: 2, int_args: [],
                forward: Infix("*"),
                partials: "∂a = b, ∂b = a",
                vjp: |e, adj, a, _| two(e.mul(adj, a[1]), e.mul(adj, a[0])),
            }
            Max {
                name: "max", method: Some("max"), arity: 2, int_args: [],
                forward: Method("max"),
                partials: "a.max(b): ∂a = [a > b], ∂b = [b > a]; ½ each at a tie",
                vjp: |e, adj, a, _| {
                    let wa = e.op(Op::MaxWeight, &[a[0], a[1]]);
                    let wb = e.op(Op::MaxWeight, &[a[1], a[0]]);
                    two(e.mul(adj, wa), e.mul(adj, wb))
                },
            }
            // ----- Arithmetic -----
            Sub {
                name: "sub", method: None, arity: 2, int_args: [],
                forward: Infix("-"),
                partials: "∂a = 1, ∂b = -1",
                vjp: |e, adj, _, _| two(adj, e.neg(adj)),
            }
            Div {
                name: "div", method: None, arity: 2, int_args: [],
                forward: Infix("/"),
                partials: "∂a = 1/b, ∂b = -(a/b)/b",
                // One division: ∂b = -(adj / b) * q reuses ∂a and the quotient.
                vjp: |e, adj, a, out| {
                    let da = e.div(adj, a[1]);
                    let t = e.mul(da, out);
                    two(da, e.neg(t))
                },
            }
            Neg {
                name: "neg", method: None, arity: 1, int_args: [],
                forward: Prefix("-"),
                partials: "-1",
                vjp: |e, adj, _, _| one(e.neg(adj)),
            }
            Min {
                name: "min", method: Some("min"), arity: 2, int_args: [],
                forward: Method("min"),
                partials: "a.min(b): ∂a = [a < b], ∂b = [b < a]; ½ each at a tie",
                vjp: |e, adj, a, _| {
                    let wa = e.op(Op::MinWeight, &[a[0], a[1]]);
                    let wb = e.op(Op::MinWeight, &[a[1], a[0]]);
                    two(e.mul(adj, wa), e.mul(adj, wb))
                },
            }
            // ----- Elementary functions (methods of f32/f64) -----
            Exp {
                name: "exp", method: Some("exp"), arity: 1, int_args: [],
                forward: Method("exp"),
                partials: "exp(x)",
                vjp: |e, adj, _, out| one(e.mul(adj, out)),
            }
            Exp2 {
                name: "exp2", method: Some("exp2"), arity: 1, int_args: [],
                forward: Method("exp2"),
                partials: "exp2(x) ln 2",
                vjp: |e, adj, _, out| {
                    let t = e.mul(adj, out);
                    one(e.scale(t, std::f64::consts::LN_2))
                },
            }
            ExpM1 {
                name: "exp_m1", method: Some("exp_m1"), arity: 1, int_args: [],
                forward: Method("exp_m1"),
                partials: "exp_m1(x) + 1",
                vjp: |e, adj, _, out| {
                    let k = e.lit(1.0);
                    let t = e.add(out, k);
                    one(e.mul(adj, t))
                },
            }
            Ln {
                name: "ln", method: Some("ln"), arity: 1, int_args: [],
                forward: Method("ln"),
                partials: "1/x",
                vjp: |e, adj, a, _| one(e.div(adj, a[0])),
            }
            Ln1p {
                name: "ln_1p", method: Some("ln_1p"), arity: 1, int_args: [],
                forward: Method("ln_1p"),
                partials: "1/(1 + x)",
                vjp: |e, adj, a, _| {
                    let k = e.lit(1.0);
                    let t = e.add(a[0], k);
                    one(e.div(adj, t))
                },
            }
            Log {
                name: "log", method: Some("log"), arity: 2, int_args: [],
                forward: Method("log"),
                partials: "x.log(b): ∂x = 1/(x ln b), ∂b = -log_b(x)/(b ln b)",
                vjp: |e, adj, a, out| {
                    // log_b(x) = ln x / ln b.
                    let lnb = e.op(Op::Ln, &[a[1]]);
                    let t = e.mul(a[0], lnb);
                    let dx = e.div(adj, t);
                    let u = e.mul(adj, out);
                    let v = e.mul(a[1], lnb);
                    let u = e.div(u, v);
                    two(dx, e.neg(u))
                },
            }
            Log2 {
                name: "log2", method: Some("log2"), arity: 1, int_args: [],
                forward: Method("log2"),
                partials: "1/(x ln 2)",
                vjp: |e, adj, a, _| {
                    let t = e.scale(a[0], std::f64::consts::LN_2);
                    one(e.div(adj, t))
                },
            }
            Log10 {
                name: "log10", method: Some("log10"), arity: 1, int_args: [],
                forward: Method("log10"),
                partials: "1/(x ln 10)",
                vjp: |e, adj, a, _| {
                    let t = e.scale(a[0], std::f64::consts::LN_10);
                    one(e.div(adj, t))
                },
            }
            Sqrt {
                name: "sqrt", method: Some("sqrt"), arity: 1, int_args: [],
                forward: Method("sqrt"),
                partials: "1/(2 sqrt(x))",
                vjp: |e, adj, _, out| {
                    let t = e.scale(out, 2.0);
                    one(e.div(adj, t))
                },
            }
            Cbrt {
                name: "cbrt", method: Some("cbrt"), arity: 1, int_args: [],
                forward: Method("cbrt"),
                partials: "1/(3 cbrt(x)²)",
                vjp: |e, adj, _, out| {
                    let t = e.mul(out, out);
                    let t = e.scale(t, 3.0);
                    one(e.div(adj, t))
                },
            }
            Recip {
                name: "recip", method: Some("recip"), arity: 1, int_args: [],
                forward: Method("recip"),
                partials: "-1/x²",
                vjp: |e, adj, _, out| {
                    let t = e.mul(out, out);
                    let t = e.mul(adj, t);
                    one(e.neg(t))
                },
            }
            Powi {
                name: "powi", method: Some("powi"), arity: 2, int_args: [1],
                forward: Method("powi"),
                partials: "x.powi(n): n x^(n-1) (0 when n = 0); n gets none",
                vjp: |e, adj, a, _| {
                    let d = e.op(Op::PowiDeriv, &[a[0], a[1]]);
                    one(e.mul(adj, d))
                },
            }
            Powf {
                name: "powf", method: Some("powf"), arity: 2, int_args: [],
                forward: Method("powf"),
                partials: "x.powf(y): ∂x = y x^(y-1) (0 when y = 0), ∂y = x^y ln x (0 when x = 0 ≤ y)",
                vjp: |e, adj, a, out| {
                    let dx = e.op(Op::PowfDerivX, &[a[0], a[1]]);
                    let dy = e.op(Op::PowfDerivY, &[a[0], a[1], out]);
                    two(e.mul(adj, dx), e.mul(adj, dy))
                },
            }
            Sin {
                name: "sin", method: Some("sin"), arity: 1, int_args: [],
                forward: Method("sin"),
                partials: "cos(x)",
                vjp: |e, adj, a, _| {
                    let c = e.op(Op::Cos, &[a[0]]);
                    one(e.mul(adj, c))
                },
            }
            Cos {
                name: "cos", method: Some("cos"), arity: 1, int_args: [],
                forward: Method("cos"),
                partials: "-sin(x)",
                vjp: |e, adj, a, _| {
                    let s = e.op(Op::Sin, &[a[0]]);
                    let t = e.mul(adj, s);
                    one(e.neg(t))
                },
            }
            Tan {
                name: "tan", method: Some("tan"), arity: 1, int_args: [],
                forward: Method("tan"),
                partials: "1 + tan(x)²",
                vjp: |e, adj, _, out| {
                    let k = e.lit(1.0);
                    let sq = e.mul(out, out);
                    let t = e.add(k, sq);
                    one(e.mul(adj, t))
                },
            }
            Asin {
                name: "asin", method: Some("asin"), arity: 1, int_args: [],
                forward: Method("asin"),
                partials: "1/sqrt(1 - x²)",
                vjp: |e, adj, a, _| {
                    let t = e.one_minus_sq(a[0]);
                    let t = e.op(Op::Sqrt, &[t]);
                    one(e.div(adj, t))
                },
            }
            Acos {
                name: "acos", method: Some("acos"), arity: 1, int_args: [],
                forward: Method("acos"),
                partials: "-1/sqrt(1 - x²)",
                vjp: |e, adj, a, _| {
                    let t = e.one_minus_sq(a[0]);
                    let t = e.op(Op::Sqrt, &[t]);
                    let t = e.div(adj, t);
                    one(e.neg(t))
                },
            }
            Atan {
                name: "atan", method: Some("atan"), arity: 1, int_args: [],
                forward: Method("atan"),
                partials: "1/(1 + x²)",
                vjp: |e, adj, a, _| {
                    let k = e.lit(1.0);
                    let sq = e.mul(a[0], a[0]);
                    let t = e.add(k, sq);
                    one(e.div(adj, t))
                },
            }
            Atan2 {
                name: "atan2", method: Some("atan2"), arity: 2, int_args: [],
                forward: Method("atan2"),
                partials: "y.atan2(x): ∂y = x/(x² + y²), ∂x = -y/(x² + y²)",
                vjp: |e, adj, a, _| {
                    // atan2(y, x): ∂y = x/(x² + y²), ∂x = -y/(x² + y²).
                    let yy = e.mul(a[0], a[0]);
                    let xx = e.mul(a[1], a[1]);
                    let r = e.add(xx, yy);
                    let s = e.div(adj, r);
                    let dy = e.mul(s, a[1]);
                    let t = e.mul(s, a[0]);
                    two(dy, e.neg(t))
                },
            }
            Sinh {
                name: "sinh", method: Some("sinh"), arity: 1, int_args: [],
                forward: Method("sinh"),
                partials: "cosh(x)",
                vjp: |e, adj, a, _| {
                    let c = e.op(Op::Cosh, &[a[0]]);
                    one(e.mul(adj, c))
                },
            }
            Cosh {
                name: "cosh", method: Some("cosh"), arity: 1, int_args: [],
                forward: Method("cosh"),
                partials: "sinh(x)",
                vjp: |e, adj, a, _| {
                    let s = e.op(Op::Sinh, &[a[0]]);
                    one(e.mul(adj, s))
                },
            }
            Tanh {
                name: "tanh", method: Some("tanh"), arity: 1, int_args: [],
                forward: Method("tanh"),
                partials: "1 - tanh(x)²",
                vjp: |e, adj, _, out| {
                    let t = e.one_minus_sq(out);
                    one(e.mul(adj, t))
                },
            }
            Asinh {
                name: "asinh", method: Some("asinh"), arity: 1, int_args: [],
                forward: Method("asinh"),
                partials: "1/sqrt(x² + 1)",
                vjp: |e, adj, a, _| {
                    let k = e.lit(1.0);
                    let t = e.op(Op::Hypot, &[a[0], k]);
                    one(e.div(adj, t))
                },
            }
            Acosh {
                name: "acosh", method: Some("acosh"), arity: 1, int_args: [],
                forward: Method("acosh"),
                partials: "1/sqrt(x² - 1)",
                vjp: |e, adj, a, _| {
                    let k = e.lit(1.0);
                    let sq = e.mul(a[0], a[0]);
                    let t = e.sub(sq, k);
                    let t = e.op(Op::Sqrt, &[t]);
                    one(e.div(adj, t))
                },
            }
            Atanh {
                name: "atanh", method: Some("atanh"), arity: 1, int_args: [],
                forward: Method("atanh"),
                partials: "1/(1 - x²)",
                vjp: |e, adj, a, _| {
                    let t = e.one_minus_sq(a[0]);
                    one(e.div(adj, t))
                },
            }
            Abs {
                name: "abs", method: Some("abs"), arity: 1, int_args: [],
                forward: Method("abs"),
                partials: "sign(x) (0 at 0)",
                vjp: |e, adj, a, _| {
                    let s = e.op(Op::Sign0, &[a[0]]);
                    one(e.mul(adj, s))
                },
            }
            Hypot {
                name: "hypot", method: Some("hypot"), arity: 2, int_args: [],
                forward: Method("hypot"),
                partials: "x.hypot(y): ∂x = x/hypot, ∂y = y/hypot (0 at the origin)",
                vjp: |e, adj, a, out| {
                    let dx = e.op(Op::DivOrZero, &[a[0], out]);
                    let dy = e.op(Op::DivOrZero, &[a[1], out]);
                    two(e.mul(adj, dx), e.mul(adj, dy))
                },
            }
            MulAdd {
                name: "mul_add", method: Some("mul_add"), arity: 3, int_args: [],
                forward: Method("mul_add"),
                partials: "x.mul_add(a, b): ∂x = a, ∂a = x, ∂b = 1",
                vjp: |e, adj, a, _| [Some(e.mul(adj, a[1])), Some(e.mul(adj, a[0])), Some(adj)],
            }
            Clamp {
                name: "clamp", method: Some("clamp"), arity: 3, int_args: [],
                forward: Method("clamp"),
                partials: "x.clamp(lo, hi): routes to x inside (lo, hi), to the bound outside; ½ each at a bound",
                vjp: |e, adj, a, _| {
                    let wx = e.op(Op::ClampWeightX, &[a[0], a[1], a[2]]);
                    let wl = e.op(Op::ClampWeightLo, &[a[0], a[1]]);
                    let wh = e.op(Op::ClampWeightHi, &[a[0], a[2]]);
                    [
                        Some(e.mul(adj, wx)),
                        Some(e.mul(adj, wl)),
                        Some(e.mul(adj, wh)),
                    ]
                },
            }
            Copysign {
                name: "copysign", method: Some("copysign"), arity: 2, int_args: [],
                forward: Method("copysign"),
                partials: "x.copysign(y): ∂x = sign(x) signum(y) (0 at x = 0), ∂y = 0",
                vjp: |e, adj, a, _| {
                    let sx = e.op(Op::Sign0, &[a[0]]);
                    let sy = e.op(Op::Signum, &[a[1]]);
                    let t = e.mul(sx, sy);
                    [Some(e.mul(adj, t)), None, None]
                },
            }
            // Kinks: piecewise-constant functions, zero derivative everywhere.
            Signum {
                name: "signum", method: Some("signum"), arity: 1, int_args: [],
                forward: Method("signum"), partials: "0", vjp: |_, _, _, _| NONE,
            }
            Floor {
                name: "floor", method: Some("floor"), arity: 1, int_args: [],
                forward: Method("floor"), partials: "0", vjp: |_, _, _, _| NONE,
            }
            Ceil {
                name: "ceil", method: Some("ceil"), arity: 1, int_args: [],
                forward: Method("ceil"), partials: "0", vjp: |_, _, _, _| NONE,
            }
            Round {
                name: "round", method: Some("round"), arity: 1, int_args: [],
                forward: Method("round"), partials: "0", vjp: |_, _, _, _| NONE,
            }
            Trunc {
                name: "trunc", method: Some("trunc"), arity: 1, int_args: [],
                forward: Method("trunc"), partials: "0", vjp: |_, _, _, _| NONE,
            }
            Fract {
                name: "fract", method: Some("fract"), arity: 1, int_args: [],
                forward: Method("fract"),
                partials: "1",
                vjp: |_, adj, _, _| one(adj),
            }
            ToDegrees {
                name: "to_degrees", method: Some("to_degrees"), arity: 1, int_args: [],
                forward: Method("to_degrees"),
                partials: "180/π",
                vjp: |e, adj, _, _| one(e.scale(adj, 180.0 / std::f64::consts::PI)),
            }
            ToRadians {
                name: "to_radians", method: Some("to_radians"), arity: 1, int_args: [],
                forward: Method("to_radians"),
                partials: "π/180",
                vjp: |e, adj, _, _| one(e.scale(adj, std::f64::consts::PI / 180.0)),
            }
            // ----- Local derivatives at kinks, used only by the rules above;
            // never differentiated themselves. -----
            // ----- Precision -----
            RoundF32 {
                name: "round_f32", method: None, arity: 1, int_args: [],
                forward: Inline(|a, _| {
                    let x = &a[0];
                    quote!((#x as f32 as f64))
                }),
                partials: "1 (an `f32` result inside an `f64` function: the gradient flows through the rounding)",
                vjp: |_, adj, _, _| one(adj),
            }
            MaxWeight {
                name: "max_weight", method: None, arity: 2, int_args: [],
                forward: Inline(|a, _| {
                    let (x, y) = (&a[0], &a[1]);
                    quote!(if #x > #y || #y.is_nan() { 1.0 } else if #x == #y { 0.5 } else { 0.0 })
                }),
                partials: "0",
                vjp: |_, _, _, _| NONE,
            }
            MinWeight {
                name: "min_weight", method: None, arity: 2, int_args: [],
                forward: Inline(|a, _| {
                    let (x, y) = (&a[0], &a[1]);
                    quote!(if #x < #y || #y.is_nan() { 1.0 } else if #x == #y { 0.5 } else { 0.0 })
                }),
                partials: "0",
                vjp: |_, _, _, _| NONE,
            }
            // A value the result does not depend on (a shift it is invariant
            // to, `reverse/shift.rs`): the value itself, not differentiated.
            Detach {
                name: "detach", method: None, arity: 1, int_args: [],
                forward: Inline(|a, _| a[0].clone()),
                partials: "0",
                vjp: |_, _, _, _| NONE,
            }
            ClampWeightX {
                name: "clamp_weight_x", method: None, arity: 3, int_args: [],
                forward: Inline(|a, _| {
                    let (x, lo, hi) = (&a[0], &a[1], &a[2]);
                    quote!(if (#x > #lo && #x < #hi) || #x.is_nan() {
                        1.0
                    } else if #x == #lo || #x == #hi {
                        0.5
                    } else {
                        0.0
                    })
                }),
                partials: "0",
                vjp: |_, _, _, _| NONE,
            }
            ClampWeightLo {
                name: "clamp_weight_lo", method: None, arity: 2, int_args: [],
                forward: Inline(|a, _| {
                    let (x, lo) = (&a[0], &a[1]);
                    quote!(if #x < #lo { 1.0 } else if #x == #lo { 0.5 } else { 0.0 })
                }),
                partials: "0",
                vjp: |_, _, _, _| NONE,
            }
            ClampWeightHi {
                name: "clamp_weight_hi", method: None, arity: 2, int_args: [],
                forward: Inline(|a, _| {
                    let (x, hi) = (&a[0], &a[1]);
                    quote!(if #x > #hi { 1.0 } else if #x == #hi { 0.5 } else { 0.0 })
                }),
                partials: "0",
                vjp: |_, _, _, _| NONE,
            }
            Sign0 {
                name: "sign0", method: None, arity: 1, int_args: [],
                forward: Inline(|a, _| {
                    let x = &a[0];
                    quote!(if #x > 0.0 { 1.0 } else if #x < 0.0 { -1.0 } else if #x == 0.0 { 0.0 } else { #x })
                }),
                partials: "0",
                vjp: |_, _, _, _| NONE,
            }
            PowiDeriv {
                name: "powi_deriv", method: None, arity: 2, int_args: [1],
                forward: Inline(|a, f| {
                    let (x, n) = (&a[0], &a[1]);
                    quote!(if #n == 0 { 0.0 } else { (#n as #f) * #f::powi(#x, #n - 1) })
                }),
                partials: "n (n-1) x^(n-2) in x",
                // The second derivative of `powi` (for `#[grad(hessian)]`).
                vjp: |e, adj, a, _| {
                    let d = e.op(Op::PowiDeriv2, &[a[0], a[1]]);
                    one(e.mul(adj, d))
                },
            }
            PowiDeriv2 {
                name: "powi_deriv2", method: None, arity: 2, int_args: [1],
                forward: Inline(|a, f| {
                    let (x, n) = (&a[0], &a[1]);
                    quote!(if #n == 0 || #n == 1 { 0.0 } else { (#n as #f) * ((#n - 1) as #f) * #f::powi(#x, #n - 2) })
                }),
                partials: "0 (a third derivative is not in the table)",
                vjp: |_, _, _, _| NONE,
            }
            PowfDerivX {
                name: "powf_deriv_x", method: None, arity: 2, int_args: [],
                forward: Inline(|a, f| {
                    let (x, y) = (&a[0], &a[1]);
                    quote!(if #y == 0.0 { 0.0 } else { #y * #f::powf(#x, #y - 1.0) })
                }),
                partials: "∂x = y (y-1) x^(y-2), ∂y = x^(y-1) (1 + y ln x)",
                // The second derivatives of `powf` (for `#[grad(hessian)]`).
                vjp: |e, adj, a, _| {
                    let dxx = e.op(Op::PowfDerivXX, &[a[0], a[1]]);
                    let dxy = e.op(Op::PowfDerivXY, &[a[0], a[1]]);
                    two(e.mul(adj, dxx), e.mul(adj, dxy))
                },
            }
            PowfDerivY {
                name: "powf_deriv_y", method: None, arity: 3, int_args: [],
                forward: Inline(|a, f| {
                    let (x, y, out) = (&a[0], &a[1], &a[2]);
                    quote!(if #x == 0.0 && #y >= 0.0 { 0.0 } else { #out * #f::ln(#x) })
                }),
                partials: "out ln x: ∂x = out / x, ∂out = ln x (both 0 when x = 0 ≤ y)",
                // `out · ln x` with `out = x^y` an operand: the chain through
                // `out` gives the rest of `powf`'s second derivatives.
                vjp: |e, adj, a, _| {
                    let dx = e.op(Op::DivOrZero, &[a[2], a[0]]);
                    let one = e.func.lit(1.0, e.span);
                    let ln = e.op(Op::PowfDerivY, &[a[0], a[1], one]);
                    [Some(e.mul(adj, dx)), None, Some(e.mul(adj, ln))]
                },
            }
            PowfDerivXX {
                name: "powf_deriv_xx", method: None, arity: 2, int_args: [],
                forward: Inline(|a, f| {
                    let (x, y) = (&a[0], &a[1]);
                    quote!(if #y == 0.0 || #y == 1.0 { 0.0 } else { #y * (#y - 1.0) * #f::powf(#x, #y - 2.0) })
                }),
                partials: "0 (a third derivative is not in the table)",
                vjp: |_, _, _, _| NONE,
            }
            PowfDerivXY {
                name: "powf_deriv_xy", method: None, arity: 2, int_args: [],
                forward: Inline(|a, f| {
                    let (x, y) = (&a[0], &a[1]);
                    quote!(if #x == 0.0 { 0.0 } else { #f::powf(#x, #y - 1.0) * (1.0 + #y * #f::ln(#x)) })
                }),
                partials: "0 (a third derivative is not in the table)",
                vjp: |_, _, _, _| NONE,
            }
            DivOrZero {
                name: "div_or_zero", method: None, arity: 2, int_args: [],
                forward: Inline(|a, _| {
                    let (x, y) = (&a[0], &a[1]);
                    quote!(if #y == 0.0 { 0.0 } else { #x / #y })
                }),
                partials: "x/y: ∂x = 1/y, ∂y = -(x/y)/y, both 0 where y = 0",
                // `hypot`'s partials `x/h`, differentiated again.
                vjp: |e, adj, a, out| {
                    let dx = e.op(Op::DivOrZero, &[adj, a[1]]);
                    let t = e.mul(adj, out);
                    let q = e.op(Op::DivOrZero, &[t, a[1]]);
                    two(dx, e.neg(q))
                },
            }
        }
    };
}
pub(crate) use op_table;

/// Expands the rows of [`op_table!`] into [`Op`] and its syntactic facts.
macro_rules! define_ops {
    ($(
        $op:ident {
            name: $name:literal, method: $method:expr, arity: $arity:literal,
            int_args: [$($int:literal),*],
            forward: $forward:expr,
            partials: $partials:literal,
            vjp: $vjp:expr $(,)?
        }
    )*) => {
        /// An operation of the IR: one row of [`op_table!`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Op {
            $($op,)*
        }

        impl Op {
            /// Every operation, in table order.
            pub const ALL: &'static [Op] = &[$(Op::$op,)*];

            /// The name in the IR text form and in the circuit view.
            pub fn name(self) -> &'static str {
                match self {
                    $(Op::$op => $name,)*
                }
            }

            /// The method of `f32`/`f64` that users write, if any (`x.exp()`).
            pub fn method(self) -> Option<&'static str> {
                match self {
                    $(Op::$op => $method,)*
                }
            }

            /// Number of operands, the receiver included.
            pub fn arity(self) -> usize {
                match self {
                    $(Op::$op => $arity,)*
                }
            }

            /// Operand positions that are integers (never differentiated).
            pub fn int_args(self) -> &'static [usize] {
                match self {
                    $(Op::$op => &[$($int),*],)*
                }
            }

            /// How codegen writes the forward form.
            pub fn forward(self) -> Forward {
                use Forward::*;
                match self {
                    $(Op::$op => $forward,)*
                }
            }

            /// The local partials, for the docs: a unit test keeps the
            /// README's table of methods in sync with them.
            #[cfg_attr(not(test), allow(dead_code))]
            pub fn partials(self) -> &'static str {
                match self {
                    $(Op::$op => $partials,)*
                }
            }
        }
    };
}

op_table!(define_ops);

impl Op {
    /// The operation that the float method `name` denotes.
    pub fn from_method(name: &str) -> Option<Op> {
        Op::ALL.iter().copied().find(|op| op.method() == Some(name))
    }

    /// Constant folding: the value of the operation on literal operands, when
    /// it is exact arithmetic that every platform agrees on.
    pub fn fold(self, a: &[f64]) -> Option<f64> {
        match self {
            Op::Add => Some(a[0] + a[1]),
            Op::Sub => Some(a[0] - a[1]),
            Op::Mul => Some(a[0] * a[1]),
            Op::Div => Some(a[0] / a[1]),
            Op::Neg => Some(-a[0]),
            Op::RoundF32 => Some(a[0] as f32 as f64),
            _ => None,
        }
    }

    /// How tightly the operation binds when printed as an expression: the
    /// one precedence table of every printer (`print.rs`).
    pub fn prec(self) -> Prec {
        match self.forward() {
            Forward::Infix("+" | "-") => Prec::Sum,
            Forward::Infix(_) => Prec::Product,
            Forward::Prefix(_) => Prec::Unary,
            Forward::Method(_) | Forward::Inline(_) => Prec::Atom,
        }
    }
}
