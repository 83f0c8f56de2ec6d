use autodiff_core::{Differentiable, grad};

#[derive(Differentiable, Clone)]
struct Model {
    k: f64,
}

impl Model {
    #[grad]
    fn scaled(&self, x: f64) -> f64 {
        self.k * x
    }

    // `self.scaled(x)` would pass `self` whole: its fields' gradients would
    // be lost, so it is refused under `wrt(self)`.
    #[grad(wrt(self))]
    fn loss(&self, x: f64) -> f64 {
        self.scaled(x) * self.k
    }
}

fn main() {}
