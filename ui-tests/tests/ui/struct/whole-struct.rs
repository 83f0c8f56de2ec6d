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

// A method of the struct would read its fields where #[grad] cannot see
// them: refused. (Passing `p` to a `#[grad]` function is fine.)
#[grad]
fn f(p: &Params, x: f64) -> f64 {
    p.sum() * x
}

fn main() {}
