//! Emits a workflow: the function as written (minus stepcraft's statement attributes), a type
//! of the same name implementing `Workflow` and `Step`, and its state machine's builder.

use crate::ast::Workflow;
use crate::ir::Graph;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::visit_mut::VisitMut;

/// The expansion of a checked, lowered `#[workflow]`.
pub fn emit_workflow(workflow: &Workflow<'_>, graph: &Graph) -> TokenStream {
    let krate = super::crate_path(workflow.attrs.krate.as_ref());
    let private = quote!(#krate::__private);
    let mut item = workflow.original.clone();
    let (Some(input), Some((output, error))) = (workflow.input, workflow.output) else {
        unreachable!("checked by the parse stage")
    };
    Native { error: Some(error) }.visit_item_fn_mut(&mut item);
    let vis = &item.vis;
    let ident = &item.sig.ident;
    let name = workflow.name();
    let steps = super::asl::steps_module(ident);
    let steps_module = super::asl::emit_steps_module(graph, &workflow.body.vars, &steps);
    let definition = super::asl::emit_definition(
        graph,
        &workflow.body.vars,
        &private,
        &steps,
        workflow.attrs.timeout.as_ref().map(|t| t.value),
        workflow.attrs.comment.as_deref(),
    );
    let doc = format!("The workflow [`{ident}`](fn@{ident}): its state machine `{name}`.");
    let run = quote_spanned!(ident.span()=> #ident(input));
    let callees = super::asl::callees(graph, &steps);
    // `stepcraft::main!` proves, with this function, that its binary hosts every function the
    // workflow calls; each bound is at the call, which rustc shows as the reason.
    let hosted = callees.iter().map(|(path, callee)| {
        let span = syn::spanned::Spanned::span(path);
        super::respan(quote!(__M: #private::Hosts<#callee>), span)
    });
    let express = workflow.attrs.express.is_some();
    // Express state machines cannot run `.sync` integrations, so they cannot wait for a child
    // execution (https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html).
    let express_checks = callees.iter().filter(|_| express).map(|(path, callee)| {
        let span = syn::spanned::Spanned::span(path);
        quote_spanned!(span=> const _: () = <#callee as #private::ExpressStep>::IS;)
    });
    quote! {
        #item

        #[doc = #doc]
        #[allow(non_camel_case_types)]
        #vis struct #ident {}

        #steps_module

        const _: () = {
            impl #private::Workflow for #ident {
                type Input = #input;
                type Output = #output;
                type Error = #error;
                const NAME: &'static str = #name;
                const EXPRESS: bool = #express;

                fn definition() -> #private::asl::StateMachine {
                    #definition
                }

                fn run(input: #input) -> impl #private::core::future::Future<
                    Output = #private::core::result::Result<#output, #error>,
                > + ::core::marker::Send {
                    #run
                }
            }

            impl #private::Step for #ident {
                type Output = #output;
                type Error = #error;
                const CHILD_WORKFLOW: bool = true;

                fn task(payload: #private::serde_json::Value) -> #private::asl::Task {
                    #private::workflow_task::<Self>(payload)
                }

                fn result() -> #private::serde_json::Value {
                    #private::expr::child_result::<#private::expr::Any>().template()
                }
            }

            impl #private::Host for #ident {
                fn entry() -> #private::Entry {
                    #private::Entry::workflow::<Self>()
                }
            }

            #(#express_checks)*
        };

        // Outside the `const _` block, so that rustc names it `workflow::__stepcraft_calls`.
        impl #ident {
            #[doc(hidden)]
            #[allow(private_bounds, dead_code)]
            pub fn __stepcraft_calls<__M>() where #(#hosted,)* {}
        }
    }
}

/// The function of a workflow that did not compile, for rustc and IDEs to go on with: as
/// written, minus stepcraft's statement attributes, its warnings silenced (the errors matter).
pub fn emit_unchecked(function: &syn::ItemFn) -> TokenStream {
    let mut item = function.clone();
    // The `try_join!` conversions too, so that branches of different error types add no
    // `mismatched types` to the errors reported.
    let error = result_error(&function.sig);
    Native { error: error.as_ref() }.visit_item_fn_mut(&mut item);
    quote! {
        #[allow(unused, unreachable_code)]
        #item
    }
}

/// `E` of a return type written `Result<T, E>`, if it is written so (the parse stage reports
/// the other cases).
fn result_error(sig: &syn::Signature) -> Option<syn::Type> {
    let syn::ReturnType::Type(_, ty) = &sig.output else { return None };
    let syn::Type::Path(path) = &**ty else { return None };
    let last = path.path.segments.last().filter(|s| s.ident == "Result")?;
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else { return None };
    let types: Vec<&syn::Type> = args
        .args
        .iter()
        .filter_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .collect();
    match types.as_slice() {
        [_, error] => Some((*error).clone()),
        _ => None,
    }
}

fn strip_expr(expr: &mut syn::Expr) {
    match expr {
        syn::Expr::Try(e) => strip(&mut e.attrs),
        syn::Expr::Await(e) => strip(&mut e.attrs),
        syn::Expr::Match(e) => strip(&mut e.attrs),
        syn::Expr::ForLoop(e) => strip(&mut e.attrs),
        syn::Expr::Call(e) => strip(&mut e.attrs),
        syn::Expr::MethodCall(e) => strip(&mut e.attrs),
        _ => {}
    }
}

/// Makes the body ordinary Rust: removes `#[task(..)]` and `#[map(..)]` (read by the compiler,
/// meaningless to rustc), and converts each `try_join!` branch's error into the workflow's
/// error type, as a Parallel state reports whichever branch failed.
struct Native<'a> {
    /// The workflow's error type (`None`: only strip the attributes).
    error: Option<&'a syn::Type>,
}

fn strip(attrs: &mut Vec<syn::Attribute>) {
    attrs.retain(|a| !(a.path().is_ident("task") || a.path().is_ident("map")));
}

impl VisitMut for Native<'_> {
    fn visit_local_mut(&mut self, local: &mut syn::Local) {
        strip(&mut local.attrs);
        syn::visit_mut::visit_local_mut(self, local);
    }

    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        strip_expr(expr);
        syn::visit_mut::visit_expr_mut(self, expr);
        // `callback(activity, input)`: the activity's type names the callback's result.
        if let syn::Expr::Call(call) = expr
            && let syn::Expr::Path(func) = &*call.func
            && func.path.segments.last().is_some_and(|s| s.ident == "callback")
            && call.args.len() == 2
            && let syn::Expr::Path(activity) = &call.args[0]
        {
            let (path, activity, request) = (&func.path, &activity.path, &call.args[1]);
            *expr = syn::parse_quote!(#path::<#activity, _, _, _>(#activity, #request));
        }
        if let syn::Expr::Macro(m) = expr
            && let Some(error) = self.error
            && m.mac.path.segments.last().is_some_and(|s| s.ident == "try_join")
            && let Ok(branches) =
                m.mac.parse_body_with(syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
        {
            let path = &m.mac.path;
            let branches = branches
                .iter()
                .map(|branch| quote!(async { (#branch).await.map_err(<#error as ::core::convert::From<_>>::from) }));
            *expr = syn::parse_quote!(#path!(#(#branches),*));
        }
    }
}
