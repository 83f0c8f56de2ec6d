/// Every float method the generators emit, one name per line; the order is
/// the order in which `difftest/build.rs` draws them (keep it: a new name
/// goes at the end, or the generated functions of every seed change).
pub const METHODS: &[&str] = &[
    "exp",
    "exp2",
    "exp_m1",
    "ln",
    "ln_1p",
    "log",
    "log2",
    "log10",
    "sqrt",
    "cbrt",
    "recip",
    "powi",
    "powf",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "atan2",
    "sinh",
    "cosh",
    "tanh",
    "asinh",
    "acosh",
    "atanh",
    "abs",
    "hypot",
    "mul_add",
    "max",
    "min",
    "clamp",
    "signum",
    "floor",
    "ceil",
    "round",
    "trunc",
    "fract",
    "to_degrees",
    "to_radians",
    "copysign",
    "sin_cos",
];

/// Float methods of the macro's rules table that the generators deliberately
/// do not emit, as `("method", "reason")`; empty: they emit every one.
pub const NOT_GENERATED: &[(&str, &str)] = &[
    // None: the generators emit every float method of the rules table.
];
