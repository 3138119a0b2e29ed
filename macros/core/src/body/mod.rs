//! Parse stage, workflow bodies: turns the body of a `#[workflow]` function into a small,
//! checked language of flows (activity calls, branches, joins, loops, waits, returns) over pure
//! expressions, resolving every variable to a [`VarId`].
//!
//! Everything that cannot become a state machine, or is not deterministic, is reported here
//! with the offending tokens and what to write instead. Errors go to the [`Ctxt`]; parsing goes
//! on so that every mistake of the function is reported at once.
//!
//! The rooms of this stage:
//!
//! * `mod.rs` (here): the flow types parse produces, the [`Parser`] with its scopes, and the
//!   `syn` helpers every room shares. The expression language itself ([`Expr`], [`Cond`],
//!   [`Vars`], …) belongs to the IR (`ir/expr.rs`): lowering moves expressions into states
//!   unchanged, so they have one type, owned by the stage that keeps them.
//! * `flow.rs`: control flow — statements, `let`, calls, `match`, `if`, `for`, `join!`,
//!   `return` — into [`Flow`]s. It may call `expr.rs` for the values inside, never build
//!   expressions itself.
//! * `expr.rs`: pure expressions into [`Expr`]s. It knows nothing of states or control flow.
//! * `rules.rs`: the tables of what a workflow may not do (nondeterministic calls, JSONata's
//!   reserved names, number types), as data with their reasons; no `syn` walking.

mod expr;
mod flow;
mod rules;

pub use crate::ir::expr::{
    ArmPat, BinOp, Cond, ErrCatch, Expr, Seconds, Var, VarDef, VarId, VariantBinding, Vars, expr_span,
};
pub use flow::block_diverges;
pub use rules::{JSONATA_FUNCTIONS, RESERVED_NAMES, is_reserved};

use crate::attr::{MapAttrs, TaskAttrs};
use crate::ctxt::Ctxt;
use proc_macro2::Span;
use std::collections::HashMap;
use syn::{Ident, Path};

/// The parsed body of a workflow.
pub struct Body {
    pub block: Block,
    pub vars: Vars,
}

/// A block: statements, then the value of the block.
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub tail: Option<Box<Flow>>,
    pub span: Span,
}

/// A statement.
pub enum Stmt {
    /// `let pat = flow;`
    Let { pat: LetPat, init: Flow },
    /// `flow;`
    Flow(Flow),
}

/// What a `let` binds.
pub enum LetPat {
    /// `let x = …`
    Var(VarId),
    /// `let _ = …`
    Wild,
    /// `let (a, _, c) = …`
    Tuple(Vec<Option<VarId>>),
}

/// A piece of control flow: what becomes states.
pub enum Flow {
    /// A value computed by an expression alone (no state).
    Pure(Expr),
    /// `callee(arg).await?` (`try_`) or `callee(arg).await`.
    Call(Call),
    /// `match callee(arg).await { Ok(..) => .., Err(..) => .. }`
    MatchCall { call: Call, ok: OkArm, errs: Vec<ErrArm>, span: Span },
    /// `if` / `if let` / `else if` chains.
    If { branches: Vec<(Cond, Block)>, otherwise: Option<Block>, span: Span },
    /// `match` on a value.
    Match { scrutinee: Expr, arms: Vec<(ArmPat, Block)>, span: Span },
    /// `try_join!(..)?`, or `join!(..)` (`results`: each branch's `Result` is kept, for the
    /// workflow to handle).
    Join { branches: Vec<Branch>, span: Span, results: bool },
    /// `r?` on a `join!` result: fails the workflow with its error, else its value.
    Unwrap { var: VarId, span: Span },
    /// `match r { Ok(v) => .., Err(e) => .. }` on a `join!` result.
    MatchOutcome { var: VarId, ok: OkArm, errs: Vec<ErrArm>, span: Span },
    /// `for item in items { .. }`
    For(Box<ForLoop>),
    /// `sleep(duration).await` or `sleep_until(timestamp).await`.
    Sleep { until: SleepUntil, span: Span },
    /// `return Ok(..)` / `return Err(..)` (and the tail `Ok(..)` of the function).
    Return(Return),
    /// `{ .. }`
    Block(Block),
}

/// An activity or workflow call.
pub struct Call {
    pub callee: Path,
    pub arg: Expr,
    /// Whether `?` follows: an error then fails the workflow.
    pub try_: bool,
    pub task: TaskAttrs,
    pub span: Span,
}

/// The `Ok(v) => body` arm of a `match` on a call.
pub struct OkArm {
    pub binding: Option<VarId>,
    pub body: Block,
}

/// An `Err(..) => body` arm of a `match` on a call.
pub struct ErrArm {
    pub catches: ErrCatch,
    pub binding: Option<VarId>,
    pub body: Block,
    pub span: Span,
}

/// One branch of a `try_join!`.
pub enum Branch {
    /// `callee(arg)`.
    Call(Call),
    /// `async { .. }`: its tail is the branch's value.
    Block(Block),
}

/// A `for` loop: a Map state.
pub struct ForLoop {
    pub item: Option<VarId>,
    /// `for (i, item) in items.iter().enumerate()`: the item's index.
    pub index: Option<VarId>,
    pub items: Expr,
    pub body: Block,
    /// `collected.push(value)` as the body's last statement: `collected` gets every value (an
    /// expression, or an activity call `f(x).await?`).
    pub collect: Option<(VarId, Flow)>,
    pub attrs: MapAttrs,
    pub span: Span,
}

/// What a `Wait` waits for.
pub enum SleepUntil {
    /// `sleep(Duration::from_secs(n))`: whole seconds (a literal or an expression).
    Seconds(Seconds),
    /// `sleep_until(timestamp)`: an RFC 3339 string.
    Timestamp(Expr),
}

/// How the workflow (or a branch) ends.
pub enum Return {
    /// `Ok(value)`: the value may itself need states (`Ok(ship(o).await?)`).
    Ok(Box<Flow>),
    /// `Err(Enum::Variant ..)`.
    ErrVariant { ty: Path, variant: Ident, fields: Option<Expr>, unit: bool, span: Span },
    /// `Err(e)` / `Err(e.into())` with `e` a caught error: raised again as it was.
    Rethrow { caught: VarId, span: Span },
}

fn path_string(path: &Path) -> String {
    path.segments.iter().map(|s| s.ident.to_string()).collect::<Vec<_>>().join("::")
}

/// What encloses a statement, for what `return` means there.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Nest {
    /// A `for` loop's body: a Map iteration, which cannot end the workflow.
    Loop,
    /// A `try_join!`/`join!` branch: `return` ends the `async` block, so the branch, as in Rust.
    Branch,
}

/// Reads a workflow's body.
pub struct Parser<'a> {
    cx: &'a Ctxt,
    vars: Vars,
    scopes: Vec<HashMap<String, VarId>>,
    /// The `for` loops and `join!` branches around the statement being read, innermost last.
    nested: Vec<Nest>,
    /// Parsing the tail of the function (or of a branch of it): `Ok(..)`/`Err(..)` end the
    /// workflow there.
    tail_ctx: bool,
    /// The variables declared `let mut` (already reported): changing them is the same mistake.
    mutable: Vec<VarId>,
    /// The innermost `#[map(distributed)]` loop whose body is being read.
    isolated: Option<Isolated>,
}

/// A `#[map(distributed)]` loop's body: its iterations are child executions, which see their
/// item and nothing else of the workflow.
struct Isolated {
    /// How many scopes enclose the loop: a variable found in one of them is outside it.
    outer_scopes: usize,
    /// The outer variables read so far (each is reported once).
    reported: Vec<VarId>,
}

impl<'a> Parser<'a> {
    /// Parses the body of `function`, whose argument `input` (a pattern binding one name) has
    /// type `ty`; the names `rejected` binds (arguments the signature stage reported) are known
    /// but have no value.
    pub fn parse(
        cx: &'a Ctxt,
        function: &syn::ItemFn,
        input: Option<(&Ident, &syn::Type)>,
        rejected: &[&syn::Pat],
    ) -> Body {
        let mut parser = Parser {
            cx,
            vars: Vars::default(),
            scopes: vec![HashMap::new()],
            nested: Vec::new(),
            tail_ctx: false,
            mutable: Vec::new(),
            isolated: None,
        };
        if let Some((ident, ty)) = input {
            parser.bind(ident, VarDef::Input(ty.clone()));
        }
        for pat in rejected {
            parser.bind_rejected(pat);
        }
        let block = parser.block(&function.block, true);
        for var in &parser.vars.list {
            if matches!(var.def, VarDef::Pending) {
                cx.error_spanned_by(
                    &var.rust,
                    format!("`{}` is never filled: push into it as the last statement of a `for` loop", var.rust),
                );
            }
        }
        Body { block, vars: parser.vars }
    }

    fn error<T: quote::ToTokens>(&self, tokens: T, message: impl std::fmt::Display) {
        self.cx.error_spanned_by(tokens, message);
    }

    /// Declares a variable in the innermost scope.
    fn bind(&mut self, ident: &Ident, def: VarDef) -> VarId {
        let rust = ident.to_string();
        let id = self.vars.list.len();
        let known = !matches!(def, VarDef::Pending);
        self.vars.list.push(Var { rust: ident.clone(), def });
        if known {
            self.vars.order.push(id);
        }
        self.scopes.last_mut().expect("a scope").insert(rust, id);
        id
    }

    /// Declares every name `pat` binds as a variable without a value: the pattern was reported,
    /// and uses of its names are not errors of their own.
    fn bind_rejected(&mut self, pat: &syn::Pat) {
        struct Names<'p>(Vec<&'p Ident>);
        impl<'p> syn::visit::Visit<'p> for Names<'p> {
            fn visit_pat_ident(&mut self, p: &'p syn::PatIdent) {
                if !starts_upper(&p.ident) {
                    self.0.push(&p.ident);
                }
                syn::visit::visit_pat_ident(self, p);
            }
        }
        let mut names = Names(Vec::new());
        syn::visit::Visit::visit_pat(&mut names, pat);
        for ident in names.0 {
            self.bind(ident, VarDef::Alias(Expr::Unit(ident.span())));
        }
    }

    /// Whether `expr` (the target of an assignment) is, or is inside, a variable declared
    /// `let mut`, which was reported at its declaration.
    fn is_declared_mutable(&self, expr: &syn::Expr) -> bool {
        match strip(expr) {
            syn::Expr::Path(p) => p
                .path
                .get_ident()
                .and_then(|i| self.lookup(&i.to_string()))
                .is_some_and(|id| self.mutable.contains(&id)),
            syn::Expr::Field(f) => self.is_declared_mutable(&f.base),
            syn::Expr::Index(i) => self.is_declared_mutable(&i.expr),
            _ => false,
        }
    }

    fn define(&mut self, id: VarId, def: VarDef) {
        self.vars.list[id].def = def;
        self.vars.order.push(id);
    }

    /// The `join!` result variable `p` names, if it names one.
    fn outcome_var(&self, p: &syn::ExprPath) -> Option<VarId> {
        let id = self.lookup(&p.path.get_ident()?.to_string())?;
        matches!(self.vars.list[id].def, VarDef::Outcome(_)).then_some(id)
    }

    /// Whether `expr` names a variable whose value was already in error.
    fn is_poisoned(&self, expr: &syn::Expr) -> bool {
        match strip(expr) {
            syn::Expr::Path(p) => p
                .path
                .get_ident()
                .and_then(|i| self.lookup(&i.to_string()))
                .is_some_and(|id| matches!(self.vars.list[id].def, VarDef::Alias(Expr::Unit(_)))),
            _ => false,
        }
    }

    fn lookup(&self, name: &str) -> Option<VarId> {
        self.scopes.iter().rev().find_map(|s| s.get(name).copied())
    }

    /// The variable `ident` names, read as a value: inside a `#[map(distributed)]` loop, one
    /// defined outside it is an error.
    fn read(&mut self, ident: &Ident) -> Option<VarId> {
        let name = ident.to_string();
        let id = self.lookup(&name)?;
        self.check_isolated_read(id, &name, ident.span());
        Some(id)
    }

    // A Distributed Map's iterations are child executions: Step Functions gives each its item
    // as the execution's input, and "Distributed Map cannot reference outer variables" (AWS,
    // "Passing data between states with variables"), nor the workflow's input (the child's
    // `$states.context.Execution.Input` is its item). A read of anything else would compile
    // and fail, or read the item, on AWS only.
    fn check_isolated_read(&mut self, id: VarId, name: &str, span: Span) {
        let Some(isolated) = &self.isolated else { return };
        let depth = self.scopes.iter().rposition(|s| s.get(name) == Some(&id));
        if depth.is_none_or(|d| d >= isolated.outer_scopes) || isolated.reported.contains(&id) {
            return;
        }
        self.cx.error_at(
            span,
            format!(
                "`{name}` is defined outside this `#[map(distributed)]` loop, whose iterations are child executions \
                 that receive their item and nothing else; make `{name}` part of the items the loop iterates over, \
                 or remove `distributed` for an inline Map, which can read it"
            ),
        );
        if let Some(isolated) = &mut self.isolated {
            isolated.reported.push(id);
        }
    }
}

fn expr_attrs(expr: &syn::Expr) -> &[syn::Attribute] {
    match expr {
        syn::Expr::Try(e) => &e.attrs,
        syn::Expr::Await(e) => &e.attrs,
        syn::Expr::Match(e) => &e.attrs,
        syn::Expr::ForLoop(e) => &e.attrs,
        syn::Expr::Call(e) => &e.attrs,
        syn::Expr::MethodCall(e) => &e.attrs,
        _ => &[],
    }
}

fn strip(expr: &syn::Expr) -> &syn::Expr {
    match expr {
        syn::Expr::Paren(p) => strip(&p.expr),
        syn::Expr::Group(g) => strip(&g.expr),
        other => other,
    }
}

/// `e.into()`, `From::from(e)`, `e.clone()`: the value itself.
fn strip_conversions(expr: &syn::Expr) -> &syn::Expr {
    match strip(expr) {
        syn::Expr::MethodCall(m) if matches!(m.method.to_string().as_str(), "into" | "clone") && m.args.is_empty() => {
            strip_conversions(&m.receiver)
        }
        syn::Expr::Call(c) if c.args.len() == 1 => match strip(&c.func) {
            syn::Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "from") => {
                strip_conversions(&c.args[0])
            }
            _ => strip(expr),
        },
        other => other,
    }
}

/// `items.iter()`, `items.into_iter()`, `&items`, `items.clone()`: the collection itself.
fn strip_iteration(expr: &syn::Expr) -> &syn::Expr {
    match strip(expr) {
        syn::Expr::MethodCall(m)
            if matches!(m.method.to_string().as_str(), "iter" | "into_iter" | "clone" | "to_vec")
                && m.args.is_empty() =>
        {
            strip_iteration(&m.receiver)
        }
        syn::Expr::Reference(r) => strip_iteration(&r.expr),
        other => other,
    }
}

fn strip_pat_type(pat: &syn::Pat) -> &syn::Pat {
    match pat {
        syn::Pat::Type(t) => strip_pat_type(&t.pat),
        syn::Pat::Paren(p) => strip_pat_type(&p.pat),
        other => other,
    }
}

fn is_empty_vec(expr: &syn::Expr) -> bool {
    match strip(expr) {
        syn::Expr::Call(c) if c.args.is_empty() || c.args.len() == 1 => matches!(
            strip(&c.func),
            syn::Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "new" || s.ident == "with_capacity")
        ),
        syn::Expr::Macro(m) => macro_name(&m.mac) == "vec" && m.mac.tokens.is_empty(),
        _ => false,
    }
}

/// `Some(true)` for `Ok`, `Some(false)` for `Err`.
fn is_ok_or_err(func: &syn::Expr) -> Option<bool> {
    match strip(func) {
        syn::Expr::Path(p) if p.path.is_ident("Ok") => Some(true),
        syn::Expr::Path(p) if p.path.is_ident("Err") => Some(false),
        syn::Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Ok") => Some(true),
        _ => None,
    }
}

fn single_arg<'e>(cx: &Ctxt, call: &'e syn::ExprCall, name: &str) -> Option<&'e syn::Expr> {
    if call.args.len() == 1 {
        Some(&call.args[0])
    } else {
        cx.error_spanned_by(call, format!("`{name}` takes one argument"));
        None
    }
}

fn macro_name(mac: &syn::Macro) -> String {
    mac.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default()
}

fn starts_upper(ident: &Ident) -> bool {
    ident.to_string().trim_start_matches("r#").chars().next().is_some_and(char::is_uppercase)
}

/// `Enum::Variant` → (`Enum`, `Variant`).
fn split_variant(path: &Path) -> Option<(Path, Ident)> {
    if path.segments.len() < 2 {
        return None;
    }
    let mut ty = path.clone();
    let variant = ty.segments.pop()?.into_value().ident;
    Some((Path { leading_colon: ty.leading_colon, segments: strip_trailing_punct(ty.segments) }, variant))
}

fn strip_trailing_punct(
    segments: syn::punctuated::Punctuated<syn::PathSegment, syn::Token![::]>,
) -> syn::punctuated::Punctuated<syn::PathSegment, syn::Token![::]> {
    segments.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `function`'s body, with its one argument `order: Order`; returns the body and
    /// the errors, one string each.
    fn parse(function: syn::ItemFn) -> (Body, Vec<String>) {
        let cx = Ctxt::new();
        let ident: Ident = syn::parse_quote!(order);
        let ty: syn::Type = syn::parse_quote!(Order);
        let body = Parser::parse(&cx, &function, Some((&ident, &ty)), &[]);
        let errors = match cx.check() {
            Ok(()) => Vec::new(),
            Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
        };
        (body, errors)
    }

    #[test]
    fn a_call_with_question_mark_is_a_try_call_bound_to_a_step_variable() {
        let (body, errors) = parse(syn::parse_quote! {
            async fn checkout(order: Order) -> Result<Receipt, E> {
                let receipt = charge(order.clone()).await?;
                Ok(receipt)
            }
        });
        assert!(errors.is_empty(), "{errors:?}");
        let [Stmt::Let { pat: LetPat::Var(var), init: Flow::Call(call) }] = body.block.stmts.as_slice() else {
            panic!("expected `let receipt = charge(..).await?`")
        };
        assert!(call.try_);
        assert!(call.callee.is_ident("charge"));
        assert!(matches!(&body.vars.list[*var].def, VarDef::Step(path) if path.is_ident("charge")));
        assert!(matches!(body.block.tail.as_deref(), Some(Flow::Return(Return::Ok(_)))));
    }

    #[test]
    fn a_match_on_a_call_catches_variants_and_everything_else() {
        let (body, errors) = parse(syn::parse_quote! {
            async fn checkout(order: Order) -> Result<Receipt, E> {
                match charge(order).await {
                    Ok(r) => Ok(r),
                    Err(PaymentError::Declined { .. }) => Err(E::Declined),
                    Err(e) => Err(e),
                }
            }
        });
        assert!(errors.is_empty(), "{errors:?}");
        let Some(Flow::MatchCall { errs, .. }) = body.block.tail.as_deref() else {
            panic!("expected a match on a call")
        };
        assert!(matches!(&errs[0].catches, ErrCatch::Variants(v) if v[0].1 == "Declined"));
        assert!(matches!(errs[1].catches, ErrCatch::All));
    }

    #[test]
    fn nondeterminism_and_loops_are_rejected_with_what_to_write_instead() {
        let (_, errors) = parse(syn::parse_quote! {
            async fn checkout(order: Order) -> Result<(), E> {
                let now = std::time::SystemTime::now();
                loop {}
                Ok(())
            }
        });
        assert!(errors.iter().any(|e| e.contains("reads the clock")), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("`loop` cannot become a state machine")), "{errors:?}");
    }

    #[test]
    fn return_in_a_join_branch_ends_the_branch_but_not_in_a_for_loop() {
        let (_, errors) = parse(syn::parse_quote! {
            async fn checkout(order: Order) -> Result<(), E> {
                let (a, b) = try_join!(ship(order.clone()), async {
                    if order.total > 100 {
                        return Err(E::TooMany);
                    }
                    Ok(order.total)
                })?;
                Ok(())
            }
        });
        assert!(errors.is_empty(), "{errors:?}");
        let (_, errors) = parse(syn::parse_quote! {
            async fn checkout(order: Order) -> Result<(), E> {
                for item in order.items {
                    return Err(E::TooMany);
                }
                Ok(())
            }
        });
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("or return after the loop"), "{errors:?}");
    }

    #[test]
    fn let_else_is_a_choice_on_none_and_binds_the_inner_value() {
        let (body, errors) = parse(syn::parse_quote! {
            async fn checkout(order: Order) -> Result<String, E> {
                let Some(note) = order.note.clone() else {
                    return Err(E::NoNote);
                };
                Ok(note)
            }
        });
        assert!(errors.is_empty(), "{errors:?}");
        let [Stmt::Flow(Flow::If { branches, otherwise: None, .. })] = body.block.stmts.as_slice() else {
            panic!("expected an `if` on `None`")
        };
        assert!(matches!(&branches[0].0, Cond::Bool(Expr::IsNone(_))));
        let note = body.vars.list.iter().find(|v| v.rust == "note").expect("`note` is bound");
        assert!(matches!(note.def, VarDef::SomeInner(_)));
    }

    #[test]
    fn sleeping_milliseconds_takes_whole_seconds_only() {
        let (body, errors) = parse(syn::parse_quote! {
            async fn checkout(order: Order) -> Result<(), E> {
                sleep(Duration::from_millis(3000)).await;
                Ok(())
            }
        });
        assert!(errors.is_empty(), "{errors:?}");
        let [Stmt::Flow(Flow::Sleep { until: SleepUntil::Seconds(Seconds::Literal(3)), .. })] =
            body.block.stmts.as_slice()
        else {
            panic!("expected a Wait of 3 s")
        };
        let (_, errors) = parse(syn::parse_quote! {
            async fn checkout(order: Order) -> Result<(), E> {
                sleep(Duration::from_millis(1500)).await;
                Ok(())
            }
        });
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("`Duration::from_secs(1)` or `Duration::from_secs(2)`"), "{errors:?}");
    }

    #[test]
    fn enumerate_binds_the_index_and_the_item() {
        let (body, errors) = parse(syn::parse_quote! {
            async fn checkout(order: Order) -> Result<(), E> {
                for (i, item) in order.items.iter().enumerate() {
                    pack(item.clone()).await?;
                }
                Ok(())
            }
        });
        assert!(errors.is_empty(), "{errors:?}");
        let [Stmt::Flow(Flow::For(f))] = body.block.stmts.as_slice() else { panic!("expected a `for` loop") };
        assert!(matches!(body.vars.list[f.index.expect("an index")].def, VarDef::ItemIndex));
        assert!(matches!(body.vars.list[f.item.expect("an item")].def, VarDef::ItemOf(_)));
    }

    #[test]
    fn plain_constructors_are_values_and_others_are_refused_with_their_own_hint() {
        let (body, errors) = parse(syn::parse_quote! {
            async fn checkout(order: Order) -> Result<(), E> {
                let note = String::new();
                let items = Vec::new();
                let count = u64::default();
                let flag = bool::default();
                let annotated: f64 = Default::default();
                Ok(())
            }
        });
        assert!(errors.is_empty(), "{errors:?}");
        let def = |name: &str| &body.vars.list.iter().find(|v| v.rust == name).expect("bound").def;
        assert!(matches!(def("note"), VarDef::Alias(Expr::Lit(syn::Lit::Str(s))) if s.value().is_empty()));
        assert!(matches!(def("items"), VarDef::Alias(Expr::Array(a, _)) if a.is_empty()));
        assert!(matches!(def("count"), VarDef::Alias(Expr::Cast(..))));
        assert!(matches!(def("flag"), VarDef::Alias(Expr::Lit(syn::Lit::Bool(b))) if !b.value));
        assert!(matches!(def("annotated"), VarDef::Alias(Expr::Cast(_, ty)) if *ty == syn::parse_quote!(f64)));
        for (call, hint) in [
            (quote::quote!(Default::default()), "does not see which type it builds"),
            (quote::quote!(Order::default()), "write the value with every field (`Order { .. }`)"),
            (quote::quote!(Order::new(order.id)), "`Order::new(..)` runs code of `Order`"),
            (quote::quote!(HashMap::new()), "build the collection in an activity"),
        ] {
            let function: syn::ItemFn = syn::parse_quote! {
                async fn checkout(order: Order) -> Result<(), E> {
                    let value = #call;
                    Ok(())
                }
            };
            let (_, errors) = parse(function);
            assert_eq!(errors.len(), 1, "{call}: {errors:?}");
            assert!(errors[0].contains(hint), "{call}: {errors:?}");
            assert!(!errors[0].contains("#[activity]"), "{call}: {errors:?}");
        }
    }

    #[test]
    fn the_innermost_forbidden_call_is_the_one_reported() {
        let (_, errors) = parse(syn::parse_quote! {
            async fn checkout(order: Order) -> Result<(), E> {
                let region = std::env::var("REGION").unwrap_or_default();
                let total = helper(std::time::SystemTime::now());
                Ok(())
            }
        });
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].contains("`std::env::var` reads the environment"), "{errors:?}");
        assert!(errors[1].contains("`std::time::SystemTime::now` reads the clock"), "{errors:?}");
    }

    #[test]
    fn rejected_bindings_stay_known() {
        let (_, errors) = parse(syn::parse_quote! {
            async fn checkout(order: Order) -> Result<(), E> {
                let mut total = order.total;
                total += 1;
                total = total * 2;
                let Order { id, .. } = order.clone();
                let label = format!("{id}-{total}");
                Ok(())
            }
        });
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].starts_with("workflow variables cannot change"), "{errors:?}");
        assert!(errors[1].starts_with("bind workflow values to a name"), "{errors:?}");
    }

    #[test]
    fn a_rejected_arm_is_its_one_error() {
        let (_, errors) = parse(syn::parse_quote! {
            async fn checkout(order: Order) -> Result<u64, E> {
                match charge(order).await {
                    Ok(Receipt { total, .. }) => Ok(total),
                    Err(e) => Err(e),
                }
            }
        });
        assert_eq!(errors.len(), 1, "{errors:?}");
        let (_, errors) = parse(syn::parse_quote! {
            async fn checkout(order: Order) -> Result<u64, E> {
                match charge(order).await {
                    Ok(r) if r > 1 => Ok(r),
                    Err(e) => Err(e),
                }
            }
        });
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("cannot test a guard"), "{errors:?}");
    }

    #[test]
    fn mutation_is_rejected() {
        let (_, errors) = parse(syn::parse_quote! {
            async fn checkout(order: Order) -> Result<(), E> {
                let mut total = order.total;
                Ok(())
            }
        });
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("workflow variables cannot change"));
    }
}
