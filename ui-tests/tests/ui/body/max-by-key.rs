use autodiff_core::grad;

#[grad]
fn f(x: &[f64]) -> f64 {
    *x.iter().max_by(|a, b| a.abs().total_cmp(&b.abs())).unwrap()
}

fn main() {}
