use autodiff_core::grad;

#[grad]
extern "C" fn f(x: f64) -> f64 {
    x
}

fn main() {}
