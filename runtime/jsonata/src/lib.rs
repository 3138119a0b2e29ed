//! A JSONata 2.0 evaluator over [`serde_json::Value`], built to agree with the
//! reference implementation (jsonata-js 2.0.6, the version AWS Step Functions
//! runs) result for result and error code for error code, plus the functions
//! Step Functions adds to it.
//!
//! Parse once, evaluate many times:
//!
//! ```
//! use serde_json::json;
//! use stepcraft_jsonata::{Env, Expression};
//!
//! let expr = Expression::parse(r#"{"total": $sum(items.price), "first": items[0].name}"#).unwrap();
//! let input = json!({"items": [{"name": "a", "price": 2}, {"name": "b", "price": 3.5}]});
//! let out = expr.evaluate(&input, &Env::new()).unwrap();
//! assert_eq!(out, Some(json!({"total": 5.5, "first": "a"})));
//! ```
//!
//! Step Functions expressions read `$states` and workflow variables, which the
//! caller binds in an [`Env`]; the expression text comes out of a `"{% … %}"`
//! string ([`is_jsonata_template`]):
//!
//! ```
//! use serde_json::json;
//! use stepcraft_jsonata::{is_jsonata_template, Env, Expression};
//!
//! let field = "{% $states.input.order.id & '-' & $suffix %}";
//! let expr = Expression::parse(is_jsonata_template(field).unwrap()).unwrap();
//! let states = json!({"input": {"order": {"id": "o-1"}}});
//! let suffix = json!("x");
//! let env = Env::step_functions().bind("states", &states).bind("suffix", &suffix);
//! assert_eq!(expr.evaluate_opt(None, &env).unwrap(), Some(json!("o-1-x")));
//! ```
//!
//! A result of `None` is JSONata's *undefined* (no value), which is distinct
//! from an [`Error`]. Evaluation never panics: recursion is bounded
//! ([`Env::with_max_depth`]) and an optional step budget
//! ([`Env::with_max_steps`]) stops runaway loops.
//!
//! What is not implemented, or differs from jsonata-js, is listed in the
//! crate's README.

mod ast;
pub mod civil;
mod datetime;
mod env;
mod error;
mod eval;
mod format;
mod functions;
mod hash;
mod number;
mod parser;
mod reader;
mod regex;
mod signature;
mod value;

use std::rc::Rc;

use serde_json::Value;

pub use env::{DEFAULT_MAX_DEPTH, DEFAULT_MAX_STACK, Env, Host, SystemHost, java_random_next_double};
pub use error::{Error, Result};
pub use reader::VarRead;

use value::{Frame, OUTER_WRAPPER, SEQUENCE, Val};

/// A parsed JSONata expression. Immutable, `Send + Sync`, and cheap to
/// evaluate many times.
#[derive(Debug)]
pub struct Expression {
    root: ast::Node,
    labels: Vec<String>,
    source: String,
}

impl Expression {
    /// Parses an expression; syntax errors carry jsonata-js's `S0xxx` codes.
    pub fn parse(src: &str) -> Result<Expression> {
        match Self::parse_here(src) {
            Err(e) if e.is_stack_exhausted() => std::thread::scope(|scope| {
                std::thread::Builder::new()
                    .name("jsonata-parse".into())
                    .stack_size(BIG_STACK)
                    .spawn_scoped(scope, || Self::parse_with(src, BIG_STACK_BUDGET))
                    .map_err(|_| e.clone())
                    .and_then(|h| h.join().unwrap_or(Err(e)))
            }),
            other => other,
        }
    }

    fn parse_here(src: &str) -> Result<Expression> {
        Self::parse_with(src, parser::PARSE_STACK)
    }

    fn parse_with(src: &str, max_stack: usize) -> Result<Expression> {
        let tree = parser::Parser::parse(src, max_stack)?;
        let (root, labels) = ast::process(tree, max_stack)?;
        Ok(Expression { root, labels, source: src.to_string() })
    }

    /// The source text the expression was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates the expression against `input` (bound to `$` and `$$`).
    /// `Ok(None)` is JSONata's *undefined*.
    pub fn evaluate(&self, input: &Value, env: &Env<'_>) -> Result<Option<Value>> {
        self.evaluate_opt(Some(input), env)
    }

    /// Like [`Expression::evaluate`], with an undefined input when `input` is
    /// `None` (as Step Functions evaluates: the data is in `$states`).
    ///
    /// A result that is, or contains, a function has no JSON representation
    /// and is reported as error `X1002`.
    pub fn evaluate_opt(&self, input: Option<&Value>, env: &Env<'_>) -> Result<Option<Value>> {
        match self.run(input, env, env.max_stack()) {
            Err(e) if e.is_stack_exhausted() && env.max_stack() < BIG_STACK_BUDGET => {
                // Deep recursion: evaluate again on a thread with a large stack
                // (reserved, not committed, until used), as jsonata-js manages
                // thousands of nested calls. Only such evaluations pay for it.
                std::thread::scope(|scope| {
                    std::thread::Builder::new()
                        .name("jsonata-deep".into())
                        .stack_size(BIG_STACK)
                        .spawn_scoped(scope, || self.run(input, env, BIG_STACK_BUDGET))
                        .map_err(|_| e.clone())
                        .and_then(|h| h.join().unwrap_or(Err(e)))
                })
            }
            other => other,
        }
    }

    fn run(&self, input: Option<&Value>, env: &Env<'_>, max_stack: usize) -> Result<Option<Value>> {
        let ev = eval::Evaluator::new(env, &self.labels, max_stack);
        let root = Rc::new(Frame::default());
        let input_val = input.map(Val::from_json);
        root.bind("$", input_val.clone());
        let wrapped = match input_val {
            Some(v) if v.is_array() => Some(Val::array_with_flags(vec![v], SEQUENCE | OUTER_WRAPPER)),
            other => other,
        };
        let result = ev.eval(&self.root, &wrapped, &root)?;
        match result {
            None => Ok(None),
            Some(v) => v.to_json().map(Some),
        }
    }
}

/// The names (without `$`) of the built-in functions, in both modes: jsonata-js
/// 2.0.6's and the ones Step Functions adds (`$eval` is JSONata's only).
/// Sorted. A variable of one of these names shadows the built-in.
pub const BUILTIN_FUNCTIONS: &[&str] = &[
    "abs",
    "append",
    "assert",
    "average",
    "base64decode",
    "base64encode",
    "boolean",
    "ceil",
    "clone",
    "contains",
    "count",
    "decodeUrl",
    "decodeUrlComponent",
    "distinct",
    "each",
    "encodeUrl",
    "encodeUrlComponent",
    "error",
    "eval",
    "exists",
    "filter",
    "floor",
    "formatBase",
    "formatInteger",
    "formatNumber",
    "fromMillis",
    "hash",
    "join",
    "keys",
    "length",
    "lookup",
    "lowercase",
    "map",
    "match",
    "max",
    "merge",
    "millis",
    "min",
    "not",
    "now",
    "number",
    "pad",
    "parse",
    "parseInteger",
    "partition",
    "power",
    "random",
    "range",
    "reduce",
    "replace",
    "reverse",
    "round",
    "shuffle",
    "sift",
    "single",
    "sort",
    "split",
    "spread",
    "sqrt",
    "string",
    "substring",
    "substringAfter",
    "substringBefore",
    "sum",
    "toMillis",
    "trim",
    "type",
    "uppercase",
    "uuid",
    "zip",
];

/// Stack of the helper thread that deep recursions are moved to.
const BIG_STACK: usize = 1 << 30;
const BIG_STACK_BUDGET: usize = BIG_STACK - (16 << 20);

/// Recognises a Step Functions JSONata template — a string that starts with
/// `{%` and ends with `%}` — and returns the expression between the markers.
///
/// ```
/// use stepcraft_jsonata::is_jsonata_template;
/// assert_eq!(is_jsonata_template("{% $states.input %}"), Some(" $states.input "));
/// assert_eq!(is_jsonata_template(" {% 1 %}"), None);
/// assert_eq!(is_jsonata_template("plain"), None);
/// ```
pub fn is_jsonata_template(s: &str) -> Option<&str> {
    if s.len() >= 4 && s.starts_with("{%") && s.ends_with("%}") { Some(&s[2..s.len() - 2]) } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn expression_is_send_sync() {
        assert_send_sync::<Expression>();
    }
}
