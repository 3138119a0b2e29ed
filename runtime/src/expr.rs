//! JSONata expressions, built by the `definition()` a `#[workflow]` generates.
//!
//! The compiler knows the syntax of a workflow; rustc knows its types. Generated code mirrors
//! each expression of the workflow with calls to this module, and the types flow through
//! [`Expr<T>`]: reading `order.total` asks `Order`'s [`Data`] for the JSON name of `total`, so
//! serde renames are honoured and a field that does not exist is a type error at the user's
//! token.
//!
//! Literal strings are written as JSON string literals with `%` escaped, so no value can end
//! the `{% … %}` template it sits in; in a JSON template, a literal string that Step Functions
//! would evaluate (one from `{%` to `%}`, at any depth of a literal) is written as an
//! expression whose value is that string.
//!
//! This module is the one place that writes JSONata: the macros' generated code, the runtime's
//! ASL model (`asl.rs`, `workflow.rs`, `callback.rs`) and nothing else build expressions here,
//! through typed constructors — the operators ([`Op`]), the state's input ([`state_input`]),
//! the results a state receives ([`payload_result`], [`task_result`], [`child_result`],
//! [`branch_result`], [`map_result`]), the caught error ([`error_output`]) and the task token
//! ([`task_token`]). Literals arrive as [`serde_json::Value`]s ([`lit`]). The subset it emits is:
//!
//! | Rust | JSONata |
//! | --- | --- |
//! | the workflow's input / a variable | `$states.context.Execution.Input` / `$name` |
//! | `x.field` | `x.jsonName` (backquoted when not a plain name, ``x.$lookup($, "a`b")`` when it holds a backquote); a `#[serde(default)]` or `Option` field: `($exists(p) ? p : default)` |
//! | `x.0`, `x[i]` | `x[0]`, `x[i]` |
//! | literals, `None`, `Some(x)` | JSON literals (`%` escaped), `null`, `x` |
//! | `T { a: x }`, enum variants | object constructors / JSON values per serde's representation |
//! | `[a, b]`, `vec![..]`, `(a, b)` | `[a, b]` |
//! | `==` `!=` `&&` `\|\|` `!` | `=` `!=` `and` `or` `$not()` |
//! | `<` `<=` `>` `>=` | the same on numbers; on strings and chars, on keys that order by code point ([`compare`]) |
//! | `+` `-` `*` `%` `/`, `as`, `T::from` | `+` (`&` for strings) `-` `*` `%`; integer `/` truncates; `as` truncates and saturates floats, wraps integers ([`cast`]); no `f32` ([`Arithmetic`]) |
//! | `len()`, `chars().count()`, `is_empty()` | UTF-8 bytes (strings, [`len`]), `$length()`, `$count()` (arrays), `$count($keys())` (maps) |
//! | `is_some()`, `is_none()`, `unwrap_or()` | `$exists()` and `null` tests |
//! | `to_string()`, `format!` | `$formatBase(n, 10)` (integers), `$string()` (strings, chars, booleans; nothing else: [`Text`]), `&` |
//! | matching a variant | `x = "name"`, `$exists(x.name)`, `x.tag = "name"` |
//!
//! `tests/emitted_jsonata.rs` evaluates each form with the executor's JSONata engine.

use crate::data::{Data, Field, Repr};
use serde_json::Value;
use std::marker::PhantomData;

/// A JSONata expression whose value is the JSON form of a `T`.
pub struct Expr<T: ?Sized> {
    node: Node,
    _type: PhantomData<fn() -> T>,
}

impl<T: ?Sized> Clone for Expr<T> {
    fn clone(&self) -> Self {
        Expr { node: self.node.clone(), _type: PhantomData }
    }
}

impl<T: ?Sized> std::fmt::Debug for Expr<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.node.source())
    }
}

/// The type of expressions whose Rust type does not matter to the compiler (booleans of
/// conditions, results of arithmetic on literals, …).
#[derive(Debug)]
pub enum Any {}

/// The error bound by a `Catch`: `{"Error": name, "Cause": text}`.
#[derive(Debug)]
pub enum Caught {}

#[derive(Debug, Clone)]
enum Node {
    /// JSONata source; `atomic` if it needs no parentheses as an operand or path base.
    Src { text: String, atomic: bool },
    /// A JSON value known when the definition is built.
    Lit(Value),
    /// An object constructor.
    Object(Vec<(String, Node)>),
    /// An array constructor.
    Array(Vec<Node>),
}

impl Node {
    fn source(&self) -> String {
        match self {
            Node::Src { text, .. } => text.clone(),
            Node::Lit(value) => literal(value),
            Node::Object(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{}: {}", literal(&Value::from(k.as_str())), v.source()))
                    .collect();
                format!("{{{}}}", fields.join(", "))
            }
            Node::Array(items) => {
                let items: Vec<String> = items.iter().map(Node::source).collect();
                format!("[{}]", items.join(", "))
            }
        }
    }

    fn operand(&self) -> String {
        match self {
            Node::Src { text, atomic: false } => format!("({text})"),
            other => other.source(),
        }
    }

    fn template(&self) -> Value {
        match self {
            Node::Src { text, .. } => Value::String(format!("{{% {text} %}}")),
            Node::Lit(value) => literal_template(value),
            Node::Object(fields) => Value::Object(fields.iter().map(|(k, v)| (k.clone(), v.template())).collect()),
            Node::Array(items) => Value::Array(items.iter().map(Node::template).collect()),
        }
    }
}

/// A JSON value as JSONata source, `%` escaped so it cannot close a template.
fn literal(value: &Value) -> String {
    serde_json::to_string(value).expect("JSON values serialise").replace('%', "\\u0025")
}

/// A JSON value as a template: the value itself, but every string in it that Step Functions
/// would evaluate (a JSON string value from `{%` to `%}`, at any depth) becomes an expression
/// whose value is that string.
fn literal_template(value: &Value) -> Value {
    match value {
        Value::String(s) if s.trim_start().starts_with("{%") && s.trim_end().ends_with("%}") => {
            Value::String(format!("{{% {} %}}", literal(value)))
        }
        Value::Array(items) => Value::Array(items.iter().map(literal_template).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), literal_template(v))).collect()),
        other => other.clone(),
    }
}

fn src<T: ?Sized>(text: String, atomic: bool) -> Expr<T> {
    Expr { node: Node::Src { text, atomic }, _type: PhantomData }
}

fn retype<T: ?Sized, U: ?Sized>(node: Node) -> Expr<U> {
    let _ = PhantomData::<fn() -> T>;
    Expr { node, _type: PhantomData }
}

impl<T: ?Sized> Expr<T> {
    /// The JSONata source.
    pub fn source(&self) -> String {
        self.node.source()
    }

    /// The expression as a JSON template: objects and arrays stay JSON, every computed leaf is
    /// a `{% … %}` string.
    pub fn template(&self) -> Value {
        self.node.template()
    }

    /// The expression as a state's `Output`: an object template, or one `{% … %}` string
    /// (validators accept no other shape there).
    pub fn output_template(&self) -> Value {
        match &self.node {
            Node::Object(_) | Node::Src { .. } => self.node.template(),
            Node::Lit(Value::Object(_) | Value::String(_)) => self.node.template(),
            other => Value::String(format!("{{% {} %}}", other.source())),
        }
    }

    /// The expression as a `{% … %}` string (for fields that take one template string).
    pub fn template_string(&self) -> String {
        format!("{{% {} %}}", self.node.source())
    }

    /// The same expression, seen as another type.
    pub fn cast<U: ?Sized>(&self) -> Expr<U> {
        retype::<T, U>(self.node.clone())
    }
}

/// A JSON name as a JSONata path step: bare when it is a plain name, backquoted otherwise, and
/// `$lookup($, "name")` (the same step, by a string literal) when it holds a backquote, which
/// ends a backquoted name (JSONata has no escape there).
fn step(name: &str) -> String {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(name, "and" | "or" | "in" | "true" | "false" | "null" | "function");
    if plain {
        name.to_owned()
    } else if name.contains('`') {
        format!("$lookup($, {})", literal(&Value::from(name)))
    } else {
        format!("`{name}`")
    }
}

/// The operators whose JSONata spelling does not depend on types (`+` and `/` do: see [`add`]
/// and [`div`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Sub,
    Mul,
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

impl Op {
    /// The JSONata operator.
    pub fn jsonata(self) -> &'static str {
        match self {
            Op::Sub => "-",
            Op::Mul => "*",
            Op::Rem => "%",
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::And => "and",
            Op::Or => "or",
        }
    }
}

/// The execution's input: the workflow's argument.
pub fn input<T>() -> Expr<T> {
    src("$states.context.Execution.Input".into(), true)
}

/// The workflow variable `name`.
pub fn var<T: ?Sized>(name: &str) -> Expr<T> {
    src(format!("${name}"), true)
}

/// The workflow variable `name`, holding values like `like`.
pub fn var_like<T: ?Sized>(like: &Expr<T>, name: &str) -> Expr<T> {
    let _ = like;
    var(name)
}

/// `value` as a JSON string (the cause of a `Fail` raising an error with fields).
pub fn to_json_string<T: ?Sized>(value: &Expr<T>) -> Expr<String> {
    src(format!("$string({})", value.node.source()), true)
}

/// The state's input (inside a Map iteration's first state).
pub fn state_input<T: ?Sized>() -> Expr<T> {
    src("$states.input".into(), true)
}

/// A Lambda task's result: the function's response payload.
pub fn payload_result<T: ?Sized>() -> Expr<T> {
    src("$states.result.Payload".into(), true)
}

/// A task's whole result (a callback's token result, a Map state's outputs).
pub fn task_result<T: ?Sized>() -> Expr<T> {
    src("$states.result".into(), true)
}

/// A child workflow's result: its execution's output.
pub fn child_result<T: ?Sized>() -> Expr<T> {
    src("$states.result.Output".into(), true)
}

/// Element `index` of a Parallel state's result: that branch's output.
pub fn branch_result<T: ?Sized>(index: usize) -> Expr<T> {
    src(format!("$states.result[{index}]"), true)
}

/// A Map state's result: every iteration's output.
pub fn map_result<T: ?Sized>() -> Expr<T> {
    task_result()
}

/// The error a `Catch` caught: `{"Error", "Cause"}`.
pub fn error_output() -> Expr<Caught> {
    src("$states.errorOutput".into(), true)
}

/// The token of a `.waitForTaskToken` task.
pub fn task_token() -> Expr<String> {
    src("$states.context.Task.Token".into(), true)
}

/// The error name of a failed child execution, read in the state after its Catch: a child
/// fails its task with `States.TaskFailed` and its `DescribeExecution` as the cause, whose own
/// error is raised; any other error is raised as it is.
pub fn child_failure_error() -> Expr<String> {
    child_failure("Error")
}

/// The cause of a failed child execution (see [`child_failure_error`]).
pub fn child_failure_cause() -> Expr<String> {
    child_failure("Cause")
}

fn child_failure(member: &str) -> Expr<String> {
    src(
        format!(
            "$substring($states.input.Cause, 0, 1) = \"{{\" and $exists($parse($states.input.Cause).ExecutionArn) ? $parse($states.input.Cause).{member} : $states.input.{member}"
        ),
        false,
    )
}

/// `base.field`, with the field's JSON name.
///
/// `probe` is never called: it lets rustc infer the field's type, and makes a misspelt field a
/// type error at the user's token.
pub fn field<T: Data, F>(base: &Expr<T>, field: &str, probe: fn(&T) -> &F) -> Expr<F> {
    let _ = probe;
    match T::json_field(field) {
        Some(Field::Key(key)) => {
            let path = format!("{}.{}", base.node.operand(), step(key));
            match T::json_default(field) {
                // serde fills a missing field with its default; JSONata would see nothing.
                Some(default) => src(format!("($exists({path}) ? {path} : {})", literal(&default)), true),
                None => src(path, true),
            }
        }
        Some(Field::Flattened) => retype::<T, F>(base.node.clone()),
        None => panic!("field `{field}` is not serialised (`#[serde(skip)]`), so a workflow cannot read it"),
    }
}

/// `base.0`: a tuple's element.
pub fn tuple_field<T, F>(base: &Expr<T>, index: usize, probe: fn(&T) -> &F) -> Expr<F> {
    let _ = probe;
    src(format!("{}[{index}]", base.node.operand()), true)
}

/// `base[index]`.
pub fn index<T: std::ops::Index<usize> + ?Sized, I: ?Sized>(base: &Expr<T>, index: &Expr<I>) -> Expr<T::Output> {
    src(format!("{}[{}]", base.node.operand(), index.node.source()), true)
}

/// A literal value.
pub fn lit<T: ?Sized>(value: Value) -> Expr<T> {
    Expr { node: Node::Lit(value), _type: PhantomData }
}

/// `null` (Rust's `None`).
pub fn null<T: ?Sized>() -> Expr<T> {
    lit(Value::Null)
}

/// `Some(value)`: the value itself (serde writes `Some(x)` as `x`).
pub fn some<T>(value: &Expr<T>) -> Expr<Option<T>> {
    retype::<T, Option<T>>(value.node.clone())
}

/// The value inside an `Option` (for `if let Some(x) = …`).
pub fn some_inner<T>(value: &Expr<Option<T>>) -> Expr<T> {
    retype::<Option<T>, T>(value.node.clone())
}

/// The items of a collection (for `for item in …`).
pub fn item_of<C: IntoIterator>(collection: &Expr<C>) -> Expr<C::Item> {
    let _ = collection;
    state_input()
}

/// The `ItemSelector` of a Map over `items.enumerate()`: each iteration's input is
/// `{"index": i, "item": item}`, since Step Functions gives the Map context
/// (`$states.context.Map.Item`) to `ItemSelector` only.
pub fn indexed_item_selector() -> Value {
    let context = |member: &str| Node::Src { text: format!("$states.context.Map.Item.{member}"), atomic: true };
    Node::Object(vec![(INDEX_KEY.to_owned(), context("Index")), (ITEM_KEY.to_owned(), context("Value"))]).template()
}

const INDEX_KEY: &str = "index";
const ITEM_KEY: &str = "item";

/// The item's index, in a Map iteration whose input [`indexed_item_selector`] made.
pub fn indexed_index() -> Expr<usize> {
    src(format!("$states.input.{INDEX_KEY}"), true)
}

/// The item, in a Map iteration whose input [`indexed_item_selector`] made.
pub fn indexed_item<T: ?Sized>() -> Expr<T> {
    src(format!("$states.input.{ITEM_KEY}"), true)
}

/// The items of a collection, in a Map iteration whose input [`indexed_item_selector`] made
/// (for `for (i, item) in ….enumerate()`).
pub fn indexed_item_of<C: IntoIterator>(collection: &Expr<C>) -> Expr<C::Item> {
    let _ = collection;
    indexed_item()
}

/// A collection of values like `item` (what a `for` loop collects).
pub fn collection_of<T>(item: &Expr<T>) -> Expr<Vec<T>> {
    let _ = item;
    map_result()
}

/// A struct value built field by field: `T { a: x, b: y }`.
pub fn object<T: Data>(fields: Vec<(&str, Expr<Any>)>) -> Expr<T> {
    // Each member is a key and its value, or (`None`) a flattened value known only as an
    // expression, whose members are merged in. Any string is a key, `""` too.
    let mut out: Vec<(Option<String>, Node)> = Vec::new();
    for (name, value) in fields {
        match T::json_field(name) {
            Some(Field::Key(key)) => out.push((Some(key.to_owned()), value.node)),
            Some(Field::Flattened) => match value.node {
                Node::Object(inner) => out.extend(inner.into_iter().map(|(k, v)| (Some(k), v))),
                other => out.push((None, other)),
            },
            None => {}
        }
    }
    if out.iter().all(|(k, _)| k.is_some()) {
        let members = out.into_iter().map(|(k, v)| (k.expect("every member has a key"), v)).collect();
        return Expr { node: Node::Object(members), _type: PhantomData };
    }
    let merged: Vec<String> = out
        .iter()
        .map(|(k, v)| match k {
            None => v.source(),
            Some(k) => format!("{{{}: {}}}", literal(&Value::from(k.as_str())), v.source()),
        })
        .collect();
    src(format!("$merge([{}])", merged.join(", ")), true)
}

/// An object with these keys as they are (no `Data` renames).
pub fn raw_object(fields: Vec<(&str, Expr<Any>)>) -> Expr<Any> {
    Expr { node: Node::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v.node)).collect()), _type: PhantomData }
}

/// A struct variant of an enum built field by field: `Outcome::Shipped { tracking: x }`.
pub fn variant_object<T: Data>(variant: &str, fields: Vec<(&str, Expr<Any>)>) -> Expr<T> {
    let v = T::json_variant(variant).unwrap_or_else(|| panic!("`{variant}` is not a variant described by `Data`"));
    let mut content = Vec::new();
    for (name, value) in fields {
        match T::json_variant_field(variant, name) {
            Some(Field::Key(key)) => content.push((key.to_owned(), value.node)),
            Some(Field::Flattened) => match value.node {
                Node::Object(inner) => content.extend(inner),
                _ => panic!("a flattened field must be built as a struct"),
            },
            None => {}
        }
    }
    let tag = |tag: &str| (tag.to_owned(), Node::Lit(Value::from(v.name)));
    let node = match v.repr {
        Repr::External => Node::Object(vec![(v.name.to_owned(), Node::Object(content))]),
        Repr::Internal { tag: key } => {
            let mut all = vec![tag(key)];
            all.extend(content);
            Node::Object(all)
        }
        Repr::Adjacent { tag: key, content: content_key } => {
            Node::Object(vec![tag(key), (content_key.to_owned(), Node::Object(content))])
        }
        Repr::Untagged => Node::Object(content),
    };
    Expr { node, _type: PhantomData }
}

/// A unit variant of an enum: `Tier::Gold`.
pub fn unit_variant<T: Data>(variant: &str) -> Expr<T> {
    let v = T::json_variant(variant).unwrap_or_else(|| panic!("`{variant}` is not a variant described by `Data`"));
    match v.repr {
        Repr::External => lit(Value::from(v.name)),
        Repr::Internal { tag } | Repr::Adjacent { tag, .. } => lit(serde_json::json!({ tag: v.name })),
        Repr::Untagged => lit(Value::Null),
    }
}

/// The condition that `value` is the variant `variant`.
pub fn is_variant<T: Data>(value: &Expr<T>, variant: &str) -> Expr<bool> {
    let v = T::json_variant(variant).unwrap_or_else(|| panic!("`{variant}` is not a variant described by `Data`"));
    let base = value.node.operand();
    let name = literal(&Value::from(v.name));
    let text = match v.repr {
        Repr::External if v.unit => format!("{base} = {name}"),
        Repr::External => format!("$type({base}) = \"object\" and $exists({base}.{})", step(v.name)),
        Repr::Internal { tag } | Repr::Adjacent { tag, .. } => format!("{base}.{} = {name}", step(tag)),
        Repr::Untagged => panic!("variants of an untagged enum cannot be told apart in a state machine"),
    };
    src(text, false)
}

/// A field of a struct variant: `Payment::Card { last4, .. }` binds `last4`.
pub fn variant_field<T: Data, F>(value: &Expr<T>, variant: &str, field: &str, probe: fn(&T) -> &F) -> Expr<F> {
    let _ = probe;
    let v = T::json_variant(variant).unwrap_or_else(|| panic!("`{variant}` is not a variant described by `Data`"));
    let content = variant_content(&value.node, v.name, v.repr);
    match T::json_variant_field(variant, field) {
        Some(Field::Key(key)) => src(format!("{content}.{}", step(key)), true),
        Some(Field::Flattened) => src(content, true),
        None => panic!("field `{field}` of `{variant}` is not serialised"),
    }
}

/// The content of a newtype variant: `Payment::Card(card)` binds `card`.
pub fn variant_content_of<T: Data, F>(value: &Expr<T>, variant: &str, probe: fn(&T) -> &F) -> Expr<F> {
    let _ = probe;
    let v = T::json_variant(variant).unwrap_or_else(|| panic!("`{variant}` is not a variant described by `Data`"));
    src(variant_content(&value.node, v.name, v.repr), true)
}

fn variant_content(base: &Node, name: &str, repr: Repr) -> String {
    let base = base.operand();
    match repr {
        Repr::External => format!("{base}.{}", step(name)),
        Repr::Adjacent { content, .. } => format!("{base}.{}", step(content)),
        Repr::Internal { .. } | Repr::Untagged => base,
    }
}

/// The first problem the checks of a workflow's input ([`crate::input`]) find in the
/// execution's input (`$states.input` of the first state), as its message; undefined when it
/// passes. The same checks, in the same order, with the same messages, as
/// [`crate::input::problem`] applies natively.
pub fn input_problem(checks: &[crate::input::Check]) -> Expr<Any> {
    use crate::input::Kind;
    let path = |keys: &[String]| keys.iter().fold("$states.input".to_owned(), |p, k| format!("{p}.{}", step(k)));
    // Checks apply within objects only, as natively. The chain stops at the first failing
    // check, so a field an earlier check requires to be present and an object needs no test.
    let mut objects: Vec<&[String]> = Vec::new();
    let mut present: Vec<&[String]> = vec![&[]];
    let mut conditions = Vec::new();
    for check in checks {
        let mut terms: Vec<String> = (0..check.path.len())
            .filter(|&n| !(objects.contains(&&check.path[..n]) && present.contains(&&check.path[..n])))
            .map(|n| format!("$type({}) = \"object\"", path(&check.path[..n])))
            .collect();
        let value = path(&check.path);
        match &check.kind {
            Kind::Present => terms.push(format!("$not($exists({value}))")),
            Kind::Valid(expected) => {
                terms.push(format!("$not({})", admits(expected, &value)));
                if !present.contains(&check.path.as_slice()) {
                    terms.insert(terms.len() - 1, format!("$exists({value})"));
                }
                if expected.types == ["object"] {
                    objects.push(&check.path);
                }
            }
        }
        if matches!(check.kind, Kind::Present) {
            present.push(&check.path);
        }
        conditions.push((terms.join(" and "), literal(&Value::from(check.message()))));
    }
    let text = conditions.iter().rev().fold(String::new(), |otherwise, (condition, message)| {
        if otherwise.is_empty() {
            format!("{condition} ? {message}")
        } else {
            format!("{condition} ? {message} : ({otherwise})")
        }
    });
    src(format!("({text})"), true)
}

/// The condition that `value` is one of `expected` (see [`input_problem`]).
fn admits(expected: &crate::input::Expected, value: &str) -> String {
    let bounds = |mut base: String| {
        if let Some(lo) = expected.minimum {
            base.push_str(&format!(" and {value} >= {lo}"));
        }
        if let Some(hi) = expected.maximum {
            base.push_str(&format!(" and {value} <= {hi}"));
        }
        base
    };
    let kinds: Vec<String> = expected
        .types
        .iter()
        .map(|t| match t.as_str() {
            "integer" => bounds(format!("$type({value}) = \"number\" and $floor({value}) = {value}")),
            "number" => bounds(format!("$type({value}) = \"number\"")),
            "string" => match &expected.one_of {
                Some(names) => {
                    format!("$type({value}) = \"string\" and {value} in {}", literal(&Value::from(names.clone())))
                }
                None => format!("$type({value}) = \"string\""),
            },
            "array" => match &expected.items {
                Some(items) => format!(
                    "$type({value}) = \"array\" and $not($exists($filter({value}, function($__e) {{ $not({}) }})))",
                    admits(items, "$__e")
                ),
                None => format!("$type({value}) = \"array\""),
            },
            other => format!("$type({value}) = {}", literal(&Value::from(other))),
        })
        .map(|term| format!("({term})"))
        .collect();
    kinds.join(" or ")
}

/// A binary operator whose meaning does not depend on types: `==`, `!=`, `and`, `or` (JSON
/// equality is Rust's on every serialised value; orderings go through [`compare`]).
pub fn binary<A: ?Sized, B: ?Sized>(left: &Expr<A>, op: Op, right: &Expr<B>) -> Expr<Any> {
    src(format!("{} {} {}", left.node.operand(), op.jsonata(), right.node.operand()), false)
}

/// `left < right` (and `<=`, `>`, `>=`): numbers as numbers, strings and chars by code point as
/// Rust orders them (JSONata compares UTF-16 code units, which puts U+E000–U+FFFF after every
/// character past U+FFFF).
pub fn compare<A: Ordered + ?Sized, B: ?Sized>(left: &Expr<A>, op: Op, right: &Expr<B>) -> Expr<Any> {
    if !A::TEXT {
        return binary(left, op, right);
    }
    // The key of a string orders by code point under UTF-16 comparison: a character past U+FFFF
    // (a surrogate pair, 4 UTF-8 bytes) gets U+FFFF in front, U+FFFF itself becomes U+FFFF U+0000.
    let (max, nul) = (literal(&Value::from("\u{FFFF}")), literal(&Value::from("\u{FFFF}\u{0}")));
    let key = format!(
        "$__key := function($__s) {{ $__s = \"\" ? \"\" : $join($map([0..$length($__s) - 1], function($__i) {{ \
         ($__c := $substring($__s, $__i, 1); $__c = {max} ? {nul} : $length($encodeUrlComponent($__c)) = 12 ? {max} & $__c : $__c) }})) }}"
    );
    src(format!("({key}; $__key({}) {} $__key({}))", left.node.source(), op.jsonata(), right.node.source()), true)
}

/// `!value`.
pub fn not<A: ?Sized>(value: &Expr<A>) -> Expr<Any> {
    src(format!("$not({})", value.node.source()), true)
}

/// `-value`.
pub fn neg<A: Arithmetic + ?Sized>(value: &Expr<A>) -> Expr<A> {
    src(format!("-{}", value.node.operand()), false)
}

/// How `+`, `/`, `as`, orderings, `len()` and `to_string()` read a type.
pub trait JsonKind {
    /// `+` concatenates (strings) rather than adds.
    const CONCAT: bool = false;
    /// Division truncates (integers).
    const INTEGER: bool = false;
    /// `len()` counts UTF-8 bytes, orderings compare code points (strings, chars).
    const TEXT: bool = false;
    /// `len()` counts keys (maps).
    const MAP: bool = false;
    /// The smallest and largest value of an integer type, and its width in bits (`as` wraps
    /// into it; a float saturates).
    const BOUNDS: (f64, f64, u32) = (0.0, 0.0, 0);
}

macro_rules! kinds {
    (integer: $($i:ty),*; float: $($f:ty),*) => {
        $(impl JsonKind for $i {
            const INTEGER: bool = true;
            const BOUNDS: (f64, f64, u32) = (<$i>::MIN as f64, <$i>::MAX as f64, <$i>::BITS);
        })*
        $(impl JsonKind for $f {})*
        $(impl Arithmetic for $i {} impl Ordered for $i {} impl Text for $i {})*
        $(impl Ordered for $f {})*
    };
}
kinds!(integer: i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize; float: f32, f64);
impl Arithmetic for f64 {}

impl JsonKind for String {
    const CONCAT: bool = true;
    const TEXT: bool = true;
}
impl JsonKind for str {
    const CONCAT: bool = true;
    const TEXT: bool = true;
}
impl JsonKind for char {
    const TEXT: bool = true;
}
impl JsonKind for bool {}
impl Arithmetic for String {}
impl Arithmetic for str {}
impl Ordered for String {}
impl Ordered for str {}
impl Ordered for char {}
impl Text for String {}
impl Text for str {}
impl Text for char {}
impl Text for bool {}
impl<T> JsonKind for Vec<T> {}
impl<T> JsonKind for [T] {}
impl<T, const N: usize> JsonKind for [T; N] {}
impl<T> JsonKind for std::collections::VecDeque<T> {}
impl<T> JsonKind for std::collections::BTreeSet<T> {}
impl<T, S> JsonKind for std::collections::HashSet<T, S> {}
impl<K, V> JsonKind for std::collections::BTreeMap<K, V> {
    const MAP: bool = true;
}
impl<K, V, S> JsonKind for std::collections::HashMap<K, V, S> {
    const MAP: bool = true;
}
impl<T: JsonKind + ?Sized> JsonKind for &T {
    const CONCAT: bool = T::CONCAT;
    const INTEGER: bool = T::INTEGER;
    const TEXT: bool = T::TEXT;
    const MAP: bool = T::MAP;
    const BOUNDS: (f64, f64, u32) = T::BOUNDS;
}
impl<T: Arithmetic + ?Sized> Arithmetic for &T {}
impl<T: Ordered + ?Sized> Ordered for &T {}
impl<T: Text + ?Sized> Text for &T {}
impl JsonKind for Any {}

/// Types whose arithmetic (`+ - * / %`, unary `-`, `as`) a state machine computes as Rust does:
/// integers (exactly up to 2^53, as JSON numbers are doubles), `f64`, and strings for `+`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` arithmetic cannot be computed by a state machine as Rust computes it",
    label = "not computable in the state machine",
    note = "JSON numbers are doubles: `f32` rounds every result to single precision, which JSONata cannot do; use `f64`, or compute this in an activity"
)]
pub trait Arithmetic: JsonKind {}

/// Types a state machine orders as Rust does: numbers, strings and chars.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be ordered in a state machine",
    label = "compared with `<`, `<=`, `>` or `>=`",
    note = "a workflow orders numbers, strings and chars; for an `Option`, test `is_some()` first and compare the value, or compare in an activity"
)]
pub trait Ordered: JsonKind {}

/// Types a state machine writes as Rust's `Display` does (`to_string()`, `format!("{}")`):
/// strings, chars, booleans and integers.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be formatted by a state machine as Rust formats it",
    label = "formatted here",
    note = "a workflow's `format!` and `to_string()` take strings, chars, booleans and integers: JSONata writes floats with 15 significant digits (Rust: all that are needed) and other values as JSON; format this value in an activity"
)]
pub trait Text: JsonKind {}

/// `left + right`: addition, or concatenation for strings.
pub fn add<A: Arithmetic + ?Sized, B: ?Sized>(left: &Expr<A>, right: &Expr<B>) -> Expr<A> {
    let op = if A::CONCAT { "&" } else { "+" };
    exact(format!("{} {op} {}", left.node.operand(), right.node.operand()))
}

/// `left op right` for `-`, `*` and `%` (JSONata's `%` truncates like Rust's: `-7 % 2 == -1`).
pub fn arith<A: Arithmetic + ?Sized, B: ?Sized>(left: &Expr<A>, op: Op, right: &Expr<B>) -> Expr<A> {
    let text = format!("{} {} {}", left.node.operand(), op.jsonata(), right.node.operand());
    if matches!(op, Op::Rem) { src(text, false) } else { exact(text) }
}

/// An integer sum, difference or product as Rust has it, or none: within the type's bounds
/// (where Rust panics on overflow) and ±(2^53 − 1) (past which a double skips integers), else
/// the evaluation fails (`States.QueryEvaluationError`), as the native run does
/// (`workflow::add`). Other values as they are.
fn exact<A: JsonKind + ?Sized>(text: String) -> Expr<A> {
    if !A::INTEGER {
        return src(text, false);
    }
    let safe = crate::workflow::SAFE_INTEGER;
    let (min, max) = (A::BOUNDS.0.max(-safe), A::BOUNDS.1.min(safe));
    src(
        format!(
            "($__r := {text}; $__r >= {min} and $__r <= {max} ? $__r : $error(\"integer overflow: the result is outside \
             {min}..{max}\"))"
        ),
        true,
    )
}

/// `left / right`: integer division truncates toward zero, as in Rust.
pub fn div<A: Arithmetic + ?Sized, B: ?Sized>(left: &Expr<A>, right: &Expr<B>) -> Expr<A> {
    let quotient = format!("{} / {}", left.node.operand(), right.node.operand());
    if A::INTEGER {
        src(format!("($__q := {quotient}; $__q < 0 ? $ceil($__q) : $floor($__q))"), true)
    } else {
        src(quotient, false)
    }
}

/// `value as T` (and `T::from(value)`) between number types, as Rust converts: a float
/// becomes an integer by truncation, saturated to the type's bounds; an integer that does not
/// fit the target type wraps around (`300 as u8 == 44`, `-1 as u8 == 255`).
pub fn cast<S: Arithmetic + ?Sized, T: Arithmetic>(value: &Expr<S>) -> Expr<T> {
    let base = value.node.source();
    let (min, max, bits) = T::BOUNDS;
    if T::INTEGER && !S::INTEGER {
        return src(
            format!(
                "($__n := {base}; $__t := $__n < 0 ? $ceil($__n) : $floor($__n); $__t < {min} ? {min} : $__t > {max} ? {max} : $__t)"
            ),
            true,
        );
    }
    if T::INTEGER && (S::BOUNDS.0 < min || S::BOUNDS.1 > max) {
        let modulus = 2f64.powi(bits as i32);
        let wrapped = format!("($__n := {base} % {modulus}; $__n < 0 ? $__n + {modulus} : $__n)");
        let text =
            if min < 0.0 { format!("($__w := {wrapped}; $__w > {max} ? $__w - {modulus} : $__w)") } else { wrapped };
        return src(text, true);
    }
    retype::<S, T>(value.node.clone())
}

/// `value.len()`: a string's length in UTF-8 bytes as Rust counts it (JSONata's `$length`
/// counts characters: `"Björn"` is 6 bytes, 5 characters), a collection's elements, a map's keys.
pub fn len<A: JsonKind + ?Sized>(value: &Expr<A>) -> Expr<usize> {
    let base = value.node.source();
    let text = if A::TEXT {
        // `$encodeUrlComponent` writes each UTF-8 byte outside the unreserved ASCII set as `%XX`.
        format!("$length($replace($encodeUrlComponent({base}), /%[0-9A-F][0-9A-F]/, \"-\"))")
    } else if A::MAP {
        format!("$count($keys({base}))")
    } else {
        format!("$count({base})")
    };
    src(text, true)
}

/// `value.chars().count()`: a string's characters (Unicode scalar values).
pub fn char_count<A: JsonKind + ?Sized>(value: &Expr<A>) -> Expr<usize> {
    src(format!("$length({})", value.node.source()), true)
}

/// `value.is_empty()`.
pub fn is_empty<A: JsonKind + ?Sized>(value: &Expr<A>) -> Expr<bool> {
    let size = if A::TEXT { char_count(value) } else { len(value) };
    src(format!("{} = 0", size.node.source()), false)
}

/// `value.is_some()`.
pub fn is_some<T>(value: &Expr<Option<T>>) -> Expr<bool> {
    let base = value.node.operand();
    src(format!("($exists({base}) and {base} != null)"), true)
}

/// `value.is_none()`.
pub fn is_none<T>(value: &Expr<Option<T>>) -> Expr<bool> {
    let base = value.node.operand();
    src(format!("($not($exists({base})) or {base} = null)"), true)
}

/// `value.unwrap_or(default)`.
pub fn unwrap_or<T, D: ?Sized>(value: &Expr<Option<T>>, default: &Expr<D>) -> Expr<T> {
    let base = value.node.operand();
    src(format!("(($exists({base}) and {base} != null) ? {base} : {})", default.node.operand()), true)
}

/// `value.to_string()` (and each `{}` of `format!`): integers in decimal digits
/// (`$formatBase`, exact to 2^53, where `$string` keeps 15 significant digits), strings and
/// chars as they are, booleans as `true`/`false`.
pub fn to_string<T: Text + ?Sized>(value: &Expr<T>) -> Expr<String> {
    match &value.node {
        Node::Lit(Value::String(_)) => retype::<T, String>(value.node.clone()),
        other if T::INTEGER => src(format!("$formatBase({}, 10)", other.source()), true),
        other => src(format!("$string({})", other.source()), true),
    }
}

/// A value of unknown type as text (the fields of an error's message).
fn display_any(value: &Expr<Any>) -> Expr<String> {
    match &value.node {
        Node::Lit(Value::String(_)) => retype::<Any, String>(value.node.clone()),
        other => src(format!("$string({})", other.source()), true),
    }
}

/// `format!(..)`: the pieces concatenated.
pub fn concat(pieces: Vec<Expr<Any>>) -> Expr<String> {
    if pieces.is_empty() {
        return lit(Value::from(""));
    }
    let text: Vec<String> = pieces.iter().map(|p| p.node.operand()).collect();
    src(text.join(" & "), false)
}

/// An array: `vec![a, b]`, `[a, b]`, or a tuple `(a, b)`.
pub fn array<T>(items: Vec<Expr<Any>>) -> Expr<T> {
    Expr { node: Node::Array(items.into_iter().map(|i| i.node).collect()), _type: PhantomData }
}

/// An expression of any type seen as [`Any`] (for heterogeneous lists).
pub fn any<T: ?Sized>(value: &Expr<T>) -> Expr<Any> {
    value.cast()
}

/// The value of a successful `join!` result (`{"ok": value}`).
pub fn outcome_ok<T: ?Sized>(result: &Expr<T>) -> Expr<T> {
    src(format!("{}.ok", result.node.operand()), true)
}

/// The error of a failed `join!` result (`{"err": {"Error", "Cause"}}`).
pub fn outcome_err<T: ?Sized>(result: &Expr<T>) -> Expr<Caught> {
    src(format!("{}.err", result.node.operand()), true)
}

/// Whether a `join!` result failed (with one of `names`, if given).
pub fn outcome_failed<T: ?Sized>(result: &Expr<T>, names: Option<Vec<String>>) -> Expr<bool> {
    let base = result.node.operand();
    match names {
        None => src(format!("$exists({base}.err)"), true),
        Some(names) => {
            let names = literal(&Value::from(names));
            src(format!("($exists({base}.err) and {base}.err.Error in {names})"), true)
        }
    }
}

/// The caught error's name, for re-raising it. A failed child execution arrives as
/// `States.TaskFailed` with the child's `DescribeExecution` as cause: its own error is raised.
pub fn caught_error(value: &Expr<Caught>) -> Expr<String> {
    unwrapped(&value.node.operand(), "Error")
}

/// The caught error's cause, for re-raising it (a failed child's own cause).
pub fn caught_cause(value: &Expr<Caught>) -> Expr<String> {
    unwrapped(&value.node.operand(), "Cause")
}

/// The name a `Fail` state raises a caught error with (`name`, the caught name): the same, but a
/// `States.` name, which Step Functions reserves for its own errors, becomes `Stepcraft.`
/// (`States.Timeout` → `Stepcraft.Timeout`), as `stepcraft::workflow::reraised` does natively.
pub fn reraised_name(name: &Expr<String>) -> Expr<String> {
    let (reserved, renamed) = (crate::workflow::RESERVED_PREFIX, crate::workflow::RERAISED_PREFIX);
    let n = reserved.len();
    src(
        format!(
            "($caught := {}; $substring($caught, 0, {n}) = \"{reserved}\" ? \"{renamed}\" & $substring($caught, {n}) : $caught)",
            name.node.source()
        ),
        true,
    )
}

fn unwrapped(error: &str, member: &str) -> Expr<String> {
    src(
        format!(
            "({error}.Error = \"States.TaskFailed\" and $substring({error}.Cause, 0, 1) = \"{{\" and $exists($parse({error}.Cause).ExecutionArn) ? $parse({error}.Cause).{member} : {error}.{member})"
        ),
        true,
    )
}

/// The cause of a `Fail` raising variant `variant` of `E` with these fields: its message
/// (thiserror's `#[error("…")]` with the fields put in), else the fields as JSON.
pub fn error_message<E: crate::Error>(variant: &str, fields: Vec<(&str, Expr<Any>)>) -> Expr<String> {
    if let Some(template) = E::__message_template(variant)
        && let Some(pieces) = message_pieces(template, &fields)
    {
        return concat(pieces);
    }
    to_json_string(&raw_object(fields))
}

/// A thiserror format string as pieces: `{field}`, `{0}` and `{{`/`}}`; `None` for anything
/// else (format specifications, expressions).
fn message_pieces(template: &str, fields: &[(&str, Expr<Any>)]) -> Option<Vec<Expr<Any>>> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let name: String = chars.by_ref().take_while(|c| *c != '}').collect();
                let (_, value) = fields.iter().find(|(n, _)| *n == name)?;
                if !text.is_empty() {
                    pieces.push(lit(Value::String(std::mem::take(&mut text))));
                }
                pieces.push(any(&display_any(value)));
            }
            '}' => return None,
            c => text.push(c),
        }
    }
    if !text.is_empty() || pieces.is_empty() {
        pieces.push(lit(Value::String(text)));
    }
    Some(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Variant;

    #[allow(dead_code)]
    struct Order {
        order_id: String,
        total: u64,
        tags: Vec<String>,
        tier: Tier,
    }
    #[allow(dead_code)]
    enum Tier {
        Gold,
        Custom { pct: u8 },
    }

    impl Data for Order {
        fn json_field(field: &str) -> Option<Field> {
            match field {
                "order_id" => Some(Field::Key("orderId")),
                "total" => Some(Field::Key("total")),
                "tags" => Some(Field::Key("tag-list")),
                "tier" => Some(Field::Key("tier")),
                _ => None,
            }
        }
    }

    impl Data for Tier {
        fn json_field(_: &str) -> Option<Field> {
            None
        }
        fn json_variant(variant: &str) -> Option<Variant> {
            let (name, unit) = match variant {
                "Gold" => ("gold", true),
                "Custom" => ("custom", false),
                _ => return None,
            };
            Some(Variant { name, repr: Repr::External, unit })
        }
        fn json_variant_field(_: &str, field: &str) -> Option<Field> {
            (field == "pct").then_some(Field::Key("pct"))
        }
    }

    #[test]
    fn fields_use_json_names_and_quote_odd_ones() {
        let order: Expr<Order> = var("order");
        assert_eq!(field(&order, "order_id", |o| &o.order_id).source(), "$order.orderId");
        assert_eq!(field(&order, "tags", |o| &o.tags).source(), "$order.`tag-list`");
        let tags = field(&order, "tags", |o| &o.tags);
        assert_eq!(len(&tags).source(), "$count($order.`tag-list`)");
        let id = field(&order, "order_id", |o| &o.order_id);
        assert_eq!(
            len(&id).source(),
            r#"$length($replace($encodeUrlComponent($order.orderId), /%[0-9A-F][0-9A-F]/, "-"))"#
        );
        assert_eq!(char_count(&id).source(), "$length($order.orderId)");
    }

    #[test]
    fn literals_cannot_close_the_template() {
        let evil: Expr<String> = lit(Value::from("50%} {% $x"));
        assert_eq!(evil.source(), r#""50\u0025} {\u0025 $x""#);
        let template: Expr<String> = lit(Value::from("{% $secret %}"));
        assert_eq!(template.template(), Value::from(r#"{% "{\u0025 $secret \u0025}" %}"#));
    }

    #[test]
    fn arithmetic_follows_rust_types() {
        let order: Expr<Order> = var("order");
        let total = field(&order, "total", |o| &o.total);
        let two: Expr<i32> = lit(2.into());
        assert_eq!(div(&total, &two).source(), "($__q := $order.total / 2; $__q < 0 ? $ceil($__q) : $floor($__q))");
        let id = field(&order, "order_id", |o| &o.order_id);
        let suffix: Expr<&str> = lit("-x".into());
        assert_eq!(add(&id, &suffix).source(), r#"$order.orderId & "-x""#);
    }

    #[test]
    fn variants_follow_the_representation() {
        let order: Expr<Order> = var("order");
        let tier = field(&order, "tier", |o| &o.tier);
        assert_eq!(is_variant(&tier, "Gold").source(), r#"$order.tier = "gold""#);
        assert_eq!(
            is_variant(&tier, "Custom").source(),
            r#"$type($order.tier) = "object" and $exists($order.tier.custom)"#
        );
        let pct = variant_field(&tier, "Custom", "pct", |t| match t {
            Tier::Custom { pct } => pct,
            Tier::Gold => unreachable!(),
        });
        assert_eq!(pct.source(), "$order.tier.custom.pct");
    }

    #[test]
    fn objects_become_templates_with_computed_leaves() {
        let order: Expr<Order> = var("order");
        let id = field(&order, "order_id", |o| &o.order_id);
        let built: Expr<Order> = object(vec![("order_id", any(&id)), ("total", lit(5.into()))]);
        assert_eq!(built.template(), serde_json::json!({"orderId": "{% $order.orderId %}", "total": 5}));
        assert_eq!(built.source(), r#"{"orderId": $order.orderId, "total": 5}"#);
    }
}
