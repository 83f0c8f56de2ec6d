use autodiff_core::grad;

#[grad]
fn f(x: f64) -> f64 {
    let t = x.sin_cos();
    t.0
}

fn main() {}
