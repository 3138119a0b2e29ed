//! `stepcraft graph` and `stepcraft local --html` end to end: formats, output files, exit
//! statuses, and names that must stay text.

use serde_json::{Value, json};

mod common;

use common::{Dir, stepcraft};

/// A JSONPath machine whose first state is named `<script>`.
fn machine() -> Value {
    json!({
        "StartAt": "<script>",
        "States": {
            "<script>": {"Type": "Pass", "Result": {"n": 5}, "Next": "Big?"},
            "Big?": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 3, "Next": "Big"}], "Default": "Small"},
            "Big": {"Type": "Fail", "Error": "TooBig", "Cause": "</pre><b>n</b>"},
            "Small": {"Type": "Succeed"}
        }
    })
}

#[test]
fn draws_in_every_format() {
    let d = Dir::new("graph-formats");
    let def = d.file("m.asl.json", &machine());
    let o = stepcraft(&["graph", &def]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mermaid = String::from_utf8(o.stdout).unwrap();
    assert!(mermaid.starts_with("flowchart TD\n") && mermaid.contains("$.n #62; 3"), "{mermaid}");
    assert!(mermaid.contains("#60;script#62;"), "names are entity-coded: {mermaid}");
    let svg = d.path("m.svg");
    assert!(stepcraft(&["graph", &def, "--out", &svg]).status.success());
    let svg = std::fs::read_to_string(svg).unwrap();
    assert!(svg.starts_with("<svg ") && svg.contains("data-state=\"&lt;script&gt;\"") && !svg.contains("<script"));
    let dot = stepcraft(&["graph", &def, "--format=dot"]);
    assert!(String::from_utf8_lossy(&dot.stdout).starts_with("digraph StateMachine {"));
}

#[test]
fn usage_and_definition_errors() {
    let d = Dir::new("graph-errors");
    let def = d.file("m.asl.json", &machine());
    assert_eq!(stepcraft(&["graph", &def, "--format", "png"]).status.code(), Some(2));
    assert_eq!(stepcraft(&["graph"]).status.code(), Some(2));
    let broken = d.file("b.asl.json", &json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nope"}}}));
    let o = stepcraft(&["graph", &broken]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("goes to `Nope`"));
}

#[test]
fn writes_the_html_page_of_a_run() {
    let d = Dir::new("graph-html");
    let def = d.file("m.asl.json", &machine());
    let page = d.path("run.html");
    let o = stepcraft(&["local", &def, "--quiet", "--html", &page]);
    assert_eq!(o.status.code(), Some(1), "the machine fails: {}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(html.matches("<script").count(), 1, "only the page's own script: the state name is text");
    assert!(html.contains("&lt;script&gt;") && html.contains("&lt;/pre&gt;&lt;b&gt;n&lt;/b&gt;"));
    assert!(html.contains(r#"data-state="Big" data-type="Fail" data-outcome="failed""#));
    assert!(html.contains(r#"data-state="Small" data-type="Succeed" data-outcome="not-entered""#));
    assert!(html.contains("<code>TooBig</code>"));
}
