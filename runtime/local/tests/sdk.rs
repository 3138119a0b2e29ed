//! AWS service integrations (`aws-sdk:dynamodb:*`, `sns:publish`, `sqs:sendMessage`,
//! `events:putEvents`, `states:startExecution`): answered by mocks, in the Step Functions Local
//! format too, failing with the names AWS gives the services' errors, so that Retry and Catch on
//! them run as on AWS; a call nothing answers says what to mock.

use serde_json::{Value, json};
use stepcraft_local::{Executor, Mock, MockConfig, Mocks, StateMachine, Status};

fn sm(definition: Value) -> StateMachine {
    StateMachine::from_json(&definition).expect("a valid definition")
}

/// A `PutItem` of an order, retried on throttling and caught when the order exists.
fn save_order() -> StateMachine {
    sm(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "SaveOrder",
        "States": {
            "SaveOrder": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:dynamodb:putItem",
                "Arguments": {
                    "TableName": "orders",
                    "Item": {"id": {"S": "{% $states.input.id %}"}},
                    "ConditionExpression": "attribute_not_exists(id)"
                },
                "Retry": [{"ErrorEquals": ["DynamoDb.ProvisionedThroughputExceededException"], "IntervalSeconds": 1, "MaxAttempts": 2}],
                "Catch": [{
                    "ErrorEquals": ["DynamoDb.ConditionalCheckFailedException"],
                    "Next": "AlreadySaved",
                    "Output": {"duplicate": "{% $states.errorOutput.Error %}"}
                }],
                "Output": {"saved": true},
                "End": true
            },
            "AlreadySaved": {"Type": "Pass", "End": true}
        }
    }))
}

fn config(responses: Value) -> Mocks {
    MockConfig::from_json(json!({
        "StateMachines": {"SaveOrder": {"TestCases": {"Case": {"SaveOrder": "PutItemAnswers"}}}},
        "MockedResponses": {"PutItemAnswers": responses}
    }))
    .unwrap()
    .mocks(None, "Case")
    .unwrap()
}

/// AWS docs, "Learning to use AWS service SDK integrations in Step Functions": "If an AWS SDK
/// integration encounters an error, the resulting `Error` field will be composed of the service
/// name and the error name, separated by a period character: `ServiceName.ErrorName`. Both the
/// service name and error name are in Pascal case." The mocked names are those, and the
/// retrier and the catcher written with them match.
#[tokio::test]
async fn sdk_errors_are_retried_and_caught_by_the_names_aws_gives_them() {
    let mocks = config(json!({
        "0": {"Throw": {"Error": "DynamoDb.ProvisionedThroughputExceededException", "Cause": "slow down"}},
        "1": {"Throw": {"Error": "DynamoDb.ConditionalCheckFailedException", "Cause": "The conditional request failed"}}
    }));
    let r = Executor::new().mocks(mocks).run(&save_order(), json!({"id": "o-1"})).await;
    assert_eq!(r.status, Status::Succeeded, "{}", r.trace());
    assert_eq!(r.output, Some(json!({"duplicate": "DynamoDb.ConditionalCheckFailedException"})));
    assert_eq!(r.states_entered(), ["SaveOrder", "AlreadySaved"]);
    let failed: Vec<_> = r.history.iter().filter(|e| e.event_type == "TaskFailed").collect();
    assert_eq!(failed.len(), 2, "one failure retried, one caught");
    let scheduled = r.history.iter().find(|e| e.event_type == "TaskScheduled").unwrap();
    let details = scheduled.to_json();
    assert_eq!(details["taskScheduledEventDetails"]["resourceType"], json!("aws-sdk:dynamodb"), "{details}");
    assert_eq!(details["taskScheduledEventDetails"]["resource"], json!("putItem"));
    assert_eq!(scheduled.input().unwrap()["Item"], json!({"id": {"S": "o-1"}}));

    // A `Return` is the service's response, the task result itself.
    let ok = config(json!({"0": {"Return": {}}}));
    let r = Executor::new().mocks(ok).run(&save_order(), json!({"id": "o-2"})).await;
    assert_eq!(r.output, Some(json!({"saved": true})));
}

/// The same page: "Some AWS services don't include the `Exception` suffix in their API
/// Reference documentation. Despite that other naming convention, always include the
/// `Exception` suffix ..." and "Both the service name and error name are in Pascal case": a
/// mocked failure no AWS SDK integration can raise (`DynamoDB.` for `DynamoDb.`, no suffix)
/// would make a catcher pass locally that never matches on AWS, so the execution fails saying
/// the name AWS raises.
#[tokio::test]
async fn a_mocked_sdk_error_aws_cannot_raise_fails_the_execution_with_the_right_name() {
    for wrong in [
        "DynamoDB.ConditionalCheckFailedException",
        "DynamoDb.ConditionalCheckFailed",
        "ConditionalCheckFailedException",
    ] {
        let mocks = config(json!({"0": {"Throw": {"Error": wrong, "Cause": "c"}}}));
        let r = Executor::new().mocks(mocks).run(&save_order(), json!({"id": "o-1"})).await;
        assert_eq!(r.status, Status::Failed);
        assert_eq!(r.error.as_deref(), Some("States.Runtime"), "{wrong}");
        let cause = r.cause.unwrap();
        assert!(cause.contains(&format!("The mocked error '{wrong}' of the state 'SaveOrder'")), "{cause}");
        assert!(cause.contains("mock 'DynamoDb.ConditionalCheckFailedException' instead"), "{cause}");
    }
    // `Mock::sdk_fails` writes the name by the rule.
    let mocks = Mocks::new().state("SaveOrder", Mock::sdk_fails("dynamodb", "ConditionalCheckFailed", "exists"));
    let r = Executor::new().mocks(mocks).run(&save_order(), json!({"id": "o-1"})).await;
    assert_eq!(r.output, Some(json!({"duplicate": "DynamoDb.ConditionalCheckFailedException"})));
    assert_eq!(Mock::sdk_error("s3", "BucketAlreadyExists"), "S3.BucketAlreadyExistsException");
}

/// AWS docs, "Handling errors in Step Functions workflows": "`States.TaskFailed` ... A
/// wildcard that matches any known error name" except `States.Timeout`: a catcher on it
/// catches a service's error.
#[tokio::test]
async fn task_failed_catches_service_errors() {
    let m = sm(json!({"StartAt": "Publish", "States": {
        "Publish": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:sns:publish",
            "Parameters": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:gone", "Message": "m"},
            "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}],
            "End": true
        },
        "Caught": {"Type": "Pass", "End": true}
    }}));
    let r = Executor::new()
        .mock_state("Publish", Mock::sdk_fails("sns", "NotFound", "Topic does not exist"))
        .run(&m, json!({}))
        .await;
    assert_eq!(r.output, Some(json!({"Error": "Sns.NotFoundException", "Cause": "Topic does not exist"})));
}

/// The optimized integrations (`sns:publish`, `sqs:sendMessage`, `events:putEvents`) and the
/// SDK ones are answered alike; a mock by resource answers every state that calls it.
#[tokio::test]
async fn optimized_integrations_and_resource_mocks() {
    let m = sm(json!({"QueryLanguage": "JSONata", "StartAt": "Notify", "States": {
        "Notify": {
            "Type": "Task", "Resource": "arn:aws:states:::sns:publish",
            "Arguments": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:orders", "Message": "placed"},
            "Assign": {"messageId": "{% $states.result.MessageId %}"},
            "Next": "Enqueue"
        },
        "Enqueue": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
            "Arguments": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/ship", "MessageBody": "{% $messageId %}"},
            "Next": "Announce"
        },
        "Announce": {
            "Type": "Task", "Resource": "arn:aws:states:::events:putEvents",
            "Arguments": {"Entries": [{"Source": "shop", "DetailType": "Placed", "Detail": "{}"}]},
            "Next": "Again"
        },
        "Again": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
            "Arguments": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/ship", "MessageBody": "again"},
            "Output": {"first": "{% $messageId %}", "failed": "{% $states.input.FailedEntryCount %}", "queued": "{% $states.result.MessageId %}"},
            "End": true
        }
    }}));
    let mocks = Mocks::new()
        .state("Notify", Mock::returns(json!({"MessageId": "sns-1"})))
        .resource(
            "arn:aws:states:::sqs:sendMessage",
            Mock::returns(json!({"MessageId": "q-1"})).then_returns(json!({"MessageId": "q-2"})),
        )
        .resource(
            "arn:aws:states:::events:putEvents",
            Mock::returns(json!({"Entries": [{"EventId": "e-1"}], "FailedEntryCount": 0})),
        );
    let r = Executor::new().mocks(mocks).run(&m, json!({})).await;
    assert_eq!(r.status, Status::Succeeded, "{}", r.trace());
    // The two states calling sqs:sendMessage share the resource's answers, in call order.
    assert_eq!(r.output, Some(json!({"first": "sns-1", "failed": 0, "queued": "q-2"})));
    let types: Vec<_> = r
        .history
        .iter()
        .filter(|e| e.event_type == "TaskScheduled")
        .map(|e| e.to_json()["taskScheduledEventDetails"]["resourceType"].clone())
        .collect();
    assert_eq!(types, [json!("sns"), json!("sqs"), json!("events"), json!("sqs")]);
}

/// The executor calls no AWS service: a service call nothing answers fails the execution
/// (`States.Runtime`, as a Task without an answer does) with a cause naming the state and the
/// resource and showing the mock to write.
#[tokio::test]
async fn an_unmocked_service_call_names_the_resource_and_how_to_mock_it() {
    let r = Executor::new().run(&save_order(), json!({"id": "o-1"})).await;
    assert_eq!(r.error.as_deref(), Some("States.Runtime"));
    let cause = r.cause.unwrap();
    assert!(
        cause.contains(
            "Nothing answers the task: no mock or handler for the state 'SaveOrder' (resource \
             'arn:aws:states:::aws-sdk:dynamodb:putItem')."
        ),
        "{cause}"
    );
    assert!(cause.contains("The local executor calls no AWS service: mock the state"), "{cause}");
    assert!(cause.contains("\"Error\": \"DynamoDb.ConditionalCheckFailedException\""), "{cause}");
    assert!(cause.contains("Mocks::resource"), "{cause}");
}

/// AWS docs, "Start a new AWS Step Functions state machine from a running execution": with the
/// request-response `arn:aws:states:::states:startExecution` "Step Functions ... does not wait
/// for the execution to complete"; `aws-sdk:sfn:startExecution` is the same call through the
/// SDK integration. Both return the new execution's ARN at once; a registered machine is the
/// one started, with the name given.
#[tokio::test]
async fn start_execution_fire_and_forget_through_either_integration() {
    let child = sm(json!({"StartAt": "Out", "States": {"Out": {"Type": "Pass", "Result": {"n": 1}, "End": true}}}))
        .named("child");
    let ex = Executor::new().register(child);
    for resource in ["arn:aws:states:::states:startExecution", "arn:aws:states:::aws-sdk:sfn:startExecution"] {
        let parent = sm(json!({"StartAt": "Start", "States": {"Start": {
            "Type": "Task", "Resource": resource,
            "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:111111111111:stateMachine:child", "Name": "kid", "Input": "{\"a\":1}"},
            "End": true}}}));
        let r = ex.run(&parent, json!({})).await;
        assert_eq!(r.status, Status::Succeeded, "{resource}: {}", r.trace());
        let out = r.output.unwrap();
        assert_eq!(
            out["ExecutionArn"],
            json!("arn:aws:states:us-east-1:111111111111:execution:child:kid"),
            "{resource}"
        );
        assert!(out.get("Output").is_none(), "fire and forget does not wait: {out}");
    }
    // Mocked, the mock answers (`Sfn.ExecutionAlreadyExistsException` for a name in use).
    let parent = sm(json!({"StartAt": "Start", "States": {"Start": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sfn:startExecution",
        "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:111111111111:stateMachine:child", "Name": "kid"},
        "End": true}}}));
    let r = Executor::new()
        .mock_state("Start", Mock::sdk_fails("sfn", "ExecutionAlreadyExists", "kid exists"))
        .run(&parent, json!({}))
        .await;
    assert_eq!(r.error.as_deref(), Some("Sfn.ExecutionAlreadyExistsException"));
}
