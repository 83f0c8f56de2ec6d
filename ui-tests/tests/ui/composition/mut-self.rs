use autodiff_core::grad;

struct Counter {
    n: f64,
}

impl Counter {
    #[grad]
    fn bump(&mut self, x: f64) -> f64 {
        x * self.n
    }
}

fn main() {}
