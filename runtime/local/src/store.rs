//! Objects for a Distributed Map: what its `ItemReader` reads (`s3:getObject`,
//! `s3:listObjectsV2`) and its `ResultWriter` writes (`s3:putObject`). An
//! [`ObjectStore`] holds them: a [`MemoryStore`] by default, filled by the caller, or an
//! [`HttpStore`], an S3-compatible server at an endpoint URL (such as moto's server mode).

use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use md5::{Digest, Md5};
use sha2::Sha256;

use crate::rt::lock;

/// An object as `ListObjectsV2` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
    /// The entity tag, quoted as S3 returns it (`"\"9a0364b9e99bb480dd25e1f0284c8555\""`).
    pub etag: String,
    /// Seconds since the epoch.
    pub last_modified: i64,
    pub storage_class: String,
}

/// A failed object store call: S3's error code (`NoSuchKey`, `NoSuchBucket`, …) and a
/// message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError {
    pub code: String,
    pub message: String,
}

impl StoreError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> StoreError {
        StoreError { code: code.into(), message: message.into() }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for StoreError {}

/// Where a Distributed Map reads and writes objects.
pub trait ObjectStore: Send + Sync + fmt::Debug {
    /// `GetObject`: the object's bytes.
    fn get_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, StoreError>;
    /// `PutObject`.
    fn put_object(&self, bucket: &str, key: &str, body: &[u8]) -> Result<(), StoreError>;
    /// `ListObjectsV2` with a prefix, every page: the objects in key order.
    fn list_objects(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError>;
}

/// S3's entity tag of a simple upload: the MD5 of the body, in quotes.
pub fn etag_of(body: &[u8]) -> String {
    let digest = Md5::digest(body);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// An in-memory object store, shared by its clones: fill it with
/// [`MemoryStore::put`], give it to [`crate::Executor::object_store`], read what a
/// `ResultWriter` wrote with [`MemoryStore::get`]. A bucket exists once it holds an
/// object or was made with [`MemoryStore::bucket`].
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<MemoryInner>>,
}

#[derive(Debug, Default)]
struct MemoryInner {
    buckets: BTreeMap<String, BTreeMap<String, Stored>>,
    /// Seconds since the epoch given to the next object put.
    clock: i64,
}

#[derive(Debug, Clone)]
struct Stored {
    body: Vec<u8>,
    last_modified: i64,
}

impl MemoryStore {
    /// An empty store; objects are stamped from 2024-01-01T00:00:00Z, a second apart.
    pub fn new() -> MemoryStore {
        let s = MemoryStore::default();
        lock(&s.inner).clock = 1_704_067_200;
        s
    }

    /// Makes an empty bucket.
    pub fn bucket(&self, bucket: &str) -> &MemoryStore {
        lock(&self.inner).buckets.entry(bucket.to_string()).or_default();
        self
    }

    /// Puts an object (making its bucket).
    pub fn put(&self, bucket: &str, key: &str, body: impl Into<Vec<u8>>) -> &MemoryStore {
        let mut g = lock(&self.inner);
        let last_modified = g.clock;
        g.clock += 1;
        g.buckets
            .entry(bucket.to_string())
            .or_default()
            .insert(key.to_string(), Stored { body: body.into(), last_modified });
        self
    }

    /// An object's bytes.
    pub fn get(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        lock(&self.inner).buckets.get(bucket)?.get(key).map(|s| s.body.clone())
    }

    /// An object read as UTF-8 text.
    pub fn get_string(&self, bucket: &str, key: &str) -> Option<String> {
        self.get(bucket, key).map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// The keys of a bucket, in order.
    pub fn keys(&self, bucket: &str) -> Vec<String> {
        lock(&self.inner).buckets.get(bucket).map(|b| b.keys().cloned().collect()).unwrap_or_default()
    }
}

fn no_bucket(bucket: &str) -> StoreError {
    StoreError::new("NoSuchBucket", format!("The specified bucket does not exist (bucket: {bucket})"))
}

impl ObjectStore for MemoryStore {
    fn get_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, StoreError> {
        let g = lock(&self.inner);
        let b = g.buckets.get(bucket).ok_or_else(|| no_bucket(bucket))?;
        b.get(key)
            .map(|s| s.body.clone())
            .ok_or_else(|| StoreError::new("NoSuchKey", format!("The specified key does not exist. (key: {key})")))
    }

    fn put_object(&self, bucket: &str, key: &str, body: &[u8]) -> Result<(), StoreError> {
        if !lock(&self.inner).buckets.contains_key(bucket) {
            return Err(no_bucket(bucket));
        }
        self.put(bucket, key, body.to_vec());
        Ok(())
    }

    fn list_objects(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError> {
        let g = lock(&self.inner);
        let b = g.buckets.get(bucket).ok_or_else(|| no_bucket(bucket))?;
        Ok(b.range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, s)| ObjectInfo {
                key: k.clone(),
                size: s.body.len() as u64,
                etag: etag_of(&s.body),
                last_modified: s.last_modified,
                storage_class: "STANDARD".into(),
            })
            .collect())
    }
}

/// An S3-compatible server reached over plain HTTP/1.1 with path-style requests
/// (`http://127.0.0.1:5000/bucket/key`), for a loopback server such as moto in server
/// mode (`moto_server`). Requests are unsigned, or signed with AWS Signature Version 4
/// after [`HttpStore::signed`] (moto reads anonymous `GetObject` calls as denied, and
/// takes any key). It has no TLS, so it is not a client for Amazon S3 itself.
#[derive(Clone)]
pub struct HttpStore {
    host: String,
    port: u16,
    base: String,
    timeout: Duration,
    credentials: Option<Credentials>,
}

#[derive(Clone)]
struct Credentials {
    access_key: String,
    secret_key: String,
    region: String,
}

impl fmt::Debug for HttpStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpStore")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("signed", &self.credentials.is_some())
            .finish_non_exhaustive()
    }
}

impl HttpStore {
    /// A store at `endpoint`, such as `http://127.0.0.1:5000` (a path after the port is
    /// a prefix of every request path).
    pub fn new(endpoint: &str) -> Result<HttpStore, StoreError> {
        let bad = || StoreError::new("InvalidEndpoint", format!("expected http://host:port, got '{endpoint}'"));
        let rest = endpoint.strip_prefix("http://").ok_or_else(bad)?;
        let (authority, base) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].trim_end_matches('/').to_string()),
            None => (rest, String::new()),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p.parse().map_err(|_| bad())?),
            None => (authority.to_string(), 80),
        };
        if host.is_empty() {
            return Err(bad());
        }
        Ok(HttpStore { host, port, base, timeout: Duration::from_secs(30), credentials: None })
    }

    /// Signs every request with AWS Signature Version 4 for service `s3` in `region`.
    pub fn signed(mut self, access_key: &str, secret_key: &str, region: &str) -> HttpStore {
        self.credentials =
            Some(Credentials { access_key: access_key.into(), secret_key: secret_key.into(), region: region.into() });
        self
    }

    fn path(&self, bucket: &str, key: &str) -> String {
        let mut p = format!("{}/{}", self.base, encode(bucket, false));
        if !key.is_empty() {
            p.push('/');
            p.push_str(&encode(key, true));
        }
        p
    }

    /// One request on a fresh connection: the status and body.
    fn request(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), StoreError> {
        let mut query: Vec<(String, String)> =
            query.iter().map(|(k, v)| (encode(k, false), encode(v, false))).collect();
        query.sort();
        let qs = query.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
        let target = if qs.is_empty() { path.to_string() } else { format!("{path}?{qs}") };
        let io = |e: std::io::Error| StoreError::new("RequestFailed", format!("{method} {target}: {e}"));
        let mut s = TcpStream::connect((self.host.as_str(), self.port)).map_err(io)?;
        s.set_read_timeout(Some(self.timeout)).map_err(io)?;
        let host = format!("{}:{}", self.host, self.port);
        let mut auth = String::new();
        if let Some(c) = &self.credentials {
            let date = amz_date(std::time::SystemTime::now());
            let payload = hex(&Sha256::digest(body));
            let headers = [("host", host.as_str()), ("x-amz-content-sha256", &payload), ("x-amz-date", &date)];
            let a = sigv4(method, path, &qs, &headers, &payload, &date, c);
            auth = format!("Authorization: {a}\r\nx-amz-content-sha256: {payload}\r\nx-amz-date: {date}\r\n");
        }
        // An octet-stream body: a server on a web framework may parse a form body away.
        let head = format!(
            "{method} {target} HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).map_err(io)?;
        s.write_all(body).map_err(io)?;
        let mut r = BufReader::new(s);
        let mut line = String::new();
        r.read_line(&mut line).map_err(io)?;
        let status: u16 = line.split_whitespace().nth(1).and_then(|c| c.parse().ok()).ok_or_else(|| {
            StoreError::new("RequestFailed", format!("{method} {target}: not an HTTP response: {line:?}"))
        })?;
        let mut length = None;
        let mut chunked = false;
        loop {
            line.clear();
            r.read_line(&mut line).map_err(io)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                let v = v.trim();
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.parse::<usize>().ok();
                } else if k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked") {
                    chunked = true;
                }
            }
        }
        let mut out = Vec::new();
        if chunked {
            loop {
                line.clear();
                r.read_line(&mut line).map_err(io)?;
                let n = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                    .map_err(|_| StoreError::new("RequestFailed", "bad chunk size"))?;
                if n == 0 {
                    break;
                }
                let start = out.len();
                out.resize(start + n, 0);
                r.read_exact(&mut out[start..]).map_err(io)?;
                line.clear();
                r.read_line(&mut line).map_err(io)?;
            }
        } else if let Some(n) = length {
            out.resize(n, 0);
            r.read_exact(&mut out).map_err(io)?;
        } else if method != "HEAD" {
            r.read_to_end(&mut out).map_err(io)?;
        }
        Ok((status, out))
    }

    fn fail(status: u16, body: &[u8]) -> StoreError {
        let text = String::from_utf8_lossy(body);
        let code = xml_text(&text, "Code").unwrap_or_else(|| format!("HTTP{status}"));
        let message = xml_text(&text, "Message").unwrap_or_else(|| text.trim().to_string());
        StoreError::new(code, message)
    }
}

impl ObjectStore for HttpStore {
    fn get_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, StoreError> {
        match self.request("GET", &self.path(bucket, key), &[], &[])? {
            (200, body) => Ok(body),
            (status, body) => Err(HttpStore::fail(status, &body)),
        }
    }

    fn put_object(&self, bucket: &str, key: &str, body: &[u8]) -> Result<(), StoreError> {
        match self.request("PUT", &self.path(bucket, key), &[], body)? {
            (200, _) => Ok(()),
            (status, body) => Err(HttpStore::fail(status, &body)),
        }
    }

    fn list_objects(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut query = vec![("list-type", "2"), ("prefix", prefix)];
            if let Some(t) = &token {
                query.push(("continuation-token", t.as_str()));
            }
            let (status, body) = self.request("GET", &self.path(bucket, ""), &query, &[])?;
            if status != 200 {
                return Err(HttpStore::fail(status, &body));
            }
            let text = String::from_utf8_lossy(&body);
            for c in xml_elements(&text, "Contents") {
                out.push(ObjectInfo {
                    key: xml_text(c, "Key").unwrap_or_default(),
                    size: xml_text(c, "Size").and_then(|s| s.parse().ok()).unwrap_or(0),
                    etag: xml_text(c, "ETag").unwrap_or_default(),
                    last_modified: xml_text(c, "LastModified")
                        .and_then(|t| crate::time::parse_timestamp(&t))
                        .map_or(0, |ms| ms.div_euclid(1000)),
                    storage_class: xml_text(c, "StorageClass").unwrap_or_else(|| "STANDARD".into()),
                });
            }
            let truncated = xml_text(&text, "IsTruncated").is_some_and(|t| t == "true");
            token = xml_text(&text, "NextContinuationToken");
            if !truncated || token.is_none() {
                return Ok(out);
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // RFC 2104 over SHA-256 (64-byte blocks).
    let mut k = if key.len() > 64 { Sha256::digest(key).to_vec() } else { key.to_vec() };
    k.resize(64, 0);
    let mut inner = Sha256::new();
    inner.update(k.iter().map(|b| b ^ 0x36).collect::<Vec<_>>());
    inner.update(data);
    let mut outer = Sha256::new();
    outer.update(k.iter().map(|b| b ^ 0x5c).collect::<Vec<_>>());
    outer.update(inner.finalize());
    outer.finalize().to_vec()
}

/// `x-amz-date` of a time: `20130524T000000Z`.
fn amz_date(t: std::time::SystemTime) -> String {
    let ms = t.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    let iso = crate::time::format_timestamp(ms);
    let mut out: String = iso.chars().filter(|c| c.is_ascii_digit() || *c == 'T').take(15).collect();
    out.push('Z');
    out
}

/// The `Authorization` header of AWS Signature Version 4 for service `s3` (AWS docs,
/// "Signature Calculations for the Authorization Header"): `headers` lowercase and sorted,
/// `query` canonical (encoded and sorted), `date` as in `x-amz-date`.
fn sigv4(
    method: &str,
    path: &str,
    query: &str,
    headers: &[(&str, &str)],
    payload_hash: &str,
    date: &str,
    c: &Credentials,
) -> String {
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{}\n", v.trim())).collect();
    let signed = headers.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(";");
    let request = format!("{method}\n{path}\n{query}\n{canonical_headers}\n{signed}\n{payload_hash}");
    let day = &date[..8];
    let scope = format!("{day}/{}/s3/aws4_request", c.region);
    let to_sign = format!("AWS4-HMAC-SHA256\n{date}\n{scope}\n{}", hex(&Sha256::digest(request.as_bytes())));
    let mut key = hmac(format!("AWS4{}", c.secret_key).as_bytes(), day.as_bytes());
    for part in [c.region.as_str(), "s3", "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    let signature = hex(&hmac(&key, to_sign.as_bytes()));
    format!("AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={signature}", c.access_key)
}

/// Percent-encodes a path segment (or, with `slash`, a key whose `/` stay).
fn encode(s: &str, slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b'/' if slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The bodies of each `<tag>…</tag>` in `xml`.
fn xml_elements<'x>(xml: &'x str, tag: &str) -> Vec<&'x str> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let Some(j) = after.find(&close) else { break };
        out.push(&after[..j]);
        rest = &after[j + close.len()..];
    }
    out
}

/// The unescaped text of the first `<tag>` in `xml`.
fn xml_text(xml: &str, tag: &str) -> Option<String> {
    let raw = *xml_elements(xml, tag).first()?;
    Some(
        raw.replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&#34;", "\"")
            .replace("&amp;", "&"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_are_the_quoted_md5_of_the_body() {
        assert_eq!(etag_of(b""), "\"d41d8cd98f00b204e9800998ecf8427e\"");
    }

    #[test]
    fn the_memory_store_lists_by_prefix_in_key_order_and_knows_missing_buckets() {
        let s = MemoryStore::new();
        s.put("b", "x/2", "bb").put("b", "x/1", "a").put("b", "y", "c");
        let l = s.list_objects("b", "x/").unwrap();
        assert_eq!(l.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(), ["x/1", "x/2"]);
        assert_eq!(l[0].size, 1);
        assert_eq!(s.get_object("b", "nope").unwrap_err().code, "NoSuchKey");
        assert_eq!(s.get_object("nope", "y").unwrap_err().code, "NoSuchBucket");
        assert_eq!(s.put_object("nope", "k", b"").unwrap_err().code, "NoSuchBucket");
    }

    #[test]
    fn signatures_follow_the_aws_sigv4_example() {
        // AWS docs, "Signature Calculations for the Authorization Header: Transferring
        // Payload in a Single Chunk", Example: GET Object.
        let c = Credentials {
            access_key: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            region: "us-east-1".into(),
        };
        let empty = hex(&Sha256::digest(b""));
        assert_eq!(empty, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        let headers = [
            ("host", "examplebucket.s3.amazonaws.com"),
            ("range", "bytes=0-9"),
            ("x-amz-content-sha256", empty.as_str()),
            ("x-amz-date", "20130524T000000Z"),
        ];
        let a = sigv4("GET", "/test.txt", "", &headers, &empty, "20130524T000000Z", &c);
        assert_eq!(
            a,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
        assert_eq!(amz_date(std::time::UNIX_EPOCH + Duration::from_secs(1_369_353_600)), "20130524T000000Z");
    }

    #[test]
    fn endpoints_and_keys_are_read_as_path_style_urls() {
        let h = HttpStore::new("http://127.0.0.1:5000/").unwrap();
        assert_eq!(h.path("b", "dir/a b.json"), "/b/dir/a%20b.json");
        assert!(HttpStore::new("https://s3.amazonaws.com").is_err());
        assert_eq!(xml_text("<E><Code>NoSuchKey</Code></E>", "Code").as_deref(), Some("NoSuchKey"));
    }
}
