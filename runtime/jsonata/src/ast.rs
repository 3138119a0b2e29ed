//! The processed syntax tree the evaluator walks, and the post-parse stage that
//! builds it (jsonata-js's `processAST`): location paths are flattened into
//! steps, predicates become step stages, `@`/`#` bindings and the parent
//! operator `%` are resolved to tuple-stream annotations, and tail calls in
//! lambda bodies are marked for the trampoline.

use crate::error::{Error, Result};
use crate::parser::{PKind, PNode};
use crate::regex::JsRegex;
use crate::signature::Signature;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Concat,
    And,
    Or,
    In,
    Range,
}

impl BinOp {
    fn from_str(op: &str) -> Option<BinOp> {
        Some(match op {
            "+" => BinOp::Add,
            "-" => BinOp::Sub,
            "*" => BinOp::Mul,
            "/" => BinOp::Div,
            "%" => BinOp::Mod,
            "=" => BinOp::Eq,
            "!=" => BinOp::Ne,
            "<" => BinOp::Lt,
            "<=" => BinOp::Le,
            ">" => BinOp::Gt,
            ">=" => BinOp::Ge,
            "&" => BinOp::Concat,
            "and" => BinOp::And,
            "or" => BinOp::Or,
            "in" => BinOp::In,
            ".." => BinOp::Range,
            _ => return None,
        })
    }

    pub(crate) fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Eq => "=",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Concat => "&",
            BinOp::And => "and",
            BinOp::Or => "or",
            BinOp::In => "in",
            BinOp::Range => "..",
        }
    }
}

#[derive(Debug)]
pub(crate) enum Stage {
    Filter { expr: Node },
    Index { var: String },
}

#[derive(Debug)]
pub(crate) struct Group {
    pub pairs: Vec<(Node, Node)>,
    pub pos: usize,
}

#[derive(Debug)]
pub(crate) struct Lambda {
    pub params: Vec<String>,
    pub signature: Option<Signature>,
    pub body: Node,
    pub thunk: bool,
}

#[derive(Debug)]
pub(crate) enum Kind {
    Path { steps: Vec<Node>, keep_singleton_array: bool },
    Binary { op: BinOp, lhs: Box<Node>, rhs: Box<Node> },
    Neg(Box<Node>),
    Array(Vec<Node>),
    Object(Vec<(Node, Node)>),
    Name(String),
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    Wildcard,
    Descendant,
    Parent { slot: usize },
    Cond { cond: Box<Node>, then: Box<Node>, els: Option<Box<Node>> },
    Block(Vec<Node>),
    Bind { name: String, rhs: Box<Node> },
    Regex(Box<JsRegex>),
    Function { procedure: Box<Node>, args: Vec<Node> },
    Partial { procedure: Box<Node>, args: Vec<Node> },
    Placeholder,
    Var(String),
    Lambda(Box<Lambda>),
    Apply { lhs: Box<Node>, rhs: Box<Node> },
    Transform { pattern: Box<Node>, update: Box<Node>, delete: Option<Box<Node>> },
    Sort { terms: Vec<(bool, Node)> },
}

#[derive(Debug)]
pub(crate) struct Node {
    pub kind: Kind,
    pub pos: usize,
    pub keep_array: bool,
    /// Filters applied to a non-step expression (`$x[0]`).
    pub predicate: Option<Vec<Stage>>,
    /// Filters and `#` index bindings of a path step.
    pub stages: Option<Vec<Stage>>,
    pub group: Option<Box<Group>>,
    /// `@$v`: the variable bound to each item of this step.
    pub focus: Option<String>,
    /// `#$i`: the variable bound to each item's position.
    pub index: Option<String>,
    /// The step contributes to a tuple stream (has focus/index/ancestor bindings).
    pub tuple: bool,
    /// The parent slot this step binds (`%`).
    pub ancestor: Option<usize>,
    pub cons_array: bool,
    seeking_parent: Option<Vec<usize>>,
}

impl Node {
    fn new(kind: Kind, pos: usize) -> Self {
        Node {
            kind,
            pos,
            keep_array: false,
            predicate: None,
            stages: None,
            group: None,
            focus: None,
            index: None,
            tuple: false,
            ancestor: None,
            cons_array: false,
            seeking_parent: None,
        }
    }

    fn type_name(&self) -> &'static str {
        match &self.kind {
            Kind::Path { .. } => "path",
            Kind::Binary { .. } => "binary",
            Kind::Neg(_) | Kind::Array(_) | Kind::Object(_) => "unary",
            Kind::Name(_) => "name",
            Kind::Str(_) => "string",
            Kind::Num(_) => "number",
            Kind::Bool(_) | Kind::Null => "value",
            Kind::Wildcard => "wildcard",
            Kind::Descendant => "descendant",
            Kind::Parent { .. } => "parent",
            Kind::Cond { .. } => "condition",
            Kind::Block(_) => "block",
            Kind::Bind { .. } => "bind",
            Kind::Regex(_) => "regex",
            Kind::Function { .. } => "function",
            Kind::Partial { .. } => "partial",
            Kind::Placeholder => "operator",
            Kind::Var(_) => "variable",
            Kind::Lambda(_) => "lambda",
            Kind::Apply { .. } => "apply",
            Kind::Transform { .. } => "transform",
            Kind::Sort { .. } => "sort",
        }
    }

    fn is_array_cons(&self) -> bool {
        matches!(self.kind, Kind::Array(_))
    }

    pub(crate) fn is_path(&self) -> bool {
        matches!(self.kind, Kind::Path { .. })
    }
}

struct Slot {
    label: String,
    level: i32,
}

/// Runs the post-parse stage; returns the tree and the final labels of the
/// parent slots (indexed by slot id).
pub(crate) fn process(tree: PNode, max_stack: usize) -> Result<(Node, Vec<String>)> {
    let mut p = Processor { slots: Vec::new(), stack: crate::error::StackGuard::new(max_stack) };
    let expr = p.process(tree)?;
    if matches!(expr.kind, Kind::Parent { .. }) || expr.seeking_parent.is_some() {
        return Err(Error::at("S0217", expr.pos).with_token(expr.type_name()));
    }
    let labels = p.slots.into_iter().map(|s| s.label).collect();
    Ok((expr, labels))
}

struct Processor {
    slots: Vec<Slot>,
    stack: crate::error::StackGuard,
}

fn push_ancestry(result: &mut Node, value: &Node) {
    let is_parent = matches!(value.kind, Kind::Parent { .. });
    if value.seeking_parent.is_some() || is_parent {
        let mut slots = value.seeking_parent.clone().unwrap_or_default();
        if let Kind::Parent { slot } = value.kind {
            slots.push(slot);
        }
        match &mut result.seeking_parent {
            None => result.seeking_parent = Some(slots),
            Some(existing) => existing.extend(slots),
        }
    }
}

fn literal_value(node: &Node) -> String {
    match &node.kind {
        Kind::Num(n) => crate::number::js_number_to_string(*n),
        Kind::Bool(b) => b.to_string(),
        _ => "null".into(),
    }
}

impl Processor {
    fn seek_parent(&mut self, node: &mut Node, slot: usize) -> Result<()> {
        match &mut node.kind {
            Kind::Name(_) | Kind::Wildcard => {
                self.slots[slot].level -= 1;
                if self.slots[slot].level == 0 {
                    if let Some(existing) = node.ancestor {
                        self.slots[slot].label = self.slots[existing].label.clone();
                    }
                    node.ancestor = Some(slot);
                    node.tuple = true;
                }
            }
            Kind::Parent { .. } => self.slots[slot].level += 1,
            Kind::Block(exprs) => {
                if let Some(last) = exprs.last_mut() {
                    node.tuple = true;
                    self.seek_parent(last, slot)?;
                }
            }
            Kind::Path { steps, .. } => {
                node.tuple = true;
                let mut index = steps.len() as isize - 1;
                if index >= 0 {
                    self.seek_parent(&mut steps[index as usize], slot)?;
                    index -= 1;
                }
                while self.slots[slot].level > 0 && index >= 0 {
                    self.seek_parent(&mut steps[index as usize], slot)?;
                    index -= 1;
                }
            }
            _ => {
                return Err(Error::at("S0217", node.pos).with_token(node.type_name()));
            }
        }
        Ok(())
    }

    fn resolve_ancestry(&mut self, path: &mut Node) -> Result<()> {
        let Kind::Path { steps, .. } = &mut path.kind else {
            return Ok(());
        };
        let Some(last) = steps.last() else {
            return Ok(());
        };
        let mut slots = last.seeking_parent.clone().unwrap_or_default();
        if let Kind::Parent { slot } = last.kind {
            slots.push(slot);
        }
        let mut unresolved = Vec::new();
        for slot in slots {
            let mut index = steps.len() as isize - 2;
            while self.slots[slot].level > 0 {
                if index < 0 {
                    unresolved.push(slot);
                    break;
                }
                let mut step_ix = index as usize;
                index -= 1;
                while index >= 0 && steps[step_ix].focus.is_some() && steps[index as usize].focus.is_some() {
                    step_ix = index as usize;
                    index -= 1;
                }
                self.seek_parent(&mut steps[step_ix], slot)?;
            }
        }
        if !unresolved.is_empty() {
            path.seeking_parent.get_or_insert_with(Vec::new).extend(unresolved);
        }
        Ok(())
    }

    fn process(&mut self, expr: PNode) -> Result<Node> {
        let pos = expr.pos;
        if self.stack.exceeded() {
            return Err(crate::error::stack_exhausted().with_position(pos));
        }
        let keep_array = expr.keep_array;
        let mut result = match expr.kind {
            PKind::Binary { op: ".", lhs, rhs } => {
                let lstep = self.process(*lhs)?;
                let lparent = match lstep.kind {
                    Kind::Parent { slot } => Some(slot),
                    _ => None,
                };
                let mut result = if lstep.is_path() {
                    lstep
                } else {
                    Node::new(Kind::Path { steps: vec![lstep], keep_singleton_array: false }, pos)
                };
                if let Some(slot) = lparent {
                    result.seeking_parent = Some(vec![slot]);
                }
                let mut rest = self.process(*rhs)?;
                let Kind::Path { steps, keep_singleton_array } = &mut result.kind else {
                    unreachable!("result is a path");
                };
                if let Kind::Path { steps: rsteps, .. } = rest.kind {
                    steps.extend(rsteps);
                } else {
                    if let Some(pred) = rest.predicate.take() {
                        rest.stages = Some(pred);
                    }
                    steps.push(rest);
                }
                for step in steps.iter_mut() {
                    match &step.kind {
                        Kind::Num(_) | Kind::Bool(_) | Kind::Null => {
                            return Err(Error::at("S0213", step.pos).with_value(literal_value(step)));
                        }
                        Kind::Str(s) => {
                            step.kind = Kind::Name(s.clone());
                        }
                        _ => {}
                    }
                }
                if steps.iter().any(|s| s.keep_array) {
                    *keep_singleton_array = true;
                }
                if steps.first().is_some_and(Node::is_array_cons) {
                    steps[0].cons_array = true;
                }
                if let Some(last) = steps.last_mut()
                    && last.is_array_cons()
                {
                    last.cons_array = true;
                }
                self.resolve_ancestry(&mut result)?;
                result
            }
            PKind::Predicate { lhs, rhs } => {
                let mut result = self.process(*lhs)?;
                let is_path = result.is_path();
                let predicate = self.process(*rhs)?;
                {
                    let step = last_step_mut(&mut result);
                    if step.group.is_some() {
                        return Err(Error::at("S0209", pos));
                    }
                }
                if let Some(seeking) = predicate.seeking_parent.clone() {
                    for slot in seeking {
                        if self.slots[slot].level == 1 {
                            let step = last_step_mut(&mut result);
                            self.seek_parent(step, slot)?;
                        } else {
                            self.slots[slot].level -= 1;
                        }
                    }
                    push_ancestry(last_step_mut(&mut result), &predicate);
                }
                let step = last_step_mut(&mut result);
                let list = if is_path {
                    step.stages.get_or_insert_with(Vec::new)
                } else {
                    step.predicate.get_or_insert_with(Vec::new)
                };
                list.push(Stage::Filter { expr: predicate });
                result
            }
            PKind::GroupBy { lhs, pairs } => {
                let mut result = self.process(*lhs)?;
                if result.group.is_some() {
                    return Err(Error::at("S0210", pos));
                }
                let mut out = Vec::with_capacity(pairs.len());
                for (k, v) in pairs {
                    out.push((self.process(k)?, self.process(v)?));
                }
                result.group = Some(Box::new(Group { pairs: out, pos }));
                result
            }
            PKind::OrderBy { lhs, terms } => {
                let result = self.process(*lhs)?;
                let mut result = if result.is_path() {
                    result
                } else {
                    Node::new(Kind::Path { steps: vec![result], keep_singleton_array: false }, pos)
                };
                let mut sort = Node::new(Kind::Sort { terms: Vec::new() }, pos);
                let mut out = Vec::with_capacity(terms.len());
                for (descending, e) in terms {
                    let e = self.process(e)?;
                    push_ancestry(&mut sort, &e);
                    out.push((descending, e));
                }
                sort.kind = Kind::Sort { terms: out };
                if let Kind::Path { steps, .. } = &mut result.kind {
                    steps.push(sort);
                }
                self.resolve_ancestry(&mut result)?;
                result
            }
            PKind::Bind { lhs, rhs } => {
                let PKind::Var(name) = lhs.kind else {
                    return Err(Error::at("S0212", lhs.pos));
                };
                let rhs = self.process(*rhs)?;
                let mut result = Node::new(Kind::Bind { name, rhs: Box::new(Node::new(Kind::Null, 0)) }, pos);
                push_ancestry(&mut result, &rhs);
                if let Kind::Bind { rhs: slot, .. } = &mut result.kind {
                    **slot = rhs;
                }
                result
            }
            PKind::Focus { lhs, rhs } => {
                let mut result = self.process(*lhs)?;
                let PKind::Var(var) = rhs.kind else {
                    return Err(Error::at("S0214", rhs.pos).with_token("@"));
                };
                let step = last_step_mut(&mut result);
                if step.stages.is_some() || step.predicate.is_some() {
                    return Err(Error::at("S0215", pos));
                }
                if matches!(step.kind, Kind::Sort { .. }) {
                    return Err(Error::at("S0216", pos));
                }
                if keep_array {
                    step.keep_array = true;
                }
                step.focus = Some(var);
                step.tuple = true;
                result
            }
            PKind::IndexBind { lhs, rhs } => {
                let result = self.process(*lhs)?;
                let PKind::Var(var) = rhs.kind else {
                    return Err(Error::at("S0214", rhs.pos).with_token("#"));
                };
                let mut result = if result.is_path() {
                    result
                } else {
                    let mut step = result;
                    if let Some(pred) = step.predicate.take() {
                        step.stages = Some(pred);
                    }
                    Node::new(Kind::Path { steps: vec![step], keep_singleton_array: false }, pos)
                };
                let step = last_step_mut(&mut result);
                match &mut step.stages {
                    None => step.index = Some(var),
                    Some(stages) => stages.push(Stage::Index { var }),
                }
                step.tuple = true;
                result
            }
            PKind::Binary { op: "~>", lhs, rhs } => {
                let lhs = self.process(*lhs)?;
                let rhs = self.process(*rhs)?;
                let mut result = Node::new(Kind::Apply { lhs: Box::new(lhs), rhs: Box::new(rhs) }, pos);
                if let Kind::Apply { lhs, rhs } = &result.kind {
                    result.keep_array = lhs.keep_array || rhs.keep_array;
                }
                result
            }
            PKind::Binary { op, lhs, rhs } => {
                let lhs = self.process(*lhs)?;
                let rhs = self.process(*rhs)?;
                let Some(op) = BinOp::from_str(op) else {
                    return Err(Error::at("S0201", pos).with_token(op));
                };
                let mut result = Node::new(Kind::Null, pos);
                push_ancestry(&mut result, &lhs);
                push_ancestry(&mut result, &rhs);
                result.kind = Kind::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) };
                result
            }
            PKind::Array(items) => {
                let mut result = Node::new(Kind::Null, pos);
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    let v = self.process(item)?;
                    push_ancestry(&mut result, &v);
                    out.push(v);
                }
                result.kind = Kind::Array(out);
                result
            }
            PKind::Object(pairs) => {
                let mut result = Node::new(Kind::Null, pos);
                let mut out = Vec::with_capacity(pairs.len());
                for (k, v) in pairs {
                    let k = self.process(k)?;
                    push_ancestry(&mut result, &k);
                    let v = self.process(v)?;
                    push_ancestry(&mut result, &v);
                    out.push((k, v));
                }
                result.kind = Kind::Object(out);
                result
            }
            PKind::Neg(e) => {
                let e = self.process(*e)?;
                if let Kind::Num(n) = e.kind {
                    let mut e = e;
                    e.kind = Kind::Num(-n);
                    e
                } else {
                    let mut result = Node::new(Kind::Null, pos);
                    push_ancestry(&mut result, &e);
                    result.kind = Kind::Neg(Box::new(e));
                    result
                }
            }
            PKind::Call { procedure, args, partial } => {
                let mut result = Node::new(Kind::Null, pos);
                let mut out = Vec::with_capacity(args.len());
                for a in args {
                    let a = self.process(a)?;
                    push_ancestry(&mut result, &a);
                    out.push(a);
                }
                let procedure = Box::new(self.process(*procedure)?);
                result.kind = if partial {
                    Kind::Partial { procedure, args: out }
                } else {
                    Kind::Function { procedure, args: out }
                };
                result
            }
            PKind::Lambda { params, signature, body } => {
                let body = tail_call_optimize(self.process(*body)?);
                Node::new(Kind::Lambda(Box::new(Lambda { params, signature, body, thunk: false })), pos)
            }
            PKind::Cond { cond, then, els } => {
                let mut result = Node::new(Kind::Null, pos);
                let cond = self.process(*cond)?;
                push_ancestry(&mut result, &cond);
                let then = self.process(*then)?;
                push_ancestry(&mut result, &then);
                let els = match els {
                    Some(e) => {
                        let e = self.process(*e)?;
                        push_ancestry(&mut result, &e);
                        Some(Box::new(e))
                    }
                    None => None,
                };
                result.kind = Kind::Cond { cond: Box::new(cond), then: Box::new(then), els };
                result
            }
            PKind::Transform { pattern, update, delete } => {
                let pattern = Box::new(self.process(*pattern)?);
                let update = Box::new(self.process(*update)?);
                let delete = match delete {
                    Some(d) => Some(Box::new(self.process(*d)?)),
                    None => None,
                };
                Node::new(Kind::Transform { pattern, update, delete }, pos)
            }
            PKind::Block(exprs) => {
                let mut result = Node::new(Kind::Null, pos);
                let mut out = Vec::with_capacity(exprs.len());
                for e in exprs {
                    let part = self.process(e)?;
                    push_ancestry(&mut result, &part);
                    let first_cons = match &part.kind {
                        Kind::Path { steps, .. } => steps.first().is_some_and(|s| s.cons_array),
                        _ => false,
                    };
                    if part.cons_array || first_cons {
                        result.cons_array = true;
                    }
                    out.push(part);
                }
                result.kind = Kind::Block(out);
                result
            }
            PKind::Name(name) => {
                let mut step = Node::new(Kind::Name(name), pos);
                step.keep_array = keep_array;
                Node::new(Kind::Path { steps: vec![step], keep_singleton_array: keep_array }, pos)
            }
            PKind::Parent => {
                let slot = self.slots.len();
                self.slots.push(Slot { label: format!("!{slot}"), level: 1 });
                Node::new(Kind::Parent { slot }, pos)
            }
            PKind::Str(s) => Node::new(Kind::Str(s), pos),
            PKind::Num(n) => Node::new(Kind::Num(n), pos),
            PKind::Bool(b) => Node::new(Kind::Bool(b), pos),
            PKind::Null => Node::new(Kind::Null, pos),
            PKind::Wildcard => Node::new(Kind::Wildcard, pos),
            PKind::Descendant => Node::new(Kind::Descendant, pos),
            PKind::Var(v) => Node::new(Kind::Var(v), pos),
            PKind::Regex { pattern, flags } => {
                let re = JsRegex::new(&pattern, &flags).map_err(|e| e.with_position(pos))?;
                Node::new(Kind::Regex(Box::new(re)), pos)
            }
            PKind::Op(op) => match op {
                "and" | "or" | "in" => {
                    let mut step = Node::new(Kind::Name(op.to_string()), pos);
                    step.keep_array = keep_array;
                    Node::new(Kind::Path { steps: vec![step], keep_singleton_array: keep_array }, pos)
                }
                "?" => Node::new(Kind::Placeholder, pos),
                _ => return Err(Error::at("S0201", pos).with_token(op)),
            },
            PKind::End => return Err(Error::at("S0207", pos).with_token("(end)")),
        };
        if keep_array {
            result.keep_array = true;
        }
        Ok(result)
    }
}

/// The node that predicates and bindings attach to: the last step of a path,
/// or the expression itself.
fn last_step_mut(node: &mut Node) -> &mut Node {
    if matches!(node.kind, Kind::Path { .. }) {
        let Kind::Path { steps, .. } = &mut node.kind else { unreachable!() };
        // paths always have at least one step
        return steps.last_mut().expect("path has steps");
    }
    node
}

fn tail_call_optimize(mut expr: Node) -> Node {
    match &mut expr.kind {
        Kind::Function { .. } if expr.predicate.is_none() => {
            let pos = expr.pos;
            Node::new(
                Kind::Lambda(Box::new(Lambda { params: Vec::new(), signature: None, body: expr, thunk: true })),
                pos,
            )
        }
        Kind::Cond { then, els, .. } => {
            let t = std::mem::replace(&mut **then, Node::new(Kind::Null, 0));
            **then = tail_call_optimize(t);
            if let Some(e) = els {
                let x = std::mem::replace(&mut **e, Node::new(Kind::Null, 0));
                **e = tail_call_optimize(x);
            }
            expr
        }
        Kind::Block(exprs) => {
            if let Some(last) = exprs.pop() {
                exprs.push(tail_call_optimize(last));
            }
            expr
        }
        _ => expr,
    }
}
