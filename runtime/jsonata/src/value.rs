//! Run-time values.
//!
//! A [`Val`] either borrows from the caller's `serde_json::Value`s (the input,
//! the variable bindings) or owns data built during evaluation. Borrowing keeps
//! path navigation over large inputs free of copies; owned containers are
//! reference-counted so that passing values around is cheap.
//!
//! jsonata-js tags JavaScript arrays with flags (`sequence`, `keepSingleton`,
//! `cons`, `outerWrapper`) that steer its flattening rules; [`Arr`] carries the
//! same flags.
//!
//! Besides the representation, this module owns the helpers on values that the
//! evaluator and the functions share (JSONata and JavaScript truthiness,
//! equality, UTF-16 string order, `fn.append`, `fn.lookup`, the merge sort,
//! `$clone`'s copy). It may not evaluate syntax or call functions.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Deref;
use std::rc::Rc;

use serde_json::{Map, Number, Value};

use crate::ast;
use crate::error::{self, Error, Result};
use crate::number::js_number_to_string;
use crate::regex::JsRegex;

/// A string that is either borrowed or shared.
#[derive(Clone, Debug)]
pub(crate) enum Str<'a> {
    B(&'a str),
    O(Rc<str>),
}

impl Deref for Str<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Str::B(s) => s,
            Str::O(s) => s,
        }
    }
}

impl PartialEq for Str<'_> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl From<String> for Str<'_> {
    fn from(s: String) -> Self {
        Str::O(Rc::from(s))
    }
}

impl From<&str> for Str<'_> {
    fn from(s: &str) -> Self {
        Str::O(Rc::from(s))
    }
}

pub(crate) const SEQUENCE: u8 = 1;
pub(crate) const KEEP_SINGLETON: u8 = 2;
pub(crate) const CONS: u8 = 4;
pub(crate) const OUTER_WRAPPER: u8 = 8;

/// An array built during evaluation, with jsonata-js's array flags.
#[derive(Clone, Debug, Default)]
pub(crate) struct Arr<'a> {
    pub items: Vec<Val<'a>>,
    pub flags: u8,
}

/// Takes apart uniquely owned nested containers iteratively, so that dropping
/// a deeply nested value cannot overflow the stack.
fn drop_iteratively(items: Vec<Val<'_>>) {
    let mut stack = items;
    while let Some(v) = stack.pop() {
        match v {
            Val::Arr(rc) => {
                if let Ok(mut arr) = Rc::try_unwrap(rc) {
                    stack.append(&mut arr.items);
                }
            }
            Val::Obj(rc) => {
                if let Ok(mut obj) = Rc::try_unwrap(rc) {
                    stack.extend(std::mem::take(&mut obj.entries).into_iter().map(|(_, v)| v));
                    obj.index = None;
                }
            }
            _ => {}
        }
    }
}

impl Drop for Arr<'_> {
    fn drop(&mut self) {
        if self.items.iter().any(|v| matches!(v, Val::Arr(_) | Val::Obj(_))) {
            drop_iteratively(std::mem::take(&mut self.items));
        }
    }
}

impl Drop for Obj<'_> {
    fn drop(&mut self) {
        if self.entries.iter().any(|(_, v)| matches!(v, Val::Arr(_) | Val::Obj(_))) {
            let entries = std::mem::take(&mut self.entries);
            drop_iteratively(entries.into_iter().map(|(_, v)| v).collect());
        }
    }
}

/// An object built during evaluation (insertion-ordered).
#[derive(Clone, Debug, Default)]
pub(crate) struct Obj<'a> {
    entries: Vec<(Str<'a>, Val<'a>)>,
    index: Option<HashMap<Rc<str>, usize>>,
}

const INDEX_THRESHOLD: usize = 12;

impl<'a> Obj<'a> {
    pub(crate) fn with_capacity(n: usize) -> Self {
        Obj { entries: Vec::with_capacity(n), index: None }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Val<'a>> {
        self.position(key).map(|i| &self.entries[i].1)
    }

    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(ix) => ix.get(key).copied(),
            None => self.entries.iter().position(|(k, _)| &**k == key),
        }
    }

    /// Sets `key` (keeping the original position if it exists).
    pub(crate) fn insert(&mut self, key: Str<'a>, val: Val<'a>) {
        if let Some(i) = self.position(&key) {
            self.entries[i].1 = val;
            return;
        }
        if let Some(ix) = &mut self.index {
            ix.insert(Rc::from(&*key), self.entries.len());
        }
        self.entries.push((key, val));
        if self.index.is_none() && self.entries.len() > INDEX_THRESHOLD {
            self.index = Some(self.entries.iter().enumerate().map(|(i, (k, _))| (Rc::from(&**k), i)).collect());
        }
    }

    pub(crate) fn remove(&mut self, key: &str) {
        if let Some(i) = self.position(key) {
            self.entries.remove(i);
            if self.index.is_some() {
                self.index = Some(self.entries.iter().enumerate().map(|(i, (k, _))| (Rc::from(&**k), i)).collect());
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn entries(&self) -> &[(Str<'a>, Val<'a>)] {
        &self.entries
    }
}

/// A value during evaluation. *Undefined* is represented by `Option::None` around it.
#[derive(Clone, Debug)]
pub(crate) enum Val<'a> {
    Null,
    Bool(bool),
    Num(f64),
    Str(Str<'a>),
    /// A borrowed JSON array or object.
    Json(&'a Value),
    Arr(Rc<Arr<'a>>),
    Obj(Rc<Obj<'a>>),
    Func(Rc<Func<'a>>),
    /// A tuple stream (jsonata-js `tupleStream`), internal to path evaluation.
    Tuples(Rc<Vec<Tuple<'a>>>),
}

/// One tuple of a tuple stream: the context item `@` and the variables bound
/// along the path (focus `@$v`, index `#$i`, parent labels).
#[derive(Clone, Debug)]
pub(crate) struct Tuple<'a> {
    pub at: Option<Val<'a>>,
    pub binds: Vec<(&'a str, Option<Val<'a>>)>,
}

impl<'a> Tuple<'a> {
    pub(crate) fn set(&mut self, name: &'a str, val: Option<Val<'a>>) {
        if let Some(slot) = self.binds.iter_mut().find(|(n, _)| *n == name) {
            slot.1 = val;
        } else {
            self.binds.push((name, val));
        }
    }
    pub(crate) fn get(&self, name: &str) -> Option<&Option<Val<'a>>> {
        self.binds.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

/// A variable scope.
#[derive(Debug, Default)]
pub(crate) struct Frame<'a> {
    vars: RefCell<Vec<(&'a str, Option<Val<'a>>)>>,
    pub parent: Option<Rc<Frame<'a>>>,
}

pub(crate) enum Lookup<'a> {
    Found(Option<Val<'a>>),
    NotFound,
}

impl<'a> Frame<'a> {
    pub(crate) fn child(parent: &Rc<Frame<'a>>) -> Rc<Frame<'a>> {
        Rc::new(Frame { vars: RefCell::new(Vec::new()), parent: Some(parent.clone()) })
    }

    pub(crate) fn bind(&self, name: &'a str, val: Option<Val<'a>>) {
        let mut vars = self.vars.borrow_mut();
        if let Some(slot) = vars.iter_mut().find(|(n, _)| *n == name) {
            slot.1 = val;
        } else {
            vars.push((name, val));
        }
    }

    pub(crate) fn lookup(&self, name: &str) -> Lookup<'a> {
        let mut frame = self;
        loop {
            if let Some((_, v)) = frame.vars.borrow().iter().find(|(n, _)| *n == name) {
                return Lookup::Found(v.clone());
            }
            match &frame.parent {
                Some(p) => frame = p,
                None => return Lookup::NotFound,
            }
        }
    }
}

/// A function value.
#[derive(Debug)]
pub(crate) enum Func<'a> {
    Lambda(LambdaVal<'a>),
    Builtin(&'static crate::functions::Builtin),
    /// A built-in function with some arguments bound (`$substring(?, 0, 2)`).
    PartialBuiltin {
        builtin: &'static crate::functions::Builtin,
        /// `None` entries are the placeholders.
        args: Vec<Option<Option<Val<'a>>>>,
    },
    Regex(&'a JsRegex),
    Transform {
        node: &'a ast::Node,
        frame: Rc<Frame<'a>>,
    },
    /// `f ~> g` where both are functions: `function($x){ g(f($x)) }`.
    Chain(Val<'a>, Val<'a>),
    /// A function passed as an argument to a built-in: jsonata-js wraps it in a
    /// native JavaScript closure, which behaves the same when called but is
    /// falsy and invisible to `JSON.stringify`.
    Wrapped(Rc<Func<'a>>),
}

#[derive(Debug)]
pub(crate) struct LambdaVal<'a> {
    /// Parameters still to be supplied (fewer than declared after partial application).
    pub params: Vec<&'a str>,
    pub body: &'a ast::Node,
    pub signature: Option<&'a crate::signature::Signature>,
    /// A tail call wrapped for the trampoline.
    pub thunk: bool,
    pub input: Option<Val<'a>>,
    pub frame: Rc<Frame<'a>>,
}

impl<'a> Func<'a> {
    /// jsonata-js `getFunctionArity`.
    pub(crate) fn arity(&self) -> usize {
        match self {
            Func::Lambda(l) => l.params.len(),
            Func::Builtin(b) => b.arity,
            Func::PartialBuiltin { args, .. } => args.iter().filter(|a| a.is_none()).count(),
            Func::Regex(_) => 2,
            Func::Transform { .. } => 1,
            Func::Chain(..) => 1,
            Func::Wrapped(f) => f.arity(),
        }
    }

    /// Whether jsonata-js represents this function as a native JavaScript function.
    pub(crate) fn is_native(&self) -> bool {
        matches!(self, Func::Regex(_) | Func::Wrapped(_))
    }
}

impl<'a> Val<'a> {
    pub(crate) fn from_json(v: &'a Value) -> Val<'a> {
        match v {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => Val::Num(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => Val::Str(Str::B(s)),
            Value::Array(_) | Value::Object(_) => Val::Json(v),
        }
    }

    /// Converts an owned JSON value (e.g. one parsed at run time).
    pub(crate) fn from_owned_json(v: Value) -> Val<'a> {
        match v {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(b),
            Value::Number(n) => Val::Num(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => Val::str(s),
            Value::Array(a) => Val::array(a.into_iter().map(Val::from_owned_json).collect()),
            Value::Object(m) => {
                let mut o = Obj::with_capacity(m.len());
                for (k, v) in m {
                    o.insert(Str::from(k), Val::from_owned_json(v));
                }
                Val::object(o)
            }
        }
    }

    pub(crate) fn str(s: impl Into<String>) -> Val<'a> {
        Val::Str(Str::from(s.into()))
    }

    pub(crate) fn array(items: Vec<Val<'a>>) -> Val<'a> {
        Val::Arr(Rc::new(Arr { items, flags: 0 }))
    }

    pub(crate) fn seq(items: Vec<Val<'a>>) -> Val<'a> {
        Val::Arr(Rc::new(Arr { items, flags: SEQUENCE }))
    }

    pub(crate) fn array_with_flags(items: Vec<Val<'a>>, flags: u8) -> Val<'a> {
        Val::Arr(Rc::new(Arr { items, flags }))
    }

    pub(crate) fn object(obj: Obj<'a>) -> Val<'a> {
        Val::Obj(Rc::new(obj))
    }

    pub(crate) fn is_array(&self) -> bool {
        match self {
            Val::Json(Value::Array(_)) | Val::Arr(_) => true,
            Val::Json(_) => false,
            _ => false,
        }
    }

    pub(crate) fn is_object(&self) -> bool {
        matches!(self, Val::Json(Value::Object(_)) | Val::Obj(_))
    }

    pub(crate) fn is_function(&self) -> bool {
        matches!(self, Val::Func(_))
    }

    pub(crate) fn flags(&self) -> u8 {
        match self {
            Val::Arr(a) => a.flags,
            _ => 0,
        }
    }

    pub(crate) fn is_sequence(&self) -> bool {
        self.flags() & SEQUENCE != 0
    }

    pub(crate) fn type_symbol(&self) -> char {
        match self {
            Val::Null => 'l',
            Val::Bool(_) => 'b',
            Val::Num(_) => 'n',
            Val::Str(_) => 's',
            Val::Json(Value::Array(_)) | Val::Arr(_) | Val::Tuples(_) => 'a',
            Val::Json(_) | Val::Obj(_) => 'o',
            Val::Func(_) => 'f',
        }
    }

    pub(crate) fn array_len(&self) -> Option<usize> {
        match self {
            Val::Json(Value::Array(a)) => Some(a.len()),
            Val::Arr(a) => Some(a.items.len()),
            _ => None,
        }
    }

    pub(crate) fn array_get(&self, i: usize) -> Option<Val<'a>> {
        match self {
            Val::Json(Value::Array(a)) => a.get(i).map(Val::from_json),
            Val::Arr(a) => a.items.get(i).cloned(),
            _ => None,
        }
    }

    /// Iterates over the items of an array (nothing for non-arrays).
    pub(crate) fn array_iter(&self) -> ArrayIter<'_, 'a> {
        match self {
            Val::Json(Value::Array(a)) => ArrayIter::Json(a.iter()),
            Val::Arr(a) => ArrayIter::Own(a.items.iter()),
            _ => ArrayIter::Empty,
        }
    }

    /// The items of an array as an owned vector (a one-item vector for other values).
    pub(crate) fn into_items(self) -> Vec<Val<'a>> {
        match self {
            Val::Json(Value::Array(a)) => a.iter().map(Val::from_json).collect(),
            Val::Arr(a) => match Rc::try_unwrap(a) {
                Ok(mut arr) => std::mem::take(&mut arr.items),
                Err(rc) => rc.items.clone(),
            },
            other => vec![other],
        }
    }

    /// Looks up a field of an object (`None` for non-objects and missing keys).
    pub(crate) fn field(&self, key: &str) -> Option<Val<'a>> {
        match self {
            Val::Json(Value::Object(m)) => m.get(key).map(Val::from_json),
            Val::Obj(o) => o.get(key).cloned(),
            _ => None,
        }
    }

    /// The entries of an object in JavaScript property order (array-index keys
    /// first, ascending; then the other keys in insertion order).
    pub(crate) fn object_entries(&self) -> Vec<(Str<'a>, Val<'a>)> {
        let mut out: Vec<(Str<'a>, Val<'a>)> = match self {
            Val::Json(Value::Object(m)) => m.iter().map(|(k, v)| (Str::B(k.as_str()), Val::from_json(v))).collect(),
            Val::Obj(o) => o.entries.clone(),
            _ => return Vec::new(),
        };
        js_order(&mut out);
        out
    }

    pub(crate) fn object_len(&self) -> usize {
        match self {
            Val::Json(Value::Object(m)) => m.len(),
            Val::Obj(o) => o.len(),
            _ => 0,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn as_num(&self) -> Option<f64> {
        match self {
            Val::Num(n) => Some(*n),
            _ => None,
        }
    }

    pub(crate) fn as_func(&self) -> Option<&Rc<Func<'a>>> {
        match self {
            Val::Func(f) => Some(f),
            _ => None,
        }
    }

    /// Converts to an owned JSON value. Functions cannot be represented
    /// (`X1002`); non-finite numbers are `D1001`.
    pub(crate) fn to_json(&self) -> Result<Value> {
        self.to_json_at(0)
    }

    fn to_json_at(&self, depth: usize) -> Result<Value> {
        if depth > crate::error::MAX_NESTING {
            return Err(crate::error::too_deep());
        }
        Ok(match self {
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Num(n) => num_to_json(*n)?,
            Val::Str(s) => Value::String(s.to_string()),
            Val::Json(v) => json_in_js_order(v),
            Val::Arr(a) => Value::Array(a.items.iter().map(|v| v.to_json_at(depth + 1)).collect::<Result<Vec<_>>>()?),
            Val::Obj(_) => {
                let mut m = Map::new();
                for (k, v) in self.object_entries() {
                    m.insert(k.to_string(), v.to_json_at(depth + 1)?);
                }
                Value::Object(m)
            }
            Val::Func(_) => return Err(Error::new("X1002").with_extra("")),
            Val::Tuples(t) => Value::Array(
                t.iter().filter_map(|t| t.at.as_ref()).map(|v| v.to_json_at(depth + 1)).collect::<Result<Vec<_>>>()?,
            ),
        })
    }
}

pub(crate) enum ArrayIter<'s, 'a> {
    Json(std::slice::Iter<'a, Value>),
    Own(std::slice::Iter<'s, Val<'a>>),
    Empty,
}

impl<'a> Iterator for ArrayIter<'_, 'a> {
    type Item = Val<'a>;
    fn next(&mut self) -> Option<Val<'a>> {
        match self {
            ArrayIter::Json(it) => it.next().map(Val::from_json),
            ArrayIter::Own(it) => it.next().cloned(),
            ArrayIter::Empty => None,
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            ArrayIter::Json(it) => it.size_hint(),
            ArrayIter::Own(it) => it.size_hint(),
            ArrayIter::Empty => (0, Some(0)),
        }
    }
}

pub(crate) fn num_to_json(n: f64) -> Result<Value> {
    if !n.is_finite() {
        // JSON.stringify(Infinity) is "null", which is what jsonata-js shows
        return Err(Error::new("D1001").with_value("null"));
    }
    if n == n.trunc() && n.abs() < 9.007_199_254_740_992e15 {
        // integral: print without a fractional part, and `-0` as `0`
        return Ok(Value::Number(Number::from(n as i64)));
    }
    Ok(Number::from_f64(n).map(Value::Number).unwrap_or(Value::Null))
}

/// Whether `key` is an array index in JavaScript's sense (ordered first).
pub(crate) fn is_array_index(key: &str) -> bool {
    let b = key.as_bytes();
    if b.is_empty() || b.len() > 10 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    if b.len() > 1 && b[0] == b'0' {
        return false;
    }
    key.parse::<u64>().is_ok_and(|n| n < 4_294_967_295)
}

fn js_order<V>(entries: &mut [(Str<'_>, V)]) {
    if entries.iter().any(|(k, _)| is_array_index(k)) {
        // stable: non-index keys keep their relative (insertion) order
        entries.sort_by(|(a, _), (b, _)| match (is_array_index(a), is_array_index(b)) {
            (true, true) => a.parse::<u64>().unwrap_or(0).cmp(&b.parse::<u64>().unwrap_or(0)),
            (true, false) => std::cmp::Ordering::Less,
            (false, true) => std::cmp::Ordering::Greater,
            (false, false) => std::cmp::Ordering::Equal,
        });
    }
}

/// Whether any object in `v` has an array-index key (which JavaScript orders first).
fn has_index_keys(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.iter().any(has_index_keys),
        Value::Object(m) => m.iter().any(|(k, v)| is_array_index(k) || has_index_keys(v)),
        _ => false,
    }
}

/// Clones a JSON value, reordering object keys as JavaScript would.
fn json_in_js_order(v: &Value) -> Value {
    if !has_index_keys(v) {
        return v.clone();
    }
    json_reordered(v)
}

fn json_reordered(v: &Value) -> Value {
    match v {
        Value::Array(a) => Value::Array(a.iter().map(json_reordered).collect()),
        Value::Object(m) => {
            if m.keys().any(|k| is_array_index(k)) {
                let mut entries: Vec<(Str<'_>, &Value)> = m.iter().map(|(k, v)| (Str::B(k.as_str()), v)).collect();
                js_order(&mut entries);
                Value::Object(entries.into_iter().map(|(k, v)| (k.to_string(), json_reordered(v))).collect())
            } else {
                Value::Object(m.iter().map(|(k, v)| (k.clone(), json_reordered(v))).collect())
            }
        }
        other => other.clone(),
    }
}

/// Deep equality as jsonata-js's `isDeepEqual` (functions compare by identity).
pub(crate) fn deep_equal<'a>(a: &Val<'a>, b: &Val<'a>) -> bool {
    deep_equal_at(a, b, 0)
}

fn deep_equal_at<'a>(a: &Val<'a>, b: &Val<'a>, depth: usize) -> bool {
    if depth > crate::error::MAX_NESTING {
        return false;
    }
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => **x == **y,
        (Val::Func(x), Val::Func(y)) => Rc::ptr_eq(x, y),
        _ if a.is_array() && b.is_array() => {
            a.array_len() == b.array_len()
                && a.array_iter().zip(b.array_iter()).all(|(x, y)| deep_equal_at(&x, &y, depth + 1))
        }
        _ if a.is_object() && b.is_object() => {
            if let (Val::Json(x), Val::Json(y)) = (a, b) {
                return json_equal(x, y);
            }
            if a.object_len() != b.object_len() {
                return false;
            }
            a.object_entries().iter().all(|(k, v)| b.field(k).is_some_and(|w| deep_equal_at(v, &w, depth + 1)))
        }
        _ => false,
    }
}

fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_equal(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

/// `JSON.stringify` of a string.
pub(crate) fn js_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    quote_into(&mut out, s);
    out
}

fn quote_into(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `JSON.stringify(value)` as used in error messages.
pub(crate) fn js_stringify(v: &Val<'_>) -> String {
    let mut out = String::new();
    // error messages use plain JSON.stringify (no 15-digit rounding)
    let _ = stringify_into(&mut out, v, None, 0, false);
    out
}

pub(crate) fn js_stringify_opt(v: Option<&Val<'_>>) -> String {
    match v {
        Some(v) => js_stringify(v),
        None => "undefined".into(),
    }
}

/// `$string()` of a non-string value: `JSON.stringify` with numbers rounded to 15
/// significant digits and functions rendered as `""`; `indent` for prettify.
pub(crate) fn jsonata_stringify(v: &Val<'_>, pretty: bool) -> Result<String> {
    let mut out = String::new();
    stringify_into(&mut out, v, if pretty { Some(2) } else { None }, 0, true)?;
    Ok(out)
}

fn stringify_into(out: &mut String, v: &Val<'_>, indent: Option<usize>, level: usize, jsonata: bool) -> Result<()> {
    let newline = |out: &mut String, level: usize| {
        if let Some(n) = indent {
            out.push('\n');
            for _ in 0..n * level {
                out.push(' ');
            }
        }
    };
    if level > crate::error::MAX_NESTING {
        return Err(crate::error::too_deep());
    }
    match v {
        Val::Null => out.push_str("null"),
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::Num(n) => {
            if !n.is_finite() {
                if jsonata {
                    return Err(Error::new("D1001").with_value(js_number_to_string(*n)));
                }
                out.push_str("null");
            } else if jsonata {
                out.push_str(&js_number_to_string(crate::number::to_precision_15(*n)));
            } else {
                out.push_str(&js_number_to_string(*n));
            }
        }
        Val::Str(s) => quote_into(out, s),
        Val::Func(f) => {
            if jsonata {
                out.push_str("\"\"");
            } else if f.is_native() {
                // a native JavaScript function: JSON.stringify gives undefined
                out.push_str("undefined");
            } else {
                out.push_str("{}");
            }
        }
        Val::Tuples(_) => out.push_str("[]"),
        Val::Json(_) | Val::Arr(_) | Val::Obj(_) if v.is_array() => {
            let items: Vec<Val<'_>> = v.array_iter().collect();
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, level + 1);
                if !jsonata && matches!(item, Val::Func(f) if f.is_native()) {
                    out.push_str("null");
                    continue;
                }
                stringify_into(out, item, indent, level + 1, jsonata)?;
            }
            newline(out, level);
            out.push(']');
        }
        Val::Json(_) | Val::Arr(_) | Val::Obj(_) => {
            let mut entries = v.object_entries();
            if !jsonata {
                entries.retain(|(_, x)| !matches!(x, Val::Func(f) if f.is_native()));
            }
            if entries.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, level + 1);
                quote_into(out, k);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                stringify_into(out, item, indent, level + 1, jsonata)?;
            }
            newline(out, level);
            out.push('}');
        }
    }
    Ok(())
}

/// A value, or JSONata's *undefined*.
pub(crate) type V<'a> = Option<Val<'a>>;

/// jsonata-js `isNumeric`: a number that is not NaN; infinite numbers are an error.
pub(crate) fn is_numeric(v: &Val<'_>) -> Result<bool> {
    match v {
        Val::Num(n) if n.is_nan() => Ok(false),
        Val::Num(n) if n.is_infinite() => Err(Error::new("D1001").with_value(js_stringify(v))),
        Val::Num(_) => Ok(true),
        _ => Ok(false),
    }
}

pub(crate) fn is_array_of_numbers(v: &Val<'_>) -> Result<bool> {
    if !v.is_array() {
        return Ok(false);
    }
    for item in v.array_iter() {
        if !is_numeric(&item)? {
            return Ok(false);
        }
    }
    Ok(true)
}

pub(crate) fn is_array_of_strings(v: &Val<'_>) -> bool {
    v.is_array() && v.array_iter().all(|i| matches!(i, Val::Str(_)))
}

/// jsonata-js `fn.boolean` (effective boolean value) of a defined value.
pub(crate) fn truthy(v: &Val<'_>) -> bool {
    match v {
        Val::Null => false,
        Val::Bool(b) => *b,
        Val::Num(n) => *n != 0.0 && !n.is_nan(),
        Val::Str(s) => !s.is_empty(),
        // lambdas and built-ins are objects in jsonata-js; regexes are native functions
        Val::Func(f) => !f.is_native(),
        Val::Tuples(t) => t.iter().any(|t| t.at.as_ref().is_some_and(truthy)),
        _ if v.is_array() => match v.array_len() {
            Some(1) => v.array_get(0).is_some_and(|x| truthy(&x)),
            Some(0) | None => false,
            Some(_) => v.array_iter().any(|x| truthy(&x)),
        },
        _ => v.object_len() > 0,
    }
}

pub(crate) fn boolean(v: &V<'_>) -> Option<bool> {
    v.as_ref().map(truthy)
}

/// JavaScript's `===`.
pub(crate) fn strict_eq<'a>(a: &Val<'a>, b: &Val<'a>) -> bool {
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => **x == **y,
        (Val::Json(x), Val::Json(y)) => std::ptr::eq(*x, *y),
        (Val::Arr(x), Val::Arr(y)) => Rc::ptr_eq(x, y),
        (Val::Obj(x), Val::Obj(y)) => Rc::ptr_eq(x, y),
        (Val::Func(x), Val::Func(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

/// JavaScript's relational comparison of two strings (UTF-16 code unit order).
pub(crate) fn js_str_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.cmp(b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

/// jsonata-js `fn.append`.
pub(crate) fn append<'a>(a: V<'a>, b: V<'a>) -> V<'a> {
    match (a, b) {
        (None, b) => b,
        (a, None) => a,
        (Some(a), Some(b)) => {
            let mut items = if a.is_array() { a.into_items() } else { vec![a] };
            if b.is_array() {
                items.extend(b.array_iter());
            } else {
                items.push(b);
            }
            Some(Val::array(items))
        }
    }
}

/// jsonata-js `fn.string` of a defined value.
pub(crate) fn to_js_string(v: &Val<'_>) -> Result<String> {
    match v {
        Val::Str(s) => Ok(s.to_string()),
        Val::Func(_) => Ok(String::new()),
        Val::Num(n) if !n.is_finite() => Err(Error::new("D3001").with_value(js_stringify(v))),
        Val::Arr(a) if a.flags & OUTER_WRAPPER != 0 => match a.items.first() {
            Some(first) => jsonata_stringify(first, false),
            None => Ok(String::new()),
        },
        _ => jsonata_stringify(v, false),
    }
}

/// jsonata-js `fn.lookup`.
pub(crate) fn lookup_field<'a>(input: &V<'a>, key: &str) -> V<'a> {
    let input = input.as_ref()?;
    if input.is_array() {
        let mut out = Vec::new();
        for item in input.array_iter() {
            if let Some(res) = lookup_field(&Some(item), key) {
                if res.is_array() {
                    out.extend(res.array_iter());
                } else {
                    out.push(res);
                }
            }
        }
        return Some(Val::seq(out));
    }
    input.field(key)
}

/// JavaScript truthiness (used where jsonata-js tests a raw value with `if`).
pub(crate) fn js_truthy(v: &Val<'_>) -> bool {
    match v {
        Val::Null => false,
        Val::Bool(b) => *b,
        Val::Num(n) => *n != 0.0 && !n.is_nan(),
        Val::Str(s) => !s.is_empty(),
        _ => true,
    }
}

/// jsonata-js `fn.sort`'s merge sort: `swap(a, b)` returns true when `b` must
/// come before `a`.
pub(crate) fn merge_sort<'a, F>(items: Vec<Val<'a>>, swap: &F) -> Result<Vec<Val<'a>>>
where
    F: Fn(&Val<'a>, &Val<'a>) -> Result<bool>,
{
    if items.len() <= 1 {
        return Ok(items);
    }
    let mut items = items;
    let right = items.split_off(items.len() / 2);
    let left = merge_sort(items, swap)?;
    let right = merge_sort(right, swap)?;
    let mut out = Vec::with_capacity(left.len() + right.len());
    let mut li = left.into_iter().peekable();
    let mut ri = right.into_iter().peekable();
    loop {
        match (li.peek(), ri.peek()) {
            (None, None) => break,
            (None, Some(_)) => out.extend(ri.by_ref()),
            (Some(_), None) => out.extend(li.by_ref()),
            (Some(l), Some(r)) => {
                if swap(l, r)? {
                    out.extend(ri.next());
                } else {
                    out.extend(li.next());
                }
            }
        }
    }
    Ok(out)
}

/// `$clone` as jsonata-js implements it: `JSON.parse($string(x))` (numbers are
/// rounded to 15 significant digits, functions become `""`). Every container
/// of the copy is a fresh allocation, so that the transform operator can tell
/// matched objects apart by identity.
pub(crate) fn deep_clone<'a>(v: &Val<'a>) -> Result<Val<'a>> {
    deep_clone_at(v, 0)
}

fn deep_clone_at<'a>(v: &Val<'a>, depth: usize) -> Result<Val<'a>> {
    if depth > error::MAX_NESTING {
        return Err(error::too_deep());
    }
    Ok(match v {
        Val::Num(n) => {
            if !n.is_finite() {
                return Err(Error::new("D3001").with_value(js_stringify(v)));
            }
            Val::Num(crate::number::to_precision_15(*n))
        }
        Val::Func(_) => Val::str(""),
        Val::Str(s) => Val::Str(s.clone()),
        Val::Null | Val::Bool(_) => v.clone(),
        Val::Tuples(_) => Val::array(Vec::new()),
        _ if v.is_array() => {
            let src = match v {
                Val::Arr(a) if a.flags & OUTER_WRAPPER != 0 => a.items.first().cloned().unwrap_or(Val::Null),
                other => other.clone(),
            };
            if !src.is_array() {
                return deep_clone_at(&src, depth + 1);
            }
            Val::array(src.array_iter().map(|x| deep_clone_at(&x, depth + 1)).collect::<Result<Vec<_>>>()?)
        }
        _ => {
            let mut o = Obj::with_capacity(v.object_len());
            for (k, x) in v.object_entries() {
                o.insert(Str::from(&*k), deep_clone_at(&x, depth + 1)?);
            }
            Val::object(o)
        }
    })
}
