//! The `stepcraft` command.
//!
//! `stepcraft local FILE.asl.json --input JSON|@FILE [--mock-config FILE --test-case NAME]
//! [--json]` runs a state machine with the local executor; every Task is answered from
//! the mock configuration (AWS Step Functions Local's format).
//!
//! Exit status: 0 the execution succeeded, 1 it failed (or timed out), 2 bad usage, a file
//! that cannot be read or written (standard output on a full disk included) or a request
//! Step Functions would refuse (`StartExecution`'s input or name), 3 the definition is invalid,
//! 141 standard output closed early (`stepcraft local .. | head`), quietly. No command panics on
//! a closed pipe, a full disk or a missing file.

mod graph;
mod html;

use std::io::Write as _;
use std::process::ExitCode;

use serde_json::{Value, json};
use stepcraft_local::options::{Opt, RunOptions};
use stepcraft_local::{ExecutionResult, Executor, StateMachine};

fn usage() -> String {
    format!(
        "\
usage: stepcraft build [-p PACKAGE] [--out DIR] [options]   (stepcraft build --help)
       stepcraft local FILE.asl.json [options]
       stepcraft validate FILE.asl.json...
       stepcraft graph FILE.asl.json [--format mermaid|dot|svg] [--out FILE]

Runs an Amazon States Language state machine locally, in virtual time.

options of `local` (the input defaults to {{}}):
{local}

exit status: 0 succeeded, 1 failed or timed out, 2 usage error or unreadable/unwritable file,
3 invalid definition, 141 standard output closed",
        local = stepcraft_local::options::help(LOCAL_OPTIONS)
    )
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("build") => build(&args[1..]),
        Some("local") => local(&args[1..]),
        Some("validate") => validate(&args[1..]),
        Some("graph") => graph::graph(&args[1..]),
        Some("-h" | "--help" | "help") => print_then(&format!("{}\n", usage()), ExitCode::SUCCESS),
        Some(other) => usage_error(&format!("unknown command `{other}`")),
        None => usage_error("a command is required"),
    }
}

/// `stepcraft build`: exit status 0 built, 1 the build failed, 2 bad usage.
fn build(args: &[String]) -> ExitCode {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        return print_then(&format!("{}\n", stepcraft_cli::build::USAGE), ExitCode::SUCCESS);
    }
    let options = match stepcraft_cli::build::Options::parse(args) {
        Ok(options) => options,
        Err(e) => {
            eprint(&format!("stepcraft: {e}\n\n{}", stepcraft_cli::build::USAGE));
            return ExitCode::from(2);
        }
    };
    match stepcraft_cli::build::build(&options) {
        Ok(bundle) => print_then(&format!("{}\n", bundle.dir.display()), ExitCode::SUCCESS),
        Err(e) => {
            eprint(&format!("stepcraft: error: {e}"));
            ExitCode::FAILURE
        }
    }
}

/// The status of a command whose standard output was closed before it finished: 128 + SIGPIPE,
/// what a shell reports for a program a closed pipe stopped (`yes | head`).
const CLOSED_PIPE: u8 = 141;

/// Writes `text` to standard output, whole, and ends with `status`; a closed pipe ends quietly
/// with [`CLOSED_PIPE`], another failure (a full disk) with one line on standard error and 2.
fn print_then(text: &str, status: ExitCode) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => status,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(CLOSED_PIPE),
        Err(e) => fail(&format!("cannot write to standard output: {e}")),
    }
}

/// Lines on standard error; what cannot be written is dropped rather than panicking.
fn eprint(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

fn usage_error(msg: &str) -> ExitCode {
    eprint(&format!("stepcraft: {msg}\n\n{}", usage()));
    ExitCode::from(2)
}

fn fail(msg: &str) -> ExitCode {
    eprint(&format!("stepcraft: {msg}"));
    ExitCode::from(2)
}

/// The options `stepcraft local` takes: all of them.
const LOCAL_OPTIONS: &[Opt] = &Opt::ALL;

/// `stepcraft local`'s options and its one definition file.
fn parse_local_args(args: &[String]) -> Result<(String, RunOptions), String> {
    let options = RunOptions::parse(args, LOCAL_OPTIONS)?;
    match options.positional.as_slice() {
        [file] => Ok((file.clone(), options)),
        [] => Err("a definition file is required, e.g. `stepcraft local machine.asl.json`".into()),
        [_, extra, ..] => Err(format!("unexpected argument `{extra}`: give one definition file")),
    }
}

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read `{path}`: {e}"))
}

fn read_json(text: &str, what: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("{what} is not valid JSON: {e}"))
}

fn local(args: &[String]) -> ExitCode {
    let (file, a) = match parse_local_args(args) {
        Ok(parsed) => parsed,
        Err(e) => return usage_error(&e),
    };
    let definition = match read(&file).and_then(|t| read_json(&t, &format!("the definition `{file}`"))) {
        Ok(v) => v,
        Err(e) => return fail(&e),
    };
    // Without `--input`, an execution starts with `{}`, as StartExecution's default.
    let input = match a.input(|| Ok(b"{}".to_vec())) {
        Ok(v) => v,
        Err(e) => return fail(&e),
    };
    let machine = match StateMachine::from_json(&definition) {
        Ok(m) => m,
        Err(e) => {
            let problems: Vec<String> = e.problems.iter().map(|p| format!("  {p}")).collect();
            eprint(&format!("stepcraft: `{file}` is not a valid state machine:\n{}", problems.join("\n")));
            return ExitCode::from(3);
        }
    };
    let machine = match &a.state_machine {
        Some(n) => machine.named(n),
        None => machine.named(machine_name(&file)),
    };
    let mut ex = Executor::new();
    match a.mock_config() {
        Ok(None) => {}
        Ok(Some((config, test_case))) => match config.mocks(a.state_machine.as_deref(), &test_case) {
            Ok(m) => ex = ex.mocks(m),
            Err(e) => return fail(&e),
        },
        Err(e) => return fail(&e),
    }
    if let Some(seed) = a.seed {
        ex = ex.seed(seed);
    }
    // A `Wait` until a real timestamp behaves as in production unless the start
    // time is pinned.
    ex = match a.start_time_ms {
        Some(ms) => ex.start_time_ms(ms),
        None => ex.start_time_now(),
    };
    let execution = match &a.name {
        Some(n) => ex.start_named(&machine, input, n),
        None => ex.start(&machine, input),
    };
    let result = stepcraft_local::block_on(execution);
    if let Some(Err(e)) = a.html.as_ref().map(|path| html::write_report(path, &definition, &result, machine.name())) {
        return fail(&e);
    }
    let text = if a.json {
        format!("{}\n", result_json(&result))
    } else if a.quiet {
        result_text(&result)
    } else {
        format!("{}\n{}", result.trace(), result_text(&result))
    };
    print_then(&text, if result.succeeded() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// `orders.asl.json` → `orders`.
fn machine_name(file: &str) -> String {
    let base = std::path::Path::new(file).file_name().and_then(|s| s.to_str()).unwrap_or("StateMachine");
    let base = base.strip_suffix(".json").unwrap_or(base);
    let base = base.strip_suffix(".asl").unwrap_or(base);
    let cleaned: String =
        base.chars().map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect();
    if cleaned.is_empty() { "StateMachine".into() } else { cleaned.chars().take(80).collect() }
}

fn result_text(r: &ExecutionResult) -> String {
    let outcome = match &r.output {
        Some(o) => format!("output: {}", serde_json::to_string_pretty(o).unwrap_or_default()),
        None => format!(
            "error: {}\ncause: {}",
            r.error.as_deref().unwrap_or("(none)"),
            r.cause.as_deref().unwrap_or("(none)")
        ),
    };
    format!(
        "status: {}\n{outcome}\nvirtual duration: {:.3}s, {} events\n",
        r.status,
        r.duration().as_secs_f64(),
        r.history.len()
    )
}

fn result_json(r: &ExecutionResult) -> Value {
    let history: Vec<Value> = r
        .history
        .iter()
        .map(|e| {
            let mut v = e.to_json();
            if let (Some(name), Value::Object(m)) = (e.name(), &mut v) {
                m.insert("name".into(), Value::String(name.to_string()));
            }
            v
        })
        .collect();
    json!({
        "status": r.status.as_str(),
        "output": r.output,
        "error": r.error,
        "cause": r.cause,
        "states_entered": r.states_entered(),
        "history": history,
    })
}

fn validate(files: &[String]) -> ExitCode {
    if files.is_empty() {
        return usage_error("`validate` needs at least one definition file");
    }
    let mut worst = 0u8;
    let mut report = String::new();
    for f in files {
        let v = match read(f).and_then(|t| read_json(&t, &format!("`{f}`"))) {
            Ok(v) => v,
            Err(e) => {
                eprint(&format!("stepcraft: {e}"));
                worst = worst.max(2);
                continue;
            }
        };
        match StateMachine::from_json(&v) {
            Ok(_) => report.push_str(&format!("{f}: ok\n")),
            Err(e) => {
                report.push_str(&format!("{f}: invalid\n"));
                for p in &e.problems {
                    report.push_str(&format!("  {p}\n"));
                }
                worst = worst.max(3);
            }
        }
    }
    print_then(&report, ExitCode::from(worst))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn parses_options() {
        let (file, a) = parse_local_args(&args(&["m.asl.json", "--input", "{}", "--json", "--seed=7"])).unwrap();
        assert_eq!(file, "m.asl.json");
        assert!(a.json);
        assert_eq!(a.seed, Some(7));
        assert!(parse_local_args(&args(&["--json"])).is_err());
        assert!(parse_local_args(&args(&["m", "--bogus"])).unwrap_err().contains("supported options"));
        assert!(parse_local_args(&args(&["m", "--test-case", "T"])).is_err());
        assert!(parse_local_args(&args(&["m", "n"])).unwrap_err().contains("unexpected argument `n`"));
    }

    #[test]
    fn machine_names() {
        assert_eq!(machine_name("dir/orders.asl.json"), "orders");
        assert_eq!(machine_name("a b.json"), "a-b");
    }
}
