//! Parse stage, items: turns the annotated `syn` items into [`Activity`], [`Handler`] and
//! [`ErrorType`], keeping the original item so later stages can point at its tokens.

use crate::attr::{ActivityAttrs, ErrorAttrs, HandlerAttrs, Spanned, WorkflowAttrs};
use crate::body::{Body, Parser};
use crate::ctxt::Ctxt;
use syn::spanned::Spanned as _;
use syn::{FnArg, GenericArgument, ItemFn, PathArguments, ReturnType, Type};

/// An `#[activity]` function.
pub struct Activity<'a> {
    pub original: &'a ItemFn,
    pub attrs: ActivityAttrs,
    /// The type of the one argument.
    pub input: Option<&'a Type>,
    /// `T` and `E` of `Result<T, E>`.
    pub output: Option<(&'a Type, &'a Type)>,
}

/// A `#[workflow]` function.
pub struct Workflow<'a> {
    pub original: &'a ItemFn,
    pub attrs: WorkflowAttrs,
    /// The type of the one argument.
    pub input: Option<&'a Type>,
    /// `T` and `E` of `Result<T, E>`.
    pub output: Option<(&'a Type, &'a Type)>,
    pub body: Body,
}

/// A `#[handler]` function.
pub struct Handler<'a> {
    pub original: &'a ItemFn,
    pub attrs: HandlerAttrs,
    /// The first argument's type: the event.
    pub event: Option<&'a Type>,
    /// `S` of a `&S` argument: the init-once state.
    pub state: Option<&'a Type>,
    /// How the Lambda context is taken, if it is.
    pub context: Option<ContextArg>,
    /// The order of the arguments after the event.
    pub extra_args: Vec<ExtraArg>,
    /// `T` and `E` of `Result<T, E>`.
    pub output: Option<(&'a Type, &'a Type)>,
}

/// How a handler takes the Lambda context.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ContextArg {
    /// `ctx: Context`
    Owned,
    /// `ctx: &Context`
    Borrowed,
}

/// An argument of a handler after the event.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ExtraArg {
    State,
    Context,
}

/// A `#[derive(stepcraft::Error)]` type.
pub struct ErrorType<'a> {
    pub original: &'a syn::DeriveInput,
    pub names: Vec<ErrorName<'a>>,
    pub is_enum: bool,
}

/// The stable name of one variant (or of a struct).
pub struct ErrorName<'a> {
    pub ident: &'a syn::Ident,
    pub fields: &'a syn::Fields,
    pub name: String,
    /// Where the name was written (`#[stepcraft(name)]`), or the identifier.
    pub span: proc_macro2::Span,
    pub status: Option<u16>,
    /// For `#[stepcraft(transparent)]`: the wrapped error's type.
    pub transparent: Option<&'a Type>,
    /// thiserror's `#[error("…")]` format string, if the type has one.
    pub message: Option<String>,
}

/// What kind of function an attribute is on, for messages.
#[derive(Clone, Copy)]
pub enum FnKind {
    Activity,
    Handler,
    Workflow,
}

impl FnKind {
    fn attr(self) -> &'static str {
        match self {
            FnKind::Activity => "#[activity]",
            FnKind::Handler => "#[handler]",
            FnKind::Workflow => "#[workflow]",
        }
    }
}

/// Checks what every annotated function needs: `async`, no generics, no receiver, a plain
/// Rust ABI.
fn check_signature(cx: &Ctxt, item: &ItemFn, kind: FnKind) {
    let sig = &item.sig;
    let attr = kind.attr();
    let name = &sig.ident;
    if sig.asyncness.is_none() {
        cx.error_spanned_by(sig.fn_token, format!("`{attr}` functions must be `async`; write `async fn {name}(..)`"));
    }
    if let Some(constness) = &sig.constness {
        cx.error_spanned_by(constness, format!("`{attr}` functions cannot be `const`; remove `const`"));
    }
    if let Some(unsafety) = &sig.unsafety {
        cx.error_spanned_by(unsafety, format!("`{attr}` functions cannot be `unsafe`; remove `unsafe`"));
    }
    if let Some(abi) = &sig.abi {
        cx.error_spanned_by(abi, format!("`{attr}` functions use the Rust ABI; remove `{}`", quote::quote!(#abi)));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        let what = match kind {
            FnKind::Activity => "an activity is one Lambda function with one input type",
            FnKind::Handler => "a handler is one Lambda function with one event type",
            FnKind::Workflow => "a workflow is one state machine with one input type",
        };
        cx.error_spanned_by(&sig.generics, format!("`{attr}` functions cannot be generic: {what}; use concrete types"));
    }
    if let Some(variadic) = &sig.variadic {
        cx.error_spanned_by(variadic, format!("`{attr}` functions cannot be variadic"));
    }
    for arg in &sig.inputs {
        if let FnArg::Receiver(receiver) = arg {
            cx.error_spanned_by(receiver, format!("`{attr}` functions are free functions, not methods; remove `self`"));
        }
    }
}

/// `T` and `E` of a return type written `Result<T, E>`.
fn result_types<'a>(cx: &Ctxt, item: &'a ItemFn, kind: FnKind) -> Option<(&'a Type, &'a Type)> {
    let attr = kind.attr();
    let example = match kind {
        FnKind::Activity => "-> Result<Receipt, PaymentError>",
        FnKind::Handler => "-> Result<Response, MyError>",
        FnKind::Workflow => "-> Result<Shipment, CheckoutError>",
    };
    let ty = match &item.sig.output {
        ReturnType::Type(_, ty) => ty,
        ReturnType::Default => {
            cx.error_spanned_by(
                &item.sig.ident,
                format!("`{attr}` functions must return `Result<Output, Error>`, e.g. `{example}`"),
            );
            return None;
        }
    };
    let found = match &**ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().and_then(|last| {
            if last.ident != "Result" {
                return None;
            }
            let PathArguments::AngleBracketed(args) = &last.arguments else { return None };
            let mut types = args.args.iter().filter_map(|a| match a {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            });
            match (types.next(), types.next(), types.next()) {
                (Some(ok), Some(err), None) => Some((ok, err)),
                _ => None,
            }
        }),
        _ => None,
    };
    if found.is_none() {
        cx.error_spanned_by(
            ty,
            format!(
                "`{attr}` functions must return `Result<Output, Error>` with both types written out, e.g. `{example}`; \
                 the error type needs `#[derive(stepcraft::Error)]`"
            ),
        );
    }
    found
}

fn arg_type(arg: &FnArg) -> Option<&Type> {
    match arg {
        FnArg::Typed(pat) => Some(&pat.ty),
        FnArg::Receiver(_) => None,
    }
}

impl<'a> Activity<'a> {
    /// Reads an `#[activity]` function.
    pub fn from_syn(cx: &Ctxt, attrs: ActivityAttrs, item: &'a ItemFn) -> Self {
        check_signature(cx, item, FnKind::Activity);
        let mut inputs: Vec<&FnArg> = item.sig.inputs.iter().filter(|a| matches!(a, FnArg::Typed(_))).collect();
        let name = &item.sig.ident;
        // A callback activity takes the task token after its input.
        if attrs.callback.is_some() {
            let token = inputs.get(1).and_then(|a| arg_type(a)).and_then(last_segment);
            if inputs.len() == 2 && token.is_some_and(|t| t == "TaskToken") {
                inputs.pop();
            } else {
                cx.error_at(
                    item.sig.paren_token.span.join(),
                    format!(
                        "a callback activity takes its input and the task token to hand to whoever completes it; \
                         write `async fn {name}(input: MyInput, token: stepcraft::TaskToken)`"
                    ),
                );
                inputs.truncate(1);
            }
        }
        if inputs.is_empty() && item.sig.receiver().is_none() {
            cx.error_at(
                item.sig.paren_token.span.join(),
                format!(
                    "`#[activity]` functions take exactly one argument, the input decoded from the task's JSON; \
                     write `async fn {name}(input: MyInput)`"
                ),
            );
        } else if inputs.len() > 1 {
            let extra = &inputs[1..];
            let extra = quote::quote!(#(#extra)*);
            cx.error_spanned_by(
                extra,
                "`#[activity]` functions take exactly one argument, the input; \
                 gather these values into one input struct",
            );
        }
        Activity {
            original: item,
            attrs,
            input: inputs.first().and_then(|a| arg_type(a)),
            output: result_types(cx, item, FnKind::Activity),
        }
    }

    /// The function's name: `name = "…"` or the identifier.
    pub fn name(&self) -> String {
        match &self.attrs.name {
            Some(Spanned { value, .. }) => value.clone(),
            None => self.original.sig.ident.to_string(),
        }
    }
}

impl<'a> Workflow<'a> {
    /// Reads a `#[workflow]` function, its body included.
    pub fn from_syn(cx: &Ctxt, attrs: WorkflowAttrs, item: &'a ItemFn) -> Self {
        check_signature(cx, item, FnKind::Workflow);
        let name = &item.sig.ident;
        let typed: Vec<&syn::PatType> = item
            .sig
            .inputs
            .iter()
            .filter_map(|a| match a {
                FnArg::Typed(t) => Some(t),
                FnArg::Receiver(_) => None,
            })
            .collect();
        let mut input = None;
        // The names of rejected arguments stay known to the body, so that their uses add no
        // errors to the one about the signature.
        let mut rejected = Vec::new();
        let first = |one: &'a syn::PatType| match &*one.pat {
            syn::Pat::Ident(p) if p.subpat.is_none() && p.by_ref.is_none() => Ok((&p.ident, &*one.ty)),
            other => Err(other),
        };
        match typed.as_slice() {
            [] if item.sig.receiver().is_none() => cx.error_at(
                item.sig.paren_token.span.join(),
                format!(
                    "`#[workflow]` functions take exactly one argument, the execution's input; \
                     write `async fn {name}(input: MyInput)`"
                ),
            ),
            [one] => match first(one) {
                Ok(binding) => input = Some(binding),
                Err(other) => {
                    cx.error_spanned_by(other, "bind the workflow's input to a name: `order: Order`");
                    rejected.push(other);
                }
            },
            [one, rest @ ..] => {
                match first(one) {
                    Ok(binding) => input = Some(binding),
                    Err(other) => rejected.push(other),
                }
                rejected.extend(rest.iter().map(|arg| &*arg.pat));
                let rest = quote::quote!(#(#rest)*);
                cx.error_spanned_by(rest, "`#[workflow]` functions take exactly one argument, the input; gather these values into one input struct");
            }
            [] => {}
        }
        let output = result_types(cx, item, FnKind::Workflow);
        let body = Parser::parse(cx, item, input, &rejected);
        Workflow { original: item, attrs, input: input.map(|(_, ty)| ty), output, body }
    }

    /// The state machine's name: `name = "…"`, or the function's name in PascalCase.
    pub fn name(&self) -> String {
        match &self.attrs.name {
            Some(Spanned { value, .. }) => value.clone(),
            None => crate::naming::pascal(&self.original.sig.ident.to_string()),
        }
    }
}

/// The last path segment of `ty`, if it is a plain path.
fn last_segment(ty: &Type) -> Option<&syn::Ident> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| &s.ident),
        _ => None,
    }
}

impl<'a> Handler<'a> {
    /// Reads a `#[handler]` function.
    pub fn from_syn(cx: &Ctxt, attrs: HandlerAttrs, item: &'a ItemFn) -> Self {
        check_signature(cx, item, FnKind::Handler);
        let name = &item.sig.ident;
        let mut inputs = item.sig.inputs.iter();
        let event = inputs.next().and_then(arg_type);
        if event.is_none() {
            cx.error_at(
                item.sig.paren_token.span.join(),
                format!("`#[handler]` functions take the event as their first argument; write `async fn {name}(event: MyEvent)`"),
            );
        }
        let mut state = None;
        let mut context = None;
        let mut extra_args = Vec::new();
        for arg in inputs {
            let Some(ty) = arg_type(arg) else { continue };
            let (is_context, borrowed, inner) = match ty {
                Type::Reference(r) => (last_segment(&r.elem).is_some_and(|i| i == "Context"), true, &*r.elem),
                other => (last_segment(other).is_some_and(|i| i == "Context"), false, other),
            };
            if is_context && context.is_none() {
                context = Some(if borrowed { ContextArg::Borrowed } else { ContextArg::Owned });
                extra_args.push(ExtraArg::Context);
            } else if borrowed && state.is_none() && !is_context {
                if let Type::Reference(r) = ty
                    && let Some(m) = &r.mutability
                {
                    cx.error_spanned_by(m, "the init-once state is shared by every invocation; take it as `&State`, not `&mut State` (use a `Mutex` inside for mutable parts)");
                }
                state = Some(inner);
                extra_args.push(ExtraArg::State);
            } else {
                cx.error_spanned_by(
                    arg,
                    "`#[handler]` functions take the event, then optionally `&State` (built once by `init = …`) \
                     and the Lambda context (`&stepcraft::Context`); remove this argument",
                );
            }
        }
        match (&attrs.init, state) {
            (None, Some(state)) => cx.error_spanned_by(
                state,
                "this handler takes state but `#[handler]` has no `init`; add `#[handler(init = make_state)]` \
                 with `async fn make_state() -> Result<State, E>`",
            ),
            (Some(init), None) => cx.error_spanned_by(
                init,
                format!(
                    "`init` builds state but the handler does not take it; add an argument `state: &State` to `{name}`"
                ),
            ),
            _ => {}
        }
        Handler {
            original: item,
            attrs,
            event,
            state,
            context,
            extra_args,
            output: result_types(cx, item, FnKind::Handler),
        }
    }
}

/// thiserror's `#[error("format", ..)]` string (not `transparent`).
fn attrs_message(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().filter(|a| a.path().is_ident("error")).find_map(|a| {
        let syn::Meta::List(list) = &a.meta else { return None };
        let mut tokens = list.tokens.clone().into_iter();
        match tokens.next()? {
            proc_macro2::TokenTree::Literal(lit) => match syn::Lit::new(lit) {
                syn::Lit::Str(s) => Some(s.value()),
                _ => None,
            },
            _ => None,
        }
    })
}

impl<'a> ErrorType<'a> {
    /// Reads a `#[derive(stepcraft::Error)]` type.
    pub fn from_syn(cx: &Ctxt, input: &'a syn::DeriveInput) -> Self {
        let mut names = Vec::new();
        let name_of = |cx: &Ctxt, ident: &'a syn::Ident, fields: &'a syn::Fields, attrs: &[syn::Attribute]| {
            let attrs_list = attrs;
            let attrs = ErrorAttrs::from_syn(cx, attrs);
            let transparent = attrs.transparent.and_then(|span| {
                let mut types = fields.iter().map(|f| &f.ty);
                match (types.next(), types.next(), &attrs.name) {
                    (Some(ty), None, None) => Some(ty),
                    (_, _, Some(_)) => {
                        cx.error_at(span, "a transparent variant has the names of the error it wraps; remove `name`");
                        None
                    }
                    _ => {
                        cx.error_at(span, "a transparent variant wraps exactly one error: `Payment(PaymentError)`");
                        None
                    }
                }
            });
            let (name, span) = match attrs.name {
                Some(Spanned { value, span }) => (value, span),
                None => (ident.to_string(), ident.span()),
            };
            let message = attrs_message(attrs_list);
            ErrorName { ident, fields, name, span, status: attrs.status, transparent, message }
        };
        let is_enum = match &input.data {
            syn::Data::Enum(data) => {
                let container = ErrorAttrs::from_syn(cx, &input.attrs);
                if let Some(name) = container.name {
                    cx.error_at(name.span, "on an enum, `name` goes on each variant: `#[stepcraft(name = \"…\")]`");
                }
                for variant in &data.variants {
                    let mut name = name_of(cx, &variant.ident, &variant.fields, &variant.attrs);
                    name.status = name.status.or(container.status);
                    names.push(name);
                }
                true
            }
            syn::Data::Struct(data) => {
                names.push(name_of(cx, &input.ident, &data.fields, &input.attrs));
                false
            }
            syn::Data::Union(data) => {
                cx.error_spanned_by(
                    data.union_token,
                    "`stepcraft::Error` is derived for enums and structs, not unions",
                );
                false
            }
        };
        let generics = &input.generics;
        if !generics.params.is_empty() {
            cx.error_spanned_by(
                generics,
                "`stepcraft::Error` cannot be derived for generic types: error names are fixed",
            );
        }
        // Two variants with one name could not be told apart by a Catch or a Retry.
        for (i, later) in names.iter().enumerate().filter(|(_, n)| n.transparent.is_none()) {
            if let Some(first) = names[..i].iter().find(|n| n.transparent.is_none() && n.name == later.name) {
                cx.error_at(
                    later.span,
                    format!(
                        "duplicate error name `{}` (also the name of `{}`); give this variant another one with `#[stepcraft(name = \"…\")]`",
                        later.name, first.ident
                    ),
                );
            }
        }
        let _ = input.span();
        ErrorType { original: input, names, is_enum }
    }
}
