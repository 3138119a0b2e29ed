//! The golden workflows, one construct per file, and the table the tests walk.

pub mod branch_return;
pub mod callback;
pub mod catch;
pub mod child;
pub mod choice;
pub mod common;
pub mod distributed;
pub mod enumerate;
pub mod join;
pub mod let_else;
pub mod map;
pub mod overrides;
pub mod parallel;
pub mod returns;
pub mod semantics;
pub mod sequential;
pub mod strings;
pub mod wait;
pub mod wait_millis;

use stepcraft::Workflow;

/// A golden case: its file name and its definition as JSON.
pub type Case = (&'static str, fn() -> String);

/// Every golden case.
pub const CASES: &[Case] = &[
    ("branch_return", <branch_return::branch_return as Workflow>::definition_json),
    ("callback", <callback::approval as Workflow>::definition_json),
    ("catch", <catch::catch as Workflow>::definition_json),
    ("child", <child::child as Workflow>::definition_json),
    ("choice", <choice::choice as Workflow>::definition_json),
    ("distributed", <distributed::distributed as Workflow>::definition_json),
    ("enumerate", <enumerate::enumerate as Workflow>::definition_json),
    ("join", <join::join as Workflow>::definition_json),
    ("let_else", <let_else::let_else as Workflow>::definition_json),
    ("map", <map::map as Workflow>::definition_json),
    ("overrides", <overrides::overrides as Workflow>::definition_json),
    ("parallel", <parallel::parallel as Workflow>::definition_json),
    ("returns", <returns::returns as Workflow>::definition_json),
    ("semantics_rebook", <semantics::rebook as Workflow>::definition_json),
    ("semantics_recheck", <semantics::recheck as Workflow>::definition_json),
    ("semantics_reraise", <semantics::reraise as Workflow>::definition_json),
    ("semantics_requote", <semantics::requote as Workflow>::definition_json),
    ("sequential", <sequential::sequential as Workflow>::definition_json),
    ("strings", <strings::name_length as Workflow>::definition_json),
    ("wait", <wait::wait as Workflow>::definition_json),
    ("wait_millis", <wait_millis::wait_millis as Workflow>::definition_json),
];
