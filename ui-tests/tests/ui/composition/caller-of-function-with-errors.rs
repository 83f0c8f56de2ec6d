use autodiff_core::grad;

// `f` has an error; its callers see that error only: `f_grad`, `f_grad_into`
// and `f_graph` exist (they panic), with the signatures they would have.
#[grad(graph)]
fn f(x: &[f64], a: f64) -> f64 {
    let mut s = 0.0;
    for v in x.iter().step_by(2) {
        s += v * a;
    }
    s
}

fn main() {
    let (value, dx, da): (f64, Vec<f64>, f64) = f_grad(&[1.0], 2.0);
    let mut gx = [0.0];
    let mut ga = 0.0;
    let v: f64 = f_grad_into(&[1.0], 2.0, &mut gx, &mut ga);
    let graph: autodiff_core::Graph = f_graph(&[1.0], 2.0);
    let _ = (value, dx, da, v, graph);
}
