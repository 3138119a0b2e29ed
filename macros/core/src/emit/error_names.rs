//! Emits, beside `impl stepcraft::Error` (`emit/error.rs`), the table of a
//! `#[derive(stepcraft::Error)]` type's stable names as a constant, so that the retry rules
//! naming errors by string are checked while rustc compiles the crate (`check_retry_name`);
//! and, for a derive that was rejected, the impls that stand in for the real ones.

use crate::ast::ErrorType;
use proc_macro2::TokenStream;
use quote::quote;

/// The impls of an error type whose derive was rejected, for rustc to go on with: without
/// them every activity and workflow failing with the type would add "is not a stepcraft error"
/// to the errors of the derive. They name nothing; the crate does not compile.
pub fn emit_unchecked(input: &syn::DeriveInput) -> TokenStream {
    if !input.generics.params.is_empty() || matches!(input.data, syn::Data::Union(_)) {
        return TokenStream::new();
    }
    let ident = &input.ident;
    let private = quote!(::stepcraft::__private);
    quote! {
        const _: () = {
            impl #private::Error for #ident {
                fn names() -> #private::std::vec::Vec<&'static str> {
                    #private::std::vec::Vec::new()
                }

                fn name(&self) -> &'static str {
                    ""
                }

                fn __names_of_variant(_: &str) -> #private::std::vec::Vec<&'static str> {
                    #private::std::vec::Vec::new()
                }
            }

            impl #private::ErrorNames for #ident {
                const NAMES: #private::NameTable = #private::NameTable::NONE;
            }
        };
    }
}

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
