use autodiff_core::grad;

// One type parameter is the float type; a second one is not supported.
#[grad]
fn f<T: Into<f64>, U>(x: f64, _t: T, _u: U) -> f64 {
    x
}

fn main() {}
