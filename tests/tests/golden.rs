//! Golden ASL: each workflow in `tests/golden/<case>.rs` compiles to the definition in
//! `tests/golden/<case>.asl.json`. Bless changes with
//! `STEPCRAFT_BLESS=1 cargo test -p stepcraft-tests --test golden` and review the `git diff`.

#[path = "../golden/mod.rs"]
mod golden;

use golden::CASES;
use std::path::Path;

#[test]
fn every_workflow_compiles_to_its_golden_definition() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    let bless = std::env::var_os("STEPCRAFT_BLESS").is_some();
    let mut mismatches = Vec::new();
    for (name, definition) in CASES {
        let actual = definition();
        let path = dir.join(format!("{name}.asl.json"));
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        if actual == expected {
            continue;
        }
        if bless {
            std::fs::write(&path, &actual).unwrap();
        } else {
            mismatches.push(format!(
                "{name}: differs from {} (run with STEPCRAFT_BLESS=1 to update)\n{actual}",
                path.display()
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n\n"));
}

#[test]
fn definitions_are_byte_identical_across_builds() {
    for (name, definition) in CASES {
        assert_eq!(definition(), definition(), "{name}");
    }
}

#[test]
fn state_names_are_unique_and_short() {
    for (name, definition) in CASES {
        let json: serde_json::Value = serde_json::from_str(&definition()).unwrap();
        let mut names = Vec::new();
        collect(&json, &mut names);
        let unique: std::collections::BTreeSet<&String> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "{name}: duplicate state names in {names:?}");
        assert!(names.iter().all(|n| n.chars().count() <= 80), "{name}: {names:?}");
    }
}

fn collect(machine: &serde_json::Value, out: &mut Vec<String>) {
    for (name, state) in machine["States"].as_object().into_iter().flatten() {
        out.push(name.clone());
        for branch in state["Branches"].as_array().into_iter().flatten() {
            collect(branch, out);
        }
        if state.get("ItemProcessor").is_some() {
            collect(&state["ItemProcessor"], out);
        }
    }
}
