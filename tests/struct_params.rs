//! Struct parameters and `wrt(self)`: each gradient against central finite
//! differences over the struct's float slots (`Differentiable::visit_mut`
//! sets them), and exact values where they are simple.

// Index loops are how numeric code is written, and what #[grad] reads.
#![allow(clippy::needless_range_loop)]

use crate::common;

use autodiff_core::{Differentiable, grad};

/// `p` with its slots replaced by `x`, in slot order.
fn with_slots<P: Differentiable<Float = f64> + Clone>(p: &P, x: &[f64]) -> P {
    let mut q = p.clone();
    let mut i = 0;
    q.visit_mut(&mut |s| {
        *s = x[i];
        i += 1;
    });
    q
}

/// Checks a struct gradient `g` and value `v` of `f` at `p` against finite
/// differences over every slot.
#[track_caller]
fn check_struct<P: Differentiable<Float = f64> + Clone>(
    f: impl Fn(&P) -> f64,
    p: &P,
    v: f64,
    g: &P,
) {
    let mut grad = vec![v];
    grad.extend(g.slots());
    common::check(&|x| f(&with_slots(p, x)), &grad, &p.slots());
}

#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Point {
    x: f64,
    y: f64,
}

#[grad]
fn prod(p: Point) -> f64 {
    p.x * p.y + p.x.sin()
}

#[test]
fn scalar_fields_of_a_struct_by_value() {
    let (v, g) = prod_grad(Point { x: 2.0, y: 3.0 });
    assert_eq!(v, prod(Point { x: 2.0, y: 3.0 }));
    assert_eq!(v, 6.0 + 2.0f64.sin());
    assert_eq!(
        g,
        Point {
            x: 3.0 + 2.0f64.cos(),
            y: 2.0
        }
    );
}

/// A dense layer with a `Vec` bias and a fixed-size weight matrix, and a
/// constant field.
#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Layer {
    w: [[f64; 3]; 2],
    b: Vec<f64>,
    /// Not differentiated: an integer.
    active: usize,
}

#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Net {
    l1: Layer,
    out: [f64; 2],
    scale: f64,
}

#[grad]
fn net_loss(net: &Net, x: &[f64], y: f64) -> f64 {
    let mut s = 0.0;
    for j in 0..net.l1.active {
        let mut z = net.l1.b[j];
        for i in 0..x.len() {
            z += net.l1.w[j][i] * x[i];
        }
        s += net.out[j] * z.tanh();
    }
    let e = net.scale * s - y;
    e * e
}

fn net() -> Net {
    Net {
        l1: Layer {
            w: [[0.3, -0.2, 0.5], [0.1, 0.4, -0.6]],
            b: vec![0.05, -0.1],
            active: 2,
        },
        out: [0.7, -1.3],
        scale: 1.5,
    }
}

#[test]
fn nested_structs_arrays_and_vec_fields_in_loops() {
    let n = net();
    let x = [0.5, -1.0, 2.0];
    let (v, g, gx, gy) = net_loss_grad(&n, &x, 0.25);
    assert_eq!(v, net_loss(&n, &x, 0.25));
    common::check(&|y| net_loss(&n, &x, y[0]), &[v, gy], &[0.25]);
    assert_eq!(g.l1.active, 2, "constants are copied into the gradient");
    check_struct(|p| net_loss(p, &x, 0.25), &n, v, &g);
    let mut grad = vec![v];
    grad.extend(&gx);
    common::check(&|x| net_loss(&n, x, 0.25), &grad, &x);
}

#[test]
fn grad_into_overwrites_a_struct_gradient() {
    let n = net();
    let x = [0.5, -1.0, 2.0];
    let (v, g, gx, gy) = net_loss_grad(&n, &x, 0.25);
    let mut g2 = net();
    g2.visit_mut(&mut |s| *s = f64::NAN);
    let mut gx2 = [f64::NAN; 3];
    let mut gy2 = f64::NAN;
    let v2 = net_loss_grad_into(&n, &x, 0.25, &mut g2, &mut gx2, &mut gy2);
    assert_eq!((v2, gy2), (v, gy));
    assert_eq!(g2, g);
    assert_eq!(gx2.to_vec(), gx);
}

/// Rows through `let`, `for row in .iter()`, `.enumerate()`, `&` and `.len()`.
#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Model {
    w: Vec<Vec<f64>>,
    c: Vec<f64>,
}

#[grad]
fn rows(m: &Model, x: &[f64]) -> f64 {
    let mut s = 0.0;
    for (k, row) in m.w.iter().enumerate() {
        let mut z = 0.0;
        for i in 0..row.len() {
            z += row[i] * x[i];
        }
        s += m.c[k] * z * z;
    }
    let first = &m.w[0];
    let r = &m.w[1];
    s + first[1] * r[0]
}

#[test]
fn rows_of_vec_of_vec_fields() {
    let m = Model {
        w: vec![vec![0.5, 1.5], vec![-0.7, 0.2], vec![0.9, -0.4]],
        c: vec![1.0, 0.5, -2.0],
    };
    let x = [0.3, -1.2];
    let (v, g, _) = rows_grad(&m, &x);
    assert_eq!(v, rows(&m, &x));
    check_struct(|p| rows(p, &x), &m, v, &g);
}

#[grad(wrt(p))]
fn only_p(p: &Point, q: &Point) -> f64 {
    (p.x - q.x).powi(2) + (p.y - q.y).powi(2)
}

#[test]
fn a_struct_not_in_wrt_is_a_constant() {
    let (v, g) = only_p_grad(&Point { x: 1.0, y: 2.0 }, &Point { x: 4.0, y: 6.0 });
    assert_eq!(
        v,
        only_p(&Point { x: 1.0, y: 2.0 }, &Point { x: 4.0, y: 6.0 })
    );
    assert_eq!(v, 25.0);
    assert_eq!(g, Point { x: -6.0, y: -8.0 });
}

/// A spring–mass model: `self` holds the parameters under `wrt(self)`.
#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Spring {
    k: f64,
    damping: f64,
    steps: usize,
}

impl Spring {
    /// Squared error of a simulated position trajectory against `data`.
    #[grad(wrt(self))]
    fn loss(&self, data: &[f64], dt: f64) -> f64 {
        let mut x = 1.0;
        let mut v = 0.0;
        let mut err = 0.0;
        for t in 0..self.steps {
            let a = -self.k * x - self.damping * v;
            v += a * dt;
            x += v * dt;
            let d = x - data[t];
            err += d * d;
        }
        err
    }

    /// Without `wrt(self)` the fields are constants, as before.
    #[grad]
    fn energy(&self, x: f64) -> f64 {
        0.5 * self.k * x * x
    }
}

#[test]
fn wrt_self_differentiates_the_fields() {
    let s = Spring {
        k: 2.0,
        damping: 0.3,
        steps: 20,
    };
    let data: Vec<f64> = (0..20).map(|t| (0.1 * t as f64).cos()).collect();
    let (v, g) = s.loss_grad(&data, 0.1);
    assert_eq!(v, s.loss(&data, 0.1));
    assert_eq!(g.steps, 20);
    check_struct(|p: &Spring| p.loss(&data, 0.1), &s, v, &g);
    assert_eq!(s.energy_grad(3.0), (s.energy(3.0), 6.0));
    assert_eq!(s.energy(3.0), 9.0);
}

/// A straight-line function's doc shows each field's formula.
#[grad]
fn straight(p: &Point, a: f64) -> f64 {
    a * p.x + p.y.exp()
}

#[test]
fn straight_line_struct_and_float_parameters() {
    let (v, g, ga) = straight_grad(&Point { x: 2.0, y: 0.0 }, 3.0);
    assert_eq!(v, straight(&Point { x: 2.0, y: 0.0 }, 3.0));
    assert_eq!((v, ga), (7.0, 2.0));
    assert_eq!(g, Point { x: 3.0, y: 1.0 });
}

#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Affine {
    w: [[f64; 2]; 2],
    b: f64,
}

#[grad(graph)]
fn affine(p: &Affine, x: [f64; 2]) -> f64 {
    let mut s = p.b;
    for j in 0..2 {
        for i in 0..2 {
            s += p.w[j][i] * x[i];
        }
    }
    s * s
}

#[test]
fn circuit_view_labels_fields_by_their_paths() {
    let p = Affine {
        w: [[1.0, 2.0], [3.0, 4.0]],
        b: 0.5,
    };
    let x = [0.25, -1.0];
    let g = affine_graph(&p, x);
    let (v, gp, _) = affine_grad(&p, x);
    let input = |label: &str| {
        g.nodes()
            .iter()
            .find(|n| n.label() == label)
            .unwrap_or_else(|| panic!("no node {label}: {g}"))
    };
    assert_eq!(input("p.b").grad(), gp.b);
    assert_eq!(input("p.w[0][1]").value(), 2.0);
    assert_eq!(input("p.w[0][1]").grad(), gp.w[0][1]);
    assert_eq!(input("p.w[1][0]").grad(), gp.w[1][0]);
    let out = &g.nodes()[g.output().expect("an output node")];
    assert_eq!((out.value(), v), (affine(&p, x), affine(&p, x)));
}

/// A layer of a deeper network: its own `#[grad]` function, called with a
/// field of the network (`&net.hidden`), whose gradient flows into that
/// field of the network's gradient.
#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Dense {
    w: Vec<Vec<f64>>,
    b: Vec<f64>,
}

#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Deep {
    hidden: Dense,
    head: Dense,
    gain: [f64; 2],
}

#[grad]
fn dense_sum(l: &Dense, x: &[f64]) -> f64 {
    let mut s = 0.0;
    for j in 0..l.b.len() {
        let mut z = l.b[j];
        for i in 0..x.len() {
            z += l.w[j][i] * x[i];
        }
        s += z.tanh();
    }
    s
}

#[grad]
fn weighted(gain: &[f64; 2], a: f64, b: f64) -> f64 {
    gain[0] * a + gain[1] * b * b
}

#[grad]
fn deep_loss(net: &Deep, x: &[f64]) -> f64 {
    let h = dense_sum(&net.hidden, x);
    let o = dense_sum(&net.head, x);
    let mut total = weighted(&net.gain, h, o);
    for k in 0..2 {
        total += 0.5 * dense_sum(&net.hidden, x) * k as f64;
    }
    total
}

fn deep() -> Deep {
    Deep {
        hidden: Dense {
            w: vec![vec![0.2, -0.4], vec![0.7, 0.1], vec![-0.3, 0.5]],
            b: vec![0.1, 0.0, -0.2],
        },
        head: Dense {
            w: vec![vec![1.1, -0.6]],
            b: vec![0.3],
        },
        gain: [0.8, -1.5],
    }
}

#[test]
fn fields_passed_whole_to_grad_functions() {
    let net = deep();
    let x = [0.4, -0.9];
    let (v, g, gx) = deep_loss_grad(&net, &x);
    assert_eq!(v, deep_loss(&net, &x));
    check_struct(|p| deep_loss(p, &x), &net, v, &g);
    let mut grad = vec![v];
    grad.extend(&gx);
    common::check(&|x| deep_loss(&net, x), &grad, &x);
    // `f_grad_into` overwrites a gradient full of garbage.
    let mut g2 = deep();
    g2.visit_mut(&mut |s| *s = f64::NAN);
    let mut gx2 = [f64::NAN; 2];
    assert_eq!(deep_loss_grad_into(&net, &x, &mut g2, &mut gx2), v);
    assert_eq!((g2, gx2.to_vec()), (g, gx));
}

/// An L2 penalty over a whole `Deep`, called with the struct itself.
#[grad]
fn penalty(net: &Deep) -> f64 {
    let mut s = net.gain[0] * net.gain[0] + net.gain[1] * net.gain[1];
    for j in 0..net.head.b.len() {
        s += net.head.b[j] * net.head.b[j];
    }
    s
}

#[grad]
fn regularized(net: &Deep, lambda: f64) -> f64 {
    lambda * penalty(net) + penalty(net)
}

/// The same by value: `&net` passes it.
#[grad]
fn regularized_owned(net: Deep, lambda: f64) -> f64 {
    lambda * penalty(&net) + net.gain[0]
}

impl Deep {
    #[grad(wrt(self))]
    fn objective(&self, x: &[f64]) -> f64 {
        dense_sum(&self.hidden, x) + 0.1 * penalty(self)
    }
}

#[test]
fn the_struct_itself_passed_whole() {
    let net = deep();
    let (v, g, gl) = regularized_grad(&net, 0.5);
    assert_eq!(v, regularized(&net, 0.5));
    assert_eq!(gl, penalty(&net));
    check_struct(|p| regularized(p, 0.5), &net, v, &g);
    let (v, g, _) = regularized_owned_grad(net.clone(), 0.5);
    assert_eq!(v, regularized_owned(net.clone(), 0.5));
    check_struct(|p| regularized_owned(p.clone(), 0.5), &net, v, &g);
    let x = [0.4, -0.9];
    let (v, g) = net.objective_grad(&x);
    assert_eq!(v, net.objective(&x));
    check_struct(|p: &Deep| p.objective(&x), &net, v, &g);
}

#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Pair {
    w: [f64; 2],
}

#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Scalar {
    a: f64,
}

/// A by-value struct with an array field (it must not be moved before its
/// fields are read).
#[grad]
fn by_value_array(p: Pair) -> f64 {
    p.w[0] * p.w[1]
}

/// A by-value struct left out of `wrt`, read in a loop.
#[grad(wrt(p))]
fn by_value_constant(p: Scalar, q: Scalar) -> f64 {
    let mut s = p.a;
    for _ in 0..2 {
        s *= q.a;
    }
    s
}

#[test]
fn by_value_structs_are_not_moved() {
    assert_eq!(by_value_array(Pair { w: [2.0, 3.0] }), 6.0);
    let (v, g) = by_value_array_grad(Pair { w: [2.0, 3.0] });
    assert_eq!((v, g), (6.0, Pair { w: [3.0, 2.0] }));
    let (v, g) = by_value_constant_grad(Scalar { a: 2.0 }, Scalar { a: 3.0 });
    assert_eq!(v, by_value_constant(Scalar { a: 2.0 }, Scalar { a: 3.0 }));
    assert_eq!((v, g), (18.0, Scalar { a: 9.0 }));
}

#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Grid {
    m: [[f64; 2]; 2],
    w: [f64; 3],
    k: usize,
}

/// Rows of a struct that `wrt` leaves out (a constant), and integer fields
/// known from integer literals and index arithmetic.
#[grad(wrt(p))]
fn rows_of_a_constant(p: &Grid, q: &Grid, x: &[f64]) -> f64 {
    let mut s = 0.0;
    for row in q.m {
        s += row[1] * p.w[0];
    }
    let r = &q.m[1];
    s += r[0] * p.m[0][1];
    if p.k > 2 {
        s += x[p.k - 1] * p.w[p.k % 3];
    }
    s
}

#[test]
fn constant_struct_rows_and_integer_fields() {
    let p = Grid {
        m: [[1.0, 2.0], [3.0, 4.0]],
        w: [0.5, -1.5, 2.5],
        k: 4,
    };
    let q = Grid {
        m: [[-1.0, 0.25], [0.75, 2.0]],
        w: [0.0; 3],
        k: 0,
    };
    let x = [1.0, 2.0, 3.0, 4.0];
    let (v, g) = rows_of_a_constant_grad(&p, &q, &x);
    assert_eq!(v, rows_of_a_constant(&p, &q, &x));
    check_struct(|p| rows_of_a_constant(p, &q, &x), &p, v, &g);
    assert_eq!(g.k, 4);
}
