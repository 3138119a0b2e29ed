//! Distributed Map against AWS's documentation: `ItemReader` (S3 `listObjectsV2`,
//! `getObject` of JSON, JSON Lines, CSV and S3 inventory manifests, `MaxItems`),
//! `ItemBatcher`, `ResultWriter`, tolerated failures, `Label` and the child executions,
//! on the in-memory object store. Each test quotes the section it follows.

use std::io::Write;

use serde_json::{Value, json};
use stepcraft_local::{Executor, MemoryStore, Mock, StateMachine, Status};

fn sm(def: Value) -> StateMachine {
    StateMachine::from_json(&def).unwrap_or_else(|e| panic!("invalid definition: {e}"))
}

/// A machine of one Distributed Map state `M` with these extra fields, whose children run
/// `processor` (default: a Pass state echoing its input).
fn dmap(fields: Value, processor: Option<Value>) -> Value {
    let mut m = json!({
        "Type": "Map",
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "P",
            "States": processor.unwrap_or(json!({"P": {"Type": "Pass", "End": true}}))
        },
        "End": true
    });
    m.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
    json!({"StartAt": "M", "States": {"M": m}})
}

fn get_object(input_type: &str, key: &str) -> Value {
    json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": input_type},
           "Parameters": {"Bucket": "data", "Key": key}})
}

async fn run(store: &MemoryStore, def: Value, input: Value) -> stepcraft_local::ExecutionResult {
    Executor::new().object_store(store.clone()).run(&sm(def), input).await
}

// AWS docs, "ItemReader (Map)", Amazon S3 objects: "specify the Bucket and Prefix ... the
// ListObjectsV2 call returns ... Etag, Key, LastModified, Size and StorageClass" of each
// object, and the child workflow executions receive one object each.
#[tokio::test]
async fn list_objects_v2_gives_each_object_under_the_prefix_with_its_metadata() {
    let store = MemoryStore::new();
    store.put("data", "img/b.jpg", "bb").put("data", "img/a.jpg", "a").put("data", "other/c.jpg", "c");
    let def = dmap(
        json!({"ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2",
                              "Parameters": {"Bucket": "data", "Prefix": "img/"}}}),
        None,
    );
    let r = run(&store, def, json!({})).await;
    assert_eq!(r.status, Status::Succeeded, "{:?}", r.cause);
    let out = r.output.unwrap();
    let keys: Vec<&str> = out.as_array().unwrap().iter().map(|o| o["Key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["img/a.jpg", "img/b.jpg"], "in key order, only under the prefix");
    let a = &out[0];
    assert_eq!(a["Size"], json!(1));
    assert_eq!(a["StorageClass"], json!("STANDARD"));
    assert_eq!(a["Etag"], json!("\"0cc175b9c0f1b6a831c399e269772661\""), "the quoted MD5 of \"a\"");
    assert!(a["LastModified"].as_i64().unwrap() >= 1_704_067_200, "seconds since the epoch");
}

// AWS docs, "ItemReader (Map)", JSON file: "The JSON file must contain an array ... each
// item of the array is passed to a child workflow execution"; ReaderConfig MaxItems:
// "Limits the number of data items passed to the Map state".
#[tokio::test]
async fn a_json_array_object_gives_its_elements_up_to_max_items() {
    let store = MemoryStore::new();
    store.put("data", "in.json", r#"[{"n": 1}, {"n": 2}, {"n": 3}, {"n": 4}]"#);
    let mut reader = get_object("JSON", "in.json");
    reader["ReaderConfig"]["MaxItems"] = json!(3);
    let r = run(&store, dmap(json!({"ItemReader": reader}), None), json!({})).await;
    assert_eq!(r.output, Some(json!([{"n": 1}, {"n": 2}, {"n": 3}])));

    store.put("data", "obj.json", r#"{"not": "an array"}"#);
    let r = run(&store, dmap(json!({"ItemReader": get_object("JSON", "obj.json")}), None), json!({})).await;
    assert_eq!(r.error.as_deref(), Some("States.ItemReaderFailed"));
    assert!(r.cause.unwrap().contains("does not hold a JSON array"));
}

// AWS docs, "ItemReader (Map)", ReaderConfig: "MaxItemsPath ... a reference path to a
// value in the state input"; JSON Lines: "each line is a JSON value ... one item".
#[tokio::test]
async fn json_lines_are_one_item_a_line_and_max_items_path_reads_the_input() {
    let store = MemoryStore::new();
    store.put("data", "in.jsonl", "{\"a\":1}\n\n[2]\n\"three\"\n4\n");
    let mut reader = get_object("JSONL", "in.jsonl");
    reader["ReaderConfig"]["MaxItemsPath"] = json!("$.limit");
    let r = run(&store, dmap(json!({"ItemReader": reader}), None), json!({"limit": 3})).await;
    assert_eq!(r.output, Some(json!([{"a": 1}, [2], "three"])), "blank lines are no items");

    store.put("data", "bad.jsonl", "{\"a\":1}\n{oops\n");
    let r = run(&store, dmap(json!({"ItemReader": get_object("JSONL", "bad.jsonl")}), None), json!({})).await;
    assert_eq!(r.error.as_deref(), Some("States.ItemReaderFailed"));
    assert!(r.cause.unwrap().contains("Line 2"));
}

// AWS docs, "ItemReader (Map)", CSV file: "CSVHeaderLocation: FIRST_ROW – the first line of
// the file is the header ... GIVEN – specify the header in CSVHeaders"; each row is an
// item whose fields are strings keyed by the column names.
#[tokio::test]
async fn csv_rows_are_objects_of_strings_under_first_row_or_given_headers() {
    let store = MemoryStore::new();
    store.put("data", "r.csv", "movieId,title,rating\r\n1,\"Heat, 1995\",4.5\n2,\"Say \"\"hi\"\"\",3\n");
    let mut reader = get_object("CSV", "r.csv");
    reader["ReaderConfig"]["CSVHeaderLocation"] = json!("FIRST_ROW");
    let r = run(&store, dmap(json!({"ItemReader": reader}), None), json!({})).await;
    assert_eq!(
        r.output,
        Some(json!([
            {"movieId": "1", "title": "Heat, 1995", "rating": "4.5"},
            {"movieId": "2", "title": "Say \"hi\"", "rating": "3"}
        ]))
    );

    store.put("data", "g.csv", "1|x\n2|y\n");
    let mut reader = get_object("CSV", "g.csv");
    reader["ReaderConfig"]["CSVHeaderLocation"] = json!("GIVEN");
    reader["ReaderConfig"]["CSVHeaders"] = json!(["id", "v"]);
    reader["ReaderConfig"]["CSVDelimiter"] = json!("PIPE");
    let r = run(&store, dmap(json!({"ItemReader": reader}), None), json!({})).await;
    assert_eq!(r.output, Some(json!([{"id": "1", "v": "x"}, {"id": "2", "v": "y"}])), "the first row is data");
}

fn gzip(text: &str) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap()
}

// AWS docs, "ItemReader (Map)", S3 inventory manifest: "Step Functions reads the manifest
// file (manifest.json) ... and the inventory files it lists", whose columns are named by
// the manifest's fileSchema; the inventory files are in the destination bucket, gzipped.
#[tokio::test]
async fn an_inventory_manifest_gives_the_rows_of_its_gzipped_csv_files() {
    let store = MemoryStore::new();
    let manifest = json!({
        "sourceBucket": "photos",
        "destinationBucket": "arn:aws:s3:::inventory",
        "fileFormat": "CSV",
        "fileSchema": "Bucket, Key, Size, LastModifiedDate",
        "files": [{"key": "photos/daily/data/1.csv.gz", "size": 1}, {"key": "photos/daily/data/2.csv.gz", "size": 1}]
    });
    store.put("inventory", "photos/daily/manifest.json", manifest.to_string());
    store.put(
        "inventory",
        "photos/daily/data/1.csv.gz",
        gzip("\"photos\",\"a.jpg\",\"10\",\"2024-01-01T00:00:00.000Z\"\n"),
    );
    store.put(
        "inventory",
        "photos/daily/data/2.csv.gz",
        gzip("\"photos\",\"b.jpg\",\"20\",\"2024-01-02T00:00:00.000Z\"\n"),
    );
    let reader = json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "MANIFEST"},
                        "Parameters": {"Bucket": "inventory", "Key": "photos/daily/manifest.json"}});
    let r = run(&store, dmap(json!({"ItemReader": reader}), None), json!({})).await;
    assert_eq!(
        r.output,
        Some(json!([
            {"Bucket": "photos", "Key": "a.jpg", "Size": "10", "LastModifiedDate": "2024-01-01T00:00:00.000Z"},
            {"Bucket": "photos", "Key": "b.jpg", "Size": "20", "LastModifiedDate": "2024-01-02T00:00:00.000Z"}
        ]))
    );
}

// AWS docs, "ItemReader (Map)": "In JSONata-based workflows, Parameters is replaced with
// Arguments" — the reader's arguments and MaxItems are JSONata.
#[tokio::test]
async fn jsonata_readers_take_arguments_and_max_items_expressions() {
    let store = MemoryStore::new();
    store.put("data", "in.json", "[1, 2, 3, 4, 5]");
    let mut def = dmap(
        json!({"ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                              "ReaderConfig": {"InputType": "JSON", "MaxItems": "{% $states.input.n %}"},
                              "Arguments": {"Bucket": "data", "Key": "{% $states.input.key %}"}}}),
        None,
    );
    def["QueryLanguage"] = json!("JSONata");
    let r = run(&store, def, json!({"key": "in.json", "n": 2})).await;
    assert_eq!(r.output, Some(json!([1, 2])), "{:?}", r.cause);
}

// AWS docs, "ItemBatcher (Map)": "The ItemBatcher field is a JSON object, which specifies
// to process a group of items in a single child workflow execution"; each child receives
// `{"BatchInput": …, "Items": [...]}`, BatchInput being "fixed JSON input to include in
// each batch".
#[tokio::test]
async fn batches_of_max_items_per_batch_carry_the_batch_input() {
    let store = MemoryStore::new();
    let def = dmap(
        json!({"ItemsPath": "$.xs",
               "ItemSelector": {"x.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index"},
               "ItemBatcher": {"MaxItemsPerBatchPath": "$.per", "BatchInput": {"run.$": "$.run"}}}),
        None,
    );
    let r = run(&store, def, json!({"xs": ["a", "b", "c", "d", "e"], "per": 2, "run": 7})).await;
    assert_eq!(
        r.output,
        Some(json!([
            {"BatchInput": {"run": 7}, "Items": [{"x": "a", "i": 0}, {"x": "b", "i": 1}]},
            {"BatchInput": {"run": 7}, "Items": [{"x": "c", "i": 2}, {"x": "d", "i": 3}]},
            {"BatchInput": {"run": 7}, "Items": [{"x": "e", "i": 4}]}
        ])),
        "{:?}",
        r.cause
    );
}

// AWS docs, "ItemBatcher (Map)", MaxInputBytesPerBatch: "Specifies the maximum size of a
// batch in bytes, up to 256 KiB"; with MaxItemsPerBatch too, a batch holds fewer items
// when the size limit is reached first.
#[tokio::test]
async fn max_input_bytes_per_batch_cuts_batches_by_their_size() {
    let store = MemoryStore::new();
    let items: Vec<Value> = (0..6).map(|i| json!("x".repeat(40 + i))).collect();
    let def = dmap(json!({"ItemBatcher": {"MaxItemsPerBatch": 4, "MaxInputBytesPerBatch": 110}}), None);
    let r = run(&store, def, json!(items)).await;
    let out = r.output.unwrap();
    let sizes: Vec<usize> = out.as_array().unwrap().iter().map(|b| b["Items"].as_array().unwrap().len()).collect();
    assert_eq!(sizes, [2, 2, 2]);
    for b in out.as_array().unwrap() {
        assert!(b.to_string().len() <= 110, "{b}");
    }
    let e =
        StateMachine::from_json(&dmap(json!({"ItemBatcher": {"MaxInputBytesPerBatch": 262_145}}), None)).unwrap_err();
    assert!(e.to_string().contains("MaxInputBytesPerBatch"), "{e}");
}

/// A processor that fails for items whose `fail` is true.
fn failing_processor() -> Value {
    json!({
        "P": {"Type": "Choice", "Choices": [{"Variable": "$.fail", "BooleanEquals": true, "Next": "Boom"}], "Default": "Ok"},
        "Boom": {"Type": "Fail", "Error": "ItemBroke", "Cause": "bad item"},
        "Ok": {"Type": "Pass", "End": true}
    })
}

fn items(failing: &[usize], n: usize) -> Value {
    json!((0..n).map(|i| json!({"i": i, "fail": failing.contains(&i)})).collect::<Vec<_>>())
}

// AWS docs, UpdateMapRun: "toleratedFailureCount: The maximum number of failed items
// before the Map Run fails"; "toleratedFailurePercentage: The maximum percentage of failed
// items before the Map Run fails"; past it the Map fails with
// States.ExceedToleratedFailureThreshold.
#[tokio::test]
async fn tolerated_failures_by_count_and_percentage_and_their_paths() {
    let store = MemoryStore::new();
    let def = dmap(json!({"ToleratedFailureCountPath": "$.max"}), Some(failing_processor()));
    let r = run(&store, def.clone(), json!({"max": 2})).await;
    assert_eq!(r.status, Status::Failed, "ItemsPath is $: the input object is not an array");
    let def = dmap(
        json!({"ItemsPath": "$.xs", "ToleratedFailureCountPath": "$.max", "MaxConcurrency": 1}),
        Some(failing_processor()),
    );
    let r = run(&store, def.clone(), json!({"max": 2, "xs": items(&[1, 3], 5)})).await;
    assert_eq!(r.status, Status::Succeeded, "{:?}", r.cause);
    assert_eq!(r.output.unwrap()[1], json!({"Error": "ItemBroke", "Cause": "bad item"}));
    let r = run(&store, def, json!({"max": 1, "xs": items(&[1, 3], 5)})).await;
    assert_eq!(r.error.as_deref(), Some("States.ExceedToleratedFailureThreshold"));

    let def = dmap(json!({"ItemsPath": "$.xs", "ToleratedFailurePercentagePath": "$.pct"}), Some(failing_processor()));
    let r = run(&store, def.clone(), json!({"pct": 40, "xs": items(&[0, 4], 5)})).await;
    assert_eq!(r.status, Status::Succeeded, "2 of 5 is 40%");
    let r = run(&store, def, json!({"pct": 39.9, "xs": items(&[0, 4], 5)})).await;
    assert_eq!(r.error.as_deref(), Some("States.ExceedToleratedFailureThreshold"));
}

// AWS docs, "ItemBatcher (Map)" and UpdateMapRun: the thresholds count items, so a failed
// batch counts each item it holds.
#[tokio::test]
async fn a_failed_batch_counts_all_its_items_against_the_threshold() {
    let store = MemoryStore::new();
    let processor = json!({
        "P": {"Type": "Choice", "Choices": [{"Variable": "$.BatchInput.bad", "NumericEquals": 0, "Next": "Boom"}], "Default": "Ok"},
        "Boom": {"Type": "Fail", "Error": "BatchBroke"},
        "Ok": {"Type": "Pass", "End": true}
    });
    // Four items in batches of two: one failed batch is 2 of 4 items, 50%.
    let def = |pct: f64| {
        dmap(
            json!({"ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"bad": 0}}, "ToleratedFailurePercentage": pct}),
            Some(processor.clone()),
        )
    };
    let r = run(&store, def(100.0), json!([1, 2, 3, 4])).await;
    assert_eq!(r.status, Status::Succeeded);
    let r = run(&store, def(49.0), json!([1, 2, 3, 4])).await;
    assert_eq!(r.error.as_deref(), Some("States.ExceedToleratedFailureThreshold"));
}

// AWS docs, "ResultWriter (Map)", Exporting to Amazon S3: Step Functions writes
// "manifest.json" and the result files ("SUCCEEDED_0.json", "FAILED_0.json", …) under
// "Prefix/<map run id>/", and the Map's output is "MapRunArn" with "ResultWriterDetails"
// naming the manifest's Bucket and Key.
#[tokio::test]
async fn a_result_writer_writes_the_manifest_and_result_files_and_returns_where() {
    let store = MemoryStore::new();
    store.bucket("results");
    let def = dmap(
        json!({"ItemsPath": "$.xs", "ToleratedFailureCount": 5, "Label": "Rows",
               "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                                "Parameters": {"Bucket": "results", "Prefix": "runs"}}}),
        Some(failing_processor()),
    );
    let ex = Executor::new().object_store(store.clone());
    let r = ex.run(&sm(def).named("Orders"), json!({"xs": items(&[1], 3)})).await;
    assert_eq!(r.status, Status::Succeeded, "{:?}", r.cause);
    let out = r.output.unwrap();
    let arn = out["MapRunArn"].as_str().unwrap();
    assert!(arn.starts_with("arn:aws:states:us-east-1:111111111111:mapRun:Orders/Rows:"), "{arn}");
    let id = arn.rsplit(':').next().unwrap();
    let key = out["ResultWriterDetails"]["Key"].as_str().unwrap();
    assert_eq!(out["ResultWriterDetails"]["Bucket"], json!("results"));
    assert_eq!(key, format!("runs/{id}/manifest.json"));

    let manifest: Value = serde_json::from_str(&store.get_string("results", key).unwrap()).unwrap();
    assert_eq!(manifest["DestinationBucket"], json!("results"));
    assert_eq!(manifest["MapRunArn"], json!(arn));
    assert_eq!(manifest["ResultFiles"]["PENDING"], json!([]));
    let ok_key = format!("runs/{id}/SUCCEEDED_0.json");
    let ok_text = store.get_string("results", &ok_key).unwrap();
    assert_eq!(manifest["ResultFiles"]["SUCCEEDED"], json!([{"Key": ok_key, "Size": ok_text.len()}]));
    let ok: Value = serde_json::from_str(&ok_text).unwrap();
    assert_eq!(ok.as_array().unwrap().len(), 2);
    let first = &ok[0];
    assert_eq!(first["Status"], json!("SUCCEEDED"));
    assert_eq!(first["Input"], json!("{\"i\":0,\"fail\":false}"), "inputs and outputs as JSON text");
    assert_eq!(first["Output"], json!("{\"i\":0,\"fail\":false}"));
    assert!(first["ExecutionArn"].as_str().unwrap().contains(":execution:Orders/Rows:"));
    assert!(first["StartDate"].as_str().unwrap().ends_with('Z'));

    let failed: Value =
        serde_json::from_str(&store.get_string("results", &format!("runs/{id}/FAILED_0.json")).unwrap()).unwrap();
    assert_eq!(failed[0]["Status"], json!("FAILED"));
    assert_eq!(failed[0]["Error"], json!("ItemBroke"));
    assert_eq!(failed[0]["Cause"], json!("bad item"));
    assert_eq!(manifest["ResultFiles"]["FAILED"].as_array().unwrap().len(), 1);

    // The children are executions of their own, with their own history.
    let runs = ex.map_runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].map_run_arn, arn);
    assert_eq!(runs[0].label.as_deref(), Some("Rows"));
    let child = &runs[0].children[0];
    let types: Vec<&str> = child.history.iter().map(|e| e.event_type).collect();
    assert_eq!(types.first(), Some(&"ExecutionStarted"));
    assert_eq!(types.last(), Some(&"ExecutionSucceeded"));
    assert!(child.history.iter().any(|e| e.name() == Some("Ok")));
    assert!(!r.history.iter().any(|e| e.name() == Some("Ok")), "the parent's history does not show them");
}

// AWS docs, "ResultWriter (Map)": a Map Run that fails still exports its results; items
// never started are PENDING.
#[tokio::test]
async fn a_failed_map_run_still_writes_failed_and_pending_results() {
    let store = MemoryStore::new();
    store.bucket("results");
    let def = dmap(
        json!({"MaxConcurrency": 1,
               "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "results", "Prefix": ""}}}),
        Some(failing_processor()),
    );
    let r = run(&store, def, items(&[1], 4)).await;
    assert_eq!(r.status, Status::Failed);
    let keys = store.keys("results");
    assert_eq!(keys.len(), 4, "{keys:?}");
    let pending_key = keys.iter().find(|k| k.ends_with("/PENDING_0.json")).unwrap();
    let pending: Value = serde_json::from_str(&store.get_string("results", pending_key).unwrap()).unwrap();
    assert_eq!(pending.as_array().unwrap().len(), 2, "items 2 and 3 never started");
    assert_eq!(pending[0]["Status"], json!("PENDING"));
    assert_eq!(pending[0]["Input"], json!("{\"i\":2,\"fail\":false}"));
}

// AWS docs, "ResultWriter (Map)", WriterConfig: "COMPACT - returns the output of the child
// workflow executions"; "FLATTEN - ... if the child workflow execution returns an array,
// this option flattens the array"; "WriterConfig - to preview the formatted output,
// without saving the results to Amazon S3". A write to a missing bucket fails with
// States.ResultWriterFailed.
#[tokio::test]
async fn writer_config_alone_shapes_the_result_without_writing() {
    let store = MemoryStore::new();
    let processor = json!({"P": {"Type": "Pass", "Parameters": {"pair.$": "States.Array($, $)"}, "OutputPath": "$.pair", "End": true}});
    let flat = dmap(
        json!({"ResultWriter": {"WriterConfig": {"Transformation": "FLATTEN", "OutputType": "JSON"}}}),
        Some(processor.clone()),
    );
    let r = run(&store, flat, json!([1, 2])).await;
    assert_eq!(r.output, Some(json!([1, 1, 2, 2])), "{:?}", r.cause);
    let compact = dmap(json!({"ResultWriter": {"WriterConfig": {"Transformation": "COMPACT"}}}), Some(processor));
    let r = run(&store, compact, json!([1, 2])).await;
    assert_eq!(r.output, Some(json!([[1, 1], [2, 2]])));
    assert!(store.keys("results").is_empty());

    let missing = dmap(
        json!({"ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                                               "Parameters": {"Bucket": "nowhere", "Prefix": "p"}}}),
        None,
    );
    let r = run(&store, missing, json!([1])).await;
    assert_eq!(r.error.as_deref(), Some("States.ResultWriterFailed"));
    assert!(r.cause.unwrap().contains("NoSuchBucket"));
}

// AWS docs, "ResultWriter (Map)", WriterConfig OutputType: "JSONL - formats the results as
// JSON Lines".
#[tokio::test]
async fn jsonl_result_files_hold_one_result_a_line() {
    let store = MemoryStore::new();
    store.bucket("results");
    let def = dmap(
        json!({"ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "results", "Prefix": "p/"},
                                "WriterConfig": {"Transformation": "COMPACT", "OutputType": "JSONL"}}}),
        None,
    );
    let r = run(&store, def, json!([{"a": 1}, {"a": 2}])).await;
    let key =
        r.output.unwrap()["ResultWriterDetails"]["Key"].as_str().unwrap().replace("manifest.json", "SUCCEEDED_0.json");
    assert_eq!(store.get_string("results", &key).unwrap(), "{\"a\":1}\n{\"a\":2}\n");
}

// AWS docs, "Using Map state in Distributed mode", child workflow execution: "Each child
// workflow execution has its own execution history, separate from the parent workflow's";
// its context object is its own execution's.
#[tokio::test]
async fn children_see_their_own_execution_in_the_context_object() {
    let store = MemoryStore::new();
    let processor = json!({"P": {"Type": "Pass", "Parameters": {"name.$": "$$.Execution.Name", "id.$": "$$.Execution.Id",
                                                               "input.$": "$$.Execution.Input"}, "End": true}});
    let def = dmap(json!({"Label": "Lbl"}), Some(processor));
    let ex = Executor::new().object_store(store);
    let r = ex.run(&sm(def).named("Parent"), json!([{"k": 1}])).await;
    let out = r.output.unwrap();
    let child = &ex.map_runs()[0].children[0];
    assert_eq!(out[0]["name"], json!(child.name));
    assert_eq!(out[0]["id"], json!(child.arn));
    assert!(child.arn.contains(":execution:Parent/Lbl:"));
    assert_eq!(out[0]["input"], json!({"k": 1}));
}

// AWS docs, "Using Map state in Distributed mode", Distributed Map state fields: ItemReader,
// ItemBatcher, ResultWriter and Label belong to a Distributed Map; "ItemReader (Map)":
// CSVHeaderLocation GIVEN needs CSVHeaders; "ResultWriter (Map)": "The ResultWriter
// field cannot be empty"; Label: "up to 40 characters".
#[test]
fn create_state_machine_refuses_malformed_distributed_map_fields() {
    let refused = |def: Value| StateMachine::from_json(&def).unwrap_err().to_string();
    let inline = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemBatcher": {"MaxItemsPerBatch": 2},
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}}});
    assert!(refused(inline).contains("only supported when ProcessorConfig.Mode is DISTRIBUTED"));
    let mut csv = get_object("CSV", "k");
    assert!(refused(dmap(json!({"ItemReader": csv.clone()}), None)).contains("requires 'CSVHeaderLocation'"));
    csv["ReaderConfig"]["CSVHeaderLocation"] = json!("GIVEN");
    assert!(refused(dmap(json!({"ItemReader": csv}), None)).contains("requires 'CSVHeaders'"));
    assert!(refused(dmap(json!({"ItemReader": get_object("XML", "k")}), None)).contains("InputType"));
    assert!(
        refused(dmap(json!({"ItemReader": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {}}}), None))
            .contains("INVALID_RESOURCE")
    );
    assert!(refused(dmap(json!({"ItemBatcher": {}}), None)).contains("requires 'MaxItemsPerBatch'"));
    assert!(refused(dmap(json!({"ResultWriter": {}}), None)).contains("'ResultWriter' requires"));
    assert!(refused(dmap(json!({"Label": "x".repeat(41)}), None)).contains("'Label' must be 1 to 40"));
    assert!(refused(dmap(json!({"Label": "a b"}), None)).contains("'Label'"));
    assert!(refused(dmap(json!({"ItemReader": get_object("JSON", "k"), "ItemsPath": "$.x"}), None)).contains("both"));
    assert!(StateMachine::from_json(&dmap(json!({"Label": "Rows-2024_a"}), None)).is_ok());
}

// The items read still go through the usual Task answers: here a mocked Lambda per child.
#[tokio::test]
async fn children_call_tasks_answered_by_mocks() {
    let store = MemoryStore::new();
    store.put("data", "in.json", r#"[{"id": "a"}, {"id": "b"}]"#);
    let processor =
        json!({"P": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:work", "End": true}});
    let def = dmap(json!({"ItemReader": get_object("JSON", "in.json")}), Some(processor));
    let r = Executor::new()
        .object_store(store)
        .mock_function("work", Mock::returns(json!("done")))
        .run(&sm(def), json!({}))
        .await;
    assert_eq!(r.output, Some(json!(["done", "done"])), "{:?}", r.cause);
}

// AWS docs, "ItemSelector (Map)": "You can specify the ItemSelector field in both an Inline
// Map state and a Distributed Map state" — here over items an ItemReader read, in JSONata.
#[tokio::test]
async fn item_selector_shapes_the_items_an_item_reader_read() {
    let store = MemoryStore::new();
    store.put("data", "in.json", r#"[{"v": 1}, {"v": 2}]"#);
    let mut def = dmap(
        json!({"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
                              "Arguments": {"Bucket": "data", "Key": "in.json"}},
               "ItemSelector": {"v": "{% $states.context.Map.Item.Value.v * 10 %}",
                                "at": "{% $states.context.Map.Item.Index %}", "tag": "{% $states.input.tag %}"}}),
        None,
    );
    def["QueryLanguage"] = json!("JSONata");
    let r = run(&store, def, json!({"tag": "t"})).await;
    assert_eq!(
        r.output,
        Some(json!([{"v": 10, "at": 0, "tag": "t"}, {"v": 20, "at": 1, "tag": "t"}])),
        "{:?}",
        r.cause
    );
}

// AWS docs, "Restarting state machine executions with redrive", Distributed Map: a redriven
// Map Run reruns only its unsuccessful children (and starts those never started); the
// items are read by the ItemReader again.
#[tokio::test]
async fn a_redriven_map_run_over_read_items_reruns_only_the_unsuccessful_children() {
    use std::sync::{Arc, Mutex};
    let store = MemoryStore::new();
    store.put("data", "in.json", "[0, 1, 2]");
    let processor = json!({
        "P": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:work", "End": true}
    });
    let def = dmap(json!({"ItemReader": get_object("JSON", "in.json"), "MaxConcurrency": 1}), Some(processor));
    let calls: Arc<Mutex<Vec<Value>>> = Arc::default();
    let seen = calls.clone();
    let ex = Executor::new().object_store(store.clone()).handler(move |req: stepcraft_local::TaskRequest| {
        let seen = seen.clone();
        async move {
            let mut c = seen.lock().unwrap();
            c.push(req.payload.clone());
            // Item 1 fails the first time it is called.
            if req.payload == json!(1) && c.iter().filter(|p| **p == json!(1)).count() == 1 {
                Err(stepcraft_local::TaskFailure::function_error("Broke", "item 1"))
            } else {
                Ok(json!(format!("done {}", req.payload)))
            }
        }
    });
    let first = ex.run(&sm(def), json!({})).await;
    assert_eq!(first.status, Status::Failed);
    assert_eq!(*calls.lock().unwrap(), [json!(0), json!(1)], "item 2 never started");
    let second = ex.redrive(&first).unwrap().await;
    assert_eq!(second.status, Status::Succeeded, "{:?}", second.cause);
    assert_eq!(second.output, Some(json!(["done 0", "done 1", "done 2"])));
    assert_eq!(*calls.lock().unwrap(), [json!(0), json!(1), json!(1), json!(2)], "item 0 did not run again");
}
