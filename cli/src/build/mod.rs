//! `stepcraft build`: from a package of annotated Rust to a bundle AWS can run.
//!
//! 1. `cargo metadata` names the package's binaries; `cargo build --release` builds them for
//!    Lambda's `provided.al2023` (the host's x86_64, or arm64 with a cross linker).
//! 2. Each binary is asked what it hosts (`BINARY manifest`) and to write its state machines
//!    and JSON Schemas (`BINARY synth --out DIR`) — the binary is the only thing that knows
//!    its types, so the bundle is synthesized by running it, as CDK runs an app.
//! 3. The bundle is written under one folder:
//!    ```text
//!    bundle/
//!      template.yaml                      AWS SAM: functions, state machines, roles, queues, APIs
//!      manifest.json                      what is in the bundle, and what is wired to what
//!      <binary>/bootstrap.zip             one per binary: `bootstrap` at the root, mode 0755
//!      statemachines/<Name>.asl.json      one per workflow, with <Name>.mmd and <Name>.svg
//!      schemas/<name>.{input,output}.schema.json
//!    ```
//!
//! Everything but the zips' binaries is byte-identical from one build of the same source to
//! the next (the zips' timestamps are fixed, so they are too when the compiler is).

mod cargo;
pub mod hosted;
pub mod template;
pub mod yaml;

use hosted::Hosted;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use template::{Architecture, FunctionPlan, MachinePlan, Plan};

/// The newest glibc a binary may need: Amazon Linux 2023 (`provided.al2023`) has 2.34.
const GLIBC_MAX_MINOR: u32 = 34;

/// Why a build failed: one line for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError(pub String);

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BuildError {}

impl From<template::TemplateError> for BuildError {
    fn from(error: template::TemplateError) -> BuildError {
        BuildError(error.0)
    }
}

/// What to build.
#[derive(Debug, Clone)]
pub struct Options {
    /// `-p NAME`.
    pub package: Option<String>,
    /// `--manifest-path PATH`.
    pub manifest_path: Option<PathBuf>,
    /// `--bin NAME`, repeatable: only these binaries (default: all of the package's).
    pub binaries: Vec<String>,
    /// `--out DIR` (default `target/lambda/<package>` of the package's target directory).
    pub out: Option<PathBuf>,
    /// `--arch` (default: the host's).
    pub architecture: Option<Architecture>,
    /// `--locked`, passed to cargo.
    pub locked: bool,
    /// The cargo to run (`$CARGO` when stepcraft runs under cargo).
    pub cargo: PathBuf,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            package: None,
            manifest_path: None,
            binaries: Vec::new(),
            out: None,
            architecture: None,
            locked: false,
            cargo: std::env::var_os("CARGO").map(PathBuf::from).unwrap_or_else(|| "cargo".into()),
        }
    }
}

pub const USAGE: &str = "\
usage: stepcraft build [-p PACKAGE] [--manifest-path PATH] [--bin NAME]... [--out DIR]
                       [--arch x86_64|arm64] [--locked]

Builds the package's binaries for AWS Lambda (provided.al2023) and writes a deployable bundle:
template.yaml (AWS SAM), manifest.json, <binary>/bootstrap.zip, statemachines/<Name>.asl.json
(.mmd, .svg) and schemas/. The default output is target/lambda/<package>.

Deploy it with `sam deploy --guided --template-file DIR/template.yaml`.";

impl Options {
    /// Reads `build`'s arguments.
    pub fn parse(args: &[String]) -> Result<Options, String> {
        let mut options = Options::default();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_owned())),
                _ => (arg.as_str(), None),
            };
            let mut value = || inline.clone().or_else(|| args.next().cloned()).ok_or(format!("`{flag}` needs a value"));
            match flag {
                "-p" | "--package" => options.package = Some(value()?),
                "--manifest-path" => options.manifest_path = Some(value()?.into()),
                "--bin" => options.binaries.push(value()?),
                "--out" | "-o" => options.out = Some(value()?.into()),
                "--arch" => {
                    options.architecture = Some(match value()?.as_str() {
                        "x86_64" | "amd64" => Architecture::X86_64,
                        "arm64" | "aarch64" => Architecture::Arm64,
                        other => return Err(format!("`--arch` is `x86_64` or `arm64`, not `{other}`")),
                    })
                }
                "--locked" => options.locked = true,
                other => {
                    return Err(format!(
                        "unknown option `{other}`; supported options are: -p, --manifest-path, --bin, --out, --arch, --locked"
                    ));
                }
            }
        }
        Ok(options)
    }
}

/// What a build wrote.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub dir: PathBuf,
    /// `manifest.json`, as written.
    pub manifest: Value,
}

/// Builds the bundle. Progress (cargo's, then one line per step) goes to standard error.
pub fn build(options: &Options) -> Result<Bundle, BuildError> {
    let package = cargo::package(&options.cargo, options.manifest_path.as_deref(), options.package.as_deref())?;
    let binaries = select_binaries(&package, &options.binaries)?;
    let host = cargo::host_triple()?;
    let host_architecture = match host.split('-').next() {
        Some("x86_64") => Architecture::X86_64,
        Some("aarch64") => Architecture::Arm64,
        _ => {
            return Err(BuildError(format!(
                "cannot build Lambda functions on `{host}`: Lambda runs x86_64 and arm64 Linux"
            )));
        }
    };
    if !host.contains("-linux-") {
        return Err(BuildError(format!(
            "cannot build Lambda functions on `{host}` without a Linux cross toolchain; build on Linux (or in a Linux container)"
        )));
    }
    let architecture = options.architecture.unwrap_or(host_architecture);
    // A cross build that cannot happen is refused before anything is built.
    let cross = if architecture == host_architecture { None } else { Some(cross_target(architecture)?) };
    let out = options.out.clone().unwrap_or_else(|| package.target_directory.join("lambda").join(&package.name));
    prepare_out(&out)?;

    progress(&format!("building {} ({}) for Lambda, {}", package.name, binaries.join(", "), architecture.as_str()));
    let host_built = cargo::build(&options.cargo, &package, &binaries, None, &[], options.locked)?;
    // The binaries run here to tell what they host; for another architecture the ones that
    // ship are built again with the cross linker.
    let shipped = match &cross {
        None => host_built.clone(),
        Some((target, config)) => {
            cargo::build(&options.cargo, &package, &binaries, Some(target), config, options.locked)?
        }
    };

    let mut functions = Vec::new();
    let mut workflows = Vec::new();
    let mut files: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut binaries_json = Vec::new();
    for ((binary, executable), (_, shipped_executable)) in host_built.iter().zip(&shipped) {
        check_glibc(binary, shipped_executable)?;
        let hosted = manifest_of(binary, executable)?;
        for (name, contents) in synth(binary, executable, &out)? {
            match files.get(&name) {
                Some((other, existing)) if existing != &contents => {
                    return Err(BuildError(format!(
                        "binaries `{other}` and `{binary}` both write `{name}`, differently; host each workflow in one binary"
                    )));
                }
                _ => {
                    files.insert(name, (binary.clone(), contents));
                }
            }
        }
        let zip = format!("{binary}/bootstrap.zip");
        write_zip(&out.join(&zip), shipped_executable)?;
        binaries_json.push(json!({
            "name": binary,
            "zip": zip,
            "functions": hosted.functions.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            "workflows": hosted.workflows.iter().map(|w| w.name.as_str()).collect::<Vec<_>>(),
        }));
        for function in hosted.functions {
            functions.push(FunctionPlan { function, binary: binary.clone(), code_uri: zip.clone() });
        }
        for workflow in hosted.workflows {
            if !workflows.iter().any(|(w, _): &(hosted::Workflow, String)| w.name == workflow.name) {
                workflows.push((workflow, binary.clone()));
            }
        }
    }

    let mut machines = Vec::new();
    for (workflow, binary) in workflows {
        let file = format!("{}.asl.json", workflow.name);
        let (_, text) = files.get(&file).ok_or_else(|| {
            BuildError(format!("binary `{binary}` hosts workflow `{}` but `synth` wrote no `{file}`", workflow.name))
        })?;
        let definition: Value = serde_json::from_str(text)
            .map_err(|e| BuildError(format!("`{file}` written by `{binary}` is not JSON: {e}")))?;
        machines.push(MachinePlan { definition_uri: format!("statemachines/{file}"), workflow, definition });
    }

    let mut written = Vec::new();
    for (name, (_, contents)) in &files {
        let relative =
            if name.ends_with(".asl.json") { format!("statemachines/{name}") } else { format!("schemas/{name}") };
        write_file(&out.join(&relative), contents.as_bytes())?;
        written.push(relative);
    }
    let mut diagrams = BTreeMap::new();
    for machine in &machines {
        let mut list = Vec::new();
        for (extension, contents) in diagram_files(&machine.workflow.name, &machine.definition)? {
            let relative = format!("statemachines/{}.{extension}", machine.workflow.name);
            write_file(&out.join(&relative), contents.as_bytes())?;
            list.push(relative);
        }
        diagrams.insert(machine.workflow.name.clone(), list);
    }

    let plan = Plan { package: package.name.clone(), architecture, functions, machines };
    let (template, wirings) = template::template(&plan)?;
    write_file(&out.join("template.yaml"), template.to_document().as_bytes())?;

    let manifest = json!({
        "package": plan.package,
        "architecture": architecture.as_str(),
        "runtime": "provided.al2023",
        "template": "template.yaml",
        "binaries": binaries_json,
        "functions": plan.functions.iter().map(|f| json!({
            "name": f.function.name,
            "resource": template::function_id(&f.function),
            "binary": f.binary,
            "handler": f.function.name,
            "zip": f.code_uri,
            "memory": f.function.memory.unwrap_or(template::DEFAULT_MEMORY),
            "timeout": f.function.timeout.unwrap_or(template::DEFAULT_TIMEOUT),
        })).collect::<Vec<_>>(),
        "state_machines": plan.machines.iter().map(|m| {
            let wiring = &wirings[&m.workflow.name];
            json!({
                "name": m.workflow.name,
                "resource": template::machine_id(&m.workflow),
                "type": m.workflow.kind.as_str(),
                "definition": m.definition_uri,
                "diagrams": diagrams.get(&m.workflow.name),
                "invokes": wiring.functions,
                "starts": wiring.machines,
            })
        }).collect::<Vec<_>>(),
        "schemas": written.iter().filter(|f| f.starts_with("schemas/")).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&manifest).expect("JSON serialises");
    text.push('\n');
    write_file(&out.join("manifest.json"), text.as_bytes())?;
    progress(&format!(
        "wrote {} ({} functions, {} state machines)",
        out.display(),
        plan.functions.len(),
        plan.machines.len()
    ));
    Ok(Bundle { dir: out, manifest })
}

fn progress(message: &str) {
    let _ = writeln!(std::io::stderr(), "stepcraft: {message}");
}

fn select_binaries(package: &cargo::Package, wanted: &[String]) -> Result<Vec<String>, BuildError> {
    if wanted.is_empty() {
        return Ok(package.binaries.clone());
    }
    for name in wanted {
        if !package.binaries.contains(name) {
            return Err(BuildError(format!(
                "package `{}` has no binary `{name}`; it has: {}",
                package.name,
                package.binaries.join(", ")
            )));
        }
    }
    let mut wanted = wanted.to_vec();
    wanted.sort();
    wanted.dedup();
    Ok(wanted)
}

/// A bundle folder is replaced whole, so that nothing of an earlier build lingers; a folder
/// that is not a bundle is never deleted.
fn prepare_out(out: &Path) -> Result<(), BuildError> {
    if out.exists() {
        let is_bundle = out.join("manifest.json").is_file();
        let is_empty = std::fs::read_dir(out).map(|mut d| d.next().is_none()).unwrap_or(false);
        if !is_bundle && !is_empty {
            return Err(BuildError(format!(
                "`{}` exists and is not a stepcraft bundle; choose another `--out` or remove it",
                out.display()
            )));
        }
        std::fs::remove_dir_all(out).map_err(|e| BuildError(format!("cannot replace `{}`: {e}", out.display())))?;
    }
    std::fs::create_dir_all(out).map_err(|e| BuildError(format!("cannot create `{}`: {e}", out.display())))
}

/// The Rust target of a cross build and the cargo configuration it needs, if this machine can
/// make one.
fn cross_target(architecture: Architecture) -> Result<(String, Vec<String>), BuildError> {
    let (target, linker, package) = match architecture {
        Architecture::Arm64 => ("aarch64-unknown-linux-gnu", "aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"),
        Architecture::X86_64 => ("x86_64-unknown-linux-gnu", "x86_64-linux-gnu-gcc", "gcc-x86-64-linux-gnu"),
    };
    let sysroot = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
        .args(["--print", "sysroot"])
        .output()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .map_err(|e| BuildError(format!("cannot run rustc: {e}")))?;
    if !sysroot.join("lib/rustlib").join(target).is_dir() {
        return Err(BuildError(format!(
            "building for {} needs the Rust target `{target}`: `rustup target add {target}`",
            architecture.as_str()
        )));
    }
    let env = format!("CARGO_TARGET_{}_LINKER", target.to_uppercase().replace('-', "_"));
    let has_linker = std::env::var_os(&env).is_some()
        || Command::new(linker).arg("--version").output().is_ok_and(|o| o.status.success());
    if !has_linker {
        return Err(BuildError(format!(
            "building for {} needs a cross linker: install `{linker}` (Debian's `{package}`) or set `{env}`",
            architecture.as_str()
        )));
    }
    // An explicit linker variable wins; otherwise cargo is told the linker found on PATH.
    let config = if std::env::var_os(&env).is_some() {
        Vec::new()
    } else {
        vec![format!("target.{target}.linker=\"{linker}\"")]
    };
    Ok((target.to_owned(), config))
}

/// Amazon Linux 2023's glibc is 2.34: a binary linked against a newer one fails at its first
/// cold start with "version `GLIBC_2.35' not found". The needed versions are strings of the
/// binary's dynamic section.
fn check_glibc(binary: &str, executable: &Path) -> Result<(), BuildError> {
    let bytes =
        std::fs::read(executable).map_err(|e| BuildError(format!("cannot read `{}`: {e}", executable.display())))?;
    let needle = b"GLIBC_2.";
    let mut newest = 0;
    let mut at = 0;
    while let Some(offset) = bytes[at..].windows(needle.len()).position(|w| w == needle) {
        let start = at + offset + needle.len();
        let digits: String = bytes[start..].iter().take_while(|b| b.is_ascii_digit()).map(|&b| b as char).collect();
        if let Ok(minor) = digits.parse::<u32>() {
            newest = newest.max(minor);
        }
        at = start;
    }
    if newest > GLIBC_MAX_MINOR {
        return Err(BuildError(format!(
            "binary `{binary}` needs glibc 2.{newest}, but Lambda's provided.al2023 has 2.{GLIBC_MAX_MINOR}; \
             build on an older Linux or for a musl target"
        )));
    }
    Ok(())
}

/// Runs a built binary as a command-line tool (never as a Lambda function).
fn run_binary(binary: &str, executable: &Path, args: &[&str]) -> Result<Vec<u8>, BuildError> {
    let output = Command::new(executable)
        .args(args)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .env_remove("_HANDLER")
        .output()
        .map_err(|e| BuildError(format!("cannot run binary `{binary}`: {e}")))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("no output");
        return Err(BuildError(format!(
            "binary `{binary}` is not a stepcraft binary, or failed: `{binary} {}` said: {first}",
            args.join(" ")
        )));
    }
    Ok(output.stdout)
}

fn manifest_of(binary: &str, executable: &Path) -> Result<Hosted, BuildError> {
    let stdout = run_binary(binary, executable, &["manifest"])?;
    serde_json::from_slice(&stdout).map_err(|e| {
        BuildError(format!(
            "binary `{binary}`'s manifest is not what this `stepcraft` reads ({e}); use the same stepcraft version"
        ))
    })
}

/// The files `synth` writes, by name.
fn synth(binary: &str, executable: &Path, out: &Path) -> Result<Vec<(String, String)>, BuildError> {
    let dir = out.join(format!(".synth-{binary}"));
    let dir_text = dir.to_string_lossy().into_owned();
    run_binary(binary, executable, &["synth", "--out", &dir_text])?;
    let mut files = Vec::new();
    let entries = std::fs::read_dir(&dir).map_err(|e| BuildError(format!("cannot read `{dir_text}`: {e}")))?;
    for entry in entries {
        let entry = entry.map_err(|e| BuildError(e.to_string()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let contents = std::fs::read_to_string(entry.path())
            .map_err(|e| BuildError(format!("cannot read `{}`: {e}", entry.path().display())))?;
        files.push((name, contents));
    }
    std::fs::remove_dir_all(&dir).map_err(|e| BuildError(format!("cannot remove `{dir_text}`: {e}")))?;
    files.sort();
    Ok(files)
}

/// The diagrams written beside a definition, `(extension, contents)`: Mermaid for Markdown
/// and the SVG for people.
fn diagram_files(name: &str, definition: &Value) -> Result<Vec<(&'static str, String)>, BuildError> {
    use stepcraft_local::diagram::{Diagram, Format};
    let diagram =
        Diagram::from_json(definition).map_err(|e| BuildError(format!("cannot draw state machine `{name}`: {e}")))?;
    Ok([Format::Mermaid, Format::Svg].into_iter().map(|format| (format.extension(), diagram.render(format))).collect())
}

fn write_file(path: &Path, contents: &[u8]) -> Result<(), BuildError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| BuildError(format!("cannot create `{}`: {e}", parent.display())))?;
    }
    std::fs::write(path, contents).map_err(|e| BuildError(format!("cannot write `{}`: {e}", path.display())))
}

/// `bootstrap.zip`: what Lambda's `provided` runtimes accept — an executable named
/// `bootstrap` at the root (mode 0755), deflated, with a fixed timestamp so the same binary
/// always gives the same zip.
fn write_zip(path: &Path, executable: &Path) -> Result<(), BuildError> {
    use zip::write::SimpleFileOptions;
    let fail = |e: &dyn fmt::Display| BuildError(format!("cannot write `{}`: {e}", path.display()));
    let bytes =
        std::fs::read(executable).map_err(|e| BuildError(format!("cannot read `{}`: {e}", executable.display())))?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| fail(&e))?;
    }
    let file = std::fs::File::create(path).map_err(|e| fail(&e))?;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o755)
        .last_modified_time(zip::DateTime::default());
    zip.start_file("bootstrap", options).map_err(|e| fail(&e))?;
    zip.write_all(&bytes).map_err(|e| fail(&e))?;
    let mut writer = zip.finish().map_err(|e| fail(&e))?;
    writer.flush().map_err(|e| fail(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn parses_options() {
        let options =
            Options::parse(&args(&["-p", "checkout", "--out=bundle", "--arch", "arm64", "--locked"])).unwrap();
        assert_eq!(options.package.as_deref(), Some("checkout"));
        assert_eq!(options.out, Some(PathBuf::from("bundle")));
        assert_eq!(options.architecture, Some(Architecture::Arm64));
        assert!(options.locked);
        assert!(Options::parse(&args(&["--arch", "mips"])).unwrap_err().contains("`x86_64` or `arm64`"));
        assert!(Options::parse(&args(&["--bogus"])).unwrap_err().contains("supported options"));
        assert!(Options::parse(&args(&["-p"])).unwrap_err().contains("needs a value"));
    }

    #[test]
    fn zips_are_what_lambda_accepts_and_reproducible() {
        let dir = std::env::temp_dir().join(format!("stepcraft-zip-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let executable = dir.join("app");
        std::fs::write(&executable, b"\x7fELF not really").unwrap();
        write_zip(&dir.join("a.zip"), &executable).unwrap();
        write_zip(&dir.join("b.zip"), &executable).unwrap();
        let a = std::fs::read(dir.join("a.zip")).unwrap();
        assert_eq!(a, std::fs::read(dir.join("b.zip")).unwrap());
        let mut archive = zip::ZipArchive::new(std::fs::File::open(dir.join("a.zip")).unwrap()).unwrap();
        assert_eq!(archive.len(), 1);
        let entry = archive.by_index(0).unwrap();
        assert_eq!(entry.name().unwrap(), "bootstrap");
        assert_eq!(entry.unix_mode().map(|m| m & 0o777), Some(0o755));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn refuses_to_replace_a_folder_that_is_not_a_bundle() {
        let dir = std::env::temp_dir().join(format!("stepcraft-out-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("notes.txt"), "mine").unwrap();
        assert!(prepare_out(&dir).unwrap_err().0.contains("is not a stepcraft bundle"));
        std::fs::write(dir.join("manifest.json"), "{}").unwrap();
        prepare_out(&dir).unwrap();
        assert!(!dir.join("notes.txt").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
