use autodiff_core::grad;

#[grad]
fn f((x, y): (f64, f64)) -> f64 {
    x * y
}

fn main() {}
