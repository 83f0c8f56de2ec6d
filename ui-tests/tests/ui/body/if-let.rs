use autodiff_core::grad;

#[grad]
fn f(x: f64, k: Option<usize>) -> f64 {
    if let Some(k) = k { x * k as f64 } else { x }
}

fn main() {}
