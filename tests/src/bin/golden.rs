//! The golden workflows and their activities in one binary, as a user's crate would host them:
//! `golden list`, `golden synth --out DIR`, `golden invoke NAME --input JSON`. The third-party
//! interpreter tests answer Lambda tasks with its activities.

#[allow(dead_code, reason = "the table of cases serves the golden test")]
#[path = "../../golden/mod.rs"]
mod golden;

use golden::{
    branch_return, callback, catch, child, choice, common, distributed, enumerate, join, let_else, map, overrides,
    parallel, returns, semantics, sequential, strings, wait, wait_millis,
};

stepcraft::main!(
    sequential::sequential,
    strings::name_length,
    catch::catch,
    choice::choice,
    parallel::parallel,
    join::join,
    map::map,
    wait::wait,
    wait_millis::wait_millis,
    branch_return::branch_return,
    let_else::let_else,
    enumerate::enumerate,
    distributed::distributed,
    distributed::check_stock,
    returns::returns,
    child::child,
    overrides::overrides,
    callback::approval,
    callback::ask_manager,
    semantics::reraise,
    semantics::ask_adjuster,
    semantics::rebook,
    semantics::book_room,
    semantics::recheck,
    semantics::ask_desk,
    semantics::requote,
    semantics::ask_supplier,
    common::reserve,
    common::charge,
    common::release,
    common::notify,
    common::pack,
    common::review,
);
