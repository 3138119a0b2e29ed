//! Runs the AWS-recorded conformance corpus (`../shared/conformance/aws-recorded`)
//! through the library and checks that agreement with AWS does not regress below the
//! count recorded in `tests/aws_recorded_known_failures.txt` (which also lists the
//! cases known to disagree, with the reason).
//!
//! Skips, with a notice, when the corpus is not there. `STEPCRAFT_CASES_VERBOSE=1`
//! prints every disagreement.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::mocks_of;
use serde_json::Value;
use stepcraft_local::{Executor, StateMachine};

fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/aws-recorded");
    p.is_dir().then_some(p)
}

// ---- comparison, as run-cases does it

#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Idx(i64),
    Any,
    Rec(String),
}

fn parse_path(p: &str) -> Vec<Seg> {
    let b = p.as_bytes();
    let mut i = 1;
    let mut out = Vec::new();
    let ident = |i: &mut usize| {
        let s = *i;
        while *i < b.len() && (b[*i].is_ascii_alphanumeric() || b[*i] == b'_' || b[*i] == b'$' || b[*i] == b'-') {
            *i += 1;
        }
        p[s..*i].to_string()
    };
    while i < b.len() {
        if p[i..].starts_with("..") {
            i += 2;
            out.push(Seg::Rec(ident(&mut i)));
        } else if b[i] == b'.' {
            i += 1;
            out.push(Seg::Key(ident(&mut i)));
        } else if b[i] == b'[' {
            let end = p[i..].find(']').map(|e| i + e).unwrap_or(b.len());
            let inner = &p[i + 1..end];
            out.push(if inner == "*" {
                Seg::Any
            } else if inner.starts_with('"') {
                Seg::Key(serde_json::from_str(inner).unwrap_or_default())
            } else {
                Seg::Idx(inner.parse().unwrap_or(0))
            });
            i = end + 1;
        } else {
            break;
        }
    }
    out
}

const MASK: &str = "\u{0}<masked>\u{0}";

fn apply_mask(doc: &mut Value, segs: &[Seg], optional: bool) {
    let Some((first, rest)) = segs.split_first() else { return };
    let last_or_descend = |c: &mut Value, rest: &[Seg], optional: bool| {
        if rest.is_empty() {
            *c = Value::String(MASK.into());
            let _ = optional;
        } else {
            apply_mask(c, rest, optional);
        }
    };
    match first {
        Seg::Key(k) => {
            if let Value::Object(m) = doc {
                if rest.is_empty() && optional {
                    m.shift_remove(k);
                } else if let Some(c) = m.get_mut(k) {
                    last_or_descend(c, rest, optional);
                }
            }
        }
        Seg::Idx(i) => {
            if let Value::Array(a) = doc {
                let len = a.len() as i64;
                let j = if *i < 0 { len + i } else { *i };
                if j >= 0 && j < len {
                    if rest.is_empty() && optional {
                        a.remove(j as usize);
                    } else {
                        last_or_descend(&mut a[j as usize], rest, optional);
                    }
                }
            }
        }
        Seg::Any => match doc {
            Value::Object(m) => {
                if rest.is_empty() && optional {
                    m.clear();
                } else {
                    m.values_mut().for_each(|c| last_or_descend(c, rest, optional));
                }
            }
            Value::Array(a) => {
                if rest.is_empty() && optional {
                    a.clear();
                } else {
                    a.iter_mut().for_each(|c| last_or_descend(c, rest, optional));
                }
            }
            _ => {}
        },
        Seg::Rec(name) => match doc {
            Value::Object(m) => {
                for (_, c) in m.iter_mut() {
                    if c.is_object() || c.is_array() {
                        apply_mask(c, segs, optional);
                    }
                }
                if m.contains_key(name) {
                    if rest.is_empty() && optional {
                        m.shift_remove(name);
                    } else if let Some(c) = m.get_mut(name) {
                        last_or_descend(c, rest, optional);
                    }
                }
            }
            Value::Array(a) => {
                for c in a.iter_mut() {
                    if c.is_object() || c.is_array() {
                        apply_mask(c, segs, optional);
                    }
                }
            }
            _ => {}
        },
    }
}

fn masked(doc: &Value, ignore: &[String], optional: &[String]) -> Value {
    let mut d = doc.clone();
    for p in ignore {
        apply_mask(&mut d, &parse_path(p), false);
    }
    for p in optional {
        apply_mask(&mut d, &parse_path(p), true);
    }
    d
}

fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_equal(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

/// Problems found comparing a result with the recording (empty: agrees).
fn compare(case: &Value, r: &stepcraft_local::ExecutionResult) -> Vec<String> {
    let exp = &case["expected"];
    let mut probs = Vec::new();
    let status = r.status.as_str();
    if exp["status"].as_str() != Some(status) {
        probs.push(format!(
            "status: expected {}, got {status} ({}: {})",
            exp["status"],
            r.error.as_deref().unwrap_or(""),
            r.cause.as_deref().unwrap_or("").chars().take(300).collect::<String>()
        ));
    } else if status == "SUCCEEDED" {
        let ignore = strings(&exp["ignore"]);
        let optional = strings(&exp["ignore_optional"]);
        let e = masked(&exp["output"], &ignore, &optional);
        let a = masked(r.output.as_ref().unwrap_or(&Value::Null), &ignore, &optional);
        if !json_equal(&e, &a) {
            probs.push(format!("output: expected {e}, got {a}").chars().take(600).collect());
        }
    } else {
        let want = exp.get("error").and_then(Value::as_str);
        if want != r.error.as_deref() {
            probs.push(format!("error: expected {want:?}, got {:?}", r.error));
        }
        let got = r.cause.clone();
        match exp.get("cause_check").and_then(Value::as_str).unwrap_or("none") {
            "exact" => {
                let want = exp.get("cause").and_then(Value::as_str).map(str::to_owned);
                if want != got {
                    probs.push(format!("cause: expected {want:?}, got {got:?}"));
                }
            }
            "regex" => {
                let re = regex_lite::Regex::new(&format!("^(?s:{})$", exp["cause_regex"].as_str().unwrap_or("")))
                    .expect("a valid regex");
                if !got.as_deref().is_some_and(|g| re.is_match(g)) {
                    probs.push(format!("cause: expected /{}/, got {got:?}", exp["cause_regex"]));
                }
            }
            _ => {}
        }
    }
    if let Some(se) = exp.get("states_entered").and_then(Value::as_array) {
        let want: Vec<&str> = se.iter().filter_map(Value::as_str).collect();
        let got = r.states_entered();
        if exp["states_entered_check"].as_str() == Some("multiset") {
            let mut a = want.clone();
            let mut b = got.clone();
            a.sort_unstable();
            b.sort_unstable();
            if a != b {
                probs.push(format!("states_entered (any order): expected {want:?}, got {got:?}"));
            }
        } else if want != got {
            probs.push(format!("states_entered: expected {want:?}, got {got:?}"));
        }
    }
    probs
}

/// Runs one case; its problems.
fn run_case(path: &Path) -> (String, Vec<String>) {
    let text = std::fs::read_to_string(path).expect("a readable case");
    let case: Value = serde_json::from_str(&text).expect("a JSON case");
    let name = case["name"].as_str().unwrap_or_default().to_string();
    let sm = match StateMachine::from_json(&case["definition"]) {
        Ok(sm) => sm.named("StateMachine"),
        Err(e) => return (name, vec![format!("definition rejected: {e}")]),
    };
    // Some Wait states wait until a timestamp taken when the case was captured.
    let ex = Executor::new().mocks(mocks_of(&case["definition"], &case["mocks"])).start_time_now();
    let r = ex.run_blocking(&sm, case["input"].clone());
    let probs = compare(&case, &r);
    (name, probs)
}

/// Case names with their problems.
type Failures = Vec<(String, Vec<String>)>;

fn run_dir(dir: &str) -> Option<(usize, Failures)> {
    let Some(root) = corpus() else {
        eprintln!("notice: ../shared/conformance/aws-recorded is absent; the conformance test is skipped");
        return None;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
        .expect("a case directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let total = files.len();
    let failures: Failures = files.iter().map(|f| run_case(f)).filter(|(_, p)| !p.is_empty()).collect();
    Some((total, failures))
}

/// Known failures: `dir case-name: reason` lines.
fn known(dir: &str) -> HashMap<String, String> {
    let text = include_str!("aws_recorded_known_failures.txt");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let (head, reason) = l.split_once(": ").unwrap_or((l, ""));
            let (d, name) = head.split_once(' ')?;
            (d == dir).then(|| (name.trim().to_string(), reason.to_string()))
        })
        .collect()
}

fn check_dir(dir: &str) {
    let Some((total, failures)) = run_dir(dir) else { return };
    let known = known(dir);
    let verbose = std::env::var_os("STEPCRAFT_CASES_VERBOSE").is_some();
    let mut unexpected = Vec::new();
    for (name, probs) in &failures {
        if verbose || !known.contains_key(name) {
            eprintln!("FAIL {dir} {name}: {}", probs.join("; "));
        }
        if !known.contains_key(name) {
            unexpected.push(name.clone());
        }
    }
    let passed = total - failures.len();
    let floor = total - known.len();
    eprintln!("{dir}: {passed} of {total} agree with AWS ({} known failures)", known.len());
    for (name, _) in known.iter().filter(|(n, _)| !failures.iter().any(|(f, _)| f == *n)) {
        eprintln!("note: {dir} {name} is listed as a known failure but now agrees");
    }
    assert!(passed >= floor, "{dir}: agreement regressed: {passed} < {floor}; new failures: {unexpected:?}");
}

#[test]
fn core_cases_agree_with_aws() {
    check_dir("cases");
}

#[test]
fn extended_cases_agree_with_aws() {
    check_dir("cases-extended");
}
