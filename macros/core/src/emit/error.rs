//! Emits `impl stepcraft::Error` for a `#[derive(stepcraft::Error)]` type.

use crate::ast::ErrorType;
use proc_macro2::TokenStream;
use quote::quote;

/// The expansion of a checked error type.
pub fn emit_error(error: &ErrorType<'_>) -> TokenStream {
    let ident = &error.original.ident;
    let private = quote!(::stepcraft::__private);
    let names: Vec<&String> = error.names.iter().map(|n| &n.name).collect();
    let patterns: Vec<TokenStream> = error
        .names
        .iter()
        .map(|n| {
            let variant = n.ident;
            if error.is_enum { quote!(Self::#variant { .. }) } else { quote!(Self { .. }) }
        })
        .collect();
    let status = if error.names.iter().any(|n| n.status.is_some()) {
        let statuses = error.names.iter().map(|n| n.status.unwrap_or(500));
        Some(quote! {
            fn status(&self) -> u16 {
                match *self { #(#patterns => #statuses,)* }
            }
        })
    } else {
        None
    };
    let idents = error.names.iter().map(|n| n.ident.to_string());
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #private::Error for #ident {
                const NAMES: &'static [&'static str] = &[#(#names),*];

                fn name(&self) -> &'static str {
                    match *self { #(#patterns => #names,)* }
                }

                #status

                fn __name_of_variant(variant: &str) -> ::core::option::Option<&'static str> {
                    match variant {
                        #(#idents => ::core::option::Option::Some(#names),)*
                        _ => ::core::option::Option::None,
                    }
                }
            }
        };
    }
}
