//! Table-driven cases: a grid of expressions over numbers, strings, arrays,
//! objects and dates (`tests/table/cases.json`), with the results that
//! jsonata 2.0.6 gave for each (recorded by `oracle/gen-table.py`): values,
//! *undefined*, or error code and message.

use serde_json::Value;
use stepcraft_jsonata::{Env, Expression};

fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((k, v), (l, w))| k == l && json_eq(v, w))
        }
        _ => a == b,
    }
}

#[test]
fn table() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/table/cases.json")).expect("table");
    let cases: Vec<Value> = serde_json::from_str(&text).expect("table json");
    let env = Env::new();
    let mut failures = Vec::new();
    for case in &cases {
        let src = case["expr"].as_str().expect("expr");
        let got = Expression::parse(src).and_then(|e| e.evaluate_opt(None, &env));
        let ok = match &got {
            Ok(Some(v)) => case.get("value").is_some_and(|e| json_eq(e, v)),
            Ok(None) => case.get("undefined").is_some(),
            Err(e) if case.get("code").is_some() => {
                case["code"].as_str() == Some(e.code()) && case["message"].as_str() == Some(e.message().as_str())
            }
            Err(e) if case.get("func").is_some() => e.code() == "X1002",
            Err(e) if case.get("nonFinite").is_some() => e.code() == "D1001",
            Err(_) => false,
        };
        if !ok {
            failures.push(format!("{src}: expected {case}, got {got:?}"));
        }
    }
    for f in &failures {
        eprintln!("FAIL {f}");
    }
    eprintln!("table: {} passed, {} failed", cases.len() - failures.len(), failures.len());
    assert!(failures.is_empty());
}
