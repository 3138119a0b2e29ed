//! Runs the vendored jsonata-js test suite (`tests/suite/`, see its README).
//!
//! Every case there was checked against jsonata 2.0.6 itself when it was
//! vendored. A case listed in `tests/suite/KNOWN_FAILURES.txt` (one
//! `group/name` per line, `#` comments) is allowed to fail; any other failure,
//! and any listed case that passes, fails this test.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde_json::Value;
use stepcraft_jsonata::{Env, Expression};

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/suite")
}

/// JSON equality with numbers compared by value (`1` equals `1.0`).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn canonical(v: &Value) -> String {
    match v {
        Value::Number(n) => format!("{}", n.as_f64().unwrap_or(f64::NAN)),
        Value::Array(a) => format!("[{}]", a.iter().map(canonical).collect::<Vec<_>>().join(",")),
        Value::Object(m) => {
            let sorted: BTreeMap<_, _> = m.iter().collect();
            format!(
                "{{{}}}",
                sorted.iter().map(|(k, v)| format!("{k:?}:{}", canonical(v))).collect::<Vec<_>>().join(",")
            )
        }
        other => other.to_string(),
    }
}

/// Runs one case; `Err` describes the mismatch.
fn run_case(case: &Value, datasets: &mut HashMap<String, Value>) -> Result<(), String> {
    let expr_src = case["expr"].as_str().ok_or("no expr")?;
    let input: Option<Value> = if let Some(d) = case.get("data") {
        Some(d.clone())
    } else if let Some(name) = case.get("dataset").and_then(Value::as_str) {
        let v = datasets.entry(name.to_string()).or_insert_with(|| {
            let text = std::fs::read_to_string(suite_dir().join("datasets").join(format!("{name}.json")))
                .expect("dataset file");
            serde_json::from_str(&text).expect("dataset json")
        });
        Some(v.clone())
    } else {
        None
    };
    let empty = serde_json::Map::new();
    let bindings = case.get("bindings").and_then(Value::as_object).unwrap_or(&empty);
    let mut env = Env::new();
    for (k, v) in bindings {
        env.set(k, v);
    }
    if case.get("timelimit").is_some() {
        env = env.with_max_steps(20_000_000);
    }
    if let Some(depth) = case.get("depth").and_then(Value::as_u64) {
        env = env.with_max_depth(depth as usize);
    }
    let outcome = Expression::parse(expr_src).and_then(|e| e.evaluate_opt(input.as_ref(), &env));
    if let Some(code) = case.get("code").and_then(Value::as_str) {
        return match outcome {
            Err(e) if e.code() == code => {
                if let Some(m) = case.get("message").and_then(Value::as_str)
                    && e.message() != m
                {
                    return Err(format!("message {:?}, expected {m:?}", e.message()));
                }
                if let Some(t) = case.get("token").and_then(Value::as_str)
                    && e.token() != Some(t)
                {
                    return Err(format!("token {:?}, expected {t:?}", e.token()));
                }
                Ok(())
            }
            Err(e) => Err(format!("error {} ({}), expected {code}", e.code(), e.message())),
            Ok(v) => Err(format!("result {v:?}, expected error {code}")),
        };
    }
    let result = outcome.map_err(|e| format!("error {} ({})", e.code(), e.message()))?;
    if case.get("undefinedResult").and_then(Value::as_bool) == Some(true) {
        return match result {
            None => Ok(()),
            Some(v) => Err(format!("result {v}, expected undefined")),
        };
    }
    if let Some(re) = case.get("result_re").and_then(Value::as_str) {
        let re = regex_lite::Regex::new(re).map_err(|e| e.to_string())?;
        return match &result {
            Some(Value::String(s)) if re.is_match(s) => Ok(()),
            other => Err(format!("result {other:?} does not match /{re}/")),
        };
    }
    let expected = case.get("result").cloned().unwrap_or(Value::Null);
    let Some(result) = result else {
        return Err(format!("undefined, expected {expected}"));
    };
    if case.get("unordered").and_then(Value::as_bool) == Some(true) {
        let set = |v: &Value| -> Vec<String> {
            let mut items: Vec<String> = v.as_array().map(|a| a.iter().map(canonical).collect()).unwrap_or_default();
            items.sort();
            items
        };
        if set(&result) == set(&expected) {
            return Ok(());
        }
        return Err(format!("result {result}, expected (unordered) {expected}"));
    }
    if json_eq(&result, &expected) { Ok(()) } else { Err(format!("result {result}, expected {expected}")) }
}

#[test]
fn jsonata_test_suite() {
    let dir = suite_dir();
    let known: BTreeSet<String> = std::fs::read_to_string(dir.join("KNOWN_FAILURES.txt"))
        .unwrap_or_default()
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("suite dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut datasets = HashMap::new();
    let (mut passed, mut failed, mut known_failed) = (0, 0, 0);
    let mut unexpected = Vec::new();
    let mut fixed = Vec::new();
    for file in files {
        let group = file.file_stem().and_then(|s| s.to_str()).unwrap_or("").to_string();
        let cases: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("group json");
        for case in &cases {
            let id = format!("{group}/{}", case["name"].as_str().unwrap_or("?"));
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_case(case, &mut datasets)))
                .unwrap_or_else(|_| Err("PANIC".into()));
            match r {
                Ok(()) => {
                    passed += 1;
                    if known.contains(&id) {
                        fixed.push(id);
                    }
                }
                Err(why) => {
                    failed += 1;
                    if known.contains(&id) {
                        known_failed += 1;
                    } else {
                        unexpected.push(format!("{id}: {} => {why}", case["expr"]));
                    }
                }
            }
        }
    }
    for u in &unexpected {
        eprintln!("FAIL {u}");
    }
    for f in &fixed {
        eprintln!("now passing (remove from KNOWN_FAILURES.txt): {f}");
    }
    eprintln!("jsonata suite: {passed} passed, {failed} failed ({known_failed} known)");
    assert!(unexpected.is_empty(), "{} unexpected failures", unexpected.len());
    assert!(fixed.is_empty(), "{} known failures now pass", fixed.len());
}
