//! Shared helpers of stepcraft's own tests: a Lambda Runtime API server on loopback and a
//! handle on a function binary running against it.

pub mod asl;
pub mod function;
pub mod runtime_api;
