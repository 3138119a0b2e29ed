//! Runs the AWS-recorded conformance corpus (`../shared/conformance/aws-recorded`)
//! through the library and checks that agreement with AWS does not regress below the
//! count recorded in `tests/aws_recorded_known_failures.txt` (which also lists the
//! cases known to disagree, with the reason).
//!
//! Skips, with a notice, when the corpus is not there. `STEPCRAFT_CASES_VERBOSE=1`
//! prints every disagreement.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::mocks_of;
use serde_json::Value;
use stepcraft_local::{Executor, StateMachine, TaskFailure, TaskHandler, TaskRequest, TaskResponse};

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
            "json" => {
                let want = exp.get("cause").and_then(Value::as_str).and_then(|c| serde_json::from_str::<Value>(c).ok());
                let got_v = got.as_deref().and_then(|g| serde_json::from_str::<Value>(g).ok());
                if !matches!((&want, &got_v), (Some(w), Some(g)) if json_equal(w, g)) {
                    probs.push(format!("cause (as JSON): expected {want:?}, got {got:?}"));
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

/// How a case's Lambda functions are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answers {
    /// By [`stepcraft_local::Mock`]s.
    Mocks,
    /// By a [`TaskHandler`] built from the case's mocks: echo, delays and errors through
    /// the handler API, delays as virtual time ([`TaskResponse::after`]).
    Handler,
}

/// The mock entries of a case that the Step Functions Local mock format cannot express
/// (the `adapters/stepcraft` runner reports those cases SKIPPED).
fn inexpressible(case: &Value) -> bool {
    case["mocks"].as_object().into_iter().flatten().any(|(_, v)| {
        let entries = v.as_array().cloned().unwrap_or_else(|| vec![v.clone()]);
        entries.iter().any(|e| ["echo", "delay", "callback"].iter().any(|k| e.get(*k).is_some()))
    })
}

fn state_names(states: &Value, out: &mut HashSet<String>) {
    for (name, st) in states.as_object().into_iter().flatten() {
        out.insert(name.clone());
        for b in st.get("Branches").and_then(Value::as_array).into_iter().flatten() {
            state_names(&b["States"], out);
        }
        for k in ["ItemProcessor", "Iterator"] {
            if let Some(p) = st.get(k) {
                state_names(&p["States"], out);
            }
        }
    }
}

/// The case's mocks (`{"fn": entry | [entries]}`, keyed by state name, function name or
/// `*`) as a task handler: each key counts its own calls; the last entry repeats.
fn handler_of(definition: &Value, mocks: &Value) -> impl TaskHandler {
    let mut states = HashSet::new();
    state_names(&definition["States"], &mut states);
    let table: HashMap<String, Vec<Value>> = mocks
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_array().cloned().unwrap_or_else(|| vec![v.clone()])))
        .collect();
    let calls = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
    move |req: TaskRequest| {
        let key = if states.contains(&*req.state_name) && table.contains_key(&*req.state_name) {
            Some(req.state_name.to_string())
        } else if let Some(f) = req.function_name.as_ref().filter(|f| table.contains_key(*f)) {
            Some(f.clone())
        } else {
            table.contains_key("*").then(|| "*".to_string())
        };
        let entry = key.map(|k| {
            let mut calls = calls.lock().unwrap();
            let n = calls.entry(k.clone()).or_insert(0);
            let entries = &table[&k];
            let e = entries[(*n).min(entries.len() - 1)].clone();
            *n += 1;
            e
        });
        let payload = req.payload.clone();
        async move {
            let Some(e) = entry else {
                return TaskResponse::fail(TaskFailure::new("Unmocked", "the case has no mock for this task"));
            };
            let response = if let Some(v) = e.get("return") {
                TaskResponse::ok(common::expand(v))
            } else if e.get("echo").is_some() {
                TaskResponse::ok(payload)
            } else if let Some(code) = e.get("service_error").and_then(Value::as_str) {
                TaskResponse::fail(TaskFailure::new(
                    format!("Lambda.{code}"),
                    format!("{code} (Service: AWSLambda; Status Code: 404; Error Code: {code})"),
                ))
            } else {
                TaskResponse::fail(TaskFailure::function_error(
                    e.get("error").and_then(Value::as_str).unwrap_or("Exception"),
                    e.get("cause").and_then(Value::as_str).unwrap_or(""),
                ))
            };
            match e.get("delay").and_then(Value::as_f64) {
                Some(d) => response.after(Duration::from_secs_f64(d)),
                None => response,
            }
        }
    }
}

/// Runs one case; its problems.
fn run_case(path: &Path, answers: Answers) -> (String, Vec<String>) {
    let text = std::fs::read_to_string(path).expect("a readable case");
    let case: Value = serde_json::from_str(&text).expect("a JSON case");
    let name = case["name"].as_str().unwrap_or_default().to_string();
    let sm = match StateMachine::from_json(&case["definition"]) {
        Ok(sm) => sm.named("StateMachine"),
        Err(e) => return (name, vec![format!("definition rejected: {e}")]),
    };
    // Some Wait states wait until a timestamp taken when the case was captured.
    let ex = match answers {
        Answers::Mocks => Executor::new().mocks(mocks_of(&case["definition"], &case["mocks"])),
        Answers::Handler => Executor::new().handler(handler_of(&case["definition"], &case["mocks"])),
    }
    .start_time_now();
    let r = ex.run_blocking(&sm, case["input"].clone());
    let mut probs = compare(&case, &r);
    // A function that takes longer than the task's TimeoutSeconds is cut off at the
    // timeout, in virtual time: the run lasts seconds of virtual time, and no real time.
    if answers == Answers::Handler && r.error.as_deref() == Some("States.Timeout") && r.duration().as_secs() >= 60 {
        probs.push(format!("the timed-out run took {:?} of virtual time", r.duration()));
    }
    (name, probs)
}

/// Case names with their problems.
type Failures = Vec<(String, Vec<String>)>;

fn case_files(dir: &str) -> Option<Vec<PathBuf>> {
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
    Some(files)
}

fn run_dir(dir: &str) -> Option<(usize, Failures)> {
    let files = case_files(dir)?;
    let total = files.len();
    let failures: Failures = files.iter().map(|f| run_case(f, Answers::Mocks)).filter(|(_, p)| !p.is_empty()).collect();
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

/// The cases whose mocks the Step Functions Local format cannot express (echo, delays,
/// callbacks: 18 in `cases/`, 13 in `cases-extended/`), run again with their functions
/// answered by a task handler instead of mocks, delays in virtual time. With the tests
/// above, every one of the 940 recorded executions is checked through the library,
/// causes included.
fn check_inexpressible(dir: &str, expected: usize, total: usize) {
    let Some(files) = case_files(dir) else { return };
    assert_eq!(files.len(), total, "{dir}: the corpus changed size");
    let cases: Vec<&PathBuf> = files
        .iter()
        .filter(|f| inexpressible(&serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap()))
        .collect();
    assert_eq!(cases.len(), expected, "{dir}: cases the mock format cannot express");
    let failures: Failures =
        cases.iter().map(|f| run_case(f, Answers::Handler)).filter(|(_, p)| !p.is_empty()).collect();
    for (name, probs) in &failures {
        eprintln!("FAIL {dir} {name} (task handler): {}", probs.join("; "));
    }
    eprintln!("{dir}: {} of {expected} inexpressible cases agree through a task handler", expected - failures.len());
    assert!(failures.is_empty(), "{dir}: {} disagree through a task handler", failures.len());
}

#[test]
fn core_cases_the_mock_format_cannot_express_agree_through_task_handlers() {
    check_inexpressible("cases", 18, 200);
}

#[test]
fn extended_cases_the_mock_format_cannot_express_agree_through_task_handlers() {
    check_inexpressible("cases-extended", 13, 740);
}
