use autodiff_core::grad;

trait Loss {
    #[grad]
    fn loss(x: f64) -> f64;
}

fn main() {}
