//! Emits, beside `impl stepcraft::Error` (`emit/error.rs`), the table of a
//! `#[derive(stepcraft::Error)]` type's stable names as a constant, so that the retry rules
//! naming errors by string are checked while rustc compiles the crate (`check_retry_name`).

use crate::ast::ErrorType;
use proc_macro2::TokenStream;
use quote::quote;

/// `impl ErrorNames` for a checked error type.
pub fn emit_error_names(error: &ErrorType<'_>) -> TokenStream {
    let ident = &error.original.ident;
    let ty = ident.to_string();
    let private = quote!(::stepcraft::__private);
    let variants = error.names.iter().filter(|_| error.is_enum).map(|n| n.ident.to_string());
    let own = error.names.iter().filter(|n| n.transparent.is_none()).map(|n| &n.name);
    let wrapped =
        error.names.iter().filter_map(|n| n.transparent).map(|ty| quote!(&<#ty as #private::ErrorNames>::NAMES));
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #private::ErrorNames for #ident {
                const NAMES: #private::NameTable = #private::NameTable {
                    ty: #ty,
                    variants: &[#(#variants),*],
                    own: &[#(#own),*],
                    wrapped: &[#(#wrapped),*],
                };
            }
        };
    }
}
