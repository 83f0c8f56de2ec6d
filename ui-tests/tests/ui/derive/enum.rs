use autodiff_core::Differentiable;

#[derive(Differentiable)]
enum Params {
    Small(f64),
    Large([f64; 4]),
}

fn main() {}
