//! Parse stage, control flow: the statements of a workflow body into [`Flow`]s — `let`, calls
//! of activities and workflows, `match` on calls and values, `if`, `for`, `join!`/`try_join!`,
//! sleeps and returns. Values inside are read by `expr.rs`; what a workflow may not call is
//! looked up in `rules.rs`.

use super::rules::{nondeterminism_message, nondeterministic};
use super::*;
use crate::symbol::{MAP, TASK};
use syn::spanned::Spanned;

/// Whether a flow never falls through (every path returns).
pub(super) fn diverges(flow: &Flow) -> bool {
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

impl Parser<'_> {
    pub(super) fn block(&mut self, block: &syn::Block, top: bool) -> Block {
        self.scopes.push(HashMap::new());
        let parsed = self.stmts(&block.stmts, block.span(), top);
        self.scopes.pop();
        parsed
    }

    pub(super) fn stmts(&mut self, stmts: &[syn::Stmt], span: Span, top: bool) -> Block {
        let outer = self.tail_ctx;
        let block = self.stmts_in(stmts, span, top);
        self.tail_ctx = outer;
        block
    }

    pub(super) fn stmts_in(&mut self, stmts: &[syn::Stmt], span: Span, top: bool) -> Block {
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
    pub(super) fn statement_attrs(&mut self, attrs: &[syn::Attribute]) -> TaskAttrs {
        let mut task = TaskAttrs::default();
        for attr in attrs {
            if attr.path() == &TASK {
                task = TaskAttrs::from_syn(self.cx, attr);
            }
        }
        task
    }

    pub(super) fn local(&mut self, local: &syn::Local) -> Option<Stmt> {
        let task = self.statement_attrs(&local.attrs);
        let Some(init) = &local.init else {
            self.error(local, "declare workflow variables with a value: `let x = …;`");
            self.bind_rejected(&local.pat);
            return None;
        };
        let pat = strip_pat_type(&local.pat);
        if let Some((_, otherwise)) = &init.diverge {
            return self.let_else(pat, &init.expr, otherwise);
        }
        // `let mut collected = Vec::new();` before a `for` loop that pushes into it.
        let mut declared_mut = false;
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
            // Read on as `let`, so that neither the variable's uses nor its changes add errors.
            declared_mut = true;
        }
        let flow = match self.annotated_default(&local.pat, &init.expr) {
            Some(value) => Flow::Pure(value),
            None => self.flow(&init.expr, task),
        };
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
                        self.bind_rejected(&local.pat);
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
                            self.bind_rejected(&local.pat);
                            return None;
                        }
                    },
                };
                let id = self.bind(&p.ident, def);
                if declared_mut {
                    self.mutable.push(id);
                }
                LetPat::Var(id)
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
                    self.bind_rejected(pat);
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
                    self.bind_rejected(pat);
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
                            self.bind_rejected(other);
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
                self.bind_rejected(other);
                return None;
            }
        };
        Some(Stmt::Let { pat, init: flow })
    }

    /// `let x: u64 = Default::default();`: the annotation says which plain value it is.
    fn annotated_default(&mut self, pat: &syn::Pat, init: &syn::Expr) -> Option<Expr> {
        let syn::Pat::Type(typed) = pat else { return None };
        let syn::Expr::Call(call) = strip(init) else { return None };
        let syn::Expr::Path(func) = strip(&call.func) else { return None };
        if !call.args.is_empty() || !path_string(&func.path).ends_with("Default::default") {
            return None;
        }
        let syn::Type::Path(ty) = &*typed.ty else { return None };
        let ty = ty.path.segments.last()?;
        let plain = super::rules::plain_constructor(&format!("{}::default", ty.ident))?;
        if matches!(plain, super::rules::Plain::Refused(_)) {
            return None;
        }
        Some(self.plain_value(plain, func, call.span()))
    }

    /// `let Some(x) = value else { .. };`: a Choice that runs the `else` block (which rustc has
    /// proved diverges) when the value is `None`, and otherwise goes on with `x` naming the
    /// value inside.
    fn let_else(&mut self, pat: &syn::Pat, value: &syn::Expr, otherwise: &syn::Expr) -> Option<Stmt> {
        let binding = match pat {
            syn::Pat::TupleStruct(t) if t.path.is_ident("Some") && t.elems.len() == 1 => match &t.elems[0] {
                syn::Pat::Ident(p) if p.subpat.is_none() && p.by_ref.is_none() && p.mutability.is_none() => {
                    Some(&p.ident)
                }
                syn::Pat::Wild(_) => None,
                other => {
                    self.error(other, "bind the value to a name: `let Some(coupon) = order.coupon else { .. };`");
                    self.bind_rejected(other);
                    return None;
                }
            },
            other => {
                self.error(
                    other,
                    "`let … else` tests `Some(x)`; for enum variants use `match`, e.g. \
                     `let x = match v { Enum::Variant(x) => x, _ => return Err(..) };`",
                );
                self.bind_rejected(other);
                return None;
            }
        };
        if matches!(strip(value), syn::Expr::Try(_) | syn::Expr::Await(_)) {
            self.error(
                value,
                "`let … else` tests a value; bind the call's result first: \
                 `let found = lookup(id).await?; let Some(x) = found else { .. };`",
            );
            self.bind_rejected(pat);
            return None;
        }
        let value = self.expr(value);
        let syn::Expr::Block(block) = otherwise else {
            self.error(otherwise, "expected a block after `else`");
            return None;
        };
        let body = self.block(&block.block, false);
        let span = block.span();
        if let Some(ident) = binding {
            self.bind(ident, VarDef::SomeInner(value.clone_expr()));
        }
        let is_none = Cond::Bool(Expr::IsNone(Box::new(value)));
        Some(Stmt::Flow(Flow::If { branches: vec![(is_none, body)], otherwise: None, span }))
    }

    pub(super) fn result_not_handled(&self, call: &Call) {
        self.cx.error_at(
            call.span,
            "the `Result` of this call must be handled: add `?` to fail the workflow with its error, \
             or `match` it to catch errors (`Ok(v) => …, Err(e) => …`)",
        );
    }

    /// The tail of the workflow's body: its result.
    pub(super) fn tail(&mut self, expr: &syn::Expr) -> Flow {
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

    pub(super) fn flow(&mut self, expr: &syn::Expr, task: TaskAttrs) -> Flow {
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
                    let var = self.outcome_var(p).expect("checked");
                    self.check_isolated_read(var, &self.vars.list[var].rust.to_string(), p.span());
                    Flow::Unwrap { var, span: t.span() }
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
                    if self.nested.last() == Some(&Nest::Loop) {
                        self.error(
                            r,
                            "`return` inside a `for` loop (a Map state runs each item on its own) cannot end the \
                             workflow; let the error propagate with `?`, or return after the loop",
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
                if !self.is_declared_mutable(&a.left) {
                    self.error(
                        a,
                        "workflow variables cannot change: a state machine has no mutation; bind a new name with `let`",
                    );
                }
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

    pub(super) fn ret(&mut self, value: &syn::Expr) -> Flow {
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

    pub(super) fn err_value(&mut self, arg: &syn::Expr, span: Span) -> Flow {
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

    pub(super) fn variant_error(&mut self, path: Path, fields: Option<Expr>, unit: bool, span: Span) -> Flow {
        if path.segments.len() < 2 {
            self.error(&path, "name the error variant with its type, e.g. `Err(CheckoutError::OutOfStock)`");
            return Flow::Pure(Expr::Unit(span));
        }
        let mut ty = path.clone();
        let variant = ty.segments.pop().expect("two segments").into_value().ident;
        let ty = Path { leading_colon: ty.leading_colon, segments: strip_trailing_punct(ty.segments) };
        Flow::Return(Return::ErrVariant { ty, variant, fields, unit, span })
    }

    pub(super) fn await_flow(&mut self, await_: &syn::ExprAwait, try_: bool, task: TaskAttrs) -> Flow {
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

    pub(super) fn call(
        &mut self,
        callee: Path,
        call: &syn::ExprCall,
        try_: bool,
        task: TaskAttrs,
        span: Span,
    ) -> Option<Call> {
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

    pub(super) fn duration(&mut self, arg: &syn::Expr) -> Seconds {
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
                "from_millis" => return self.millis(&call.args[0], example),
                "from_micros" | "from_nanos" | "from_secs_f64" | "from_secs_f32" => {
                    self.error(func, format!("`Wait` states count whole seconds; write `{example}`"));
                    return Seconds::Literal(0);
                }
                _ => None,
            };
            if let Some(multiplier) = multiplier {
                let value = &call.args[0];
                if let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(int), .. }) = strip(value) {
                    return match int.base10_parse::<u64>().ok().and_then(|v| v.checked_mul(multiplier)) {
                        Some(seconds) if seconds <= crate::limits::MAX_SECONDS => Seconds::Literal(seconds),
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

    /// `Duration::from_millis(n)`: a literal number of whole seconds.
    fn millis(&mut self, value: &syn::Expr, example: &str) -> Seconds {
        let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(int), .. }) = strip(value) else {
            self.error(
                value,
                format!(
                    "`Wait` states count whole seconds, and this number of milliseconds is known only at run time; \
                     compute seconds instead, e.g. `{example}`"
                ),
            );
            return Seconds::Literal(0);
        };
        let Ok(millis) = int.base10_parse::<u64>() else {
            self.error(int, "a `Wait` lasts at most 99999999 seconds (Step Functions' limit)");
            return Seconds::Literal(0);
        };
        let seconds = millis / 1000;
        if millis % 1000 != 0 {
            let (down, up) = (seconds, seconds + 1);
            let hint = if down == 0 {
                format!("`Duration::from_secs({up})`")
            } else {
                format!("`Duration::from_secs({down})` or `Duration::from_secs({up})`")
            };
            self.error(
                int,
                format!("`Wait` states count whole seconds, and {millis} ms is not a whole number of seconds; round it: {hint}"),
            );
            return Seconds::Literal(0);
        }
        if seconds > crate::limits::MAX_SECONDS {
            self.error(int, "a `Wait` lasts at most 99999999 seconds (Step Functions' limit)");
            return Seconds::Literal(0);
        }
        Seconds::Literal(seconds)
    }

    pub(super) fn match_flow(&mut self, m: &syn::ExprMatch, task: TaskAttrs) -> Flow {
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
            self.check_isolated_read(var, &self.vars.list[var].rust.to_string(), p.span());
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

    pub(super) fn arm_body(&mut self, body: &syn::Expr) -> Block {
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

    pub(super) fn arm_pat(&mut self, pat: &syn::Pat, scrutinee: &Expr) -> ArmPat {
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
                        self.bind_rejected(pat);
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
                        other => {
                            self.error(other, "bind the field to a name or `_`");
                            self.bind_rejected(other);
                        }
                    }
                }
                ArmPat::Variant { ty, variant, bindings }
            }
            syn::Pat::TupleStruct(t) => {
                let Some((ty, variant)) = split_variant(&t.path) else {
                    self.error(&t.path, "name the variant with its enum, e.g. `Payment::Card(card)`");
                    self.bind_rejected(pat);
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
                    _ => {
                        self.error(&t.elems, "bind the content of a newtype variant to one name: `Variant(x)`");
                        t.elems.iter().for_each(|elem| self.bind_rejected(elem));
                    }
                }
                ArmPat::Variant { ty, variant, bindings }
            }
            other => {
                self.error(
                    other,
                    "this pattern cannot become a Choice rule; match enum variants, literals, ranges or `_`",
                );
                self.bind_rejected(other);
                ArmPat::Wild(None)
            }
        }
    }

    pub(super) fn variant_pat(&mut self, path: &Path, bindings: Vec<VariantBinding>) -> ArmPat {
        match split_variant(path) {
            Some((ty, variant)) => ArmPat::Variant { ty, variant, bindings },
            None => {
                self.error(path, "name the variant with its enum, e.g. `Tier::Gold`");
                ArmPat::Wild(None)
            }
        }
    }

    pub(super) fn match_call(&mut self, call: Call, arms: &[syn::Arm], span: Span) -> Flow {
        let mut ok: Option<OkArm> = None;
        let mut errs: Vec<ErrArm> = Vec::new();
        let mut catch_all: Option<Span> = None;
        for arm in arms {
            // Read on without the guard, so that the arm still counts (no "needs an `Ok` arm").
            if let Some((_, guard)) = &arm.guard {
                self.error(guard, "a Catch cannot test a guard; match on the error variant instead");
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
                        self.bind_rejected(other);
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
    pub(super) fn match_outcome(&mut self, var: VarId, arms: &[syn::Arm], span: Span) -> Flow {
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

    pub(super) fn err_pat(&mut self, pat: &syn::Pat) -> (ErrCatch, Option<VarId>) {
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

    pub(super) fn err_variants(&mut self, pat: &syn::Pat, out: &mut Vec<(Path, Ident)>) {
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

    pub(super) fn if_flow(&mut self, first: &syn::ExprIf) -> Flow {
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

    pub(super) fn cond(&mut self, cond: &syn::Expr) -> Cond {
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
                            self.bind_rejected(other);
                            None
                        }
                    };
                    Cond::IsSome { value, binding }
                }
                other => {
                    self.error(other, "`if let` tests `Some(x)`; for enum variants use `match`");
                    self.bind_rejected(other);
                    Cond::Bool(Expr::Unit(other.span()))
                }
            };
        }
        Cond::Bool(self.expr(cond))
    }

    pub(super) fn for_loop(&mut self, f: &syn::ExprForLoop) -> Flow {
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
        // `items.iter().enumerate()`: each iteration also gets its item's index.
        let (collection, indexed) = match strip(&f.expr) {
            syn::Expr::MethodCall(m) if m.method == "enumerate" && m.args.is_empty() => (&*m.receiver, true),
            other => (other, false),
        };
        let items = self.expr(strip_iteration(collection));
        // Inside a distributed loop, only its own scopes may be read (an inline loop nested in
        // it keeps that rule).
        let outer_isolated = attrs
            .distributed
            .map(|_| self.isolated.replace(Isolated { outer_scopes: self.scopes.len(), reported: Vec::new() }));
        self.scopes.push(HashMap::new());
        let mut index = None;
        let item_pat = match strip_pat_type(&f.pat) {
            syn::Pat::Tuple(t) if indexed && t.elems.len() == 2 => {
                index = match strip_pat_type(&t.elems[0]) {
                    syn::Pat::Ident(p) if p.subpat.is_none() && p.mutability.is_none() => {
                        Some(self.bind(&p.ident, VarDef::ItemIndex))
                    }
                    syn::Pat::Wild(_) => None,
                    other => {
                        self.error(other, "bind the index to a name: `for (i, item) in items.iter().enumerate()`");
                        None
                    }
                };
                Some(&t.elems[1])
            }
            other if indexed => {
                self.error(other, "bind the index and the item: `for (i, item) in items.iter().enumerate()`");
                None
            }
            other => Some(other),
        };
        let item = match item_pat.map(strip_pat_type) {
            Some(syn::Pat::Ident(p)) if p.subpat.is_none() => {
                Some(self.bind(&p.ident, VarDef::ItemOf(items.clone_expr())))
            }
            Some(syn::Pat::Wild(_)) | None => None,
            Some(other) => {
                self.error(other, "bind each item to a name: `for item in items`");
                self.bind_rejected(other);
                None
            }
        };
        self.nested.push(Nest::Loop);
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
        if let Some(outer) = outer_isolated {
            self.isolated = outer;
        }
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
        Flow::For(Box::new(ForLoop { item, index, items, body, collect, attrs, span }))
    }

    pub(super) fn collect(&mut self, m: &syn::ExprMethodCall) -> Option<(VarId, Flow)> {
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

    pub(super) fn join(&mut self, mac: &syn::Macro, span: Span) -> Flow {
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
        self.nested.push(Nest::Branch);
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
    pub(super) fn branch_block(&mut self, block: &syn::Block) -> Block {
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
            // The body's last statement may be an expression without `;` (an `if`): it is a
            // statement of the branch, before its value.
            if let Some(last) = parsed.tail.replace(Box::new(flow)) {
                parsed.stmts.push(Stmt::Flow(*last));
            }
        }
        self.scopes.pop();
        parsed
    }
}

/// What gives the value a flow leaves its type: the first path that does not return.
pub(super) fn def_of(flow: &Flow) -> Option<VarDef> {
    pub(super) fn first_value<'b>(mut blocks: impl Iterator<Item = &'b Block>) -> Option<VarDef> {
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
