//! Emit stage: Rust code from the checked items. Generated code names the runtime only
//! through `<crate>::__private`, where `<crate>` is `::stepcraft` or the `crate = "…"` path.

pub mod activity;
pub mod asl;
pub mod data;
pub mod error;
pub mod handler;
pub mod workflow;

use proc_macro2::TokenStream;
use quote::quote;

/// The path generated code reaches the runtime by.
pub fn crate_path(custom: Option<&syn::Path>) -> TokenStream {
    match custom {
        Some(path) => quote!(#path),
        None => quote!(::stepcraft),
    }
}
