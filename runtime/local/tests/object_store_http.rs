//! The S3-compatible HTTP object store against a small in-test server that speaks the
//! three calls a Distributed Map makes (Amazon S3 API Reference: ListObjectsV2 with
//! `list-type=2`, `prefix`, `continuation-token` and an XML `ListBucketResult`; GetObject;
//! PutObject; errors as an XML `<Error><Code>`), path-style and unsigned as moto's server
//! mode accepts them.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use stepcraft_local::{Executor, HttpStore, ObjectStore, StateMachine, Status};

type Objects = Arc<Mutex<BTreeMap<(String, String), Vec<u8>>>>;

/// A loopback S3 server: its endpoint, its objects, and the request lines it saw.
struct FakeS3 {
    endpoint: String,
    objects: Objects,
    requests: Arc<Mutex<Vec<String>>>,
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// Lists two keys a page, so that a listing of three objects takes a continuation token.
const PAGE: usize = 2;

fn serve(objects: &Objects, method: &str, target: &str, body: Vec<u8>) -> (u16, Vec<u8>) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let bucket = decode(parts.next().unwrap_or(""));
    let key = parts.next().map(decode).unwrap_or_default();
    let params: BTreeMap<String, String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), decode(v))
        })
        .collect();
    let mut objs = objects.lock().unwrap();
    let error = |status: u16, code: &str| {
        (
            status,
            format!("<?xml version=\"1.0\"?><Error><Code>{code}</Code><Message>{code} says the fake</Message></Error>")
                .into_bytes(),
        )
    };
    if !objs.keys().any(|(b, _)| *b == bucket) {
        return error(404, "NoSuchBucket");
    }
    match (method, key.is_empty()) {
        ("PUT", false) => {
            objs.insert((bucket, key), body);
            (200, Vec::new())
        }
        ("GET", false) => match objs.get(&(bucket, key)) {
            Some(b) => (200, b.clone()),
            None => error(404, "NoSuchKey"),
        },
        ("GET", true) if params.get("list-type").map(String::as_str) == Some("2") => {
            let prefix = params.get("prefix").cloned().unwrap_or_default();
            let after = params.get("continuation-token").cloned().unwrap_or_default();
            let keys: Vec<(&String, &Vec<u8>)> = objs
                .iter()
                .filter(|((b, k), _)| *b == bucket && k.starts_with(&prefix) && !k.is_empty() && *k > after)
                .map(|((_, k), v)| (k, v))
                .collect();
            let page = &keys[..keys.len().min(PAGE)];
            let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult>");
            for (k, v) in page {
                xml.push_str(&format!(
                    "<Contents><Key>{k}</Key><LastModified>2024-03-01T12:00:00.000Z</LastModified><ETag>&quot;{}&quot;</ETag><Size>{}</Size><StorageClass>STANDARD</StorageClass></Contents>",
                    v.len(),
                    v.len()
                ));
            }
            let truncated = keys.len() > PAGE;
            xml.push_str(&format!("<IsTruncated>{truncated}</IsTruncated>"));
            if truncated {
                xml.push_str(&format!("<NextContinuationToken>{}</NextContinuationToken>", page[PAGE - 1].0));
            }
            xml.push_str("</ListBucketResult>");
            (200, xml.into_bytes())
        }
        _ => error(400, "InvalidRequest"),
    }
}

impl FakeS3 {
    fn start(buckets: &[&str]) -> FakeS3 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let objects: Objects = Arc::default();
        for b in buckets {
            // An empty key marks a bucket that exists.
            objects.lock().unwrap().insert((b.to_string(), String::new()), Vec::new());
        }
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (objs, reqs) = (objects.clone(), requests.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let mut r = BufReader::new(conn.try_clone().unwrap());
                let mut line = String::new();
                if r.read_line(&mut line).is_err() {
                    continue;
                }
                let mut len = 0usize;
                let mut header = String::new();
                let mut signed = false;
                while r.read_line(&mut header).is_ok() && header.trim_end() != "" {
                    let h = header.to_ascii_lowercase();
                    if let Some(v) = h.strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                    signed |= h.starts_with("authorization:");
                    header.clear();
                }
                let mut body = vec![0; len];
                r.read_exact(&mut body).unwrap();
                let mut words = line.split_whitespace();
                let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
                reqs.lock().unwrap().push(format!("{method} {target}{}", if signed { " signed" } else { "" }));
                let (status, out) = serve(&objs, method, target, body);
                let reason = if status == 200 { "OK" } else { "Error" };
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    out.len()
                );
                let _ = conn.write_all(&out);
            }
        });
        FakeS3 { endpoint, objects, requests }
    }

    fn put(&self, bucket: &str, key: &str, body: &str) {
        self.objects.lock().unwrap().insert((bucket.into(), key.into()), body.as_bytes().to_vec());
    }

    fn get(&self, bucket: &str, key: &str) -> Option<String> {
        self.objects.lock().unwrap().get(&(bucket.into(), key.into())).map(|b| String::from_utf8_lossy(b).into_owned())
    }
}

#[test]
fn the_http_store_gets_puts_and_lists_every_page_path_style_and_unsigned() {
    let s3 = FakeS3::start(&["data"]);
    s3.put("data", "in/a b.json", "[1]");
    s3.put("data", "in/b.json", "[2, 3]");
    s3.put("data", "in/c.json", "[]");
    s3.put("data", "out/x", "x");
    let store = HttpStore::new(&s3.endpoint).unwrap();
    assert_eq!(store.get_object("data", "in/a b.json").unwrap(), b"[1]");
    let listed = store.list_objects("data", "in/").unwrap();
    let keys: Vec<&str> = listed.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["in/a b.json", "in/b.json", "in/c.json"], "two pages");
    assert_eq!(listed[1].size, 6);
    assert_eq!(listed[1].etag, "\"6\"", "the ETag as the server sent it, unescaped");
    assert_eq!(listed[0].last_modified, 1_709_294_400);
    store.put_object("data", "out/y.json", b"{}").unwrap();
    assert_eq!(s3.get("data", "out/y.json").as_deref(), Some("{}"));
    assert_eq!(store.get_object("data", "nope").unwrap_err().code, "NoSuchKey");
    assert_eq!(store.put_object("missing", "k", b"").unwrap_err().code, "NoSuchBucket");
    let reqs = s3.requests.lock().unwrap().clone();
    assert!(reqs.contains(&"GET /data/in/a%20b.json".to_string()), "{reqs:?}");
    assert!(
        reqs.iter().any(|r| r.starts_with("GET /data?continuation-token=") && r.ends_with("&list-type=2&prefix=in%2F")),
        "the second page, its query in canonical order: {reqs:?}"
    );
    assert!(reqs.iter().all(|r| !r.ends_with("signed")), "unsigned");

    // Signed, every request carries an `Authorization` header.
    let signed = HttpStore::new(&s3.endpoint).unwrap().signed("testing", "testing", "us-east-1");
    signed.put_object("data", "s.json", b"1").unwrap();
    assert!(s3.requests.lock().unwrap().last().unwrap().ends_with(" signed"));
}

// A whole Distributed Map through the HTTP store: read with ItemReader (AWS docs,
// "ItemReader (Map)"), results written with ResultWriter (AWS docs, "ResultWriter (Map)").
#[tokio::test]
async fn a_distributed_map_reads_and_writes_through_an_endpoint() {
    let s3 = FakeS3::start(&["data", "results"]);
    s3.put("data", "rows.csv", "id,qty\n1,2\n2,5\n");
    let def = json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": true,
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                       "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                       "Parameters": {"Bucket": "data", "Key": "rows.csv"}},
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "results", "Prefix": "out"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}});
    let ex = Executor::new().object_store_endpoint(&s3.endpoint).unwrap();
    let r = ex.run(&StateMachine::from_json(&def).unwrap(), json!({})).await;
    assert_eq!(r.status, Status::Succeeded, "{:?}", r.cause);
    let key = r.output.unwrap()["ResultWriterDetails"]["Key"].as_str().unwrap().to_string();
    let manifest: Value = serde_json::from_str(&s3.get("results", &key).unwrap()).unwrap();
    let ok_key = manifest["ResultFiles"]["SUCCEEDED"][0]["Key"].as_str().unwrap();
    let ok: Value = serde_json::from_str(&s3.get("results", ok_key).unwrap()).unwrap();
    let outputs: Vec<&str> = ok.as_array().unwrap().iter().map(|x| x["Output"].as_str().unwrap()).collect();
    assert_eq!(outputs, ["{\"id\":\"1\",\"qty\":\"2\"}", "{\"id\":\"2\",\"qty\":\"5\"}"]);
    assert!(Executor::new().object_store_endpoint("https://s3.amazonaws.com").is_err(), "plain HTTP only");
}
