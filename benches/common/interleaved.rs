//! Interleaved timing shared by `second_order.rs` and `jacobian.rs`: every
//! row is run in round-robin batches of about a millisecond, so a noisy
//! neighbour slows every row alike, and each row's median time per call is
//! kept.

use std::time::{Duration, Instant};

/// The median of `v` (sorted in place).
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Each row's median time per call in ns over `rounds` round-robin rounds.
pub fn medians(rows: &[&dyn Fn()], rounds: usize) -> Vec<f64> {
    // Calls per batch: about 1 ms each.
    let batch: Vec<u32> = rows
        .iter()
        .map(|run| {
            let start = Instant::now();
            let mut n = 0u32;
            while start.elapsed() < Duration::from_millis(20) {
                run();
                n += 1;
            }
            (n / 20).max(1)
        })
        .collect();
    let mut times = vec![Vec::with_capacity(rounds); rows.len()];
    for _ in 0..rounds {
        for (k, run) in rows.iter().enumerate() {
            let start = Instant::now();
            for _ in 0..batch[k] {
                run();
            }
            times[k].push(start.elapsed().as_secs_f64() * 1e9 / f64::from(batch[k]));
        }
    }
    times.iter_mut().map(|t| median(t)).collect()
}
