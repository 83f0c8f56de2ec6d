use autodiff_core::grad;

#[grad]
fn f(x: f64, y: f64) -> f64 {
    let b = x < y;
    let _ = b;
    x
}

fn main() {}
