//! Emits the body of a workflow's `definition()`: Rust code that builds the runtime's typed
//! ASL model from the state graph.
//!
//! Each workflow variable gets a typed shadow (`Expr<T>`) declared in the order its type
//! became known; each expression of the graph becomes calls to `__private::expr` over those
//! shadows, so that JSON names, error names and the defaults of called activities are
//! resolved by the types, where rustc knows them.

use crate::ir::expr::{ArmPat, BinOp, Cond, ErrCatch, Expr, Seconds, VarDef, VarId, Vars, expr_span};
use crate::ir::{Assign, Catch, Condition, FailWith, Graph, Kind, Machine, Next, StateId, TaskSettings, Value};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};

struct Emitter<'a> {
    graph: &'a Graph,
    vars: &'a Vars,
    private: &'a TokenStream,
    /// The module that resolves single-name callees (see [`emit_steps_module`]).
    steps: &'a syn::Ident,
}

/// The name of the module resolving a workflow's callees.
pub fn steps_module(workflow: &syn::Ident) -> syn::Ident {
    format_ident!("__stepcraft_steps_{}", workflow)
}

/// A module through which generated code names the activities and workflows the body calls
/// by a single name. Each name is imported from the workflow's module, which brings the type
/// `#[activity]`/`#[workflow]` declared next to the function; a plain function has no such
/// type, and a fallback type of the same name (a glob import, so any real type wins) takes its
/// place: it is not a `Step`, so rustc says at the call that the function is neither an
/// activity nor a workflow.
pub fn emit_steps_module(graph: &Graph, vars: &Vars, steps: &syn::Ident) -> TokenStream {
    let names = graph.single_name_steps(vars);
    if names.is_empty() {
        return quote!();
    }
    quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types, unused_imports, dead_code)]
        mod #steps {
            #(pub(super) use super::#names;)*
            pub(super) use self::not_an_activity_or_workflow::*;
            mod not_an_activity_or_workflow {
                #(pub struct #names;)*
            }
        }
    }
}

/// How generated code names a callee: through the steps module for a single name, spanned at
/// the user's tokens.
pub fn step_path(steps: &syn::Ident, path: &syn::Path) -> TokenStream {
    match path.get_ident() {
        Some(ident) => {
            let steps = syn::Ident::new(&steps.to_string(), ident.span());
            quote_spanned!(ident.span()=> #steps::#ident)
        }
        None => quote_spanned!(path_span(path)=> #path),
    }
}

/// Every activity and workflow the graph calls, once each, in source order: (the callee as
/// written, how generated code names it).
pub fn callees<'g>(graph: &'g Graph, steps: &syn::Ident) -> Vec<(&'g syn::Path, TokenStream)> {
    graph.callees().into_iter().map(|callee| (callee, step_path(steps, callee))).collect()
}

/// The block that builds the state machine.
pub fn emit_definition(
    graph: &Graph,
    vars: &Vars,
    private: &TokenStream,
    steps: &syn::Ident,
    timeout: Option<u64>,
    comment: Option<&str>,
) -> TokenStream {
    let emitter = Emitter { graph, vars, private, steps };
    let decls = vars.order.iter().map(|id| emitter.decl(*id));
    let machine = emitter.machine(&graph.top);
    let timeout = match timeout {
        Some(t) => {
            let t = t as u32;
            quote!(::core::option::Option::Some(#t))
        }
        None => quote!(::core::option::Option::None),
    };
    let comment = match comment {
        Some(c) => quote!(::core::option::Option::Some(#private::std::string::String::from(#c))),
        None => quote!(::core::option::Option::None),
    };
    quote! {
        #[allow(unused_variables, unused_parens, clippy::all)]
        {
            use #private::expr as __E;
            #(#decls)*
            let mut machine = #machine;
            machine.comment = #comment;
            machine.query_language = ::core::option::Option::Some(#private::asl::QueryLanguage::Jsonata);
            machine.timeout_seconds = #timeout;
            machine
        }
    }
}

fn shadow(id: VarId) -> syn::Ident {
    format_ident!("__stepcraft_v{}", id)
}

/// The runtime's `expr::Op` for an operator whose JSONata does not depend on types.
fn jsonata_op(op: BinOp) -> TokenStream {
    match op {
        BinOp::Sub => quote!(__E::Op::Sub),
        BinOp::Mul => quote!(__E::Op::Mul),
        BinOp::Rem => quote!(__E::Op::Rem),
        BinOp::Eq => quote!(__E::Op::Eq),
        BinOp::Ne => quote!(__E::Op::Ne),
        BinOp::Lt => quote!(__E::Op::Lt),
        BinOp::Le => quote!(__E::Op::Le),
        BinOp::Gt => quote!(__E::Op::Gt),
        BinOp::Ge => quote!(__E::Op::Ge),
        BinOp::And => quote!(__E::Op::And),
        BinOp::Or => quote!(__E::Op::Or),
        // `+` concatenates strings and `/` truncates integers: the runtime decides by type.
        BinOp::Add | BinOp::Div => unreachable!("`+` and `/` have constructors of their own"),
    }
}

impl Emitter<'_> {
    fn decl(&self, id: VarId) -> TokenStream {
        self.decl_of(id, &self.vars.list[id].def)
    }

    fn decl_of(&self, id: VarId, def: &VarDef) -> TokenStream {
        let v = shadow(id);
        let asl = &self.graph.var_names[id];
        let private = self.private;
        match def {
            // A `join!` result is typed by its value; `r?`, `Ok(v)` and `Err(e)` read into it.
            VarDef::Outcome(inner) => self.decl_of(id, inner),
            VarDef::Input(ty) => quote!(let #v: __E::Expr<#ty> = __E::input();),
            VarDef::Step(path) => {
                let path = self.step(path);
                quote!(let #v: __E::Expr<<#path as #private::Step>::Output> = __E::var(#asl);)
            }
            VarDef::Caught => quote!(let #v: __E::Expr<__E::Caught> = __E::var(#asl);),
            VarDef::Alias(expr) => {
                let e = self.expr(expr);
                quote!(let #v = #e;)
            }
            VarDef::SomeInner(expr) => {
                let e = self.expr(expr);
                quote!(let #v = __E::some_inner(&#e);)
            }
            VarDef::ItemOf(expr) if self.graph.is_state_input(id) && self.graph.is_indexed(id) => {
                let e = self.expr(expr);
                quote!(let #v = __E::indexed_item_of(&#e);)
            }
            VarDef::ItemOf(expr) if self.graph.is_state_input(id) => {
                let e = self.expr(expr);
                quote!(let #v = __E::item_of(&#e);)
            }
            VarDef::ItemOf(expr) => {
                let e = self.expr(expr);
                quote!(let #v = __E::var_like(&__E::item_of(&#e), #asl);)
            }
            VarDef::ItemIndex if self.graph.is_state_input(id) => quote!(let #v = __E::indexed_index();),
            VarDef::ItemIndex => quote!(let #v: __E::Expr<usize> = __E::var(#asl);),
            VarDef::CollectionOf(expr) => {
                let e = self.expr(expr);
                quote!(let #v = __E::var_like(&__E::collection_of(&#e), #asl);)
            }
            VarDef::CollectionOfStep(path) => {
                let path = self.step(path);
                quote!(let #v: __E::Expr<::std::vec::Vec<<#path as #private::Step>::Output>> = __E::var(#asl);)
            }
            VarDef::Like(expr) => {
                let e = self.expr(expr);
                quote!(let #v = __E::var_like(&#e, #asl);)
            }
            VarDef::VariantField { value, ty, variant, field } => {
                let e = self.expr(value);
                let (variant_s, field_s) = (variant.to_string(), field.to_string());
                quote! {
                    #[allow(unreachable_patterns)]
                    let #v = __E::variant_field::<#ty, _>(&(#e).cast(), #variant_s, #field_s, |__x| match __x {
                        #ty::#variant { #field, .. } => #field,
                        _ => ::core::unreachable!(),
                    });
                }
            }
            VarDef::VariantContent { value, ty, variant } => {
                let e = self.expr(value);
                let variant_s = variant.to_string();
                quote! {
                    #[allow(unreachable_patterns)]
                    let #v = __E::variant_content_of::<#ty, _>(&(#e).cast(), #variant_s, |__x| match __x {
                        #ty::#variant(__content) => __content,
                        _ => ::core::unreachable!(),
                    });
                }
            }
            VarDef::Pending => quote!(),
        }
    }

    /// An expression: a value of type `__E::Expr<_>`.
    fn expr(&self, expr: &Expr) -> TokenStream {
        match expr {
            Expr::Var(id, span) => {
                let v = shadow(*id);
                quote_spanned!(*span=> #v.clone())
            }
            Expr::Field(base, field) => {
                let base = self.expr(base);
                let name = field.to_string();
                quote_spanned!(field.span()=> __E::field(&#base, #name, |__v| &__v.#field))
            }
            Expr::TupleField(base, index) => {
                let base = self.expr(base);
                let n = index.index as usize;
                quote_spanned!(index.span=> __E::tuple_field(&#base, #n, |__v| &__v.#index))
            }
            Expr::Index(base, index) => {
                let (base, index) = (self.expr(base), self.expr(index));
                quote!(__E::index(&#base, &#index))
            }
            Expr::Lit(lit) => self.lit(lit),
            Expr::Struct { path, fields } => {
                let fields = fields.iter().map(|(name, value)| {
                    let n = name.to_string();
                    let value = self.expr(value);
                    quote!((#n, __E::any(&#value)))
                });
                quote_spanned!(path_span(path)=> __E::object::<#path>(::std::vec![#(#fields),*]))
            }
            Expr::VariantStruct { ty, variant, fields } => {
                let v = variant.to_string();
                let fields = fields.iter().map(|(name, value)| {
                    let n = name.to_string();
                    let value = self.expr(value);
                    quote!((#n, __E::any(&#value)))
                });
                quote_spanned!(variant.span()=> __E::variant_object::<#ty>(#v, ::std::vec![#(#fields),*]))
            }
            Expr::UnitVariant { ty, variant } => {
                let v = variant.to_string();
                quote_spanned!(variant.span()=> __E::unit_variant::<#ty>(#v))
            }
            Expr::Array(items, _) => {
                let items = items.iter().map(|i| {
                    let i = self.expr(i);
                    quote!(__E::any(&#i))
                });
                quote!(__E::array::<__E::Any>(::std::vec![#(#items),*]))
            }
            Expr::Binary(op, a, b) => {
                let span = expr_span(a);
                let (a, b) = (self.expr(a), self.expr(b));
                match op {
                    BinOp::Add => quote_spanned!(span=> __E::add(&#a, &#b)),
                    BinOp::Div => quote_spanned!(span=> __E::div(&#a, &#b)),
                    BinOp::Sub | BinOp::Mul | BinOp::Rem => {
                        let op = jsonata_op(*op);
                        quote_spanned!(span=> __E::arith(&#a, #op, &#b))
                    }
                    BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                        let op = jsonata_op(*op);
                        quote_spanned!(span=> __E::compare(&#a, #op, &#b))
                    }
                    _ => {
                        let op = jsonata_op(*op);
                        quote!(__E::binary(&#a, #op, &#b))
                    }
                }
            }
            Expr::Not(e) => self.unary(e, quote!(__E::not)),
            Expr::Neg(inner) => {
                let span = expr_span(inner);
                let inner = self.expr(inner);
                quote_spanned!(span=> __E::neg(&#inner))
            }
            Expr::Len(e) => self.unary(e, quote!(__E::len)),
            Expr::CharCount(e) => self.unary(e, quote!(__E::char_count)),
            Expr::IsEmpty(e) => self.unary(e, quote!(__E::is_empty)),
            Expr::IsSome(e) => self.unary(e, quote!(__E::is_some)),
            Expr::IsNone(e) => self.unary(e, quote!(__E::is_none)),
            Expr::ToString(e) => {
                // Spanned, so that a value JSONata cannot format as Rust does is refused at its tokens.
                let span = expr_span(e);
                let e = self.expr(e);
                quote_spanned!(span=> __E::to_string(&#e))
            }
            Expr::Some(e) => self.unary(e, quote!(__E::some)),
            Expr::UnwrapOr(a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                quote!(__E::unwrap_or(&#a, &#b))
            }
            Expr::None(_) => quote!(__E::null::<__E::Any>()),
            Expr::Format(pieces, _) => {
                let pieces = pieces.iter().map(|p| {
                    let p = self.expr(p);
                    quote!(__E::any(&#p))
                });
                quote!(__E::concat(::std::vec![#(#pieces),*]))
            }
            Expr::Cast(e, ty) => {
                let span = expr_span(e);
                let e = self.expr(e);
                quote_spanned!(span=> __E::cast::<_, #ty>(&#e))
            }
            Expr::Unit(_) => quote!(__E::null::<()>()),
            Expr::OutcomeOk(var, span) => {
                let v = shadow(*var);
                quote_spanned!(*span=> __E::outcome_ok(&#v))
            }
            Expr::OutcomeErr(var, span) => {
                let v = shadow(*var);
                quote_spanned!(*span=> __E::outcome_err(&#v))
            }
        }
    }

    fn unary(&self, e: &Expr, f: TokenStream) -> TokenStream {
        let e = self.expr(e);
        quote!(#f(&#e))
    }

    /// A literal: a `serde_json::Value` built from the value rustc would compute, typed as
    /// Rust types the literal (an unsuffixed integer is an `i64`).
    fn lit(&self, lit: &syn::Lit) -> TokenStream {
        let private = self.private;
        let value = quote!(#private::serde_json::Value::from);
        let (json, ty) = match lit {
            syn::Lit::Str(s) => {
                let s = s.value();
                (quote!(#value(#s)), quote!(&'static str))
            }
            syn::Lit::Int(i) => {
                let ty = match i.suffix() {
                    "" => quote!(i64),
                    suffix => {
                        let ident = format_ident!("{}", suffix);
                        quote!(#ident)
                    }
                };
                // Literals are never negative (`-1` is a negation); past `u64`, JSON has only
                // floating-point numbers.
                let json = match i.base10_parse::<u64>() {
                    Ok(n) => quote!(#value(#n)),
                    Err(_) => {
                        let f: f64 = i.base10_digits().parse().unwrap_or(f64::MAX);
                        quote!(#value(#f))
                    }
                };
                (json, ty)
            }
            syn::Lit::Float(f) => {
                let f: f64 = f.base10_parse().unwrap_or(0.0);
                (quote!(#value(#f)), quote!(f64))
            }
            syn::Lit::Bool(b) => {
                let b = b.value;
                (quote!(#value(#b)), quote!(bool))
            }
            _ => (quote!(#private::serde_json::Value::Null), quote!(())),
        };
        quote!(__E::lit::<#ty>(#json))
    }

    fn template(&self, value: &Value) -> TokenStream {
        let private = self.private;
        match value {
            Value::Expr(e) => {
                let e = self.expr(e);
                quote!((#e).template())
            }
            Value::StepResult(path) => {
                let path = self.step(path);
                quote!(<#path as #private::Step>::result())
            }
            Value::BranchResult(i) => quote!(__E::branch_result::<__E::Any>(#i).template()),
            Value::MapResult => quote!(__E::map_result::<__E::Any>().template()),
            Value::StateInput => quote!(__E::state_input::<__E::Any>().template()),
            Value::InputIndex => quote!(__E::indexed_index().template()),
            Value::InputItem => quote!(__E::indexed_item::<__E::Any>().template()),
            Value::ErrorOutput => quote!(__E::error_output().template()),
            Value::Ok(inner) => {
                let inner = self.template(inner);
                quote!(#private::serde_json::json!({ "ok": #inner }))
            }
            Value::Err => quote!(#private::serde_json::json!({ "err": __E::error_output().template() })),
        }
    }

    /// An `Output`: an object template or one `{% … %}` string.
    fn output(&self, value: &Option<Value>) -> TokenStream {
        match value {
            Some(Value::Expr(e)) => {
                let e = self.expr(e);
                quote!(::core::option::Option::Some((#e).output_template()))
            }
            Some(v) => {
                let t = self.template(v);
                quote!(::core::option::Option::Some(#t))
            }
            None => quote!(::core::option::Option::None),
        }
    }

    fn assign(&self, assign: &[Assign]) -> TokenStream {
        let private = self.private;
        let entries = assign.iter().map(|a| {
            let name = &self.graph.var_names[a.var];
            let value = self.template(&a.value);
            quote!(assign.insert(#private::std::string::String::from(#name), #value);)
        });
        quote! {{
            let mut assign = #private::asl::Assign::new();
            #(#entries)*
            assign
        }}
    }

    fn name(&self, id: StateId) -> TokenStream {
        let name = self.graph.name(id);
        let private = self.private;
        quote!(#private::std::string::String::from(#name))
    }

    fn next(&self, next: Next) -> TokenStream {
        let private = self.private;
        match next {
            Next::To(id) => {
                let name = self.name(id);
                quote!(#private::asl::Next::State(#name))
            }
            Next::End => quote!(#private::asl::Next::End),
        }
    }

    fn machine(&self, machine: &Machine) -> TokenStream {
        let private = self.private;
        let start = self.name(machine.start);
        let states = machine.states.iter().map(|id| {
            let name = self.name(*id);
            let state = self.state(*id);
            match &self.graph.states[*id].kind {
                Kind::Task { callee, .. } => {
                    let callee = self.step(callee);
                    quote! {
                        match #state {
                            #private::asl::State::Task(task) => {
                                states.push_task(#name, task, <#callee as #private::Step>::CHILD_WORKFLOW)
                            }
                            other => states.push(#name, other),
                        }
                    }
                }
                _ => quote!(states.push(#name, #state);),
            }
        });
        quote! {{
            let mut machine = #private::asl::StateMachine::new(#start);
            let states = &mut machine.states;
            #(#states)*
            machine
        }}
    }

    fn catch(&self, catch: &Catch) -> TokenStream {
        let private = self.private;
        let errors = self.error_names(&catch.catches);
        let next = self.name(catch.next);
        let assign = self.assign(&catch.assign);
        let output = match &catch.output {
            Some(value) => {
                let value = self.template(value);
                quote!(::core::option::Option::Some(#value))
            }
            None => quote!(::core::option::Option::None),
        };
        quote! {
            #private::asl::Catcher {
                error_equals: #errors,
                next: #next,
                output: #output,
                assign: #assign,
            }
        }
    }

    fn error_names(&self, catches: &ErrCatch) -> TokenStream {
        let private = self.private;
        match catches {
            ErrCatch::All => quote!(::std::vec![#private::std::string::String::from("States.ALL")]),
            ErrCatch::Variants(variants) => {
                let names = variants.iter().map(|(ty, variant)| {
                    let v = variant.to_string();
                    quote_spanned!(variant.span()=> names.extend(#private::error_names::<#ty>(#v));)
                });
                quote!({
                    let mut names = #private::std::vec::Vec::new();
                    #(#names)*
                    names
                })
            }
        }
    }

    fn condition(&self, condition: &Condition) -> TokenStream {
        match condition {
            Condition::Cond(Cond::Bool(e)) => self.expr(e),
            Condition::Cond(Cond::IsSome { value, .. }) => {
                let e = self.expr(value);
                quote!(__E::is_some(&#e))
            }
            Condition::Arm { scrutinee, pat } => {
                let s = self.expr(scrutinee);
                self.pat(&s, pat)
            }
            Condition::Failed { var, catches } => {
                let v = shadow(*var);
                let names = match catches {
                    ErrCatch::All => quote!(::core::option::Option::None),
                    ErrCatch::Variants(_) => {
                        let names = self.error_names(catches);
                        quote!(::core::option::Option::Some(#names))
                    }
                };
                quote!(__E::outcome_failed(&#v, #names))
            }
        }
    }

    fn pat(&self, scrutinee: &TokenStream, pat: &ArmPat) -> TokenStream {
        match pat {
            ArmPat::Wild(_) => quote!(__E::lit::<bool>(true.into())),
            ArmPat::Variant { ty, variant, .. } => {
                let v = variant.to_string();
                quote_spanned!(variant.span()=> __E::is_variant::<#ty>(&(#scrutinee).cast(), #v))
            }
            ArmPat::Lit(lit) => {
                let lit = self.lit(lit);
                quote!(__E::binary(&#scrutinee, __E::Op::Eq, &#lit))
            }
            ArmPat::Range { lo, hi, inclusive } => {
                let lo = lo.as_ref().map(|lo| {
                    let lo = self.lit(lo);
                    quote!(__E::compare(&#scrutinee, __E::Op::Ge, &#lo))
                });
                let hi = hi.as_ref().map(|hi| {
                    let hi = self.lit(hi);
                    let op = if *inclusive { quote!(__E::Op::Le) } else { quote!(__E::Op::Lt) };
                    quote!(__E::compare(&#scrutinee, #op, &#hi))
                });
                match (lo, hi) {
                    (Some(lo), Some(hi)) => quote!(__E::binary(&#lo, __E::Op::And, &#hi)),
                    (Some(one), None) | (None, Some(one)) => one,
                    (None, None) => quote!(__E::lit::<bool>(true.into())),
                }
            }
            ArmPat::Or(cases) => {
                let mut cases = cases.iter().map(|c| self.pat(scrutinee, c));
                let first = cases.next().unwrap_or_else(|| quote!(__E::lit::<bool>(false.into())));
                cases.fold(first, |acc, c| quote!(__E::binary(&#acc, __E::Op::Or, &#c)))
            }
        }
    }

    /// The path generated code names a callee by: single names go through the steps module,
    /// spanned at the user's call.
    fn step(&self, path: &syn::Path) -> TokenStream {
        step_path(self.steps, path)
    }

    fn state(&self, id: StateId) -> TokenStream {
        let private = self.private;
        match &self.graph.states[id].kind {
            Kind::Task { callee, arg, task, assign, output, catch, next } => {
                let callee = self.step(callee);
                let arg = self.expr(arg);
                let assign = self.assign(assign);
                let output = self.output(output);
                let catch = catch.iter().map(|c| self.catch(c));
                let next = self.next(*next);
                let overrides = task_overrides(private, &callee, task);
                let task_fn = quote!(<#callee as #private::Step>::task);
                quote! {
                    #private::asl::State::Task({
                        let mut task = #task_fn(__E::any(&#arg).template());
                        task.assign = #assign;
                        task.output = #output;
                        task.catch = ::std::vec![#(#catch),*];
                        task.next = #next;
                        #(#overrides)*
                        task
                    })
                }
            }
            Kind::Pass { assign, output, next } => {
                let assign = self.assign(assign);
                let output = self.output(output);
                let next = self.next(*next);
                quote! {
                    #private::asl::State::Pass(#private::asl::Pass {
                        comment: ::core::option::Option::None,
                        output: #output,
                        assign: #assign,
                        next: #next,
                    })
                }
            }
            Kind::Choice { rules, default } => {
                let rules = rules.iter().map(|(condition, next)| {
                    let condition = self.condition(condition);
                    let next = self.name(*next);
                    quote! {
                        #private::asl::ChoiceRule {
                            condition: (#condition).template_string(),
                            next: #next,
                            assign: #private::asl::Assign::new(),
                        }
                    }
                });
                let default = match default {
                    Some(id) => {
                        let name = self.name(*id);
                        quote!(::core::option::Option::Some(#name))
                    }
                    None => quote!(::core::option::Option::None),
                };
                quote! {
                    #private::asl::State::Choice(#private::asl::Choice {
                        comment: ::core::option::Option::None,
                        choices: ::std::vec![#(#rules),*],
                        default: #default,
                        assign: #private::asl::Assign::new(),
                    })
                }
            }
            Kind::Wait { seconds, timestamp, next } => {
                let until = match (seconds, timestamp) {
                    (Some(Seconds::Literal(n)), _) => {
                        quote!(#private::asl::WaitFor::Seconds(#private::serde_json::Value::from(#n)))
                    }
                    (Some(Seconds::Expr { value, multiplier }), _) => {
                        let value = self.expr(value);
                        let value = if *multiplier == 1 {
                            value
                        } else {
                            let m =
                                self.lit(&syn::Lit::Int(syn::LitInt::new(&multiplier.to_string(), Span::call_site())));
                            quote!(__E::arith(&#value, __E::Op::Mul, &#m))
                        };
                        quote!(#private::asl::WaitFor::Seconds(#private::serde_json::Value::from((#value).template_string())))
                    }
                    (None, Some(ts)) => {
                        let ts = self.expr(ts);
                        quote!(#private::asl::WaitFor::Timestamp(#private::serde_json::Value::from((#ts).template_string())))
                    }
                    (None, None) => quote!(#private::asl::WaitFor::Seconds(#private::serde_json::Value::from(0))),
                };
                let next = self.next(*next);
                quote! {
                    #private::asl::State::Wait(#private::asl::Wait {
                        comment: ::core::option::Option::None,
                        until: #until,
                        assign: #private::asl::Assign::new(),
                        next: #next,
                    })
                }
            }
            Kind::Parallel { branches, assign, output, catch, next } => {
                let branches = branches.iter().map(|b| self.machine(b));
                let assign = self.assign(assign);
                let output = self.output(output);
                let catch = catch.iter().map(|c| self.catch(c));
                let next = self.next(*next);
                quote! {
                    #private::asl::State::Parallel(#private::asl::Parallel {
                        comment: ::core::option::Option::None,
                        branches: ::std::vec![#(#branches),*],
                        arguments: ::core::option::Option::None,
                        output: #output,
                        assign: #assign,
                        retry: ::std::vec::Vec::new(),
                        catch: ::std::vec![#(#catch),*],
                        next: #next,
                    })
                }
            }
            Kind::Map { items, indexed, processor, max_concurrency, distributed, assign, next } => {
                let items = self.expr(items);
                let item_selector = if *indexed {
                    quote!(::core::option::Option::Some(__E::indexed_item_selector()))
                } else {
                    quote!(::core::option::Option::None)
                };
                let processor = self.machine(processor);
                let max = match max_concurrency {
                    Some(n) => {
                        let n = *n as u32;
                        quote!(::core::option::Option::Some(#n))
                    }
                    None => quote!(::core::option::Option::None),
                };
                let (config, label) = match distributed {
                    Some(d) => {
                        let express = d.express;
                        let label = match &d.label {
                            Some(l) => quote!(::core::option::Option::Some(#private::std::string::String::from(#l))),
                            None => quote!(::core::option::Option::None),
                        };
                        (quote!(#private::asl::ProcessorConfig::distributed(#express)), label)
                    }
                    None => (quote!(#private::asl::ProcessorConfig::inline()), quote!(::core::option::Option::None)),
                };
                let assign = self.assign(assign);
                let next = self.next(*next);
                quote! {
                    #private::asl::State::Map(#private::asl::Map {
                        comment: ::core::option::Option::None,
                        items: #private::serde_json::Value::from((#items).template_string()),
                        item_selector: #item_selector,
                        item_processor: {
                            let mut processor = #processor;
                            processor.processor_config = ::core::option::Option::Some(#config);
                            processor
                        },
                        max_concurrency: #max,
                        label: #label,
                        output: ::core::option::Option::None,
                        assign: #assign,
                        retry: ::std::vec::Vec::new(),
                        catch: ::std::vec::Vec::new(),
                        next: #next,
                    })
                }
            }
            Kind::Succeed { output } => {
                let output = self.output(output);
                quote! {
                    #private::asl::State::Succeed(#private::asl::Succeed {
                        comment: ::core::option::Option::None,
                        output: #output,
                    })
                }
            }
            Kind::Fail(fail) => {
                let (error, cause) = match fail {
                    FailWith::Variant { ty, variant, fields, unit } => {
                        let v = variant.to_string();
                        let error = quote_spanned!(variant.span()=> #private::error_name::<#ty>(#v));
                        let cause = match fields {
                            // The message, with the fields (by their Rust names: error types
                            // have no `Data`) put in.
                            Some(Expr::Struct { fields, .. }) => {
                                let fields = fields.iter().map(|(name, value)| {
                                    let n = name.to_string();
                                    let value = self.expr(value);
                                    quote!((#n, __E::any(&#value)))
                                });
                                quote!(__E::error_message::<#ty>(#v, ::std::vec![#(#fields),*]).template_string())
                            }
                            Some(Expr::Array(values, _)) => {
                                let fields = values.iter().enumerate().map(|(i, value)| {
                                    let n = i.to_string();
                                    let value = self.expr(value);
                                    quote!((#n, __E::any(&#value)))
                                });
                                quote!(__E::error_message::<#ty>(#v, ::std::vec![#(#fields),*]).template_string())
                            }
                            Some(fields) => {
                                let fields = self.expr(fields);
                                quote!(__E::to_json_string(&#fields).template_string())
                            }
                            None if *unit => quote!(#private::std::string::ToString::to_string(&#ty::#variant)),
                            None => quote!(#private::std::string::String::new()),
                        };
                        (error, cause)
                    }
                    FailWith::OutcomeErr(var) => {
                        let v = shadow(*var);
                        (
                            quote!(__E::reraised_name(&__E::caught_error(&__E::outcome_err(&#v))).template_string()),
                            quote!(__E::caught_cause(&__E::outcome_err(&#v)).template_string()),
                        )
                    }
                    FailWith::Rethrow(var) => {
                        let v = shadow(*var);
                        (
                            quote!(__E::reraised_name(&__E::caught_error(&#v)).template_string()),
                            quote!(__E::caught_cause(&#v).template_string()),
                        )
                    }
                };
                quote! {
                    #private::asl::State::Fail(#private::asl::Fail {
                        comment: ::core::option::Option::None,
                        error: ::core::option::Option::Some(#error),
                        cause: ::core::option::Option::Some(#cause),
                    })
                }
            }
        }
    }
}

/// The statements that apply a call's `#[task(..)]` settings to `task`, the Task of step
/// `callee`: the state machine's Task and the native call (`native_call`) get the same.
pub fn task_overrides(private: &TokenStream, callee: &TokenStream, task: &TaskSettings) -> Vec<TokenStream> {
    let mut overrides = Vec::new();
    if let Some(rules) = &task.retry {
        // A callback activity's variants are those of its own error type, not `CallbackError`.
        let error = quote!(<#callee as #private::RetryErrors>::Error);
        let rules = rules.iter().map(|r| super::activity::emit_retrier(private, r, &error));
        let retry = quote!(::std::vec![#(#rules),*]);
        overrides.push(quote!(task.retry = #private::asl::Retrier::with_service_errors(#retry, <#callee as #private::Step>::LAMBDA);));
    }
    if let Some(t) = task.timeout_seconds {
        overrides.push(quote!(task.timeout_seconds = ::core::option::Option::Some(#t);));
    }
    if let Some(h) = task.heartbeat_seconds {
        overrides.push(quote!(task.heartbeat_seconds = ::core::option::Option::Some(#h);));
    }
    overrides
}

/// The compile-time checks of every call's `#[task(retry(..))]`: each variant exists on the
/// error type of the called function, each string is a name it can fail with. Emitted once per
/// Task (the native call applies the same rules), as items beside the workflow's impls.
pub fn emit_task_checks(graph: &Graph, private: &TokenStream, steps: &syn::Ident) -> Vec<TokenStream> {
    graph
        .states_in_order()
        .into_iter()
        .flat_map(|id| match &graph.states[id].kind {
            Kind::Task { callee, task, .. } => task_checks(private, &step_path(steps, callee), callee, task),
            _ => Vec::new(),
        })
        .collect()
}

fn task_checks(private: &TokenStream, callee: &TokenStream, path: &syn::Path, task: &TaskSettings) -> Vec<TokenStream> {
    let Some(rules) = &task.retry else { return Vec::new() };
    let error = quote!(<#callee as #private::RetryErrors>::Error);
    let lambda = quote!(<#callee as #private::Step>::LAMBDA);
    let name = quote!(#path).to_string().replace(' ', "");
    let owner = super::activity::RetryOwner { error: &error, lambda, name: &name };
    let mut checks = super::activity::name_checks(private, rules, &owner);
    checks.extend(rules.iter().flat_map(|r| &r.errors).filter_map(|e| match e {
        crate::ir::RetryError::Variant(variant) => {
            let v = variant.to_string();
            Some(super::respan(
                quote! {
                    const _: () = #private::check_retry_variant(&<#error as #private::ErrorNames>::NAMES, #name, #v);
                },
                variant.span(),
            ))
        }
        _ => None,
    }));
    checks
}

fn path_span(path: &syn::Path) -> Span {
    path.segments.last().map(|s| s.ident.span()).unwrap_or_else(Span::call_site)
}

#[cfg(test)]
mod tests {
    use crate::ast::Workflow;
    use crate::attr::WorkflowAttrs;
    use crate::ctxt::Ctxt;
    use quote::quote;

    /// The code a workflow's `definition()` runs, as text.
    fn definition(function: &syn::ItemFn) -> String {
        let cx = Ctxt::new();
        let workflow = Workflow::from_syn(&cx, WorkflowAttrs::default(), function);
        let graph = crate::lower::lower_workflow(&cx, &workflow);
        cx.check().expect("a valid workflow");
        let steps = super::steps_module(&function.sig.ident);
        super::emit_definition(&graph, &workflow.body.vars, &quote!(::stepcraft::__private), &steps, None, None)
            .to_string()
    }

    #[test]
    fn every_jsonata_text_comes_from_the_runtime() {
        let code = definition(&syn::parse_quote! {
            async fn checkout(order: Order) -> Result<Receipt, E> {
                let (a, b) = try_join!(ship(order.clone()), notify(order.clone()))?;
                if order.total > 100 && order.note == "gift" {
                    let receipt = match charge(order).await {
                        Ok(r) => r,
                        Err(e) => return Err(e),
                    };
                    return Ok(receipt);
                }
                for item in order.items {
                    pack(item).await?;
                }
                Ok(a)
            }
        });
        // No JSONata is written here: no template, no operator, no `$states`.
        assert!(!code.contains("{%"), "{code}");
        assert!(!code.contains("$states"), "{code}");
        assert!(code.contains("__E :: Op :: Gt"), "{code}");
        assert!(code.contains("__E :: Op :: And"), "{code}");
        assert!(code.contains("__E :: branch_result"), "{code}");
        assert!(code.contains("__E :: error_output ()"), "{code}");
    }

    #[test]
    fn literals_are_json_values_not_reparsed_text() {
        let code = definition(&syn::parse_quote! {
            async fn checkout(order: Order) -> Result<(), E> {
                if order.total > 7 && order.rate < 1.5 && order.gift == true {
                    review(order).await?;
                }
                Ok(())
            }
        });
        assert!(!code.contains("from_str"), "{code}");
        assert!(code.contains("serde_json :: Value :: from (7u64)"), "{code}");
        assert!(code.contains("serde_json :: Value :: from (1.5f64)"), "{code}");
        assert!(code.contains("serde_json :: Value :: from (true)"), "{code}");
    }

    #[test]
    fn the_steps_module_names_each_single_name_callee_once() {
        let function: syn::ItemFn = syn::parse_quote! {
            async fn checkout(order: Order) -> Result<(), E> {
                charge(order.clone()).await?;
                charge(order.clone()).await?;
                payments::refund(order).await?;
                Ok(())
            }
        };
        let cx = Ctxt::new();
        let workflow = Workflow::from_syn(&cx, WorkflowAttrs::default(), &function);
        let graph = crate::lower::lower_workflow(&cx, &workflow);
        cx.check().expect("a valid workflow");
        let steps = super::steps_module(&function.sig.ident);
        let module = super::emit_steps_module(&graph, &workflow.body.vars, &steps).to_string();
        assert_eq!(module.matches("pub struct charge").count(), 1, "{module}");
        assert!(!module.contains("refund"), "{module}");
        assert_eq!(super::callees(&graph, &steps).len(), 2);
    }
}
