//! The `main` of every stepcraft binary: under Lambda it serves the function `_HANDLER` names;
//! anywhere else it is a small command-line tool over the same functions.
//!
//! Exit status: 0 done (the execution succeeded), 1 an error (a failed execution or invocation,
//! bad usage, a file that cannot be read or written), 141 standard output closed early
//! (`BINARY run .. | head`), quietly. No command panics on a closed pipe or a full disk.

use crate::error::FunctionError;
use crate::handler::Entry;
use crate::lambda;
use serde_json::Value;
use std::io::Write;
use std::process::ExitCode;
use stepcraft_local::options::{Opt, RunOptions, input_arg};

const USAGE: &str = "\
usage: BINARY <command>

commands:
  list                                  the functions this binary hosts
  invoke NAME [--input JSON | @FILE]    run one invocation locally (input from stdin if omitted)
  run WORKFLOW [--input JSON | @FILE] [--mock-config FILE [--test-case NAME]] [--json] [--html FILE] [--seed N]
                                        run a workflow's state machine locally, in virtual time, with the
                                        activities of this binary; print the trace and the output
                                        (--html: also write the run as one self-contained HTML page)
  graph WORKFLOW [--format mermaid|dot|svg] [--out FILE]
                                        draw a workflow's state machine (Mermaid on stdout by default)
  synth --out DIR                       write every workflow's state machine (NAME.asl.json) and the
                                        JSON Schemas of workflows, activities and handlers into DIR
  manifest                              what this binary hosts, as JSON for the deployment template: each
                                        function's kind, memory, timeout and trigger, each state machine's type
  describe NAME                         a function's declaration: the JSON Schemas of an activity's
                                        input and output and the Retry/timeouts of its tasks

Under AWS Lambda (AWS_LAMBDA_RUNTIME_API set) the binary serves the function named by _HANDLER.";

/// The status of a command whose standard output was closed before it finished: 128 + SIGPIPE,
/// what a shell reports for a program a closed pipe stopped (`yes | head`).
const CLOSED_PIPE: i32 = 141;

/// The usage text, with the binary's own name (argv[0]'s file name) for `BINARY`.
fn usage() -> String {
    let program = std::env::args_os()
        .next()
        .and_then(|arg0| std::path::Path::new(&arg0).file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "BINARY".to_owned());
    USAGE.replacen("BINARY", &program, 1)
}

/// Writes `text` to standard output, whole. A closed pipe ends the process quietly (there is no
/// one left to tell); any other failure (a full disk) is an error message.
fn print(text: &str) -> Result<(), String> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(CLOSED_PIPE),
        Err(e) => Err(format!("error: cannot write to standard output: {e}")),
    }
}

/// A line on standard error; one that cannot be written is dropped rather than panicking.
fn eprint_line(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Runs the binary: serves on Lambda or answers the command line.
pub fn main(entries: &[Entry]) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprint_line(&format!("error: cannot start the async runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some_and(|v| !v.is_empty()) {
        crate::log::init(false);
        return runtime.block_on(serve(entries));
    }
    crate::log::init(true);
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run_command(entries, &args, &runtime) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            if !message.is_empty() {
                eprint_line(&message);
            }
            ExitCode::FAILURE
        }
    }
}

async fn serve(entries: &[Entry]) -> ExitCode {
    let chosen = lambda::check_environment().and_then(|()| select(entries, std::env::var("_HANDLER").ok()));
    let entry = match chosen {
        Ok(entry) => entry,
        Err(error) => {
            tracing::error!(errorType = %error.error_type, "{}", error.message);
            if let Err(e) = lambda::report_init_error(&error).await {
                tracing::error!("cannot report the init error: {e}");
            }
            return ExitCode::FAILURE;
        }
    };
    match (entry.serve)().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("the runtime stopped: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The function to serve: the one `_HANDLER` names, or the only one.
fn select(entries: &[Entry], handler: Option<String>) -> Result<&Entry, FunctionError> {
    if let [only] = entries {
        return Ok(only);
    }
    let handler = handler.unwrap_or_default();
    entries.iter().find(|e| e.name == handler).ok_or_else(|| {
        let names: Vec<&str> = entries.iter().map(|e| e.name).collect();
        FunctionError::new(
            "Runtime.HandlerNotFound",
            format!(
                "this binary hosts {}; `_HANDLER` is `{handler}` (set the function's `Handler` to one of them)",
                names.join(", ")
            ),
        )
    })
}

fn find<'a>(entries: &'a [Entry], name: Option<&String>) -> Result<&'a Entry, String> {
    let name = name.ok_or_else(|| format!("error: name a function\n\n{}", usage()))?;
    // A workflow is named by its state machine (`CheckOrder`) or its function (`check_order`).
    let normal = |n: &str| n.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
    let exact = entries.iter().find(|e| e.name == name.as_str());
    exact.or_else(|| entries.iter().find(|e| normal(e.name) == normal(name))).ok_or_else(|| {
        let names: Vec<&str> = entries.iter().map(|e| e.name).collect();
        format!("error: no function `{name}`; this binary hosts: {}", names.join(", "))
    })
}

fn run_command(entries: &[Entry], args: &[String], runtime: &tokio::runtime::Runtime) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("list") => print(&entries.iter().map(|e| format!("{}\t{}\n", e.name, e.kind())).collect::<String>()),
        Some("invoke") => {
            let entry = find(entries, args.get(1))?;
            // `invoke` is in every Lambda bootstrap: it reads its one option without the full
            // run-options parser (and the timestamp and mock-configuration code behind it).
            let input = match &args[2..] {
                [] => stdin()?,
                [flag, value] if flag == "--input" => input_arg(value).map_err(|e| format!("error: {e}"))?,
                _ => return Err(format!("error: expected `--input JSON` or `--input @FILE`\n\n{}", usage())),
            };
            // A workflow's waits are virtual from the command line: time is paused and jumps
            // ahead whenever every task waits, so `sleep(1 hour)` returns at once.
            let paused;
            let runtime = if entry.kind == crate::handler::Kind::Workflow {
                paused = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .start_paused(true)
                    .build()
                    .map_err(|e| format!("error: cannot start the async runtime: {e}"))?;
                &paused
            } else {
                runtime
            };
            match runtime.block_on((entry.invoke)(input)) {
                Ok(output) => print(&format!("{output:#}\n")),
                Err(error) => {
                    let report = serde_json::json!({ "errorType": error.error_type, "errorMessage": error.message });
                    Err(format!("{report:#}"))
                }
            }
        }
        Some("describe") => {
            let entry = find(entries, args.get(1))?;
            let mut description = serde_json::json!({ "name": entry.name, "kind": entry.kind() });
            if let Value::Object(details) = (entry.describe)() {
                description.as_object_mut().expect("an object").extend(details);
            }
            // The task's fields as ASL writes them: an absent `HeartbeatSeconds` is left out, not
            // `null`.
            if let Some(Value::Object(task)) = description.get_mut("task") {
                task.retain(|_, value| !value.is_null());
            }
            print(&format!("{description:#}\n"))
        }
        Some("run" | "graph") => {
            let name = args.get(1).ok_or_else(|| format!("error: name a workflow\n\n{}", usage()))?;
            // Only workflows bring the local executor (and its diagrams) into a binary: a
            // binary hosting none (a Lambda function's bootstrap) carries none of it.
            let workflow = find(entries, Some(name))?;
            let run = workflow.run.ok_or_else(|| format!("error: `{name}` is not a workflow"))?;
            run(entries, args, runtime)
        }
        Some("synth") => {
            let dir = match &args[1..] {
                [flag, dir] if flag == "--out" => std::path::PathBuf::from(dir),
                _ => return Err(format!("error: expected `synth --out DIR`\n\n{}", usage())),
            };
            std::fs::create_dir_all(&dir).map_err(|e| format!("error: cannot create `{}`: {e}", dir.display()))?;
            let mut written = String::new();
            for entry in entries {
                for (name, contents) in (entry.synth)() {
                    let path = dir.join(&name);
                    std::fs::write(&path, contents)
                        .map_err(|e| format!("error: cannot write `{}`: {e}", path.display()))?;
                    written.push_str(&format!("{}\n", path.display()));
                }
            }
            print(&written)
        }
        Some("manifest") => print(&format!("{:#}\n", manifest(entries))),
        Some("help" | "--help" | "-h") => print(&format!("{}\n", usage())),
        Some(other) => Err(format!("error: unknown command `{other}`\n\n{}", usage())),
        None => Err(usage()),
    }
}

/// `manifest`: the functions and state machines of the binary, for `stepcraft build` to turn into
/// a deployment template. Each is named as `_HANDLER` selects it and by the `${..}` placeholder
/// its ARN has in definitions.
fn manifest(entries: &[Entry]) -> Value {
    let placeholder = |name: &str, suffix: &str| {
        let placeholder = crate::workflow::placeholder(name, suffix);
        placeholder.trim_start_matches("${").trim_end_matches('}').to_owned()
    };
    let (workflows, functions): (Vec<&Entry>, Vec<&Entry>) =
        entries.iter().partition(|e| e.kind == crate::handler::Kind::Workflow);
    let functions: Vec<Value> = functions
        .into_iter()
        .map(|e| {
            serde_json::json!({
                "name": e.name,
                "placeholder": placeholder(e.name, ""),
                "kind": e.kind,
                "memory": e.spec.memory,
                "timeout": e.spec.timeout,
                "trigger": e.spec.trigger,
            })
        })
        .collect();
    let workflows: Vec<Value> = workflows
        .into_iter()
        .map(|e| {
            serde_json::json!({
                "name": e.name,
                "placeholder": placeholder(e.name, "StateMachine"),
                "type": if e.express { "EXPRESS" } else { "STANDARD" },
            })
        })
        .collect();
    serde_json::json!({ "functions": functions, "workflows": workflows })
}

/// `run WORKFLOW ..`: runs a workflow's state machine with the local executor, the binary's
/// activities answering its tasks; `graph WORKFLOW ..` draws it. `args` starts with the command.
pub(crate) fn run_locally(entries: &[Entry], args: &[String], runtime: &tokio::runtime::Runtime) -> Result<(), String> {
    if args[0] == "graph" {
        return graph(entries, &args[1..]);
    }
    let args = &args[1..];
    {
        let name = &args[0];
        let options = RunOptions::parse(&args[1..], RUN_OPTIONS).map_err(|e| format!("error: {e}\n\n{}", usage()))?;
        let mut local = crate::local::Local::new().hosting(entries);
        if let Some((config, test_case)) = options.mock_config().map_err(|e| format!("error: {e}"))? {
            local = local.mock_config(config, test_case);
        }
        if let Some(seed) = options.seed {
            local = local.seed(seed);
        }
        let input: Value = options.input(stdin).map_err(|e| format!("error: {e}"))?;
        let result = runtime.block_on(local.run_json(name, input)).map_err(|e| format!("error: {e}"))?;
        if let Some(path) = &options.html {
            let (name, definition) = workflow_definition(entries, name)?;
            let page = stepcraft_local::report::html_report(&definition, &result, name)
                .map_err(|e| format!("error: cannot draw `{name}`: {e}"))?;
            std::fs::write(path, page).map_err(|e| format!("error: cannot write `{path}`: {e}"))?;
        }
        if options.json {
            let history: Vec<Value> = result.history.iter().map(|e| e.to_json()).collect();
            let report = serde_json::json!({
                "status": result.status.as_str(),
                "output": result.output,
                "error": result.error,
                "cause": result.cause,
                "history": history,
            });
            print(&format!("{report}\n"))?;
        } else {
            let end = match &result.output {
                Some(output) => format!("{}\n{output:#}\n", result.status.as_str()),
                None => format!(
                    "{}: {} {}\n",
                    result.status.as_str(),
                    result.error.as_deref().unwrap_or(""),
                    result.cause.as_deref().unwrap_or("")
                ),
            };
            print(&format!("{}{end}", result.trace()))?;
        }
        if result.succeeded() { Ok(()) } else { Err(String::new()) }
    }
}

/// A workflow's name and state machine definition.
fn workflow_definition<'a>(entries: &'a [Entry], name: &str) -> Result<(&'a str, Value), String> {
    let entry = find(entries, Some(&name.to_owned()))?;
    let definition = entry.definition.ok_or_else(|| format!("error: `{name}` is not a workflow"))?;
    let definition =
        serde_json::from_str(&definition()).map_err(|e| format!("error: the definition of `{name}`: {e}"))?;
    Ok((entry.name, definition))
}

/// `graph WORKFLOW [--format mermaid|dot|svg] [--out FILE]`.
fn graph(entries: &[Entry], args: &[String]) -> Result<(), String> {
    use stepcraft_local::diagram::{Diagram, Format};
    let (mut format, mut out) = (None, None);
    let mut rest = args[1..].iter();
    while let Some(arg) = rest.next() {
        let mut value = || rest.next().cloned().ok_or_else(|| format!("error: `{arg}` needs a value\n\n{}", usage()));
        match arg.as_str() {
            "--format" => format = Some(value()?.parse::<Format>().map_err(|e| format!("error: {e}"))?),
            "--out" => out = Some(value()?),
            other => return Err(format!("error: unknown option `{other}`\n\n{}", usage())),
        }
    }
    let (name, definition) = workflow_definition(entries, &args[0])?;
    let diagram = Diagram::from_json(&definition).map_err(|e| format!("error: cannot draw `{name}`: {e}"))?;
    let format = format.or_else(|| out.as_deref().and_then(Format::for_file)).unwrap_or(Format::Mermaid);
    let text = diagram.render(format);
    match out {
        Some(path) => std::fs::write(&path, text).map_err(|e| format!("error: cannot write `{path}`: {e}")),
        None => print(&text),
    }
}

/// The options `run` takes.
const RUN_OPTIONS: &[Opt] = &[Opt::Input, Opt::MockConfig, Opt::TestCase, Opt::Json, Opt::Html, Opt::Seed];

/// Standard input, whole: the input when `--input` is not given.
fn stdin() -> Result<Vec<u8>, String> {
    let mut input = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin(), &mut input).map_err(|e| format!("error: {e}"))?;
    Ok(input)
}
