use autodiff_core::grad;

#[grad]
fn f(x: f64, name: String) -> f64 {
    let _ = name;
    x
}

fn main() {}
