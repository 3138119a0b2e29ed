//! Emit stage: Rust code from the checked items. Generated code names the runtime only
//! through `<crate>::__private`, where `<crate>` is `::stepcraft` or the `crate = "…"` path.

pub mod activity;
pub mod asl;
pub mod data;
pub mod error;
pub mod error_names;
pub mod handler;
pub mod workflow;

use proc_macro2::TokenStream;
use quote::quote;

/// `tokens` with every span set to `span`: rustc reports an unsatisfied bound at its path's
/// first token, so a bound meant to point at the user's tokens must be theirs throughout.
pub fn respan(tokens: TokenStream, span: proc_macro2::Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let proc_macro2::TokenTree::Group(group) = &token {
                let mut inner = proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                token = proc_macro2::TokenTree::Group(inner);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}

/// The path generated code reaches the runtime by.
pub fn crate_path(custom: Option<&syn::Path>) -> TokenStream {
    match custom {
        Some(path) => quote!(#path),
        None => quote!(::stepcraft),
    }
}

/// Whether `ty`, a type in the signature `sig`, can name an associated type of a stand-in impl
/// (`emit_unchecked`) without an error of its own: not generic, not `impl Trait` or `dyn`, no
/// borrow, no `_`, no `Self`.
pub fn is_plain_type(sig: &syn::Signature, ty: &syn::Type) -> bool {
    fn plain(tokens: TokenStream) -> bool {
        tokens.into_iter().all(|token| match token {
            proc_macro2::TokenTree::Group(group) => plain(group.stream()),
            proc_macro2::TokenTree::Ident(ident) => {
                !matches!(ident.to_string().as_str(), "impl" | "dyn" | "Self" | "_")
            }
            proc_macro2::TokenTree::Punct(punct) => punct.as_char() != '&',
            proc_macro2::TokenTree::Literal(_) => true,
        })
    }
    sig.generics.params.is_empty() && sig.generics.where_clause.is_none() && plain(quote!(#ty))
}

/// The function of a rejected item as its callers expect it: `async` (a missing `async` is
/// reported once, at the `fn` token; the calls in workflows then add nothing).
pub fn as_async(function: &syn::ItemFn) -> syn::ItemFn {
    let mut function = function.clone();
    if function.sig.asyncness.is_none() && function.sig.constness.is_none() {
        function.sig.asyncness = Some(syn::Token![async](function.sig.fn_token.span));
    }
    function
}
