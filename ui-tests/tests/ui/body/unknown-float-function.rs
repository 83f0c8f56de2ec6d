use autodiff_core::grad;

#[grad]
fn f(x: f64) -> f64 {
    f64::gamma(x)
}

fn main() {}
