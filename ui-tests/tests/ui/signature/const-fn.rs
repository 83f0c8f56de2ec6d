use autodiff_core::grad;

#[grad]
const fn f(x: f64) -> f64 {
    x
}

fn main() {}
