//! Evaluates a batch of expressions read from stdin (the format of
//! `oracle/eval.js`) and prints the results in the same format — for
//! differential runs against the reference implementation:
//! `python3 gen.py | tee cases.json | cargo run --example eval_batch > ours.json`.

use std::io::Read;

use serde_json::{Value, json};
use stepcraft_jsonata::{Env, Expression};

fn main() {
    let mut src = String::new();
    std::io::stdin().read_to_string(&mut src).expect("stdin");
    let cases: Vec<Value> = serde_json::from_str(&src).expect("json array of cases");
    let mut out = Vec::with_capacity(cases.len());
    for c in &cases {
        let expr = c["expr"].as_str().unwrap_or_default();
        let mut env = Env::new().with_max_steps(5_000_000);
        if let Some(b) = c.get("bindings").and_then(Value::as_object) {
            for (k, v) in b {
                env.set(k, v);
            }
        }
        let r = Expression::parse(expr).and_then(|e| e.evaluate_opt(c.get("input"), &env));
        out.push(match r {
            Ok(Some(v)) => json!({"value": v}),
            Ok(None) => json!({"undefined": true}),
            Err(e) if e.code() == "X1002" => json!({"func": true}),
            Err(e) => json!({"code": e.code(), "message": e.message()}),
        });
    }
    println!("{}", Value::Array(out));
}
