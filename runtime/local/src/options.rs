//! The options of a local run, read in one place for both command lines that start one:
//! `stepcraft local FILE.asl.json` (any state machine) and a stepcraft binary's
//! `run WORKFLOW` (its own workflows), so that `--input`, `--mock-config` and the rest mean
//! the same everywhere. Each command says which options it takes; the values are checked
//! here (a seed is a number, a start time a timestamp Step Functions accepts, names and the
//! input what `StartExecution` and `CreateStateMachine` accept: [`crate::limits`]), the files
//! are read by [`RunOptions::input`] and [`RunOptions::mock_config`].

use crate::mock::MockConfig;
use crate::time::parse_timestamp;
use serde_json::Value;

/// An option of a local run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opt {
    /// `--input JSON|@FILE`.
    Input,
    /// `--mock-config FILE` (Step Functions Local's format).
    MockConfig,
    /// `--test-case NAME` of the mock configuration.
    TestCase,
    /// `--state-machine NAME` of the mock configuration.
    StateMachine,
    /// `--name NAME` of the execution.
    Name,
    /// `--json`: one JSON object instead of the trace.
    Json,
    /// `--quiet`: no trace.
    Quiet,
    /// `--html FILE`: the page of the run.
    Html,
    /// `--seed N` of the random source (jitter, UUIDs, `$random`).
    Seed,
    /// `--start-time ISO-8601`: the virtual start.
    StartTime,
}

impl Opt {
    /// The flag, as typed.
    pub fn flag(self) -> &'static str {
        match self {
            Opt::Input => "--input",
            Opt::MockConfig => "--mock-config",
            Opt::TestCase => "--test-case",
            Opt::StateMachine => "--state-machine",
            Opt::Name => "--name",
            Opt::Json => "--json",
            Opt::Quiet => "--quiet",
            Opt::Html => "--html",
            Opt::Seed => "--seed",
            Opt::StartTime => "--start-time",
        }
    }

    /// Its line in a usage text.
    pub fn help(self) -> &'static str {
        match self {
            Opt::Input => "  --input JSON|@FILE        execution input",
            Opt::MockConfig => "  --mock-config FILE        AWS Step Functions Local mock configuration",
            Opt::TestCase => {
                "  --test-case NAME          test case of the mock configuration (needed when it has several)"
            }
            Opt::StateMachine => {
                "  --state-machine NAME      state machine of the mock configuration (when the\n                            test case name is not unique); also names the machine"
            }
            Opt::Name => "  --name NAME               execution name",
            Opt::Json => "  --json                    print one JSON object: status, output, error, cause, history",
            Opt::Quiet => "  --quiet                   do not print the trace",
            Opt::Html => "  --html FILE               write the page of the run: the diagram and the timeline",
            Opt::Seed => "  --seed N                  seed of the random generator (jitter, UUIDs, $random)",
            Opt::StartTime => "  --start-time ISO-8601     virtual start time (default: now)",
        }
    }

    fn takes_value(self) -> bool {
        !matches!(self, Opt::Json | Opt::Quiet)
    }

    /// Every option, in the order usage texts list them.
    pub const ALL: [Opt; 10] = [
        Opt::Input,
        Opt::MockConfig,
        Opt::TestCase,
        Opt::StateMachine,
        Opt::Name,
        Opt::Json,
        Opt::Quiet,
        Opt::Html,
        Opt::Seed,
        Opt::StartTime,
    ];
}

/// The usage lines of `options`.
pub fn help(options: &[Opt]) -> String {
    options.iter().map(|o| o.help()).collect::<Vec<_>>().join("\n")
}

/// What a command line said of a local run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// The arguments that are not options, in order.
    pub positional: Vec<String>,
    /// `--input`, as given (JSON, or `@FILE`).
    pub input: Option<String>,
    pub mock_config: Option<String>,
    pub test_case: Option<String>,
    pub state_machine: Option<String>,
    pub name: Option<String>,
    pub json: bool,
    pub quiet: bool,
    pub html: Option<String>,
    pub seed: Option<u64>,
    /// `--start-time`, in milliseconds since the epoch.
    pub start_time_ms: Option<i64>,
}

impl RunOptions {
    /// Reads `args`, accepting the options in `accepted` (as `--flag VALUE` or
    /// `--flag=VALUE`). Errors are one sentence, without a prefix.
    pub fn parse(args: &[String], accepted: &[Opt]) -> Result<RunOptions, String> {
        let mut out = RunOptions::default();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_owned())),
                _ => (arg.as_str(), None),
            };
            let flag = if flag == "-q" { "--quiet" } else { flag };
            if !flag.starts_with('-') || flag == "-" {
                out.positional.push(arg.clone());
                continue;
            }
            let Some(opt) = Opt::ALL.into_iter().find(|o| o.flag() == flag && accepted.contains(o)) else {
                let names: Vec<&str> = accepted.iter().map(|o| o.flag()).collect();
                return Err(format!("unknown option `{flag}`; supported options are: {}", names.join(", ")));
            };
            let value = if opt.takes_value() {
                Some(inline.or_else(|| args.next().cloned()).ok_or_else(|| format!("`{flag}` needs a value"))?)
            } else if inline.is_some() {
                return Err(format!("`{flag}` takes no value"));
            } else {
                None
            };
            let value = || value.clone().unwrap_or_default();
            match opt {
                Opt::Input => out.input = Some(value()),
                Opt::MockConfig => out.mock_config = Some(value()),
                Opt::TestCase => out.test_case = Some(value()),
                Opt::StateMachine => out.state_machine = Some(name(flag, "CreateStateMachine", value())?),
                Opt::Name => out.name = Some(name(flag, "StartExecution", value())?),
                Opt::Json => out.json = true,
                Opt::Quiet => out.quiet = true,
                Opt::Html => out.html = Some(value()),
                Opt::Seed => out.seed = Some(value().parse().map_err(|_| "`--seed` expects an integer".to_owned())?),
                Opt::StartTime => {
                    let text = value();
                    out.start_time_ms = Some(parse_timestamp(&text).ok_or_else(|| {
                        format!(
                            "`--start-time` expects an ISO-8601 date-time such as 2024-01-01T00:00:00Z, got `{text}`"
                        )
                    })?)
                }
            }
        }
        if out.test_case.is_some() && out.mock_config.is_none() {
            return Err("`--test-case` needs `--mock-config FILE`".into());
        }
        Ok(out)
    }

    /// The input's bytes: `--input JSON`, `--input @FILE`, or `otherwise()` without one.
    pub fn input_bytes(&self, otherwise: impl FnOnce() -> Result<Vec<u8>, String>) -> Result<Vec<u8>, String> {
        match &self.input {
            Some(value) => input_arg(value),
            None => otherwise(),
        }
    }

    /// The input as JSON (see [`RunOptions::input_bytes`]), refused as `StartExecution` refuses
    /// it: over 256 KiB, or not JSON.
    pub fn input(&self, otherwise: impl FnOnce() -> Result<Vec<u8>, String>) -> Result<Value, String> {
        let bytes = self.input_bytes(otherwise)?;
        crate::limits::execution_input(&bytes).map_err(|e| match e.code {
            "InvalidExecutionInput" => format!("the input is not valid JSON (StartExecution: {e})"),
            _ => format!("StartExecution refuses the input: {e}"),
        })
    }

    /// The mock configuration and the test case to use: `--test-case`, or the configuration's
    /// only one.
    pub fn mock_config(&self) -> Result<Option<(MockConfig, String)>, String> {
        let Some(path) = &self.mock_config else { return Ok(None) };
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read `{path}`: {e}"))?;
        let doc = serde_json::from_str(&text)
            .map_err(|e| format!("the mock configuration `{path}` is not valid JSON: {e}"))?;
        let config = MockConfig::from_json(doc).map_err(|e| format!("`{path}`: {e}"))?;
        let test_case = match &self.test_case {
            Some(test_case) => test_case.clone(),
            None => match config.test_cases().as_slice() {
                [(_, only)] => only.clone(),
                cases => {
                    let names: Vec<&str> = cases.iter().map(|(_, c)| c.as_str()).collect();
                    return Err(format!(
                        "`--test-case NAME` is required: `{path}` has several test cases ({})",
                        names.join(", ")
                    ));
                }
            },
        };
        Ok(Some((config, test_case)))
    }
}

/// The value of `--name` or `--state-machine`, refused as `api` (`StartExecution`,
/// `CreateStateMachine`) refuses the name.
fn name(flag: &str, api: &str, value: String) -> Result<String, String> {
    crate::limits::check_name(&value).map_err(|e| format!("`{flag}`: {api} refuses the name: {e}"))?;
    Ok(value)
}

/// `JSON`, or `@FILE`'s contents.
pub fn input_arg(value: &str) -> Result<Vec<u8>, String> {
    match value.strip_prefix('@') {
        Some(path) => std::fs::read(path).map_err(|e| format!("cannot read `{path}`: {e}")),
        None => Ok(value.as_bytes().to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    const ALL: &[Opt] = &Opt::ALL;

    #[test]
    fn reads_flags_values_and_positionals() {
        let o = RunOptions::parse(&args(&["m.asl.json", "--input", "{}", "--json", "--seed=7", "-q"]), ALL).unwrap();
        assert_eq!(o.positional, ["m.asl.json"]);
        assert_eq!(o.input.as_deref(), Some("{}"));
        assert!(o.json && o.quiet);
        assert_eq!(o.seed, Some(7));
        let o = RunOptions::parse(&args(&["--start-time", "1970-01-01T00:00:01Z"]), ALL).unwrap();
        assert_eq!(o.start_time_ms, Some(1000));
    }

    #[test]
    fn refuses_what_the_command_does_not_take() {
        let only_input = &[Opt::Input, Opt::Json];
        let e = RunOptions::parse(&args(&["--seed", "1"]), only_input).unwrap_err();
        assert_eq!(e, "unknown option `--seed`; supported options are: --input, --json");
        assert_eq!(RunOptions::parse(&args(&["--input"]), ALL).unwrap_err(), "`--input` needs a value");
        assert_eq!(RunOptions::parse(&args(&["--json=1"]), ALL).unwrap_err(), "`--json` takes no value");
        assert!(RunOptions::parse(&args(&["--seed", "x"]), ALL).unwrap_err().contains("integer"));
        assert!(RunOptions::parse(&args(&["--start-time", "noon"]), ALL).unwrap_err().contains("ISO-8601"));
        assert!(RunOptions::parse(&args(&["--test-case", "T"]), ALL).unwrap_err().contains("--mock-config"));
    }

    #[test]
    fn the_input_is_json_a_file_or_the_default() {
        let o = RunOptions::parse(&args(&["--input", "{\"a\": 1}"]), ALL).unwrap();
        assert_eq!(o.input(|| unreachable!()).unwrap(), serde_json::json!({"a": 1}));
        let none = RunOptions::default();
        assert_eq!(none.input(|| Ok(b"[]".to_vec())).unwrap(), serde_json::json!([]));
        let bad = RunOptions { input: Some("{".into()), ..RunOptions::default() };
        assert!(bad.input(|| unreachable!()).unwrap_err().starts_with("the input is not valid JSON"));
        let missing = RunOptions { input: Some("@/nonexistent/x.json".into()), ..RunOptions::default() };
        assert!(missing.input(|| unreachable!()).unwrap_err().starts_with("cannot read `/nonexistent/x.json`"));
    }

    #[test]
    fn names_and_the_input_are_what_step_functions_accepts() {
        let e = RunOptions::parse(&args(&["--name", "my run"]), ALL).unwrap_err();
        assert!(e.starts_with("`--name`: StartExecution refuses the name: InvalidName: Invalid Name: 'my run'"), "{e}");
        let long = "m".repeat(81);
        let e = RunOptions::parse(&args(&["--state-machine", &long]), ALL).unwrap_err();
        assert!(e.starts_with("`--state-machine`: CreateStateMachine refuses the name: ValidationException"), "{e}");
        assert_eq!(RunOptions::parse(&args(&["--name=run-1"]), ALL).unwrap().name.as_deref(), Some("run-1"));
        let big = RunOptions { input: Some(format!("[{}0]", "0,".repeat(131_072))), ..RunOptions::default() };
        let e = big.input(|| unreachable!()).unwrap_err();
        assert!(
            e.starts_with("StartExecution refuses the input: ValidationException: 1 validation error detected"),
            "{e}"
        );
        assert!(e.ends_with("(the input is 262147 bytes)"), "{e}");
    }
}
