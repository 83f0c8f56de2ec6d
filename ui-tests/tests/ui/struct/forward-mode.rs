use autodiff_core::{Differentiable, grad};

#[derive(Differentiable, Clone)]
struct Params {
    a: f64,
}

#[grad(forward)]
fn f(p: &Params, x: f64) -> f64 {
    p.a * x
}

fn main() {}
