//! Check stage: rules that need more than one attribute or one item. In: the parsed items
//! (`ast`); out: errors in the [`Ctxt`], nothing else. Rules that need the lowered graph (the
//! number of states, unique state names) live in `lower`, the only stage that knows it.

use crate::ast::{Handler, Workflow};
use crate::ctxt::Ctxt;
use crate::limits::MAX_DEFINITION_BYTES;
use std::sync::Mutex;

/// The handlers seen in this compiler process: (crate, function).
static HANDLERS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

// A `#[handler]` is its binary's `main`; a second one in the same crate would be a second
// `main`, which rustc reports without saying what to do. One rustc process compiles one
// crate, so the proc-macro's memory sees every handler of the binary. A handler expanded again
// (an IDE re-expanding the same function) is recognised by its name.
/// Returns whether this handler is the binary's entry point.
pub fn check_one_handler_per_binary(cx: &Ctxt, handler: &Handler<'_>) -> bool {
    let krate = std::env::var("CARGO_CRATE_NAME").unwrap_or_default();
    let name = handler.original.sig.ident.to_string();
    let mut seen = HANDLERS.lock().unwrap_or_else(|e| e.into_inner());
    let first = seen.iter().find(|(k, _)| *k == krate).map(|(_, n)| n.clone());
    match first {
        Some(first) if first != name => {
            cx.error_at(
                proc_macro2::Span::call_site(),
                format!(
                    "a binary has one `#[handler]`, its entry point, and `{first}` is already this binary's; \
                 move `{name}` to a binary of its own (`src/bin/{name}.rs`), or make both `#[activity]` \
                 functions hosted together with `stepcraft::main!({first}, {name})`"
                ),
            );
            false
        }
        Some(_) => true,
        None => {
            seen.push((krate, name));
            true
        }
    }
}

/// The rules of a whole workflow.
pub fn check_workflow(cx: &Ctxt, workflow: &Workflow<'_>) {
    check_express_callbacks(cx, workflow);
    check_distributed_maps(cx, workflow);
    check_literal_bytes(cx, workflow);
}

// A Distributed Map starts child executions, which an Express state machine cannot do
// (`CreateStateMachine` refuses it; the local executor's `MachineType::Express` check says
// so too), and Express children cannot wait for a callback (`.waitForTaskToken`), as no
// Express execution can (https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html).
fn check_distributed_maps(cx: &Ctxt, workflow: &Workflow<'_>) {
    struct Visitor<'c> {
        cx: &'c Ctxt,
        express: bool,
        /// Inside a loop whose children are Express executions.
        express_children: usize,
    }
    impl<'ast> syn::visit::Visit<'ast> for Visitor<'_> {
        fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
            let (distributed, express_children) = map_flags(&f.attrs);
            if let (Some(span), true) = (distributed, self.express) {
                self.cx.error_at(
                    span,
                    "an express workflow cannot hold a distributed map: express state machines cannot start the \
                     child executions of a Distributed Map; remove `distributed` for an inline Map, or remove \
                     `express` from `#[workflow(..)]` to make it a standard workflow",
                );
            }
            let express_children = distributed.is_some() && express_children;
            self.express_children += usize::from(express_children);
            syn::visit::visit_expr_for_loop(self, f);
            self.express_children -= usize::from(express_children);
        }

        fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
            if self.express_children > 0
                && let syn::Expr::Path(func) = &*call.func
                && func.path.segments.last().is_some_and(|s| s.ident == "callback")
                && call.args.len() == 2
            {
                self.cx.error_spanned_by(
                    &func.path,
                    "the children of a `#[map(distributed, execution = \"express\")]` loop are express executions, \
                     which cannot wait for a callback (`.waitForTaskToken`); write `execution = \"standard\"`",
                );
            }
            syn::visit::visit_expr_call(self, call);
        }
    }
    let mut visitor = Visitor { cx, express: workflow.attrs.express.is_some(), express_children: 0 };
    syn::visit::Visit::visit_block(&mut visitor, &workflow.original.block);
}

/// What a loop's `#[map(..)]` says of its mode, read from its tokens (`attr.rs` reports any
/// mistake in them): the `distributed` keyword, and whether `execution = "express"`.
fn map_flags(attrs: &[syn::Attribute]) -> (Option<proc_macro2::Span>, bool) {
    use proc_macro2::TokenTree;
    let mut distributed = None;
    let mut express = false;
    for attr in attrs.iter().filter(|a| a.path().is_ident("map")) {
        let syn::Meta::List(list) = &attr.meta else { continue };
        let tokens: Vec<TokenTree> = list.tokens.clone().into_iter().collect();
        for (i, token) in tokens.iter().enumerate() {
            let TokenTree::Ident(ident) = token else { continue };
            if ident == "distributed" {
                distributed = Some(ident.span());
            }
            if ident == "execution"
                && let Some(TokenTree::Literal(value)) = tokens.get(i + 2)
            {
                express |= value.to_string() == "\"express\"";
            }
        }
    }
    (distributed, express)
}

// A definition must fit Step Functions' limit on its size (1 MiB, the `CreateStateMachine`
// request: https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). Its exact
// size is known only once generated code has resolved JSON names, but its literals are known
// here, and a definition whose literals alone pass the limit can never be accepted.
fn check_literal_bytes(cx: &Ctxt, workflow: &Workflow<'_>) {
    let mut literal_bytes = 0usize;
    let mut biggest: Option<proc_macro2::Span> = None;
    let mut biggest_len = 0;
    visit_literals(&workflow.original.block, &mut |lit: &syn::LitStr| {
        let len = lit.value().len();
        literal_bytes += len;
        if len > biggest_len {
            biggest_len = len;
            biggest = Some(lit.span());
        }
    });
    if literal_bytes > MAX_DEFINITION_BYTES {
        cx.error_at(
            biggest.unwrap_or_else(proc_macro2::Span::call_site),
            format!(
                "the literals of this workflow add up to {literal_bytes} bytes, more than the {MAX_DEFINITION_BYTES} bytes \
                 Step Functions accepts for a whole definition; pass large values in the input or keep them in S3"
            ),
        );
    }
}

// Express state machines cannot run `.waitForTaskToken` integrations
// (https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html), so an
// express workflow cannot wait for a callback. (Child workflows, the other waiting call, are
// known by their type: generated code asserts `ExpressStep` at each call.)
fn check_express_callbacks(cx: &Ctxt, workflow: &Workflow<'_>) {
    if workflow.attrs.express.is_none() {
        return;
    }
    struct Visitor<'c>(&'c Ctxt);
    impl<'ast> syn::visit::Visit<'ast> for Visitor<'_> {
        fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
            if let syn::Expr::Path(func) = &*call.func
                && func.path.segments.last().is_some_and(|s| s.ident == "callback")
                && call.args.len() == 2
            {
                self.0.error_spanned_by(
                    &func.path,
                    "an express workflow cannot wait for a callback: express state machines cannot use \
                     `.waitForTaskToken`; remove `express` from `#[workflow(..)]` to make it a standard workflow",
                );
            }
            syn::visit::visit_expr_call(self, call);
        }
    }
    syn::visit::Visit::visit_block(&mut Visitor(cx), &workflow.original.block);
}

fn visit_literals(block: &syn::Block, f: &mut dyn FnMut(&syn::LitStr)) {
    struct Visitor<'f>(&'f mut dyn FnMut(&syn::LitStr));
    impl<'ast> syn::visit::Visit<'ast> for Visitor<'_> {
        fn visit_lit_str(&mut self, lit: &'ast syn::LitStr) {
            (self.0)(lit);
        }
    }
    syn::visit::Visit::visit_block(&mut Visitor(f), block);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attr::WorkflowAttrs;

    fn check(attrs: proc_macro2::TokenStream, function: &syn::ItemFn) -> Vec<String> {
        let cx = Ctxt::new();
        let workflow = Workflow::from_syn(&cx, WorkflowAttrs::from_syn(&cx, attrs), function);
        check_workflow(&cx, &workflow);
        match cx.check() {
            Ok(()) => Vec::new(),
            Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn an_express_workflow_cannot_wait_for_a_callback() {
        let function: syn::ItemFn = syn::parse_quote! {
            async fn approve(order: Order) -> Result<Decision, E> {
                let decision = callback(ask_manager, order).await?;
                Ok(decision)
            }
        };
        let errors = check(quote::quote!(express), &function);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("an express workflow cannot wait for a callback"));
        assert!(check(proc_macro2::TokenStream::new(), &function).is_empty());
    }

    #[test]
    fn literals_past_the_definition_limit_are_rejected() {
        let big = syn::LitStr::new(&"x".repeat(MAX_DEFINITION_BYTES + 1), proc_macro2::Span::call_site());
        let function: syn::ItemFn = syn::parse_quote! {
            async fn big(order: Order) -> Result<(), E> {
                let note = #big;
                Ok(())
            }
        };
        let errors = check(proc_macro2::TokenStream::new(), &function);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("more than the 1048576 bytes"));
    }
}
