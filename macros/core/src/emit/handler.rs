//! Emits a handler: the function unchanged, a hidden type implementing `Handler`, and the
//! binary's `main`.

use crate::ast::{ContextArg, ExtraArg, Handler};
use crate::attr::{CorsAttr, HandlerKind};
use crate::emit::activity::option;
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
        HandlerKind::Json | HandlerKind::S3(_) | HandlerKind::EventBridge(_) => (quote!(json), None),
        HandlerKind::Sqs(_) => (quote!(sqs), None),
        HandlerKind::Http { cors, .. } => {
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
    let spec = emit_spec(&private, handler, &marker);
    // S3 and EventBridge invoke the function with their own envelopes: say so at the event type.
    let event_check = match &handler.attrs.kind {
        HandlerKind::S3(_) => Some(quote!(S3Notification)),
        HandlerKind::EventBridge(_) => Some(quote!(EventBridgeNotification)),
        _ => None,
    }
    .map(
        |marker| quote_spanned!(syn::spanned::Spanned::span(event)=> const _: () = <#event as #private::#marker>::IS;),
    );
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
                const SPEC: #private::FunctionSpec = #spec;

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

                fn event_schema() -> ::core::option::Option<#private::schemars::Schema> {
                    use #private::{BodySchema as _, NoSchema as _, TypeSchema as _};
                    (&&&#private::SchemaOf::<#event>::new()).schema()
                }

                fn output_schema() -> ::core::option::Option<#private::schemars::Schema> {
                    use #private::{BodySchema as _, NoSchema as _, TypeSchema as _};
                    (&&&#private::SchemaOf::<#output>::new()).schema()
                }
            }
            #http_impl
            #event_check
        };

        #[doc = #doc]
        fn main() -> #private::std::process::ExitCode {
            #private::main(&[#private::Entry::#entry::<#marker>()])
        }
    }
}

/// The handler's `FunctionSpec`: memory, timeout and trigger, as the attribute declares them.
fn emit_spec(private: &TokenStream, handler: &Handler<'_>, marker: &syn::Ident) -> TokenStream {
    let strs = |values: &[String]| quote!(&[#(#values),*]);
    let some_str = |value: &Option<String>| match value {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    };
    let trigger = match &handler.attrs.kind {
        HandlerKind::Json => None,
        HandlerKind::Http { url, .. } => {
            let api = if *url { quote!(FunctionUrl) } else { quote!(HttpApi) };
            Some(quote!(Http {
                api: #private::HttpApi::#api,
                cors: <#marker as #private::HttpHandler>::CORS,
            }))
        }
        HandlerKind::Sqs(sqs) => {
            let batch_size = sqs.batch_size as u32;
            let window = option(sqs.window);
            let fifo = sqs.fifo;
            let max_receive = sqs.max_receive as u32;
            Some(quote!(Sqs { batch_size: #batch_size, window: #window, fifo: #fifo, max_receive: #max_receive }))
        }
        HandlerKind::S3(s3) => {
            let events = strs(&s3.events);
            let (prefix, suffix) = (some_str(&s3.prefix), some_str(&s3.suffix));
            Some(quote!(S3 { events: #events, prefix: #prefix, suffix: #suffix }))
        }
        HandlerKind::EventBridge(rule) => {
            let (source, detail_type) = (strs(&rule.source), strs(&rule.detail_type));
            Some(quote!(EventBridge { pattern: #private::EventPattern { source: #source, detail_type: #detail_type } }))
        }
    };
    let trigger = match trigger {
        Some(trigger) => quote!(::core::option::Option::Some(#private::Trigger::#trigger)),
        None => quote!(::core::option::Option::None),
    };
    let memory = option(handler.attrs.memory);
    let timeout = option(handler.attrs.timeout);
    quote!(#private::FunctionSpec { memory: #memory, timeout: #timeout, trigger: #trigger })
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
