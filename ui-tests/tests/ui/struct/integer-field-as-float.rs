use autodiff_core::{Differentiable, grad};

#[derive(Differentiable, Clone)]
struct Params {
    a: f64,
    n: usize,
}

// `p.n` in float arithmetic is taken for a float field: rustc says it is not.
#[grad]
fn f(p: &Params, x: f64) -> f64 {
    p.a * x * p.n
}

fn main() {}
