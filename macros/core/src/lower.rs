//! Lower stage: the checked workflow body becomes a state graph ([`ir::Graph`]).
//!
//! Lowering runs backwards: each flow is lowered knowing where control goes after it (its
//! continuation), so branches rejoin by sharing one continuation. Children of a construct are
//! lowered last-first, so that sorting states by creation, newest first, gives source order;
//! names are then given in source order and made unique.

use crate::ast::Workflow;
use crate::attr::{ErrorRef, RetryAttr, TaskAttrs};
use crate::body::{Block, Branch, Call, ErrArm, Flow, ForLoop, LetPat, OkArm, Return, SleepUntil, Stmt};
use crate::ctxt::Ctxt;
use crate::ir::expr::{ArmPat, Cond, ErrCatch, Expr, Seconds, VarDef, VarId, Vars};
use crate::ir::{
    Assign, Catch, Condition, Distributed, FailWith, Graph, Jitter, Kind, Machine, Next, Retry, RetryError, State,
    StateId, TaskSettings, Value,
};
use crate::limits::{MAX_STATE_NAME, MAX_STATES};
use crate::naming::pascal;
use proc_macro2::Span;
use std::collections::HashSet;

/// Where control goes after a flow.
#[derive(Clone, Copy)]
enum K {
    To(StateId),
    End,
}

/// Where the value of a flow goes.
#[derive(Clone, Copy)]
enum Dest {
    /// Nowhere.
    Discard,
    /// Into a variable.
    Var(VarId),
    /// The output of the branch or iteration it ends.
    Output,
    /// The workflow's result.
    Succeed,
}

struct Lowerer<'a> {
    vars: &'a Vars,
    states: Vec<State>,
    /// The machine being built (states are registered to it).
    current: Vec<Vec<StateId>>,
    /// Names given with `name = "…"`, and where.
    user_names: Vec<(StateId, String)>,
    /// Variables that are the input of the state reading them (see [`Graph::state_input_vars`]).
    state_input_vars: Vec<VarId>,
    /// See [`Graph::indexed_vars`].
    indexed_vars: Vec<VarId>,
    /// Where `return Ok(v)` delivers `v`: the workflow's result, or, inside a `join!` branch
    /// (whose `async` block the `return` ends), the branch's output.
    ret_to: Dest,
}

/// Lowers a checked workflow's body.
pub fn lower_workflow(cx: &Ctxt, workflow: &Workflow<'_>) -> Graph {
    let body = &workflow.body;
    let mut lowerer = Lowerer {
        vars: &body.vars,
        states: Vec::new(),
        current: vec![Vec::new()],
        user_names: Vec::new(),
        state_input_vars: Vec::new(),
        indexed_vars: Vec::new(),
        ret_to: Dest::Succeed,
    };
    let entry = lowerer.block(&body.block, K::End, Dest::Succeed);
    let start = lowerer.target(entry, body.block.span);
    let top = lowerer.finish_machine(start);
    let mut graph = Graph {
        states: lowerer.states,
        top,
        var_names: Vec::new(),
        state_input_vars: lowerer.state_input_vars,
        indexed_vars: lowerer.indexed_vars,
    };
    prune(&mut graph);
    name_states(cx, &mut graph, &lowerer.user_names);
    name_vars(&mut graph, &body.vars);
    check_state_count(cx, &graph, &workflow.original.sig.ident);
    graph
}

// Step Functions caps a definition's size, and a machine of this many states is unreadable and
// close to that cap. Only lowering knows how many states the body becomes, so the rule is
// enforced here rather than in the check stage.
fn check_state_count(cx: &Ctxt, graph: &Graph, function: &syn::Ident) {
    if graph.states.len() > MAX_STATES {
        cx.error_spanned_by(
            function,
            format!(
                "this workflow compiles to {} states; Step Functions definitions stay well below {MAX_STATES}: \
                 split it into child workflows",
                graph.states.len()
            ),
        );
    }
}

/// The settings of `#[task(..)]` as plain values.
pub fn lower_task(task: &TaskAttrs) -> TaskSettings {
    TaskSettings {
        retry: task.retry.as_ref().map(|rules| rules.iter().map(lower_retry).collect()),
        timeout_seconds: task.timeout.as_ref().map(|t| t.value as u32),
        heartbeat_seconds: task.heartbeat.as_ref().map(|h| h.value as u32),
    }
}

/// A `retry(..)` rule as plain values (the parse stage has checked them against Step
/// Functions' bounds, so they fit in `u32`).
pub fn lower_retry(rule: &RetryAttr) -> Retry {
    Retry {
        errors: rule
            .errors
            .iter()
            .map(|e| match e {
                ErrorRef::Variant(v) => RetryError::Variant(v.clone()),
                ErrorRef::Name(s) => RetryError::Name(s.value(), s.span()),
                ErrorRef::Other(s) => RetryError::Other(s.value()),
            })
            .collect(),
        interval_seconds: rule.interval.map(|v| v as u32),
        max_attempts: rule.max_attempts.map(|v| v as u32),
        backoff_rate: rule.backoff_rate,
        max_delay_seconds: rule.max_delay.map(|v| v as u32),
        jitter: rule.jitter.map(|full| if full { Jitter::Full } else { Jitter::None }),
    }
}

// Variables are named after the states exist, so that the variables the machine really assigns
// get the plain Rust names: `receipt`, not `receipt_2` because an unused binding came first.
fn name_vars(graph: &mut Graph, vars: &Vars) {
    let mut assigned = vec![false; vars.list.len()];
    for id in graph.states_in_order() {
        let mut mark = |assign: &[Assign]| assign.iter().for_each(|a| assigned[a.var] = true);
        match &graph.states[id].kind {
            Kind::Task { assign, catch, .. } => {
                mark(assign);
                catch.iter().for_each(|c| mark(&c.assign));
            }
            Kind::Pass { assign, .. } | Kind::Parallel { assign, .. } | Kind::Map { assign, .. } => mark(assign),
            _ => {}
        }
    }
    let mut names = vec![String::new(); vars.list.len()];
    let mut taken: HashSet<String> = HashSet::new();
    let order = (0..vars.list.len()).filter(|id| assigned[*id]).chain((0..vars.list.len()).filter(|id| !assigned[*id]));
    for id in order {
        let base = vars.list[id].rust.to_string().trim_start_matches("r#").to_owned();
        let mut name = base.clone();
        let mut n = 2;
        while taken.contains(&name) || crate::body::is_reserved(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        taken.insert(name.clone());
        names[id] = name;
    }
    graph.var_names = names;
}

/// Whether the expressions of a state read `var` (directly or through names for expressions).
fn kind_mentions(kind: &Kind, var: VarId, vars: &Vars) -> bool {
    let value = |v: &Value| matches!(v, Value::Expr(e) if mentions(e, var, vars));
    let assigns = |a: &[Assign]| a.iter().any(|a| value(&a.value));
    match kind {
        Kind::Task { arg, assign, output, catch, .. } => {
            mentions(arg, var, vars)
                || assigns(assign)
                || output.as_ref().is_some_and(value)
                || catch.iter().any(|c| assigns(&c.assign))
        }
        Kind::Pass { assign, output, .. } => assigns(assign) || output.as_ref().is_some_and(value),
        Kind::Choice { rules, .. } => rules.iter().any(|(c, _)| match c {
            Condition::Cond(Cond::Bool(e)) | Condition::Cond(Cond::IsSome { value: e, .. }) => mentions(e, var, vars),
            Condition::Arm { scrutinee, .. } => mentions(scrutinee, var, vars),
            Condition::Failed { var: v, .. } => *v == var,
        }),
        Kind::Wait { seconds, timestamp, .. } => {
            matches!(seconds, Some(Seconds::Expr { value, .. }) if mentions(value, var, vars))
                || timestamp.as_ref().is_some_and(|e| mentions(e, var, vars))
        }
        Kind::Parallel { assign, .. } => assigns(assign),
        Kind::Map { items, assign, .. } => mentions(items, var, vars) || assigns(assign),
        Kind::Succeed { output } => output.as_ref().is_some_and(value),
        Kind::Fail(FailWith::Variant { fields, .. }) => fields.as_ref().is_some_and(|e| mentions(e, var, vars)),
        Kind::Fail(FailWith::Rethrow(v) | FailWith::OutcomeErr(v)) => *v == var,
    }
}

/// Whether `expr` reads `var`, names for expressions followed.
fn mentions(expr: &Expr, var: VarId, vars: &Vars) -> bool {
    let m = |e: &Expr| mentions(e, var, vars);
    match expr {
        Expr::Var(id, _) => {
            *id == var
                || match &vars.list[*id].def {
                    VarDef::Alias(e) | VarDef::SomeInner(e) => m(e),
                    VarDef::VariantField { value, .. } | VarDef::VariantContent { value, .. } => m(value),
                    _ => false,
                }
        }
        Expr::Field(b, _) | Expr::TupleField(b, _) => m(b),
        Expr::Index(a, b) | Expr::Binary(_, a, b) | Expr::UnwrapOr(a, b) => m(a) || m(b),
        Expr::Struct { fields, .. } | Expr::VariantStruct { fields, .. } => fields.iter().any(|(_, e)| m(e)),
        Expr::Array(items, _) | Expr::Format(items, _) => items.iter().any(m),
        Expr::Not(e)
        | Expr::Neg(e)
        | Expr::Len(e)
        | Expr::CharCount(e)
        | Expr::IsEmpty(e)
        | Expr::IsSome(e)
        | Expr::IsNone(e)
        | Expr::ToString(e)
        | Expr::Some(e)
        | Expr::Cast(e, _) => m(e),
        Expr::OutcomeOk(v, _) | Expr::OutcomeErr(v, _) => *v == var,
        Expr::Lit(_) | Expr::UnitVariant { .. } | Expr::None(_) | Expr::Unit(_) => false,
    }
}

// Lowering may leave states nothing jumps to (the fall-through of a block that returns on
// every path); Step Functions rejects unreachable states, so each machine keeps only the states
// reachable from its start.
fn prune(graph: &mut Graph) {
    fn prune_machine(states: &mut [State], machine: &mut Machine) {
        let mut reachable = HashSet::new();
        let mut todo = vec![machine.start];
        while let Some(id) = todo.pop() {
            if reachable.insert(id) {
                todo.extend(states[id].kind.successors());
            }
        }
        machine.states.retain(|id| reachable.contains(id));
        for id in machine.states.clone() {
            match &mut states[id].kind {
                Kind::Parallel { branches, .. } => {
                    let mut branches = std::mem::take(branches);
                    for branch in &mut branches {
                        prune_machine(states, branch);
                    }
                    if let Kind::Parallel { branches: slot, .. } = &mut states[id].kind {
                        *slot = branches;
                    }
                }
                Kind::Map { processor, .. } => {
                    let mut processor = std::mem::replace(processor, Machine { start: 0, states: Vec::new() });
                    prune_machine(states, &mut processor);
                    if let Kind::Map { processor: slot, .. } = &mut states[id].kind {
                        *slot = processor;
                    }
                }
                _ => {}
            }
        }
    }
    let mut top = std::mem::replace(&mut graph.top, Machine { start: 0, states: Vec::new() });
    prune_machine(&mut graph.states, &mut top);
    graph.top = top;
}

impl Lowerer<'_> {
    fn add(&mut self, base: String, span: Span, kind: Kind) -> StateId {
        let id = self.states.len();
        self.states.push(State { name: base, span, kind });
        self.current.last_mut().expect("a machine").push(id);
        id
    }

    /// A state to jump to: the continuation itself, or a state that ends the branch.
    fn target(&mut self, k: K, span: Span) -> StateId {
        match k {
            K::To(id) => id,
            K::End => self.add("Done".into(), span, Kind::Pass { assign: Vec::new(), output: None, next: Next::End }),
        }
    }

    fn next(k: K) -> Next {
        match k {
            K::To(id) => Next::To(id),
            K::End => Next::End,
        }
    }

    fn finish_machine(&mut self, start: StateId) -> Machine {
        let mut states = self.current.pop().expect("a machine");
        // Newest first is source order (see the module's doc).
        states.sort_by(|a, b| b.cmp(a));
        if let Some(pos) = states.iter().position(|s| *s == start) {
            let s = states.remove(pos);
            states.insert(0, s);
        }
        Machine { start, states }
    }

    fn machine(&mut self, lower: impl FnOnce(&mut Self) -> K, span: Span) -> Machine {
        self.current.push(Vec::new());
        let entry = lower(self);
        let start = self.target(entry, span);
        self.finish_machine(start)
    }

    fn block(&mut self, block: &Block, k: K, dest: Dest) -> K {
        let mut entry = match &block.tail {
            Some(tail) => self.flow(tail, k, dest, block.span),
            // A block that returns on every path has no value to deliver.
            None if crate::body::block_diverges(block) => k,
            None => self.value(None, k, dest, block.span),
        };
        for stmt in block.stmts.iter().rev() {
            entry = match stmt {
                // `let mut all = Vec::new();`: the Map that fills it assigns it.
                Stmt::Let { pat: LetPat::Var(var), .. }
                    if matches!(self.vars.list[*var].def, VarDef::CollectionOf(_) | VarDef::CollectionOfStep(_)) =>
                {
                    entry
                }
                Stmt::Let { pat: LetPat::Var(var), init } => {
                    if self.vars.is_asl(*var) {
                        self.flow(init, entry, Dest::Var(*var), block.span)
                    } else if matches!(init, Flow::Unwrap { .. }) {
                        // `let v = r?;`: `v` names the value, the check still needs its states.
                        self.flow(init, entry, Dest::Discard, block.span)
                    } else {
                        entry
                    }
                }
                Stmt::Let { pat: LetPat::Wild, init } | Stmt::Flow(init) => {
                    self.flow(init, entry, Dest::Discard, block.span)
                }
                Stmt::Let { pat: LetPat::Tuple(vars), init: Flow::Join { branches, span, results } } => {
                    self.join(branches, vars, entry, *span, *results)
                }
                Stmt::Let { pat: LetPat::Tuple(_), .. } => entry,
            };
        }
        entry
    }

    /// Delivers a value computed by an expression (or unit) to `dest`.
    fn value(&mut self, expr: Option<&Expr>, k: K, dest: Dest, span: Span) -> K {
        let value = || Value::Expr(expr.map(Expr::clone_expr).unwrap_or(Expr::Unit(span)));
        match dest {
            Dest::Discard => k,
            Dest::Var(var) => {
                let name = format!("Set {}", self.vars.list[var].rust);
                let kind =
                    Kind::Pass { assign: vec![Assign { var, value: value() }], output: None, next: Self::next(k) };
                K::To(self.add(name, span, kind))
            }
            Dest::Output => K::To(self.add(
                "Result".into(),
                span,
                Kind::Pass { assign: Vec::new(), output: Some(value()), next: Next::End },
            )),
            Dest::Succeed => K::To(self.add("Succeed".into(), span, Kind::Succeed { output: Some(value()) })),
        }
    }

    fn flow(&mut self, flow: &Flow, k: K, dest: Dest, span: Span) -> K {
        match flow {
            Flow::Pure(expr) => self.value(Some(expr), k, dest, span),
            Flow::Block(block) => self.block(block, k, dest),
            Flow::Call(call) => self.call(call, k, dest, Vec::new(), None),
            Flow::MatchCall { call, ok, errs, span } => self.match_call(call, ok, errs, k, dest, *span),
            Flow::If { branches, otherwise, span } => self.if_flow(branches, otherwise.as_ref(), k, dest, *span),
            Flow::Match { scrutinee, arms, span } => self.match_flow(scrutinee, arms, k, dest, *span),
            Flow::Join { branches, span, results } => {
                let k = self.after_unit(k, dest, *span);
                self.join(branches, &[], k, *span, *results)
            }
            Flow::Unwrap { var, span } => {
                let value = self.value(Some(&Expr::OutcomeOk(*var, *span)), k, dest, *span);
                let otherwise = self.target(value, *span);
                let name = format!("Fail {}", self.vars.list[*var].rust);
                let fail = self.add(name, *span, Kind::Fail(FailWith::OutcomeErr(*var)));
                let rules = vec![(Condition::Failed { var: *var, catches: ErrCatch::All }, fail)];
                let name = format!("If {} failed", self.vars.list[*var].rust);
                K::To(self.add(name, *span, Kind::Choice { rules, default: Some(otherwise) }))
            }
            Flow::MatchOutcome { var, ok, errs, span } => {
                let mut rules = Vec::new();
                for arm in errs.iter().rev() {
                    let entry = self.block(&arm.body, k, dest);
                    let next = self.target(entry, arm.span);
                    rules.push((Condition::Failed { var: *var, catches: arm.catches.clone() }, next));
                }
                rules.reverse();
                let entry = self.block(&ok.body, k, dest);
                let default = Some(self.target(entry, ok.body.span));
                let name = format!("Match {}", self.vars.list[*var].rust);
                K::To(self.add(name, *span, Kind::Choice { rules, default }))
            }
            Flow::For(for_loop) => {
                let entry = self.for_loop(for_loop, k);
                self.after_unit(entry, dest, for_loop.span)
            }
            Flow::Sleep { until, span } => {
                let (seconds, timestamp, name) = match until {
                    SleepUntil::Seconds(s @ Seconds::Literal(n)) => {
                        (Some(s.clone()), None, format!("Wait {}", crate::attr::format_seconds(*n).trim_matches('"')))
                    }
                    SleepUntil::Seconds(s) => (Some(s.clone()), None, "Wait".to_owned()),
                    SleepUntil::Timestamp(e) => (None, Some(e.clone_expr()), "Wait until".to_owned()),
                };
                let k = self.after_unit(k, dest, *span);
                K::To(self.add(name, *span, Kind::Wait { seconds, timestamp, next: Self::next(k) }))
            }
            Flow::Return(ret) => self.ret(ret, span),
        }
    }

    /// For flows whose value is `()`: a destination still needs its value.
    fn after_unit(&mut self, k: K, dest: Dest, span: Span) -> K {
        match dest {
            Dest::Discard => k,
            _ => self.value(None, k, dest, span),
        }
    }

    fn ret(&mut self, ret: &Return, span: Span) -> K {
        match ret {
            Return::Ok(inner) => self.flow(inner, K::End, self.ret_to, span),
            Return::ErrVariant { ty, variant, fields, unit, span } => {
                let kind = Kind::Fail(FailWith::Variant {
                    ty: ty.clone(),
                    variant: variant.clone(),
                    fields: fields.as_ref().map(Expr::clone_expr),
                    unit: *unit,
                });
                K::To(self.add(format!("Fail {variant}"), *span, kind))
            }
            Return::Rethrow { caught, span } => {
                K::To(self.add("Fail".into(), *span, Kind::Fail(FailWith::Rethrow(*caught))))
            }
        }
    }

    fn call(&mut self, call: &Call, k: K, dest: Dest, catch: Vec<Catch>, ok_binding: Option<VarId>) -> K {
        let mut assign = Vec::new();
        let mut output = None;
        let mut next = Self::next(k);
        if let Some(var) = ok_binding {
            assign.push(Assign { var, value: Value::StepResult(call.callee.clone()) });
        }
        match dest {
            Dest::Discard => {}
            Dest::Var(var) => assign.push(Assign { var, value: Value::StepResult(call.callee.clone()) }),
            Dest::Output => {
                output = Some(Value::StepResult(call.callee.clone()));
                next = Next::End;
            }
            Dest::Succeed => {
                output = Some(Value::StepResult(call.callee.clone()));
                let succeed = self.add("Succeed".into(), call.span, Kind::Succeed { output: None });
                next = Next::To(succeed);
            }
        }
        let name = call.task.name.as_ref().map(|n| n.value.clone()).unwrap_or_else(|| pascal(&callee_name(call)));
        let id = self.add(
            name,
            call.span,
            Kind::Task {
                callee: call.callee.clone(),
                arg: call.arg.clone_expr(),
                task: lower_task(&call.task),
                assign,
                output,
                catch,
                next,
            },
        );
        if let Some(user) = &call.task.name {
            self.user_names.push((id, user.value.clone()));
            self.states[id].span = user.span;
        }
        K::To(id)
    }

    fn match_call(&mut self, call: &Call, ok: &OkArm, errs: &[ErrArm], k: K, dest: Dest, span: Span) -> K {
        // The Ok arm `Ok(v) => v` whose value is the destination: the task assigns it directly.
        let direct = match (&ok.body.tail.as_deref(), ok.body.stmts.is_empty(), ok.binding) {
            (Some(Flow::Pure(Expr::Var(v, _))), true, Some(binding)) => *v == binding,
            _ => false,
        };
        let mut catches = Vec::new();
        for arm in errs.iter().rev() {
            let entry = self.block(&arm.body, k, dest);
            let next = self.target(entry, arm.span);
            let assign = arm.binding.map(|var| Assign { var, value: Value::ErrorOutput }).into_iter().collect();
            catches.push(Catch { catches: arm.catches.clone(), next, assign, output: None });
        }
        catches.reverse();
        if direct {
            return self.call(call, k, dest, catches, None);
        }
        let ok_entry = self.block(&ok.body, k, dest);
        let _ = span;
        self.call(call, ok_entry, Dest::Discard, catches, ok.binding)
    }

    fn if_flow(&mut self, branches: &[(Cond, Block)], otherwise: Option<&Block>, k: K, dest: Dest, span: Span) -> K {
        let default = match otherwise {
            Some(block) => {
                let entry = self.block(block, k, dest);
                Some(self.target(entry, block.span))
            }
            None => {
                let entry = self.after_unit(k, dest, span);
                Some(self.target(entry, span))
            }
        };
        let mut rules = Vec::new();
        for (cond, block) in branches.iter().rev() {
            let entry = self.block(block, k, dest);
            let next = self.target(entry, block.span);
            rules.push((Condition::Cond(cond.clone()), next));
        }
        rules.reverse();
        let name = format!("If {}", condition_text(&branches[0].0));
        K::To(self.add(name, span, Kind::Choice { rules, default }))
    }

    fn match_flow(&mut self, scrutinee: &Expr, arms: &[(ArmPat, Block)], k: K, dest: Dest, span: Span) -> K {
        let mut rules = Vec::new();
        let mut default = None;
        for (i, (pat, block)) in arms.iter().enumerate().rev() {
            let entry = self.block(block, k, dest);
            let next = self.target(entry, block.span);
            // The last arm is the Choice's default: rustc has proved the match exhaustive, so a
            // value that reaches it matches it.
            if (i + 1 == arms.len() || matches!(pat, ArmPat::Wild(_))) && default.is_none() {
                default = Some(next);
                continue;
            }
            rules.push((Condition::Arm { scrutinee: scrutinee.clone_expr(), pat: pat.clone() }, next));
        }
        rules.reverse();
        if rules.is_empty() {
            return match default {
                Some(next) => K::To(next),
                None => k,
            };
        }
        let name = format!("Match {}", expr_text(self.vars, scrutinee));
        K::To(self.add(name, span, Kind::Choice { rules, default }))
    }

    fn join(&mut self, branches: &[Branch], vars: &[Option<VarId>], k: K, span: Span, results: bool) -> K {
        let outer_ret = std::mem::replace(&mut self.ret_to, Dest::Output);
        let mut machines = Vec::new();
        for branch in branches.iter().rev() {
            let machine = match (branch, results) {
                (Branch::Call(call), false) => {
                    self.machine(|this| this.call(call, K::End, Dest::Output, Vec::new(), None), call.span)
                }
                (Branch::Block(block), false) => {
                    self.machine(|this| this.block(block, K::End, Dest::Output), block.span)
                }
                // `join!` keeps each branch's `Result`: a branch outputs `{"ok": value}`, or
                // catches its error and outputs `{"err": error}`, so the Parallel state never
                // fails and the workflow handles each result.
                (branch, true) => self.machine(|this| this.result_branch(branch), span),
            };
            machines.push(machine);
        }
        machines.reverse();
        self.ret_to = outer_ret;
        let assign = vars
            .iter()
            .enumerate()
            .filter_map(|(i, var)| {
                var.filter(|v| self.vars.is_asl(*v)).map(|var| Assign { var, value: Value::BranchResult(i) })
            })
            .collect();
        let kind = Kind::Parallel { branches: machines, assign, output: None, catch: Vec::new(), next: Self::next(k) };
        K::To(self.add("In parallel".into(), span, kind))
    }

    /// A `join!` branch whose output is its `Result`: `{"ok": value}` or `{"err": error}`.
    fn result_branch(&mut self, branch: &Branch) -> K {
        let failed_span = match branch {
            Branch::Call(call) => call.span,
            Branch::Block(block) => block.span,
        };
        let failed =
            self.add("Failed".into(), failed_span, Kind::Pass { assign: Vec::new(), output: None, next: Next::End });
        let catch =
            || vec![Catch { catches: ErrCatch::All, next: failed, assign: Vec::new(), output: Some(Value::Err) }];
        match branch {
            Branch::Call(call) => {
                let K::To(task) = self.call(call, K::End, Dest::Output, catch(), None) else { unreachable!() };
                if let Kind::Task { output, .. } = &mut self.states[task].kind {
                    *output = Some(Value::Ok(Box::new(Value::StepResult(call.callee.clone()))));
                }
                K::To(task)
            }
            Branch::Block(block) => {
                let inner = self.machine(|this| this.block(block, K::End, Dest::Output), block.span);
                let kind = Kind::Parallel {
                    branches: vec![inner],
                    assign: Vec::new(),
                    output: Some(Value::Ok(Box::new(Value::BranchResult(0)))),
                    catch: catch(),
                    next: Next::End,
                };
                K::To(self.add("Branch".into(), block.span, kind))
            }
        }
    }

    fn for_loop(&mut self, f: &ForLoop, k: K) -> K {
        let processor = self.machine(
            |this| {
                let first_new = this.states.len();
                let end = match &f.collect {
                    Some((_, value)) => this.flow(value, K::End, Dest::Output, f.span),
                    None => K::End,
                };
                let body = this.block(&f.body, end, Dest::Discard);
                let bound: Vec<VarId> = f.item.into_iter().chain(f.index).collect();
                if f.index.is_some() {
                    this.indexed_vars.extend(&bound);
                }
                // An item (and index) read only by the iteration's first state is that state's
                // input: no state is needed to hold it.
                if let K::To(first) = body
                    && !bound.is_empty()
                {
                    let elsewhere = (first_new..this.states.len())
                        .filter(|id| *id != first)
                        .any(|id| bound.iter().any(|var| kind_mentions(&this.states[id].kind, *var, this.vars)));
                    if !elsewhere && first >= first_new {
                        this.state_input_vars.extend(&bound);
                        return body;
                    }
                }
                let Some(first) = bound.first() else { return body };
                let value = |var: VarId| match f.index {
                    Some(index) if index == var => Value::InputIndex,
                    Some(_) => Value::InputItem,
                    None => Value::StateInput,
                };
                let name = format!("Take {}", this.vars.list[*first].rust);
                let assign = bound.iter().map(|var| Assign { var: *var, value: value(*var) }).collect();
                K::To(this.add(name, f.span, Kind::Pass { assign, output: None, next: Self::next(body) }))
            },
            f.span,
        );
        let assign = f.collect.iter().map(|(var, _)| Assign { var: *var, value: Value::MapResult }).collect();
        let item = f.item.map(|i| self.vars.list[i].rust.to_string()).unwrap_or_else(|| "item".into());
        let name = f.attrs.name.as_ref().map(|n| n.value.clone()).unwrap_or_else(|| format!("For each {item}"));
        let id = self.add(
            name,
            f.span,
            Kind::Map {
                items: f.items.clone_expr(),
                indexed: f.index.is_some(),
                processor,
                max_concurrency: f.attrs.max_concurrency,
                distributed: f.attrs.distributed.map(|_| Distributed {
                    express: f.attrs.express_children.is_some(),
                    label: f.attrs.label.as_ref().map(|l| l.value.clone()),
                }),
                assign,
                next: Self::next(k),
            },
        );
        if let Some(user) = &f.attrs.name {
            self.user_names.push((id, user.value.clone()));
            self.states[id].span = user.span;
        }
        K::To(id)
    }
}

// State names must be unique across the whole machine, branches included, and at most 80
// characters: names given by the user are checked, generated ones are made unique in source
// order ("ChargePayment", "ChargePayment 2", …) and shortened.
fn name_states(cx: &Ctxt, graph: &mut Graph, user_names: &[(StateId, String)]) {
    let mut taken: HashSet<String> = HashSet::new();
    let user: HashSet<StateId> = user_names.iter().map(|(id, _)| *id).collect();
    let order = graph.states_in_order();
    for id in &order {
        if !user.contains(id) {
            continue;
        }
        let name = graph.states[*id].name.clone();
        if !taken.insert(name.clone()) {
            cx.error_at(
                graph.states[*id].span,
                format!("duplicate state name `{name}`: state names are unique in a state machine; choose another"),
            );
        }
    }
    for id in order {
        if user.contains(&id) {
            continue;
        }
        let base: String = graph.states[id].name.chars().take(MAX_STATE_NAME).collect();
        let mut name = base.clone();
        let mut n = 2;
        while taken.contains(&name) {
            let suffix = format!(" {n}");
            let keep = MAX_STATE_NAME - suffix.chars().count();
            name = format!("{}{suffix}", base.chars().take(keep).collect::<String>().trim_end());
            n += 1;
        }
        taken.insert(name.clone());
        graph.states[id].name = name;
    }
}

fn callee_name(call: &Call) -> String {
    call.callee.segments.last().map(|s| s.ident.to_string()).unwrap_or_default()
}

fn condition_text(cond: &Cond) -> String {
    match cond {
        Cond::Bool(e) => render(e),
        Cond::IsSome { value, .. } => format!("{} is set", render(value)),
    }
}

fn expr_text(_vars: &Vars, expr: &Expr) -> String {
    render(expr)
}

/// A short rendering of an expression, for state names.
fn render(expr: &Expr) -> String {
    fn var_name(expr: &Expr) -> String {
        match expr {
            Expr::Var(_, span) => span.source_text().unwrap_or_else(|| "value".into()),
            _ => render(expr),
        }
    }
    match expr {
        Expr::Var(..) => var_name(expr),
        Expr::Field(base, field) => format!("{}.{field}", render(base)),
        Expr::TupleField(base, i) => format!("{}.{}", render(base), i.index),
        Expr::Index(base, i) => format!("{}[{}]", render(base), render(i)),
        Expr::Lit(syn::Lit::Str(s)) => format!("{:?}", s.value()),
        Expr::Lit(syn::Lit::Int(i)) => i.base10_digits().to_owned(),
        Expr::Lit(syn::Lit::Float(f)) => f.base10_digits().to_owned(),
        Expr::Lit(syn::Lit::Bool(b)) => b.value.to_string(),
        Expr::Lit(_) => "literal".into(),
        Expr::UnitVariant { ty, variant } | Expr::VariantStruct { ty, variant, .. } => {
            format!("{}::{variant}", ty.segments.last().map(|s| s.ident.to_string()).unwrap_or_default())
        }
        Expr::Binary(op, a, b) => {
            format!("{} {} {}", render(a), op.rust(), render(b))
        }
        Expr::Not(e) => format!("!{}", render(e)),
        Expr::Neg(e) => format!("-{}", render(e)),
        Expr::Len(e) => format!("{}.len()", render(e)),
        Expr::CharCount(e) => format!("{}.chars().count()", render(e)),
        Expr::IsEmpty(e) => format!("{} is empty", render(e)),
        Expr::IsSome(e) => format!("{} is set", render(e)),
        Expr::IsNone(e) => format!("{} is not set", render(e)),
        Expr::ToString(e) | Expr::Some(e) | Expr::Cast(e, _) => render(e),
        Expr::UnwrapOr(a, _) => render(a),
        Expr::None(_) => "None".into(),
        Expr::Struct { path, .. } => path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default(),
        Expr::Array(..) | Expr::Format(..) | Expr::Unit(_) | Expr::OutcomeOk(..) | Expr::OutcomeErr(..) => {
            "value".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attr::WorkflowAttrs;

    /// Lowers `function`; returns the graph and the errors.
    fn lower(function: &syn::ItemFn) -> (Graph, Vec<String>) {
        let cx = Ctxt::new();
        let workflow = Workflow::from_syn(&cx, WorkflowAttrs::default(), function);
        let graph = lower_workflow(&cx, &workflow);
        let errors = match cx.check() {
            Ok(()) => Vec::new(),
            Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
        };
        (graph, errors)
    }

    fn names(graph: &Graph) -> Vec<&str> {
        graph.states_in_order().into_iter().map(|id| graph.name(id)).collect()
    }

    #[test]
    fn calls_become_tasks_named_after_the_callee_in_source_order() {
        let (graph, errors) = lower(&syn::parse_quote! {
            async fn checkout(order: Order) -> Result<Receipt, E> {
                let hold = reserve_stock(order.clone()).await?;
                let receipt = charge(order.clone()).await?;
                let again = charge(order).await?;
                Ok(receipt)
            }
        });
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(names(&graph), ["ReserveStock", "Charge", "Charge 2", "Succeed"]);
        assert!(matches!(graph.states[graph.top.start].kind, Kind::Task { .. }));
    }

    #[test]
    fn variables_never_take_a_jsonata_function_name() {
        let (graph, errors) = lower(&syn::parse_quote! {
            async fn checkout(order: Order) -> Result<Receipt, E> {
                let map = charge(order).await?;
                Ok(map)
            }
        });
        assert!(errors.is_empty(), "{errors:?}");
        assert!(graph.var_names.contains(&"map_2".to_owned()), "{:?}", graph.var_names);
    }

    #[test]
    fn an_if_becomes_a_choice_whose_branches_rejoin() {
        let (graph, errors) = lower(&syn::parse_quote! {
            async fn checkout(order: Order) -> Result<(), E> {
                if order.total > 100 {
                    review(order.clone()).await?;
                }
                ship(order).await?;
                Ok(())
            }
        });
        assert!(errors.is_empty(), "{errors:?}");
        let Kind::Choice { rules, default } = &graph.states[graph.top.start].kind else { panic!("expected a Choice") };
        let ship = graph.states_in_order().into_iter().find(|id| graph.name(*id) == "Ship").expect("a Ship task");
        assert_eq!(*default, Some(ship));
        let Kind::Task { next, .. } = &graph.states[rules[0].1].kind else { panic!("expected the Review task") };
        assert!(*next == Next::To(ship));
    }

    #[test]
    fn return_in_a_join_branch_fails_or_ends_the_branch() {
        let (graph, errors) = lower(&syn::parse_quote! {
            async fn checkout(order: Order) -> Result<(), E> {
                let (a, b) = try_join!(ship(order.clone()), async {
                    if order.total > 100 {
                        return Err(E::TooMany);
                    }
                    if order.express {
                        return Ok(0);
                    }
                    Ok(order.total)
                })?;
                Ok(())
            }
        });
        assert!(errors.is_empty(), "{errors:?}");
        let Kind::Parallel { branches, .. } = &graph.states[graph.top.start].kind else {
            panic!("expected a Parallel")
        };
        let kinds: Vec<&Kind> = branches[1].states.iter().map(|id| &graph.states[*id].kind).collect();
        assert!(
            kinds.iter().any(|k| matches!(k, Kind::Fail(FailWith::Variant { variant, .. }) if variant == "TooMany"))
        );
        assert!(!kinds.iter().any(|k| matches!(k, Kind::Succeed { .. })), "a branch's `return Ok` is its output");
        let ends = kinds.iter().filter(|k| matches!(k, Kind::Pass { output: Some(_), next: Next::End, .. })).count();
        assert_eq!(ends, 2, "`return Ok(0)` and the tail each end the branch with an output");
    }

    #[test]
    fn an_enumerated_loop_reads_its_index_and_item_from_the_item_selector() {
        let (graph, errors) = lower(&syn::parse_quote! {
            async fn checkout(order: Order) -> Result<(), E> {
                for (i, item) in order.items.iter().enumerate() {
                    let total = pack(item.clone()).await?;
                    notify(format!("{} {}", i, total)).await?;
                }
                Ok(())
            }
        });
        assert!(errors.is_empty(), "{errors:?}");
        let Kind::Map { indexed: true, processor, .. } = &graph.states[graph.top.start].kind else {
            panic!("expected an indexed Map")
        };
        let Kind::Pass { assign, .. } = &graph.states[processor.start].kind else { panic!("expected Take item") };
        assert!(matches!(
            assign[..],
            [Assign { value: Value::InputItem, .. }, Assign { value: Value::InputIndex, .. }]
        ));
        assert_eq!(graph.indexed_vars.len(), 2);
    }

    #[test]
    fn user_names_must_be_unique() {
        let (_, errors) = lower(&syn::parse_quote! {
            async fn checkout(order: Order) -> Result<(), E> {
                #[task(name = "Pay")]
                charge(order.clone()).await?;
                #[task(name = "Pay")]
                charge(order).await?;
                Ok(())
            }
        });
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("duplicate state name `Pay`"));
    }

    #[test]
    fn generated_names_are_cut_to_step_functions_limit() {
        let long = syn::Ident::new(&"a".repeat(100), Span::call_site());
        let (graph, errors) = lower(&syn::parse_quote! {
            async fn checkout(order: Order) -> Result<(), E> {
                #long(order.clone()).await?;
                #long(order).await?;
                Ok(())
            }
        });
        assert!(errors.is_empty(), "{errors:?}");
        let names = names(&graph);
        assert!(names.iter().all(|n| n.chars().count() <= MAX_STATE_NAME), "{names:?}");
        assert!(names[1].ends_with(" 2"));
    }

    #[test]
    fn retry_rules_become_plain_values() {
        let cx = Ctxt::new();
        let attr: syn::Attribute =
            syn::parse_quote!(#[task(retry(errors = [GatewayDown], interval = "2s", jitter = "full"))]);
        let task = TaskAttrs::from_syn(&cx, &attr);
        cx.check().expect("valid");
        let settings = lower_task(&task);
        let rule = &settings.retry.as_ref().expect("a retry override")[0];
        assert_eq!(rule.interval_seconds, Some(2));
        assert_eq!(rule.jitter, Some(Jitter::Full));
        assert!(matches!(&rule.errors[0], RetryError::Variant(v) if v == "GatewayDown"));
    }
}
