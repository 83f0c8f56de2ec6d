use autodiff_core::Differentiable;

#[derive(Differentiable)]
struct Params {
    w: f64,
    #[differentiable(skip)]
    name: String,
}

fn main() {}
