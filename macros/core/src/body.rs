//! Parse stage, workflow bodies: turns the body of a `#[workflow]` function into a small,
//! checked language of flows (activity calls, branches, joins, loops, waits, returns) over pure
//! expressions, resolving every variable to a [`VarId`].
//!
//! Everything that cannot become a state machine, or is not deterministic, is reported here
//! with the offending tokens and what to write instead. Errors go to the [`Ctxt`]; parsing goes
//! on so that every mistake of the function is reported at once.

use crate::attr::{MapAttrs, TaskAttrs};
use crate::ctxt::Ctxt;
use crate::symbol::{MAP, TASK};
use proc_macro2::Span;
use std::collections::HashMap;
use syn::spanned::Spanned;
use syn::{Ident, Path};

/// A workflow variable.
pub type VarId = usize;

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

/// What an `Err` arm catches.
#[derive(Clone)]
pub enum ErrCatch {
    /// Every error (`Err(e)`, `Err(_)`): `States.ALL`.
    All,
    /// These variants of the error type.
    Variants(Vec<(Path, Ident)>),
}

/// A `Choice` condition.
#[derive(Clone)]
pub enum Cond {
    /// A boolean expression.
    Bool(Expr),
    /// `if let Some(x) = value`: binds `x` to the value.
    IsSome { value: Expr, binding: Option<VarId> },
}

/// A pattern of a `match` on a value.
#[derive(Clone)]
pub enum ArmPat {
    /// `_`, or a binding of the whole value.
    Wild(Option<VarId>),
    /// `Enum::Variant`, `Enum::Variant { a, .. }`, `Enum::Variant(x)`.
    Variant { ty: Path, variant: Ident, bindings: Vec<VariantBinding> },
    /// A literal.
    Lit(syn::Lit),
    /// `lo..=hi` / `lo..hi` with literal bounds.
    Range { lo: Option<syn::Lit>, hi: Option<syn::Lit>, inclusive: bool },
    /// `a | b`.
    Or(Vec<ArmPat>),
}

/// A value bound by a variant pattern.
#[derive(Clone)]
pub enum VariantBinding {
    /// `{ field }` / `{ field: name }`
    Field { field: Ident, var: VarId },
    /// `(content)` of a newtype variant.
    Content(VarId),
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

/// A number of seconds.
#[derive(Clone)]
pub enum Seconds {
    Literal(u64),
    Expr { value: Expr, multiplier: u64 },
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

/// A pure expression.
pub enum Expr {
    Var(VarId, Span),
    Field(Box<Expr>, Ident),
    TupleField(Box<Expr>, syn::Index),
    Index(Box<Expr>, Box<Expr>),
    Lit(syn::Lit),
    Struct {
        path: Path,
        fields: Vec<(Ident, Expr)>,
    },
    /// `Enum::Variant { a: x }`.
    VariantStruct {
        ty: Path,
        variant: Ident,
        fields: Vec<(Ident, Expr)>,
    },
    UnitVariant {
        ty: Path,
        variant: Ident,
    },
    Array(Vec<Expr>, Span),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Len(Box<Expr>),
    IsEmpty(Box<Expr>),
    IsSome(Box<Expr>),
    IsNone(Box<Expr>),
    ToString(Box<Expr>),
    UnwrapOr(Box<Expr>, Box<Expr>),
    Some(Box<Expr>),
    None(Span),
    Format(Vec<Expr>, Span),
    /// `value as u32`: a number type.
    Cast(Box<Expr>, syn::Type),
    /// The value of a successful `join!` result.
    OutcomeOk(VarId, Span),
    /// The error of a failed `join!` result.
    OutcomeErr(VarId, Span),
    Unit(Span),
}

/// A binary operator.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

impl BinOp {
    /// The JSONata operator.
    pub fn jsonata(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Eq => "=",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "and",
            BinOp::Or => "or",
        }
    }
}

/// The variables of a workflow.
#[derive(Default)]
pub struct Vars {
    pub list: Vec<Var>,
    /// Ids in the order their types became known: the order of their declarations in
    /// generated code.
    pub order: Vec<VarId>,
}

/// A variable.
pub struct Var {
    pub rust: Ident,
    pub def: VarDef,
}

/// Where a variable's value comes from: what gives it its type in generated code.
pub enum VarDef {
    /// Not known yet (a `let mut v = Vec::new()` before the loop that fills it).
    Pending,
    /// The workflow's argument, of this type.
    Input(syn::Type),
    /// The result of calling this activity or workflow.
    Step(Path),
    /// A name for an expression: no variable in the state machine.
    Alias(Expr),
    /// An error bound by a `Catch`.
    Caught,
    /// The value inside an `Option` expression.
    SomeInner(Expr),
    /// An item of a collection expression.
    ItemOf(Expr),
    /// The values a `for` loop collects, like this expression.
    CollectionOf(Expr),
    /// The results of calling this activity or workflow, collected by a `for` loop.
    CollectionOfStep(Path),
    /// A value like this expression (assigned on several paths).
    Like(Expr),
    /// A `join!` branch's `Result`: `{"ok": value}` or `{"err": {"Error", "Cause"}}`, its
    /// value typed as the inner definition says.
    Outcome(Box<VarDef>),
    /// A field of a struct variant.
    VariantField { value: Expr, ty: Path, variant: Ident, field: Ident },
    /// The content of a newtype variant.
    VariantContent { value: Expr, ty: Path, variant: Ident },
}

impl Vars {
    /// Whether the variable exists in the state machine (names for expressions do not; the
    /// workflow's argument is the execution's input).
    pub fn is_asl(&self, id: VarId) -> bool {
        !matches!(
            self.list[id].def,
            VarDef::Alias(_)
                | VarDef::Input(_)
                | VarDef::SomeInner(_)
                | VarDef::VariantField { .. }
                | VarDef::VariantContent { .. }
        )
    }
}

/// JSONata's function names: a variable of the same name would hide the function.
pub const RESERVED: &[&str] = &[
    "states",
    "string",
    "length",
    "substring",
    "substringBefore",
    "substringAfter",
    "uppercase",
    "lowercase",
    "trim",
    "pad",
    "contains",
    "split",
    "join",
    "match",
    "replace",
    "now",
    "millis",
    "number",
    "abs",
    "floor",
    "ceil",
    "round",
    "power",
    "sqrt",
    "random",
    "sum",
    "max",
    "min",
    "average",
    "count",
    "boolean",
    "not",
    "exists",
    "append",
    "sort",
    "reverse",
    "shuffle",
    "distinct",
    "zip",
    "keys",
    "lookup",
    "spread",
    "merge",
    "sift",
    "each",
    "error",
    "assert",
    "type",
    "map",
    "filter",
    "reduce",
    "single",
    "parse",
    "hash",
    "partition",
    "range",
    "uuid",
    "eval",
    "q",
];

/// Functions and macros a workflow must not call, by what they do.
fn nondeterministic(path: &str) -> Option<&'static str> {
    let last_two: Vec<&str> = path.rsplit("::").take(2).collect();
    let key = match last_two.as_slice() {
        [last, before] => format!("{before}::{last}"),
        [last] => (*last).to_owned(),
        _ => return None,
    };
    let what = match key.as_str() {
        "SystemTime::now"
        | "Instant::now"
        | "Utc::now"
        | "Local::now"
        | "OffsetDateTime::now_utc"
        | "Timestamp::now"
        | "Zoned::now" => "clock",
        "rand::random" | "rand::thread_rng" | "rand::rng" | "thread_rng" | "random" | "Uuid::new_v4"
        | "Uuid::now_v7" | "OsRng::default" => "random",
        "env::var" | "env::vars" | "env::var_os" | "env::args" | "env::current_dir" => "env",
        "tokio::spawn" | "task::spawn" | "thread::spawn" | "task::spawn_blocking" | "tokio::spawn_blocking" => "spawn",
        _ if key.starts_with("fs::")
            || key.starts_with("File::")
            || key.starts_with("TcpStream::")
            || key.starts_with("reqwest::")
            || key.starts_with("UdpSocket::")
            || key.starts_with("Command::") =>
        {
            "io"
        }
        _ => return None,
    };
    Some(what)
}

fn nondeterminism_message(path: &str, what: &str) -> String {
    match what {
        "clock" => format!(
            "`{path}` reads the clock, and a workflow must be deterministic: a state machine cannot read it; \
             read the time in an activity, or pass it in the workflow's input"
        ),
        "random" => format!(
            "`{path}` is random, and a workflow must be deterministic; generate the value in an activity and use its result"
        ),
        "env" => format!(
            "`{path}` reads the environment of a process, and a state machine has none; \
             pass the value in the workflow's input or read it in an activity"
        ),
        "spawn" => format!(
            "`{path}` starts work the state machine cannot see; run work concurrently with \
             `try_join!(a(x), b(y))?` (a Parallel state), or spawn it inside an activity"
        ),
        _ => format!("`{path}` does I/O, which only activities can do; move it into an `#[activity]` and call that"),
    }
}

fn path_string(path: &Path) -> String {
    path.segments.iter().map(|s| s.ident.to_string()).collect::<Vec<_>>().join("::")
}

/// Reads a workflow's body.
pub struct Parser<'a> {
    cx: &'a Ctxt,
    vars: Vars,
    scopes: Vec<HashMap<String, VarId>>,
    /// Inside a `for` loop body or a `try_join!` branch: `return` cannot end the workflow there.
    nested: Vec<&'static str>,
    /// Parsing the tail of the function (or of a branch of it): `Ok(..)`/`Err(..)` end the
    /// workflow there.
    tail_ctx: bool,
}

/// Whether a flow never falls through (every path returns).
fn diverges(flow: &Flow) -> bool {
    match flow {
        Flow::Return(_) => true,
        Flow::If { branches, otherwise: Some(otherwise), .. } => {
            branches.iter().all(|(_, b)| block_diverges(b)) && block_diverges(otherwise)
        }
        Flow::Match { arms, .. } => !arms.is_empty() && arms.iter().all(|(_, b)| block_diverges(b)),
        Flow::MatchCall { ok, errs, .. } | Flow::MatchOutcome { ok, errs, .. } => {
            block_diverges(&ok.body) && errs.iter().all(|a| block_diverges(&a.body))
        }
        Flow::Block(b) => block_diverges(b),
        _ => false,
    }
}

/// Whether a block never falls through.
pub fn block_diverges(block: &Block) -> bool {
    block.stmts.iter().any(|s| match s {
        Stmt::Let { init, .. } => diverges(init),
        Stmt::Flow(f) => diverges(f),
    }) || block.tail.as_deref().is_some_and(diverges)
}

impl<'a> Parser<'a> {
    /// Parses the body of `function`, whose argument `input` (a pattern binding one name) has
    /// type `ty`.
    pub fn parse(cx: &'a Ctxt, function: &syn::ItemFn, input: Option<(&Ident, &syn::Type)>) -> Body {
        let mut parser =
            Parser { cx, vars: Vars::default(), scopes: vec![HashMap::new()], nested: Vec::new(), tail_ctx: false };
        if let Some((ident, ty)) = input {
            parser.bind(ident, VarDef::Input(ty.clone()));
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

    fn block(&mut self, block: &syn::Block, top: bool) -> Block {
        self.scopes.push(HashMap::new());
        let parsed = self.stmts(&block.stmts, block.span(), top);
        self.scopes.pop();
        parsed
    }

    fn stmts(&mut self, stmts: &[syn::Stmt], span: Span, top: bool) -> Block {
        let outer = self.tail_ctx;
        let block = self.stmts_in(stmts, span, top);
        self.tail_ctx = outer;
        block
    }

    fn stmts_in(&mut self, stmts: &[syn::Stmt], span: Span, top: bool) -> Block {
        let mut out = Block { stmts: Vec::new(), tail: None, span };
        let mut ended_by: Option<Span> = None;
        for (i, stmt) in stmts.iter().enumerate() {
            if let Some(end) = ended_by {
                let _ = end;
                self.error(
                    stmt,
                    "unreachable code: the workflow has already ended above (every path returns); remove these statements",
                );
                break;
            }
            let last = i + 1 == stmts.len();
            self.tail_ctx = top && last;
            match stmt {
                syn::Stmt::Local(local) => {
                    if let Some(s) = self.local(local) {
                        if let Stmt::Let { init, .. } = &s
                            && diverges(init)
                        {
                            ended_by = Some(local.span());
                        }
                        out.stmts.push(s);
                    }
                }
                syn::Stmt::Expr(expr, semi) => {
                    let task = self.statement_attrs(expr_attrs(expr));
                    let flow = if last && semi.is_none() {
                        let flow = if top { self.tail(expr) } else { self.flow(expr, task) };
                        out.tail = Some(Box::new(flow));
                        continue;
                    } else {
                        self.flow(expr, task)
                    };
                    if let Flow::Pure(expr) = &flow
                        && !matches!(expr, Expr::Unit(_))
                    {
                        self.cx.error_at(
                            expr_span(expr),
                            "this value is computed and thrown away; bind it with `let` or remove it",
                        );
                    }
                    if diverges(&flow) {
                        ended_by = Some(expr.span());
                    }
                    out.stmts.push(Stmt::Flow(flow));
                }
                syn::Stmt::Item(item) => {
                    self.error(item, "items cannot be declared inside a workflow; move this item out of the function");
                }
                syn::Stmt::Macro(mac) => {
                    let expr = syn::Expr::Macro(syn::ExprMacro { attrs: mac.attrs.clone(), mac: mac.mac.clone() });
                    let flow = self.flow(&expr, TaskAttrs::default());
                    out.stmts.push(Stmt::Flow(flow));
                }
            }
        }
        out
    }

    /// Reads `#[task(..)]` (and rejects other attributes of ours) on a statement.
    fn statement_attrs(&mut self, attrs: &[syn::Attribute]) -> TaskAttrs {
        let mut task = TaskAttrs::default();
        for attr in attrs {
            if attr.path() == &TASK {
                task = TaskAttrs::from_syn(self.cx, attr);
            }
        }
        task
    }

    fn local(&mut self, local: &syn::Local) -> Option<Stmt> {
        let task = self.statement_attrs(&local.attrs);
        let Some(init) = &local.init else {
            self.error(local, "declare workflow variables with a value: `let x = …;`");
            return None;
        };
        if let Some((_, diverge)) = &init.diverge {
            self.error(diverge, "`let … else` cannot become states; use `match` or `if let`");
            return None;
        }
        let pat = strip_pat_type(&local.pat);
        // `let mut collected = Vec::new();` before a `for` loop that pushes into it.
        if let syn::Pat::Ident(p) = pat
            && p.mutability.is_some()
        {
            if is_empty_vec(&init.expr) {
                let id = self.bind(&p.ident, VarDef::Pending);
                return Some(Stmt::Let {
                    pat: LetPat::Var(id),
                    init: Flow::Pure(Expr::Array(Vec::new(), init.expr.span())),
                });
            }
            self.error(
                p.mutability,
                "workflow variables cannot change: a state machine has no mutation; bind a new name instead \
                 (`let total2 = …`), or collect a `for` loop's results with `let mut all = Vec::new();` and `all.push(…)`",
            );
            return None;
        }
        let flow = self.flow(&init.expr, task);
        let pat = match pat {
            syn::Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                let def = match &flow {
                    Flow::Pure(expr) => VarDef::Alias(expr.clone_expr()),
                    Flow::Call(call) => {
                        if !call.try_ {
                            self.result_not_handled(call);
                        }
                        VarDef::Step(call.callee.clone())
                    }
                    Flow::Join { .. } => {
                        self.error(
                            &local.pat,
                            "`try_join!` and `join!` give a tuple: bind it with `let (a, b) = try_join!(..)?;`",
                        );
                        return None;
                    }
                    Flow::Unwrap { var, span } => VarDef::Alias(Expr::OutcomeOk(*var, *span)),
                    other => match def_of(other) {
                        Some(def) => def,
                        None => {
                            self.error(
                                &init.expr,
                                "this does not produce a value that can be bound; bind the result of an activity call, \
                                 or a value computed from the workflow's variables",
                            );
                            return None;
                        }
                    },
                };
                LetPat::Var(self.bind(&p.ident, def))
            }
            syn::Pat::Wild(_) => LetPat::Wild,
            syn::Pat::Tuple(tuple) if matches!(flow, Flow::Pure(Expr::Unit(_))) => {
                // The value is already in error: bind the names so that their uses add no errors.
                for elem in &tuple.elems {
                    if let syn::Pat::Ident(p) = strip_pat_type(elem) {
                        self.bind(&p.ident, VarDef::Alias(Expr::Unit(p.span())));
                    }
                }
                return None;
            }
            syn::Pat::Tuple(tuple) => {
                let Flow::Join { branches, results, .. } = &flow else {
                    self.error(
                        tuple,
                        "tuple patterns bind the results of `try_join!(..)?`; bind other values one by one",
                    );
                    return None;
                };
                if tuple.elems.len() != branches.len() {
                    self.error(
                        tuple,
                        format!(
                            "`try_join!` has {} branches but the pattern binds {}",
                            branches.len(),
                            tuple.elems.len()
                        ),
                    );
                    return None;
                }
                let mut ids = Vec::new();
                for (elem, branch) in tuple.elems.iter().zip(branches) {
                    match strip_pat_type(elem) {
                        syn::Pat::Wild(_) => ids.push(None),
                        syn::Pat::Ident(p) if p.mutability.is_none() => {
                            let def = match branch {
                                Branch::Call(call) => VarDef::Step(call.callee.clone()),
                                Branch::Block(block) => match block.tail.as_deref().and_then(def_of) {
                                    Some(def) => def,
                                    None => VarDef::Alias(Expr::Unit(p.span())),
                                },
                            };
                            let def = if *results { VarDef::Outcome(Box::new(def)) } else { def };
                            ids.push(Some(self.bind(&p.ident, def)));
                        }
                        other => {
                            self.error(other, "bind each result of `try_join!` to a name or `_`");
                            ids.push(None);
                        }
                    }
                }
                LetPat::Tuple(ids)
            }
            other => {
                self.error(
                    other,
                    "bind workflow values to a name (`let x = …`), `_`, or a tuple of names for `try_join!`",
                );
                return None;
            }
        };
        Some(Stmt::Let { pat, init: flow })
    }

    fn result_not_handled(&self, call: &Call) {
        self.cx.error_at(
            call.span,
            "the `Result` of this call must be handled: add `?` to fail the workflow with its error, \
             or `match` it to catch errors (`Ok(v) => …, Err(e) => …`)",
        );
    }

    /// The tail of the workflow's body: its result.
    fn tail(&mut self, expr: &syn::Expr) -> Flow {
        match strip(expr) {
            syn::Expr::Call(call) if is_ok_or_err(&call.func).is_some() => self.ret(expr),
            syn::Expr::Await(_) => {
                let Flow::Call(call) = self.flow(expr, TaskAttrs::default()) else { unreachable!() };
                Flow::Return(Return::Ok(Box::new(Flow::Call(Call { try_: true, ..call }))))
            }
            syn::Expr::Call(call)
                if is_ok_or_err(&call.func).is_none()
                    && matches!(strip(&call.func), syn::Expr::Path(p) if p.path.is_ident("Err")) =>
            {
                self.ret(expr)
            }
            syn::Expr::Block(_) | syn::Expr::If(_) | syn::Expr::Match(_) | syn::Expr::Return(_) => {
                self.flow(expr, TaskAttrs::default())
            }
            other => match self.flow(other, TaskAttrs::default()) {
                Flow::Pure(Expr::Unit(span)) => Flow::Pure(Expr::Unit(span)),
                Flow::Pure(_) => {
                    self.error(
                        other,
                        "a workflow ends with `Ok(value)` (or `Err(error)`), like the `Result` it returns",
                    );
                    Flow::Pure(Expr::Unit(other.span()))
                }
                flow => flow,
            },
        }
    }

    fn flow(&mut self, expr: &syn::Expr, task: TaskAttrs) -> Flow {
        match expr {
            syn::Expr::Try(t) => match strip(&t.expr) {
                syn::Expr::Await(await_) => self.await_flow(await_, true, task),
                syn::Expr::Macro(m) if macro_name(&m.mac) == "try_join" => self.join(&m.mac, m.span()),
                syn::Expr::Macro(m) if macro_name(&m.mac) == "join" => {
                    self.error(
                        m,
                        "`join!` gives a tuple of `Result`s: bind them with `let (a, b) = join!(..);` and handle each \
                         (`a?`, `match b { .. }`), or write `try_join!(..)?` to fail at the first error",
                    );
                    Flow::Pure(Expr::Unit(m.span()))
                }
                syn::Expr::Path(p) if self.outcome_var(p).is_some() => {
                    Flow::Unwrap { var: self.outcome_var(p).expect("checked"), span: t.span() }
                }
                other => {
                    self.error(
                        other,
                        "`?` applies to activity and workflow calls (`charge(order).await?`) and to `try_join!(..)?`",
                    );
                    Flow::Pure(Expr::Unit(other.span()))
                }
            },
            syn::Expr::Await(await_) => self.await_flow(await_, false, task),
            syn::Expr::Match(m) => self.match_flow(m, task),
            syn::Expr::If(i) => self.if_flow(i),
            syn::Expr::ForLoop(f) => self.for_loop(f),
            syn::Expr::Return(r) => match &r.expr {
                Some(value) => {
                    if let Some(place) = self.nested.last() {
                        self.error(
                            r,
                            format!(
                                "`return` inside {place} cannot end the workflow; let the error propagate with `?`, \
                                 or return after the loop"
                            ),
                        );
                    }
                    self.ret(value)
                }
                None => {
                    self.error(r, "a workflow returns a `Result`: write `return Ok(value);` or `return Err(error);`");
                    Flow::Pure(Expr::Unit(r.span()))
                }
            },
            syn::Expr::Block(b) if b.label.is_none() => Flow::Block(self.block(&b.block, self.tail_ctx)),
            syn::Expr::Unsafe(u) => {
                self.error(u.unsafe_token, "`unsafe` code cannot run in a state machine; move it into an activity");
                Flow::Pure(Expr::Unit(u.span()))
            }
            syn::Expr::Loop(l) => {
                self.error(
                    l.loop_token,
                    "`loop` cannot become a state machine: its end depends on `break`; iterate over a collection \
                     with `for item in items { .. }` (a Map state), or repeat inside an activity",
                );
                Flow::Pure(Expr::Unit(l.span()))
            }
            syn::Expr::While(w) => {
                self.error(
                    w.while_token,
                    "`while` cannot become a state machine; iterate over a collection with `for item in items { .. }` \
                     (a Map state), or repeat inside an activity",
                );
                Flow::Pure(Expr::Unit(w.span()))
            }
            syn::Expr::Break(b) => {
                self.error(b, "`break` cannot become a state machine: every item of a Map is processed; filter the items in an activity first");
                Flow::Pure(Expr::Unit(b.span()))
            }
            syn::Expr::Continue(c) => {
                self.error(c, "`continue` cannot become a state machine; put the rest of the loop body in an `if`");
                Flow::Pure(Expr::Unit(c.span()))
            }
            syn::Expr::Assign(a) => {
                self.error(
                    a,
                    "workflow variables cannot change: a state machine has no mutation; bind a new name with `let`",
                );
                Flow::Pure(Expr::Unit(a.span()))
            }
            syn::Expr::Macro(m) if macro_name(&m.mac) == "join" => self.join(&m.mac, m.span()),
            syn::Expr::Macro(m) if macro_name(&m.mac) == "try_join" => {
                self.error(
                    m,
                    "add `?`: `try_join!(..)?` fails the workflow when a branch fails, as the Parallel state does",
                );
                Flow::Pure(Expr::Unit(m.span()))
            }
            syn::Expr::MethodCall(m) if m.method == "push" => {
                self.error(
                    m,
                    "`push` collects the results of a `for` loop: make it the last statement of the loop's body, \
                     pushing into a `let mut all = Vec::new();` declared before the loop",
                );
                Flow::Pure(Expr::Unit(m.span()))
            }
            other => Flow::Pure(self.expr(other)),
        }
    }

    fn ret(&mut self, value: &syn::Expr) -> Flow {
        let span = value.span();
        let syn::Expr::Call(call) = strip(value) else {
            self.error(value, "return `Ok(value)` or `Err(error)`");
            return Flow::Pure(Expr::Unit(span));
        };
        match is_ok_or_err(&call.func) {
            Some(true) => {
                let Some(arg) = single_arg(self.cx, call, "Ok") else { return Flow::Pure(Expr::Unit(span)) };
                let inner = match strip(arg) {
                    syn::Expr::Try(_) | syn::Expr::Await(_) => self.flow(arg, TaskAttrs::default()),
                    other => Flow::Pure(self.expr(other)),
                };
                Flow::Return(Return::Ok(Box::new(inner)))
            }
            Some(false) => {
                let Some(arg) = single_arg(self.cx, call, "Err") else { return Flow::Pure(Expr::Unit(span)) };
                self.err_value(arg, span)
            }
            None => {
                self.error(value, "return `Ok(value)` or `Err(error)`");
                Flow::Pure(Expr::Unit(span))
            }
        }
    }

    fn err_value(&mut self, arg: &syn::Expr, span: Span) -> Flow {
        let inner = strip_conversions(arg);
        match inner {
            syn::Expr::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
                let name = p.path.segments[0].ident.to_string();
                match self.lookup(&name) {
                    Some(id)
                        if matches!(self.vars.list[id].def, VarDef::Caught | VarDef::Alias(Expr::OutcomeErr(..))) =>
                    {
                        return Flow::Return(Return::Rethrow { caught: id, span });
                    }
                    Some(_) => {
                        self.error(
                            p,
                            "only an error caught by an `Err(e)` arm can be returned as it is; return a variant of \
                             the workflow's error type, e.g. `Err(CheckoutError::OutOfStock)`",
                        );
                        return Flow::Pure(Expr::Unit(span));
                    }
                    None => {}
                }
                self.variant_error(p.path.clone(), None, true, span)
            }
            syn::Expr::Path(p) if p.qself.is_none() => self.variant_error(p.path.clone(), None, true, span),
            syn::Expr::Struct(s) if s.qself.is_none() => {
                if let Some(rest) = &s.rest {
                    self.error(rest, "`..base` cannot be expressed in a state machine; write every field");
                }
                let fields = self.struct_fields(&s.fields);
                let object = Expr::Struct { path: s.path.clone(), fields };
                self.variant_error(s.path.clone(), Some(object), false, span)
            }
            syn::Expr::Call(c) => {
                if let syn::Expr::Path(p) = strip(&c.func) {
                    let values: Vec<Expr> = c.args.iter().map(|a| self.expr(a)).collect();
                    return self.variant_error(p.path.clone(), Some(Expr::Array(values, c.span())), false, span);
                }
                self.error(c, "return a variant of the workflow's error type, e.g. `Err(CheckoutError::OutOfStock)`");
                Flow::Pure(Expr::Unit(span))
            }
            other => {
                self.error(other, "return a variant of the workflow's error type, e.g. `Err(CheckoutError::OutOfStock)`, or a caught error `Err(e)`");
                Flow::Pure(Expr::Unit(span))
            }
        }
    }

    fn variant_error(&mut self, path: Path, fields: Option<Expr>, unit: bool, span: Span) -> Flow {
        if path.segments.len() < 2 {
            self.error(&path, "name the error variant with its type, e.g. `Err(CheckoutError::OutOfStock)`");
            return Flow::Pure(Expr::Unit(span));
        }
        let mut ty = path.clone();
        let variant = ty.segments.pop().expect("two segments").into_value().ident;
        let ty = Path { leading_colon: ty.leading_colon, segments: strip_trailing_punct(ty.segments) };
        Flow::Return(Return::ErrVariant { ty, variant, fields, unit, span })
    }

    fn await_flow(&mut self, await_: &syn::ExprAwait, try_: bool, task: TaskAttrs) -> Flow {
        let span = await_.span();
        match strip(&await_.base) {
            syn::Expr::Call(call) => {
                let syn::Expr::Path(func) = strip(&call.func) else {
                    self.error(&call.func, "call an activity or workflow by name: `charge(order).await?`");
                    return Flow::Pure(Expr::Unit(span));
                };
                let name = func.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
                if let Some(what) = nondeterministic(&path_string(&func.path)) {
                    self.error(func, nondeterminism_message(&path_string(&func.path), what));
                    return Flow::Pure(Expr::Unit(span));
                }
                // `callback(activity, input)`: the task waits for the activity's token to return.
                if name == "callback" && call.args.len() == 2 {
                    let syn::Expr::Path(activity) = strip(&call.args[0]) else {
                        self.error(&call.args[0], "name the callback activity: `callback(ask_manager, request)`");
                        return Flow::Pure(Expr::Unit(span));
                    };
                    let arg = self.expr(&call.args[1]);
                    return Flow::Call(Call { callee: activity.path.clone(), arg, try_, task, span });
                }
                if name == "sleep" || name == "sleep_until" {
                    let Some(arg) = single_arg(self.cx, call, &name) else { return Flow::Pure(Expr::Unit(span)) };
                    let until = if name == "sleep" {
                        SleepUntil::Seconds(self.duration(arg))
                    } else {
                        SleepUntil::Timestamp(self.expr(arg))
                    };
                    return Flow::Sleep { until, span };
                }
                match self.call(func.path.clone(), call, try_, task, span) {
                    Some(call) => Flow::Call(call),
                    None => Flow::Pure(Expr::Unit(span)),
                }
            }
            syn::Expr::MethodCall(m) => {
                self.error(
                    &m.method,
                    format!(
                        "`.{}(..).await` calls a method, and only activities and workflows can be awaited in a workflow; \
                         move this I/O into an `#[activity]` and call that",
                        m.method
                    ),
                );
                Flow::Pure(Expr::Unit(span))
            }
            other => {
                self.error(
                    other,
                    "only calls of activities and workflows can be awaited in a workflow: `charge(order).await?`",
                );
                Flow::Pure(Expr::Unit(span))
            }
        }
    }

    fn call(&mut self, callee: Path, call: &syn::ExprCall, try_: bool, task: TaskAttrs, span: Span) -> Option<Call> {
        let name = callee.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
        if call.args.len() != 1 {
            self.error(
                &call.args,
                format!("`{name}` takes one input: activities and workflows are called with exactly one argument"),
            );
            if call.args.is_empty() {
                self.cx.error_at(
                    call.paren_token.span.join(),
                    format!("`{name}` takes one input, e.g. `{name}(order.clone())`"),
                );
            }
            return None;
        }
        if let Some(local) = callee.get_ident().and_then(|i| self.lookup(&i.to_string())) {
            let _ = local;
            self.error(&callee, format!("`{name}` is a workflow variable, not an activity"));
            return None;
        }
        let arg = self.expr(&call.args[0]);
        Some(Call { callee, arg, try_, task, span })
    }

    fn duration(&mut self, arg: &syn::Expr) -> Seconds {
        let example = "sleep(Duration::from_secs(60)).await";
        if let syn::Expr::Call(call) = strip(arg)
            && let syn::Expr::Path(func) = strip(&call.func)
            && call.args.len() == 1
        {
            let ctor = func.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
            let multiplier = match ctor.as_str() {
                "from_secs" => Some(1),
                "from_mins" => Some(60),
                "from_hours" => Some(3600),
                "from_days" => Some(86_400),
                "from_millis" | "from_micros" | "from_nanos" | "from_secs_f64" | "from_secs_f32" => {
                    self.error(func, format!("`Wait` states count whole seconds; write `{example}`"));
                    return Seconds::Literal(0);
                }
                _ => None,
            };
            if let Some(multiplier) = multiplier {
                let value = &call.args[0];
                if let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(int), .. }) = strip(value) {
                    return match int.base10_parse::<u64>().ok().and_then(|v| v.checked_mul(multiplier)) {
                        Some(seconds) if seconds <= crate::attr::MAX_SECONDS => Seconds::Literal(seconds),
                        _ => {
                            self.error(int, "a `Wait` lasts at most 99999999 seconds (Step Functions' limit)");
                            Seconds::Literal(0)
                        }
                    };
                }
                return Seconds::Expr { value: self.expr(value), multiplier };
            }
        }
        self.error(
            arg,
            format!("`sleep` takes a `Duration` built from whole seconds, minutes, hours or days, e.g. `{example}`"),
        );
        Seconds::Literal(0)
    }

    fn match_flow(&mut self, m: &syn::ExprMatch, task: TaskAttrs) -> Flow {
        let span = m.span();
        if let syn::Expr::Await(await_) = strip(&m.expr) {
            let Flow::Call(call) = self.await_flow(await_, false, task) else { return Flow::Pure(Expr::Unit(span)) };
            return self.match_call(call, &m.arms, span);
        }
        if let syn::Expr::Try(t) = strip(&m.expr)
            && let syn::Expr::Await(_) = strip(&t.expr)
        {
            self.error(
                &m.expr,
                "`?` already fails the workflow on an error; to catch errors, match the call itself: `match charge(o).await { Ok(r) => .., Err(e) => .. }`",
            );
            return Flow::Pure(Expr::Unit(span));
        }
        if let syn::Expr::Path(p) = strip(&m.expr)
            && let Some(var) = self.outcome_var(p)
        {
            return self.match_outcome(var, &m.arms, span);
        }
        let scrutinee = self.expr(&m.expr);
        let mut arms = Vec::new();
        for arm in &m.arms {
            if let Some((_, guard)) = &arm.guard {
                self.error(guard, "match guards cannot become Choice rules yet; use an `if` inside the arm");
            }
            self.scopes.push(HashMap::new());
            let pat = self.arm_pat(&arm.pat, &scrutinee);
            let body = self.arm_body(&arm.body);
            self.scopes.pop();
            arms.push((pat, body));
        }
        Flow::Match { scrutinee, arms, span }
    }

    fn arm_body(&mut self, body: &syn::Expr) -> Block {
        let tail = self.tail_ctx;
        match strip(body) {
            syn::Expr::Block(b) if b.label.is_none() => self.block(&b.block, tail),
            other => {
                let flow = if tail { self.tail(other) } else { self.flow(other, TaskAttrs::default()) };
                self.tail_ctx = tail;
                Block { stmts: Vec::new(), tail: Some(Box::new(flow)), span: other.span() }
            }
        }
    }

    fn arm_pat(&mut self, pat: &syn::Pat, scrutinee: &Expr) -> ArmPat {
        match pat {
            syn::Pat::Wild(_) => ArmPat::Wild(None),
            syn::Pat::Ident(p) if p.subpat.is_none() && !starts_upper(&p.ident) => {
                let id = self.bind(&p.ident, VarDef::Alias(scrutinee.clone_expr()));
                ArmPat::Wild(Some(id))
            }
            syn::Pat::Or(or) => ArmPat::Or(or.cases.iter().map(|c| self.arm_pat(c, scrutinee)).collect()),
            syn::Pat::Lit(l) => ArmPat::Lit(l.lit.clone()),
            syn::Pat::Range(r) => {
                let bound = |e: &Option<Box<syn::Expr>>| match e.as_deref().map(strip) {
                    Some(syn::Expr::Lit(l)) => Some(l.lit.clone()),
                    _ => None,
                };
                ArmPat::Range {
                    lo: bound(&r.start),
                    hi: bound(&r.end),
                    inclusive: matches!(r.limits, syn::RangeLimits::Closed(_)),
                }
            }
            syn::Pat::Path(p) => self.variant_pat(&p.path, Vec::new()),
            syn::Pat::Ident(p) => self.variant_pat(&Path::from(p.ident.clone()), Vec::new()),
            syn::Pat::Struct(s) => {
                let (ty, variant) = match split_variant(&s.path) {
                    Some(split) => split,
                    None => {
                        self.error(&s.path, "name the variant with its enum, e.g. `Payment::Card { last4, .. }`");
                        return ArmPat::Wild(None);
                    }
                };
                let mut bindings = Vec::new();
                for field in &s.fields {
                    let syn::Member::Named(name) = &field.member else {
                        self.error(field, "bind named fields");
                        continue;
                    };
                    match &*field.pat {
                        syn::Pat::Ident(p) if p.subpat.is_none() => {
                            let def = VarDef::VariantField {
                                value: scrutinee.clone_expr(),
                                ty: ty.clone(),
                                variant: variant.clone(),
                                field: name.clone(),
                            };
                            let var = self.bind(&p.ident, def);
                            bindings.push(VariantBinding::Field { field: name.clone(), var });
                        }
                        syn::Pat::Wild(_) => {}
                        other => self.error(other, "bind the field to a name or `_`"),
                    }
                }
                ArmPat::Variant { ty, variant, bindings }
            }
            syn::Pat::TupleStruct(t) => {
                let Some((ty, variant)) = split_variant(&t.path) else {
                    self.error(&t.path, "name the variant with its enum, e.g. `Payment::Card(card)`");
                    return ArmPat::Wild(None);
                };
                let mut bindings = Vec::new();
                match t.elems.iter().collect::<Vec<_>>().as_slice() {
                    [] => {}
                    [syn::Pat::Wild(_)] | [syn::Pat::Rest(_)] => {}
                    [syn::Pat::Ident(p)] if p.subpat.is_none() => {
                        let def = VarDef::VariantContent {
                            value: scrutinee.clone_expr(),
                            ty: ty.clone(),
                            variant: variant.clone(),
                        };
                        bindings.push(VariantBinding::Content(self.bind(&p.ident, def)));
                    }
                    _ => self.error(&t.elems, "bind the content of a newtype variant to one name: `Variant(x)`"),
                }
                ArmPat::Variant { ty, variant, bindings }
            }
            other => {
                self.error(
                    other,
                    "this pattern cannot become a Choice rule; match enum variants, literals, ranges or `_`",
                );
                ArmPat::Wild(None)
            }
        }
    }

    fn variant_pat(&mut self, path: &Path, bindings: Vec<VariantBinding>) -> ArmPat {
        match split_variant(path) {
            Some((ty, variant)) => ArmPat::Variant { ty, variant, bindings },
            None => {
                self.error(path, "name the variant with its enum, e.g. `Tier::Gold`");
                ArmPat::Wild(None)
            }
        }
    }

    fn match_call(&mut self, call: Call, arms: &[syn::Arm], span: Span) -> Flow {
        let mut ok: Option<OkArm> = None;
        let mut errs: Vec<ErrArm> = Vec::new();
        let mut catch_all: Option<Span> = None;
        for arm in arms {
            if let Some((_, guard)) = &arm.guard {
                self.error(guard, "a Catch cannot test a guard; match on the error variant instead");
                continue;
            }
            let syn::Pat::TupleStruct(ts) = &arm.pat else {
                self.error(&arm.pat, "match the call's result with `Ok(value)` and `Err(..)` arms");
                continue;
            };
            let is_ok = ts.path.is_ident("Ok");
            if !is_ok && !ts.path.is_ident("Err") {
                self.error(&ts.path, "match the call's result with `Ok(value)` and `Err(..)` arms");
                continue;
            }
            if ts.elems.len() != 1 {
                self.error(&ts.elems, "`Ok` and `Err` take one pattern");
                continue;
            }
            self.scopes.push(HashMap::new());
            let inner = &ts.elems[0];
            if is_ok {
                let binding = match inner {
                    syn::Pat::Ident(p) if p.subpat.is_none() => {
                        Some(self.bind(&p.ident, VarDef::Step(call.callee.clone())))
                    }
                    syn::Pat::Wild(_) => None,
                    other => {
                        self.error(other, "bind the result to a name (`Ok(receipt)`) or `_`; destructure it afterwards with field access");
                        None
                    }
                };
                let body = self.arm_body(&arm.body);
                if ok.is_some() {
                    self.error(&arm.pat, "the call's success is matched by one `Ok(..)` arm");
                }
                ok = Some(OkArm { binding, body });
            } else {
                if let Some(first) = catch_all {
                    let _ = first;
                    self.error(&arm.pat, "this arm is unreachable: the `Err` arm above already catches every error");
                }
                let (catches, binding) = self.err_pat(inner);
                if matches!(catches, ErrCatch::All) {
                    catch_all = Some(inner.span());
                }
                let body = self.arm_body(&arm.body);
                errs.push(ErrArm { catches, binding, body, span: arm.pat.span() });
            }
            self.scopes.pop();
        }
        let Some(ok) = ok else {
            self.cx.error_at(span, "a `match` on a call needs an `Ok(value) => …` arm");
            return Flow::Pure(Expr::Unit(span));
        };
        if errs.is_empty() {
            self.cx.error_at(
                span,
                "a `match` on a call needs `Err(..)` arms; without them, write `let v = call(..).await?;`",
            );
        }
        Flow::MatchCall { call, ok, errs, span }
    }

    /// `match r { Ok(v) => .., Err(E::X) => .., Err(e) => .. }` on a `join!` result.
    fn match_outcome(&mut self, var: VarId, arms: &[syn::Arm], span: Span) -> Flow {
        let mut ok = None;
        let mut errs = Vec::new();
        for arm in arms {
            let inner = match &arm.pat {
                syn::Pat::TupleStruct(ts)
                    if ts.elems.len() == 1 && (ts.path.is_ident("Ok") || ts.path.is_ident("Err")) =>
                {
                    (&ts.elems[0], ts.path.is_ident("Ok"))
                }
                other => {
                    self.error(other, "match a `join!` result with `Ok(value)` and `Err(..)` arms");
                    continue;
                }
            };
            self.scopes.push(HashMap::new());
            let (pat, is_ok) = inner;
            if is_ok {
                let binding = match pat {
                    syn::Pat::Ident(p) if p.subpat.is_none() => {
                        Some(self.bind(&p.ident, VarDef::Alias(Expr::OutcomeOk(var, p.span()))))
                    }
                    _ => None,
                };
                let body = self.arm_body(&arm.body);
                ok = Some(OkArm { binding, body });
            } else {
                let (catches, binding) = self.err_pat(pat);
                // The caught error is the result's error.
                if let Some(binding) = binding {
                    self.vars.list[binding].def = VarDef::Alias(Expr::OutcomeErr(var, pat.span()));
                }
                let body = self.arm_body(&arm.body);
                errs.push(ErrArm { catches, binding, body, span: arm.pat.span() });
            }
            self.scopes.pop();
        }
        let Some(ok) = ok else {
            self.cx.error_at(span, "a `match` on a `join!` result needs an `Ok(value) => …` arm");
            return Flow::Pure(Expr::Unit(span));
        };
        Flow::MatchOutcome { var, ok, errs, span }
    }

    fn err_pat(&mut self, pat: &syn::Pat) -> (ErrCatch, Option<VarId>) {
        match pat {
            syn::Pat::Wild(_) => (ErrCatch::All, None),
            syn::Pat::Ident(p) if p.subpat.is_none() && !starts_upper(&p.ident) => {
                (ErrCatch::All, Some(self.bind(&p.ident, VarDef::Caught)))
            }
            syn::Pat::Ident(p) if p.subpat.is_some() => {
                let (catches, _) = self.err_pat(&p.subpat.as_ref().expect("checked").1);
                (catches, Some(self.bind(&p.ident, VarDef::Caught)))
            }
            other => {
                let mut variants = Vec::new();
                self.err_variants(other, &mut variants);
                (ErrCatch::Variants(variants), None)
            }
        }
    }

    fn err_variants(&mut self, pat: &syn::Pat, out: &mut Vec<(Path, Ident)>) {
        let path = match pat {
            syn::Pat::Or(or) => {
                for case in &or.cases {
                    self.err_variants(case, out);
                }
                return;
            }
            syn::Pat::Path(p) => &p.path,
            syn::Pat::Struct(s) => {
                let binds = s.fields.iter().any(|f| !matches!(&*f.pat, syn::Pat::Wild(_)));
                for field in &s.fields {
                    if let syn::Pat::Ident(p) = &*field.pat {
                        self.bind(&p.ident, VarDef::Alias(Expr::Unit(p.span())));
                    }
                }
                if binds {
                    self.error(
                        &s.fields,
                        "the fields of a caught error are not in the state machine (only its name and message); \
                         match `Variant { .. }`",
                    );
                }
                &s.path
            }
            syn::Pat::TupleStruct(t) => {
                if t.elems.iter().any(|e| !matches!(e, syn::Pat::Wild(_) | syn::Pat::Rest(_))) {
                    self.error(
                        &t.elems,
                        "the fields of a caught error are not in the state machine (only its name and message); \
                         match `Variant(..)`",
                    );
                }
                &t.path
            }
            other => {
                self.error(
                    other,
                    "catch an error variant (`Err(PaymentError::Declined { .. })`) or every error (`Err(e)`)",
                );
                return;
            }
        };
        match split_variant(path) {
            Some(split) => out.push(split),
            None => self.error(path, "name the error variant with its type, e.g. `Err(PaymentError::Declined { .. })`"),
        }
    }

    fn if_flow(&mut self, first: &syn::ExprIf) -> Flow {
        let span = first.span();
        let mut branches = Vec::new();
        let mut current = first;
        let otherwise = loop {
            self.scopes.push(HashMap::new());
            let cond = self.cond(&current.cond);
            let body = self.block(&current.then_branch, self.tail_ctx);
            self.scopes.pop();
            branches.push((cond, body));
            match current.else_branch.as_ref().map(|(_, e)| &**e) {
                None => break None,
                Some(syn::Expr::If(next)) => current = next,
                Some(syn::Expr::Block(b)) => break Some(self.block(&b.block, self.tail_ctx)),
                Some(other) => {
                    self.error(other, "expected a block after `else`");
                    break None;
                }
            }
        };
        Flow::If { branches, otherwise, span }
    }

    fn cond(&mut self, cond: &syn::Expr) -> Cond {
        if let syn::Expr::Let(l) = strip(cond) {
            let value = self.expr(&l.expr);
            return match &*l.pat {
                syn::Pat::TupleStruct(t) if t.path.is_ident("Some") && t.elems.len() == 1 => {
                    let binding = match &t.elems[0] {
                        syn::Pat::Ident(p) if p.subpat.is_none() => {
                            Some(self.bind(&p.ident, VarDef::SomeInner(value.clone_expr())))
                        }
                        syn::Pat::Wild(_) => None,
                        other => {
                            self.error(other, "bind the value to a name: `if let Some(coupon) = order.coupon`");
                            None
                        }
                    };
                    Cond::IsSome { value, binding }
                }
                other => {
                    self.error(other, "`if let` tests `Some(x)`; for enum variants use `match`");
                    Cond::Bool(Expr::Unit(other.span()))
                }
            };
        }
        Cond::Bool(self.expr(cond))
    }

    fn for_loop(&mut self, f: &syn::ExprForLoop) -> Flow {
        let span = f.span();
        let mut attrs = MapAttrs::default();
        for attr in &f.attrs {
            if attr.path() == &MAP {
                attrs = MapAttrs::from_syn(self.cx, attr);
            }
        }
        if let Some(label) = &f.label {
            self.error(label, "loop labels have no meaning in a state machine; remove it");
        }
        let items = self.expr(strip_iteration(&f.expr));
        self.scopes.push(HashMap::new());
        let item = match strip_pat_type(&f.pat) {
            syn::Pat::Ident(p) if p.subpat.is_none() => Some(self.bind(&p.ident, VarDef::ItemOf(items.clone_expr()))),
            syn::Pat::Wild(_) => None,
            other => {
                self.error(other, "bind each item to a name: `for item in items`");
                None
            }
        };
        self.nested.push("a `for` loop (a Map state runs each item on its own)");
        let outer_tail = std::mem::replace(&mut self.tail_ctx, false);
        let stmts = &f.body.stmts;
        let (body_stmts, collect) = match stmts.last() {
            Some(syn::Stmt::Expr(syn::Expr::MethodCall(m), _)) if m.method == "push" => {
                (&stmts[..stmts.len() - 1], Some(m))
            }
            _ => (&stmts[..], None),
        };
        self.scopes.push(HashMap::new());
        let body = self.stmts(body_stmts, f.body.span(), false);
        let collect = collect.and_then(|m| self.collect(m));
        self.scopes.pop();
        self.nested.pop();
        self.tail_ctx = outer_tail;
        self.scopes.pop();
        if let Some((id, value)) = &collect {
            let def = match value {
                Flow::Call(call) => VarDef::CollectionOfStep(call.callee.clone()),
                Flow::Pure(expr) => VarDef::CollectionOf(expr.clone_expr()),
                _ => VarDef::CollectionOf(Expr::Unit(span)),
            };
            self.define(*id, def);
        }
        Flow::For(Box::new(ForLoop { item, items, body, collect, attrs, span }))
    }

    fn collect(&mut self, m: &syn::ExprMethodCall) -> Option<(VarId, Flow)> {
        let target = match strip(&m.receiver) {
            syn::Expr::Path(p) => p.path.get_ident().and_then(|i| self.lookup(&i.to_string())),
            _ => None,
        };
        let Some(target) = target.filter(|id| matches!(self.vars.list[*id].def, VarDef::Pending)) else {
            self.error(
                &m.receiver,
                "`push` collects into a vector declared before the loop with `let mut all = Vec::new();`",
            );
            return None;
        };
        if m.args.len() != 1 {
            self.error(&m.args, "`push` takes one value");
            return None;
        }
        let value = match strip(&m.args[0]) {
            syn::Expr::Try(t) if matches!(strip(&t.expr), syn::Expr::Await(_)) => {
                self.flow(&m.args[0], TaskAttrs::default())
            }
            syn::Expr::Await(_) => {
                let Flow::Call(call) = self.flow(&m.args[0], TaskAttrs::default()) else { return None };
                self.result_not_handled(&call);
                return None;
            }
            other => Flow::Pure(self.expr(other)),
        };
        Some((target, value))
    }

    fn join(&mut self, mac: &syn::Macro, span: Span) -> Flow {
        let results = macro_name(mac) == "join";
        let args = match mac.parse_body_with(syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
        {
            Ok(args) => args,
            Err(e) => {
                self.cx.syn_error(e);
                return Flow::Pure(Expr::Unit(span));
            }
        };
        if args.len() < 2 {
            self.error(mac, "`try_join!` runs two or more branches in parallel");
        }
        self.nested.push("a `try_join!` branch");
        let outer_tail = std::mem::replace(&mut self.tail_ctx, false);
        let mut branches = Vec::new();
        for arg in &args {
            match strip(arg) {
                syn::Expr::Call(call) => {
                    let syn::Expr::Path(func) = strip(&call.func) else {
                        self.error(&call.func, "call an activity or workflow by name");
                        continue;
                    };
                    if let Some(c) = self.call(func.path.clone(), call, true, TaskAttrs::default(), call.span()) {
                        branches.push(Branch::Call(c));
                    }
                }
                syn::Expr::Async(a) => {
                    let block = self.branch_block(&a.block);
                    if block.tail.is_none() {
                        self.error(a, "an `async` branch ends with its value: `Ok(value)` or a call `f(x).await`");
                    }
                    branches.push(Branch::Block(block));
                }
                syn::Expr::Await(_) => {
                    self.error(
                        arg,
                        "pass the call without `.await`: `try_join!` awaits it, e.g. `try_join!(ship(o), notify(r))?`",
                    );
                }
                other => self
                    .error(other, "a `try_join!` branch is an activity call `ship(order)` or an `async { .. }` block"),
            }
        }
        self.nested.pop();
        self.tail_ctx = outer_tail;
        Flow::Join { branches, span, results }
    }

    /// An `async` branch of `try_join!`: its tail `Ok(value)` (or a call) is the branch's value.
    fn branch_block(&mut self, block: &syn::Block) -> Block {
        self.scopes.push(HashMap::new());
        let (body, tail) = match block.stmts.split_last() {
            Some((syn::Stmt::Expr(tail, None), body)) => (body, Some(tail)),
            _ => (&block.stmts[..], None),
        };
        let mut parsed = self.stmts(body, block.span(), false);
        if let Some(tail) = tail {
            let flow = match strip(tail) {
                syn::Expr::Call(call) if is_ok_or_err(&call.func) == Some(true) => {
                    match single_arg(self.cx, call, "Ok") {
                        Some(arg) => match strip(arg) {
                            syn::Expr::Try(_) | syn::Expr::Await(_) => self.flow(arg, TaskAttrs::default()),
                            other => Flow::Pure(self.expr(other)),
                        },
                        None => Flow::Pure(Expr::Unit(tail.span())),
                    }
                }
                syn::Expr::Await(a) => match self.await_flow(a, true, TaskAttrs::default()) {
                    Flow::Call(call) => Flow::Call(Call { try_: true, ..call }),
                    other => other,
                },
                other => {
                    self.error(other, "an `async` branch ends with its value: `Ok(value)` or a call `f(x).await`");
                    Flow::Pure(Expr::Unit(other.span()))
                }
            };
            parsed.tail = Some(Box::new(flow));
        }
        self.scopes.pop();
        parsed
    }

    fn struct_fields(
        &mut self,
        fields: &syn::punctuated::Punctuated<syn::FieldValue, syn::Token![,]>,
    ) -> Vec<(Ident, Expr)> {
        let mut out = Vec::new();
        for field in fields {
            match &field.member {
                syn::Member::Named(name) => {
                    let value = self.expr(&field.expr);
                    out.push((name.clone(), value));
                }
                syn::Member::Unnamed(_) => {
                    self.error(field, "build tuple structs in an activity; workflows build structs with named fields")
                }
            }
        }
        out
    }

    /// A pure expression.
    fn expr(&mut self, expr: &syn::Expr) -> Expr {
        let span = expr.span();
        match expr {
            syn::Expr::Paren(p) => self.expr(&p.expr),
            syn::Expr::Group(g) => self.expr(&g.expr),
            syn::Expr::Reference(r) => self.expr(&r.expr),
            syn::Expr::Lit(l) => match &l.lit {
                syn::Lit::Str(_) | syn::Lit::Int(_) | syn::Lit::Float(_) | syn::Lit::Bool(_) => {
                    Expr::Lit(l.lit.clone())
                }
                syn::Lit::Char(c) => Expr::Lit(syn::Lit::Str(syn::LitStr::new(&c.value().to_string(), c.span()))),
                other => {
                    self.error(other, "byte literals have no JSON form; use a string or a number");
                    Expr::Unit(span)
                }
            },
            syn::Expr::Path(p) => self.path_expr(p),
            syn::Expr::Field(f) => {
                let base = self.expr(&f.base);
                match &f.member {
                    syn::Member::Named(name) => Expr::Field(Box::new(base), name.clone()),
                    syn::Member::Unnamed(index) => Expr::TupleField(Box::new(base), index.clone()),
                }
            }
            syn::Expr::Index(i) => {
                if let syn::Expr::Range(r) = strip(&i.index) {
                    self.error(r, "slices cannot be expressed yet; pass the whole collection to an activity");
                    return Expr::Unit(span);
                }
                Expr::Index(Box::new(self.expr(&i.expr)), Box::new(self.expr(&i.index)))
            }
            syn::Expr::Struct(s) => {
                if s.qself.is_some() {
                    self.error(s, "name the struct by its path");
                    return Expr::Unit(span);
                }
                if let Some(rest) = &s.rest {
                    self.error(rest, "`..base` cannot be expressed in a state machine; write every field");
                }
                let fields = self.struct_fields(&s.fields);
                match split_variant(&s.path) {
                    // `Enum::Variant { .. }`: modules are lowercase, types and variants are not.
                    Some((ty, variant)) if ty.segments.last().is_some_and(|seg| starts_upper(&seg.ident)) => {
                        Expr::VariantStruct { ty, variant, fields }
                    }
                    _ => Expr::Struct { path: s.path.clone(), fields },
                }
            }
            syn::Expr::Array(a) => Expr::Array(a.elems.iter().map(|e| self.expr(e)).collect(), span),
            syn::Expr::Tuple(t) if t.elems.is_empty() => Expr::Unit(span),
            syn::Expr::Tuple(t) => Expr::Array(t.elems.iter().map(|e| self.expr(e)).collect(), span),
            syn::Expr::Binary(b) => {
                let op = match b.op {
                    syn::BinOp::Add(_) => BinOp::Add,
                    syn::BinOp::Sub(_) => BinOp::Sub,
                    syn::BinOp::Mul(_) => BinOp::Mul,
                    syn::BinOp::Div(_) => BinOp::Div,
                    syn::BinOp::Rem(_) => BinOp::Rem,
                    syn::BinOp::Eq(_) => BinOp::Eq,
                    syn::BinOp::Ne(_) => BinOp::Ne,
                    syn::BinOp::Lt(_) => BinOp::Lt,
                    syn::BinOp::Le(_) => BinOp::Le,
                    syn::BinOp::Gt(_) => BinOp::Gt,
                    syn::BinOp::Ge(_) => BinOp::Ge,
                    syn::BinOp::And(_) => BinOp::And,
                    syn::BinOp::Or(_) => BinOp::Or,
                    other => {
                        let what = match other {
                            syn::BinOp::AddAssign(_)
                            | syn::BinOp::SubAssign(_)
                            | syn::BinOp::MulAssign(_)
                            | syn::BinOp::DivAssign(_)
                            | syn::BinOp::RemAssign(_) => {
                                "workflow variables cannot change; bind a new name with `let`"
                            }
                            _ => "bitwise operators have no JSONata form; compute this in an activity",
                        };
                        self.error(other, what);
                        return Expr::Unit(span);
                    }
                };
                Expr::Binary(op, Box::new(self.expr(&b.left)), Box::new(self.expr(&b.right)))
            }
            syn::Expr::Unary(u) => match u.op {
                syn::UnOp::Not(_) => Expr::Not(Box::new(self.expr(&u.expr))),
                syn::UnOp::Neg(_) => Expr::Neg(Box::new(self.expr(&u.expr))),
                _ => self.expr(&u.expr),
            },
            syn::Expr::MethodCall(m) => self.method(m),
            syn::Expr::Call(c) => self.call_expr(c),
            syn::Expr::Macro(m) => self.macro_expr(&m.mac, span),
            syn::Expr::Closure(c) => {
                self.error(
                    c.or1_token,
                    "closures cannot become states: a state machine cannot call code; move the computation into an activity",
                );
                Expr::Unit(span)
            }
            syn::Expr::Async(a) => {
                self.error(
                    a.async_token,
                    "`async` blocks run as branches of `try_join!(..)?`; elsewhere, write the statements directly",
                );
                Expr::Unit(span)
            }
            syn::Expr::Await(a) => {
                self.error(
                    a,
                    "bind the result of this call to a variable first (`let receipt = charge(order).await?;`) and use the variable here",
                );
                Expr::Unit(span)
            }
            syn::Expr::Try(t) if self.is_poisoned(&t.expr) => Expr::Unit(span),
            syn::Expr::Try(t) if matches!(strip(&t.expr), syn::Expr::Path(p) if self.outcome_var(p).is_some()) => {
                let name = quote::ToTokens::to_token_stream(&t.expr).to_string();
                self.error(
                    t,
                    format!("check a `join!` result in its own statement, then use the value: `let {name} = {name}?;`"),
                );
                Expr::Unit(span)
            }
            syn::Expr::Try(t) => {
                let message = if matches!(strip(&t.expr), syn::Expr::Await(_)) {
                    "bind the result of this call to a variable first (`let receipt = charge(order).await?;`) and use the variable here"
                } else {
                    "`?` applies to activity and workflow calls (`charge(order).await?`) and to `try_join!(..)?`"
                };
                self.error(t, message);
                Expr::Unit(span)
            }
            syn::Expr::Cast(c) => match &*c.ty {
                syn::Type::Path(ty) if ty.qself.is_none() && ty.path.get_ident().is_some_and(is_number_type) => {
                    Expr::Cast(Box::new(self.expr(&c.expr)), (*c.ty).clone())
                }
                other => {
                    self.error(
                        other,
                        "only casts between number types can be expressed; convert other values inside an activity",
                    );
                    Expr::Unit(span)
                }
            },
            syn::Expr::If(_) | syn::Expr::Match(_) | syn::Expr::Block(_) => {
                self.error(expr, "bind this value with `let` first: `let x = if … { … } else { … };`, then use `x`");
                Expr::Unit(span)
            }
            syn::Expr::Range(r) => {
                self.error(r, "ranges can only be used as `match` patterns in a workflow");
                Expr::Unit(span)
            }
            other => {
                self.error(other, "this expression cannot be part of a state machine; compute it in an activity");
                Expr::Unit(span)
            }
        }
    }

    fn path_expr(&mut self, p: &syn::ExprPath) -> Expr {
        let span = p.span();
        if p.qself.is_some() {
            self.error(p, "qualified paths cannot be expressed in a state machine");
            return Expr::Unit(span);
        }
        if let Some(ident) = p.path.get_ident() {
            let name = ident.to_string();
            if name == "None" {
                return Expr::None(span);
            }
            if let Some(id) = self.lookup(&name) {
                return Expr::Var(id, ident.span());
            }
            if starts_upper(ident) {
                self.error(
                    ident,
                    format!("name the variant with its enum, e.g. `Tier::{name}`; a workflow cannot read constants"),
                );
            } else {
                self.error(ident, format!("`{name}` is not a variable of this workflow"));
            }
            return Expr::Unit(span);
        }
        if let Some(what) = nondeterministic(&path_string(&p.path)) {
            self.error(p, nondeterminism_message(&path_string(&p.path), what));
            return Expr::Unit(span);
        }
        match split_variant(&p.path) {
            Some((ty, variant)) => Expr::UnitVariant { ty, variant },
            None => {
                self.error(p, "this path cannot be read in a state machine; pass the value in the workflow's input");
                Expr::Unit(span)
            }
        }
    }

    fn method(&mut self, m: &syn::ExprMethodCall) -> Expr {
        let span = m.span();
        let name = m.method.to_string();
        let receiver = || -> &syn::Expr { &m.receiver };
        let unary = |this: &mut Self, wrap: fn(Box<Expr>) -> Expr| {
            if !m.args.is_empty() {
                this.error(&m.args, format!("`.{name}()` takes no arguments"));
            }
            wrap(Box::new(this.expr(receiver())))
        };
        match name.as_str() {
            "clone" | "to_owned" | "into" | "as_str" | "as_ref" | "borrow" | "as_slice" | "iter" | "into_iter"
            | "to_vec" | "cloned" | "copied" => {
                if !m.args.is_empty() {
                    self.error(&m.args, format!("`.{name}()` takes no arguments"));
                }
                self.expr(receiver())
            }
            "to_string" => unary(self, Expr::ToString),
            "len" => unary(self, Expr::Len),
            "is_empty" => unary(self, Expr::IsEmpty),
            "is_some" => unary(self, Expr::IsSome),
            "is_none" => unary(self, Expr::IsNone),
            "unwrap_or" if m.args.len() == 1 => {
                Expr::UnwrapOr(Box::new(self.expr(receiver())), Box::new(self.expr(&m.args[0])))
            }
            _ => {
                self.error(
                    &m.method,
                    format!(
                        "`.{name}()` cannot run in a state machine; move this computation into an activity \
                         (methods a workflow understands: clone, len, is_empty, is_some, is_none, unwrap_or, to_string)"
                    ),
                );
                Expr::Unit(span)
            }
        }
    }

    fn call_expr(&mut self, c: &syn::ExprCall) -> Expr {
        let span = c.span();
        let syn::Expr::Path(func) = strip(&c.func) else {
            self.error(&c.func, "only activities and workflows can be called in a workflow");
            return Expr::Unit(span);
        };
        let path = path_string(&func.path);
        if let Some(what) = nondeterministic(&path) {
            self.error(func, nondeterminism_message(&path, what));
            return Expr::Unit(span);
        }
        match path.as_str() {
            "Some" if c.args.len() == 1 => return Expr::Some(Box::new(self.expr(&c.args[0]))),
            "String::from" | "From::from" | "Into::into" | "ToOwned::to_owned" | "Clone::clone" | "Box::new"
                if c.args.len() == 1 =>
            {
                return self.expr(&c.args[0]);
            }
            "Vec::new" | "Vec::with_capacity" => return Expr::Array(Vec::new(), span),
            "Ok" | "Err" => {
                self.error(c, "`Ok`/`Err` end the workflow: write `return Ok(..)` / `return Err(..)`");
                return Expr::Unit(span);
            }
            _ => {}
        }
        let name = func.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
        self.error(
            func,
            format!(
                "`{name}(..)` cannot run in a state machine: a workflow calls activities and workflows (with `.await`) \
                 and computes only simple expressions; make `{name}` an `#[activity]` and write `{name}(..).await?`"
            ),
        );
        Expr::Unit(span)
    }

    fn macro_expr(&mut self, mac: &syn::Macro, span: Span) -> Expr {
        let name = macro_name(mac);
        match name.as_str() {
            "vec" => {
                match mac.parse_body_with(syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated) {
                    Ok(items) => Expr::Array(items.iter().map(|e| self.expr(e)).collect(), span),
                    Err(_) => {
                        self.error(mac, "write the vector's items: `vec![a, b]`");
                        Expr::Unit(span)
                    }
                }
            }
            "format" => self.format(mac, span),
            "println" | "print" | "eprintln" | "eprint" | "dbg" | "write" | "writeln" => {
                self.error(
                    &mac.path,
                    format!("`{name}!` writes to the process's output, which a state machine does not have; log inside an activity"),
                );
                Expr::Unit(span)
            }
            "try_join" | "join" => {
                self.error(mac, "bind the results: `let (a, b) = try_join!(f(x), g(y))?;`");
                Expr::Unit(span)
            }
            _ => {
                self.error(
                    &mac.path,
                    format!("`{name}!` cannot be expanded into a state machine; compute this in an activity"),
                );
                Expr::Unit(span)
            }
        }
    }

    fn format(&mut self, mac: &syn::Macro, span: Span) -> Expr {
        let args = match mac.parse_body_with(syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
        {
            Ok(args) => args,
            Err(e) => {
                self.cx.syn_error(e);
                return Expr::Unit(span);
            }
        };
        let mut args = args.into_iter();
        let Some(syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(template), .. })) = args.next() else {
            self.error(mac, "`format!` takes a string literal first");
            return Expr::Unit(span);
        };
        let mut positional: Vec<syn::Expr> = args.collect();
        positional.reverse();
        let text = template.value();
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let mut spec = String::new();
                    for c in chars.by_ref() {
                        if c == '}' {
                            break;
                        }
                        spec.push(c);
                    }
                    if !literal.is_empty() {
                        pieces.push(Expr::Lit(syn::Lit::Str(syn::LitStr::new(
                            &std::mem::take(&mut literal),
                            template.span(),
                        ))));
                    }
                    let (name, format) = spec.split_once(':').unwrap_or((spec.as_str(), ""));
                    if !format.is_empty() {
                        self.error(
                            &template,
                            format!("format specifications (`{{:{format}}}`) cannot be expressed; use plain `{{}}`"),
                        );
                    }
                    if name.is_empty() {
                        match positional.pop() {
                            Some(arg) => pieces.push(Expr::ToString(Box::new(self.expr(&arg)))),
                            None => self.error(&template, "`format!` has fewer arguments than `{}`"),
                        }
                    } else {
                        let ident = Ident::new(name, template.span());
                        match self.lookup(name) {
                            Some(id) => pieces.push(Expr::ToString(Box::new(Expr::Var(id, template.span())))),
                            None => self.error(&ident, format!("`{name}` is not a variable of this workflow")),
                        }
                    }
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            pieces.push(Expr::Lit(syn::Lit::Str(syn::LitStr::new(&literal, template.span()))));
        }
        Expr::Format(pieces, span)
    }
}

/// What gives the value a flow leaves its type: the first path that does not return.
fn def_of(flow: &Flow) -> Option<VarDef> {
    fn first_value<'b>(mut blocks: impl Iterator<Item = &'b Block>) -> Option<VarDef> {
        blocks.find(|b| !block_diverges(b)).and_then(|b| b.tail.as_deref()).and_then(def_of)
    }
    match flow {
        Flow::Pure(e) => Some(VarDef::Like(e.clone_expr())),
        Flow::Call(c) => Some(VarDef::Step(c.callee.clone())),
        Flow::Block(b) => b.tail.as_deref().and_then(def_of),
        Flow::If { branches, otherwise, .. } => first_value(branches.iter().map(|(_, b)| b).chain(otherwise.iter())),
        Flow::Match { arms, .. } => first_value(arms.iter().map(|(_, b)| b)),
        Flow::MatchCall { ok, errs, .. } | Flow::MatchOutcome { ok, errs, .. } => {
            first_value(std::iter::once(&ok.body).chain(errs.iter().map(|a| &a.body)))
        }
        Flow::Unwrap { var, span } => Some(VarDef::Alias(Expr::OutcomeOk(*var, *span))),
        _ => None,
    }
}

impl Expr {
    /// A copy of the expression (expressions are small trees).
    pub fn clone_expr(&self) -> Expr {
        match self {
            Expr::Var(id, span) => Expr::Var(*id, *span),
            Expr::Field(b, f) => Expr::Field(Box::new(b.clone_expr()), f.clone()),
            Expr::TupleField(b, i) => Expr::TupleField(Box::new(b.clone_expr()), i.clone()),
            Expr::Index(b, i) => Expr::Index(Box::new(b.clone_expr()), Box::new(i.clone_expr())),
            Expr::Lit(l) => Expr::Lit(l.clone()),
            Expr::Struct { path, fields } => Expr::Struct {
                path: path.clone(),
                fields: fields.iter().map(|(n, e)| (n.clone(), e.clone_expr())).collect(),
            },
            Expr::UnitVariant { ty, variant } => Expr::UnitVariant { ty: ty.clone(), variant: variant.clone() },
            Expr::VariantStruct { ty, variant, fields } => Expr::VariantStruct {
                ty: ty.clone(),
                variant: variant.clone(),
                fields: fields.iter().map(|(n, e)| (n.clone(), e.clone_expr())).collect(),
            },
            Expr::Array(items, span) => Expr::Array(items.iter().map(Expr::clone_expr).collect(), *span),
            Expr::Binary(op, a, b) => Expr::Binary(*op, Box::new(a.clone_expr()), Box::new(b.clone_expr())),
            Expr::Not(e) => Expr::Not(Box::new(e.clone_expr())),
            Expr::Neg(e) => Expr::Neg(Box::new(e.clone_expr())),
            Expr::Len(e) => Expr::Len(Box::new(e.clone_expr())),
            Expr::IsEmpty(e) => Expr::IsEmpty(Box::new(e.clone_expr())),
            Expr::IsSome(e) => Expr::IsSome(Box::new(e.clone_expr())),
            Expr::IsNone(e) => Expr::IsNone(Box::new(e.clone_expr())),
            Expr::ToString(e) => Expr::ToString(Box::new(e.clone_expr())),
            Expr::UnwrapOr(a, b) => Expr::UnwrapOr(Box::new(a.clone_expr()), Box::new(b.clone_expr())),
            Expr::Some(e) => Expr::Some(Box::new(e.clone_expr())),
            Expr::None(s) => Expr::None(*s),
            Expr::Format(p, s) => Expr::Format(p.iter().map(Expr::clone_expr).collect(), *s),
            Expr::Cast(e, ty) => Expr::Cast(Box::new(e.clone_expr()), ty.clone()),
            Expr::OutcomeOk(v, s) => Expr::OutcomeOk(*v, *s),
            Expr::OutcomeErr(v, s) => Expr::OutcomeErr(*v, *s),
            Expr::Unit(s) => Expr::Unit(*s),
        }
    }
}

impl Clone for Expr {
    fn clone(&self) -> Self {
        self.clone_expr()
    }
}

/// The span of an expression, for messages.
pub fn expr_span(expr: &Expr) -> Span {
    match expr {
        Expr::Var(_, s)
        | Expr::Array(_, s)
        | Expr::None(s)
        | Expr::Format(_, s)
        | Expr::Unit(s)
        | Expr::OutcomeOk(_, s)
        | Expr::OutcomeErr(_, s) => *s,
        Expr::Field(_, f) => f.span(),
        Expr::TupleField(_, i) => i.span,
        Expr::Lit(l) => l.span(),
        Expr::Struct { path, .. } => path.span(),
        Expr::UnitVariant { variant, .. } | Expr::VariantStruct { variant, .. } => variant.span(),
        Expr::Index(b, _)
        | Expr::Binary(_, b, _)
        | Expr::Not(b)
        | Expr::Neg(b)
        | Expr::Len(b)
        | Expr::IsEmpty(b)
        | Expr::IsSome(b)
        | Expr::IsNone(b)
        | Expr::ToString(b)
        | Expr::UnwrapOr(b, _)
        | Expr::Cast(b, _)
        | Expr::Some(b) => expr_span(b),
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

fn is_number_type(ident: &Ident) -> bool {
    matches!(
        ident.to_string().as_str(),
        "u8" | "u16"
            | "u32"
            | "u64"
            | "u128"
            | "usize"
            | "i8"
            | "i16"
            | "i32"
            | "i64"
            | "i128"
            | "isize"
            | "f32"
            | "f64"
    )
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
