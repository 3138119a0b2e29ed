//! The readable trace (`ExecutionResult::trace`): one aligned row per state visit, whatever the
//! length of the state names.

use serde_json::json;
use stepcraft_local::{Executor, StateMachine, Status};

#[test]
fn long_state_names_keep_the_columns_in_line() {
    // Step Functions allows state names of 80 characters; inside a Map iteration the row also
    // carries an indent and its `[item N]` label.
    let long = "Reserve inventory in the warehouse nearest to the customer, then confirm it now";
    assert_eq!(long.chars().count(), 79);
    let top = format!("{long}!");
    let inner = format!("Prüfe Lager {}", "é".repeat(60));
    let def = json!({"QueryLanguage": "JSONata", "StartAt": top, "States": {
        &top: {"Type": "Pass", "Next": "Each"},
        "Each": {"Type": "Map", "Items": [1, 2], "End": true, "ItemProcessor": {
            "StartAt": inner, "States": {&inner: {"Type": "Pass", "End": true}}}}}});
    let r = Executor::new().run_blocking(&StateMachine::from_json(&def).unwrap(), json!({}));
    assert_eq!(r.status, Status::Succeeded);
    let trace = r.trace();
    let lines: Vec<&str> = trace.lines().collect();
    assert_eq!(lines.len(), 1 + 4, "{trace}");
    assert!(lines[1].starts_with(&top), "{trace}");
    assert!(lines[3].starts_with(&format!("  [item 0] {inner} ")), "{trace}");
    // Every row is as long as the header, in characters: no name pushed its columns right.
    let width = lines[0].chars().count();
    for line in &lines {
        assert_eq!(line.chars().count(), width, "misaligned row:\n{trace}");
    }
    // And the columns after the name start at one place: the header's TYPE over every type.
    let type_at = lines[0].find("TYPE").unwrap();
    let column = |line: &str| line.chars().skip(lines[0][..type_at].chars().count()).take(9).collect::<String>();
    let types: Vec<String> = lines[1..].iter().map(|l| column(l).trim_end().to_owned()).collect();
    assert_eq!(types, ["Pass", "Map", "Pass", "Pass"], "{trace}");
}

#[test]
fn short_names_keep_the_40_character_column() {
    let def = json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}});
    let r = Executor::new().run_blocking(&StateMachine::from_json(&def).unwrap(), json!({}));
    let trace = r.trace();
    let row = trace.lines().nth(1).unwrap();
    assert_eq!(&row[..41], format!("{:<40} ", "A"), "{trace}");
    assert!(row[41..].starts_with("Succeed"), "{trace}");
}
