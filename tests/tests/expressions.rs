#![allow(clippy::partialeq_to_none, reason = "`i.n == None` is one of the forms under test")]

//! Expression-level differential test: every expression form a workflow may compute, compiled
//! by `#[workflow]` (the [`forms`] workflow below returns one field per form), is evaluated on
//! random values natively (the Rust body) and as the emitted JSONata (each field of the final
//! state's `Output`, by the executor's engine, a sample also by the pinned reference jsonata
//! 2.0.6); the results must be identical.
//!
//! The values are drawn by a seeded SplitMix64: unicode strings (multi-byte, U+E000–U+FFFF and
//! past U+FFFF, `%`, quotes), negative and large integers (up to 2^53: JSON numbers are
//! doubles), floats, and `Option` fields absent, `null` or set. `STEPCRAFT_PROPTEST_CASES=100000`
//! (default 1000) and `STEPCRAFT_PROPTEST_SEED` run longer or other draws; a mismatch prints
//! the form, the input and both results.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use stepcraft::{Data, Workflow, workflow};
use stepcraft_jsonata::{Env, Expression};

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
pub struct Values {
    pub s: String,
    pub t: String,
    pub c: char,
    pub d: char,
    pub a: i64,
    pub b: i64,
    pub big: i64,
    pub big2: i64,
    pub u: u32,
    pub x: f64,
    pub y: f64,
    pub flag: bool,
    pub v: Vec<String>,
    pub n: Option<String>,
    pub m: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
pub struct Forms {
    pub s_len: usize,
    pub s_chars: usize,
    pub s_empty: bool,
    pub s_lt: bool,
    pub s_le: bool,
    pub s_gt: bool,
    pub s_ge: bool,
    pub s_eq: bool,
    pub s_ne: bool,
    pub s_cat: String,
    pub s_fmt: String,
    pub c_lt: bool,
    pub c_eq: bool,
    pub big_str: String,
    pub u_str: String,
    pub add: i64,
    pub sub: i64,
    pub mul: i64,
    pub div: i64,
    pub rem: i64,
    pub neg: i64,
    pub a_lt: bool,
    pub a_ge: bool,
    pub big_lt: bool,
    pub big_eq: bool,
    pub x_add: f64,
    pub x_sub: f64,
    pub x_mul: f64,
    pub x_div: f64,
    pub x_rem: f64,
    pub x_neg: f64,
    pub x_lt: bool,
    pub x_eq: bool,
    pub big_u8: u8,
    pub big_i8: i8,
    pub big_u16: u16,
    pub big_i32: i32,
    pub big_u32: u32,
    pub big_f64: f64,
    pub u_i64: i64,
    pub u_i8: i8,
    pub u_from: u64,
    pub u_f64: f64,
    pub x_i32: i32,
    pub x_u8: u8,
    pub x_i64: i64,
    pub x_u64: u64,
    pub n_some: bool,
    pub n_none: bool,
    pub n_eq_none: bool,
    pub n_eq: bool,
    pub n_or: String,
    pub m_or: i64,
    pub m_eq: bool,
    pub and: bool,
    pub or: bool,
    pub not: bool,
    pub v_len: usize,
    pub v_empty: bool,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
pub enum Never {
    #[error("never")]
    Never,
}

/// Every form, as the Rust the workflow below computes it (for the reports).
const FORMS: &[(&str, &str)] = &[
    ("s_len", "i.s.len()"),
    ("s_chars", "i.s.chars().count()"),
    ("s_empty", "i.s.is_empty()"),
    ("s_lt", "i.s < i.t"),
    ("s_le", "i.s <= i.t"),
    ("s_gt", "i.s > i.t"),
    ("s_ge", "i.s >= i.t"),
    ("s_eq", "i.s == i.t"),
    ("s_ne", "i.s != i.t"),
    ("s_cat", "i.s.clone() + &i.t"),
    ("s_fmt", "format!(\"{}|{}|{}|{}\", i.s, i.a, i.flag, i.c)"),
    ("c_lt", "i.c < i.d"),
    ("c_eq", "i.c == i.d"),
    ("big_str", "i.big.to_string()"),
    ("u_str", "i.u.to_string()"),
    ("add", "i.a + i.b"),
    ("sub", "i.a - i.b"),
    ("mul", "i.a * i.b"),
    ("div", "i.a / i.b"),
    ("rem", "i.a % i.b"),
    ("neg", "-i.a"),
    ("a_lt", "i.a < i.b"),
    ("a_ge", "i.a >= i.b"),
    ("big_lt", "i.big < i.big2"),
    ("big_eq", "i.big == i.big2"),
    ("x_add", "i.x + i.y"),
    ("x_sub", "i.x - i.y"),
    ("x_mul", "i.x * i.y"),
    ("x_div", "i.x / i.y"),
    ("x_rem", "i.x % i.y"),
    ("x_neg", "-i.x"),
    ("x_lt", "i.x < i.y"),
    ("x_eq", "i.x == i.y"),
    ("big_u8", "i.big as u8"),
    ("big_i8", "i.big as i8"),
    ("big_u16", "i.big as u16"),
    ("big_i32", "i.big as i32"),
    ("big_u32", "i.big as u32"),
    ("big_f64", "i.big as f64"),
    ("u_i64", "i.u as i64"),
    ("u_i8", "i.u as i8"),
    ("u_from", "u64::from(i.u)"),
    ("u_f64", "f64::from(i.u)"),
    ("x_i32", "i.x as i32"),
    ("x_u8", "i.x as u8"),
    ("x_i64", "i.x as i64"),
    ("x_u64", "i.x as u64"),
    ("n_some", "i.n.is_some()"),
    ("n_none", "i.n.is_none()"),
    ("n_eq_none", "i.n == None"),
    ("n_eq", "i.n == Some(i.s.clone())"),
    ("n_or", "i.n.clone().unwrap_or(i.t.clone())"),
    ("m_or", "i.m.unwrap_or(-1)"),
    ("m_eq", "i.m == Some(i.a)"),
    ("and", "i.flag && i.a < i.b"),
    ("or", "i.flag || i.s == i.t"),
    ("not", "!i.flag"),
    ("v_len", "i.v.len()"),
    ("v_empty", "i.v.is_empty()"),
];

#[workflow]
pub async fn forms(i: Values) -> Result<Forms, Never> {
    Ok(Forms {
        s_len: i.s.len(),
        s_chars: i.s.chars().count(),
        s_empty: i.s.is_empty(),
        s_lt: i.s < i.t,
        s_le: i.s <= i.t,
        s_gt: i.s > i.t,
        s_ge: i.s >= i.t,
        s_eq: i.s == i.t,
        s_ne: i.s != i.t,
        s_cat: i.s.clone() + &i.t,
        s_fmt: format!("{}|{}|{}|{}", i.s, i.a, i.flag, i.c),
        c_lt: i.c < i.d,
        c_eq: i.c == i.d,
        big_str: i.big.to_string(),
        u_str: i.u.to_string(),
        add: i.a + i.b,
        sub: i.a - i.b,
        mul: i.a * i.b,
        div: i.a / i.b,
        rem: i.a % i.b,
        neg: -i.a,
        a_lt: i.a < i.b,
        a_ge: i.a >= i.b,
        big_lt: i.big < i.big2,
        big_eq: i.big == i.big2,
        x_add: i.x + i.y,
        x_sub: i.x - i.y,
        x_mul: i.x * i.y,
        x_div: i.x / i.y,
        x_rem: i.x % i.y,
        x_neg: -i.x,
        x_lt: i.x < i.y,
        x_eq: i.x == i.y,
        big_u8: i.big as u8,
        big_i8: i.big as i8,
        big_u16: i.big as u16,
        big_i32: i.big as i32,
        big_u32: i.big as u32,
        big_f64: i.big as f64,
        u_i64: i.u as i64,
        u_i8: i.u as i8,
        u_from: u64::from(i.u),
        u_f64: f64::from(i.u),
        x_i32: i.x as i32,
        x_u8: i.x as u8,
        x_i64: i.x as i64,
        x_u64: i.x as u64,
        n_some: i.n.is_some(),
        n_none: i.n.is_none(),
        n_eq_none: i.n == None,
        n_eq: i.n == Some(i.s.clone()),
        n_or: i.n.clone().unwrap_or(i.t.clone()),
        m_or: i.m.unwrap_or(-1),
        m_eq: i.m == Some(i.a),
        and: i.flag && i.a < i.b,
        or: i.flag || i.s == i.t,
        not: !i.flag,
        v_len: i.v.len(),
        v_empty: i.v.is_empty(),
    })
}

/* ------------------------------------------- VALUES ------------------------------------------- */

/// SplitMix64, as the local executor's `$random` draws.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn int(&mut self, bits: u32) -> i64 {
        let magnitude = (self.next() >> (64 - bits)) as i64;
        if self.below(2) == 0 { magnitude } else { -magnitude }
    }
}

/// Characters that mean different things to Rust and JSONata: multi-byte UTF-8, the BMP past
/// the surrogates (U+E000–U+FFFF), characters past U+FFFF (surrogate pairs in UTF-16), the
/// characters `$encodeUrlComponent` leaves alone, `%`, quotes, controls.
const CHARS: &[char] = &[
    'a',
    'b',
    'z',
    'A',
    'Z',
    '0',
    '9',
    ' ',
    '%',
    '"',
    '\\',
    '\'',
    '-',
    '.',
    '_',
    '~',
    '!',
    '*',
    '(',
    ')',
    '\0',
    '\n',
    '\u{7f}',
    '\u{80}',
    'é',
    'ö',
    'ß',
    '\u{7ff}',
    '\u{800}',
    '€',
    '中',
    '\u{d7ff}',
    '\u{e000}',
    '\u{fffd}',
    '\u{ffff}',
    '\u{10000}',
    '😀',
    '𝄞',
    '\u{10ffff}',
];

fn string(rng: &mut Rng) -> String {
    let n = rng.below(7);
    (0..n).map(|_| *rng.pick(CHARS)).collect()
}

/// A second string: often equal to the first, a prefix of it, or one character off.
fn related(rng: &mut Rng, s: &str) -> String {
    match rng.below(6) {
        0 => s.to_owned(),
        1 => s.chars().take(rng.below(s.chars().count() as u64 + 1) as usize).collect(),
        2 => format!("{s}{}", rng.pick(CHARS)),
        _ => string(rng),
    }
}

fn integer(rng: &mut Rng) -> i64 {
    match rng.below(4) {
        0 => rng.int(5),
        1 => rng.int(16),
        _ => rng.int(26),
    }
}

/// A nonzero integer (Rust panics on a division by zero).
fn divisor(rng: &mut Rng) -> i64 {
    match integer(rng) {
        0 => 1 + rng.below(5) as i64,
        n => n,
    }
}

/// An integer a double holds exactly (|n| < 2^53).
fn large(rng: &mut Rng) -> i64 {
    match rng.below(5) {
        0 => *rng.pick(&[0, 1, -1, 255, 256, -129, 65535, i32::MAX as i64 + 1, (1 << 53) - 1, -(1 << 53) + 1]),
        1 => rng.int(9),
        2 => rng.int(33),
        _ => rng.int(53),
    }
}

fn float(rng: &mut Rng) -> f64 {
    match rng.below(6) {
        0 => *rng.pick(&[0.1, 0.2, 0.3, 2.5, -2.5, 1e-7, -0.5, 255.9, 256.0, -1.5, 1e12, -3e9, 4.3e9]),
        1 => rng.int(20) as f64,
        2 => rng.int(30) as f64 / (1u64 << rng.below(30)) as f64,
        3 => rng.int(20) as f64 / 10f64.powi(rng.below(8) as i32),
        _ => rng.int(40) as f64 / 1e6,
    }
}

fn nonzero_float(rng: &mut Rng) -> f64 {
    let y = float(rng);
    if y.abs() < 1e-3 { 0.75 } else { y }
}

/// Random values as the workflow's JSON input: an `Option` field is absent, `null` or set.
fn values(rng: &mut Rng) -> Value {
    let (s, t) = if rng.below(8) == 0 {
        // The same prefix, then a character UTF-16 orders after one past U+FFFF, or the reverse.
        let prefix = string(rng);
        let bmp = *rng.pick(&['\u{e000}', '\u{fffd}', '\u{ffff}']);
        let astral = *rng.pick(&['\u{10000}', '😀', '\u{10ffff}']);
        let (first, second) = if rng.below(2) == 0 { (bmp, astral) } else { (astral, bmp) };
        (format!("{prefix}{first}"), format!("{prefix}{second}"))
    } else {
        let s = string(rng);
        let t = related(rng, &s);
        (s, t)
    };
    let big = large(rng);
    let big2 = match rng.below(3) {
        0 => big,
        1 => big + *rng.pick(&[-1, 1]),
        _ => large(rng),
    };
    let a = integer(rng);
    let mut input = json!({
        "s": s, "t": t, "c": rng.pick(CHARS), "d": rng.pick(CHARS),
        "a": a, "b": divisor(rng), "big": big, "big2": big2, "u": rng.next() as u32,
        "x": float(rng), "y": nonzero_float(rng), "flag": rng.below(2) == 0,
        "v": (0..rng.below(3)).map(|_| string(rng)).collect::<Vec<_>>(),
    });
    let n = match rng.below(3) {
        0 => None,
        1 => Some(Value::Null),
        _ => Some(Value::from(if rng.below(2) == 0 { input["s"].as_str().unwrap().to_owned() } else { string(rng) })),
    };
    let m = match rng.below(3) {
        0 => None,
        1 => Some(Value::Null),
        _ => Some(Value::from(if rng.below(2) == 0 { a } else { integer(rng) })),
    };
    for (key, value) in [("n", n), ("m", m)] {
        if let Some(value) = value {
            input[key] = value;
        }
    }
    input
}

/* ------------------------------------------ EVALUATION ------------------------------------------ */

/// The state after the input check (`Check input`).
fn first_state(definition: &Value) -> &str {
    let start = definition["StartAt"].as_str().unwrap();
    definition["States"][start]["Default"].as_str().filter(|_| start == stepcraft::input::CHECK_STATE).unwrap_or(start)
}

/// The emitted JSONata of each form: the fields of the final state's `Output`.
fn emitted() -> Vec<(String, String)> {
    let definition: Value = serde_json::from_str(&<forms as Workflow>::definition_json()).unwrap();
    let start = first_state(&definition);
    let output = definition["States"][start]["Output"].as_object().expect("the workflow is one state with an Output");
    output
        .iter()
        .map(|(field, template)| {
            let text = template.as_str().unwrap_or_else(|| panic!("`{field}` is not computed: {template}"));
            let source = text.strip_prefix("{%").and_then(|t| t.strip_suffix("%}")).expect("a `{% … %}` template");
            (field.clone(), source.trim().to_owned())
        })
        .collect()
}

/// What the state machine sees as `$states` when its first state runs on `input`.
fn states(input: &Value) -> Value {
    json!({"input": input, "context": {"Execution": {"Input": input}}})
}

fn native(input: &Value) -> Value {
    thread_local! {
        static RUNTIME: stepcraft::tokio::runtime::Runtime =
            stepcraft::tokio::runtime::Builder::new_current_thread().build().unwrap();
    }
    let values: Values = serde_json::from_value(input.clone()).expect("the generated input deserialises");
    let forms = RUNTIME.with(|runtime| runtime.block_on(forms(values))).expect("the workflow cannot fail");
    serde_json::to_value(forms).unwrap()
}

/// JSON equality, numbers compared as numbers (`3` = `3.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn cases() -> usize {
    std::env::var("STEPCRAFT_PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(1000)
}

fn seed() -> u64 {
    std::env::var("STEPCRAFT_PROPTEST_SEED").ok().and_then(|n| n.parse().ok()).unwrap_or(0x5e_ed_0f_11)
}

#[test]
fn every_form_is_listed() {
    let emitted: Vec<String> = emitted().into_iter().map(|(field, _)| field).collect();
    let listed: Vec<&str> = FORMS.iter().map(|(field, _)| *field).collect();
    assert_eq!(emitted, listed);
}

#[test]
fn the_emitted_jsonata_computes_what_the_rust_body_computes() {
    let forms = emitted();
    let parsed: Vec<Expression> = forms
        .iter()
        .map(|(field, source)| Expression::parse(source).unwrap_or_else(|e| panic!("`{field}`: `{source}`: {e}")))
        .collect();
    let mut rng = Rng(seed());
    let mut mismatches = Vec::new();
    let mut traps = [0usize; 4];
    let cases = cases();
    for _ in 0..cases {
        let input = values(&mut rng);
        let expected = native(&input);
        let (s, t) = (input["s"].as_str().unwrap(), input["t"].as_str().unwrap());
        traps[0] += usize::from(expected["s_len"] != expected["s_chars"]);
        traps[1] += usize::from((s < t) != s.encode_utf16().lt(t.encode_utf16()));
        traps[2] += usize::from(input.get("n").is_none() || input["n"].is_null());
        traps[3] += usize::from(input["a"].as_i64().unwrap() % input["b"].as_i64().unwrap() < 0);
        let states = states(&input);
        let env = Env::step_functions().bind("states", &states);
        for ((field, source), expression) in forms.iter().zip(&parsed) {
            let got = expression.evaluate(&Value::Null, &env);
            let want = &expected[field.as_str()];
            if !matches!(&got, Ok(Some(value)) if same(value, want)) && mismatches.len() < 20 {
                let rust = FORMS.iter().find(|(f, _)| f == field).map_or("?", |(_, r)| *r);
                mismatches.push(format!(
                    "{field}: `{rust}` on {input}\n  Rust:    {want}\n  JSONata: {got:?}\n  source:  {source}"
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{} cases (seed {}):\n{}", cases, seed(), mismatches.join("\n"));
    // The draws reach the traps: non-ASCII lengths, UTF-16 orders that are not Rust's, absent
    // or null options, negative remainders.
    assert!(cases < 500 || traps.iter().all(|&n| n > cases / 100), "{traps:?}");
}

/// The pinned reference jsonata 2.0.6 (the jsonata crate's `oracle/`), if node can run it.
fn oracle() -> Option<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime/jsonata/oracle");
    let node = std::process::Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if node && !root.join("node_modules/jsonata/package.json").exists() {
        let installed =
            std::process::Command::new("bash").arg(root.join("install.sh")).status().is_ok_and(|s| s.success());
        assert!(installed, "oracle/install.sh failed: the reference jsonata 2.0.6 could not be installed");
    }
    (node && root.join("node_modules/jsonata/package.json").exists()).then_some(root)
}

#[test]
fn a_sample_agrees_with_the_reference_jsonata() {
    let Some(root) = oracle() else {
        eprintln!("NOTICE: reference sample skipped: node or runtime/jsonata/oracle/node_modules missing");
        return;
    };
    let forms = emitted();
    let mut rng = Rng(seed() ^ 0xa5a5);
    let mut batch = Vec::new();
    let mut expected = Vec::new();
    for _ in 0..150 {
        let input = values(&mut rng);
        let native = native(&input);
        for (field, source) in &forms {
            batch.push(json!({"expr": source, "input": null, "bindings": {"states": states(&input)}}));
            expected.push((field.clone(), input.clone(), native[field.as_str()].clone()));
        }
    }
    let mut child = std::process::Command::new("node")
        .arg(root.join("eval.js"))
        .current_dir(&root)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("node runs");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), Value::from(batch).to_string().as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let results: Vec<Value> = serde_json::from_slice(&output.stdout).expect("eval.js answers a JSON array");
    let mismatches: Vec<String> = results
        .iter()
        .zip(&expected)
        .filter(|(got, (_, _, want))| !got.get("value").is_some_and(|v| same(v, want)))
        .take(20)
        .map(|(got, (field, input, want))| format!("{field} on {input}\n  Rust: {want}\n  jsonata 2.0.6: {got}"))
        .collect();
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/* ------------------------------------------- OVERFLOW ------------------------------------------- */

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
pub struct Pair {
    pub p: i64,
    pub q: i64,
}

#[workflow]
pub async fn big_add(i: Pair) -> Result<i64, Never> {
    Ok(i.p + i.q)
}

#[workflow]
pub async fn big_sub(i: Pair) -> Result<i64, Never> {
    Ok(i.p - i.q)
}

#[workflow]
pub async fn big_mul(i: Pair) -> Result<i64, Never> {
    Ok(i.p * i.q)
}

/// An integer result beyond ±(2^53 − 1), which a double cannot hold exactly, fails the
/// state machine's evaluation (`States.QueryEvaluationError`); natively, `run_native` ends with
/// that failure too. Within it, both compute the exact value.
#[test]
fn integer_results_past_2_pow_53_fail_natively_as_in_the_state_machine() {
    fn source<W: Workflow>() -> String {
        let definition: Value = serde_json::from_str(&W::definition_json()).unwrap();
        let start = first_state(&definition);
        let text = definition["States"][start]["Output"].as_str().expect("one state whose Output is an expression");
        text.strip_prefix("{%").and_then(|t| t.strip_suffix("%}")).unwrap().trim().to_owned()
    }
    fn native<W: Workflow<Input = Pair, Output = i64>>(pair: Pair) -> Result<i64, String> {
        let runtime = stepcraft::tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(stepcraft::workflow::run_native::<W>(pair)).map_err(|failure| failure.error)
    }
    type Form = (&'static str, String, fn(Pair) -> Result<i64, String>);
    let forms: [Form; 3] = [
        ("p + q", source::<big_add>(), native::<big_add>),
        ("p - q", source::<big_sub>(), native::<big_sub>),
        ("p * q", source::<big_mul>(), native::<big_mul>),
    ];
    let mut rng = Rng(seed() ^ 0x0f10);
    let mut mismatches = Vec::new();
    let (mut failed, mut computed) = (0, 0);
    for _ in 0..cases().min(2000) {
        let near = |rng: &mut Rng| match rng.below(3) {
            0 => *rng.pick(&[(1 << 53) - 1, -(1 << 53) + 1, 1 << 52, -(1 << 52), 1, -1, 0, 94_906_266, 94_906_265]),
            1 => large(rng),
            _ => rng.int(27),
        };
        let pair = Pair { p: near(&mut rng), q: near(&mut rng) };
        let input = serde_json::to_value(&pair).unwrap();
        let states = states(&input);
        let env = Env::step_functions().bind("states", &states);
        for (rust, source, run) in &forms {
            let want = run(pair.clone());
            let got = Expression::parse(source).unwrap().evaluate(&Value::Null, &env);
            let agree = match (&want, &got) {
                (Ok(v), Ok(Some(value))) => value.as_f64() == Some(*v as f64) && value.as_i64() == Some(*v),
                (Err(name), Err(_)) => name == "States.QueryEvaluationError",
                _ => false,
            };
            failed += usize::from(want.is_err());
            computed += usize::from(want.is_ok());
            if !agree && mismatches.len() < 20 {
                mismatches.push(format!("`{rust}` on {input}\n  Rust:    {want:?}\n  JSONata: {got:?}"));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(failed > 0 && computed > failed, "both sides of the bound are drawn: {failed} failed, {computed} computed");
}

/* ------------------------------------------ INPUT CHECKS ------------------------------------------ */

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
#[serde(rename_all = "camelCase")]
pub struct Signup {
    pub user_name: String,
    pub age: u8,
    pub ratio: f64,
    pub admin: bool,
    pub tags: Vec<String>,
    pub note: Option<String>,
    pub plan: Plan,
    pub address: Address,
    pub billing: Option<Address>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
pub enum Plan {
    Free,
    Pro,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
pub struct Address {
    pub street: String,
    pub zip: u32,
}

/// A valid signup, then one to three mistakes: a field removed, or replaced by a value of
/// another JSON type (singleton arrays, fractions, negatives, out-of-range numbers, unknown
/// enum names, `null` included).
fn signup(rng: &mut Rng) -> Value {
    let mut input = json!({
        "userName": string(rng), "age": rng.below(256), "ratio": float(rng), "admin": rng.below(2) == 0,
        "tags": (0..rng.below(3)).map(|_| string(rng)).collect::<Vec<_>>(), "plan": rng.pick(&["Free", "Pro"]),
        "address": {"street": string(rng), "zip": rng.below(100_000)},
    });
    if rng.below(2) == 0 {
        input["note"] = if rng.below(2) == 0 { Value::Null } else { Value::from(string(rng)) };
    }
    if rng.below(2) == 0 {
        input["billing"] = json!({"street": string(rng), "zip": 1});
    }
    let paths: &[&[&str]] = &[
        &["userName"],
        &["age"],
        &["ratio"],
        &["admin"],
        &["tags"],
        &["note"],
        &["plan"],
        &["address"],
        &["address", "street"],
        &["address", "zip"],
        &["billing"],
        &["billing", "zip"],
    ];
    let wrong = [
        json!(null),
        json!("7"),
        json!(7),
        json!(-1),
        json!(1.5),
        json!(256),
        json!(4_294_967_296_u64),
        json!(true),
        json!([]),
        json!(["x"]),
        json!([1]),
        json!({}),
        json!("Gold"),
        json!("Pro"),
    ];
    for _ in 0..1 + rng.below(3) {
        let path = *rng.pick(paths);
        let (last, parents) = path.split_last().unwrap();
        let Some(Value::Object(parent)) = parents.iter().try_fold(&mut input, |v, k| v.get_mut(*k)) else { continue };
        if rng.below(3) == 0 {
            parent.remove(*last);
        } else {
            parent.insert(last.to_string(), rng.pick(&wrong).clone());
        }
    }
    if rng.below(40) == 0 {
        input = rng.pick(&wrong).clone();
    }
    input
}

/// The state machine's `Check input` (its JSONata, by the project's engine and a sample by the
/// reference jsonata) finds the problem native `invoke` finds, with the same message, on every
/// input; and an input both pass decodes.
#[test]
fn the_state_machine_checks_the_input_as_decoding_it_does() {
    let checks = stepcraft::input::checks::<Signup>();
    let source = stepcraft::expr::input_problem(&checks).source();
    let expression = Expression::parse(&source).unwrap();
    let mut rng = Rng(seed() ^ 0x19_07);
    let (mut batch, mut expected, mut mismatches) = (Vec::new(), Vec::new(), Vec::new());
    let mut bad = 0;
    for _ in 0..cases() {
        let input = signup(&mut rng);
        let native = stepcraft::input::problem(&checks, &input);
        let decodes = serde_json::from_value::<Signup>(input.clone()).is_ok();
        bad += usize::from(native.is_some());
        let states = json!({"input": input});
        let env = Env::step_functions().bind("states", &states);
        let got = expression.evaluate(&Value::Null, &env);
        let agree = match (&native, &got) {
            (Some(message), Ok(Some(Value::String(got)))) => message == got,
            (None, Ok(None)) => decodes,
            _ => false,
        };
        if !agree && mismatches.len() < 20 {
            mismatches.push(format!("{input}\n  native: {native:?} (decodes: {decodes})\n  JSONata: {got:?}"));
        }
        if batch.len() < 300 {
            batch.push(json!({"expr": source, "input": null, "bindings": {"states": {"input": input}}}));
            expected.push((input, native));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(bad > cases() / 2 && bad < cases(), "both good and bad inputs are drawn: {bad} bad");
    let Some(root) = oracle() else { return };
    let mut child = std::process::Command::new("node")
        .arg(root.join("eval.js"))
        .current_dir(&root)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("node runs");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), Value::from(batch).to_string().as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let results: Vec<Value> = serde_json::from_slice(&output.stdout).expect("eval.js answers a JSON array");
    let mismatches: Vec<String> = results
        .iter()
        .zip(&expected)
        .filter(|(got, (_, native))| got.get("value").and_then(Value::as_str) != native.as_deref())
        .take(20)
        .map(|(got, (input, native))| format!("{input}\n  native: {native:?}\n  jsonata 2.0.6: {got}"))
        .collect();
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
