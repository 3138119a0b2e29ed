//! A stepcraft binary's command line (`runtime/src/cli.rs`) against the world outside it, with
//! real processes of the `fixture_express` binary: standard output closed early, a full disk
//! (`/dev/full`), files that do not exist, an input `StartExecution` would refuse; and what it
//! prints about itself (`describe`, its usage line). No case may panic; each ends with the
//! status the README documents ("Exit status").

use std::process::{Command, Output, Stdio};

use serde_json::Value;

const BINARY: &str = env!("CARGO_BIN_EXE_fixture_express");

fn command(args: &[&str]) -> Command {
    let mut c = Command::new(BINARY);
    c.args(args).stdin(Stdio::null()).stderr(Stdio::piped()).env_remove("AWS_LAMBDA_RUNTIME_API");
    c
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_exit(o: &Output, code: i32) {
    assert_eq!(o.status.code(), Some(code), "stderr: {}", stderr(o));
}

/// A temporary folder for this test process, removed on drop.
struct Dir(std::path::PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let p = std::env::temp_dir().join(format!("stepcraft-pipes-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every command that writes to standard output.
const PRINTING: [&[&str]; 9] = [
    &["list"],
    &["describe", "score_order"],
    &["manifest"],
    &["invoke", "score_order", "--input", r#"{"id": "o-1"}"#],
    &["run", "fraud_check", "--input", r#"{"id": "o-1"}"#],
    &["run", "fraud_check", "--input", r#"{"id": "o-1"}"#, "--json"],
    &["graph", "fraud_check"],
    &["graph", "fraud_check", "--format", "svg"],
    &["help"],
];

#[test]
fn a_closed_pipe_ends_every_command_quietly_with_141() {
    for args in PRINTING {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let o = command(args).stdout(writer).output().unwrap();
        assert_exit(&o, 141);
        assert_eq!(stderr(&o), "", "`fixture_express {}` says nothing when no one reads it", args.join(" "));
    }
}

#[test]
fn a_full_disk_is_one_line_and_status_1() {
    for args in PRINTING {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let o = command(args).stdout(full).output().unwrap();
        assert_exit(&o, 1);
        assert_eq!(
            stderr(&o),
            "error: cannot write to standard output: No space left on device (os error 28)\n",
            "`fixture_express {}`",
            args.join(" ")
        );
    }
    let files: [&[&str]; 2] = [
        &["graph", "fraud_check", "--out", "/dev/full"],
        &["run", "fraud_check", "--input", r#"{"id": "o-1"}"#, "--html", "/dev/full"],
    ];
    for args in files {
        let o = command(args).stdout(Stdio::null()).output().unwrap();
        assert_exit(&o, 1);
        assert_eq!(stderr(&o), "error: cannot write `/dev/full`: No space left on device (os error 28)\n");
    }
}

#[test]
fn a_missing_file_is_one_line_naming_it() {
    let dir = Dir::new("missing");
    let missing = dir.path("order.json");
    let input = format!("@{missing}");
    let cases: [&[&str]; 3] = [
        &["invoke", "score_order", "--input", &input],
        &["run", "fraud_check", "--input", &input],
        &["run", "fraud_check", "--input", "{}", "--mock-config", &missing],
    ];
    for args in cases {
        let o = command(args).stdout(Stdio::piped()).output().unwrap();
        assert_exit(&o, 1);
        assert_eq!(stderr(&o), format!("error: cannot read `{missing}`: No such file or directory (os error 2)\n"));
        assert!(o.stdout.is_empty());
    }
}

// StartExecution's `input`: "Length constraints apply to the payload size, and are expressed as
// bytes in UTF-8 encoding. [...] Maximum length of 262144." (API_StartExecution)
#[test]
fn run_refuses_an_input_start_execution_would_refuse() {
    let dir = Dir::new("start");
    let over = dir.path("over.json");
    std::fs::write(&over, format!(r#"{{"id": "{}"}}"#, "x".repeat(262_135))).unwrap();
    assert_eq!(std::fs::metadata(&over).unwrap().len(), 262_145);
    let o = command(&["run", "fraud_check", "--input", &format!("@{over}")]).stdout(Stdio::piped()).output().unwrap();
    assert_exit(&o, 1);
    assert_eq!(
        stderr(&o),
        "error: StartExecution refuses the input: ValidationException: 1 validation error detected: Value at 'input' \
         failed to satisfy constraint: Member must have length less than or equal to 262144 (the input is 262145 bytes)\n"
    );
    assert!(o.stdout.is_empty(), "no execution, no trace");
}

#[test]
fn describe_leaves_absent_fields_out() {
    let o = command(&["describe", "score_order"]).stdout(Stdio::piped()).output().unwrap();
    assert_exit(&o, 0);
    let description: Value = serde_json::from_slice(&o.stdout).unwrap();
    let task = description["task"].as_object().unwrap();
    // `score_order` declares a timeout and no heartbeat: ASL has no `"HeartbeatSeconds": null`.
    assert_eq!(task.get("TimeoutSeconds"), Some(&Value::from(20)));
    assert!(!task.contains_key("HeartbeatSeconds"), "{task:?}");
    assert!(task.values().all(|v| !v.is_null()), "{task:?}");
    assert!(!String::from_utf8_lossy(&o.stdout).contains("null"));
}

#[test]
fn the_usage_line_names_the_binary_as_it_was_called() {
    let o = command(&[]).stdout(Stdio::piped()).output().unwrap();
    assert_exit(&o, 1);
    assert!(stderr(&o).starts_with("usage: fixture_express <command>\n"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("BINARY"));
    // Called through another name (a symlink, as a deployed `bootstrap` or a renamed copy is).
    let dir = Dir::new("usage");
    let link = dir.path("orders");
    std::os::unix::fs::symlink(BINARY, &link).unwrap();
    let o = Command::new(&link).arg("help").env_remove("AWS_LAMBDA_RUNTIME_API").output().unwrap();
    assert_exit(&o, 0);
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("usage: orders <command>\n"));
    let o = Command::new(&link).arg("frobnicate").output().unwrap();
    assert!(stderr(&o).contains("error: unknown command `frobnicate`\n\nusage: orders <command>"), "{}", stderr(&o));
}
