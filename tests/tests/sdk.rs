//! A workflow calling an AWS service itself (`stepcraft::aws`): `dynamodb::put_item` with a
//! condition, its `ConditionalCheckFailed` caught by an `Err` arm. The same workflow runs
//! natively under typed mocks, on the local executor under a Step Functions Local mock
//! configuration, and its state machine passes the validators.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Stdio};
use stepcraft::aws::dynamodb::{
    self, AttributeValue, DynamoDbError, GetItem, GetItemOutput, Item, PutItem, WriteOutput,
};
use stepcraft::local::{Local, MockConfig, Status};
use stepcraft::workflow::run_native;
use stepcraft::{Data, Workflow, workflow};
use stepcraft_cli::build::hosted::Hosted;
use stepcraft_cli::build::template::{self, Architecture, MachinePlan, Plan};
use stepcraft_tests::asl;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Data)]
pub struct NewOrder {
    pub order_id: String,
    /// The order as a DynamoDB item.
    pub item: Item,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Data)]
pub struct Saved {
    pub order_id: String,
    pub created: bool,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
pub enum SaveError {
    #[error(transparent)]
    #[stepcraft(transparent)]
    Db(#[from] DynamoDbError),
}

/// Saves an order once: a second save of the same id is no error, it says so.
#[workflow]
pub async fn save_order(order: NewOrder) -> Result<Saved, SaveError> {
    match dynamodb::put_item(PutItem {
        table_name: "orders".to_string(),
        item: order.item.clone(),
        condition_expression: Some("attribute_not_exists(orderId)".to_string()),
        expression_attribute_names: None,
        expression_attribute_values: None,
        return_values: None,
    })
    .await
    {
        Ok(_) => Ok(Saved { order_id: order.order_id, created: true }),
        Err(DynamoDbError::ConditionalCheckFailed(_)) => Ok(Saved { order_id: order.order_id, created: false }),
        Err(error) => Err(error.into()),
    }
}

/// Reads an order, retrying throttled reads: `#[task(retry(..))]` names the call's variants.
#[workflow]
pub async fn read_order(order: NewOrder) -> Result<bool, SaveError> {
    #[task(retry(errors = [ProvisionedThroughputExceeded], interval = "1s", max_attempts = 2))]
    let found = dynamodb::get_item(GetItem {
        table_name: "orders".to_string(),
        key: order.item.clone(),
        consistent_read: Some(true),
        projection_expression: None,
        expression_attribute_names: None,
    })
    .await?;
    Ok(found.item.is_some())
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
pub enum LedgerError {
    #[error("the ledger is busy")]
    Busy,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
pub enum AuditError {
    #[error(transparent)]
    #[stepcraft(transparent)]
    Db(#[from] DynamoDbError),
    #[error(transparent)]
    #[stepcraft(transparent)]
    Ledger(#[from] LedgerError),
}

/// Records that an order was read: a Lambda function.
#[stepcraft::activity]
pub async fn record_read(order: NewOrder) -> Result<bool, LedgerError> {
    Ok(!order.order_id.is_empty())
}

/// A retried service call beside a retried activity: only the activity invokes Lambda.
#[workflow]
pub async fn audit_order(order: NewOrder) -> Result<bool, AuditError> {
    #[task(retry(errors = [ProvisionedThroughputExceeded], max_attempts = 2))]
    let found = dynamodb::get_item(GetItem {
        table_name: "orders".to_string(),
        key: order.item.clone(),
        consistent_read: None,
        projection_expression: None,
        expression_attribute_names: None,
    })
    .await?;
    #[task(retry(errors = [Busy], max_attempts = 2))]
    let recorded = record_read(order.clone()).await?;
    Ok(found.item.is_some() && recorded)
}

fn order() -> NewOrder {
    let item = Item::from([
        ("orderId".to_string(), AttributeValue::S("o-1".into())),
        ("total".to_string(), AttributeValue::N("42".into())),
    ]);
    NewOrder { order_id: "o-1".into(), item }
}

fn definition() -> Value {
    serde_json::from_str(&save_order::definition_json()).unwrap()
}

/// The name of the Task calling `put_item`.
fn put_state(definition: &Value) -> String {
    let states = definition["States"].as_object().unwrap();
    let (name, _) = states
        .iter()
        .find(|(_, s)| s["Resource"] == "arn:aws:states:::aws-sdk:dynamodb:putItem")
        .expect("a Task of the SDK integration");
    name.clone()
}

#[test]
fn the_task_is_the_sdk_integration_with_the_request_as_arguments_and_a_catch_by_aws_name() {
    let definition = definition();
    let name = put_state(&definition);
    let task = &definition["States"][&name];
    let arguments = task["Arguments"].as_object().unwrap();
    assert_eq!(arguments["TableName"], json!("orders"));
    assert_eq!(arguments["ConditionExpression"], json!("attribute_not_exists(orderId)"));
    assert!(arguments["Item"].as_str().is_some_and(|s| s.starts_with("{%")), "{task}");
    // `None`s are left out, as serde leaves them out natively.
    assert_eq!(arguments.len(), 3, "{task}");
    assert!(task.get("Retry").is_none(), "no Lambda retrier on a service call: {task}");
    let catches: Vec<&Value> = task["Catch"].as_array().unwrap().iter().map(|c| &c["ErrorEquals"]).collect();
    assert_eq!(catches[0], &json!(["DynamoDb.ConditionalCheckFailedException"]), "{task}");
    assert_eq!(catches.last().unwrap(), &&json!(["States.ALL"]), "{task}");
}

#[tokio::test]
async fn natively_under_typed_mocks() {
    let saved = stepcraft::aws::mock::<dynamodb::put_item>(|request: PutItem| {
        assert_eq!(request.table_name, "orders");
        assert_eq!(request.item["orderId"], AttributeValue::S("o-1".into()));
        Ok(WriteOutput::default())
    })
    .run(run_native::<save_order>(order()))
    .await;
    assert_eq!(saved, Ok(Saved { order_id: "o-1".into(), created: true }));

    let exists = stepcraft::aws::mock::<dynamodb::put_item>(|_| {
        Err(DynamoDbError::ConditionalCheckFailed("The conditional request failed".into()))
    })
    .run(run_native::<save_order>(order()))
    .await;
    assert_eq!(exists, Ok(Saved { order_id: "o-1".into(), created: false }));

    // Any other error ends the run with AWS's name for it, as the execution does.
    let missing = stepcraft::aws::Mocks::new()
        .responses::<dynamodb::put_item>(&json!({"0": {"Throw": {
            "Error": "DynamoDb.ResourceNotFoundException", "Cause": "Requested resource not found"
        }}}))
        .unwrap()
        .run(run_native::<save_order>(order()))
        .await
        .unwrap_err();
    assert_eq!(missing.error, "DynamoDb.ResourceNotFoundException");
    assert_eq!(missing.cause.as_deref(), Some("Requested resource not found"));
}

/// A retried service call: its retrier matches the name AWS gives the error, natively and in
/// the state machine, and the result's fields are read by their JSON names (`Item`).
#[tokio::test(start_paused = true)]
async fn a_retried_read_natively_and_on_the_local_executor() {
    let definition: Value = serde_json::from_str(&read_order::definition_json()).unwrap();
    let (name, task) = definition["States"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, s)| s["Resource"] == "arn:aws:states:::aws-sdk:dynamodb:getItem")
        .unwrap();
    assert_eq!(task["Retry"][0]["ErrorEquals"], json!(["DynamoDb.ProvisionedThroughputExceededException"]), "{task}");
    assert_eq!(task["Arguments"]["ConsistentRead"], json!(true));

    let calls = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counted = calls.clone();
    let found = stepcraft::aws::mock::<dynamodb::get_item>(move |_| {
        match counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
            0 => Err(DynamoDbError::ProvisionedThroughputExceeded("slow down".into())),
            _ => Ok(GetItemOutput { item: Some(order().item) }),
        }
    })
    .run(run_native::<read_order>(order()))
    .await;
    assert_eq!(found, Ok(true));
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);

    let config = MockConfig::from_json(json!({
        "StateMachines": {"ReadOrder": {"TestCases": {"Throttled": {name: "Throttled"}}}},
        "MockedResponses": {"Throttled": {
            "0": {"Throw": {"Error": "DynamoDb.ProvisionedThroughputExceededException", "Cause": "slow down"}},
            "1": {"Return": {}}
        }}
    }))
    .unwrap();
    let local = Local::new().mock_config(config, "Throttled").run::<read_order>(&order()).await;
    assert_eq!(local.status, Status::Succeeded, "{}", local.trace());
    assert_eq!(local.output, Some(json!(false)), "no `Item`: nothing found");
}

/// `#[task(retry(..))]` on a service call gives it the user's rules alone: it invokes no
/// Lambda function, so Lambda's service errors cannot reach it; on an activity the rules are
/// followed by the Lambda service retrier AWS recommends.
#[test]
fn a_retried_service_call_has_no_lambda_retrier_and_a_retried_activity_keeps_it() {
    let definition: Value = serde_json::from_str(&audit_order::definition_json()).unwrap();
    let retriers = |resource: &str| -> Vec<Value> {
        let (_, task) = definition["States"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(_, s)| s["Resource"] == resource)
            .unwrap_or_else(|| panic!("a Task of {resource}: {definition}"));
        task["Retry"].as_array().unwrap().iter().map(|r| r["ErrorEquals"].clone()).collect()
    };
    let lambda = json!([
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.TooManyRequestsException"
    ]);
    let service = retriers("arn:aws:states:::aws-sdk:dynamodb:getItem");
    assert_eq!(service, [json!(["DynamoDb.ProvisionedThroughputExceededException"])]);
    let activity = retriers("arn:aws:states:::lambda:invoke");
    assert_eq!(activity, [json!(["Busy"]), lambda]);
}

/// The state machine, on the local executor, under a Step Functions Local mock configuration:
/// the same three outcomes.
#[tokio::test]
async fn on_the_local_executor_under_the_mock_format() {
    let state = put_state(&definition());
    let config = MockConfig::from_json(json!({
        "StateMachines": {"SaveOrder": {"TestCases": {
            "New": {&state: "Saved"},
            "Exists": {&state: "Exists"},
            "NoTable": {&state: "NoTable"}
        }}},
        "MockedResponses": {
            "Saved": {"0": {"Return": {}}},
            "Exists": {"0": {"Throw": {"Error": "DynamoDb.ConditionalCheckFailedException", "Cause": "The conditional request failed"}}},
            "NoTable": {"0": {"Throw": {"Error": "DynamoDb.ResourceNotFoundException", "Cause": "Requested resource not found"}}}
        }
    }))
    .unwrap();
    let input = order();
    let run = |case: &'static str| {
        let local = Local::new().mock_config(config.clone(), case);
        let input = &input;
        async move { local.run::<save_order>(input).await }
    };
    let new = run("New").await;
    assert_eq!(new.status, Status::Succeeded, "{}", new.trace());
    assert_eq!(new.output, Some(json!({"order_id": "o-1", "created": true})));
    let exists = run("Exists").await;
    assert_eq!(exists.output, Some(json!({"order_id": "o-1", "created": false})), "{}", exists.trace());
    let missing = run("NoTable").await;
    assert_eq!(missing.status, Status::Failed, "{}", missing.trace());
    assert_eq!(missing.error.as_deref(), Some("DynamoDb.ResourceNotFoundException"));
    assert_eq!(missing.cause.as_deref(), Some("Requested resource not found"), "as the native run ends");
    // What the executor sent is what serde sends natively.
    let sent = new.history.iter().find(|e| e.event_type == "TaskScheduled").unwrap().input().unwrap();
    assert_eq!(
        sent,
        serde_json::to_value(PutItem {
            table_name: "orders".into(),
            item: order().item,
            condition_expression: Some("attribute_not_exists(orderId)".into()),
            expression_attribute_names: None,
            expression_attribute_values: None,
            return_values: None,
        })
        .unwrap()
    );
}

/// What `stepcraft::main!(save_order)` checks: that the binary hosts every function the
/// workflow calls. A service call is no Lambda function, and every binary may make it.
#[test]
fn a_binary_hosting_the_workflow_needs_nothing_for_its_service_calls() {
    struct ThisBinary;
    save_order::__stepcraft_calls::<ThisBinary>();
    fn hosts<M: stepcraft::__private::Hosts<dynamodb::put_item>>() {}
    hosts::<ThisBinary>();
}

#[test]
fn the_state_machine_passes_the_validators() {
    let dir = std::env::temp_dir().join(format!("stepcraft-sdk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("SaveOrder.asl.json");
    std::fs::write(&file, save_order::definition_json()).unwrap();
    let verdicts = asl::validate(&[&file]);
    assert!(!verdicts.is_empty());
    for verdict in &verdicts {
        assert!(verdict.ok, "{verdict}");
    }
}

/// The deployment template of the workflow: its role may `dynamodb:PutItem` on the `orders`
/// table and on nothing else of DynamoDB, and cfn-lint accepts the template.
#[test]
fn the_template_grants_put_item_on_the_table_and_passes_cfn_lint() {
    let hosted: Hosted = serde_json::from_value(json!({
        "functions": [],
        "workflows": [{"name": "SaveOrder", "placeholder": "SaveOrderStateMachine", "type": "STANDARD"}]
    }))
    .unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/stepcraft-tests/bundles/sdk");
    std::fs::create_dir_all(dir.join("statemachines")).unwrap();
    let plan = Plan {
        package: "shop".into(),
        architecture: Architecture::Arm64,
        functions: Vec::new(),
        machines: hosted
            .workflows
            .into_iter()
            .map(|workflow| {
                let uri = format!("statemachines/{}.asl.json", workflow.name);
                std::fs::write(dir.join(&uri), save_order::definition_json()).unwrap();
                MachinePlan { definition_uri: uri, workflow, definition: definition() }
            })
            .collect(),
    };
    let (yaml, wirings) = template::template(&plan).unwrap();
    let grants: Vec<(&str, &str)> =
        wirings["SaveOrder"].services.iter().map(|g| (g.action, g.resource.as_str())).collect();
    assert_eq!(
        grants,
        [("dynamodb:PutItem", "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/orders")]
    );
    let text = yaml.to_document();
    assert_eq!(text.matches("dynamodb:").count(), 2, "the action and the table's ARN only: {text}");
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
