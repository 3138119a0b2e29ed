//! Emits a handler: the function unchanged, a hidden type implementing `Handler`, and the
//! binary's `main`.

use crate::ast::{ContextArg, ExtraArg, Handler};
use crate::attr::{CorsAttr, HandlerKind};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};

/// The expansion of a checked `#[handler]`.
pub fn emit_handler(handler: &Handler<'_>) -> TokenStream {
    let krate = super::crate_path(handler.attrs.krate.as_ref());
    let private = quote!(#krate::__private);
    let item = handler.original;
    let ident = &item.sig.ident;
    let name = ident.to_string();
    let (Some(event), Some((output, error))) = (handler.event, handler.output) else {
        unreachable!("checked by the parse stage")
    };
    let marker = format_ident!("__stepcraft_handler_{}", ident);
    let state = match handler.state {
        Some(state) => quote!(#state),
        None => quote!(()),
    };
    let init = match &handler.attrs.init {
        Some(init) => {
            quote_spanned! {init.segments.last().map(|s| s.ident.span()).unwrap_or_else(proc_macro2::Span::call_site)=>
                async {
                    #init().await.map_err(|error| #private::FunctionError::new(
                        "Runtime.InitError",
                        #private::std::string::ToString::to_string(&error),
                    ))
                }
            }
        }
        None => quote!(async { ::core::result::Result::Ok(()) }),
    };
    let args = handler.extra_args.iter().map(|arg| match arg {
        ExtraArg::State => quote!(state),
        ExtraArg::Context if handler.context == Some(ContextArg::Borrowed) => quote!(&context),
        ExtraArg::Context => quote!(::core::clone::Clone::clone(&context)),
    });
    let call = quote_spanned!(ident.span()=> #ident(event, #(#args),*).await);
    let (entry, http_impl) = match &handler.attrs.kind {
        HandlerKind::Json => (quote!(json), None),
        HandlerKind::Sqs => (quote!(sqs), None),
        HandlerKind::Http { cors } => {
            let cors = match cors {
                Some(cors) => {
                    let cors = emit_cors(&private, cors);
                    quote!(::core::option::Option::Some(#cors))
                }
                None => quote!(::core::option::Option::None),
            };
            (
                quote!(http),
                Some(quote! {
                    impl #private::HttpHandler for #marker {
                        const CORS: ::core::option::Option<#private::Cors> = #cors;
                    }
                }),
            )
        }
    };
    let doc = format!("The `main` of the Lambda function [`{ident}`](fn@{ident}).");
    quote! {
        #item

        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        struct #marker;

        const _: () = {
            impl #private::Handler for #marker {
                const NAME: &'static str = #name;
                type State = #state;
                type Event = #event;
                type Output = #output;
                type Error = #error;

                fn init() -> impl #private::core::future::Future<
                    Output = #private::core::result::Result<#state, #private::FunctionError>,
                > {
                    #init
                }

                fn call(
                    event: #event,
                    state: &'static #state,
                    context: #private::Context,
                ) -> impl #private::core::future::Future<
                    Output = #private::core::result::Result<#output, #error>,
                > + ::core::marker::Send {
                    let _ = &state;
                    async move { #call }
                }
            }
            #http_impl
        };

        #[doc = #doc]
        fn main() -> #private::std::process::ExitCode {
            #private::main(&[#private::Entry::#entry::<#marker>()])
        }
    }
}

fn emit_cors(private: &TokenStream, cors: &CorsAttr) -> TokenStream {
    let origins = &cors.origins;
    let methods: Vec<&String> = cors.methods.iter().collect();
    let methods = if methods.is_empty() { quote!(#private::Cors::DEFAULT_METHODS) } else { quote!(&[#(#methods),*]) };
    let headers = if cors.headers.is_empty() {
        quote!(#private::Cors::DEFAULT_HEADERS)
    } else {
        let headers = &cors.headers;
        quote!(&[#(#headers),*])
    };
    let expose = &cors.expose;
    let max_age = match cors.max_age {
        Some(v) => {
            let v = v as u32;
            quote!(::core::option::Option::Some(#v))
        }
        None => quote!(::core::option::Option::None),
    };
    let credentials = cors.credentials;
    quote! {
        #private::Cors {
            origins: &[#(#origins),*],
            methods: #methods,
            headers: #headers,
            expose: &[#(#expose),*],
            max_age: #max_age,
            credentials: #credentials,
        }
    }
}
