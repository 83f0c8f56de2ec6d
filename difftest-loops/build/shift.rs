//! The generator's log-sum-exp block (`reverse/shift.rs` in the macro): the
//! max of a slice, the sum of `exp(x[k] - m)`, and a value built from them
//! that either does not depend on the max (`m + t.ln()`, a softmax loss
//! `t.ln() - (x[0] - m)`: the macro leaves the max out of the sweep) or does
//! (`t.ln()`, `(m + t.ln()) * m`: the chain rule must go through the max).
//!
//! ```text
//! let mut m3 = x[0];
//! for k4 in 1..x.len() { m3 = m3.max(x[k4]); }
//! let mut t5 = 0.0;
//! for k6 in 0..x.len() { t5 += (x[k6] - m3).exp(); }
//! let r7 = m3 + t5.ln();
//! ```
//!
//! Drawn from a sixth random stream (`Gen::shift_rng`), so that the other
//! streams draw as before (what it declares can still change later choices).

use super::{E, Gen, S, VK};

impl Gen {
    fn with_shift_rng<T>(&mut self, f: impl FnOnce(&mut Gen) -> T) -> T {
        std::mem::swap(&mut self.rng, &mut self.shift_rng);
        let out = f(self);
        std::mem::swap(&mut self.rng, &mut self.shift_rng);
        out
    }

    /// Now and then, a log-sum-exp block over a visible slice.
    pub(super) fn log_sum_exp(&mut self) -> Vec<S> {
        if !self.ok("log_sum_exp") || self.in_closure {
            return Vec::new();
        }
        let slices = self.of_kind(|k| *k == VK::Slice);
        if slices.is_empty() {
            return Vec::new();
        }
        self.with_shift_rng(|g| {
            if !g.chance(3) {
                return Vec::new();
            }
            let s = g.pick(&slices);
            g.mark_used(s.id);
            let x = s.name.clone();
            let (m, t, k1, k2, r) = (
                g.fresh("m"),
                g.fresh("t"),
                g.fresh("k"),
                g.fresh("k"),
                g.fresh("r"),
            );
            // Declared where later statements cannot assign them.
            let m_id = g.declare(&m, VK::Scalar { assignable: false }, s.bound);
            let t_id = g.declare(&t, VK::Scalar { assignable: false }, 8.0);
            g.assigned.insert(m_id);
            g.assigned.insert(t_id);
            let at = |i: &str| E::Index(x.clone(), i.to_string());
            let var = |n: &str| E::Var(n.to_string());
            let mut out = vec![
                S::Let {
                    name: m.clone(),
                    id: m_id,
                    annot: false,
                    e: at("0"),
                },
                S::For {
                    label: None,
                    header: format!("for {k1} in 1..{x}.len()"),
                    body: vec![S::Assign {
                        target: m.clone(),
                        op: "=",
                        e: g.call("max", var(&m), vec![at(&k1)]),
                    }],
                },
                S::Let {
                    name: t.clone(),
                    id: t_id,
                    annot: false,
                    e: E::Lit(0.0),
                },
            ];
            let shifted = g.bin('-', at(&k2), var(&m));
            out.push(S::For {
                label: None,
                header: format!("for {k2} in 0..{x}.len()"),
                body: vec![S::Assign {
                    target: t.clone(),
                    op: "+=",
                    e: g.call("exp", shifted, vec![]),
                }],
            });
            // t is in [1, len]: its log in [0, 2].
            let ln = g.call("ln", var(&t), vec![]);
            let (e, bound) = match g.rng.u32(0..4) {
                0 => {
                    g.count("lse");
                    (g.bin('+', var(&m), ln), s.bound + 2.0)
                }
                1 => {
                    g.count("lse_softmax_loss");
                    let d = g.bin('-', at("0"), var(&m));
                    (g.bin('-', ln, d), 2.0 * s.bound + 2.0)
                }
                2 => {
                    g.count("lse_without_max");
                    (ln, 2.0)
                }
                _ => {
                    g.count("lse_times_max");
                    let lse = g.bin('+', var(&m), ln);
                    (g.bin('*', lse, var(&m)), (s.bound + 2.0) * s.bound)
                }
            };
            let id = g.declare(&r, VK::Scalar { assignable: true }, bound);
            out.push(S::Let {
                name: r,
                id,
                annot: false,
                e,
            });
            out
        })
    }
}
