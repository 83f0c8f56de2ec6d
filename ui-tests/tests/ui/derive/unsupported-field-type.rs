use autodiff_core::Differentiable;

#[derive(Differentiable)]
struct Params {
    w: [f64; 3],
    label: String,
}

fn main() {}
