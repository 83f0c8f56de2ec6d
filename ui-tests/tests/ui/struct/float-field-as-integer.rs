use autodiff_core::{Differentiable, grad};

#[derive(Differentiable, Clone)]
struct Params {
    scale: f64,
}

// `p.scale as f32` reads like an integer field's cast: the guess is checked.
#[grad]
fn f(p: &Params, x: f64) -> f64 {
    (p.scale as f32) as f64 * x
}

fn main() {}
