//! The `stepcraft` command as a library: `build` (a package of annotated Rust to a deployable
//! bundle). The binary (`src/main.rs`) parses the command line and calls in here; tests call
//! in directly.

pub mod build;
