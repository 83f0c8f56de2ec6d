pub use autodiff_macro::grad;
