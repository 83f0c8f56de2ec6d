use autodiff_core::grad;

fn add(a: f64, b: &f64) -> f64 {
    a + b
}

#[grad]
fn f(x: &[f64]) -> f64 {
    let squares = x.iter().map(|v| v * v).collect::<Vec<f64>>();
    let n = x.iter().filter(|v| **v > 0.0).count();
    squares[0] * n as f64
}

#[grad]
fn g(x: &[f64]) -> f64 {
    x.iter().fold(0.0, add)
}

fn main() {}
