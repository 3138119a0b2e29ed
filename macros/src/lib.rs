//! Procedural macros of stepcraft. Each is a shim: it hands its input to the compiler in
//! `stepcraft-macros-core` and returns what it emits. Use them through the `stepcraft` crate.

use proc_macro::TokenStream;

/// Turns `async fn(Input) -> Result<Output, E>` into an activity. See `stepcraft::activity`.
#[proc_macro_attribute]
pub fn activity(args: TokenStream, item: TokenStream) -> TokenStream {
    stepcraft_macros_core::expand_activity(args.into(), item.into()).into()
}

/// Turns an `async fn` into a Lambda function's `main`. See `stepcraft::handler`.
#[proc_macro_attribute]
pub fn handler(args: TokenStream, item: TokenStream) -> TokenStream {
    stepcraft_macros_core::expand_handler(args.into(), item.into()).into()
}

/// Compiles an `async fn` into a Step Functions state machine. See `stepcraft::workflow`.
#[proc_macro_attribute]
pub fn workflow(args: TokenStream, item: TokenStream) -> TokenStream {
    stepcraft_macros_core::expand_workflow(args.into(), item.into()).into()
}

/// Describes a type's JSON names (after serde renames) to workflows. See `stepcraft::Data`.
#[proc_macro_derive(Data, attributes(serde))]
pub fn derive_data(item: TokenStream) -> TokenStream {
    stepcraft_macros_core::expand_data(item.into()).into()
}

/// Gives every variant of an error enum a stable name. See `stepcraft::Error`.
#[proc_macro_derive(Error, attributes(stepcraft))]
pub fn derive_error(item: TokenStream) -> TokenStream {
    stepcraft_macros_core::expand_error(item.into()).into()
}
