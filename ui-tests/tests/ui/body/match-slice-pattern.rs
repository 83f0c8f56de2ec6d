use autodiff_core::grad;

#[grad]
fn f(x: &[f64], n: usize) -> f64 {
    let pair = [n, n + 1];
    match pair {
        [0, _] => x[0],
        _ => x[1],
    }
}

fn main() {}
