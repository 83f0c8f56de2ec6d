use autodiff_core::{Differentiable, grad};

#[derive(Differentiable, Clone)]
struct Params {
    w: [f64; 2],
}

#[grad]
fn f(mut p: Params, x: f64) -> f64 {
    p.w[0] = x;
    p.w[0] * p.w[1]
}

fn main() {}
