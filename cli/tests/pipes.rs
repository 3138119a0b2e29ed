//! The `stepcraft` command against the world outside it, with real processes: standard output
//! closed early (a pipe whose reader is gone, `| head`), a full disk (`/dev/full` as standard
//! output or as the file to write), files that do not exist, and requests Step Functions would
//! refuse. No case may panic; each ends with its documented exit status (README, "Exit status").

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

mod common;

use common::Dir;

/// 3,000 Map iterations: a trace of about 300 KB, more than a pipe holds.
fn long_trace_machine() -> Value {
    json!({"QueryLanguage": "JSONata", "StartAt": "Each", "States": {"Each": {
        "Type": "Map", "Items": "{% [1..3000] %}", "End": true,
        "ItemProcessor": {"StartAt": "Step", "States": {"Step": {"Type": "Pass", "End": true}}}}}})
}

fn command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_stepcraft"));
    c.args(args).stdin(Stdio::null()).stderr(Stdio::piped());
    c
}

/// Runs `stepcraft args` with standard output a pipe whose reading end is already closed.
fn into_closed_pipe(args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    command(args).stdout(writer).output().unwrap()
}

/// Runs `stepcraft args` with standard output `/dev/full` (every write: ENOSPC).
fn into_full_disk(args: &[&str]) -> Output {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    command(args).stdout(full).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The process exited (no signal) with `code`, and did not panic.
fn assert_exit(o: &Output, code: i32) {
    assert_eq!(o.status.code(), Some(code), "stderr: {}", stderr(o));
    assert!(!stderr(o).contains("panicked"), "{}", stderr(o));
}

#[test]
fn a_closed_pipe_ends_every_command_quietly_with_141() {
    let dir = Dir::new("pipes-closed");
    let def = dir.file("m.asl.json", &long_trace_machine());
    let cases: [&[&str]; 7] = [
        &["local", &def],
        &["local", &def, "--json"],
        &["local", &def, "--quiet"],
        &["graph", &def],
        &["validate", &def],
        &["--help"],
        &["build", "--help"],
    ];
    for args in cases {
        let o = into_closed_pipe(args);
        assert_exit(&o, 141);
        assert_eq!(stderr(&o), "", "`stepcraft {}` says nothing when no one reads it", args.join(" "));
    }
}

#[test]
fn local_piped_into_head_stops_at_the_first_line() {
    let dir = Dir::new("pipes-head");
    let def = dir.file("m.asl.json", &long_trace_machine());
    let mut child = command(&["local", &def]).stdout(Stdio::piped()).spawn().unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.starts_with("STATE "), "{first}");
    // The reader is dropped here, as `head -1` exits: the rest of the trace meets a closed pipe.
    let o = child.wait_with_output().unwrap();
    assert_exit(&o, 141);
    assert_eq!(stderr(&o), "");

    // The same through a shell, as a user types it.
    let line = format!("set -o pipefail; '{}' local '{def}' | head -n 1", env!("CARGO_BIN_EXE_stepcraft"));
    let o = Command::new("bash").args(["-c", &line]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 1);
    assert_eq!(o.status.code(), Some(141), "pipefail reports the closed pipe: {}", stderr(&o));
    assert_eq!(stderr(&o), "", "no panic message, no error");
}

#[test]
fn a_full_disk_is_one_line_and_status_2() {
    let dir = Dir::new("pipes-full");
    let def = dir.file("m.asl.json", &long_trace_machine());
    let small = dir.file("small.asl.json", &json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}));
    let cases: [&[&str]; 6] = [
        &["local", &def],
        &["local", &small, "--json"],
        &["graph", &def],
        &["validate", &small],
        &["--help"],
        &["build", "--help"],
    ];
    for args in cases {
        let o = into_full_disk(args);
        assert_exit(&o, 2);
        assert_eq!(
            stderr(&o),
            "stepcraft: cannot write to standard output: No space left on device (os error 28)\n",
            "`stepcraft {}`",
            args.join(" ")
        );
    }
    // The files the commands write, on a full disk.
    for args in [["local", &small, "--html", "/dev/full"], ["graph", &small, "--out", "/dev/full"]] {
        let o = command(&args).stdout(Stdio::null()).output().unwrap();
        assert_exit(&o, 2);
        assert_eq!(stderr(&o), "stepcraft: cannot write `/dev/full`: No space left on device (os error 28)\n");
    }
}

#[test]
fn a_missing_file_is_one_line_naming_it() {
    let dir = Dir::new("pipes-missing");
    let def = dir.file("small.asl.json", &json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}));
    let missing = dir.path("missing.json");
    let input = format!("@{missing}");
    let cases: [&[&str]; 6] = [
        &["local", &missing],
        &["local", &def, "--input", &input],
        &["local", &def, "--mock-config", &missing],
        &["graph", &missing],
        &["validate", &missing],
        &["build", "--manifest-path", &missing],
    ];
    for args in cases {
        let o = command(args).stdout(Stdio::piped()).output().unwrap();
        // `build` fails as a build does (status 1, `stepcraft: error: ..`); the others as usage.
        let (code, prefix) = if args[0] == "build" { (1, "error: ") } else { (2, "") };
        assert_exit(&o, code);
        assert_eq!(
            stderr(&o),
            format!("stepcraft: {prefix}cannot read `{missing}`: No such file or directory (os error 2)\n"),
            "`stepcraft {}`",
            args.join(" ")
        );
        assert!(o.stdout.is_empty());
    }
}

#[test]
fn local_refuses_what_start_execution_refuses_before_running() {
    let dir = Dir::new("pipes-start");
    let def = dir.file("echo.asl.json", &json!({"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": true}}}));
    // An input of exactly 262,144 bytes starts; one byte more is refused, and nothing runs.
    let at_limit = dir.path("at-limit.json");
    std::fs::write(&at_limit, format!("\"{}\"", "x".repeat(262_142))).unwrap();
    let o = command(&["local", &def, "--input", &format!("@{at_limit}"), "--quiet"]).output().unwrap();
    assert_exit(&o, 0);
    let over = dir.path("over.json");
    std::fs::write(&over, format!("\"{}\"", "x".repeat(262_143))).unwrap();
    let o = command(&["local", &def, "--input", &format!("@{over}")]).output().unwrap();
    assert_exit(&o, 2);
    assert_eq!(
        stderr(&o),
        "stepcraft: StartExecution refuses the input: ValidationException: 1 validation error detected: Value at 'input' \
         failed to satisfy constraint: Member must have length less than or equal to 262144 (the input is 262145 bytes)\n"
    );
    assert!(o.stdout.is_empty(), "no execution, no trace");

    let o = command(&["local", &def, "--name", "nightly run"]).output().unwrap();
    assert_exit(&o, 2);
    assert!(
        stderr(&o).starts_with(
            "stepcraft: `--name`: StartExecution refuses the name: InvalidName: Invalid Name: 'nightly run'"
        ),
        "{}",
        stderr(&o)
    );
    let long = "n".repeat(81);
    let o = command(&["local", &def, "--name", &long]).output().unwrap();
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("ValidationException: 1 validation error detected: Value"), "{}", stderr(&o));
    let o = command(&["local", &def, "--name", &"n".repeat(80), "--json"]).output().unwrap();
    assert_exit(&o, 0);
}
