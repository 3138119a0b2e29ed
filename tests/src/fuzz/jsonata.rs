//! Fuzz target: the JSONata engine (`stepcraft-jsonata`), parser and evaluator, on random
//! expressions (the grammar of `runtime/jsonata/oracle/fuzz-gen.py`, widened, then mutated as
//! text) and random values. A case passes when parsing and evaluating return (a value,
//! undefined or an error) without a panic, a stack overflow, or more than [`TIME_BUDGET`].
//!
//! Evaluation runs with a step budget of [`STEP_BUDGET`] nodes, as the local executor's
//! callers can: past it the engine answers `U1001`.

use super::Gen;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use stepcraft_jsonata::{Env, Expression};

/// Evaluation steps a fuzzed expression may take.
pub const STEP_BUDGET: u64 = 200_000;

/// Wall-clock time a case (parse and evaluate, step budget included) may take.
pub const TIME_BUDGET: Duration = Duration::from_secs(5);

const NAMES: &[&str] = &["a", "b", "c", "d", "Price", "items", "x", "`k k`", "`a.b`", "Order", "missing"];
const FUNCS: &[&str] = &[
    "$string",
    "$length",
    "$uppercase",
    "$trim",
    "$number",
    "$abs",
    "$floor",
    "$round",
    "$count",
    "$sum",
    "$max",
    "$keys",
    "$reverse",
    "$sort",
    "$distinct",
    "$boolean",
    "$not",
    "$exists",
    "$type",
    "$spread",
    "$append",
    "$split",
    "$join",
    "$substring",
    "$pad",
    "$formatNumber",
    "$formatBase",
    "$formatInteger",
    "$parseInteger",
    "$merge",
    "$lookup",
    "$contains",
    "$replace",
    "$match",
    "$average",
    "$min",
    "$zip",
    "$base64encode",
    "$base64decode",
    "$encodeUrlComponent",
    "$encodeUrl",
    "$decodeUrl",
    "$decodeUrlComponent",
    "$sqrt",
    "$power",
    "$substringBefore",
    "$substringAfter",
    "$lowercase",
    "$ceil",
    "$clone",
    "$each",
    "$sift",
    "$map",
    "$filter",
    "$reduce",
    "$single",
    "$toMillis",
    "$fromMillis",
    "$eval",
    "$assert",
    "$error",
    "$partition",
    "$range",
    "$hash",
    "$parse",
];
const LITERALS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2.5",
    "1e3",
    "1e308",
    "5e-324",
    "123456789012345678",
    "'s'",
    "'a,b'",
    "''",
    "'Hello'",
    "true",
    "false",
    "null",
    "[]",
    "{}",
    "[1,2,3]",
    "['x','y']",
    "{'a':1,'b':[2,3]}",
    "0.1",
    "'#,##0.0'",
    "'2024-01-02T03:04:05Z'",
    "'w'",
    "'[Y]'",
    "/[a-z]+/",
    "/b/i",
    "/(a|b)*c/",
    "'\\u00e9'",
    "\"\\\"\"",
    "'%}'",
];
const OPS: &[&str] =
    &["+", "-", "*", "/", "%", "=", "!=", "<", ">", "<=", ">=", "&", "and", "or", "in", "~>", "..", "??", "?:"];
const LAMBDAS: &[&str] = &[
    "function($v){$v}",
    "function($v,$i){$i}",
    "function($a,$b){$a}",
    "function($v){$v > 1}",
    "function($v,$k){$k}",
    "function($f){$f($f)}",
    "λ($x){$x * 2}",
];

/// A random JSONata expression, at most `depth` deep.
pub fn expression(g: &mut Gen<'_>, depth: usize) -> String {
    if depth == 0 || g.chance(1, 4) {
        return match g.below(10) {
            0..=4 => g.pick(LITERALS).to_owned(),
            5..=7 => g.pick(NAMES).to_owned(),
            8 => g.pick(&["$", "$$", "$x", "$states.input", "%", "*", "**"]).to_owned(),
            _ => format!("{:?}", g.nasty_string(3)),
        };
    }
    let d = depth - 1;
    match g.below(33) {
        0..=7 => {
            let step = match g.below(6) {
                0 => "*".to_owned(),
                1 => "($)".to_owned(),
                2 => format!("[{}]", g.range(-3, 3)),
                3 => format!("({})", expression(g, d.saturating_sub(1))),
                _ => g.pick(NAMES).to_owned(),
            };
            format!("{}.{step}", expression(g, d))
        }
        8..=13 => format!("({} {} {})", expression(g, d), g.pick(OPS), expression(g, d)),
        14..=19 => {
            let n = g.below(4);
            let args: Vec<String> =
                (0..n).map(|_| if g.chance(1, 4) { g.pick(LAMBDAS).to_owned() } else { expression(g, d) }).collect();
            format!("{}({})", g.pick(FUNCS), args.join(", "))
        }
        20..=21 => format!("{}[{}]", expression(g, d), expression(g, d)),
        22..=23 => {
            let n = g.below(4);
            let items: Vec<String> = (0..n).map(|_| expression(g, d)).collect();
            format!("[{}]", items.join(", "))
        }
        24..=25 => {
            let n = g.below(3);
            let pairs: Vec<String> = (0..n)
                .map(|_| format!("{}: {}", g.pick(&["'k'", "'a'", "a", "'z'", "$string($)"]), expression(g, d)))
                .collect();
            format!("{{{}}}", pairs.join(", "))
        }
        26 => format!("{} ? {} : {}", expression(g, d), expression(g, d), expression(g, d)),
        27 => format!("($x := {}; {})", expression(g, d), expression(g, d)),
        28 => format!("{}^({})", expression(g, d), g.pick(&["$", ">$", "a", "<b", ">Price, a"])),
        29 => format!("{}{{{}: {}}}", expression(g, d), g.pick(&["'k'", "a", "$string($)"]), expression(g, d)),
        30 => format!("{}#$i@$o.[$i, $o]", expression(g, d)),
        31 => format!(
            "($f := function($n){{$n <= 0 ? 0 : $f($n - 1) + 1}}; $f({}))",
            g.pick(&["3", "100", "5000", "1e9"])
        ),
        _ => format!("-{}", expression(g, d)),
    }
}

/// A random JSON value, at most `depth` deep.
pub fn value(g: &mut Gen<'_>, depth: usize) -> Value {
    match g.below(if depth == 0 { 6 } else { 9 }) {
        0 => Value::Null,
        1 => Value::Bool(g.chance(1, 2)),
        2 => json!(g.range(-1000, 1000)),
        3 => g.pick(&[json!(0.1), json!(-0.0), json!(1e308), json!(5e-324), json!(9007199254740993u64), json!(2.5)]),
        4 | 5 => Value::String(if g.chance(1, 2) {
            g.pick(&["a", "x", "p", "4", "Hello"]).to_owned()
        } else {
            g.nasty_string(4)
        }),
        6 | 7 => {
            let n = g.below(5);
            let mut map = serde_json::Map::new();
            for _ in 0..n {
                let key = if g.chance(3, 4) { g.pick(NAMES).trim_matches('`').to_owned() } else { g.nasty_string(2) };
                map.insert(key, value(g, depth - 1));
            }
            Value::Object(map)
        }
        _ => Value::Array((0..g.below(5)).map(|_| value(g, depth - 1)).collect()),
    }
}

/// Text that nests `depth` times: the engine must answer it (an error counts), not overflow.
fn deep(g: &mut Gen<'_>) -> String {
    let depth = g.pick(&[100usize, 1_000, 10_000, 50_000]);
    let (open, close) = g.pick(&[("(", ")"), ("[", "]"), ("$string(", ")"), ("{'a':", "}"), ("-", ""), ("$not(", ")")]);
    let mut s = open.repeat(depth);
    s.push('1');
    s.push_str(&close.repeat(depth));
    if g.chance(1, 4) {
        s.truncate(s.len() - close.len().min(s.len()));
    }
    s
}

/// One case: an expression (grammar, mutated text or deep nesting), an input and a binding.
pub fn case(g: &mut Gen<'_>) {
    let src = match g.below(10) {
        0 => deep(g),
        1..=3 => {
            let text = expression(g, 4);
            let mut text = g.mutate_text(&text);
            if g.chance(1, 2) {
                text = g.mutate_text(&text);
            }
            text
        }
        _ => {
            let depth = 1 + g.below(5);
            expression(g, depth)
        }
    };
    let input = if g.chance(1, 8) { None } else { Some(value(g, 3)) };
    let x = value(g, 2);
    check(&src, input.as_ref(), &x, g.chance(1, 2));
}

/// Parses and evaluates `src`: any answer is fine, a panic or a blow-up is not.
pub fn check(src: &str, input: Option<&Value>, x: &Value, step_functions: bool) {
    let started = Instant::now();
    let parsed = Expression::parse(src);
    if let Ok(expression) = parsed {
        let env = Env::new().with_step_functions(step_functions).with_max_steps(STEP_BUDGET).bind("x", x);
        let result = expression.evaluate_opt(input, &env);
        if let Ok(Some(value)) = &result {
            // The result is JSON: it serialises.
            serde_json::to_string(value).expect("a result serialises");
        }
    }
    let took = started.elapsed();
    assert!(took <= TIME_BUDGET, "{src:?} took {took:?}, over the budget of {TIME_BUDGET:?}");
}

/// A case for the differential run against jsonata-js: the reference's input shape
/// (`{expr, input, bindings}`), deterministic functions only.
pub fn differential_case(g: &mut Gen<'_>) -> Value {
    let inputs = [
        json!({"a": 1, "b": [1, 2, {"c": "x"}], "c": {"d": [3, "4"], "a": 2.5},
               "items": [{"Price": 1.1, "x": "p"}, {"Price": 2.2}], "x": "str", "k k": true, "d": null}),
        json!([1, {"a": [2, 3]}, "s", [4, [5]]]),
        value(g, 3),
    ];
    // Deep recursion is left out: jsonata-js recurses without a bound (for minutes), this crate
    // stops at its depth and step limits by design.
    let expr = loop {
        let depth = 1 + g.below(4);
        let expr = expression(g, depth);
        if !expr.contains("$f :=") {
            break expr;
        }
    };
    let input = g.pick(&inputs);
    let x = g.pick(&[json!(1), json!("v"), json!([1, 2]), json!({"a": 1})]);
    json!({"expr": expr, "input": input, "bindings": {"x": x}})
}
