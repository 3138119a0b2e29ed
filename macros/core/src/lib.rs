//! The stepcraft compiler, a plain library behind the proc-macro shims of `stepcraft-macros`.
//!
//! Each attribute goes through the same stages, in this order:
//!
//! 1. **parse** (`attr`, `ast`, `body`): syn items into `Activity`, `Handler`, `Workflow` and a
//!    workflow's body of flows over expressions;
//! 2. **check** (`check`): the rules that need a whole item;
//! 3. **lower** (`lower` → `ir`): a workflow's body into a state graph with plain values;
//! 4. **emit** (`emit`): Rust glue, and for a workflow the code that builds the runtime's ASL
//!    model from the graph.
//!
//! `limits` and `naming` hold facts several stages read. Errors are collected in a
//! [`ctxt::Ctxt`] so every mistake of an item is reported at once; on error the user's item is
//! emitted unchanged with the type and impls the attribute would have added (from the
//! signature alone), followed by the errors, so that no use of the item adds errors of its own.

#![allow(missing_debug_implementations)]
// The compiler's trees live for one expansion; boxing their large variants buys nothing.
#![allow(clippy::large_enum_variant)]

pub mod ctxt;
pub mod limits;
pub mod naming;
pub mod symbol;

pub mod ast;
pub mod attr;
pub mod body;

pub mod check;

pub mod ir;
pub mod lower;

pub mod emit;

use ctxt::{Ctxt, item_with_errors};
use proc_macro2::TokenStream;

/// Expands `#[activity(args)] item`.
pub fn expand_activity(args: TokenStream, item: TokenStream) -> TokenStream {
    let function: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(_) => return not_a_function(item, "#[activity]"),
    };
    let cx = Ctxt::new();
    let attrs = attr::ActivityAttrs::from_syn(&cx, args);
    let activity = ast::Activity::from_syn(&cx, attrs, &function);
    match cx.check() {
        Ok(()) => emit::activity::emit_activity(&activity),
        Err(error) => item_with_errors(emit::activity::emit_unchecked(&activity), error),
    }
}

/// Expands `#[handler(args)] item`.
pub fn expand_handler(args: TokenStream, item: TokenStream) -> TokenStream {
    let function: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(_) => return not_a_function(item, "#[handler]"),
    };
    let cx = Ctxt::new();
    let attrs = attr::HandlerAttrs::from_syn(&cx, args);
    let handler = ast::Handler::from_syn(&cx, attrs, &function);
    let entry_point = check::check_one_handler_per_binary(&cx, &handler);
    match cx.check() {
        Ok(()) => emit::handler::emit_handler(&handler),
        Err(error) => {
            let mut tokens = item_with_errors(item, error);
            // The binary's `main` stands in for the one the handler would have generated, so
            // that rustc does not add "`main` function not found" to the real errors.
            if entry_point {
                tokens.extend(quote::quote!(
                    fn main() {}
                ));
            }
            tokens
        }
    }
}

/// Expands `#[workflow(args)] item`.
pub fn expand_workflow(args: TokenStream, item: TokenStream) -> TokenStream {
    let function: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(_) => return not_a_function(item, "#[workflow]"),
    };
    let cx = Ctxt::new();
    let attrs = attr::WorkflowAttrs::from_syn(&cx, args);
    let workflow = ast::Workflow::from_syn(&cx, attrs, &function);
    // Lowering needs a well-formed body; with errors already, stop here so that every error
    // the user sees is about their own code.
    if cx.has_errors() {
        let error = cx.check().expect_err("has errors");
        return item_with_errors(emit::workflow::emit_unchecked(&workflow), error);
    }
    check::check_workflow(&cx, &workflow);
    let graph = lower::lower_workflow(&cx, &workflow);
    match cx.check() {
        Ok(()) => emit::workflow::emit_workflow(&workflow, &graph),
        Err(error) => item_with_errors(emit::workflow::emit_unchecked(&workflow), error),
    }
}

/// Expands `#[derive(stepcraft::Data)]`.
pub fn expand_data(item: TokenStream) -> TokenStream {
    let input: syn::DeriveInput = match syn::parse2(item) {
        Ok(input) => input,
        Err(error) => return error.into_compile_error(),
    };
    emit::data::expand_data(&input).unwrap_or_else(syn::Error::into_compile_error)
}

/// Expands `#[derive(stepcraft::Error)]`.
pub fn expand_error(item: TokenStream) -> TokenStream {
    let input: syn::DeriveInput = match syn::parse2(item) {
        Ok(input) => input,
        Err(error) => return error.into_compile_error(),
    };
    let cx = Ctxt::new();
    let error = ast::ErrorType::from_syn(&cx, &input);
    match cx.check() {
        Ok(()) => {
            let mut tokens = emit::error::emit_error(&error);
            tokens.extend(emit::error_names::emit_error_names(&error));
            tokens
        }
        Err(error) => {
            let mut tokens = error.into_compile_error();
            tokens.extend(emit::error_names::emit_unchecked(&input));
            tokens
        }
    }
}

fn not_a_function(item: TokenStream, attr: &str) -> TokenStream {
    let error = syn::Error::new(
        proc_macro2::Span::call_site(),
        format!(
            "`{attr}` goes on an `async fn`, e.g. `{attr} async fn charge(order: Order) -> Result<Receipt, PaymentError>`"
        ),
    );
    item_with_errors(item, error)
}

#[cfg(test)]
mod tests {
    use quote::quote;

    #[test]
    fn a_rejected_activity_keeps_its_type_and_impls() {
        let tokens = super::expand_activity(
            quote!(timeout = "10 seconds"),
            quote!(
                async fn charge(order: Order) -> Result<u64, ShopError> {
                    Ok(order.total)
                }
            ),
        )
        .to_string();
        assert!(tokens.contains("compile_error"), "{tokens}");
        assert!(tokens.contains("struct charge"), "{tokens}");
        for item in ["Activity for charge", "Step for charge", "Host for charge", "RetryErrors for charge"] {
            assert!(tokens.contains(item), "{item}: {tokens}");
        }
        assert!(tokens.contains("type Input = Order"), "{tokens}");
        assert!(tokens.contains("pending"), "the stand-in `run` does not call the function: {tokens}");
    }

    #[test]
    fn a_rejected_workflow_keeps_its_type_for_main() {
        let tokens = super::expand_workflow(
            quote!(),
            quote!(
                async fn checkout(order: Order, extra: u64) -> Result<u64, ShopError> {
                    Ok(extra)
                }
            ),
        )
        .to_string();
        assert_eq!(tokens.matches("compile_error").count(), 1, "{tokens}");
        assert!(tokens.contains("Workflow for checkout"), "{tokens}");
        assert!(tokens.contains("fn __stepcraft_calls < __M > ()"), "{tokens}");
    }

    #[test]
    fn a_rejected_method_is_emitted_alone() {
        let tokens = super::expand_activity(
            quote!(),
            quote!(
                async fn charge(&self, order: Order) -> Result<u64, ShopError> {
                    Ok(order.total)
                }
            ),
        )
        .to_string();
        assert!(!tokens.contains("struct charge"), "an `impl` block cannot hold a struct: {tokens}");
    }
}
