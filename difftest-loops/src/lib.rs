//! Differential tests of `#[grad]` on control flow (see tests/).
