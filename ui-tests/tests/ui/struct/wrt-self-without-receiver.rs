use autodiff_core::grad;

#[grad(wrt(self, x))]
fn f(x: f64) -> f64 {
    x * x
}

fn main() {}
