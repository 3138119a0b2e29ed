//! Fuzzing the JSONata engine (`stepcraft_tests::fuzz::jsonata`): a fixed time budget in the
//! test command, longer with `STEPCRAFT_FUZZ_SECONDS` (see `RELIABILITY.md`); and a
//! differential run of a fixed sample of generated expressions against the pinned
//! jsonata-js 2.0.6 (`runtime/jsonata/oracle`, installed on first use when node is there).

use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use stepcraft_jsonata::{Env, Expression};
use stepcraft_tests::fuzz::{self, Budget, Gen, jsonata};

#[test]
fn fuzz_jsonata_parse_and_evaluate() {
    fuzz::run("jsonata", Budget::from_env(20.0), Duration::from_secs(30), jsonata::case);
}

fn oracle_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime/jsonata/oracle")
}

/// Whether the reference implementation can run (installing it, pinned, when node is there).
fn node_available() -> bool {
    let root = oracle_dir();
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if node && !root.join("node_modules/jsonata/package.json").exists() {
        let installed = Command::new("bash").arg(root.join("install.sh")).status().is_ok_and(|s| s.success());
        assert!(installed, "oracle/install.sh failed: the reference jsonata 2.0.6 could not be installed");
    }
    node && root.join("node_modules/jsonata/package.json").exists()
}

fn run_oracle(cases: &[Value]) -> Vec<Value> {
    let mut child = Command::new("node")
        .arg(oracle_dir().join("eval.js"))
        .current_dir(oracle_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start node");
    let input = serde_json::to_vec(cases).expect("serialise cases");
    child.stdin.take().expect("stdin").write_all(&input).expect("write cases");
    let out = child.wait_with_output().expect("node output");
    assert!(out.status.success(), "the oracle failed");
    serde_json::from_slice(&out.stdout).expect("the oracle's JSON")
}

/// Whether this crate's answer is the reference's: the same value, undefined, or error code
/// and message.
fn agrees(expected: &Value, got: &stepcraft_jsonata::Result<Option<Value>>) -> bool {
    match (expected, got) {
        (e, Ok(Some(v))) if e.get("value").is_some() => fuzz::json_eq(&e["value"], v),
        (e, Ok(None)) => e.get("undefined").is_some(),
        (e, Err(err)) if e.get("code").is_some() => {
            e["code"].as_str() == Some(err.code()) && e["message"].as_str() == Some(err.message().as_str())
        }
        (e, Err(err)) if e.get("func").is_some() => err.code() == "X1002",
        (e, Err(err)) if e.get("nonFinite").is_some() => err.code() == "D1001",
        _ => false,
    }
}

/// The sample: this many generated cases, seeds `0..SAMPLE`, always the same.
const SAMPLE: u64 = 1500;

/// Expressions of the sample on which jsonata-js and this crate are known to differ: which of
/// two errors is reported first (a category `runtime/jsonata/README.md` lists). Cases where
/// jsonata-js itself crashes (a JavaScript `TypeError`, code `JS`: "JavaScript internals" in
/// the README) are not compared either.
const KNOWN_DIFFERENCES: &[&str] = &[
    "[(('s' >= '%}') > [1,2,3].Price), ($contains(λ($x){$x * 2}) in $sort()), \"\\\"\"#$i@$o.[$i, $o].a]",
    "[$count(function($a,$b){$a}, '\\u00e9'), ($x := a; \"\\\"\"), $encodeUrl()]",
];

#[test]
fn differential_sample_agrees_with_jsonata_js() {
    if !node_available() {
        eprintln!("NOTICE: differential fuzz sample skipped: node missing (runtime/jsonata/oracle/install.sh)");
        return;
    }
    let cases: Vec<Value> = (0..SAMPLE).map(|seed| jsonata::differential_case(&mut Gen::from_seed(seed))).collect();
    // What both accept: the reference judges its own parse; this crate must parse the same.
    let expected = run_oracle(&cases);
    let mut mismatches = Vec::new();
    let mut both_accept = 0;
    for (case, exp) in cases.iter().zip(&expected) {
        let src = case["expr"].as_str().unwrap_or_default();
        let x = &case["bindings"]["x"];
        let env = Env::new().bind("x", x).with_max_steps(jsonata::STEP_BUDGET);
        let got = Expression::parse(src).and_then(|e| e.evaluate_opt(case.get("input"), &env));
        if exp.get("code").is_none_or(|c| !c.as_str().is_some_and(|c| c.starts_with('S'))) && got.is_ok() {
            both_accept += 1;
        }
        if !agrees(exp, &got) && !KNOWN_DIFFERENCES.contains(&src) && exp["code"] != "JS" {
            let got = match &got {
                Ok(v) => format!("{v:?}"),
                Err(e) => format!("error {} {:?}", e.code(), e.message()),
            };
            mismatches.push(format!("{src:?}: reference {exp}, this crate {got}"));
        }
    }
    for m in &mismatches {
        eprintln!("MISMATCH {m}");
    }
    eprintln!(
        "differential fuzz sample: {} cases ({both_accept} evaluated without error by both), {} new mismatches",
        cases.len(),
        mismatches.len()
    );
    assert!(mismatches.is_empty(), "{} mismatches with jsonata 2.0.6 outside the known differences", mismatches.len());
}
