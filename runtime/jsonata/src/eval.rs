//! The evaluator: jsonata-js 2.0.6's `evaluate` family, including its sequence
//! rules (singleton unwrapping, `keepSingleton`, `cons` arrays, the outer
//! wrapper of an array input), tuple streams for `@`/`#`/`%`, and the
//! trampoline for tail calls.
//!
//! It owns the meaning of each syntax node; the values it computes with, and
//! the helpers on them that the functions share, are [`crate::value`]'s, and
//! the built-ins are [`crate::functions`]' (looked up by name, never matched
//! on here).

use std::cell::Cell;
use std::rc::Rc;

use serde_json::Value;

use crate::ast::{BinOp, Kind, Lambda, Node, Stage};
use crate::env::Env;
use crate::error::{self, Error, Result};
use crate::value::{
    CONS, Frame, Func, KEEP_SINGLETON, LambdaVal, Lookup, OUTER_WRAPPER, Obj, SEQUENCE, Str, Tuple, V, Val, append,
    boolean, deep_clone, deep_equal, is_array_of_numbers, is_numeric, js_str_cmp, js_stringify, js_stringify_opt,
    js_truthy, lookup_field, merge_sort, strict_eq, to_js_string, truthy,
};

/// The context a built-in function runs in (jsonata-js's `this`).
pub(crate) struct Call<'c, 'a> {
    pub input: &'c V<'a>,
    pub frame: &'c Rc<Frame<'a>>,
}

pub(crate) struct Evaluator<'a> {
    pub env: &'a Env<'a>,
    labels: &'a [String],
    depth: Cell<usize>,
    steps: Cell<u64>,
    stack: error::StackGuard,
    /// The evaluation's timestamp (`$now()`, `$millis()`), fixed at its start.
    pub timestamp: f64,
}

fn map_op_err(mut e: Error, pos: usize, op: &str) -> Error {
    e.set_position(pos);
    e.set_token(op);
    e
}

impl<'a> Evaluator<'a> {
    pub(crate) fn new(env: &'a Env<'a>, labels: &'a [String], max_stack: usize) -> Self {
        Evaluator {
            env,
            labels,
            depth: Cell::new(0),
            steps: Cell::new(0),
            stack: error::StackGuard::new(max_stack),
            timestamp: env.host().now_millis() as f64,
        }
    }

    /// Looks up a variable: scopes, then the caller's bindings, then the built-ins.
    pub(crate) fn lookup(&self, frame: &Frame<'a>, name: &str) -> V<'a> {
        match frame.lookup(name) {
            Lookup::Found(v) => v,
            Lookup::NotFound => self.global(name),
        }
    }

    fn global(&self, name: &str) -> V<'a> {
        if let Some(v) = self.env.binding(name) {
            return Some(Val::from_json(v));
        }
        crate::functions::lookup(name, self.env.step_functions_enabled()).map(|b| Val::Func(Rc::new(Func::Builtin(b))))
    }

    pub(crate) fn eval(&self, node: &'a Node, input: &V<'a>, frame: &Rc<Frame<'a>>) -> Result<V<'a>> {
        let depth = self.depth.get() + 1;
        if depth > self.env.max_depth() {
            return Err(error::stack_overflow().with_position(node.pos));
        }
        if self.stack.exceeded() {
            return Err(error::stack_exhausted().with_position(node.pos));
        }
        let steps = self.steps.get() + 1;
        self.steps.set(steps);
        if let Some(max) = self.env.max_steps()
            && steps > max
        {
            return Err(error::timeout().with_position(node.pos));
        }
        self.depth.set(depth);
        let r = self.eval_node(node, input, frame);
        self.depth.set(depth - 1);
        r
    }

    fn eval_node(&self, node: &'a Node, input: &V<'a>, frame: &Rc<Frame<'a>>) -> Result<V<'a>> {
        let mut result: V<'a> = match &node.kind {
            Kind::Path { steps, keep_singleton_array } => {
                self.eval_path(node, steps, *keep_singleton_array, input, frame)?
            }
            Kind::Binary { op, lhs, rhs } => self.eval_binary(node, *op, lhs, rhs, input, frame)?,
            Kind::Neg(e) => match self.eval(e, input, frame)? {
                None => None,
                Some(v) => {
                    if is_numeric(&v)? {
                        Some(Val::Num(-v.as_num().unwrap_or(0.0)))
                    } else {
                        return Err(Error::at("D1002", node.pos).with_token("-").with_value(js_stringify(&v)));
                    }
                }
            },
            Kind::Array(items) => {
                let mut out: Vec<Val<'a>> = Vec::with_capacity(items.len());
                for item in items {
                    if let Some(v) = self.eval(item, input, frame)? {
                        if matches!(item.kind, Kind::Array(_)) {
                            out.push(v);
                        } else if v.is_array() {
                            out.extend(v.array_iter());
                        } else {
                            out.push(v);
                        }
                    }
                }
                error::check_array_len(out.len())?;
                let flags = if node.cons_array { CONS } else { 0 };
                Some(Val::array_with_flags(out, flags))
            }
            Kind::Object(pairs) => Some(self.eval_group(pairs, node.pos, input.clone(), frame)?),
            Kind::Name(name) => lookup_field(input, name),
            Kind::Str(s) => Some(Val::Str(Str::B(s))),
            Kind::Num(n) => Some(Val::Num(*n)),
            Kind::Bool(b) => Some(Val::Bool(*b)),
            Kind::Null => Some(Val::Null),
            Kind::Wildcard => Some(self.wildcard(input)),
            Kind::Descendant => descendants(input),
            Kind::Parent { slot } => self.lookup(frame, &self.labels[*slot]),
            Kind::Cond { cond, then, els } => {
                let c = self.eval(cond, input, frame)?;
                if boolean(&c) == Some(true) {
                    self.eval(then, input, frame)?
                } else if let Some(e) = els {
                    self.eval(e, input, frame)?
                } else {
                    None
                }
            }
            Kind::Block(exprs) => {
                let block = Frame::child(frame);
                let mut r = None;
                for e in exprs {
                    r = self.eval(e, input, &block)?;
                }
                r
            }
            Kind::Bind { name, rhs } => {
                let v = self.eval(rhs, input, frame)?;
                frame.bind(name, v.clone());
                v
            }
            Kind::Regex(re) => Some(Val::Func(Rc::new(Func::Regex(re)))),
            Kind::Function { procedure, args } => self.eval_function(node, procedure, args, input, frame, None)?,
            Kind::Partial { procedure, args } => self.eval_partial(node, procedure, args, input, frame)?,
            Kind::Placeholder => None,
            Kind::Var(name) => {
                if name.is_empty() {
                    match input {
                        Some(Val::Arr(a)) if a.flags & OUTER_WRAPPER != 0 => a.items.first().cloned(),
                        other => other.clone(),
                    }
                } else {
                    self.lookup(frame, name)
                }
            }
            Kind::Lambda(l) => Some(self.closure(l, input, frame)),
            Kind::Apply { lhs, rhs } => self.eval_apply(node, lhs, rhs, input, frame)?,
            Kind::Transform { .. } => Some(Val::Func(Rc::new(Func::Transform { node, frame: frame.clone() }))),
            Kind::Sort { terms } => {
                let items = match input {
                    Some(v) if v.is_array() => v.clone(),
                    Some(v) => Val::seq(vec![v.clone()]),
                    None => Val::seq(Vec::new()),
                };
                Some(self.eval_sort(node, terms, items, frame)?)
            }
        };

        if let Some(pred) = &node.predicate {
            for stage in pred {
                if let Stage::Filter { expr } = stage {
                    result = Some(self.filter(expr, result, frame)?);
                }
            }
        }
        if !node.is_path()
            && let Some(g) = &node.group
        {
            result = Some(self.eval_group(&g.pairs, g.pos, result, frame)?);
        }

        if let Some(Val::Arr(a)) = &mut result
            && a.flags & SEQUENCE != 0
        {
            if node.keep_array && a.flags & KEEP_SINGLETON == 0 {
                Rc::make_mut(a).flags |= KEEP_SINGLETON;
            }
            match a.items.len() {
                0 => return Ok(None),
                1 if a.flags & KEEP_SINGLETON == 0 => return Ok(a.items.first().cloned()),
                _ => {}
            }
        }
        Ok(result)
    }

    fn closure(&self, l: &'a Lambda, input: &V<'a>, frame: &Rc<Frame<'a>>) -> Val<'a> {
        Val::Func(Rc::new(Func::Lambda(LambdaVal {
            params: l.params.iter().map(String::as_str).collect(),
            body: &l.body,
            signature: l.signature.as_ref(),
            thunk: l.thunk,
            input: input.clone(),
            frame: frame.clone(),
        })))
    }

    // ----- paths -----

    fn eval_path(
        &self,
        node: &'a Node,
        steps: &'a [Node],
        keep_singleton_array: bool,
        input: &V<'a>,
        frame: &Rc<Frame<'a>>,
    ) -> Result<V<'a>> {
        if !keep_singleton_array
            && node.group.is_none()
            && !node.tuple
            && let Some(v) = self.simple_path(steps, input, frame)?
        {
            return Ok(v);
        }
        let first_is_var = matches!(steps.first().map(|s| &s.kind), Some(Kind::Var(_)));
        let mut input_seq: Vec<V<'a>> = match input {
            Some(v) if v.is_array() && !first_is_var => v.array_iter().map(Some).collect(),
            other => vec![other.clone()],
        };
        let mut result_seq: V<'a> = None;
        let mut is_tuple = false;
        let mut tuples: Option<Vec<Tuple<'a>>> = None;

        for (ii, step) in steps.iter().enumerate() {
            if step.tuple {
                is_tuple = true;
            }
            if ii == 0 && step.cons_array {
                let seq_input = match input {
                    Some(v) if v.is_array() => Some(v.clone()),
                    other => Some(Val::seq(other.iter().cloned().collect())),
                };
                result_seq = self.eval(step, &seq_input, frame)?;
            } else if is_tuple {
                tuples = Some(self.eval_tuple_step(step, &input_seq, tuples.take(), frame)?);
            } else {
                result_seq = Some(self.eval_step(step, &input_seq, frame, ii == steps.len() - 1)?);
            }
            if !is_tuple {
                let empty = match &result_seq {
                    None => true,
                    Some(v) => v.array_len() == Some(0),
                };
                if empty {
                    break;
                }
            }
            if step.focus.is_none() {
                input_seq = match &result_seq {
                    Some(v) if v.is_array() => v.array_iter().map(Some).collect(),
                    // jsonata-js iterates `.length` items: none for the object a
                    // grouped array constructor gives
                    Some(_) if ii == 0 && step.cons_array => Vec::new(),
                    Some(v) => vec![Some(v.clone())],
                    None => Vec::new(),
                };
            }
        }

        let mut group_tuples: Option<Rc<Vec<Tuple<'a>>>> = None;
        if is_tuple {
            let t = Rc::new(tuples.unwrap_or_default());
            if node.tuple {
                result_seq = Some(Val::Tuples(t.clone()));
            } else {
                result_seq = Some(Val::seq(t.iter().filter_map(|t| t.at.clone()).collect()));
            }
            group_tuples = Some(t);
        }

        if keep_singleton_array && let Some(r) = result_seq.take() {
            let r =
                if r.is_array() && r.flags() & CONS != 0 && r.flags() & SEQUENCE == 0 { Val::seq(vec![r]) } else { r };
            result_seq = Some(match r {
                Val::Arr(mut a) => {
                    Rc::make_mut(&mut a).flags |= KEEP_SINGLETON;
                    Val::Arr(a)
                }
                Val::Json(Value::Array(items)) => {
                    Val::array_with_flags(items.iter().map(Val::from_json).collect(), KEEP_SINGLETON)
                }
                other => other,
            });
        }

        if let Some(g) = &node.group {
            let group_input = match group_tuples {
                Some(t) => Some(Val::Tuples(t)),
                None => result_seq,
            };
            result_seq = Some(self.eval_group(&g.pairs, g.pos, group_input, frame)?);
        }
        Ok(result_seq)
    }

    /// Fast path for paths of plain field names (optionally after a variable)
    /// through single objects: `$states.input.order.id`. Returns `None` when the
    /// general algorithm is needed (an array on the way, or annotated steps);
    /// otherwise the path's value, which the general algorithm would also give.
    fn simple_path(&self, steps: &'a [Node], input: &V<'a>, frame: &Rc<Frame<'a>>) -> Result<Option<V<'a>>> {
        let plain = |s: &Node| {
            s.stages.is_none()
                && s.predicate.is_none()
                && s.group.is_none()
                && s.focus.is_none()
                && s.index.is_none()
                && !s.tuple
                && s.ancestor.is_none()
                && !s.keep_array
                && !s.cons_array
        };
        let Some((first, rest)) = steps.split_first() else { return Ok(None) };
        if !steps.iter().all(|s| plain(s) && matches!(s.kind, Kind::Name(_) | Kind::Var(_)))
            || rest.iter().any(|s| matches!(s.kind, Kind::Var(_)))
        {
            return Ok(None);
        }
        let mut cur: V<'a> = match &first.kind {
            Kind::Var(_) => self.eval(first, input, frame)?,
            Kind::Name(name) => match input {
                Some(v) if !v.is_array() => v.field(name),
                None => None,
                Some(_) => return Ok(None),
            },
            _ => return Ok(None),
        };
        for step in rest {
            let Kind::Name(name) = &step.kind else { return Ok(None) };
            cur = match &cur {
                None => return Ok(Some(None)),
                Some(v) if v.is_array() => return Ok(None),
                Some(v) => v.field(name),
            };
        }
        if cur.as_ref().is_some_and(Val::is_sequence) {
            return Ok(None);
        }
        Ok(Some(cur))
    }

    fn eval_step(&self, step: &'a Node, input: &[V<'a>], frame: &Rc<Frame<'a>>, last: bool) -> Result<Val<'a>> {
        if let Kind::Sort { terms } = &step.kind {
            let seq = Val::seq(input.iter().flatten().cloned().collect());
            let mut result = self.eval_sort(step, terms, seq, frame)?;
            if let Some(stages) = &step.stages {
                for stage in stages {
                    if let Stage::Filter { expr } = stage {
                        result = self.filter(expr, Some(result), frame)?;
                    }
                }
            }
            return Ok(result);
        }
        let mut results: Vec<Val<'a>> = Vec::with_capacity(input.len());
        for item in input {
            let mut res = self.eval(step, item, frame)?;
            if let Some(stages) = &step.stages {
                for stage in stages {
                    if let Stage::Filter { expr } = stage {
                        res = Some(self.filter(expr, res, frame)?);
                    }
                }
            }
            if let Some(r) = res {
                results.push(r);
            }
        }
        if last && results.len() == 1 && results[0].is_array() && !results[0].is_sequence() {
            return Ok(results.pop().unwrap_or(Val::Null));
        }
        let mut out = Vec::with_capacity(results.len());
        for r in results {
            if !r.is_array() || r.flags() & CONS != 0 {
                out.push(r);
            } else {
                out.extend(r.array_iter());
            }
        }
        Ok(Val::seq(out))
    }

    fn frame_from_tuple(&self, frame: &Rc<Frame<'a>>, tuple: &Tuple<'a>) -> Rc<Frame<'a>> {
        let f = Frame::child(frame);
        for (name, v) in &tuple.binds {
            f.bind(name, v.clone());
        }
        f
    }

    fn eval_tuple_step(
        &self,
        step: &'a Node,
        input: &[V<'a>],
        tuples: Option<Vec<Tuple<'a>>>,
        frame: &Rc<Frame<'a>>,
    ) -> Result<Vec<Tuple<'a>>> {
        if let Kind::Sort { terms } = &step.kind {
            let mut result = match tuples {
                Some(t) => match self.eval_sort(step, terms, Val::Tuples(Rc::new(t)), frame)? {
                    Val::Tuples(t) => Rc::try_unwrap(t).unwrap_or_else(|rc| (*rc).clone()),
                    _ => Vec::new(),
                },
                None => {
                    let seq = Val::seq(input.iter().flatten().cloned().collect());
                    let sorted = self.eval_sort(step, terms, seq, frame)?;
                    sorted
                        .array_iter()
                        .enumerate()
                        .map(|(i, v)| {
                            let mut t = Tuple { at: Some(v), binds: Vec::new() };
                            if let Some(ix) = &step.index {
                                t.set(ix, Some(Val::Num(i as f64)));
                            }
                            t
                        })
                        .collect()
                }
            };
            if let Some(stages) = &step.stages {
                result = self.eval_stages(stages, result, frame)?;
            }
            return Ok(result);
        }

        let tuples =
            tuples.unwrap_or_else(|| input.iter().map(|item| Tuple { at: item.clone(), binds: Vec::new() }).collect());
        let mut result = Vec::new();
        for tuple in &tuples {
            let step_env = self.frame_from_tuple(frame, tuple);
            let res = self.eval(step, &tuple.at, &step_env)?;
            let Some(res) = res else { continue };
            match res {
                Val::Tuples(rt) => {
                    for r in rt.iter() {
                        let mut t = tuple.clone();
                        t.at = r.at.clone();
                        for (n, v) in &r.binds {
                            t.set(n, v.clone());
                        }
                        result.push(t);
                    }
                }
                res => {
                    let items: Vec<Val<'a>> = if res.is_array() { res.into_items() } else { vec![res] };
                    for (bb, r) in items.into_iter().enumerate() {
                        let mut t = tuple.clone();
                        if let Some(focus) = &step.focus {
                            t.set(focus, Some(r));
                            t.at = tuple.at.clone();
                        } else {
                            t.at = Some(r);
                        }
                        if let Some(ix) = &step.index {
                            t.set(ix, Some(Val::Num(bb as f64)));
                        }
                        if let Some(slot) = step.ancestor {
                            t.set(&self.labels[slot], tuple.at.clone());
                        }
                        result.push(t);
                    }
                }
            }
        }
        if let Some(stages) = &step.stages {
            result = self.eval_stages(stages, result, frame)?;
        }
        Ok(result)
    }

    fn eval_stages(
        &self,
        stages: &'a [Stage],
        mut input: Vec<Tuple<'a>>,
        frame: &Rc<Frame<'a>>,
    ) -> Result<Vec<Tuple<'a>>> {
        for stage in stages {
            match stage {
                Stage::Filter { expr } => {
                    input = match self.filter(expr, Some(Val::Tuples(Rc::new(input))), frame)? {
                        Val::Tuples(t) => Rc::try_unwrap(t).unwrap_or_else(|rc| (*rc).clone()),
                        _ => Vec::new(),
                    };
                }
                Stage::Index { var } => {
                    for (i, t) in input.iter_mut().enumerate() {
                        t.set(var, Some(Val::Num(i as f64)));
                    }
                }
            }
        }
        Ok(input)
    }

    /// jsonata-js `evaluateFilter`.
    pub(crate) fn filter(&self, predicate: &'a Node, input: V<'a>, frame: &Rc<Frame<'a>>) -> Result<Val<'a>> {
        if let Some(Val::Tuples(tuples)) = &input {
            let len = tuples.len();
            let mut out = Vec::new();
            if let Kind::Num(n) = predicate.kind {
                let mut index = n.floor();
                if index < 0.0 {
                    index += len as f64;
                }
                if index >= 0.0
                    && let Some(t) = tuples.get(index as usize)
                {
                    out.push(t.clone());
                }
                return Ok(Val::Tuples(Rc::new(out)));
            }
            for (index, t) in tuples.iter().enumerate() {
                let env = self.frame_from_tuple(frame, t);
                let res = self.eval(predicate, &t.at, &env)?;
                if self.predicate_selects(&res, index, len)? {
                    out.push(t.clone());
                }
            }
            return Ok(Val::Tuples(Rc::new(out)));
        }

        let items: Vec<V<'a>> = match &input {
            Some(v) if v.is_array() => v.array_iter().map(Some).collect(),
            other => vec![other.clone()],
        };
        let len = items.len();
        let mut out = Vec::new();
        if let Kind::Num(n) = predicate.kind {
            let mut index = n.floor();
            if index < 0.0 {
                index += len as f64;
            }
            if index >= 0.0
                && let Some(Some(item)) = items.get(index as usize)
            {
                if item.is_array() {
                    return Ok(item.clone());
                }
                out.push(item.clone());
            }
            return Ok(Val::seq(out));
        }
        for (index, item) in items.iter().enumerate() {
            let res = self.eval(predicate, item, frame)?;
            if self.predicate_selects(&res, index, len)?
                && let Some(item) = item
            {
                out.push(item.clone());
            }
        }
        Ok(Val::seq(out))
    }

    fn predicate_selects(&self, res: &V<'a>, index: usize, len: usize) -> Result<bool> {
        let Some(res) = res else { return Ok(false) };
        let hit = |n: f64| {
            let mut ii = n.floor();
            if ii < 0.0 {
                ii += len as f64;
            }
            ii == index as f64
        };
        if is_numeric(res)? {
            return Ok(hit(res.as_num().unwrap_or(f64::NAN)));
        }
        if is_array_of_numbers(res)? {
            return Ok(res.array_iter().any(|v| hit(v.as_num().unwrap_or(f64::NAN))));
        }
        Ok(truthy(res))
    }

    // ----- objects and grouping -----

    /// jsonata-js `evaluateGroupExpression` (object constructors and `{…}` group-by).
    pub(crate) fn eval_group(
        &self,
        pairs: &'a [(Node, Node)],
        pos: usize,
        input: V<'a>,
        frame: &Rc<Frame<'a>>,
    ) -> Result<Val<'a>> {
        enum Data<'a> {
            Vals(V<'a>),
            Tuples(Vec<Tuple<'a>>),
        }
        struct Group<'a> {
            key: Str<'a>,
            data: Data<'a>,
            expr_index: usize,
        }
        let mut groups: Vec<Group<'a>> = Vec::with_capacity(pairs.len());
        // a hash index only pays off for many groups
        let mut index: Option<std::collections::HashMap<String, usize>> = None;

        let mut add = |key: Val<'a>, data: Data<'a>, pair_index: usize| -> Result<()> {
            let Val::Str(key) = key else {
                return Err(Error::at("T1003", pos).with_value(js_stringify(&key)));
            };
            let found = match &index {
                Some(ix) => ix.get(&*key).copied(),
                None => groups.iter().position(|g| *g.key == *key),
            };
            if let Some(gi) = found {
                let g = &mut groups[gi];
                if g.expr_index != pair_index {
                    return Err(Error::at("D1009", pos).with_value(crate::value::js_quote(&key)));
                }
                match (&mut g.data, data) {
                    (Data::Vals(existing), Data::Vals(item)) => {
                        *existing = append(existing.take(), item);
                    }
                    (Data::Tuples(existing), Data::Tuples(item)) => existing.extend(item),
                    _ => {}
                }
            } else {
                if let Some(ix) = &mut index {
                    ix.insert(key.to_string(), groups.len());
                }
                groups.push(Group { key, data, expr_index: pair_index });
                if index.is_none() && groups.len() > 16 {
                    index = Some(groups.iter().enumerate().map(|(i, g)| (g.key.to_string(), i)).collect());
                }
            }
            Ok(())
        };

        match input {
            Some(Val::Tuples(tuples)) => {
                for t in tuples.iter() {
                    let env = self.frame_from_tuple(frame, t);
                    for (pi, (k, _)) in pairs.iter().enumerate() {
                        if let Some(key) = self.eval(k, &t.at, &env)? {
                            add(key, Data::Tuples(vec![t.clone()]), pi)?;
                        }
                    }
                }
            }
            input => {
                let items: Vec<V<'a>> = match &input {
                    Some(v) if v.is_array() => {
                        let items: Vec<V<'a>> = v.array_iter().map(Some).collect();
                        if items.is_empty() { vec![None] } else { items }
                    }
                    other => vec![other.clone()],
                };
                for item in &items {
                    for (pi, (k, _)) in pairs.iter().enumerate() {
                        if let Some(key) = self.eval(k, item, frame)? {
                            add(key, Data::Vals(item.clone()), pi)?;
                        }
                    }
                }
            }
        }

        // JavaScript iterates the groups object with array-index keys first
        let mut order: Vec<usize> = (0..groups.len()).collect();
        if groups.iter().any(|g| crate::value::is_array_index(&g.key)) {
            order.sort_by_key(|&i| {
                let k = &groups[i].key;
                if crate::value::is_array_index(k) { (0, k.parse::<u64>().unwrap_or(0), i) } else { (1, 0, i) }
            });
        }
        let mut result = Obj::with_capacity(groups.len());
        for gi in order {
            let g = &groups[gi];
            let value_expr = &pairs[g.expr_index].1;
            let value = match &g.data {
                Data::Vals(data) => self.eval(value_expr, data, frame)?,
                Data::Tuples(tuples) => {
                    let reduced = reduce_tuple_stream(tuples);
                    let env = self.frame_from_tuple(frame, &reduced);
                    self.eval(value_expr, &reduced.at, &env)?
                }
            };
            if let Some(v) = value {
                result.insert(g.key.clone(), v);
            }
        }
        Ok(Val::object(result))
    }

    // ----- operators -----

    fn eval_binary(
        &self,
        node: &'a Node,
        op: BinOp,
        lhs: &'a Node,
        rhs: &'a Node,
        input: &V<'a>,
        frame: &Rc<Frame<'a>>,
    ) -> Result<V<'a>> {
        let l = self.eval(lhs, input, frame)?;
        if matches!(op, BinOp::And | BinOp::Or) {
            let lb = boolean(&l).unwrap_or(false);
            let r = match (op, lb) {
                (BinOp::And, false) => false,
                (BinOp::Or, true) => true,
                _ => {
                    let r = self.eval(rhs, input, frame).map_err(|e| map_op_err(e, node.pos, op.symbol()))?;
                    boolean(&r).unwrap_or(false)
                }
            };
            return Ok(Some(Val::Bool(r)));
        }
        let r = self.eval(rhs, input, frame)?;
        self.binary_op(op, l, r).map_err(|e| map_op_err(e, node.pos, op.symbol()))
    }

    fn binary_op(&self, op: BinOp, l: V<'a>, r: V<'a>) -> Result<V<'a>> {
        match op {
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => {
                if let Some(l) = &l
                    && !is_numeric(l)?
                {
                    return Err(Error::new("T2001").with_value(js_stringify(l)));
                }
                if let Some(r) = &r
                    && !is_numeric(r)?
                {
                    return Err(Error::new("T2002").with_value(js_stringify(r)));
                }
                let (Some(Val::Num(a)), Some(Val::Num(b))) = (l, r) else {
                    return Ok(None);
                };
                Ok(Some(Val::Num(match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                    BinOp::Div => a / b,
                    _ => a % b,
                })))
            }
            BinOp::Eq | BinOp::Ne => {
                let (Some(l), Some(r)) = (l, r) else {
                    return Ok(Some(Val::Bool(false)));
                };
                let eq = deep_equal(&l, &r);
                Ok(Some(Val::Bool(if op == BinOp::Eq { eq } else { !eq })))
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let comparable = |v: &V<'a>| matches!(v, None | Some(Val::Str(_)) | Some(Val::Num(_)));
                if !comparable(&l) || !comparable(&r) {
                    let bad = if !matches!(l, Some(Val::Str(_)) | Some(Val::Num(_))) { &l } else { &r };
                    return Err(Error::new("T2010").with_value(js_stringify_opt(bad.as_ref())));
                }
                let (Some(l), Some(r)) = (l, r) else {
                    return Ok(None);
                };
                let ord = match (&l, &r) {
                    (Val::Num(a), Val::Num(b)) => a.partial_cmp(b),
                    (Val::Str(a), Val::Str(b)) => Some(js_str_cmp(a, b)),
                    _ => {
                        return Err(Error::new("T2009").with_value(js_stringify(&l)).with_value2(js_stringify(&r)));
                    }
                };
                use std::cmp::Ordering::*;
                let res = match (op, ord) {
                    (_, None) => false,
                    (BinOp::Lt, Some(o)) => o == Less,
                    (BinOp::Le, Some(o)) => o != Greater,
                    (BinOp::Gt, Some(o)) => o == Greater,
                    (_, Some(o)) => o != Less,
                };
                Ok(Some(Val::Bool(res)))
            }
            BinOp::Concat => {
                let ls = match &l {
                    Some(v) => to_js_string(v)?,
                    None => String::new(),
                };
                let rs = match &r {
                    Some(v) => to_js_string(v)?,
                    None => String::new(),
                };
                error::check_string_len(ls.len() + rs.len())?;
                Ok(Some(Val::str(ls + &rs)))
            }
            BinOp::Range => {
                let is_int = |v: &Val<'a>| matches!(v, Val::Num(n) if n.is_finite() && n.trunc() == *n);
                if let Some(l) = &l
                    && !is_int(l)
                {
                    return Err(Error::new("T2003").with_value(js_stringify(l)));
                }
                if let Some(r) = &r
                    && !is_int(r)
                {
                    return Err(Error::new("T2004").with_value(js_stringify(r)));
                }
                let (Some(Val::Num(a)), Some(Val::Num(b))) = (l, r) else {
                    return Ok(None);
                };
                if a > b {
                    return Ok(None);
                }
                let size = b - a + 1.0;
                if size > 1e7 {
                    return Err(Error::new("D2014").with_value(crate::number::js_number_to_string(size)));
                }
                let items = (0..size as usize).map(|i| Val::Num(a + i as f64)).collect();
                Ok(Some(Val::seq(items)))
            }
            BinOp::In => {
                let (Some(l), Some(r)) = (l, r) else {
                    return Ok(Some(Val::Bool(false)));
                };
                let found = if r.is_array() { r.array_iter().any(|x| strict_eq(&x, &l)) } else { strict_eq(&r, &l) };
                Ok(Some(Val::Bool(found)))
            }
            BinOp::And | BinOp::Or => Ok(None),
        }
    }

    fn wildcard(&self, input: &V<'a>) -> Val<'a> {
        let mut input = input.clone();
        if let Some(Val::Arr(a)) = &input
            && a.flags & OUTER_WRAPPER != 0
            && !a.items.is_empty()
        {
            input = a.items.first().cloned();
        }
        let mut results: Vec<Val<'a>> = Vec::new();
        let mut plain = false;
        let Some(input) = input else {
            return Val::seq(results);
        };
        let values: Vec<Val<'a>> = if input.is_array() {
            input.array_iter().collect()
        } else if input.is_object() {
            input.object_entries().into_iter().map(|(_, v)| v).collect()
        } else {
            Vec::new()
        };
        for value in values {
            if value.is_array() {
                let mut flat = Vec::new();
                flatten(&value, &mut flat, 0);
                results.extend(flat);
                plain = true;
            } else {
                results.push(value);
            }
        }
        if plain { Val::array(results) } else { Val::seq(results) }
    }

    // ----- functions -----

    fn eval_function(
        &self,
        node: &'a Node,
        procedure: &'a Node,
        args: &'a [Node],
        input: &V<'a>,
        frame: &Rc<Frame<'a>>,
        apply_to: Option<V<'a>>,
    ) -> Result<V<'a>> {
        let proc = self.eval(procedure, input, frame)?;
        self.check_not_shadowed(node, procedure, &proc, frame, "T1005")?;
        let mut evaluated = Vec::with_capacity(args.len() + 1);
        if let Some(ctx) = apply_to {
            evaluated.push(ctx);
        }
        for a in args {
            evaluated.push(self.eval(a, input, frame)?);
        }
        self.apply(&proc, evaluated, input, frame).map_err(|mut e| {
            e.set_position(node.pos);
            if let Some(name) = procedure_name(procedure) {
                e.set_token_if_none(name);
            }
            e
        })
    }

    /// Applies a function value (with the tail-call trampoline).
    pub(crate) fn apply(&self, proc: &V<'a>, args: Vec<V<'a>>, input: &V<'a>, frame: &Rc<Frame<'a>>) -> Result<V<'a>> {
        let mut result = self.apply_inner(proc, args, input, frame)?;
        loop {
            let thunk = match &result {
                Some(Val::Func(f)) => match &**f {
                    Func::Lambda(l) if l.thunk => Some(f.clone()),
                    _ => None,
                },
                _ => None,
            };
            let Some(f) = thunk else { break };
            let Func::Lambda(l) = &*f else { break };
            let Kind::Function { procedure, args: call_args } = &l.body.kind else {
                break;
            };
            let next = self.eval(procedure, &l.input, &l.frame)?;
            let mut evaluated = Vec::with_capacity(call_args.len());
            for a in call_args {
                evaluated.push(self.eval(a, &l.input, &l.frame)?);
            }
            let name = match &procedure.kind {
                Kind::Var(n) => Some(n.as_str()),
                _ => None,
            };
            result = self.apply_inner(&next, evaluated, input, frame).map_err(|mut e| {
                e.set_position(procedure.pos);
                if let Some(n) = name {
                    e.set_token_if_none(n);
                }
                e
            })?;
        }
        Ok(result)
    }

    fn apply_inner(&self, proc: &V<'a>, args: Vec<V<'a>>, input: &V<'a>, frame: &Rc<Frame<'a>>) -> Result<V<'a>> {
        let Some(Val::Func(f)) = proc else {
            return Err(Error::new("T1006"));
        };
        match &**f {
            Func::Lambda(l) => {
                let args = match l.signature {
                    Some(sig) => sig.validate(args, input.as_ref())?,
                    None => args,
                };
                let env = Frame::child(&l.frame);
                let mut args = args.into_iter();
                for p in &l.params {
                    env.bind(p, args.next().flatten());
                }
                self.eval(l.body, &l.input, &env)
            }
            Func::Builtin(b) => {
                let mut args = args;
                for a in &mut args {
                    wrap_function_arg(a);
                }
                let args = b.signature().validate(args, input.as_ref())?;
                let call = Call { input, frame };
                (b.imp)(self, &call, args)
            }
            Func::PartialBuiltin { builtin, args: bound } => {
                let mut supplied = args.into_iter();
                let filled: Vec<V<'a>> = bound
                    .iter()
                    .map(|a| match a {
                        Some(v) => v.clone(),
                        None => supplied.next().flatten(),
                    })
                    .collect();
                let filled = builtin.signature().validate(filled, None)?;
                let call = Call { input, frame };
                (builtin.imp)(self, &call, filled)
            }
            Func::Regex(re) => {
                let s = match args.first() {
                    Some(Some(Val::Str(s))) => s.clone(),
                    _ => return Ok(None),
                };
                let from = match args.get(1) {
                    Some(Some(Val::Num(n))) => crate::functions::utf16_to_byte(&s, *n as usize),
                    _ => 0,
                };
                Ok(crate::functions::regex_match_object(re, s, from)?)
            }
            Func::Transform { node, frame: tframe } => {
                let sig = crate::signature::Signature::builtin("<(oa):o>");
                let args = sig.validate(args, input.as_ref())?;
                self.transform(node, args.into_iter().next().flatten(), tframe)
            }
            Func::Wrapped(inner) => self.apply_inner(&Some(Val::Func(inner.clone())), args, input, frame),
            Func::Chain(first, second) => {
                let x = args.into_iter().next().flatten();
                let r = self.apply(&Some(first.clone()), vec![x], &None, frame)?;
                self.apply(&Some(second.clone()), vec![r], &None, frame)
            }
        }
    }

    /// Calls a function argument of a higher-order built-in (jsonata-js passes `null` as context).
    pub(crate) fn call_fn(&self, f: &Val<'a>, args: Vec<V<'a>>, frame: &Rc<Frame<'a>>) -> Result<V<'a>> {
        self.apply(&Some(f.clone()), args, &Some(Val::Null), frame)
    }

    /// `foo(…)` where `foo` is no function but a `$foo` variable is (the `$` forgotten): `code`
    /// (T1005 for a call, T1007 for a partial application) names the variable.
    fn check_not_shadowed(
        &self,
        node: &'a Node,
        procedure: &'a Node,
        proc: &V<'a>,
        frame: &Rc<Frame<'a>>,
        code: &'static str,
    ) -> Result<()> {
        if proc.is_none()
            && procedure.is_path()
            && let Some(n) = procedure_name(procedure)
            && self.lookup(frame, n).is_some_and(|v| js_truthy(&v))
        {
            return Err(Error::at(code, node.pos).with_token(n));
        }
        Ok(())
    }

    fn eval_partial(
        &self,
        node: &'a Node,
        procedure: &'a Node,
        args: &'a [Node],
        input: &V<'a>,
        frame: &Rc<Frame<'a>>,
    ) -> Result<V<'a>> {
        let mut evaluated: Vec<Option<V<'a>>> = Vec::with_capacity(args.len());
        for a in args {
            if matches!(a.kind, Kind::Placeholder) {
                evaluated.push(None);
            } else {
                evaluated.push(Some(self.eval(a, input, frame)?));
            }
        }
        let proc = match self.eval(procedure, input, frame)? {
            Some(Val::Func(f)) => match &*f {
                Func::Wrapped(inner) => Some(Val::Func(inner.clone())),
                _ => Some(Val::Func(f)),
            },
            other => other,
        };
        self.check_not_shadowed(node, procedure, &proc, frame, "T1007")?;
        match &proc {
            Some(Val::Func(f)) => match &**f {
                Func::Lambda(l) => {
                    let env = Frame::child(&l.frame);
                    let mut unbound = Vec::new();
                    for (i, p) in l.params.iter().enumerate() {
                        match evaluated.get(i) {
                            Some(None) => unbound.push(*p),
                            Some(Some(v)) => env.bind(p, v.clone()),
                            None => env.bind(p, None),
                        }
                    }
                    Ok(Some(Val::Func(Rc::new(Func::Lambda(LambdaVal {
                        params: unbound,
                        body: l.body,
                        signature: None,
                        thunk: false,
                        input: l.input.clone(),
                        frame: env,
                    })))))
                }
                Func::Builtin(b) => {
                    let n = b.param_count;
                    let bound: Vec<Option<V<'a>>> = (0..n)
                        .map(|i| match evaluated.get(i) {
                            Some(None) => None,
                            Some(Some(v)) => Some(v.clone()),
                            None => Some(None),
                        })
                        .collect();
                    Ok(Some(Val::Func(Rc::new(Func::PartialBuiltin { builtin: b, args: bound }))))
                }
                Func::PartialBuiltin { builtin, args: bound } => {
                    let mut supplied = evaluated.into_iter();
                    let rebound: Vec<Option<V<'a>>> = bound
                        .iter()
                        .map(|a| match a {
                            Some(v) => Some(v.clone()),
                            None => match supplied.next() {
                                Some(None) => None,
                                Some(Some(v)) => Some(v),
                                None => Some(None),
                            },
                        })
                        .collect();
                    Ok(Some(Val::Func(Rc::new(Func::PartialBuiltin { builtin, args: rebound }))))
                }
                _ => Err(Error::unsupported("partial application of this kind of function").with_position(node.pos)),
            },
            _ => {
                let mut e = Error::at("T1008", node.pos);
                if let Some(n) = procedure_name(procedure) {
                    e = e.with_token(n);
                }
                Err(e)
            }
        }
    }

    fn eval_apply(
        &self,
        node: &'a Node,
        lhs: &'a Node,
        rhs: &'a Node,
        input: &V<'a>,
        frame: &Rc<Frame<'a>>,
    ) -> Result<V<'a>> {
        let l = self.eval(lhs, input, frame)?;
        if let Kind::Function { procedure, args } = &rhs.kind {
            return self.eval_function(rhs, procedure, args, input, frame, Some(l));
        }
        let func = self.eval(rhs, input, frame)?;
        if !func.as_ref().is_some_and(Val::is_function) {
            return Err(Error::at("T2006", node.pos).with_value(js_stringify_opt(func.as_ref())));
        }
        match l {
            Some(lf @ Val::Func(_)) => {
                let Some(g) = func else { return Ok(None) };
                Ok(Some(Val::Func(Rc::new(Func::Chain(lf, g)))))
            }
            l => self.apply(&func, vec![l], &Some(Val::Null), frame),
        }
    }

    // ----- order-by -----

    fn eval_sort(
        &self,
        node: &'a Node,
        terms: &'a [(bool, Node)],
        input: Val<'a>,
        frame: &Rc<Frame<'a>>,
    ) -> Result<Val<'a>> {
        let pos = node.pos;
        let cmp = |a: &Val<'a>, b: &Val<'a>| -> Result<bool> {
            let mut comp = 0i32;
            for (descending, term) in terms {
                let (aa, bb) = match (a, b) {
                    (Val::Tuples(ta), Val::Tuples(tb)) => {
                        // tuple sort: a and b are one-tuple wrappers
                        let (ta, tb) = (&ta[0], &tb[0]);
                        let ea = self.frame_from_tuple(frame, ta);
                        let eb = self.frame_from_tuple(frame, tb);
                        (self.eval(term, &ta.at, &ea)?, self.eval(term, &tb.at, &eb)?)
                    }
                    _ => (self.eval(term, &Some(a.clone()), frame)?, self.eval(term, &Some(b.clone()), frame)?),
                };
                let (aa, bb) = match (aa, bb) {
                    (None, None) => {
                        comp = 0;
                        continue;
                    }
                    (None, Some(_)) => {
                        comp = 1;
                        continue;
                    }
                    (Some(_), None) => {
                        comp = -1;
                        continue;
                    }
                    (Some(x), Some(y)) => (x, y),
                };
                let ok = |v: &Val<'a>| matches!(v, Val::Str(_) | Val::Num(_));
                if !ok(&aa) || !ok(&bb) {
                    let bad = if !ok(&aa) { &aa } else { &bb };
                    return Err(Error::at("T2008", pos).with_value(js_stringify(bad)));
                }
                let ord = match (&aa, &bb) {
                    (Val::Num(x), Val::Num(y)) => {
                        if x == y {
                            continue;
                        }
                        if x < y { -1 } else { 1 }
                    }
                    (Val::Str(x), Val::Str(y)) => match js_str_cmp(x, y) {
                        std::cmp::Ordering::Equal => continue,
                        std::cmp::Ordering::Less => -1,
                        std::cmp::Ordering::Greater => 1,
                    },
                    _ => {
                        return Err(Error::at("T2007", pos)
                            .with_value(js_stringify(&aa))
                            .with_value2(js_stringify(&bb)));
                    }
                };
                comp = if *descending { -ord } else { ord };
                if comp != 0 {
                    break;
                }
            }
            Ok(comp == 1)
        };
        match input {
            Val::Tuples(tuples) => {
                let wrapped: Vec<Val<'a>> = tuples.iter().map(|t| Val::Tuples(Rc::new(vec![t.clone()]))).collect();
                let sorted = merge_sort(wrapped, &cmp)?;
                Ok(Val::Tuples(Rc::new(
                    sorted
                        .into_iter()
                        .filter_map(|v| match v {
                            Val::Tuples(t) => t.first().cloned(),
                            _ => None,
                        })
                        .collect(),
                )))
            }
            input => {
                if input.array_len().unwrap_or(1) <= 1 {
                    return Ok(input);
                }
                let items = input.into_items();
                Ok(Val::array(merge_sort(items, &cmp)?))
            }
        }
    }

    // ----- transform -----

    fn transform(&self, node: &'a Node, obj: V<'a>, frame: &Rc<Frame<'a>>) -> Result<V<'a>> {
        let Kind::Transform { pattern, update, delete } = &node.kind else {
            return Ok(None);
        };
        let Some(obj) = obj else { return Ok(None) };
        if let Lookup::Found(v) = frame.lookup("clone")
            && !v.as_ref().is_some_and(Val::is_function)
        {
            return Err(Error::at("T2013", node.pos));
        }
        let result = deep_clone(&obj)?;
        let matches = self.eval(pattern, &Some(result.clone()), frame)?;
        let Some(matches) = matches else {
            return Ok(Some(result));
        };
        let matches: Vec<Val<'a>> = if matches.is_array() { matches.array_iter().collect() } else { vec![matches] };
        // updated objects, keyed by the identity of the cloned object
        let mut updated: Vec<(*const Obj<'a>, Rc<Obj<'a>>)> = Vec::new();
        for m in &matches {
            let current: Val<'a> = match m {
                Val::Obj(o) => match updated.iter().find(|(p, _)| std::ptr::eq(*p, Rc::as_ptr(o))) {
                    Some((_, cur)) => Val::Obj(cur.clone()),
                    None => m.clone(),
                },
                other => other.clone(),
            };
            let upd = self.eval(update, &Some(current.clone()), frame)?;
            let mut new_obj: Option<Obj<'a>> = match &current {
                Val::Obj(o) => Some((**o).clone()),
                _ => None,
            };
            if let Some(u) = upd {
                if !u.is_object() {
                    return Err(Error::at("T2011", update.pos).with_value(js_stringify(&u)));
                }
                if let Some(o) = &mut new_obj {
                    for (k, v) in u.object_entries() {
                        o.insert(k, v);
                    }
                }
            }
            if let Some(d) = delete {
                let current_after = match &new_obj {
                    Some(o) => Val::object(o.clone()),
                    None => current.clone(),
                };
                let _ = current_after;
                if let Some(del) = self.eval(d, &Some(current.clone()), frame)? {
                    let keys: Vec<Val<'a>> =
                        if del.is_array() { del.array_iter().collect() } else { vec![del.clone()] };
                    if !keys.iter().all(|k| matches!(k, Val::Str(_))) {
                        return Err(Error::at("T2012", d.pos).with_value(js_stringify(&del)));
                    }
                    if let Some(o) = &mut new_obj {
                        for k in keys {
                            if let Val::Str(k) = k {
                                o.remove(&k);
                            }
                        }
                    }
                }
            }
            if let (Val::Obj(orig), Some(o)) = (m, new_obj) {
                let ptr = Rc::as_ptr(orig);
                let rc = Rc::new(o);
                match updated.iter_mut().find(|(p, _)| std::ptr::eq(*p, ptr)) {
                    Some(slot) => slot.1 = rc,
                    None => updated.push((ptr, rc)),
                }
            }
        }
        Ok(Some(rebuild(&result, &updated, 0)))
    }
}

/// jsonata-js hands function arguments to built-ins as native closures.
fn wrap_function_arg(v: &mut V<'_>) {
    if let Some(Val::Func(f)) = v
        && !f.is_native()
    {
        *f = Rc::new(Func::Wrapped(f.clone()));
    }
}

fn flatten<'a>(v: &Val<'a>, out: &mut Vec<Val<'a>>, depth: usize) {
    if v.is_array() && depth < error::MAX_NESTING {
        for item in v.array_iter() {
            flatten(&item, out, depth + 1);
        }
    } else {
        out.push(v.clone());
    }
}

fn descendants<'a>(input: &V<'a>) -> V<'a> {
    let input = input.as_ref()?;
    let mut out = Vec::new();
    recurse_descendants(input, &mut out, 0);
    if out.len() == 1 { out.pop() } else { Some(Val::seq(out)) }
}

fn recurse_descendants<'a>(v: &Val<'a>, out: &mut Vec<Val<'a>>, depth: usize) {
    if depth > error::MAX_NESTING {
        return;
    }
    if v.is_array() {
        for item in v.array_iter() {
            recurse_descendants(&item, out, depth + 1);
        }
        return;
    }
    out.push(v.clone());
    if v.is_object() {
        for (_, child) in v.object_entries() {
            recurse_descendants(&child, out, depth + 1);
        }
    }
}

fn reduce_tuple_stream<'a>(tuples: &[Tuple<'a>]) -> Tuple<'a> {
    let mut result = tuples.first().cloned().unwrap_or(Tuple { at: None, binds: Vec::new() });
    for t in tuples.iter().skip(1) {
        result.at = append(result.at.take(), t.at.clone());
        for (name, v) in &t.binds {
            let existing = result.get(name).cloned().flatten();
            result.set(name, append(existing, v.clone()));
        }
    }
    result
}

fn rebuild<'a>(v: &Val<'a>, updated: &[(*const Obj<'a>, Rc<Obj<'a>>)], depth: usize) -> Val<'a> {
    if depth > error::MAX_NESTING {
        return v.clone();
    }
    match v {
        Val::Obj(o) => {
            let base = updated
                .iter()
                .find(|(p, _)| std::ptr::eq(*p, Rc::as_ptr(o)))
                .map(|(_, n)| n.clone())
                .unwrap_or_else(|| o.clone());
            let mut out = Obj::with_capacity(base.len());
            for (k, x) in base.entries() {
                out.insert(k.clone(), rebuild(x, updated, depth + 1));
            }
            Val::object(out)
        }
        Val::Arr(a) => Val::array_with_flags(a.items.iter().map(|x| rebuild(x, updated, depth + 1)).collect(), a.flags),
        other => other.clone(),
    }
}

/// The name a function call's procedure is written with (`foo` in `foo(…)`, `$f` in `$f(…)`),
/// for error messages.
fn procedure_name(procedure: &Node) -> Option<&str> {
    match &procedure.kind {
        Kind::Path { steps, .. } => match steps.first().map(|s| &s.kind) {
            Some(Kind::Name(n)) => Some(n),
            _ => None,
        },
        Kind::Var(n) => Some(n),
        _ => None,
    }
}
