use autodiff_core::grad;

#[grad]
async fn f(x: f64) -> f64 {
    x
}

fn main() {}
