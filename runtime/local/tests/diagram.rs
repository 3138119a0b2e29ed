//! Diagrams of the golden definitions (`tests/golden/*.asl.json`, JSONata) and of the
//! asl-tools samples (JSONPath too): every state and transition drawn in the SVG and in the
//! Mermaid, which the real Mermaid parser (pinned, `tests/diagram-tools`) must accept; no
//! overlaps in the layout; byte-identical output for the same definition.

mod diagram_tools;

use std::path::Path;

use serde_json::Value;
use stepcraft_local::diagram::{Diagram, Format};

use diagram_tools::{expected, from_mermaid, from_svg, solid_or_catch};

fn definitions() -> Vec<(String, Value)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = Vec::new();
    for dir in ["tests/golden", "tests/asl-tools/samples"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(".asl.json"))
            .collect();
        files.sort();
        for f in files {
            let v = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
            out.push((format!("{dir}/{}", f.file_name().unwrap().to_string_lossy()), v));
        }
    }
    assert!(out.len() > 11, "the golden definitions and samples are there");
    out
}

#[test]
fn every_state_and_transition_is_drawn_without_overlaps() {
    for (file, def) in definitions() {
        let d = Diagram::from_json(&def).unwrap_or_else(|e| panic!("{file}: {e}"));
        let (states, edges) = expected(&def);
        let svg = d.render(Format::Svg);
        assert_eq!(from_svg(&svg), (states.clone(), edges), "{file}: the SVG's states and edges");
        assert_eq!(d.overlaps(), Vec::<String>::new(), "{file}");
        for f in [Format::Mermaid, Format::Dot, Format::Svg] {
            assert_eq!(d.render(f), Diagram::from_json(&def).unwrap().render(f), "{file}: {f:?} is deterministic");
        }
        assert!(!svg.contains("<script") && !svg.contains("href"), "{file}: the SVG is self-contained");
    }
}

#[test]
fn mermaid_parses_with_the_real_parser() {
    if let Err(why) = diagram_tools::install(false) {
        eprintln!("notice: the Mermaid parser cannot be installed here, so the Mermaid is not parsed: {why}");
        return;
    }
    let defs = definitions();
    let texts: Vec<String> = defs.iter().map(|(_, d)| Diagram::from_json(d).unwrap().render(Format::Mermaid)).collect();
    let parsed = diagram_tools::parse_mermaid(&texts);
    assert_eq!(parsed.len(), defs.len());
    for ((file, def), p) in defs.iter().zip(&parsed) {
        let (states, edges) = expected(def);
        assert_eq!(from_mermaid(p), (states, solid_or_catch(&edges)), "{file}: what Mermaid read");
    }
}

#[test]
fn names_with_any_characters_stay_text() {
    let def = serde_json::json!({
        "StartAt": "<script>alert(1)</script>",
        "States": {
            "<script>alert(1)</script>": {"Type": "Pass", "Next": "a \"quoted\" | end --> [x] #1;"},
            "a \"quoted\" | end --> [x] #1;": {"Type": "Choice",
                "Choices": [{"Variable": "$.v", "StringEquals": "</text>", "Next": "end"}],
                "Default": "<script>alert(1)</script>"},
            "end": {"Type": "Succeed"}
        }
    });
    let d = Diagram::from_json(&def).unwrap();
    let svg = d.render(Format::Svg);
    assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!svg.contains("\"</text>\""));
    let (states, edges) = expected(&def);
    assert_eq!(from_svg(&svg), (states.clone(), edges.clone()));
    assert!(d.render(Format::Dot).contains(r#"a \"quoted\" | end --> [x] #1;"#));
    if diagram_tools::install(false).is_ok() {
        let parsed = diagram_tools::parse_mermaid(&[d.render(Format::Mermaid)]);
        assert_eq!(from_mermaid(&parsed[0]), (states, solid_or_catch(&edges)));
    }
}
