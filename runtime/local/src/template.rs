//! Payload templates of JSONPath states (`Parameters`, `ResultSelector`,
//! `ItemSelector`, JSONPath `Assign`): keys ending in `.$` take a path (`$.x`, `$$.x`,
//! `$var`) or an intrinsic call; other values are copied.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::intrinsics::{self, Call};
use crate::jsonpath::JsonPath;

/// A compiled payload template.
#[derive(Debug)]
pub enum PathTemplate {
    Lit(Value),
    Obj(Vec<(Box<str>, PathTemplate)>),
    Arr(Vec<PathTemplate>),
    /// `"key.$": "$.path"`; `key` keeps the `.$` for causes.
    Path {
        path: JsonPath,
        key: Box<str>,
    },
    /// `"key.$": "States.X(…)"`.
    Call {
        call: Call,
        key: Box<str>,
    },
}

/// A failure to fill a template: States.Runtime with this cause tail.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateError(pub String);

/// Reads the sources a path can start from.
pub trait Resolve {
    /// The value a path selects; `Err` holds the "could not be found" cause.
    fn resolve(&mut self, path: &JsonPath, field: &str) -> Result<Cow<'_, Value>, TemplateError>;
    /// Randomness for `States.MathRandom` and `States.UUID`.
    fn host(&mut self) -> &mut dyn intrinsics::Host;
}

impl PathTemplate {
    /// Compiles a template value written at `field`. Errors are `(field, message)`.
    pub fn compile(v: &Value, field: &str, errors: &mut Vec<(String, String)>) -> PathTemplate {
        match v {
            Value::Object(m) => {
                if !has_dynamic_key(v) {
                    return PathTemplate::Lit(v.clone());
                }
                let mut out = Vec::with_capacity(m.len());
                for (k, x) in m {
                    let here = format!("{field}/{k}");
                    if let Some(name) = k.strip_suffix(".$") {
                        let Some(s) = x.as_str() else {
                            errors.push((
                                here,
                                format!("the value of `{k}` must be a JSONPath or an intrinsic function"),
                            ));
                            continue;
                        };
                        let t = compile_dynamic(s, k, &here, errors);
                        out.push((name.into(), t));
                    } else {
                        out.push((k.as_str().into(), PathTemplate::compile(x, &here, errors)));
                    }
                }
                PathTemplate::Obj(out)
            }
            Value::Array(a) => {
                if !has_dynamic_key(v) {
                    return PathTemplate::Lit(v.clone());
                }
                PathTemplate::Arr(
                    a.iter()
                        .enumerate()
                        .map(|(i, x)| PathTemplate::compile(x, &format!("{field}[{i}]"), errors))
                        .collect(),
                )
            }
            other => PathTemplate::Lit(other.clone()),
        }
    }

    /// Fills the template.
    pub fn eval(&self, r: &mut dyn Resolve) -> Result<Value, TemplateError> {
        Ok(match self {
            PathTemplate::Lit(v) => v.clone(),
            PathTemplate::Obj(fields) => {
                let mut m = Map::with_capacity(fields.len());
                for (k, t) in fields {
                    m.insert(k.to_string(), t.eval(r)?);
                }
                Value::Object(m)
            }
            PathTemplate::Arr(items) => Value::Array(items.iter().map(|t| t.eval(r)).collect::<Result<_, _>>()?),
            PathTemplate::Path { path, key } => r.resolve(path, key)?.into_owned(),
            PathTemplate::Call { call, key } => eval_call(call, key, r)?,
        })
    }
}

/// Evaluates an intrinsic call written for `field`.
pub fn eval_call(call: &Call, field: &str, r: &mut dyn Resolve) -> Result<Value, TemplateError> {
    let mut path_err: Option<TemplateError> = None;
    let mut values: Vec<Value> = Vec::new();
    // Paths are resolved up front: the intrinsic evaluator takes a plain closure.
    collect_call_paths(call, &mut |p| match r.resolve(p, field) {
        Ok(v) => values.push(v.into_owned()),
        Err(e) => {
            if path_err.is_none() {
                path_err = Some(e);
            }
            values.push(Value::Null);
        }
    });
    if let Some(e) = path_err {
        return Err(e);
    }
    let mut it = values.into_iter();
    let mut resolve = |_: &JsonPath| Ok(it.next().unwrap_or(Value::Null));
    intrinsics::eval(call, &mut resolve, r.host()).map_err(TemplateError)
}

fn collect_call_paths(call: &Call, f: &mut dyn FnMut(&JsonPath)) {
    for a in &call.args {
        match a {
            intrinsics::Arg::Literal(_) => {}
            intrinsics::Arg::Path(p) => f(p),
            intrinsics::Arg::Call(c) => collect_call_paths(c, f),
        }
    }
}

/// Compiles the string of a `.$` key: an intrinsic call or a path.
pub fn compile_dynamic(s: &str, key: &str, field: &str, errors: &mut Vec<(String, String)>) -> PathTemplate {
    if intrinsics::looks_like_call(s) {
        match intrinsics::parse(s) {
            Ok(call) => PathTemplate::Call { call, key: key.into() },
            Err(e) => {
                errors.push((field.to_string(), format!("invalid intrinsic function `{s}`: {e}")));
                PathTemplate::Lit(Value::Null)
            }
        }
    } else {
        match JsonPath::parse(s) {
            Ok(path) => PathTemplate::Path { path, key: key.into() },
            Err(e) => {
                errors.push((field.to_string(), format!("invalid JSONPath `{s}`: {e}")));
                PathTemplate::Lit(Value::Null)
            }
        }
    }
}

fn has_dynamic_key(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.iter().any(|(k, x)| k.ends_with(".$") || has_dynamic_key(x)),
        Value::Array(a) => a.iter().any(has_dynamic_key),
        _ => false,
    }
}
