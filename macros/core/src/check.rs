//! Check stage: rules that need more than one attribute or one item.

use crate::ast::Handler;
use crate::ctxt::Ctxt;
use std::sync::Mutex;

/// The handlers seen in this compiler process: (crate, function).
static HANDLERS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

// A `#[handler]` is its binary's `main`; a second one in the same crate would be a second
// `main`, which rustc reports without saying what to do. One rustc process compiles one
// crate, so the proc-macro's memory sees every handler of the binary. A handler expanded again
// (an IDE re-expanding the same function) is recognised by its name.
/// Returns whether this handler is the binary's entry point.
pub fn check_one_handler_per_binary(cx: &Ctxt, handler: &Handler<'_>) -> bool {
    let krate = std::env::var("CARGO_CRATE_NAME").unwrap_or_default();
    let name = handler.original.sig.ident.to_string();
    let mut seen = HANDLERS.lock().unwrap_or_else(|e| e.into_inner());
    let first = seen.iter().find(|(k, _)| *k == krate).map(|(_, n)| n.clone());
    match first {
        Some(first) if first != name => {
            cx.error_at(
                proc_macro2::Span::call_site(),
                format!(
                    "a binary has one `#[handler]`, its entry point, and `{first}` is already this binary's; \
                 move `{name}` to a binary of its own (`src/bin/{name}.rs`), or make both `#[activity]` \
                 functions hosted together with `stepcraft::main!({first}, {name})`"
                ),
            );
            false
        }
        Some(_) => true,
        None => {
            seen.push((krate, name));
            true
        }
    }
}
