//! Fuzz target: escaping in the JSONata that `stepcraft::expr` (the one place that writes it)
//! emits. Every string that can reach an expression is generated adversarially — quotes,
//! backslashes, `%}` and `{%`, backquotes, unicode, newlines — as literal values (strings,
//! and strings inside arrays and objects), JSON field names after serde renames, object keys,
//! enum variant names and tags; the emitted template is parsed and evaluated by the JSONata
//! engine, as Step Functions would, and must give back exactly the value the Rust had.
//!
//! Names come from [`Dynamic`], a [`Data`] whose JSON names are chosen per case (interned:
//! `Data` hands out `&'static str`, so the pool is capped and reused past [`POOL`] names).

use super::Gen;
use serde_json::{Map, Value, json};
use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::Mutex;
use stepcraft::data::{Data, Field, Repr, Variant};
use stepcraft::expr::{self, Any, Expr};
use stepcraft_jsonata::{Env, Expression, is_jsonata_template};

/// Distinct names interned before names are reused.
pub const POOL: usize = 50_000;

fn intern(g: &mut Gen<'_>, name: String) -> &'static str {
    static NAMES: Mutex<Option<(HashSet<&'static str>, Vec<&'static str>)>> = Mutex::new(None);
    let mut guard = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    let names = guard.get_or_insert_with(Default::default);
    if let Some(existing) = names.0.get(name.as_str()) {
        return existing;
    }
    if names.1.len() >= POOL {
        let i = g.below(names.1.len());
        return names.1[i];
    }
    let leaked: &'static str = Box::leak(name.into_boxed_str());
    names.0.insert(leaked);
    names.1.push(leaked);
    leaked
}

/// How the current case names things: Rust field `f{i}` is JSON key `keys[i]`; the enum's
/// variant `V` is `variant` in representation `repr`.
#[derive(Debug, Clone)]
struct Names {
    keys: Vec<&'static str>,
    variant: &'static str,
    repr: Repr,
}

thread_local! {
    static NAMES: RefCell<Names> = const { RefCell::new(Names { keys: Vec::new(), variant: "V", repr: Repr::External }) };
}

/// A struct (and enum) whose serde names are the current case's.
#[derive(Debug)]
pub struct Dynamic {
    next: Value,
}

fn probe(d: &Dynamic) -> &Value {
    &d.next
}

fn probe_dynamic(d: &Dynamic) -> &Dynamic {
    d
}

impl Data for Dynamic {
    fn json_field(field: &str) -> Option<Field> {
        let i: usize = field.strip_prefix('f')?.parse().ok()?;
        NAMES.with(|n| n.borrow().keys.get(i).map(|k| Field::Key(k)))
    }
    fn json_variant(variant: &str) -> Option<Variant> {
        (variant == "V")
            .then(|| NAMES.with(|n| Variant { name: n.borrow().variant, repr: n.borrow().repr, unit: true }))
    }
}

/// A JSON value full of adversarial strings.
fn value(g: &mut Gen<'_>, depth: usize) -> Value {
    match g.below(if depth == 0 { 4 } else { 6 }) {
        0 | 1 => Value::String(g.nasty_string(6)),
        2 => g.pick(&[json!(null), json!(true), json!(0), json!(-1.5), json!(1e21), json!(9007199254740992u64)]),
        3 => Value::String(format!("{{%{}%}}", g.nasty_string(3))),
        4 => Value::Array((0..g.below(4)).map(|_| value(g, depth - 1)).collect()),
        _ => {
            let mut map = Map::new();
            for _ in 0..g.below(4) {
                map.insert(g.nasty_string(3), value(g, depth - 1));
            }
            Value::Object(map)
        }
    }
}

/// Evaluates a state's template as Step Functions does: a string that is a `{% … %}` template
/// is evaluated, objects and arrays are walked, anything else is itself.
pub fn evaluate_template(template: &Value, states: &Value) -> Result<Value, String> {
    match template {
        Value::String(s) => match is_jsonata_template(s) {
            Some(source) => {
                let expression = Expression::parse(source).map_err(|e| format!("{s:?} does not parse: {e}"))?;
                let env = Env::step_functions().bind("states", states);
                match expression.evaluate_opt(None, &env) {
                    Ok(Some(v)) => Ok(v),
                    Ok(None) => Err(format!("{s:?} is undefined")),
                    Err(e) => Err(format!("{s:?} fails: {e}")),
                }
            }
            None => Ok(template.clone()),
        },
        Value::Array(items) => {
            items.iter().map(|i| evaluate_template(i, states)).collect::<Result<_, _>>().map(Value::Array)
        }
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| Ok((k.clone(), evaluate_template(v, states)?)))
            .collect::<Result<Map<_, _>, String>>()
            .map(Value::Object),
        other => Ok(other.clone()),
    }
}

/// Parses and evaluates an expression's source.
fn evaluate_source(source: &str, states: &Value) -> Result<Value, String> {
    evaluate_template(&Value::String(format!("{{% {source} %}}")), states)
}

fn assert_same(what: &str, got: Result<Value, String>, expected: &Value) {
    match got {
        Ok(v) => assert!(super::json_eq(&v, expected), "{what}: evaluates to {v}, not {expected}"),
        Err(e) => panic!("{what}: {e} (expected {expected})"),
    }
}

/// Checks one literal value in all three of its spellings: source, template, output template.
pub fn check_literal(v: &Value) {
    let e: Expr<Any> = expr::lit(v.clone());
    let states = json!({});
    assert_same(&format!("the source {:?}", e.source()), evaluate_source(&e.source(), &states), v);
    assert_same(&format!("the template {}", e.template()), evaluate_template(&e.template(), &states), v);
    assert_same(
        &format!("the template string {:?}", e.template_string()),
        evaluate_template(&json!(e.template_string()), &states),
        v,
    );
}

/// Checks reading a field (nested two deep) whose JSON name is `outer`, then `inner`.
pub fn check_field(outer: &'static str, inner: &'static str, leaf: &Value) {
    NAMES.with(|n| n.borrow_mut().keys = vec![outer, inner]);
    let input = expr::input::<Dynamic>();
    let first = expr::field(&input, "f0", probe_dynamic);
    let second = expr::field(&first, "f1", probe);
    let mut doc = Map::new();
    doc.insert(outer.to_owned(), json!({ inner: leaf.clone() }));
    let states = json!({"context": {"Execution": {"Input": Value::Object(doc.clone())}}});
    assert_same(
        &format!("`{outer:?}.{inner:?}` read as {:?}", second.source()),
        evaluate_source(&second.source(), &states),
        leaf,
    );
    assert_same(
        &format!("`{outer:?}` read as {:?}", first.source()),
        evaluate_source(&first.source(), &states),
        &doc[outer],
    );
}

/// Checks building a struct whose fields' JSON names are `keys`.
pub fn check_object(keys: Vec<&'static str>, values: &[Value]) {
    NAMES.with(|n| n.borrow_mut().keys = keys.clone());
    let names: Vec<String> = (0..keys.len()).map(|i| format!("f{i}")).collect();
    let fields: Vec<(&str, Expr<Any>)> =
        names.iter().zip(values).map(|(n, v)| (n.as_str(), expr::lit::<Any>(v.clone()))).collect();
    let built: Expr<Dynamic> = expr::object(fields);
    let mut expected = Map::new();
    for (k, v) in keys.iter().zip(values) {
        expected.insert((*k).to_owned(), v.clone());
    }
    let expected = Value::Object(expected);
    assert_same(
        &format!("the object {}", built.template()),
        evaluate_template(&built.template(), &json!({})),
        &expected,
    );
    assert_same(
        &format!("the object source {:?}", built.source()),
        evaluate_source(&built.source(), &json!({})),
        &expected,
    );
}

/// Checks a unit variant named `name` (tag `tag` when tagged): built, and told apart.
pub fn check_variant(name: &'static str, tag: &'static str, repr: u8) {
    let repr = match repr % 3 {
        0 => Repr::External,
        1 => Repr::Internal { tag },
        _ => Repr::Adjacent { tag, content: "c" },
    };
    NAMES.with(|n| {
        let mut n = n.borrow_mut();
        n.variant = name;
        n.repr = repr;
    });
    let built: Expr<Dynamic> = expr::unit_variant("V");
    let expected = match repr {
        Repr::External => json!(name),
        _ => json!({ tag: name }),
    };
    assert_same(
        &format!("the variant {}", built.template()),
        evaluate_template(&built.template(), &json!({})),
        &expected,
    );
    let states = json!({"context": {"Execution": {"Input": expected}}});
    let test = expr::is_variant(&expr::input::<Dynamic>(), "V");
    assert_same(&format!("the test {:?}", test.source()), evaluate_source(&test.source(), &states), &json!(true));
}

/// One case: a literal, a field read, a struct built, a variant, with adversarial names.
pub fn case(g: &mut Gen<'_>) {
    match g.below(4) {
        0 => {
            let v = value(g, 3);
            // A template-like string inside an array or object literal is a known finding
            // (see tests/fuzz_escaping.rs).
            if v.is_string() || !nested_template(&v) {
                check_literal(&v);
            }
        }
        1 => {
            // A name with a backquote is a known finding (see tests/fuzz_escaping.rs).
            let (outer, inner) = (g.nasty_string(4).replace('`', ""), g.nasty_string(3).replace('`', ""));
            let (outer, inner) = (intern(g, outer), intern(g, inner));
            let leaf = value(g, 1);
            // (Past the pool's size a reused name may be one made for another check.)
            if !outer.contains('`') && !inner.contains('`') {
                check_field(outer, inner, &leaf);
            }
        }
        2 => {
            let mut keys = Vec::new();
            for _ in 0..1 + g.below(3) {
                let name = g.nasty_string(3);
                let key = intern(g, name);
                // A key renamed to "" is a known finding (see tests/fuzz_escaping.rs).
                if !key.is_empty() && !keys.contains(&key) {
                    keys.push(key);
                }
            }
            if keys.is_empty() {
                keys.push("k");
            }
            let values: Vec<Value> = keys
                .iter()
                .map(|_| value(g, 1))
                .map(|v| if v.is_string() || !nested_template(&v) { v } else { json!(null) })
                .collect();
            check_object(keys, &values);
        }
        _ => {
            let (name, tag) = (g.nasty_string(3).replace('`', ""), g.nasty_string(2).replace('`', ""));
            let (name, tag) = (intern(g, name), intern(g, tag));
            let repr = g.below(3) as u8;
            // A tagged variant is an object literal: a template-like name is the known finding.
            if (repr == 0 || !nested_template(&json!(name))) && !name.contains('`') && !tag.contains('`') {
                check_variant(name, tag, repr);
            }
        }
    }
}

/// Whether a string anywhere in `v` is a `{% … %}` template (Step Functions would evaluate it).
pub fn nested_template(v: &Value) -> bool {
    match v {
        Value::String(s) => s.trim_start().starts_with("{%") && s.trim_end().ends_with("%}"),
        Value::Array(items) => items.iter().any(nested_template),
        Value::Object(map) => map.values().any(nested_template),
        _ => false,
    }
}
