//! The HTTP object store against a real S3-compatible server: moto 5.2.5 in server mode
//! (`moto_server`), installed pinned by `tests/s3_tools/install.sh`. Skipped with a
//! notice when it cannot be installed (no Python, or pip cannot reach its index).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use stepcraft_local::{Executor, HttpStore, ObjectStore, StateMachine, Status};

fn tools() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/s3_tools")
}

/// `moto_server`, installed if need be; `None` (with a notice) when it cannot be.
fn moto_server() -> Option<PathBuf> {
    let bin = tools().join(".venv/bin/moto_server");
    let stamp = tools().join(".venv/.stepcraft-stamp");
    if !(bin.exists() && stamp.exists()) {
        let out = Command::new("bash").arg(tools().join("install.sh")).output();
        if !out.as_ref().is_ok_and(|o| o.status.success()) {
            let why = out.map(|o| String::from_utf8_lossy(&o.stderr).into_owned()).unwrap_or_else(|e| e.to_string());
            eprintln!("notice: moto[server] could not be installed, the moto S3 test is skipped: {why}");
            return None;
        }
    }
    Some(bin)
}

/// A running `moto_server`, stopped (by its own handle) when dropped.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(bin: &PathBuf) -> Moto {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto_server starts");
    let moto = Moto { child, endpoint: format!("http://127.0.0.1:{port}") };
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto_server did not listen on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
    moto
}

/// `CreateBucket` (path-style `PUT /bucket`), which the object store does not offer.
fn create_bucket(endpoint: &str, bucket: &str) {
    let addr = endpoint.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "PUT /{bucket} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
}

// AWS docs, "ItemReader (Map)" (listObjectsV2 items, getObject of a JSON file) and
// "ResultWriter (Map)" (manifest.json and SUCCEEDED_0.json under Prefix/<map run id>/),
// with moto as S3.
#[test]
fn a_distributed_map_reads_lists_and_writes_moto_s3() {
    let Some(bin) = moto_server() else { return };
    let moto = start(&bin);
    create_bucket(&moto.endpoint, "data");
    create_bucket(&moto.endpoint, "results");
    // moto takes any key, but answers an anonymous GetObject with 403.
    let store = HttpStore::new(&moto.endpoint).unwrap().signed("testing", "testing", "us-east-1");
    store.put_object("data", "orders/1.json", br#"[{"id": 1}, {"id": 2}]"#).unwrap();
    store.put_object("data", "orders/2.json", b"[]").unwrap();
    store.put_object("data", "other.txt", b"x").unwrap();
    assert_eq!(store.get_object("data", "nope").unwrap_err().code, "NoSuchKey");

    let listed = store.list_objects("data", "orders/").unwrap();
    assert_eq!(listed.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(), ["orders/1.json", "orders/2.json"]);
    assert_eq!(listed[1].etag, "\"d751713988987e9331980363e24189ce\"", "S3's ETag: the MD5 of \"[]\"");
    assert_eq!(listed[0].size, 22);

    let map = |reader: Value| {
        json!({"StartAt": "M", "States": {"M": {
            "Type": "Map", "End": true, "ItemReader": reader,
            "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "results", "Prefix": "runs"}},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                              "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}})
    };
    let ex = Executor::new().object_store(store.clone());
    let listing = map(
        json!({"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "data", "Prefix": "orders/"}}),
    );
    let r = ex.run_blocking(&StateMachine::from_json(&listing).unwrap(), json!({}));
    assert_eq!(r.status, Status::Succeeded, "{:?}", r.cause);
    let key = r.output.unwrap()["ResultWriterDetails"]["Key"].as_str().unwrap().to_string();
    let manifest: Value = serde_json::from_slice(&store.get_object("results", &key).unwrap()).unwrap();
    let ok_key = manifest["ResultFiles"]["SUCCEEDED"][0]["Key"].as_str().unwrap();
    let ok: Value = serde_json::from_slice(&store.get_object("results", ok_key).unwrap()).unwrap();
    let item: Value = serde_json::from_str(ok[0]["Input"].as_str().unwrap()).unwrap();
    assert_eq!(item["Key"], json!("orders/1.json"));
    assert_eq!(item["Etag"], json!(listed[0].etag));
    assert!(item["LastModified"].as_i64().unwrap() > 1_700_000_000);

    let reading = map(json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
                             "Parameters": {"Bucket": "data", "Key": "orders/1.json"}}));
    let r = ex.run_blocking(&StateMachine::from_json(&reading).unwrap(), json!({}));
    assert_eq!(r.status, Status::Succeeded, "{:?}", r.cause);
    let key = r.output.unwrap()["ResultWriterDetails"]["Key"].as_str().unwrap().to_string();
    assert!(key.starts_with("runs/") && key.ends_with("/manifest.json"));
    let manifest: Value = serde_json::from_slice(&store.get_object("results", &key).unwrap()).unwrap();
    let ok_key = manifest["ResultFiles"]["SUCCEEDED"][0]["Key"].as_str().unwrap();
    let ok: Value = serde_json::from_slice(&store.get_object("results", ok_key).unwrap()).unwrap();
    let outputs: Vec<&str> = ok.as_array().unwrap().iter().map(|x| x["Output"].as_str().unwrap()).collect();
    assert_eq!(outputs, ["{\"id\":1}", "{\"id\":2}"]);
}
