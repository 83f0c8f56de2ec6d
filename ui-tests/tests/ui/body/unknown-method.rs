use autodiff_core::grad;

trait Frobnicate {
    fn frobnicate(self) -> f64;
}

impl Frobnicate for f64 {
    fn frobnicate(self) -> f64 {
        self * 2.0
    }
}

#[grad]
fn f(x: f64) -> f64 {
    x.frobnicate() + x.exp()
}

fn main() {}
