//! Checks of the ASL stepcraft emits by implementations we did not write, vendored in
//! `tests/asl-tools` (see its README): four public validators ([`validate`]) and moto's port of
//! LocalStack's Step Functions interpreter ([`execute`], [`execute_batch`]), whose Lambda tasks
//! can be answered by the real Rust activities (`<binary> invoke NAME --input JSON`, through
//! `tests/asl-tools/rust_activities.py`), with [`Injection`]s to make chosen attempts fail.
//!
//! Also: synthesising a crate's workflows ([`synth`], [`deployable`]), substituting the
//! `${Name}` placeholders with ARNs as the deployment template would ([`substitutions`],
//! [`substitute`]), and running a function natively ([`invoke`]) to compare with.
//!
//! The tools are installed once per process by [`install`] (`tests/asl-tools/install.sh`:
//! `npm ci` and a Python venv, ~45 s the first time, ~1.5 s after; needs node/npm and python3
//! ≥ 3.9 and the npm and PyPI registries), serialised across processes by a file lock.

use std::{
    collections::BTreeMap,
    fmt, fs,
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
    sync::{Mutex, OnceLock},
    time::{Duration, Instant},
};

use serde_json::{Map, Value, json};
use stepcraft::local::{Callback, ExecutionResult, Intercept, Local, Status, TaskFailure, TaskRequest, TaskResponse};

/// The validators [`validate`] runs on every file, in the order it reports them.
pub const VALIDATORS: [&str; 4] = ["asl-validator", "statelint", "asl-service", "interpreter"];

/// Region and account of the ARNs [`substitutions`] produces.
pub const REGION: &str = "us-east-1";
/// See [`REGION`].
pub const ACCOUNT: &str = "111111111111";

/* -------------------------------------------- INSTALL ------------------------------------------- */

/// `tests/asl-tools`.
pub fn tools_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("asl-tools")
}

/// Installs the tools (once per process; other processes wait on a file lock) and returns
/// [`tools_dir`]. Panics with the installer's output if it fails.
pub fn install() -> PathBuf {
    static INSTALLED: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    INSTALLED.get_or_init(run_install).clone().unwrap_or_else(|e| panic!("{e}"))
}

fn run_install() -> Result<PathBuf, String> {
    let dir = tools_dir();
    let lock_path = dir.join(".install.lock");
    let lock = fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(|e| format!("cannot open {}: {e}", lock_path.display()))?;
    lock.lock().map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
    let start = Instant::now();
    let output = Command::new("bash")
        .arg(dir.join("install.sh"))
        .current_dir(&dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run bash {}/install.sh: {e}", dir.display()))?;
    drop(lock);
    if !output.status.success() {
        return Err(format!(
            "{}/install.sh failed ({}); it needs node/npm, python3 >= 3.9 and the npm and PyPI registries\n\
             --- stdout\n{}--- stderr\n{}",
            dir.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    eprintln!("asl tools: {} in {:.1}s", stdout.lines().last().unwrap_or("installed"), start.elapsed().as_secs_f64());
    Ok(dir)
}

/* ------------------------------------------- VALIDATE ------------------------------------------- */

/// One validator's verdict on one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub file: PathBuf,
    /// One of [`VALIDATORS`] (or `read/parse` when the file is not JSON).
    pub validator: String,
    pub ok: bool,
    /// The validator's complaints; also informational lines on a pass (statelint lists the
    /// JSONata fields it does not know and were ignored).
    pub messages: Vec<String>,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.file.display(), self.validator, if self.ok { "PASS" } else { "FAIL" })?;
        if !self.messages.is_empty() {
            write!(f, ": {}", self.messages.join(" | "))?;
        }
        Ok(())
    }
}

/// Runs every validator of [`VALIDATORS`] on every file (`validate --json`, one process):
/// one [`Verdict`] per file and validator, in file order. A validator that gave no verdict on
/// a file counts as a failure saying so.
pub fn validate(files: &[impl AsRef<Path>]) -> Vec<Verdict> {
    let dir = install();
    if files.is_empty() {
        return Vec::new();
    }
    let files: Vec<PathBuf> =
        files.iter().map(|f| std::path::absolute(f.as_ref()).expect("an absolute path")).collect();
    let mut command = Command::new(dir.join("validate"));
    command.arg("--json").args(&files).stdin(Stdio::null());
    let output = run(&mut command);
    if !matches!(output.status.code(), Some(0 | 1)) {
        panic!("{}", failure("validate", &command, &output));
    }
    let mut by_file: BTreeMap<PathBuf, Vec<Verdict>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines().filter(|l| !l.trim().is_empty()) {
        let verdict = match serde_json::from_str::<Value>(line) {
            Ok(v) => Verdict {
                file: PathBuf::from(v["file"].as_str().unwrap_or_default()),
                validator: v["validator"].as_str().unwrap_or("?").to_owned(),
                ok: v["ok"] == true,
                messages: v["messages"]
                    .as_array()
                    .map(|m| m.iter().map(|s| s.as_str().map_or_else(|| s.to_string(), str::to_owned)).collect())
                    .unwrap_or_default(),
            },
            // `FILE read/parse FAIL: ...` is printed as text even with --json.
            Err(_) => match files.iter().find(|f| line.starts_with(&*f.to_string_lossy())) {
                Some(file) => Verdict {
                    file: file.clone(),
                    validator: "read/parse".to_owned(),
                    ok: false,
                    messages: vec![line.to_owned()],
                },
                None => panic!("validate printed an unexpected line: {line}"),
            },
        };
        by_file.entry(verdict.file.clone()).or_default().push(verdict);
    }
    let mut verdicts = Vec::new();
    for file in files {
        let mut got = by_file.remove(&file).unwrap_or_default();
        if !got.iter().any(|v| v.validator == "read/parse") {
            for validator in VALIDATORS {
                if !got.iter().any(|v| v.validator == validator) {
                    got.push(Verdict {
                        file: file.clone(),
                        validator: validator.to_owned(),
                        ok: false,
                        messages: vec![format!("no verdict from {validator}")],
                    });
                }
            }
        }
        verdicts.extend(got);
    }
    verdicts
}

/* ------------------------------------------- EXECUTE -------------------------------------------- */

/// The state machine type of an execution.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MachineType {
    #[default]
    Standard,
    Express,
}

impl MachineType {
    fn as_str(self) -> &'static str {
        match self {
            MachineType::Standard => "STANDARD",
            MachineType::Express => "EXPRESS",
        }
    }
}

/// An answer given to a Lambda task instead of running the activity: see
/// `tests/asl-tools/rust_activities.py`.
#[derive(Debug, Clone, PartialEq)]
pub struct Injection {
    /// The Lambda function (the activity's name, e.g. `charge_payment`).
    pub function: String,
    /// Only in this Task state.
    pub state: Option<String>,
    /// Only these attempts (1 = the first try, 2 = the first retry, ...; counted per entry
    /// into the state); `None`: every attempt.
    pub attempts: Option<Vec<u32>>,
    /// A mock entry of the tool: `{"error", "cause"}` (the function failed with that
    /// `errorType`/`errorMessage`), `{"service_error": "ServiceException"}`, `{"return": X}`.
    pub response: Value,
    /// Run the activity first: its failure is the answer; if it returns, [`Injection::response`]'s
    /// keys are added to its `{"return": …}` (see [`Injection::callback`]).
    pub after_activity: bool,
}

impl Injection {
    /// `function` fails (on every attempt) with `errorType` `error` and `errorMessage` `cause`.
    pub fn error(function: &str, error: &str, cause: &str) -> Injection {
        Injection {
            function: function.to_owned(),
            state: None,
            attempts: None,
            response: json!({ "error": error, "cause": cause }),
            after_activity: false,
        }
    }

    /// For a `lambda:invoke.waitForTaskToken` task: the callback activity really runs (so its
    /// payload `{input, taskToken}` must suit it, and its failure is the task's); if it returns,
    /// the task token is then completed as `SendTaskSuccess`/`SendTaskFailure` would:
    /// `outcome` is `{"output": X}` or `{"error": E, "cause": C}` (the tool's `callback` mock).
    pub fn callback(function: &str, outcome: Value) -> Injection {
        Injection {
            function: function.to_owned(),
            state: None,
            attempts: None,
            response: json!({ "callback": outcome }),
            after_activity: true,
        }
    }

    /// The Lambda service itself fails the Invoke call (Step Functions error `Lambda.<code>`).
    pub fn service_error(function: &str, code: &str) -> Injection {
        Injection {
            function: function.to_owned(),
            state: None,
            attempts: None,
            response: json!({ "service_error": code }),
            after_activity: false,
        }
    }

    /// `function` takes `seconds` before answering (really, in the interpreter; in virtual
    /// time, in the local executor): past the task's `TimeoutSeconds`, `States.Timeout`.
    pub fn slow(function: &str, seconds: f64) -> Injection {
        Injection {
            function: function.to_owned(),
            state: None,
            attempts: None,
            response: json!({ "return": null, "delay": seconds }),
            after_activity: false,
        }
    }

    /// Only on these attempts (1-based).
    pub fn on_attempts(mut self, attempts: &[u32]) -> Injection {
        self.attempts = Some(attempts.to_vec());
        self
    }

    /// Only in this Task state.
    pub fn in_state(mut self, state: &str) -> Injection {
        self.state = Some(state.to_owned());
        self
    }

    fn to_json(&self) -> Value {
        let mut rule = Map::new();
        rule.insert("function".into(), self.function.clone().into());
        if let Some(state) = &self.state {
            rule.insert("state".into(), state.clone().into());
        }
        if let Some(attempts) = &self.attempts {
            rule.insert("attempts".into(), attempts.clone().into());
        }
        if self.after_activity {
            rule.insert("after_activity".into(), true.into());
        }
        if let Value::Object(response) = &self.response {
            rule.extend(response.clone());
        }
        Value::Object(rule)
    }
}

/// How to run an execution.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// A stepcraft binary whose activities answer the Lambda tasks (`invoke`); `None`: only
    /// [`Options::mocks`] answer.
    pub activities: Option<PathBuf>,
    /// The tool's mocks (README of `tests/asl-tools`), used for Lambda tasks that neither an
    /// injection nor the activities answer.
    pub mocks: Option<Value>,
    /// Injected answers, checked before running the activity; the first matching one wins.
    pub inject: Vec<Injection>,
    pub machine_type: MachineType,
}

/// One execution of a batch.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    /// The ASL file (placeholders substituted).
    pub definition: PathBuf,
    pub input: Value,
    pub options: Options,
}

/// How an execution ended in the interpreter.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    pub name: String,
    /// `SUCCEEDED`, `FAILED`, `TIMED_OUT`, `ABORTED`, or `INVALID_DEFINITION` when the
    /// interpreter rejected the definition (then `error`/`cause` say why).
    pub status: String,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    /// The `name` of every `*StateEntered` event, in history order (branches and Map
    /// iterations run concurrently: their states interleave).
    pub states_entered: Vec<String>,
    /// The tool's notes in order: `retry #1 of 'ChargePayment' after 2s back-off (skipped)`,
    /// `(wait of 3600s skipped)`, `handler -> return {...}`, ...
    pub notes: Vec<String>,
    /// The history events (`id`, `type`, and `input`/`output`/`error`/`cause`/`name`/
    /// `resource`/`resourceType`/`parameters` when present).
    pub events: Vec<Value>,
    /// Problems of the tool itself (no mock for a task, a handler failure): must be empty.
    pub tool_errors: Vec<String>,
    /// Time the execution took in the interpreter.
    pub elapsed: Duration,
    /// Every retry back-off, in order: the Task/Parallel/Map state and the seconds (from the
    /// interpreter's notes; from the virtual timestamps of a [`Execution::from_local`] run).
    pub backoffs: Vec<(String, f64)>,
    /// The Wait states' durations (seconds), in order (from the interpreter's notes, where a
    /// `Timestamp` already past is a negative number; from the virtual timestamps of a
    /// [`Execution::from_local`] run).
    pub wait_seconds: Vec<f64>,
    /// When each of those Waits was entered, in seconds since the Unix epoch, where known: the
    /// virtual time of a [`Execution::from_local`] run (the interpreter skips waits and does
    /// not say).
    pub wait_entered: Vec<Option<f64>>,
}

impl Execution {
    /// The Lambda functions the Tasks invoked (each attempt), in scheduling order: the
    /// last segment of each `FunctionName` ARN.
    pub fn lambda_calls(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| e["type"] == "TaskScheduled" && e["resourceType"] == "lambda")
            .filter_map(|e| serde_json::from_str::<Value>(e["parameters"].as_str()?).ok())
            .map(|p| function_name(p["FunctionName"].as_str().unwrap_or("?")))
            .collect()
    }

    /// The retry back-offs (seconds) of Task/Parallel/Map `state`, in order.
    pub fn retry_delays(&self, state: &str) -> Vec<f64> {
        self.backoffs.iter().filter(|(s, _)| s == state).map(|(_, d)| *d).collect()
    }

    /// The retry back-offs (seconds) by state, each state's in order.
    pub fn retries_by_state(&self) -> BTreeMap<String, Vec<f64>> {
        let mut by_state: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for (state, delay) in &self.backoffs {
            by_state.entry(state.clone()).or_default().push(*delay);
        }
        by_state
    }

    /// The Wait states' durations (seconds), in order.
    pub fn waits(&self) -> Vec<f64> {
        self.wait_seconds.clone()
    }
}

/// Runs one execution of `definition` on `input`.
pub fn execute(definition: impl AsRef<Path>, input: &Value, options: &Options) -> Execution {
    let name = definition.as_ref().file_name().map_or_else(|| "execution".into(), |n| n.to_string_lossy().into_owned());
    let case =
        Case { name, definition: definition.as_ref().to_owned(), input: input.clone(), options: options.clone() };
    execute_batch(&[case]).pop().expect("one execution")
}

/// Runs every case in one interpreter process (`execute --batch --json`: startup ~1.5 s,
/// then ~50 ms an execution plus the activities' processes) and returns their executions in
/// order. Waits and retry back-offs are skipped (and noted). Panics if the tool fails.
pub fn execute_batch(cases: &[Case]) -> Vec<Execution> {
    let dir = install();
    if cases.is_empty() {
        return Vec::new();
    }
    let mut batch = Vec::new();
    for case in cases {
        let definition = std::path::absolute(&case.definition).expect("an absolute path");
        let mut env = Map::new();
        if let Some(binary) = &case.options.activities {
            let binary = std::path::absolute(binary).expect("an absolute path");
            env.insert("STEPCRAFT_BIN".into(), binary.to_string_lossy().into_owned().into());
        }
        if !case.options.inject.is_empty() {
            let rules: Vec<Value> = case.options.inject.iter().map(Injection::to_json).collect();
            env.insert("STEPCRAFT_INJECT".into(), Value::Array(rules).to_string().into());
        }
        batch.push(json!({
            "name": case.name,
            "file": definition,
            "input": case.input,
            "mocks": case.options.mocks.clone().unwrap_or_else(|| json!({})),
            "type": case.options.machine_type.as_str(),
            "env": env,
        }));
    }
    let batch_file = scratch_dir().join(format!("batch-{}.json", next_id()));
    fs::write(&batch_file, serde_json::to_vec_pretty(&batch).expect("JSON")).expect("write the batch file");
    let mut command = Command::new(dir.join("execute"));
    command
        .args(["--batch"])
        .arg(&batch_file)
        .arg("--json")
        .arg("--handler")
        .arg(format!("{}:handle", dir.join("rust_activities.py").display()))
        .env_remove("STEPCRAFT_BIN")
        .env_remove("STEPCRAFT_INJECT")
        .stdin(Stdio::null());
    let output = run(&mut command);
    // 0: all ran to an end; 1: a tool error in some case (reported in its tool_errors);
    // 3: a definition was rejected (status INVALID_DEFINITION). 2 and others: usage/IO.
    let results: Vec<Value> = match (output.status.code(), serde_json::from_slice(&output.stdout)) {
        (Some(0 | 1 | 3), Ok(Value::Array(results))) if results.len() == cases.len() => results,
        _ => panic!("{}", failure("execute", &command, &output)),
    };
    let _ = fs::remove_file(&batch_file);
    results.into_iter().map(execution).collect()
}

fn execution(v: Value) -> Execution {
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| a.iter().map(|s| s.as_str().map_or_else(|| s.to_string(), str::to_owned)).collect())
            .unwrap_or_default()
    };
    let events: Vec<Value> = v["events"].as_array().cloned().unwrap_or_default();
    let states_entered = events
        .iter()
        .filter(|e| e["type"].as_str().is_some_and(|t| t.ends_with("StateEntered")))
        .map(|e| e["name"].as_str().unwrap_or("?").to_owned())
        .collect();
    let notes = strings(&v["notes"]);
    // `retry #1 of 'ChargePayment' after 2s back-off (skipped)`, `(wait of 3600s skipped)`.
    let backoffs = notes
        .iter()
        .filter_map(|n| n.strip_prefix("retry #")?.split_once(" of '")?.1.split_once("' after "))
        .filter_map(|(state, rest)| Some((state.to_owned(), rest.split_once("s back-off")?.0.parse().ok()?)))
        .collect();
    let wait_seconds: Vec<f64> =
        notes.iter().filter_map(|n| n.strip_prefix("(wait of ")?.strip_suffix("s skipped)")?.parse().ok()).collect();
    Execution {
        name: v["name"].as_str().unwrap_or_default().to_owned(),
        status: v["status"].as_str().unwrap_or("?").to_owned(),
        // SUCCEEDED with a JSON null output is Some(Null); failures have no output.
        output: if v["status"] == "SUCCEEDED" { Some(v["output"].clone()) } else { None },
        error: v["error"].as_str().map(str::to_owned),
        cause: v["cause"].as_str().map(str::to_owned),
        states_entered,
        notes,
        tool_errors: strings(&v["tool_errors"]),
        elapsed: Duration::from_secs_f64(v["elapsed_s"].as_f64().unwrap_or(0.0)),
        events,
        wait_entered: vec![None; wait_seconds.len()],
        backoffs,
        wait_seconds,
    }
}

/* ------------------------------------- SYNTH AND PLACEHOLDERS ------------------------------------- */

/// A function a stepcraft binary hosts (`<binary> list`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hosted {
    pub name: String,
    /// `activity`, `workflow`, `handler`, ...
    pub kind: String,
}

/// The functions `binary` hosts.
pub fn hosted(binary: &Path) -> Vec<Hosted> {
    let mut command = Command::new(binary);
    command.arg("list").stdin(Stdio::null());
    let output = run(&mut command);
    assert!(output.status.success(), "{}", failure("list", &command, &output));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(name, kind)| Hosted { name: name.to_owned(), kind: kind.trim().to_owned() })
        .collect()
}

/// `<binary> synth --out DIR`: the state machine files (`*.asl.json`) it wrote, sorted.
pub fn synth(binary: &Path, out: &Path) -> Vec<PathBuf> {
    let mut command = Command::new(binary);
    command.arg("synth").arg("--out").arg(out).stdin(Stdio::null());
    let output = run(&mut command);
    assert!(output.status.success(), "{}", failure("synth", &command, &output));
    let mut files: Vec<PathBuf> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(PathBuf::from)
        .filter(|p| p.to_string_lossy().ends_with(".asl.json"))
        .collect();
    files.sort();
    files
}

/// The placeholder of a function in a definition: the PascalCase of its name and `suffix`
/// in `${…}` (`reserve_inventory` → `${ReserveInventory}`; a workflow's state machine:
/// `Checkout`, `StateMachine` → `${CheckoutStateMachine}`).
pub fn placeholder(name: &str, suffix: &str) -> String {
    let pascal: String = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect();
    format!("${{{pascal}{suffix}}}")
}

/// `arn:aws:lambda:us-east-1:111111111111:function:NAME`.
pub fn function_arn(name: &str) -> String {
    format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}")
}

/// `arn:aws:states:us-east-1:111111111111:stateMachine:NAME`.
pub fn state_machine_arn(name: &str) -> String {
    format!("arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}")
}

/// What the deployment template substitutes, placeholder → ARN: every hosted function's
/// placeholder → its function ARN, and a workflow's `${NameStateMachine}` → its state
/// machine's ARN.
pub fn substitutions(hosted: &[Hosted]) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for function in hosted {
        map.insert(placeholder(&function.name, ""), function_arn(&function.name));
        if function.kind == "workflow" {
            map.insert(placeholder(&function.name, "StateMachine"), state_machine_arn(&function.name));
        }
    }
    map
}

/// Replaces every `${...}` of `text` by its substitution. `Err`: the placeholders that
/// have none (the text is left as is).
pub fn substitute(text: &str, substitutions: &BTreeMap<String, String>) -> Result<String, Vec<String>> {
    let mut out = String::with_capacity(text.len());
    let mut unresolved = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find('}') else { break };
        let key = &rest[start..start + len + 1];
        match substitutions.get(key) {
            Some(arn) => out.push_str(arn),
            None => {
                unresolved.push(key.to_owned());
                out.push_str(key);
            }
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    if unresolved.is_empty() { Ok(out) } else { Err(unresolved) }
}

/// [`substitute`] for a definition whose binary is not at hand (golden files): a placeholder
/// `${XStateMachine}` becomes the state machine ARN of `X`, any other `${Name}` the function
/// ARN of `name` in snake_case (`${ReserveInventory}` → `…:function:reserve_inventory`).
pub fn substitute_by_convention(text: &str) -> String {
    let mut map = BTreeMap::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else { break };
        let key = &rest[start..start + len + 1];
        let inner = &key[2..key.len() - 1];
        let arn = match inner.strip_suffix("StateMachine") {
            Some(machine) if !machine.is_empty() => state_machine_arn(machine),
            _ => function_arn(&snake_case(inner)),
        };
        map.insert(key.to_owned(), arn);
        rest = &rest[start + len + 1..];
    }
    substitute(text, &map).expect("every placeholder has a substitution")
}

fn snake_case(pascal: &str) -> String {
    let mut out = String::new();
    let mut previous: Option<char> = None;
    for c in pascal.chars() {
        if c.is_ascii_uppercase() {
            if previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit()) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
        previous = Some(c);
    }
    out
}

/// The Lambda function name in a `FunctionName` (ARN, `NAME:QUALIFIER`, or bare name).
pub fn function_name(function: &str) -> String {
    let parts: Vec<&str> = function.split(':').collect();
    if function.starts_with("arn:") && parts.len() >= 7 { parts[6].to_owned() } else { parts[0].to_owned() }
}

/// A workflow's state machine as synthesised and as deployed.
#[derive(Debug, Clone)]
pub struct Definition {
    /// The file stem: `Checkout` for `Checkout.asl.json`.
    pub name: String,
    /// As `synth` wrote it (placeholders in).
    pub synthesized: PathBuf,
    /// Placeholders substituted by [`substitutions`].
    pub path: PathBuf,
    /// The substituted definition.
    pub json: Value,
}

impl Definition {
    /// The names of the top-level states (not those of Parallel branches or Map iterations).
    pub fn top_level_states(&self) -> Vec<String> {
        self.json["States"].as_object().map(|s| s.keys().cloned().collect()).unwrap_or_default()
    }
}

/// A workspace binary with its workflows synthesised and substituted.
#[derive(Debug, Clone)]
pub struct Deployable {
    pub binary: PathBuf,
    pub hosted: Vec<Hosted>,
    pub definitions: Vec<Definition>,
}

impl Deployable {
    /// The definition of workflow `name` (file stem, e.g. `Checkout`).
    pub fn definition(&self, name: &str) -> &Definition {
        self.definitions.iter().find(|d| d.name == name).unwrap_or_else(|| {
            panic!(
                "no workflow `{name}`; synthesised: {:?}",
                self.definitions.iter().map(|d| &d.name).collect::<Vec<_>>()
            )
        })
    }
}

/// Builds binary `bin` of `package` ([`crate::function::workspace_binary`]), synthesises its
/// workflows and substitutes their placeholders (panics on one without a substitution).
/// Once per process and binary.
pub fn deployable(package: &str, bin: &str) -> Deployable {
    static DONE: Mutex<BTreeMap<(String, String), Deployable>> = Mutex::new(BTreeMap::new());
    let mut done = DONE.lock().unwrap_or_else(|e| e.into_inner());
    let key = (package.to_owned(), bin.to_owned());
    if let Some(d) = done.get(&key) {
        return d.clone();
    }
    let binary = crate::function::workspace_binary(package, bin);
    let hosted = hosted(&binary);
    let out = scratch_dir().join(format!("{package}-{bin}"));
    let _ = fs::remove_dir_all(&out);
    fs::create_dir_all(out.join("deployed")).expect("create the synth folder");
    let subs = substitutions(&hosted);
    let mut definitions = Vec::new();
    for synthesized in synth(&binary, &out) {
        let text = fs::read_to_string(&synthesized).expect("read a synthesised definition");
        let text = substitute(&text, &subs).unwrap_or_else(|unresolved| {
            panic!("{}: no substitution for {unresolved:?} (hosted: {hosted:?})", synthesized.display())
        });
        let file_name = synthesized.file_name().expect("a file name").to_owned();
        let path = out.join("deployed").join(&file_name);
        fs::write(&path, &text).expect("write a substituted definition");
        let name = file_name.to_string_lossy().trim_end_matches(".asl.json").to_owned();
        let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", synthesized.display()));
        definitions.push(Definition { name, synthesized, path, json });
    }
    let deployable = Deployable { binary, hosted, definitions };
    done.insert(key, deployable.clone());
    deployable
}

/* --------------------------------------------- NATIVE -------------------------------------------- */

/// A function's failure as `invoke` reports it (what the Lambda runtime would send).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeError {
    pub error_type: String,
    pub error_message: String,
}

/// A native run of a function.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    pub result: Result<Value, NativeError>,
    pub elapsed: Duration,
}

/// `<binary> invoke NAME --input JSON`: an activity, or a workflow run natively in-process
/// (with paused time). Panics if the binary fails otherwise than with a function error.
pub fn invoke(binary: &Path, name: &str, input: &Value) -> Invocation {
    let mut command = Command::new(binary);
    command.args(["invoke", name, "--input", &input.to_string()]).stdin(Stdio::null());
    let start = Instant::now();
    let output = run(&mut command);
    let elapsed = start.elapsed();
    let result = match output.status.code() {
        Some(0) => Ok(serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{}: stdout is not JSON ({e})", failure("invoke", &command, &output)))),
        Some(1) => {
            let report: Value = serde_json::from_slice(&output.stderr).unwrap_or(Value::Null);
            match (report["errorType"].as_str(), report["errorMessage"].as_str()) {
                (Some(error_type), Some(error_message)) => {
                    Err(NativeError { error_type: error_type.to_owned(), error_message: error_message.to_owned() })
                }
                _ => panic!("{}", failure("invoke", &command, &output)),
            }
        }
        _ => panic!("{}", failure("invoke", &command, &output)),
    };
    Invocation { result, elapsed }
}

/* ------------------------------------------ LOCAL EXECUTOR ---------------------------------------- */

impl Injection {
    /// What this injection makes of `request` in [`stepcraft::local::Local`] (see
    /// [`intercepting`]), as `rust_activities.py` does in the interpreter: the same function,
    /// state and attempt (1-based here, `request.attempt` counts retries from 0) answer with the
    /// function error (`TaskFailure::function_error`), the Lambda service error
    /// (`Lambda.<code>`, the interpreter's cause [`service_error_cause`]) or the return value;
    /// an `after_activity` injection lets the activity answer, then (unless it failed)
    /// completes its callback as `{"callback": {"output"} | {"error", "cause"}}` says.
    pub fn intercept(&self, request: &TaskRequest) -> Intercept {
        if request.function_name.as_deref() != Some(self.function.as_str())
            || self.state.as_ref().is_some_and(|s| **s != *request.state_name)
            || self.attempts.as_ref().is_some_and(|a| !a.contains(&(request.attempt + 1)))
        {
            return Intercept::Pass;
        }
        let response = &self.response;
        let text = |key: &str| response[key].as_str().unwrap_or_default().to_owned();
        if self.after_activity {
            let outcome = response.clone();
            return Intercept::After(Box::new(move |mut answer: TaskResponse| {
                if answer.outcome.is_err() {
                    return answer;
                }
                if let Some(callback) = outcome.get("callback") {
                    let completion = match callback.get("output") {
                        Some(output) => Callback::Success(output.clone()),
                        None => Callback::Failure(TaskFailure::new(
                            callback["error"].as_str().unwrap_or_default(),
                            callback["cause"].as_str().unwrap_or_default(),
                        )),
                    };
                    answer.callback = Some((completion, Duration::ZERO));
                }
                answer
            }));
        }
        if let Some(value) = response.get("return") {
            let delay = Duration::from_secs_f64(response["delay"].as_f64().unwrap_or(0.0));
            Intercept::Respond(TaskResponse::ok(value.clone()).after(delay))
        } else if let Some(code) = response["service_error"].as_str() {
            let message = response["message"].as_str().unwrap_or(code);
            Intercept::Respond(TaskResponse::fail(TaskFailure::new(
                format!("Lambda.{code}"),
                service_error_cause(code, message),
            )))
        } else {
            Intercept::Respond(TaskResponse::fail(TaskFailure::function_error(text("error"), text("cause"))))
        }
    }
}

/// The cause the interpreter gives a Lambda service error `code` (an `Invoke` answered
/// with that error code and `message`), for the local executor's injected twin.
pub fn service_error_cause(code: &str, message: &str) -> String {
    format!(
        "{message} (Service: AWSLambda; Status Code: 500; Error Code: {code}; \
         Request ID: 00000000-0000-0000-0000-000000000000; Proxy: null)"
    )
}

/// `local` with every injection an interceptor, in order: the first matching one wins, as
/// in the interpreter.
pub fn intercepting(mut local: Local, injections: &[Injection]) -> Local {
    for injection in injections {
        let injection = injection.clone();
        local = local.intercept(move |request: &TaskRequest| injection.intercept(request));
    }
    local
}

/// Runs hosted workflow `name` to its end with the local executor, from the current time
/// (so that a `Timestamp` Wait waits what it would in the interpreter), on this thread.
pub fn run_local(local: &Local, name: &str, input: &Value) -> Result<ExecutionResult, String> {
    let machine = local.state_machine(name)?;
    let executor = local.executor()?.start_time_now();
    Ok(executor.run_blocking(&machine, input.clone()))
}

impl Execution {
    /// A local executor's run in the interpreter's terms: status, output, error, cause, the
    /// history events flattened as the tool flattens them (`type`, `id`, `previousEventId`,
    /// `timestamp` and the details' `name`/`resource`/`resourceType`/`parameters`/`input`/
    /// `output`/`error`/`cause`), the states entered; the retry back-offs measured in virtual
    /// time (from a failed task attempt to the next one's scheduling, attributed to the state
    /// whose `*StateEntered` event the thread's `previousEventId` chain leads back to), and the
    /// Wait states' durations (from their entry to their exit).
    pub fn from_local(name: &str, result: &ExecutionResult, elapsed: Duration) -> Execution {
        let by_id: BTreeMap<u64, &stepcraft::local::Event> = result.history.iter().map(|e| (e.id, e)).collect();
        let previous = |e: &stepcraft::local::Event| by_id.get(&e.previous_event_id).copied();
        let entered_state = |e: &stepcraft::local::Event| {
            let mut at = previous(e);
            while let Some(p) = at {
                if p.event_type.ends_with("StateEntered") {
                    return p.name().unwrap_or("?").to_owned();
                }
                at = previous(p);
            }
            "?".to_owned()
        };
        let seconds = |from: i64, to: i64| (to - from) as f64 / 1000.0;
        let mut backoffs = Vec::new();
        let mut wait_seconds = Vec::new();
        let mut wait_entered = Vec::new();
        for event in &result.history {
            match event.event_type {
                "TaskScheduled" | "LambdaFunctionScheduled" => {
                    if let Some(failed) = previous(event).filter(|p| {
                        matches!(
                            p.event_type,
                            "TaskFailed" | "TaskTimedOut" | "LambdaFunctionFailed" | "LambdaFunctionTimedOut"
                        )
                    }) {
                        backoffs.push((entered_state(event), seconds(failed.timestamp_ms, event.timestamp_ms)));
                    }
                }
                "WaitStateExited" => {
                    if let Some(entered) = previous(event).filter(|p| p.event_type == "WaitStateEntered") {
                        wait_seconds.push(seconds(entered.timestamp_ms, event.timestamp_ms));
                        wait_entered.push(Some(seconds(0, entered.timestamp_ms)));
                    }
                }
                _ => {}
            }
        }
        const DETAIL_KEYS: [&str; 8] =
            ["input", "output", "error", "cause", "name", "resource", "resourceType", "parameters"];
        let events = result
            .history
            .iter()
            .map(|event| {
                let full = event.to_json();
                let mut flat = Map::new();
                for key in ["id", "previousEventId", "timestamp", "type"] {
                    flat.insert(key.into(), full[key].clone());
                }
                if let Some(details) =
                    full.as_object().and_then(|m| m.iter().find(|(k, _)| k.ends_with("EventDetails")))
                {
                    for key in DETAIL_KEYS {
                        if let Some(value) = details.1.get(key) {
                            flat.insert(key.into(), value.clone());
                        }
                    }
                }
                Value::Object(flat)
            })
            .collect();
        Execution {
            name: name.to_owned(),
            status: result.status.as_str().to_owned(),
            output: if result.status == Status::Succeeded { result.output.clone() } else { None },
            error: result.error.clone(),
            cause: result.cause.clone(),
            states_entered: result.states_entered().into_iter().map(str::to_owned).collect(),
            notes: Vec::new(),
            events,
            tool_errors: Vec::new(),
            elapsed,
            backoffs,
            wait_seconds,
            wait_entered,
        }
    }
}

/* --------------------------------------------- HELPERS ------------------------------------------- */

fn run(command: &mut Command) -> Output {
    command.output().unwrap_or_else(|e| panic!("could not run {command:?}: {e}"))
}

fn failure(what: &str, command: &Command, output: &Output) -> String {
    format!(
        "{what} failed ({}): {command:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn next_id() -> usize {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// This process's scratch folder: `<target>/tmp/stepcraft-asl/<pid>` (the target dir of the
/// running test executable; the system's temp dir if there is none). Folders of processes
/// that no longer run are removed the first time.
pub fn scratch_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test executable's path");
        let base = exe
            .ancestors()
            .find(|d| d.join("CACHEDIR.TAG").is_file())
            .map_or_else(std::env::temp_dir, |target| target.join("tmp"))
            .join("stepcraft-asl");
        if Path::new("/proc/self").exists()
            && let Ok(entries) = fs::read_dir(&base)
        {
            for entry in entries.flatten() {
                let pid = entry.file_name().to_string_lossy().into_owned();
                if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(&pid).exists() {
                    let _ = fs::remove_dir_all(entry.path());
                }
            }
        }
        let dir = base.join(std::process::id().to_string());
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        dir
    })
    .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_names() {
        assert_eq!(placeholder("reserve_inventory", ""), "${ReserveInventory}");
        assert_eq!(placeholder("Checkout", "StateMachine"), "${CheckoutStateMachine}");
        assert_eq!(snake_case("ReserveInventory"), "reserve_inventory");
        assert_eq!(function_name("arn:aws:lambda:us-east-1:1:function:pack_item:live"), "pack_item");
        assert_eq!(function_name("pack_item:live"), "pack_item");
        let subs = substitutions(&[Hosted { name: "pack_item".into(), kind: "activity".into() }]);
        assert_eq!(substitute(r#"{"F": "${PackItem}", "G": "${Other}"}"#, &subs), Err(vec!["${Other}".to_owned()]));
        assert_eq!(
            substitute(r#"{"F": "${PackItem}"}"#, &subs).unwrap(),
            r#"{"F": "arn:aws:lambda:us-east-1:111111111111:function:pack_item"}"#
        );
        assert_eq!(
            substitute_by_convention(r#"["${ShipOrder}", "${CheckoutStateMachine}"]"#),
            r#"["arn:aws:lambda:us-east-1:111111111111:function:ship_order", "arn:aws:states:us-east-1:111111111111:stateMachine:Checkout"]"#
        );
    }
}
