//! Emits an activity: the function unchanged, a type of the same name implementing
//! `Activity` (so the function can be hosted and called from workflows), its defaults, and the
//! compile-time checks of the errors its retry rules name. A rejected activity gets the same
//! type and impls, from its signature alone ([`emit_unchecked`]).

use crate::ast::Activity;
use crate::attr::ErrorRef;
use crate::ir::{Jitter, Retry, RetryError};
use crate::lower::lower_retry;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::Type;

/// The expansion of a checked `#[activity]`.
pub fn emit_activity(activity: &Activity<'_>) -> TokenStream {
    let (Some(input), Some((output, error))) = (activity.input, activity.output) else {
        unreachable!("checked by the parse stage")
    };
    let error_ty = quote!(#error);
    let krate = super::crate_path(activity.attrs.krate.as_ref());
    let private = quote!(#krate::__private);
    let rules: Vec<Retry> = activity.attrs.retry.iter().map(lower_retry).collect();
    let retry = rules.iter().map(|rule| emit_retrier(&private, rule, &error_ty)).collect();
    let mut checks: Vec<TokenStream> =
        activity.attrs.retry.iter().flat_map(|r| &r.errors).filter_map(|e| variant_check(e, error)).collect();
    let owner = RetryOwner { error: &error_ty, lambda: quote!(true), name: &activity.original.sig.ident.to_string() };
    checks.extend(name_checks(&private, &rules, &owner));
    expand(
        activity,
        Types { input: quote!(#input), output: quote!(#output), error: error_ty },
        Parts { retry, checks, checked: true, function: None },
    )
}

/// The expansion of an `#[activity]` that did not compile, for rustc and IDEs to go on with:
/// the function as written (made `async` if it is not: that mistake is reported once),
/// followed by the type and impls a checked activity has, from what the signature says (`()`
/// where it says nothing usable), so that `stepcraft::main!` and the workflows calling it add
/// no errors of their own. No retry rule is applied; the impls never run, as the crate does
/// not compile.
pub fn emit_unchecked(activity: &Activity<'_>) -> TokenStream {
    let sig = &activity.original.sig;
    // A method sits in an `impl` block, where no type can be declared: the function alone.
    if sig.receiver().is_some() {
        let item = activity.original;
        return quote!(#item);
    }
    let usable = |ty: &syn::Type| super::is_plain_type(sig, ty).then(|| quote!(#ty));
    let types = Types {
        input: activity.input.and_then(usable).unwrap_or_else(|| quote!(())),
        output: activity.output.and_then(|(t, _)| usable(t)).unwrap_or_else(|| quote!(())),
        error: activity.output.and_then(|(_, e)| usable(e)).unwrap_or_else(|| quote!(::core::convert::Infallible)),
    };
    let function = super::as_async(activity.original);
    expand(activity, types, Parts { retry: Vec::new(), checks: Vec::new(), checked: false, function: Some(function) })
}

/// The types an activity's impls name.
struct Types {
    input: TokenStream,
    output: TokenStream,
    error: TokenStream,
}

/// What a checked activity has and an unchecked one does not.
struct Parts {
    /// The retriers of `Activity::config`.
    retry: Vec<TokenStream>,
    /// Checks that the names in `retry(errors = [..])` exist.
    checks: Vec<TokenStream>,
    /// Whether `Activity::run` calls the function (else it is a future that never ends).
    checked: bool,
    /// The function to emit in place of the user's.
    function: Option<syn::ItemFn>,
}

fn expand(activity: &Activity<'_>, types: Types, parts: Parts) -> TokenStream {
    let krate = super::crate_path(activity.attrs.krate.as_ref());
    let private = quote!(#krate::__private);
    let item = parts.function.as_ref().unwrap_or(activity.original);
    let vis = &item.vis;
    let ident = &item.sig.ident;
    let name = activity.name();
    let Types { input, output, error } = &types;
    let Parts { retry, checks: variant_checks, checked, .. } = parts;
    // The one bound rustc checks the error type against: a type that is not a
    // `stepcraft::Error` is one error, not one per impl naming it. (Spanned at the attribute:
    // with the error type's span, the obligations of the two impls are reported apart.)
    let checked_error = quote!(<#error as #private::ErrorType>::Type);
    let doc = format!("The activity [`{ident}`](fn@{ident}): what `stepcraft::main!` hosts and workflows call.");
    let timeout = option(activity.attrs.timeout.as_ref().map(|t| t.value));
    let heartbeat = option(activity.attrs.heartbeat.as_ref().map(|t| t.value));
    let memory = option(activity.attrs.memory);
    // A callback task's timeout is the wait for the token; its function returns at once.
    let function_timeout = if activity.attrs.callback.is_some() { option(None) } else { timeout.clone() };
    // A callback activity receives `{"input": …, "taskToken": …}`; its task waits for the
    // callback, whose result has the type `callback = …` names.
    let (lambda_input, run, step) = match &activity.attrs.callback {
        None => (
            quote!(#input),
            quote_spanned!(ident.span()=> #ident(input)),
            quote! {
                type Input = #input;
                type Output = #output;
                type Error = #checked_error;
                const CHILD_WORKFLOW: bool = false;

                fn task(payload: #private::serde_json::Value) -> #private::asl::Task {
                    #private::activity_task::<Self>(payload)
                }

                fn result() -> #private::serde_json::Value {
                    #private::expr::payload_result::<#private::expr::Any>().template()
                }
            },
        ),
        Some(result) => (
            quote!(#private::CallbackInput<#input>),
            quote_spanned!(ident.span()=> #ident(input.input, input.task_token)),
            quote! {
                type Input = #input;
                type Output = #result;
                type Error = #private::CallbackError;
                const CHILD_WORKFLOW: bool = false;

                fn task(payload: #private::serde_json::Value) -> #private::asl::Task {
                    #private::callback_task::<Self>(payload)
                }

                fn result() -> #private::serde_json::Value {
                    #private::expr::task_result::<#private::expr::Any>().template()
                }
            },
        ),
    };
    let run = if checked {
        run
    } else {
        quote!({
            let _ = input;
            ::core::future::pending()
        })
    };
    let callback_impl = activity.attrs.callback.as_ref().map(|_| {
        quote! {
            impl #private::CallbackActivity for #ident {
                type Request = #input;
            }
        }
    });
    quote! {
        #item

        #[doc = #doc]
        #[allow(non_camel_case_types)]
        #vis struct #ident {}

        const _: () = {
            impl #private::Activity for #ident {
                type Input = #lambda_input;
                type Output = #output;
                type Error = #checked_error;
                const NAME: &'static str = #name;
                const SPEC: #private::FunctionSpec = #private::FunctionSpec {
                    memory: #memory,
                    timeout: #function_timeout,
                    trigger: ::core::option::Option::None,
                };

                fn config() -> #private::ActivityConfig {
                    #private::ActivityConfig {
                        timeout_seconds: #timeout,
                        heartbeat_seconds: #heartbeat,
                        retry: #private::std::vec![#(#retry),*],
                    }
                }

                fn run(input: #lambda_input) -> impl #private::core::future::Future<
                    Output = #private::core::result::Result<#output, #error>,
                > + ::core::marker::Send {
                    #run
                }
            }

            impl #private::Host for #ident {
                fn entry() -> #private::Entry {
                    #private::Entry::activity::<Self>()
                }
            }

            #[diagnostic::do_not_recommend]
            impl #private::ExpressStep for #ident {}

            impl #private::Step for #ident {
                #step
            }

            impl #private::RetryErrors for #ident {
                type Error = #error;
            }

            #callback_impl

            #(#variant_checks)*
        };

        impl #ident {
            /// An activity calls nothing: `stepcraft::main!` has nothing to check.
            #[doc(hidden)]
            #[allow(dead_code)]
            pub fn __stepcraft_calls<__M>() {}
        }
    }
}

/// `Some(value as u32)` or `None`.
pub fn option(value: Option<u64>) -> TokenStream {
    match value {
        Some(v) => {
            let v = v as u32;
            quote!(::core::option::Option::Some(#v))
        }
        None => quote!(::core::option::Option::None),
    }
}

/// A retrier, with variant names resolved through `error`'s `stepcraft::Error` impl.
pub fn emit_retrier(private: &TokenStream, rule: &Retry, error: &TokenStream) -> TokenStream {
    let names = rule.errors.iter().map(|e| match e {
        RetryError::Name(s, _) | RetryError::Other(s) => quote!(names.push(#private::std::string::String::from(#s));),
        RetryError::Variant(v) => {
            let variant = v.to_string();
            quote!(names.extend(#private::error_names::<#error>(#variant));)
        }
    });
    let mut settings = Vec::new();
    if let Some(v) = rule.interval_seconds {
        settings.push(quote!(rule.interval_seconds = ::core::option::Option::Some(#v);));
    }
    if let Some(v) = rule.max_attempts {
        settings.push(quote!(rule.max_attempts = ::core::option::Option::Some(#v);));
    }
    if let Some(v) = rule.backoff_rate {
        settings.push(quote!(rule.backoff_rate = ::core::option::Option::Some(#v);));
    }
    if let Some(v) = rule.max_delay_seconds {
        settings.push(quote!(rule.max_delay_seconds = ::core::option::Option::Some(#v);));
    }
    if let Some(jitter) = rule.jitter {
        let jitter = match jitter {
            Jitter::Full => quote!(Full),
            Jitter::None => quote!(None),
        };
        settings.push(quote!(rule.jitter_strategy = ::core::option::Option::Some(#private::Jitter::#jitter);));
    }
    let binding = if settings.is_empty() { quote!(rule) } else { quote!(mut rule) };
    quote! {{
        let mut names = #private::std::vec::Vec::new();
        #(#names)*
        let #binding = #private::Retrier::new(names);
        #(#settings)*
        rule
    }}
}

/// Whose errors a retry rule names, for the compile-time checks of its strings.
pub struct RetryOwner<'a> {
    /// The error type the called function fails with.
    pub error: &'a TokenStream,
    /// A `bool` constant expression: whether the call is a Lambda task (which may also fail
    /// with the glue's and Lambda's errors).
    pub lambda: TokenStream,
    /// The called function, as the message names it.
    pub name: &'a str,
}

/// A `const` item per error name a rule writes as a string, failing the compilation at the
/// string when the called function cannot fail with that name (`check_retry_name`).
pub fn name_checks(private: &TokenStream, rules: &[Retry], owner: &RetryOwner<'_>) -> Vec<TokenStream> {
    let RetryOwner { error, lambda, name } = owner;
    rules
        .iter()
        .flat_map(|rule| &rule.errors)
        .filter_map(|e| match e {
            // Step Functions' own names are checked when the attribute is read.
            RetryError::Name(s, span) if !s.starts_with("States.") => Some(super::respan(
                quote! {
                    const _: () = #private::check_retry_name(
                        &<#error as #private::ErrorNames>::NAMES, #lambda, #name, #s,
                    );
                },
                *span,
            )),
            _ => None,
        })
        .collect()
}

/// A check, spanned at the user's identifier, that a retried variant exists on the error enum.
fn variant_check(error_ref: &ErrorRef, error: &Type) -> Option<TokenStream> {
    let ErrorRef::Variant(variant) = error_ref else { return None };
    let Type::Path(path) = error else { return None };
    let path = &path.path;
    Some(quote_spanned! {variant.span()=>
        #[allow(unreachable_patterns, clippy::all)]
        const _: fn(&#error) -> bool = |error| ::core::matches!(error, #path::#variant { .. });
    })
}
