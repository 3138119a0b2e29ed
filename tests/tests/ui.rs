//! Compile-fail tests: every misuse of stepcraft's attributes is a spanned error that says what
//! to write instead. Bless with `TRYBUILD=overwrite cargo test -p stepcraft-tests --test ui`.

use std::path::Path;

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/*.rs");
}

/// The cases that hold more than one error on purpose, with how many each reports. Every other
/// case is one mistake, and one mistake is one error: no follow-on errors.
const SEVERAL: &[(&str, usize, &str)] = &[
    ("activity_many_mistakes", 5, "five mistakes in one attribute and signature, each reported"),
    ("workflow_many_mistakes", 3, "three mistakes in one body, each reported"),
    ("handler_sqs_fifo_limits", 2, "`batch_size = 20` and `window`: two limits of a FIFO queue"),
    ("workflow_join", 2, "`a?` and `b?`: two results checked inside an expression"),
    (
        "activity_input_not_deserialize",
        2,
        "the input type lacks two traits (`Deserialize`, `JsonSchema`), each its own derive to add",
    ),
];

/// The error headings of a `.stderr`: `error: …` and `error[E0277]: …` lines.
fn error_count(stderr: &str) -> usize {
    stderr.lines().filter(|line| line.starts_with("error:") || line.starts_with("error[")).count()
}

#[test]
fn each_mistake_is_one_error() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
    let mut wrong = Vec::new();
    let mut seen = Vec::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/ui") {
        let path = entry.expect("an entry").path();
        if path.extension().is_none_or(|e| e != "stderr") {
            continue;
        }
        let case = path.file_stem().and_then(|s| s.to_str()).expect("a UTF-8 name").to_owned();
        let stderr = std::fs::read_to_string(&path).expect("readable");
        let found = error_count(&stderr);
        checked += 1;
        let expected = match SEVERAL.iter().find(|(name, ..)| *name == case) {
            Some((_, count, _)) => {
                seen.push(case.clone());
                *count
            }
            None => 1,
        };
        if found != expected {
            wrong.push(format!("{case}: {found} errors, expected {expected}"));
        }
    }
    for (name, ..) in SEVERAL {
        assert!(seen.iter().any(|s| s == name), "`{name}` is listed in SEVERAL but has no .stderr");
    }
    assert!(checked > 50, "only {checked} `.stderr` files found in {}", dir.display());
    assert!(wrong.is_empty(), "ui cases with follow-on (or missing) errors:\n{}", wrong.join("\n"));
}

#[test]
fn error_headings_are_counted() {
    let stderr = "error: one\n  --> a.rs:1:1\n\nerror[E0277]: two\n   = note: error: not a heading\n";
    assert_eq!(error_count(stderr), 2);
}

/// `#[task(retry(errors = [Variant]))]` on a callback call names a variant of the callback
/// activity's own error type: the state machine's Task retries its stable name.
mod callback_retry {
    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};
    use stepcraft::{Data, TaskToken, Workflow, activity, callback, workflow};

    #[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, Data)]
    pub struct Claim {
        id: String,
    }

    #[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, Data)]
    pub struct Decision {
        approved: bool,
    }

    #[derive(Debug, thiserror::Error, stepcraft::Error)]
    #[allow(dead_code, reason = "only named by the retry rule")]
    pub enum MailError {
        #[error("mail server down")]
        #[stepcraft(name = "Mail.Down")]
        MailDown,
    }

    #[derive(Debug, thiserror::Error, stepcraft::Error)]
    pub enum ClaimError {
        #[error(transparent)]
        #[stepcraft(transparent)]
        Callback(#[from] stepcraft::CallbackError),
    }

    #[activity(callback = Decision, timeout = "1h")]
    pub async fn ask_manager(claim: Claim, token: TaskToken) -> Result<(), MailError> {
        let _ = (claim, token);
        Ok(())
    }

    #[workflow]
    pub async fn review(claim: Claim) -> Result<Decision, ClaimError> {
        #[task(retry(errors = [MailDown, "Mail.Down", other = "Manager.Away"], max_attempts = 2))]
        let decision = callback(ask_manager, claim).await?;
        Ok(decision)
    }

    #[test]
    fn a_callback_task_retries_the_variants_of_the_activity_error() {
        let definition: serde_json::Value = serde_json::from_str(&review::definition_json()).expect("JSON");
        let states = definition["States"].as_object().expect("states");
        let task = states.values().find(|s| s["Type"] == "Task").expect("the callback's Task");
        assert_eq!(task["Retry"][0]["ErrorEquals"], serde_json::json!(["Mail.Down", "Mail.Down", "Manager.Away"]));
        assert_eq!(task["Retry"][0]["MaxAttempts"], 2);
    }
}
