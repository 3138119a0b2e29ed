//! The golden workflows, one construct per file, and the table the tests walk.

pub mod callback;
pub mod catch;
pub mod child;
pub mod choice;
pub mod common;
pub mod join;
pub mod map;
pub mod overrides;
pub mod parallel;
pub mod returns;
pub mod sequential;
pub mod wait;

use stepcraft::Workflow;

/// A golden case: its file name and its definition as JSON.
pub type Case = (&'static str, fn() -> String);

/// Every golden case.
pub const CASES: &[Case] = &[
    ("callback", <callback::approval as Workflow>::definition_json),
    ("catch", <catch::catch as Workflow>::definition_json),
    ("child", <child::child as Workflow>::definition_json),
    ("choice", <choice::choice as Workflow>::definition_json),
    ("join", <join::join as Workflow>::definition_json),
    ("map", <map::map as Workflow>::definition_json),
    ("overrides", <overrides::overrides as Workflow>::definition_json),
    ("parallel", <parallel::parallel as Workflow>::definition_json),
    ("returns", <returns::returns as Workflow>::definition_json),
    ("sequential", <sequential::sequential as Workflow>::definition_json),
    ("wait", <wait::wait as Workflow>::definition_json),
];
