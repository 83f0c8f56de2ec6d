use autodiff_core::Differentiable;

#[derive(Differentiable)]
struct Params<T> {
    w: Vec<T>,
}

fn main() {}
