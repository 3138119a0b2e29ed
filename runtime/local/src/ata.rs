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

/// What a read of `$states` with these fields is bound as: how many fields the
/// bound part stands for, and its name; `None` reads the whole object.
fn states_part(fields: &[&str]) -> Option<(usize, &'static str)> {
    match fields {
        ["input", ..] => Some((1, STATES_INPUT)),
        ["result", ..] => Some((1, STATES_RESULT)),
        ["errorOutput", ..] => Some((1, STATES_ERROR_OUTPUT)),
        ["context", "Execution", "Input", ..] => Some((3, EXECUTION_INPUT)),
        ["context", ..] => Some((1, STATES_CONTEXT)),
        _ => None,
    }
}

/// What of `$states` `expr` reads beyond the parts it can be rewritten to.
fn states_needs(expr: &Expression) -> Needs {
    let mut needs = Needs::default();
    for r in expr.var_reads().iter().filter(|r| r.name() == "states") {
        match states_part(r.fields()) {
            // A read that a binding inside the expression may capture is
            // left as written, so it needs the whole object.
            _ if !r.is_definite() => needs.whole = true,
            Some((_, STATES_CONTEXT)) => {
                needs.context = true;
                // Anything but a named field of the context other than
                // `Execution` may reach the execution input.
                if r.fields().get(1).is_none_or(|f| *f == "Execution") {
                    needs.context_input = true;
                }
            }
            Some(_) => {}
            None => needs.whole = true,
        }
    }
    needs
}

/// `expr` with its reads of `$states.input`, `.result`, `.errorOutput`,
/// `.context.Execution.Input` and `.context` renamed to the names above.
fn rewrite(expr: &Expression) -> Result<Expression, String> {
    expr.with_reads_renamed(|r| {
        if r.name() != "states" {
            return None;
        }
        states_part(r.fields()).map(|(n, name)| (n, name.to_string()))
    })
    .map_err(|e| e.message())
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
    /// The variables the expression reads from outside (workflow variables, maybe).
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
        let written = Expression::parse(inner).map_err(|e| e.message())?;
        let names = written.variables_read().into_iter().map(Box::from).collect();
        let needs = states_needs(&written);
        let expr = rewrite(&written)?;
        Ok(AtaExpr { expr, needs, text: text.into(), field: field.into(), names })
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

    /// The variables the expression reads from outside (function names included:
    /// a workflow variable of that name would shadow the built-in).
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

    fn rewritten(src: &str) -> (String, Needs) {
        let e = Expression::parse(src).unwrap();
        (rewrite(&e).unwrap().source().to_string(), states_needs(&e))
    }

    #[test]
    fn states_fields_are_rewritten_outside_strings() {
        let (r, n) =
            rewritten("$states.input.a & '$states.input' & $states.context.Execution.Input.x & $states.result");
        assert_eq!(r, "$states¦input.a & '$states.input' & $states¦executionInput.x & $states¦result");
        assert_eq!(n, Needs::default());
        let (r, n) = rewritten("$states.context.State.Name");
        assert_eq!((r.as_str(), n.context, n.context_input), ("$states¦context.State.Name", true, false));
        let (_, n) = rewritten("$states.context.Execution.Id");
        assert!(n.context_input);
        let (r, n) = rewritten("$keys($states)");
        assert_eq!((r.as_str(), n.whole), ("$keys($states)", true));
        let (r, n) = rewritten("$states.inputs");
        assert_eq!((r.as_str(), n.whole), ("$states.inputs", true));
        let (r, _) = rewritten("/* $states.input */ $states.input[0]");
        assert_eq!(r, "/* $states.input */ $states¦input[0]");
    }

    #[test]
    fn what_the_text_hides_is_not_rewritten() {
        // a regex literal, a lambda parameter named `states`, a binding that may
        // capture the read, `[]` (which keeps a singleton an array): as written
        for src in [
            "$match($states.input.s, /$states.input/)",
            "function($states) { $states.input }",
            "(true ? $states := {}; $states.input)",
            "$states.input[]",
            "$states.input.%",
        ] {
            let (r, n) = rewritten(src);
            assert!(r.contains("$states.input"), "{src} → {r}");
            assert!(n.whole || src.starts_with("$match") || src.starts_with("function"), "{src}");
        }
        let states = json!({"input": 5});
        let env = Env::step_functions().bind("states", &states).bind(STATES_INPUT, &states["input"]);
        let e = AtaExpr::compile("$states.input[]", "Output").unwrap();
        assert_eq!(e.eval(&env), Ok(json!([5])));
    }

    #[test]
    fn names_are_the_variables_read() {
        let e = AtaExpr::compile("$x + $states.input.a & '$notme' & $sum([1]) & $x & function($p) { $p }", "Output")
            .unwrap();
        let n: Vec<&str> = e.names().iter().map(|s| &**s).collect();
        assert_eq!(n, ["x", "states", "sum"]);
        let e = AtaExpr::compile(r#"/* $comment */ $a & "esc\" $no" & `$b` & $c"#, "Output").unwrap();
        let n: Vec<&str> = e.names().iter().map(|s| &**s).collect();
        assert_eq!(n, ["a", "c"]);
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
