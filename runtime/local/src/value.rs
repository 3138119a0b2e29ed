//! Small operations on JSON values that Step Functions defines its own way: equality
//! (numbers by value), the serialized size that the 256 KiB limit counts, and the
//! renderings used in error causes.

use serde_json::Value;

pub use crate::limits::MAX_PAYLOAD_BYTES;

/// Deep equality with numbers compared by value (`1 == 1.0`).
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if let (Some(x), Some(y)) = (x.as_i64(), y.as_i64()) {
                x == y
            } else {
                x.as_f64() == y.as_f64()
            }
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Whether `v`, serialized compactly, exceeds `limit` bytes. Stops counting as soon as
/// it does, without allocating.
pub fn exceeds(v: &Value, limit: usize) -> bool {
    size_past(v, limit) > limit
}

/// The size of `v` serialized compactly, counted exactly up to `limit` and only until it is
/// past it (then some number above `limit`), without allocating.
pub fn size_past(v: &Value, limit: usize) -> usize {
    let mut n = 0usize;
    size(v, &mut n, limit);
    n
}

fn str_size(s: &str) -> usize {
    let mut n = 2;
    for b in s.bytes() {
        n += match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0..=0x1f => 6,
            _ => 1,
        };
    }
    n
}

fn size(v: &Value, n: &mut usize, limit: usize) {
    if *n > limit {
        return;
    }
    match v {
        Value::Null => *n += 4,
        Value::Bool(b) => *n += if *b { 4 } else { 5 },
        Value::Number(x) => *n += display_len(x),
        Value::String(s) => *n += str_size(s),
        Value::Array(a) => {
            *n += 2 + a.len().saturating_sub(1);
            for x in a {
                size(x, n, limit);
            }
        }
        Value::Object(m) => {
            *n += 2 + m.len().saturating_sub(1);
            for (k, x) in m {
                *n += str_size(k) + 1;
                size(x, n, limit);
            }
        }
    }
}

/// The length of a value's `Display` text, without allocating it.
fn display_len(x: &impl std::fmt::Display) -> usize {
    struct Count(usize);
    impl std::fmt::Write for Count {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut c = Count(0);
    let _ = std::fmt::write(&mut c, format_args!("{x}"));
    c.0
}

/// The JSON type name Step Functions uses in causes (`Expected 'array', but was 'boolean'`).
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Compact JSON text.
pub fn to_json_string(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// A number as Java prints it in `States.Format` and friends: integers without a
/// fraction, others in the shortest form that round-trips.
pub fn number_text(n: &serde_json::Number) -> String {
    n.to_string()
}

/// `v` as `java.util.Map#toString` would print it (`{a=1, b=[x, y]}`), which is how
/// `States.Format` renders objects and arrays.
pub fn java_text(v: &Value) -> String {
    let mut s = String::new();
    java_text_into(v, &mut s);
    s
}

fn java_text_into(v: &Value, s: &mut String) {
    match v {
        Value::Null => s.push_str("null"),
        Value::Bool(b) => s.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => s.push_str(&number_text(n)),
        Value::String(x) => s.push_str(x),
        Value::Array(a) => {
            s.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                java_text_into(x, s);
            }
            s.push(']');
        }
        Value::Object(m) => {
            s.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                s.push_str(k);
                s.push('=');
                java_text_into(x, s);
            }
            s.push('}');
        }
    }
}

/// A float as an integer JSON number when it has no fraction.
pub fn number_value(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.007_199_254_740_992e15 {
        Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map(Value::Number).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn size_matches_serialization() {
        for v in [json!(null), json!({"a": [1, 2.5, "x\"y\n"], "b": {"c": true, "é": false}}), json!([]), json!({})] {
            let len = serde_json::to_string(&v).unwrap().len();
            assert!(!exceeds(&v, len));
            assert!(exceeds(&v, len - 1));
        }
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(json_eq(&json!([1, {"a": 2}]), &json!([1.0, {"a": 2.0}])));
        assert!(!json_eq(&json!(1), &json!(true)));
    }

    #[test]
    fn java_rendering() {
        assert_eq!(java_text(&json!({"Arg1": 1, "Arg2": []})), "{Arg1=1, Arg2=[]}");
    }
}
