use autodiff_core::{Differentiable, grad};

#[derive(Differentiable, Clone)]
struct Params {
    a: f64,
}

#[grad]
fn f(p: &Params, x: f64) -> [f64; 2] {
    [p.a * x, x]
}

fn main() {}
