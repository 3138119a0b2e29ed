//! Shared helpers of stepcraft's own tests: a Lambda Runtime API server on loopback and a
//! handle on a function binary running against it.

pub mod asl;
pub mod function;
pub mod fuzz;
pub mod load;
pub mod runtime_api;

/// The README's Rust blocks, compiled (and run, unless marked `no_run`) as doctests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
