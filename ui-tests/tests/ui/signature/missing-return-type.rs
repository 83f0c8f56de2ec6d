use autodiff_core::grad;

#[grad]
fn f(x: f64) {
    let _ = x;
}

fn main() {}
