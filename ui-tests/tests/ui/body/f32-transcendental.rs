use autodiff_core::grad;

fn g(v: f32) -> f32 {
    v
}

#[grad]
fn f(x: f64) -> f64 {
    let y = x as f32;
    let s = y.sin();
    let t = g(y);
    (s + y + t) as f64
}

fn main() {}
