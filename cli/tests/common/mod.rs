//! What the `stepcraft` command's tests share: a temporary folder and running the binary.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

/// A temporary folder, removed on drop.
pub struct Dir(PathBuf);

impl Dir {
    pub fn new(name: &str) -> Dir {
        let p = std::env::temp_dir().join(format!("stepcraft-cli-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }

    /// Writes `v` as `name` and returns its path.
    pub fn file(&self, name: &str, v: &Value) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, serde_json::to_string_pretty(v).unwrap()).unwrap();
        p.to_string_lossy().into_owned()
    }

    /// The path of `name` in the folder.
    #[allow(dead_code)]
    pub fn path(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `stepcraft` with `args`.
#[allow(dead_code)]
pub fn stepcraft(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stepcraft")).args(args).output().unwrap()
}
