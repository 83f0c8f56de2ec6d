//! The argmin example (`examples/argmin_lbfgs.rs`): L-BFGS with
//! `rosenbrock_grad` and Newton's method with `rosenbrock4_hessian`, through
//! argmin's problem traits, reach the known minimum of the extended
//! Rosenbrock function (0, at every coordinate 1).

#[path = "../examples/common/argmin_problem.rs"]
mod argmin_problem;

use argmin_math::{ArgminDot, ArgminInv};
use argmin_problem::{Matrix, lbfgs, newton, rosenbrock, rosenbrock4};

/// The largest `|xᵢ - 1|`: the distance to the minimum.
fn distance_to_minimum(x: &[f64]) -> f64 {
    x.iter().map(|x| (x - 1.0).abs()).fold(0.0, f64::max)
}

#[test]
fn lbfgs_with_the_generated_gradient_reaches_the_minimum() {
    let start: Vec<f64> = (0..100)
        .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
        .collect();
    let run = lbfgs(start, 1e-10, 500).expect("argmin's L-BFGS runs");
    assert!(
        distance_to_minimum(&run.x) < 1e-8,
        "L-BFGS stopped at {:?}",
        run.x
    );
    assert!(rosenbrock(&run.x) < 1e-16);
    // It stopped on the gradient's tolerance, well before the cap.
    assert!(
        !run.path.is_empty() && run.path.len() < 200,
        "{} iterations",
        run.path.len()
    );
    // argmin counts from 0, one iterate per iteration.
    assert_eq!(
        run.path.last().map(|it| it.iter + 1),
        Some(run.path.len() as u64)
    );
}

#[test]
fn newton_with_the_generated_hessian_reaches_the_minimum_quadratically() {
    let run = newton([-1.2, 1.0, -1.2, 1.0], 12).expect("argmin's Newton method runs");
    assert!(distance_to_minimum(&run.x) < 1e-12, "{:?}", run.x);
    // Full Newton steps from the classic start reach the minimum to 1e-8 in
    // well under 12 steps (the 2-D path: 6 steps), and the error then
    // squares at each step.
    let errors: Vec<f64> = run
        .path
        .iter()
        .map(|it| distance_to_minimum(&it.x))
        .collect();
    let k = errors
        .iter()
        .position(|e| *e < 1e-8)
        .expect("a step within 1e-8 of the minimum");
    assert!(k < 8, "errors {errors:?}");
    assert!(errors[k - 1] < 1e-2 && errors[k] < 10.0 * errors[k - 1] * errors[k - 1]);
    let x: [f64; 4] = run.x.as_slice().try_into().expect("4 coordinates");
    assert!(rosenbrock4(x) < 1e-24);
}

#[test]
fn the_hessian_wrapper_inverts_and_multiplies() {
    // A symmetric positive definite matrix with a known inverse.
    let m = Matrix([[4.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 2.0]]);
    let inv = m.inv().expect("invertible");
    for (j, unit) in [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
        .iter()
        .enumerate()
    {
        // M · (M⁻¹ eⱼ) = eⱼ.
        let col: Vec<f64> = inv.0.iter().map(|row| row[j]).collect();
        let back = m.dot(&col);
        for i in 0..3 {
            assert!((back[i] - unit[i]).abs() < 1e-14, "{back:?}");
        }
    }
    // det = 4·5 - 1·2 = 18; (M⁻¹)₀₀ = (3·2 - 1·1) / 18.
    assert!((inv.0[0][0] - 5.0 / 18.0).abs() < 1e-15);
    // A zero pivot after elimination: singular.
    assert!(Matrix([[1.0, 2.0], [2.0, 4.0]]).inv().is_err());
}
