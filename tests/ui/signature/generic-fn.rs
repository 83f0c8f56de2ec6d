use autodiff_core::grad;

#[grad]
fn f<T: Into<f64>>(x: f64, _t: T) -> f64 {
    x
}

fn main() {}
