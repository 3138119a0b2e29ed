//! Fuzz target: the workflow compiler (`stepcraft-macros-core`), driven as a library through
//! `expand_workflow(args, item)` on generated workflows: attribute arguments and bodies built
//! from the constructs the compiler supports (activity calls with `?`, `if`/`else`, `if let`,
//! `match`, `for` over a collection, `sleep`, `try_join!`, `let … else`, `#[task(..)]`,
//! `callback`, `return Err(..)`, struct literals, `format!`, adversarial string literals) and
//! from constructs it refuses, then mutated word by word.
//!
//! A case passes when the compiler returns without panicking, and its output is either code
//! (naming the workflow) or the user's item followed by `compile_error!`s, each with a
//! message and each placed on a token of the input (not at the call site).

use super::Gen;
use proc_macro2::{Span, TokenStream, TokenTree};
use std::str::FromStr;

const FIELDS: &[&str] = &[
    "order.total_cents",
    "order.express",
    "order.items",
    "order.country",
    "order.coupon",
    "order.customer.email_address",
    "order.customer.tier",
    "order.id",
];
const ACTIVITIES: &[&str] = &["review", "notify", "charge", "pack"];
const WORDS: &[&str] = &[
    "let",
    "mut",
    "if",
    "else",
    "match",
    "for",
    "in",
    "return",
    "await",
    "?",
    ";",
    "=",
    "==",
    "&&",
    "||",
    "!",
    ".",
    "clone()",
    "Ok(",
    "Err(",
    "Some(x)",
    "None",
    "loop",
    "while",
    "unsafe",
    "move",
    "async",
    "|x|",
    "=>",
    "_",
    "0",
    "1u8",
    "\"s\"",
    "'c'",
    "1.5",
    "self",
    "super",
    "crate",
    "std::env::var(\"X\")",
    "rand()",
    "Instant::now()",
    "as",
    "u32",
    "&",
    "*",
    "..",
    "..=",
    "#[task(retry(max_attempts = 2))]",
    "sleep(Duration::from_secs(1)).await",
];

struct Body<'g, 'a> {
    g: &'g mut Gen<'a>,
    vars: Vec<String>,
    out: String,
    next: usize,
}

impl Body<'_, '_> {
    fn var(&mut self) -> String {
        self.next += 1;
        let name = format!("v{}", self.next);
        self.vars.push(name.clone());
        name
    }

    fn string_lit(&mut self) -> String {
        let s = if self.g.chance(1, 2) { self.g.nasty_string(4) } else { "hello".to_owned() };
        format!("{s:?}")
    }

    fn value(&mut self, depth: usize) -> String {
        match self.g.below(if depth == 0 { 5 } else { 9 }) {
            0 | 1 => format!("{}.clone()", self.g.pick(FIELDS)),
            2 if !self.vars.is_empty() => format!("{}.clone()", self.g.pick(&self.vars)),
            2 | 3 => format!("{}.to_string()", self.string_lit()),
            4 => format!("{}", self.g.range(-5, 100_000)),
            5 => format!("format!(\"{{}} {}\", {})", self.g.pick(&["x", "%}", "{{%", "\\\""]), self.value(depth - 1)),
            6 => format!("Message {{ to: {}, text: {}.into() }}", self.value(depth - 1), self.string_lit()),
            7 => format!("{}.len() as u64", self.g.pick(FIELDS)),
            _ => format!("vec![{}, {}]", self.value(depth - 1), self.value(depth - 1)),
        }
    }

    fn condition(&mut self, depth: usize) -> String {
        match self.g.below(if depth == 0 { 4 } else { 7 }) {
            0 => format!("{} > {}", self.g.pick(FIELDS), self.g.range(0, 1000)),
            1 => format!("{}.is_empty()", self.g.pick(FIELDS)),
            2 => format!("{} == {}", self.g.pick(FIELDS), self.string_lit()),
            3 => "order.express".to_owned(),
            4 => format!("{} && {}", self.condition(depth - 1), self.condition(depth - 1)),
            5 => format!("!({})", self.condition(depth - 1)),
            _ => format!("{} || {}", self.condition(depth - 1), self.condition(depth - 1)),
        }
    }

    fn call(&mut self) -> String {
        let activity = self.g.pick(ACTIVITIES);
        let arg = self.value(1);
        format!("{activity}({arg})")
    }

    /// The body's own statements (their bindings stay known to the final `Ok`).
    fn statement_list(&mut self, depth: usize) -> bool {
        for _ in 0..1 + self.g.below(5) {
            if self.statement(depth) {
                return true;
            }
        }
        false
    }

    /// A block's statements; whether the block returned. Bindings made inside go out of scope.
    fn statements(&mut self, depth: usize) -> bool {
        let scope = self.vars.len();
        let mut returned = false;
        for _ in 0..1 + self.g.below(4) {
            if self.statement(depth) {
                returned = true;
                break;
            }
        }
        self.vars.truncate(scope);
        returned
    }

    /// One statement; whether it returned.
    fn statement(&mut self, depth: usize) -> bool {
        let choice = self.g.below(if depth == 0 { 6 } else { 13 });
        match choice {
            0 | 1 => {
                let call = self.call();
                let v = self.var();
                self.out.push_str(&format!("let {v} = {call}.await?;\n"));
            }
            2 => {
                let value = self.value(2);
                let v = self.var();
                self.out.push_str(&format!("let {v} = {value};\n"));
            }
            3 => {
                let secs = self.g.pick(&["0", "1", "3600", "31536000", "99999999999", "u64::MAX"]);
                self.out.push_str(&format!("sleep(Duration::from_secs({secs})).await;\n"));
            }
            4 => {
                let lit = self.string_lit();
                self.out.push_str(&format!("return Err(OrderError::Rejected {{ reason: {lit}.into() }});\n"));
                return true;
            }
            5 => {
                let (a, b) = (self.call(), self.call());
                let (x, y) = (self.var(), self.var());
                self.out.push_str(&format!("let ({x}, {y}) = try_join!({a}, {b})?;\n"));
            }
            6 | 7 => {
                let cond = self.condition(2);
                self.out.push_str(&format!("if {cond} {{\n"));
                let then_returns = self.statements(depth - 1);
                let else_returns = self.g.chance(1, 2) && {
                    self.out.push_str("} else {\n");
                    self.statements(depth - 1)
                };
                self.out.push_str("}\n");
                if then_returns && else_returns {
                    return true;
                }
            }
            8 => {
                self.out.push_str("if let Some(code) = order.coupon.clone() {\n");
                let scope = self.vars.len();
                self.vars.push("code".into());
                self.statements(depth - 1);
                self.vars.truncate(scope);
                self.out.push_str("}\n");
            }
            9 => {
                let v = self.var();
                let (a, b) = (self.string_lit(), self.string_lit());
                let (c, d) = (self.string_lit(), self.string_lit());
                self.out
                    .push_str(&format!("let {v} = match order.country.as_str() {{ {a} | {b} => {c}, _ => {d} }};\n"));
            }
            10 => {
                let activity = self.g.pick(ACTIVITIES);
                self.out.push_str(&format!(
                    "let mut parcels = Vec::new();\nfor item in order.items.clone() {{ parcels.push({activity}(item).await?); }}\n"
                ));
            }
            11 => {
                let attr = self.g.pick(&[
                    "#[task(retry(errors = [\"Busy\"], interval = \"1s\", max_attempts = 2))]",
                    "#[task(timeout = \"5s\")]",
                    "#[task(name = \"A \\\"quoted\\\" %} name\")]",
                    "#[task(retry(max_attempt = 1))]",
                    "#[task(catch)]",
                ]);
                let call = self.call();
                let v = self.var();
                self.out.push_str(&format!("{attr}\nlet {v} = {call}.await?;\n"));
            }
            _ => {
                let lit = self.string_lit();
                self.out.push_str(&format!(
                    "let Some(c) = order.coupon.clone() else {{ return Err(OrderError::Rejected {{ reason: {lit}.into() }}); }};\n"
                ));
                self.vars.push("c".into());
            }
        }
        false
    }
}

/// The attribute's arguments.
fn args(g: &mut Gen<'_>) -> String {
    let mut parts = Vec::new();
    for _ in 0..g.below(3) {
        parts.push(match g.below(8) {
            0 => format!("timeout = {:?}", g.pick(&["1d", "30s", "0s", "10 seconds", "1y", "", "99999999999s"])),
            1 => format!("comment = {:?}", g.nasty_string(4)),
            2 => format!("name = {:?}", g.nasty_string(3)),
            3 => "express".to_owned(),
            4 => "crate = \"::stepcraft\"".to_owned(),
            5 => "retry(max_attempts = 3)".to_owned(),
            6 => format!("{} = 1", g.pick(&["timeout", "bogus", "name"])),
            _ => "timeout = \"1h\"".to_owned(),
        });
    }
    parts.join(", ")
}

/// A generated workflow: its attribute arguments and its item, as source text.
pub fn generate(g: &mut Gen<'_>) -> (String, String) {
    let mut body = Body { g, vars: Vec::new(), out: String::new(), next: 0 };
    let depth = 1 + body.g.below(3);
    let returned = body.statement_list(depth);
    let last = match body.g.below(4) {
        _ if returned => String::new(),
        0 if !body.vars.is_empty() => format!("Ok({})", body.g.pick(&body.vars)),
        1 => "Ok(Message { to: order.customer.email_address.clone(), text: \"done\".into() })".to_owned(),
        _ => {
            let value = body.value(2);
            format!("Ok({value})")
        }
    };
    let params = if body.g.chance(4, 5) {
        "order: Order"
    } else {
        body.g.pick(&["order: Order, extra: u32", "mut order: Order", "", "order: &Order"])
    };
    let asyncness = if body.g.chance(1, 20) { "" } else { "async " };
    let name = body.g.pick(&["flow", "r#match", "checkout_saga", "_x"]);
    let item = format!("pub {asyncness}fn {name}({params}) -> Result<Message, OrderError> {{\n{}{last}\n}}", body.out);
    (args(g), item)
}

/// `text` with a few words deleted, repeated, swapped or replaced.
fn mutate_words(g: &mut Gen<'_>, text: &str) -> String {
    let mut words: Vec<String> = text.split(' ').map(str::to_owned).collect();
    for _ in 0..1 + g.below(3) {
        let i = g.below(words.len());
        match g.below(4) {
            0 => {
                words.remove(i);
                if words.is_empty() {
                    words.push(String::new());
                }
            }
            1 => {
                let w = words[i].clone();
                words.insert(i, w);
            }
            2 => {
                let j = g.below(words.len());
                words.swap(i, j);
            }
            _ => words[i] = g.pick(WORDS).to_owned(),
        }
    }
    words.join(" ")
}

/// One case: a generated workflow (mutated one time in three), expanded and checked.
pub fn case(g: &mut Gen<'_>) {
    let (args, mut item) = generate(g);
    if g.chance(1, 3) {
        item = mutate_words(g, &item);
    }
    check(&args, &item);
    proc_macro2::extra::invalidate_current_thread_spans();
}

/// Expands `#[workflow(args)] item` (text that is not an item is skipped: rustc would not call
/// the macro) and checks the output.
pub fn check(args: &str, item: &str) {
    let (Ok(args_tokens), Ok(item_tokens)) = (TokenStream::from_str(args), TokenStream::from_str(item)) else {
        return;
    };
    // rustc calls an attribute macro only on an item it has parsed.
    if syn::parse2::<syn::Item>(item_tokens.clone()).is_err() {
        return;
    }
    let output = stepcraft_macros_core::expand_workflow(args_tokens, item_tokens);
    let errors = compile_errors(&output);
    if errors.is_empty() {
        let text = output.to_string();
        assert!(text.contains("Workflow"), "code for the workflow is emitted:\n{item}");
    }
    for (message, span) in errors {
        assert!(!message.trim().is_empty(), "an error has a message:\n{item}");
        let range = span.byte_range();
        assert!(
            range != (0..0),
            "the error `{message}` is placed at the call site, not on the user's tokens, for #[workflow({args})]\n{item}"
        );
    }
}

/// The `compile_error!("…")` invocations of `tokens`: each message and its span.
pub fn compile_errors(tokens: &TokenStream) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    for (i, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Ident(ident) if ident == "compile_error" => {
                if let Some(TokenTree::Group(group)) = trees.get(i + 2)
                    && let Some(TokenTree::Literal(lit)) = group.stream().into_iter().next()
                {
                    let message =
                        syn::parse_str::<syn::LitStr>(&lit.to_string()).map(|l| l.value()).unwrap_or_default();
                    out.push((message, lit.span()));
                }
            }
            TokenTree::Group(group) => out.extend(compile_errors(&group.stream())),
            _ => {}
        }
    }
    out
}
