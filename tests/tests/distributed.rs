//! `#[map(distributed, ..)]` end to end: a `for` loop whose items are child executions of an
//! Express Map Run (`execution = "express"`), run natively and on the local executor (which
//! checks the item processor as an Express machine and keeps each child's record,
//! `Executor::map_runs`) with the same outcome, and deployed by a template that grants the
//! Distributed Map what AWS documents (checked with cfn-lint).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Stdio};
use stepcraft::local::{Local, Status};
use stepcraft::workflow::run_native;
use stepcraft::{Data, Workflow, activity, workflow};
use stepcraft_cli::build::hosted::Hosted;
use stepcraft_cli::build::template::{self, Architecture, MachinePlan, Plan};

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
pub struct Parcel {
    pub sku: String,
    pub grams: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
pub struct Shipment {
    pub shipment_id: String,
    pub parcels: Vec<Parcel>,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
pub enum WeighError {
    #[error("parcel `{0}` is empty")]
    Empty(String),
}

/// Weighs one parcel; an empty one is an error.
#[activity]
pub async fn weigh(parcel: Parcel) -> Result<u64, WeighError> {
    if parcel.grams == 0 { Err(WeighError::Empty(parcel.sku)) } else { Ok(parcel.grams) }
}

/// Weighs every parcel, each in a child execution of its own.
#[workflow]
pub async fn weigh_all(shipment: Shipment) -> Result<Vec<u64>, WeighError> {
    let mut weights = Vec::new();
    #[map(distributed, execution = "express", label = "Weigh", max_concurrency = 2)]
    for parcel in shipment.parcels.iter() {
        let grams = weigh(parcel.clone()).await?;
        weights.push(grams);
    }
    Ok(weights)
}

fn shipment(grams: &[u64]) -> Shipment {
    let parcels = grams.iter().enumerate().map(|(i, g)| Parcel { sku: format!("P-{i}"), grams: *g }).collect();
    Shipment { shipment_id: "s-1".into(), parcels }
}

fn definition() -> Value {
    serde_json::from_str(&weigh_all::definition_json()).unwrap()
}

/// The Map state of the definition.
fn map_state(definition: &Value) -> &Value {
    definition["States"].as_object().unwrap().values().find(|s| s["Type"] == "Map").expect("a Map state")
}

#[test]
fn the_loop_is_a_distributed_map_of_express_children_with_its_label_and_concurrency() {
    let definition = definition();
    let map = map_state(&definition);
    assert_eq!(map["ItemProcessor"]["ProcessorConfig"], json!({"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}));
    assert_eq!(map["Label"], json!("Weigh"));
    assert_eq!(map["MaxConcurrency"], json!(2));
    // The children read their item only: nothing of the parent's input, no variable of it.
    let processor = map["ItemProcessor"]["States"].to_string();
    assert!(!processor.contains("Execution.Input"), "{processor}");
}

/// Natively and on the local executor: the same weights in item order, or the same error and
/// cause (the child's, passed on by the Map Run); each parcel is a child execution of its own,
/// its input the item.
#[tokio::test(start_paused = true)]
async fn native_and_local_runs_agree_and_each_item_is_a_child_execution() {
    let local = Local::new().host(weigh_all {}).host(weigh {});
    for grams in [&[120, 80, 300][..], &[], &[120, 0, 300]] {
        let input = shipment(grams);
        let native = run_native::<weigh_all>(input.clone()).await;
        let run = local.run::<weigh_all>(&input).await;
        match &native {
            Ok(weights) => {
                assert_eq!(run.status, Status::Succeeded, "{grams:?}: {}", run.trace());
                assert_eq!(run.output, Some(json!(weights)), "{grams:?}");
            }
            Err(failure) => {
                assert_eq!(run.status, Status::Failed, "{grams:?}: {}", run.trace());
                assert_eq!(failure.error, "Empty");
                assert_eq!(run.error.as_ref(), Some(&failure.error), "{grams:?}");
                let cause = |c: Option<&String>| c.map(|c| serde_json::from_str::<Value>(c).unwrap());
                assert_eq!(cause(run.cause.as_ref()), cause(failure.cause.as_ref()), "{grams:?}");
                assert_eq!(
                    cause(run.cause.as_ref()),
                    Some(json!({"errorType": "Empty", "errorMessage": "parcel `P-1` is empty"}))
                );
            }
        }
    }

    let executor = local.executor().unwrap();
    let machine = local.state_machine(weigh_all::NAME).unwrap();
    let input = serde_json::to_value(shipment(&[120, 80, 300])).unwrap();
    let run = executor.run(&machine, input.clone()).await;
    assert_eq!(run.status, Status::Succeeded, "{}", run.trace());
    let runs = executor.map_runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].label.as_deref(), Some("Weigh"));
    let children = &runs[0].children;
    assert_eq!(children.len(), 3);
    for (child, parcel) in children.iter().zip(input["parcels"].as_array().unwrap()) {
        assert_eq!(child.status, "SUCCEEDED");
        assert_eq!(&child.input, parcel, "a child's input is its item");
        assert_eq!(child.output, Some(parcel["grams"].clone()));
        assert!(child.arn.contains(&format!(":execution:{}/Weigh:", weigh_all::NAME)), "{}", child.arn);
    }
}

/// The deployment template: the machine's role may start, describe and stop its own children
/// (AWS's "IAM policies for using Distributed Map states"), and cfn-lint accepts it.
#[test]
fn the_template_grants_the_distributed_map_its_children_and_passes_cfn_lint() {
    let hosted: Hosted = serde_json::from_value(json!({
        "functions": [],
        "workflows": [{"name": "WeighAll", "placeholder": "WeighAllStateMachine", "type": "STANDARD"}]
    }))
    .unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/stepcraft-tests/bundles/distributed");
    std::fs::create_dir_all(dir.join("statemachines")).unwrap();
    // The activity's placeholder is answered by a function of the bundle in a real build;
    // here the definition calls none, so that the template is the state machine's alone.
    let text = weigh_all::definition_json().replace("\"${Weigh}\"", "\"weigh\"");
    let definition: Value = serde_json::from_str(&text).unwrap();
    let plan = Plan {
        package: "shipping".into(),
        architecture: Architecture::Arm64,
        functions: Vec::new(),
        machines: hosted
            .workflows
            .into_iter()
            .map(|workflow| {
                let uri = format!("statemachines/{}.asl.json", workflow.name);
                std::fs::write(dir.join(&uri), &text).unwrap();
                MachinePlan { definition_uri: uri, workflow, definition: definition.clone() }
            })
            .collect(),
    };
    let (yaml, wirings) = template::template(&plan).unwrap();
    assert!(wirings["WeighAll"].distributed_map);
    let text = yaml.to_document();
    assert!(text.contains("WeighAllStateMachineDistributedMapPolicy:"), "{text}");
    assert!(text.contains(":execution:${WeighAllStateMachine.Name}/*"), "{text}");
    std::fs::write(dir.join("template.yaml"), &text).unwrap();
    cfn_lint(&dir.join("template.yaml"));
}

/// cfn-lint of `tests/deploy-tools`, installed by its script.
fn cfn_lint(template: &Path) {
    let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy-tools");
    let install = Command::new("bash")
        .arg(tools.join("install.sh"))
        .current_dir(&tools)
        .stdin(Stdio::null())
        .output()
        .expect("bash runs");
    assert!(install.status.success(), "deploy-tools/install.sh failed: {}", String::from_utf8_lossy(&install.stderr));
    let output = Command::new(tools.join(".venv/bin/cfn-lint"))
        .args(["--format", "parseable", "--"])
        .arg(template)
        .current_dir(template.parent().unwrap())
        .output()
        .expect("cfn-lint runs");
    let report = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success() && report.trim().is_empty(), "cfn-lint: {report}");
}
