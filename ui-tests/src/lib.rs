//! No code: this package holds the trybuild UI tests of `#[grad]`
//! (`tests/ui.rs`, cases in `tests/ui/<category>/<problem>.rs`), apart
//! from the root package so that trybuild's build of the cases compiles
//! `autodiff-core` alone, not the root package's dev-dependencies.
