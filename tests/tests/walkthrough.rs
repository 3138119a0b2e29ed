//! The README's "From `cargo new` to a bundle", executed: every block marked
//! `<!-- walkthrough: … -->` is, in order, a file of the new crate (`Cargo.toml`, `src/lib.rs`,
//! …), commands to run in it (`run`), or the stdout those commands print (`stdout`). The crate
//! is built in a temporary folder against this workspace's `stepcraft`, with the workspace's
//! Cargo.lock and target dir, so only the crate itself is compiled.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use stepcraft_tests::asl;

const README: &str = include_str!("../../README.md");

/// One marked block of the README.
#[derive(Debug)]
enum Step {
    File { path: String, contents: String },
    Run(String),
    Stdout(String),
}

/// The marked blocks, in order.
fn steps(readme: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        let Some(mark) = line.strip_prefix("<!-- walkthrough: ").and_then(|l| l.strip_suffix(" -->")) else {
            continue;
        };
        let fence = lines.next().unwrap_or_default();
        assert!(fence.starts_with("```"), "`{line}` must be followed by a fenced block, not `{fence}`");
        let mut block = String::new();
        for line in lines.by_ref().take_while(|l| *l != "```") {
            block.push_str(line);
            block.push('\n');
        }
        steps.push(match mark {
            "run" => Step::Run(block),
            "stdout" => Step::Stdout(block),
            path => Step::File { path: path.to_owned(), contents: block },
        });
    }
    steps
}

/// The code rustdoc compiles, as a user would save it: without rustdoc's hidden `# ` lines.
fn without_hidden_lines(code: &str) -> String {
    code.lines().filter(|l| *l != "#" && !l.starts_with("# ")).flat_map(|l| [l, "\n"]).collect()
}

/// The published version line of the README's `Cargo.toml`, pointed at this workspace's runtime.
fn with_local_stepcraft(manifest: &str, workspace: &Path) -> String {
    let version = env!("CARGO_PKG_VERSION").rsplit_once('.').expect("major.minor.patch").0;
    let published = format!("stepcraft = \"{version}\"");
    assert!(manifest.lines().any(|l| l == published), "the README's Cargo.toml must say `{published}`:\n{manifest}");
    let local = format!("stepcraft = {{ path = {:?} }}", workspace.join("runtime").display().to_string());
    manifest.replace(&published, &local)
}

#[test]
fn the_newcomer_walkthrough_builds_synthesises_and_runs() {
    let started = Instant::now();
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace").to_path_buf();
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("the target dir").to_path_buf();
    // Outside the workspace: Cargo would take a crate below it for an unlisted member.
    let root = std::env::temp_dir().join(format!("stepcraft-walkthrough-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("create the scratch folder");
    // The commands' `cargo` and `rustc` are the toolchain running this test.
    let cargo = PathBuf::from(std::env::var_os("CARGO").expect("cargo test sets CARGO"));
    let path = std::env::join_paths(
        cargo
            .parent()
            .into_iter()
            .map(Path::to_path_buf)
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .expect("a PATH");

    let steps = steps(README);
    assert!(steps.iter().any(|s| matches!(s, Step::Stdout(_))), "no walkthrough blocks in the README: {steps:?}");
    let (mut dir, mut stdout) = (root.clone(), String::new());
    for step in steps {
        match step {
            Step::File { path, contents } => {
                let contents = match path.as_str() {
                    "Cargo.toml" => {
                        std::fs::copy(workspace.join("Cargo.lock"), dir.join("Cargo.lock")).expect("copy Cargo.lock");
                        with_local_stepcraft(&contents, &workspace)
                    }
                    p if p.ends_with(".rs") => without_hidden_lines(&contents),
                    _ => contents,
                };
                let file = dir.join(&path);
                std::fs::create_dir_all(file.parent().expect("a folder")).expect("create the file's folder");
                std::fs::write(&file, contents).unwrap_or_else(|e| panic!("write {}: {e}", file.display()));
            }
            Step::Run(commands) => {
                stdout.clear();
                for command in commands.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
                    if let Some(sub) = command.strip_prefix("cd ") {
                        dir = dir.join(sub);
                        continue;
                    }
                    let at = Instant::now();
                    let output = Command::new("sh")
                        .args(["-c", command])
                        .current_dir(&dir)
                        .env("PATH", &path)
                        .env("CARGO_TARGET_DIR", &target_dir)
                        .output()
                        .unwrap_or_else(|e| panic!("run `{command}`: {e}"));
                    eprintln!("walkthrough: `{command}` took {:.1}s", at.elapsed().as_secs_f64());
                    assert!(
                        output.status.success(),
                        "`{command}` failed in {}:\n{}{}",
                        dir.display(),
                        String::from_utf8_lossy(&output.stdout),
                        String::from_utf8_lossy(&output.stderr)
                    );
                    stdout.push_str(&String::from_utf8_lossy(&output.stdout));
                }
            }
            Step::Stdout(expected) => assert_eq!(stdout, expected, "the README shows another output"),
        }
    }

    // The state machine that `synth` wrote is one the public validators accept, once the
    // deployment template has put ARNs in for the placeholders of both activities.
    let definition = dir.join("target/asl/Onboard.asl.json");
    let text = std::fs::read_to_string(&definition).unwrap_or_else(|e| panic!("{}: {e}", definition.display()));
    let machine: Value = serde_json::from_str(&text).expect("the definition is JSON");
    let functions: Vec<&Value> = machine["States"]
        .as_object()
        .expect("states")
        .values()
        .map(|s| &s["Arguments"]["FunctionName"])
        .filter(|f| !f.is_null())
        .collect();
    assert_eq!(functions, ["${CreateAccount}", "${SendWelcome}"], "{text}");
    let deployed = dir.join("target/asl/Onboard.deployed.asl.json");
    std::fs::write(&deployed, asl::substitute_by_convention(&text)).expect("write the deployed definition");
    let verdicts = asl::validate(&[&deployed]);
    assert!(verdicts.iter().all(|v| v.ok), "{verdicts:#?}");

    std::fs::remove_dir_all(&root).ok();
    eprintln!("walkthrough: {:.1}s in all", started.elapsed().as_secs_f64());
}
