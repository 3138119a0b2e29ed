//! Emits a workflow: the function as written (minus stepcraft's statement attributes), a type
//! of the same name implementing `Workflow` and `Step`, and its state machine's builder. A
//! rejected workflow gets the same type and impls, from its signature alone ([`emit_unchecked`]).

use crate::ast::Workflow;
use crate::ctxt::Ctxt;
use crate::ir::{Graph, TaskSettings};
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
    let steps = super::asl::steps_module(&item.sig.ident);
    let callees = super::asl::callees(graph, &steps);
    let calls = Calls {
        private: &private,
        callees: callees.iter().map(|(path, step)| (quote!(#path).to_string(), step.clone())).collect(),
    };
    Native { error: Some(error), calls: Some(calls), ..Native::default() }.visit_item_fn_mut(&mut item);
    let vis = &item.vis;
    let ident = &item.sig.ident;
    let name = workflow.name();
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
    let task_checks = super::asl::emit_task_checks(graph, &private, &steps);
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
                    #private::checking_input::<#input>(#definition)
                }

                fn run(input: #input) -> impl #private::core::future::Future<
                    Output = #private::core::result::Result<#output, #error>,
                > + ::core::marker::Send {
                    #run
                }
            }

            impl #private::Step for #ident {
                type Input = #input;
                type Output = #output;
                type Error = #error;
                const CHILD_WORKFLOW: bool = true;
                const LAMBDA: bool = false;

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

            impl #private::RetryErrors for #ident {
                type Error = #error;
            }

            #(#express_checks)*

            #(#task_checks)*
        };

        // Outside the `const _` block, so that rustc names it `workflow::__stepcraft_calls`.
        impl #ident {
            #[doc(hidden)]
            #[allow(private_bounds, dead_code)]
            pub fn __stepcraft_calls<__M>() where #(#hosted,)* {}
        }
    }
}

/// A workflow that did not compile, for rustc and IDEs to go on with: the function as written,
/// minus stepcraft's statement attributes, its warnings silenced (the errors matter); then the
/// type and impls a checked workflow has, from what the signature says (`()` where it says
/// nothing usable), so that `stepcraft::main!` and the workflows calling it add no errors of
/// their own. The impls never run, as the crate does not compile.
pub fn emit_unchecked(workflow: &Workflow<'_>) -> TokenStream {
    let function = workflow.original;
    let mut item = super::as_async(function);
    // The `try_join!` conversions too, so that branches of different error types add no
    // `mismatched types` to the errors reported.
    let error = result_error(&function.sig);
    Native { error: error.as_ref(), ..Native::default() }.visit_item_fn_mut(&mut item);
    // A method sits in an `impl` block, where no type can be declared: the function alone.
    if function.sig.receiver().is_some() {
        return quote! {
            #[allow(unused, unreachable_code)]
            #item
        };
    }
    let krate = super::crate_path(workflow.attrs.krate.as_ref());
    let private = quote!(#krate::__private);
    let sig = &function.sig;
    let usable = |ty: &syn::Type| super::is_plain_type(sig, ty).then(|| quote!(#ty));
    let input = workflow.input.and_then(usable).unwrap_or_else(|| quote!(()));
    let output = workflow.output.and_then(|(t, _)| usable(t)).unwrap_or_else(|| quote!(()));
    let error = workflow.output.and_then(|(_, e)| usable(e)).unwrap_or_else(|| quote!(::core::convert::Infallible));
    let vis = &function.vis;
    let ident = &sig.ident;
    let name = workflow.name();
    let express = workflow.attrs.express.is_some();
    quote! {
        #[allow(unused, unreachable_code)]
        #item

        #[allow(non_camel_case_types, dead_code)]
        #vis struct #ident {}

        const _: () = {
            impl #private::Workflow for #ident {
                type Input = #input;
                type Output = #output;
                type Error = #error;
                const NAME: &'static str = #name;
                const EXPRESS: bool = #express;

                fn definition() -> #private::asl::StateMachine {
                    #private::asl::StateMachine::new(#name)
                }

                fn run(input: #input) -> impl #private::core::future::Future<
                    Output = #private::core::result::Result<#output, #error>,
                > + ::core::marker::Send {
                    let _ = input;
                    ::core::future::pending()
                }
            }

            impl #private::Step for #ident {
                type Input = #input;
                type Output = #output;
                type Error = #error;
                const CHILD_WORKFLOW: bool = true;
                const LAMBDA: bool = false;

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

            impl #private::RetryErrors for #ident {
                type Error = #error;
            }
        };

        impl #ident {
            #[doc(hidden)]
            #[allow(dead_code)]
            pub fn __stepcraft_calls<__M>() {}
        }
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

/// Makes the body ordinary Rust that means what the state machine does: removes `#[task(..)]`
/// and `#[map(..)]` (read by the compiler, meaningless to rustc); calls each activity through
/// `native_call` with the Retry and timeout of its Task; raises a caught error again as the
/// `Fail` state does (`reraised`); and converts each `try_join!` branch's error into the
/// workflow's error type, as a Parallel state reports whichever branch failed.
#[derive(Default)]
struct Native<'a> {
    /// The workflow's error type (`None`: only strip the attributes).
    error: Option<&'a syn::Type>,
    /// The steps the body calls (`None`: calls stay as written).
    calls: Option<Calls<'a>>,
    /// The `#[task(..)]` settings of the statement being visited, for its call.
    task: Option<TaskSettings>,
    /// The errors caught by the enclosing `Err(e)` arms.
    caught: Vec<syn::Ident>,
    /// Whether the call being visited is caught on `States.ALL` by its state machine: the
    /// scrutinee of a `match` with a catch-all `Err` arm, or a `join!` branch.
    caught_all: bool,
    /// How many `join!` branches enclose the node being visited: each is caught on `States.ALL`
    /// whole (a failure becomes its `{"err": …}` result).
    in_branch: usize,
}

/// The steps a workflow calls: each callee as written (its tokens as text), and how generated
/// code names its type.
struct Calls<'a> {
    private: &'a TokenStream,
    callees: Vec<(String, TokenStream)>,
}

fn strip(attrs: &mut Vec<syn::Attribute>) {
    attrs.retain(|a| !(a.path().is_ident("task") || a.path().is_ident("map")));
}

/// The settings of a `#[task(..)]` among `attrs` (the parse stage has reported its errors).
fn task_settings(attrs: &[syn::Attribute]) -> Option<TaskSettings> {
    let attr = attrs.iter().find(|a| a.path().is_ident("task"))?;
    let cx = Ctxt::new();
    let task = crate::attr::TaskAttrs::from_syn(&cx, attr);
    let _ = cx.check();
    Some(crate::lower::lower_task(&task))
}

fn expr_attrs(expr: &syn::Expr) -> &[syn::Attribute] {
    match expr {
        syn::Expr::Try(e) => &e.attrs,
        syn::Expr::Await(e) => &e.attrs,
        syn::Expr::Match(e) => &e.attrs,
        syn::Expr::Call(e) => &e.attrs,
        syn::Expr::MethodCall(e) => &e.attrs,
        _ => &[],
    }
}

/// Whether `pat` is a catch-all `Err(e)` / `Err(_)`, which the state machine's `Catch` lists as
/// `States.ALL`.
fn catches_all(pat: &syn::Pat) -> bool {
    let syn::Pat::TupleStruct(p) = pat else { return false };
    p.path.is_ident("Err")
        && p.elems.len() == 1
        && match &p.elems[0] {
            syn::Pat::Wild(_) => true,
            syn::Pat::Ident(binding) => {
                binding.subpat.is_none() && !binding.ident.to_string().starts_with(char::is_uppercase)
            }
            _ => false,
        }
}

/// The binding of an `Err(e)` pattern.
fn caught_binding(pat: &syn::Pat) -> Option<&syn::Ident> {
    let syn::Pat::TupleStruct(p) = pat else { return None };
    if !p.path.is_ident("Err") || p.elems.len() != 1 {
        return None;
    }
    match &p.elems[0] {
        syn::Pat::Ident(binding) if binding.subpat.is_none() => Some(&binding.ident),
        _ => None,
    }
}

impl Native<'_> {
    /// `callee(input)` as `native_call::<Step, ..>(task, input, copy, callee)`.
    fn native_call(&mut self, call: &syn::ExprCall) -> Option<syn::Expr> {
        let calls = self.calls.as_ref()?;
        let syn::Expr::Path(func) = &*call.func else { return None };
        let written = {
            let path = &func.path;
            quote!(#path).to_string()
        };
        let (_, step) = calls.callees.iter().find(|(c, _)| *c == written)?;
        let [input] = call.args.iter().collect::<Vec<_>>()[..] else { return None };
        let private = calls.private;
        let overrides = super::asl::task_overrides(private, step, &self.task.take().unwrap_or_default());
        let caught_all = self.caught_all || self.in_branch > 0;
        Some(syn::parse_quote! {{
            let __stepcraft_input: <#step as #private::Step>::Input = #input;
            let __stepcraft_copy = {
                #[allow(unused_imports)]
                use #private::{CopyByClone as _, CopyBySerde as _, NoCopy as _};
                (&&&#private::InputCopy(&__stepcraft_input)).copier()
            };
            #private::native_call(
                {
                    #[allow(unused_mut)]
                    let mut task = <#step as #private::Step>::task(#private::serde_json::Value::Null);
                    #(#overrides)*
                    task
                },
                #written,
                #caught_all,
                __stepcraft_input,
                __stepcraft_copy,
                #func,
            )
        }})
    }

    /// `callback(activity, request)` (`path` naming `callback`) as `native_callback(task,
    /// request, copy, ..)`: each attempt a `callback`, with the Retry and timeouts of the
    /// `.waitForTaskToken` Task.
    fn native_callback(&mut self, path: &syn::Path, activity: &syn::Path, request: &syn::Expr) -> Option<syn::Expr> {
        let calls = self.calls.as_ref()?;
        let written = quote!(#activity).to_string();
        let (_, step) = calls.callees.iter().find(|(c, _)| *c == written)?;
        let private = calls.private;
        let overrides = super::asl::task_overrides(private, step, &self.task.take().unwrap_or_default());
        Some(syn::parse_quote! {{
            let __stepcraft_input: <#step as #private::Step>::Input = #request;
            let __stepcraft_copy = {
                #[allow(unused_imports)]
                use #private::{CopyByClone as _, CopyBySerde as _, NoCopy as _};
                (&&&#private::InputCopy(&__stepcraft_input)).copier()
            };
            #private::native_callback(
                {
                    #[allow(unused_mut)]
                    let mut task = <#step as #private::Step>::task(#private::serde_json::Value::Null);
                    #(#overrides)*
                    task
                },
                __stepcraft_input,
                __stepcraft_copy,
                |__stepcraft_request| #path::<#activity, _, _, _>(#activity, __stepcraft_request),
            )
        }})
    }

    /// Arithmetic as the state machine computes it: `a + b` (`-`, `*`) as `add(a, b)`, an
    /// integer overflowing its type or ±(2^53 − 1) ending the run as its evaluation fails;
    /// `a / b` (`%`) as `a / divisor(b)`, for a division by zero.
    fn computed(&self, expr: &mut syn::Expr) {
        let Some(calls) = &self.calls else { return };
        let private = calls.private;
        let syn::Expr::Binary(binary) = expr else { return };
        let span = syn::spanned::Spanned::span(&binary.op);
        let (left, right) = (&binary.left, &binary.right);
        let exact = match binary.op {
            syn::BinOp::Add(_) => Some(quote_spanned!(span=> #private::add)),
            syn::BinOp::Sub(_) => Some(quote_spanned!(span=> #private::sub)),
            syn::BinOp::Mul(_) => Some(quote_spanned!(span=> #private::mul)),
            _ => None,
        };
        if let Some(exact) = exact {
            *expr = syn::parse_quote_spanned!(span=> #exact(#left, #right));
            return;
        }
        match binary.op {
            syn::BinOp::Div(_) | syn::BinOp::Rem(_) => {
                let right = binary.right.clone();
                *binary.right = syn::parse_quote_spanned!(span=> #private::divisor(#right));
            }
            _ => {}
        }
    }

    /// `Err(e)` / `Err(e.into())` of a caught `e`: `e` as the `Fail` state raises it.
    fn rethrow(&self, call: &mut syn::ExprCall) {
        let Some(calls) = &self.calls else { return };
        let private = calls.private;
        let syn::Expr::Path(func) = &*call.func else { return };
        if !func.path.is_ident("Err") || call.args.len() != 1 {
            return;
        }
        let arg = &mut call.args[0];
        let target = match arg {
            syn::Expr::MethodCall(m) if m.method == "into" && m.args.is_empty() => &mut *m.receiver,
            other => other,
        };
        if let syn::Expr::Path(p) = target
            && p.path.get_ident().is_some_and(|i| self.caught.contains(i))
        {
            *target = syn::parse_quote!(#private::reraised(#p));
        }
    }
}

impl VisitMut for Native<'_> {
    fn visit_local_mut(&mut self, local: &mut syn::Local) {
        if let Some(task) = task_settings(&local.attrs) {
            self.task = Some(task);
        }
        strip(&mut local.attrs);
        syn::visit_mut::visit_local_mut(self, local);
    }

    fn visit_arm_mut(&mut self, arm: &mut syn::Arm) {
        let caught = caught_binding(&arm.pat).cloned();
        let pushed = caught.is_some();
        self.caught.extend(caught);
        syn::visit_mut::visit_arm_mut(self, arm);
        if pushed {
            self.caught.pop();
        }
    }

    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        if let Some(task) = task_settings(expr_attrs(expr)) {
            self.task = Some(task);
        }
        strip_expr(expr);
        // The call a catch-all `Err` arm catches: only the scrutinee's.
        if let syn::Expr::Match(m) = expr
            && m.arms.iter().any(|arm| catches_all(&arm.pat))
        {
            let outer = std::mem::replace(&mut self.caught_all, true);
            self.visit_expr_mut(&mut m.expr);
            self.caught_all = false;
            for arm in &mut m.arms {
                self.visit_arm_mut(arm);
            }
            self.caught_all = outer;
            return;
        }
        // Down to the call itself (`call(..).await`), and no further (its argument).
        let here = self.caught_all;
        if !matches!(expr, syn::Expr::Await(_) | syn::Expr::Paren(_) | syn::Expr::Group(_)) {
            self.caught_all = false;
        }
        syn::visit_mut::visit_expr_mut(self, expr);
        self.caught_all = here;
        self.computed(expr);
        if let syn::Expr::Call(call) = expr {
            self.rethrow(call);
            if let Some(native) = self.native_call(call) {
                *expr = native;
            }
        }
        // `callback(activity, input)`: the activity's type names the callback's result.
        if let syn::Expr::Call(call) = expr
            && let syn::Expr::Path(func) = &*call.func
            && func.path.segments.last().is_some_and(|s| s.ident == "callback")
            && call.args.len() == 2
            && let syn::Expr::Path(activity) = &call.args[0]
        {
            let (path, activity, request) = (&func.path, &activity.path, &call.args[1]);
            *expr = match self.native_callback(path, activity, request) {
                Some(native) => native,
                None => syn::parse_quote!(#path::<#activity, _, _, _>(#activity, #request)),
            };
        }
        // The branches of `join!`/`try_join!` are tokens to `syn`: visited here.
        if let syn::Expr::Macro(m) = expr
            && let Some(which) = m.mac.path.segments.last().map(|s| s.ident.to_string())
            && (which == "join" || (which == "try_join" && self.error.is_some()))
            && let Ok(mut branches) =
                m.mac.parse_body_with(syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
        {
            // Each branch's result is caught on `States.ALL` (`{"err": …}`).
            for branch in branches.iter_mut() {
                self.in_branch += 1;
                self.visit_expr_mut(branch);
                self.in_branch -= 1;
            }
            let path = &m.mac.path;
            let branches = branches.iter().map(|branch| match self.error {
                Some(error) if which == "try_join" => {
                    quote!(async { (#branch).await.map_err(<#error as ::core::convert::From<_>>::from) })
                }
                _ => quote!(#branch),
            });
            *expr = syn::parse_quote!(#path!(#(#branches),*));
        }
    }
}
