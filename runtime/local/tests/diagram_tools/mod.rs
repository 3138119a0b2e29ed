//! What the diagram tests share (also included by `examples/checkout/tests/diagram.rs`): the
//! states and transitions an ASL definition has, read here independently of the library; the
//! same read back from a drawn SVG and from the real Mermaid parser's view of a Mermaid text;
//! and the pinned tools of `tests/diagram-tools` (installed on first use).

#![allow(dead_code, reason = "each test binary uses part of it")]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

use serde_json::Value;

/// A transition: (from, to, kind), kind one of `next`, `choice`, `default`, `catch`.
pub type Transition = (String, String, String);

/// The states (nested ones included) and transitions of a definition, sorted.
pub fn expected(definition: &Value) -> (Vec<String>, Vec<Transition>) {
    fn walk(set: &Value, states: &mut Vec<String>, edges: &mut Vec<Transition>) {
        for (name, s) in set["States"].as_object().expect("States") {
            states.push(name.clone());
            let mut edge = |to: &Value, kind: &str| {
                if let Some(to) = to.as_str() {
                    edges.push((name.clone(), to.to_string(), kind.to_string()));
                }
            };
            if s["Type"] == "Choice" {
                for rule in s["Choices"].as_array().into_iter().flatten() {
                    edge(&rule["Next"], "choice");
                }
                edge(&s["Default"], "default");
            } else {
                edge(&s["Next"], "next");
            }
            for c in s["Catch"].as_array().into_iter().flatten() {
                edge(&c["Next"], "catch");
            }
            for b in s["Branches"].as_array().into_iter().flatten() {
                walk(b, states, edges);
            }
            for p in [&s["ItemProcessor"], &s["Iterator"]] {
                if p.is_object() {
                    walk(p, states, edges);
                }
            }
        }
    }
    let (mut states, mut edges) = (Vec::new(), Vec::new());
    walk(definition, &mut states, &mut edges);
    states.sort();
    edges.sort();
    (states, edges)
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// The states and transitions an SVG draws (its `data-state` boxes and `data-kind` edges).
pub fn from_svg(svg: &str) -> (Vec<String>, Vec<Transition>) {
    let state = regex_lite::Regex::new(r#"<g class="state[^"]*" id="[^"]*" data-state="([^"]*)""#).unwrap();
    let edge =
        regex_lite::Regex::new(r#"<g class="edge [^"]*" data-from="([^"]*)" data-to="([^"]*)" data-kind="([^"]*)""#)
            .unwrap();
    let mut states: Vec<String> = state.captures_iter(svg).map(|c| unescape(&c[1])).collect();
    let mut edges: Vec<Transition> = edge
        .captures_iter(svg)
        .filter(|c| &c[3] != "marker")
        .map(|c| (unescape(&c[1]), unescape(&c[2]), c[3].to_string()))
        .collect();
    states.sort();
    edges.sort();
    (states, edges)
}

/// The states and transitions the Mermaid parser read (one entry of [`parse_mermaid`]): a
/// state's name is the first line of its node's or subgraph's label; a dotted link is a Catch.
/// Transitions come as (from, to, `catch` or `solid`).
pub fn from_mermaid(parsed: &Value) -> (Vec<String>, Vec<Transition>) {
    assert_eq!(parsed["ok"], true, "Mermaid's parser rejected the diagram: {}", parsed["error"]);
    assert_eq!(parsed["type"], "flowchart-v2");
    // Mermaid writes the line breaks back as `<br>`.
    let first_line = |t: &str| t.split("<br").next().unwrap_or("").to_string();
    let mut names = std::collections::BTreeMap::new();
    for (id, text) in parsed["vertices"].as_object().unwrap() {
        names.insert(id.clone(), first_line(text.as_str().unwrap()));
    }
    let mut branch_frames = std::collections::BTreeSet::new();
    for s in parsed["subgraphs"].as_array().unwrap() {
        let (id, title) = (s[0].as_str().unwrap(), s[1].as_str().unwrap());
        // Subgraphs are Parallel/Map states (`s3`) or their branches and processors (`s3_b0`).
        if id.contains('_') {
            branch_frames.insert(id.to_string());
        } else {
            names.insert(id.to_string(), first_line(title));
        }
    }
    let mut states: Vec<String> = names
        .iter()
        .filter(|(id, _)| !id.starts_with("m_") && !branch_frames.contains(*id))
        .map(|(_, n)| n.clone())
        .collect();
    let mut edges: Vec<Transition> = parsed["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e[0].as_str().unwrap().starts_with("m_") && !e[1].as_str().unwrap().starts_with("m_"))
        .map(|e| {
            let kind = if e[3] == "dotted" { "catch" } else { "solid" };
            (names[e[0].as_str().unwrap()].clone(), names[e[1].as_str().unwrap()].clone(), kind.to_string())
        })
        .collect();
    states.sort();
    edges.sort();
    (states, edges)
}

/// Transitions with the kinds Mermaid distinguishes (catch or not).
pub fn solid_or_catch(edges: &[Transition]) -> Vec<Transition> {
    let mut out: Vec<Transition> = edges
        .iter()
        .map(|(a, b, k)| (a.clone(), b.clone(), if k == "catch" { "catch" } else { "solid" }.to_string()))
        .collect();
    out.sort();
    out
}

pub fn tools_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/diagram-tools")
}

static INSTALL: Mutex<Option<Result<(), String>>> = Mutex::new(None);

/// Installs the tools (once per test binary). `Err` only when installing is impossible on
/// this machine (the reason); a failed install panics.
pub fn install(chromium: bool) -> Result<(), String> {
    let mut done = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(r) = done.as_ref().filter(|_| !chromium) {
        return r.clone();
    }
    let mut cmd = Command::new("bash");
    cmd.arg(tools_dir().join("install.sh"));
    if chromium {
        cmd.arg("--chromium");
    }
    let out = cmd.stdin(Stdio::null()).output().expect("bash runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let r = match out.status.code() {
        Some(0) => Ok(()),
        Some(75) => Err(stderr.trim().to_string()),
        _ => panic!("tests/diagram-tools/install.sh failed:\n{stderr}"),
    };
    if !chromium {
        *done = Some(r.clone());
    }
    r
}

/// Each text parsed by the real Mermaid parser (`tests/diagram-tools/mermaid-parse.mjs`).
pub fn parse_mermaid(texts: &[String]) -> Vec<Value> {
    let mut child = Command::new("node")
        .arg(tools_dir().join("mermaid-parse.mjs"))
        .current_dir(tools_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs");
    let input = serde_json::to_vec(texts).unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), &input).unwrap();
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "mermaid-parse.mjs failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("mermaid-parse.mjs prints JSON")
}

/// Runs headless chromium with `args` then `url`; returns stdout.
pub fn chromium(args: &[&str], url: &str) -> String {
    let profile = std::env::temp_dir().join(format!("stepcraft-chromium-{}-{}", std::process::id(), url.len()));
    let out = Command::new("/usr/bin/chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"])
        .args(["--disable-background-networking", "--disable-component-update", "--disable-sync"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .expect("chromium runs");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// How many pixels of a PNG are not white (decoded by python3's zlib: no image crate here).
pub fn non_white_pixels(png: &Path) -> usize {
    let script = r#"
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
pos, idat, w, h, ctype, depth = 8, b'', 0, 0, 0, 0
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]; pos += 12 + n
    if kind == b'IHDR': w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
    elif kind == b'IDAT': idat += body
assert depth == 8 and ctype in (2, 6), (depth, ctype)
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(idat); stride = w * bpp; prev = bytearray(stride); count = 0; i = 0
for y in range(h):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0; b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    count += sum(1 for x in range(0, stride, bpp) if line[x:x + 3] != b'\xff\xff\xff')
    prev = line
print(count)
"#;
    let out = Command::new("python3").arg("-c").arg(script).arg(png).output().expect("python3 runs");
    assert!(out.status.success(), "cannot read the PNG: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}
