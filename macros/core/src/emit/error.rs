//! Emits `impl stepcraft::Error` for a `#[derive(stepcraft::Error)]` type.

use crate::ast::ErrorType;
use proc_macro2::TokenStream;
use quote::quote;

/// The expansion of a checked error type.
pub fn emit_error(error: &ErrorType<'_>) -> TokenStream {
    let ident = &error.original.ident;
    let private = quote!(::stepcraft::__private);
    let pattern = |variant: &syn::Ident, bind: bool| -> TokenStream {
        let inner = if bind {
            match error.names.iter().find(|n| n.ident == variant).map(|n| n.fields) {
                Some(syn::Fields::Named(named)) => {
                    let field = named.named.first().and_then(|f| f.ident.as_ref());
                    quote!({ #field: inner })
                }
                _ => quote!((inner)),
            }
        } else {
            quote!({ .. })
        };
        if error.is_enum { quote!(Self::#variant #inner) } else { quote!(Self #inner) }
    };
    let name_arms = error.names.iter().map(|n| {
        let pat = pattern(n.ident, n.transparent.is_some());
        match n.transparent {
            Some(_) => quote!(#pat => #private::Error::name(inner),),
            None => {
                let name = &n.name;
                quote!(#pat => #name,)
            }
        }
    });
    let status = if error.names.iter().any(|n| n.status.is_some() || n.transparent.is_some()) {
        let arms = error.names.iter().map(|n| {
            let pat = pattern(n.ident, n.transparent.is_some() && n.status.is_none());
            match (n.status, n.transparent) {
                (Some(status), _) => quote!(#pat => #status,),
                (None, Some(_)) => quote!(#pat => #private::Error::status(inner),),
                (None, None) => quote!(#pat => 500,),
            }
        });
        Some(quote! {
            fn status(&self) -> u16 {
                match self { #(#arms)* }
            }
        })
    } else {
        None
    };
    let names = error.names.iter().map(|n| match n.transparent {
        Some(ty) => quote!(names.extend(<#ty as #private::Error>::names());),
        None => {
            let name = &n.name;
            quote!(names.push(#name);)
        }
    });
    let variant_arms = error.names.iter().map(|n| {
        let ident = n.ident.to_string();
        match n.transparent {
            Some(ty) => quote!(#ident => <#ty as #private::Error>::names(),),
            None => {
                let name = &n.name;
                quote!(#ident => #private::std::vec![#name],)
            }
        }
    });
    let template_arms = error.names.iter().filter_map(|n| {
        let ident = n.ident.to_string();
        n.message.as_ref().map(|m| quote!(#ident => ::core::option::Option::Some(#m),))
    });
    // A failure named by Step Functions, and its re-raising, go through transparent variants.
    let transparent: Vec<_> = error.names.iter().filter_map(|n| n.transparent.map(|ty| (n, ty))).collect();
    let states = (!transparent.is_empty()).then(|| {
        let tries = transparent.iter().map(|(n, ty)| {
            let build = wrap(error, n, quote!(inner));
            quote! {
                if let ::core::option::Option::Some(inner) = <#ty as #private::Error>::__from_states(name, cause) {
                    return ::core::option::Option::Some(#build);
                }
            }
        });
        let arms = transparent.iter().map(|(n, ty)| {
            let pat = pattern(n.ident, true);
            let build = wrap(error, n, quote!(<#ty as #private::Error>::__reraised(inner)));
            quote!(#pat => #build,)
        });
        let rest = (transparent.len() < error.names.len()).then(|| quote!(other => other,));
        quote! {
            fn __from_states(name: &str, cause: &str) -> ::core::option::Option<Self> {
                #(#tries)*
                ::core::option::Option::None
            }

            fn __reraised(self) -> Self {
                match self {
                    #(#arms)*
                    #rest
                }
            }
        }
    });
    let name_body = if error.names.is_empty() { quote!(match *self {}) } else { quote!(match self { #(#name_arms)* }) };
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #private::Error for #ident {
                fn names() -> #private::std::vec::Vec<&'static str> {
                    let mut names = #private::std::vec::Vec::new();
                    #(#names)*
                    names
                }

                fn name(&self) -> &'static str {
                    #name_body
                }

                #status

                #states

                fn __names_of_variant(variant: &str) -> #private::std::vec::Vec<&'static str> {
                    match variant {
                        #(#variant_arms)*
                        _ => #private::std::vec::Vec::new(),
                    }
                }

                fn __message_template(variant: &str) -> ::core::option::Option<&'static str> {
                    match variant {
                        #(#template_arms)*
                        _ => ::core::option::Option::None,
                    }
                }
            }
        };
    }
}

/// The value of transparent variant `n` (of a struct: the struct) wrapping `inner`.
fn wrap(error: &ErrorType<'_>, n: &crate::ast::ErrorName<'_>, inner: TokenStream) -> TokenStream {
    let path = if error.is_enum {
        let variant = n.ident;
        quote!(Self::#variant)
    } else {
        quote!(Self)
    };
    match n.fields {
        syn::Fields::Named(named) => {
            let field = named.named.first().and_then(|f| f.ident.as_ref());
            quote!(#path { #field: #inner })
        }
        _ => quote!(#path(#inner)),
    }
}
