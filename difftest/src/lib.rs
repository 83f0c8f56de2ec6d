//! Differential tests of `#[grad]` (see tests/).
