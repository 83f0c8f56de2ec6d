use autodiff_core::grad;

#[grad]
unsafe fn f(x: f64) -> f64 {
    x
}

fn main() {}
