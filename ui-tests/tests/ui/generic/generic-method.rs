use autodiff_core::grad;
use num_traits::Float;

struct Model;

impl Model {
    #[grad]
    fn f<T: Float>(&self, x: T) -> T {
        x * x
    }
}

fn main() {}
