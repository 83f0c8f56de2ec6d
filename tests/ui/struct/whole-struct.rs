use autodiff_core::{Differentiable, grad};

#[derive(Differentiable, Clone)]
struct Params {
    a: f64,
    b: f64,
}

impl Params {
    fn sum(&self) -> f64 {
        self.a + self.b
    }
}

fn helper(p: &Params) -> f64 {
    p.a
}

#[grad]
fn f(p: &Params, x: f64) -> f64 {
    p.sum() * x + helper(p)
}

fn main() {}
