//! What the two differential tests of `#[grad]`, `difftest/` (straight-line
//! code over the whole op set) and `difftest-loops/` (branches, loops,
//! arrays), share.
//!
//! Their build scripts use it (as a build dependency, without features) to
//! read their settings from the environment and write the shards
//! ([`settings`]), to count and write coverage ([`coverage`]), and to take
//! the op list ([`ops`]); their libraries and tests use it (with the feature
//! `num-dual`) to compare values ([`compare`]), collect and assert on a
//! [`Report`] ([`report`], [`Run`]), to define each test binary's tests
//! ([`shard_tests!`]), and for the oracles' access to dual numbers (`dual`).

pub mod compare;
pub mod coverage;
#[cfg(feature = "num-dual")]
pub mod dual;
/// The op list of the generators: [`METHODS`](ops::METHODS), every float
/// method they emit, and [`NOT_GENERATED`](ops::NOT_GENERATED), the float
/// methods of the macro's rules table they leave out and why.
///
/// `src/ops.rs` holds only these two constants, one entry a line, so that it
/// can be `include!`d or read as text (a test of the macro crate checks
/// that every method of the rules table is in one of them); `difftest`'s
/// generator takes its op list from `METHODS`, so adding a name there is
/// what adds the op to the generated functions.
///
/// ```
/// use autodiff_difftest_harness::ops::{METHODS, NOT_GENERATED};
///
/// assert!(METHODS.contains(&"ln_1p"));
/// assert!(NOT_GENERATED.iter().all(|(m, _)| !METHODS.contains(m)));
/// ```
pub mod ops;
pub mod report;
pub mod settings;
pub mod shard;

pub use compare::{close, richardson, scaled_error};
pub use coverage::Coverage;
pub use report::Report;
pub use settings::{Config, Run, Settings, parse_seed};
