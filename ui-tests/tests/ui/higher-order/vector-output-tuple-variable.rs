use autodiff_core::grad;

#[grad]
fn f(x: f64) -> (f64, f64) {
    let t = (x * x, x.sin());
    t
}

fn main() {}
