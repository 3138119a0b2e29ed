//! Cargo, as `stepcraft build` drives it: which package and binaries to build (`cargo
//! metadata`), and the release build for Lambda (`cargo build --message-format=json`), with
//! cargo's own progress on standard error.

use super::BuildError;
use serde::Deserialize;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The release profile a Lambda `bootstrap` is built with, whatever the package's own
/// `[profile.release]` says: one codegen unit and thin LTO for a small, fast binary (cold
/// start reads and maps the whole file), symbols stripped. `panic` stays `unwind`: the glue
/// catches a panicking invocation and answers it with `Panic` instead of losing the process.
pub const PROFILE: &[&str] = &[
    "profile.release.opt-level=3",
    "profile.release.codegen-units=1",
    "profile.release.lto=\"thin\"",
    "profile.release.strip=true",
    "profile.release.panic=\"unwind\"",
    "profile.release.debug=false",
];

/// The package to build and its binaries.
#[derive(Debug, Clone)]
pub struct Package {
    pub name: String,
    pub manifest_path: PathBuf,
    pub binaries: Vec<String>,
    pub target_directory: PathBuf,
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<MetaPackage>,
    workspace_members: Vec<String>,
    target_directory: PathBuf,
}

#[derive(Deserialize)]
struct MetaPackage {
    name: String,
    id: String,
    manifest_path: PathBuf,
    targets: Vec<MetaTarget>,
}

#[derive(Deserialize)]
struct MetaTarget {
    name: String,
    kind: Vec<String>,
}

/// A cargo command, with the manifest path when one is given.
pub fn cargo(cargo: &Path, manifest_path: Option<&Path>, args: &[&str]) -> Command {
    let mut command = Command::new(cargo);
    command.args(args);
    if let Some(path) = manifest_path {
        command.arg("--manifest-path").arg(path);
    }
    command
}

/// The package `-p` names, or the one `--manifest-path` (or the current directory) is.
pub fn package(cargo_bin: &Path, manifest_path: Option<&Path>, name: Option<&str>) -> Result<Package, BuildError> {
    // A missing manifest is named in one line, rather than by cargo's error and then ours.
    if let Some(path) = manifest_path
        && let Err(e) = std::fs::metadata(path)
    {
        return Err(BuildError(format!("cannot read `{}`: {e}", path.display())));
    }
    let output = cargo(cargo_bin, manifest_path, &["metadata", "--format-version", "1", "--no-deps"])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| BuildError(format!("cannot run `{}`: {e}", cargo_bin.display())))?;
    if !output.status.success() {
        return Err(BuildError("`cargo metadata` failed (see above)".into()));
    }
    let metadata: Metadata = serde_json::from_slice(&output.stdout)
        .map_err(|e| BuildError(format!("cannot read `cargo metadata`'s output: {e}")))?;
    let members: Vec<&MetaPackage> =
        metadata.packages.iter().filter(|p| metadata.workspace_members.contains(&p.id)).collect();
    let chosen = match name {
        Some(name) => members.iter().find(|p| p.name == name).copied().ok_or_else(|| {
            let names: Vec<&str> = members.iter().map(|p| p.name.as_str()).collect();
            BuildError(format!("no package `{name}` in this workspace; it has: {}", names.join(", ")))
        })?,
        None => {
            let here = match manifest_path {
                Some(path) => path.to_path_buf(),
                None => std::env::current_dir().map_err(|e| BuildError(e.to_string()))?.join("Cargo.toml"),
            };
            let here = here.canonicalize().unwrap_or(here);
            match members.iter().find(|p| p.manifest_path == here) {
                Some(package) => package,
                None => match members.as_slice() {
                    [only] => only,
                    _ => {
                        let names: Vec<&str> = members.iter().map(|p| p.name.as_str()).collect();
                        return Err(BuildError(format!(
                            "name the package to build with `-p`; this workspace has: {}",
                            names.join(", ")
                        )));
                    }
                },
            }
        }
    };
    let mut binaries: Vec<String> =
        chosen.targets.iter().filter(|t| t.kind.iter().any(|k| k == "bin")).map(|t| t.name.clone()).collect();
    binaries.sort();
    if binaries.is_empty() {
        return Err(BuildError(format!(
            "package `{}` has no binary: a `src/main.rs` with `stepcraft::main!(..)` (or a `#[handler]`) makes one",
            chosen.name
        )));
    }
    Ok(Package {
        name: chosen.name.clone(),
        manifest_path: chosen.manifest_path.clone(),
        binaries,
        target_directory: metadata.target_directory,
    })
}

#[derive(Deserialize)]
struct Message {
    reason: String,
    #[serde(default)]
    target: Option<ArtifactTarget>,
    #[serde(default)]
    executable: Option<PathBuf>,
    #[serde(default)]
    success: Option<bool>,
}

#[derive(Deserialize)]
struct ArtifactTarget {
    name: String,
    kind: Vec<String>,
}

/// Builds the binaries in release for `target` (the host when `None`) and returns their
/// paths, by name. Cargo's progress and diagnostics go to standard error as it prints them.
pub fn build(
    cargo_bin: &Path,
    package: &Package,
    binaries: &[String],
    target: Option<&str>,
    config: &[String],
    locked: bool,
) -> Result<Vec<(String, PathBuf)>, BuildError> {
    let mut command = cargo(
        cargo_bin,
        Some(&package.manifest_path),
        &["build", "--release", "-p", &package.name, "--message-format=json-render-diagnostics"],
    );
    for binary in binaries {
        command.args(["--bin", binary]);
    }
    if let Some(target) = target {
        command.args(["--target", target]);
    }
    if locked {
        command.arg("--locked");
    }
    for setting in PROFILE.iter().copied().chain(config.iter().map(String::as_str)) {
        command.args(["--config", setting]);
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| BuildError(format!("cannot run `{}`: {e}", cargo_bin.display())))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut built = Vec::new();
    let mut finished = None;
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.map_err(|e| BuildError(format!("cannot read cargo's output: {e}")))?;
        // Build scripts may print to stdout too; only cargo's JSON messages matter.
        let Ok(message) = serde_json::from_str::<Message>(&line) else { continue };
        match message.reason.as_str() {
            "compiler-artifact" => {
                if let (Some(artifact), Some(executable)) = (message.target, message.executable)
                    && artifact.kind.iter().any(|k| k == "bin")
                    && binaries.contains(&artifact.name)
                {
                    built.push((artifact.name, executable));
                }
            }
            "build-finished" => finished = message.success,
            _ => {}
        }
    }
    let status = child.wait().map_err(|e| BuildError(format!("cargo did not finish: {e}")))?;
    if !status.success() || finished != Some(true) {
        return Err(BuildError(format!("`cargo build` of `{}` failed (see above)", package.name)));
    }
    built.sort();
    built.dedup_by(|a, b| a.0 == b.0);
    for binary in binaries {
        if !built.iter().any(|(name, _)| name == binary) {
            return Err(BuildError(format!("cargo reported no executable for binary `{binary}`")));
        }
    }
    Ok(built)
}

/// The host's target triple (`rustc -vV`'s `host:` line).
pub fn host_triple() -> Result<String, BuildError> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(&rustc)
        .arg("-vV")
        .output()
        .map_err(|e| BuildError(format!("cannot run `{}`: {e}", Path::new(&rustc).display())))?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: ").map(str::to_owned))
        .ok_or_else(|| BuildError("`rustc -vV` printed no host triple".into()))
}
