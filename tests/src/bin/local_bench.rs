//! Throughput of `stepcraft::local`: a 5-state workflow compiled by stepcraft (Task, Choice,
//! Task, Wait, Succeed), its two activities run in-process through the same decoding and
//! encoding Lambda uses, one thread, virtual time. Run by `tests/bench/local.sh`, which also
//! runs the same definition in the third-party interpreter for the ratio.
//!
//! `local_bench [N] [--definition PATH]`: runs N executions (default 50,000) and prints
//! executions per second; with `--definition` it also writes the definition (placeholders
//! resolved to the activities' names) for the other interpreter.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};
use stepcraft::local::{Local, Status};
use stepcraft::{Data, activity, sleep, workflow};

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
struct Application {
    applicant: String,
    income: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
struct Score {
    applicant: String,
    points: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
struct Verdict {
    applicant: String,
    approved: bool,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
enum Never {}

#[activity]
async fn score(application: Application) -> Result<Score, Never> {
    Ok(Score { points: application.income / 1000, applicant: application.applicant })
}

#[activity]
async fn decide(score: Score) -> Result<Verdict, Never> {
    Ok(Verdict { approved: score.points > 40, applicant: score.applicant })
}

#[workflow]
async fn loan(application: Application) -> Result<Verdict, Never> {
    let score = score(application.clone()).await?;
    if score.points > 10 {
        let verdict = decide(score.clone()).await?;
        sleep(stepcraft::Duration::from_secs(3600)).await;
        return Ok(verdict);
    }
    Ok(Verdict { applicant: application.applicant, approved: false })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(50_000);
    let local = Local::new().host(score {}).host(decide {});
    if let Some(i) = args.iter().position(|a| a == "--definition") {
        let path = &args[i + 1];
        let machine = local.clone().host(loan {}).state_machine("Loan").expect("the definition");
        let _ = machine;
        let text = <loan as stepcraft::Workflow>::definition_json()
            .replace("\"${Score}\"", "\"score\"")
            .replace("\"${Decide}\"", "\"decide\"");
        std::fs::write(path, text).expect("write the definition");
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let local = local.host(loan {});
    let machine = local.state_machine("Loan").expect("the state machine");
    let executor = local.executor().expect("the executor");
    let input = serde_json::json!({"applicant": "ada", "income": 52_000});
    runtime.block_on(async {
        let first = executor.run(&machine, input.clone()).await;
        assert_eq!(first.status, Status::Succeeded, "{}", first.trace());
        assert_eq!(first.states_entered(), ["Score", "If score.points > 10", "Decide", "Wait 1h", "Succeed"]);
        assert_eq!(first.duration(), Duration::from_secs(3600));
        let started = Instant::now();
        for _ in 0..n {
            let run = executor.run(&machine, input.clone()).await;
            assert_eq!(run.status, Status::Succeeded);
        }
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "stepcraft::local: {n} executions of the 5-state workflow (2 in-process activities, a 1 h Wait) in {seconds:.3} s \
             = {:.0} executions/s ({:.1} µs each), one thread",
            n as f64 / seconds,
            seconds * 1e6 / n as f64
        );
    });
}
