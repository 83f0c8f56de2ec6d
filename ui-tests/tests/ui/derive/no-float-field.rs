use autodiff_core::Differentiable;

#[derive(Differentiable)]
struct Params {
    n: usize,
    #[differentiable(constant)]
    name: String,
}

fn main() {}
