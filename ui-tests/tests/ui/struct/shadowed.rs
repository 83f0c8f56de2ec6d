use autodiff_core::{Differentiable, grad};

#[derive(Differentiable, Clone)]
struct Params {
    a: f64,
}

#[grad]
fn f(p: &Params, x: f64) -> f64 {
    let y = p.a * x;
    let p = y + 1.0;
    p * y
}

fn main() {}
