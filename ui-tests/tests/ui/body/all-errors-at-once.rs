use autodiff_core::grad;

#[grad(wrt(x, nope))]
fn f(x: f64, s: String) -> f64 {
    let a = x.frobnicate();
    let b = if x > 0.0 { x } else { a };
    println!("{s}");
    a + b
}

fn main() {}
