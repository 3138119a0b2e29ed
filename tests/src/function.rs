//! A function binary running as a child process against a [`RuntimeApi`], with the environment
//! Lambda gives a custom runtime, and [`workspace_binary`] to find (and build) such binaries.
//!
//! The process is killed when the [`Function`] is dropped; if that happens while the thread
//! panics (a failing test), its logs are printed to stderr.

use std::{
    collections::BTreeMap,
    fmt,
    io::{BufRead, BufReader, Read},
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    sync::{
        Arc, Mutex, MutexGuard, OnceLock,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    thread,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use crate::runtime_api::{ApiHandle, RuntimeApi, new_request_id};

/// Host variables passed through to the function; every other one is cleared, as on Lambda.
const PASSED_THROUGH: &[&str] = &["PATH", "RUST_BACKTRACE", "RUST_LIB_BACKTRACE", "LLVM_PROFILE_FILE"];

/// A function's process, killed on drop.
pub struct Function {
    proc: Arc<Proc>,
    name: String,
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Function")
            .field("name", &self.name)
            .field("pid", &self.proc.pid)
            .field("exit", &self.proc.exit.get())
            .finish()
    }
}

impl Function {
    /// Starts `binary` against `api` with the environment Lambda sets for a custom runtime:
    /// `AWS_LAMBDA_RUNTIME_API`, `AWS_LAMBDA_FUNCTION_NAME` and `_HANDLER` (both the binary's
    /// file name), `AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128`, `AWS_LAMBDA_FUNCTION_VERSION=$LATEST`,
    /// `AWS_LAMBDA_LOG_GROUP_NAME`, `AWS_LAMBDA_LOG_STREAM_NAME`, `AWS_REGION=us-east-1`,
    /// `LAMBDA_TASK_ROOT` (the binary's folder, also its working directory), ... The host's
    /// environment is not inherited (only `PATH` and the Rust backtrace/coverage variables),
    /// so `RUST_LOG` and `AWS_LAMBDA_LOG_FORMAT` are unset unless given.
    pub fn spawn(binary: impl AsRef<Path>, api: &RuntimeApi) -> Function {
        Function::spawn_with(binary, api, &[])
    }

    /// [`Function::spawn`], with these variables added or overriding the defaults, e.g.
    /// `("_HANDLER", "charge_payment")` or `("AWS_LAMBDA_LOG_FORMAT", "JSON")`.
    pub fn spawn_with(binary: impl AsRef<Path>, api: &RuntimeApi, env: &[(&str, &str)]) -> Function {
        // Absolute, as the process runs in the binary's folder (LAMBDA_TASK_ROOT).
        let binary = std::path::absolute(binary.as_ref()).expect("an absolute path for the binary");
        let binary = binary.as_path();
        assert!(
            binary.is_file(),
            "function binary {} does not exist (build it first, e.g. with workspace_binary)",
            binary.display()
        );
        let file_name =
            binary.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "function".to_owned());
        let root = binary.parent().unwrap_or(Path::new("/"));

        let mut vars = BTreeMap::<String, String>::new();
        for name in PASSED_THROUGH {
            if let Ok(value) = std::env::var(name) {
                vars.insert((*name).to_owned(), value);
            }
        }
        let function_name = env
            .iter()
            .rev()
            .find(|(k, _)| *k == "AWS_LAMBDA_FUNCTION_NAME")
            .map_or(file_name.as_str(), |(_, v)| *v)
            .to_owned();
        let root_str = root.to_string_lossy().into_owned();
        let defaults = [
            ("AWS_LAMBDA_RUNTIME_API", api.endpoint()),
            ("AWS_LAMBDA_FUNCTION_NAME", function_name.clone()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_owned()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
            ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{function_name}")),
            ("AWS_LAMBDA_LOG_STREAM_NAME", log_stream_name()),
            ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_DEFAULT_REGION", "us-east-1".to_owned()),
            ("_HANDLER", file_name.clone()),
            ("LAMBDA_TASK_ROOT", root_str.clone()),
            ("LAMBDA_RUNTIME_DIR", root_str),
            ("TZ", ":UTC".to_owned()),
            ("LANG", "en_US.UTF-8".to_owned()),
        ];
        for (name, value) in defaults {
            vars.insert(name.to_owned(), value);
        }
        for (name, value) in env {
            vars.insert((*name).to_owned(), (*value).to_owned());
        }

        let mut child = Command::new(binary)
            .env_clear()
            .envs(&vars)
            .current_dir(root)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", binary.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let api = api.handle();
        api.attach(&function_name);
        let proc = Arc::new(Proc {
            pid: child.id(),
            child: Mutex::new(child),
            exit: OnceLock::new(),
            api,
            logs: Mutex::new(Vec::new()),
            open_pipes: AtomicUsize::new(2),
            killed: AtomicBool::new(false),
        });
        for (pipe, stream) in [(Box::new(stdout) as Box<dyn Read + Send>, "stdout"), (Box::new(stderr), "stderr")] {
            let proc = proc.clone();
            thread::Builder::new()
                .name(format!("{file_name}-{stream}"))
                .spawn(move || proc.read_lines(pipe))
                .expect("start a log reader thread");
        }
        Function { proc, name: file_name }
    }

    /// The lines the process wrote to stdout and stderr so far, in arrival order (stepcraft
    /// binaries and `lambda_runtime` with `AWS_LAMBDA_LOG_FORMAT=JSON` write one JSON
    /// document a line).
    pub fn logs(&self) -> Vec<String> {
        lock(&self.proc.logs).clone()
    }

    /// The log lines that are JSON documents, parsed.
    pub fn json_logs(&self) -> Vec<serde_json::Value> {
        lock(&self.proc.logs).iter().filter_map(|line| serde_json::from_str(line).ok()).collect()
    }

    /// Waits until a log line contains `needle` (log lines reach us a little after the
    /// function wrote them, possibly after its response), at most `timeout`.
    pub async fn wait_for_log(&self, needle: &str, timeout: Duration) -> Option<String> {
        let start = Instant::now();
        loop {
            if let Some(line) = lock(&self.proc.logs).iter().find(|l| l.contains(needle)) {
                return Some(line.clone());
            }
            if start.elapsed() >= timeout {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.proc.poll_exit().is_none()
    }

    /// Waits for the process to exit by itself, at most `timeout`; `None` if it still runs.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.proc.poll_exit() {
                return Some(status);
            }
            if start.elapsed() >= timeout {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.proc.pid
    }

    /// Kills the process now (dropping the [`Function`] does too) and returns how it ended.
    pub fn kill(&mut self) -> Option<ExitStatus> {
        self.proc.kill()
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let status = self.proc.kill();
        if thread::panicking() {
            // Let the reader threads catch up with what the process wrote before it died.
            thread::sleep(Duration::from_millis(20));
            let logs = lock(&self.proc.logs);
            eprintln!(
                "---- {} (pid {}, {}) wrote {} log lines:",
                self.name,
                self.proc.pid,
                status.map_or("still running".to_owned(), |s| s.to_string()),
                logs.len()
            );
            for line in logs.iter() {
                eprintln!("{line}");
            }
            eprintln!("---- end of {} logs", self.name);
        }
    }
}

struct Proc {
    pid: u32,
    child: Mutex<Child>,
    exit: OnceLock<ExitStatus>,
    api: ApiHandle,
    logs: Mutex<Vec<String>>,
    open_pipes: AtomicUsize,
    killed: AtomicBool,
}

impl Proc {
    fn poll_exit(&self) -> Option<ExitStatus> {
        if let Some(status) = self.exit.get() {
            return Some(*status);
        }
        let mut child = lock(&self.child);
        match child.try_wait() {
            Ok(Some(status)) => {
                self.record_exit(status);
                Some(status)
            }
            _ => None,
        }
    }

    fn kill(&self) -> Option<ExitStatus> {
        let mut child = lock(&self.child);
        if let Some(status) = self.exit.get() {
            return Some(*status);
        }
        if let Ok(Some(status)) = child.try_wait() {
            self.record_exit(status);
            return Some(status);
        }
        self.killed.store(true, Ordering::SeqCst);
        let _ = child.kill();
        let status = child.wait().ok()?;
        self.record_exit(status);
        Some(status)
    }

    /// Called with the child locked, so exactly once per process.
    fn record_exit(&self, status: ExitStatus) {
        if self.exit.set(status).is_ok() {
            let mut description = status.to_string();
            if self.killed.load(Ordering::SeqCst) {
                description.push_str(" (killed by the test harness)");
            }
            self.api.detach(description);
        }
    }

    fn read_lines(&self, pipe: Box<dyn Read + Send>) {
        let mut reader = BufReader::new(pipe);
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                        line.pop();
                    }
                    lock(&self.logs).push(String::from_utf8_lossy(&line).into_owned());
                }
            }
        }
        // Both pipes closed: the process is exiting. Reap it, so that the server learns at
        // once that invocations can no longer be answered.
        if self.open_pipes.fetch_sub(1, Ordering::SeqCst) == 1 {
            let mut pause = Duration::from_millis(1);
            while self.poll_exit().is_none() {
                thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `YYYY/MM/DD/[$LATEST]` and 32 hex digits, like the service's log stream names.
fn log_stream_name() -> String {
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis()) as i64;
    // `YYYY-MM-DDT…`, as Step Functions prints it.
    let date = stepcraft::local::format_timestamp(now_ms);
    let (year, month, day) = (&date[0..4], &date[5..7], &date[8..10]);
    format!("{year}/{month}/{day}/[$LATEST]{}", new_request_id().replace('-', ""))
}

/* ------------------------------------- WORKSPACE BINARIES ------------------------------------ */

/// The path of binary `bin` of workspace package `package`, built in the same profile (and
/// target dir, and `--target`) as the running executable. It runs
/// `cargo build -p <package> --bin <bin>` once per process (cargo makes it quick when the
/// binary is up to date); `cargo test` has released its build lock by the time tests run.
/// Panics with cargo's output if the build fails.
pub fn workspace_binary(package: &str, bin: &str) -> PathBuf {
    static BUILT: Mutex<BTreeMap<(String, String), PathBuf>> = Mutex::new(BTreeMap::new());
    let mut built = lock(&BUILT);
    let key = (package.to_owned(), bin.to_owned());
    if let Some(path) = built.get(&key) {
        return path.clone();
    }
    let layout = Layout::of_current_exe();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives in the workspace")
        .join("Cargo.toml");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command
        .arg("build")
        .arg("--manifest-path")
        .arg(&manifest)
        .args(["-p", package, "--bin", bin])
        .env("CARGO_TARGET_DIR", &layout.target_dir)
        .stdin(Stdio::null());
    match layout.profile.as_str() {
        "debug" => {}
        "release" => {
            command.arg("--release");
        }
        other => {
            command.args(["--profile", other]);
        }
    }
    if let Some(triple) = &layout.triple {
        command.args(["--target", triple]);
    }
    let start = Instant::now();
    let output = command.output().unwrap_or_else(|e| panic!("could not run {}: {e}", Path::new(&cargo).display()));
    assert!(
        output.status.success(),
        "building {package}/{bin} failed ({:?}):\n{}",
        command,
        String::from_utf8_lossy(&output.stderr)
    );
    let path = layout.profile_dir.join(format!("{bin}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.is_file(), "cargo built {package}/{bin} but {} does not exist", path.display());
    eprintln!("workspace_binary: {package}/{bin} ready in {:.1}s at {}", start.elapsed().as_secs_f64(), path.display());
    built.insert(key, path.clone());
    path
}

/// Where cargo put the running executable: `<target>[/<triple>]/<profile>[/deps|/examples]/exe`.
struct Layout {
    target_dir: PathBuf,
    triple: Option<String>,
    profile: String,
    profile_dir: PathBuf,
}

impl Layout {
    fn of_current_exe() -> Layout {
        let exe = std::env::current_exe().expect("path of the running executable");
        let mut dir = exe.parent().expect("the executable is in a folder").to_path_buf();
        if dir.file_name().is_some_and(|n| n == "deps" || n == "examples") {
            dir.pop();
        }
        let profile_dir = dir;
        let profile = profile_dir.file_name().expect("a profile folder").to_string_lossy().into_owned();
        let parent = profile_dir.parent().expect("a target folder").to_path_buf();
        // Cargo marks the root of a target dir with CACHEDIR.TAG; otherwise `parent` is the
        // folder of a `--target` triple.
        let (target_dir, triple) = if parent.join("CACHEDIR.TAG").is_file() {
            (parent, None)
        } else {
            let triple = parent.file_name().map(|n| n.to_string_lossy().into_owned());
            let target_dir = parent.parent().expect("a target folder").to_path_buf();
            (target_dir, triple)
        };
        Layout { target_dir, triple, profile, profile_dir }
    }
}
