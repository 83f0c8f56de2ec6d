use autodiff_core::grad;

#[grad]
fn f(x: f64) -> f64 {
    let y = x * 2.0;
}

fn main() {}
