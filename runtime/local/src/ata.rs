//! JSONata fields of JSONata states: `{% … %}` expressions compiled once, and the
//! JSON templates (`Arguments`, `Output`, `Assign` values, …) that embed them.
//!
//! An expression is evaluated with `$states` and the workflow variables it names
//! bound; an *undefined* result or an evaluation error becomes
//! `States.QueryEvaluationError` with the cause AWS writes, which names the field
//! (`Output/result`, `Arguments/FunctionName`, `Items`, …).

use serde_json::{Map, Value};
use stepcraft_jsonata::{Env, Expression, is_jsonata_template};

/// Names the parts of `$states` are bound under. `$states.input` and its siblings
/// are rewritten to these when an expression is compiled, so that each part is bound
/// by reference and no `$states` object has to be built (and the input copied) for
/// every evaluation. `¦` cannot occur in a workflow variable name.
pub const STATES_INPUT: &str = "states¦input";
pub const STATES_RESULT: &str = "states¦result";
pub const STATES_ERROR_OUTPUT: &str = "states¦errorOutput";
pub const STATES_CONTEXT: &str = "states¦context";
pub const EXECUTION_INPUT: &str = "states¦executionInput";

/// What of `$states` an expression reads beyond its rewritten parts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// `$states.context` (other than `.Execution.Input`): the context object.
    pub context: bool,
    /// …including `Execution` or the whole object, hence the execution input.
    pub context_input: bool,
    /// `$states` itself (not one of its fields): the whole object.
    pub whole: bool,
}

impl std::ops::BitOrAssign for Needs {
    fn bitor_assign(&mut self, o: Needs) {
        self.context |= o.context;
        self.context_input |= o.context_input;
        self.whole |= o.whole;
    }
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// Just past the string literal or `/* comment */` that starts at `b[i]`, or `None` when
/// neither starts there.
fn skip_literal(b: &[u8], i: usize) -> Option<usize> {
    match b[i] {
        q @ (b'"' | b'\'' | b'`') => {
            let mut j = i + 1;
            while j < b.len() && b[j] != q {
                if b[j] == b'\\' {
                    j += 1;
                }
                j += 1;
            }
            Some(j + 1)
        }
        b'/' if b.get(i + 1) == Some(&b'*') => {
            let mut j = i + 2;
            while j + 1 < b.len() && !(b[j] == b'*' && b[j + 1] == b'/') {
                j += 1;
            }
            Some(j + 2)
        }
        _ => None,
    }
}

/// Rewrites `$states.input`, `.result`, `.errorOutput`, `.context.Execution.Input`
/// and `.context` (outside string literals) to the names above.
fn rewrite(src: &str) -> (String, Needs) {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len() + 16);
    let mut needs = Needs::default();
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        if let Some(end) = skip_literal(b, i) {
            i = end;
            continue;
        }
        match b[i] {
            b'$' if src[i..].starts_with("$states") && !b.get(i + 7).is_some_and(|c| is_name_char(*c)) => {
                let rest = &src[i + 7..];
                let field = |name: &str| {
                    rest.strip_prefix(name).is_some_and(|r| !r.as_bytes().first().is_some_and(|c| is_name_char(*c)))
                };
                let (replacement, len) = if field(".input") {
                    (STATES_INPUT, 6)
                } else if field(".result") {
                    (STATES_RESULT, 7)
                } else if field(".errorOutput") {
                    (STATES_ERROR_OUTPUT, 12)
                } else if field(".context.Execution.Input") {
                    (EXECUTION_INPUT, 24)
                } else if field(".context") {
                    needs.context = true;
                    // Anything but a named field of the context other than
                    // `Execution` may reach the execution input.
                    let after = &rest[8..];
                    let named_field = after.strip_prefix('.').is_some_and(|r| {
                        r.as_bytes().first().is_some_and(|c| is_name_char(*c)) && !r.starts_with("Execution")
                    });
                    if !named_field {
                        needs.context_input = true;
                    }
                    (STATES_CONTEXT, 8)
                } else {
                    needs.whole = true;
                    i += 7;
                    continue;
                };
                out.push_str(&src[copied..i]);
                out.push('$');
                out.push_str(replacement);
                i += 7 + len;
                copied = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(&src[copied.min(src.len())..]);
    (out, needs)
}

/// A compiled `{% … %}` expression and where it was written.
#[derive(Debug)]
pub struct AtaExpr {
    expr: Expression,
    needs: Needs,
    /// The text between the markers, trimmed (as AWS quotes it in causes).
    text: Box<str>,
    /// The field path inside the state, e.g. `Output/result`.
    field: Box<str>,
    /// Names after `$` that the expression mentions (workflow variables, maybe).
    names: Box<[Box<str>]>,
}

/// Why an expression produced no usable value.
#[derive(Debug, Clone, PartialEq)]
pub enum AtaError {
    /// The expression yielded *undefined*.
    Undefined { text: String, field: String },
    /// Evaluation raised an error.
    Failed { text: String, field: String, message: String },
    /// The result holds a function.
    Unsupported { text: String, field: String },
}

impl AtaError {
    /// The cause text (without the state prefix).
    pub fn cause(&self) -> String {
        match self {
            AtaError::Undefined { text, field } => {
                format!(
                    "The JSONata expression '{text}' specified for the field '{field}' returned nothing (undefined)."
                )
            }
            AtaError::Failed { text, field, message } => format!(
                "The JSONata expression '{text}' specified for the field '{field}' threw an error during evaluation: {message}"
            ),
            AtaError::Unsupported { text, field } => {
                format!(
                    "The JSONata expression '{text}' specified for the field '{field}' returned an unsupported result type."
                )
            }
        }
    }
}

impl AtaExpr {
    /// Compiles the expression inside a `{% … %}` string written at `field`.
    pub fn compile(inner: &str, field: &str) -> Result<AtaExpr, String> {
        let text = inner.trim();
        // Syntax errors are reported against the expression as written.
        Expression::parse(inner).map_err(|e| e.message())?;
        let (rewritten, needs) = rewrite(inner);
        let expr = Expression::parse(&rewritten).map_err(|e| e.message())?;
        Ok(AtaExpr { expr, needs, text: text.into(), field: field.into(), names: dollar_names(inner) })
    }

    /// What of `$states` the expression reads as a whole.
    pub fn needs(&self) -> Needs {
        self.needs
    }

    /// The expression as AWS quotes it.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The field it was written in.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The `$name`s the expression mentions.
    pub fn names(&self) -> &[Box<str>] {
        &self.names
    }

    /// Evaluates with the given environment; `None` results are errors.
    pub fn eval(&self, env: &Env<'_>) -> Result<Value, AtaError> {
        match self.expr.evaluate_opt(None, env) {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(AtaError::Undefined { text: self.text.to_string(), field: self.field.to_string() }),
            Err(e) if e.code() == "X1002" => {
                Err(AtaError::Unsupported { text: self.text.to_string(), field: self.field.to_string() })
            }
            Err(e) => Err(AtaError::Failed {
                text: self.text.to_string(),
                field: self.field.to_string(),
                message: format!("{}: {}", e.code(), e.message()),
            }),
        }
    }
}

/// The `$identifier`s in an expression outside string literals.
fn dollar_names(src: &str) -> Box<[Box<str>]> {
    let mut names: Vec<Box<str>> = Vec::new();
    let b = src.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if let Some(end) = skip_literal(b, i) {
            i = end;
            continue;
        }
        match b[i] {
            b'$' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && is_name_char(b[j]) {
                    j += 1;
                }
                if j > start {
                    let name = &src[start..j];
                    if !names.iter().any(|n| &**n == name) {
                        names.push(name.into());
                    }
                }
                i = j.max(i + 1);
            }
            _ => i += 1,
        }
    }
    names.into_boxed_slice()
}

/// A JSON value in which any string may be a `{% … %}` expression.
#[derive(Debug)]
pub enum AtaTemplate {
    /// No expression inside: used as is.
    Lit(Value),
    Expr(Box<AtaExpr>),
    Obj(Vec<(Box<str>, AtaTemplate)>),
    Arr(Vec<AtaTemplate>),
}

impl AtaTemplate {
    /// Compiles `v` written at `field` (e.g. `Output`); reports syntax errors with
    /// their field.
    pub fn compile(v: &Value, field: &str, errors: &mut Vec<(String, String)>) -> AtaTemplate {
        match v {
            Value::String(s) => match is_jsonata_template(s) {
                Some(inner) => match AtaExpr::compile(inner, field) {
                    Ok(e) => AtaTemplate::Expr(Box::new(e)),
                    Err(msg) => {
                        errors.push((field.to_string(), format!("INVALID_JSONATA_EXPRESSION: {msg}")));
                        AtaTemplate::Lit(Value::Null)
                    }
                },
                None => AtaTemplate::Lit(v.clone()),
            },
            Value::Object(m) => {
                if !contains_expr(v) {
                    return AtaTemplate::Lit(v.clone());
                }
                AtaTemplate::Obj(
                    m.iter()
                        .map(|(k, x)| (k.as_str().into(), AtaTemplate::compile(x, &format!("{field}/{k}"), errors)))
                        .collect(),
                )
            }
            Value::Array(a) => {
                if !contains_expr(v) {
                    return AtaTemplate::Lit(v.clone());
                }
                AtaTemplate::Arr(
                    a.iter()
                        .enumerate()
                        .map(|(i, x)| AtaTemplate::compile(x, &format!("{field}[{i}]"), errors))
                        .collect(),
                )
            }
            other => AtaTemplate::Lit(other.clone()),
        }
    }

    /// Visits every expression.
    pub fn for_each_expr<'a>(&'a self, f: &mut dyn FnMut(&'a AtaExpr)) {
        match self {
            AtaTemplate::Lit(_) => {}
            AtaTemplate::Expr(e) => f(e),
            AtaTemplate::Obj(fields) => fields.iter().for_each(|(_, t)| t.for_each_expr(f)),
            AtaTemplate::Arr(items) => items.iter().for_each(|t| t.for_each_expr(f)),
        }
    }

    /// Evaluates the template.
    pub fn eval(&self, env: &Env<'_>) -> Result<Value, AtaError> {
        Ok(match self {
            AtaTemplate::Lit(v) => v.clone(),
            AtaTemplate::Expr(e) => e.eval(env)?,
            AtaTemplate::Obj(fields) => {
                let mut m = Map::with_capacity(fields.len());
                for (k, t) in fields {
                    m.insert(k.to_string(), t.eval(env)?);
                }
                Value::Object(m)
            }
            AtaTemplate::Arr(items) => Value::Array(items.iter().map(|t| t.eval(env)).collect::<Result<_, _>>()?),
        })
    }
}

/// Whether any string inside `v` is a `{% … %}` expression.
pub fn contains_expr(v: &Value) -> bool {
    match v {
        Value::String(s) => is_jsonata_template(s).is_some(),
        Value::Object(m) => m.values().any(contains_expr),
        Value::Array(a) => a.iter().any(contains_expr),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn states_fields_are_rewritten_outside_strings() {
        let (r, n) = rewrite("$states.input.a & '$states.input' & $states.context.Execution.Input.x & $states.result");
        assert_eq!(r, "$states¦input.a & '$states.input' & $states¦executionInput.x & $states¦result");
        assert_eq!(n, Needs::default());
        let (r, n) = rewrite("$states.context.State.Name");
        assert_eq!((r.as_str(), n.context, n.context_input), ("$states¦context.State.Name", true, false));
        let (_, n) = rewrite("$states.context.Execution.Id");
        assert!(n.context_input);
        let (r, n) = rewrite("$keys($states)");
        assert_eq!((r.as_str(), n.whole), ("$keys($states)", true));
        let (r, _) = rewrite("$states.inputs");
        assert_eq!(r, "$states.inputs");
    }

    #[test]
    fn names_skip_strings() {
        let n = dollar_names("$x + $states.input.a & '$notme' & $sum([1]) & $x");
        let n: Vec<&str> = n.iter().map(|s| &**s).collect();
        assert_eq!(n, ["x", "states", "sum"]);
        let n = dollar_names(r#"/* $comment */ $a & "esc\" $no" & `$b` & $c"#);
        let n: Vec<&str> = n.iter().map(|s| &**s).collect();
        assert_eq!(n, ["a", "c"]);
        let (r, _) = rewrite("/* $states.input */ $states.input");
        assert_eq!(r, "/* $states.input */ $states¦input");
    }

    #[test]
    fn template_reports_field_paths() {
        let mut errors = Vec::new();
        let t = AtaTemplate::compile(&json!({"a": {"b": ["{% $nope %}"]}}), "Output", &mut errors);
        assert!(errors.is_empty());
        let err = t.eval(&Env::step_functions()).unwrap_err();
        assert_eq!(
            err.cause(),
            "The JSONata expression '$nope' specified for the field 'Output/a/b[0]' returned nothing (undefined)."
        );
    }
}
