use autodiff_core::grad;

struct Model;

impl Model {
    fn score(x: f64) -> f64 {
        x * 2.0
    }

    #[grad]
    fn loss(x: f64) -> f64 {
        Self::score(x) * x
    }
}

fn main() {}
