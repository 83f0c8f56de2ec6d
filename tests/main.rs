//! The integration tests of the workspace's root package, one test binary
//! with a module per subject (linked once, as rust-analyzer's tests are:
//! every extra binary of a workspace is another link and another copy of
//! the dependencies in the build). `cargo test --test integration` runs
//! them alone, `cargo test --test integration loops::` one module.
//!
//! The compile errors (trybuild) live in `ui-tests/`, a crate whose only
//! dependency is `autodiff-core`, so that trybuild's own build of each case
//! does not rebuild this package's dev-dependencies.

mod common;

mod argmin_example;
mod circuit_view;
mod circuits;
mod composition;
mod constructs_calls;
mod constructs_control;
mod constructs_data;
mod differentiable;
mod everyday;
mod examples_models;
mod generic_floats;
mod higher_order;
mod higher_order_calls;
mod hygiene;
mod literals_and_names;
mod loops;
/// Public, so that `missing_docs` sees its items as a user's crate would.
pub mod no_warnings;
mod ops;
mod shift_invariance;
mod struct_params;
mod syntax;
mod vector_outputs;
