//! The JSONata a workflow compiles to, evaluated by the executor's JSONata engine: every form
//! `stepcraft::expr` emits (the one place that emits JSONata) must mean what the Rust it comes
//! from means. The compiler's golden tests show which forms each construct uses; this file shows
//! that each form computes the right value, including at the edges (missing fields, negative
//! division, escapes, enum representations).

use serde_json::{Value, json};
use stepcraft::data::{Data, Field, Repr, Variant};
use stepcraft::expr::{self, Any, Expr};
use stepcraft_jsonata::{Env, Expression};

#[allow(dead_code)]
struct Order {
    order_id: String,
    total: i64,
    ratio: f64,
    tags: Vec<String>,
    note: Option<String>,
    express: bool,
    tier: Tier,
}

#[allow(dead_code)]
enum Tier {
    Gold,
    Custom { pct: u8 },
}

impl Data for Order {
    fn json_field(field: &str) -> Option<Field> {
        Some(Field::Key(match field {
            "order_id" => "orderId",
            "total" => "total",
            "ratio" => "ratio",
            "tags" => "tag list",
            "note" => "note",
            "express" => "express",
            "tier" => "tier",
            _ => return None,
        }))
    }
    fn json_default(field: &str) -> Option<Value> {
        match field {
            "note" => Some(Value::Null),
            "express" => Some(json!(false)),
            _ => None,
        }
    }
}

struct Tagged;

impl Data for Tier {
    fn json_field(_: &str) -> Option<Field> {
        None
    }
    fn json_variant(variant: &str) -> Option<Variant> {
        let (name, unit) = match variant {
            "Gold" => ("gold", true),
            "Custom" => ("custom", false),
            _ => return None,
        };
        Some(Variant { name, repr: Repr::External, unit })
    }
    fn json_variant_field(_: &str, field: &str) -> Option<Field> {
        (field == "pct").then_some(Field::Key("pct"))
    }
}

impl Data for Tagged {
    fn json_field(_: &str) -> Option<Field> {
        None
    }
    fn json_variant(variant: &str) -> Option<Variant> {
        (variant == "Held").then_some(Variant { name: "held", repr: Repr::Internal { tag: "kind" }, unit: true })
    }
}

/// Evaluates `e` with `$order` bound to `order`.
fn eval<T: ?Sized>(e: &Expr<T>, order: &Value) -> Option<Value> {
    let source = e.source();
    let parsed = Expression::parse(&source).unwrap_or_else(|err| panic!("`{source}` does not parse: {err}"));
    let env = Env::step_functions().bind("order", order);
    parsed.evaluate(&Value::Null, &env).unwrap_or_else(|err| panic!("`{source}` fails: {err}"))
}

fn order() -> Value {
    json!({"orderId": "o-1", "total": -7, "ratio": 2.75, "tag list": ["a", "b", "c"], "note": "hi", "express": true, "tier": "gold"})
}

fn var() -> Expr<Order> {
    expr::var("order")
}

#[test]
fn fields_read_their_json_names_and_serde_defaults() {
    let o = var();
    assert_eq!(eval(&expr::field(&o, "order_id", |o| &o.order_id), &order()), Some(json!("o-1")));
    assert_eq!(eval(&expr::field(&o, "tags", |o| &o.tags), &order()), Some(json!(["a", "b", "c"])));
    // A missing `Option` is `None`, a missing `#[serde(default)]` field its default.
    let sparse = json!({"orderId": "o-2"});
    assert_eq!(eval(&expr::field(&o, "note", |o| &o.note), &sparse), Some(Value::Null));
    assert_eq!(eval(&expr::field(&o, "express", |o| &o.express), &sparse), Some(json!(false)));
    assert_eq!(eval(&expr::field(&o, "express", |o| &o.express), &order()), Some(json!(true)));
}

#[test]
fn arithmetic_follows_rust() {
    let o = var();
    let total = expr::field(&o, "total", |o| &o.total);
    let two: Expr<i64> = expr::lit(json!(2));
    // Integer division truncates toward zero: -7 / 2 == -3.
    assert_eq!(eval(&expr::div(&total, &two), &order()), Some(json!(-3)));
    assert_eq!(eval(&expr::arith(&total, expr::Op::Rem, &two), &order()), Some(json!(-1)));
    let ratio = expr::field(&o, "ratio", |o| &o.ratio);
    assert_eq!(eval(&expr::div(&ratio, &two), &order()), Some(json!(1.375)));
    // `as` from a float to an integer truncates and saturates; between integers it wraps.
    assert_eq!(eval(&expr::cast::<f64, u32>(&ratio), &order()), Some(json!(2)));
    let neg_ratio = json!({"ratio": -2.75, "total": 300});
    assert_eq!(eval(&expr::cast::<f64, u32>(&ratio), &neg_ratio), Some(json!(0)));
    assert_eq!(eval(&expr::cast::<i64, u8>(&total), &neg_ratio), Some(json!(44)));
    assert_eq!(eval(&expr::cast::<i64, u8>(&total), &order()), Some(json!(249)));
    assert_eq!(eval(&expr::cast::<i64, i8>(&total), &json!({"total": 200})), Some(json!(-56)));
    assert_eq!(
        eval(&expr::to_string(&total), &json!({"total": 9007199254740991_i64})),
        Some(json!("9007199254740991"))
    );
    // Strings order by code point: U+FFFF before U+10000 (UTF-16 puts it after).
    let key = |s: &str| json!({"orderId": s, "note": "\u{10000}"});
    let note = expr::field(&o, "note", |o| &o.note);
    let id = expr::field(&o, "order_id", |o| &o.order_id);
    let ordered = expr::compare(&id, expr::Op::Lt, &expr::some_inner(&note));
    for (s, less) in [("\u{ffff}", true), ("\u{e000}", true), ("\u{10000}", false), ("", true), ("\u{10001}", false)] {
        assert_eq!(eval(&ordered, &key(s)), Some(json!(less)), "{s:?}");
    }
    let id = expr::field(&o, "order_id", |o| &o.order_id);
    let suffix: Expr<&str> = expr::lit(json!("-x"));
    assert_eq!(eval(&expr::add(&id, &suffix), &order()), Some(json!("o-1-x")));
}

#[test]
fn collections_and_options() {
    let o = var();
    let tags = expr::field(&o, "tags", |o| &o.tags);
    assert_eq!(eval(&expr::len(&tags), &order()), Some(json!(3)));
    assert_eq!(eval(&expr::is_empty(&tags), &order()), Some(json!(false)));
    let first: Expr<usize> = expr::lit(json!(0));
    assert_eq!(eval(&expr::index(&tags, &first), &order()), Some(json!("a")));
    let id = expr::field(&o, "order_id", |o| &o.order_id);
    assert_eq!(eval(&expr::len(&id), &order()), Some(json!(3)));
    // `len()` counts UTF-8 bytes as Rust does, `chars().count()` characters.
    let name = json!({"orderId": "Björn 😀%"});
    assert_eq!(eval(&expr::len(&id), &name), Some(json!("Björn 😀%".len())));
    assert_eq!(eval(&expr::char_count(&id), &name), Some(json!(8)));
    assert_eq!(eval(&expr::is_empty(&id), &json!({"orderId": ""})), Some(json!(true)));
    let note = expr::field(&o, "note", |o| &o.note);
    for (doc, some) in [(order(), true), (json!({"note": null}), false), (json!({}), false)] {
        assert_eq!(eval(&expr::is_some(&note), &doc), Some(json!(some)), "{doc}");
        assert_eq!(eval(&expr::is_none(&note), &doc), Some(json!(!some)), "{doc}");
    }
    let fallback: Expr<&str> = expr::lit(json!("none"));
    assert_eq!(eval(&expr::unwrap_or(&note, &fallback), &json!({})), Some(json!("none")));
}

#[test]
fn literals_cannot_break_out_and_formatting_concatenates() {
    let evil: Expr<&str> = expr::lit(json!("50%} \"quoted\" \\ {% $x %}"));
    assert_eq!(eval(&evil, &order()), Some(json!("50%} \"quoted\" \\ {% $x %}")));
    let o = var();
    let total = expr::field(&o, "total", |o| &o.total);
    let pieces: Vec<Expr<Any>> =
        vec![expr::lit(json!("total: ")), expr::any(&expr::to_string(&total)), expr::lit(json!("!"))];
    assert_eq!(eval(&expr::concat(pieces), &order()), Some(json!("total: -7!")));
}

#[test]
fn enum_variants_follow_their_representation() {
    let o = var();
    let tier = expr::field(&o, "tier", |o| &o.tier);
    assert_eq!(eval(&expr::is_variant(&tier, "Gold"), &order()), Some(json!(true)));
    assert_eq!(eval(&expr::is_variant(&tier, "Custom"), &order()), Some(json!(false)));
    let custom = json!({"tier": {"custom": {"pct": 15}}});
    assert_eq!(eval(&expr::is_variant(&tier, "Custom"), &custom), Some(json!(true)));
    assert_eq!(eval(&expr::is_variant(&tier, "Gold"), &custom), Some(json!(false)));
    let pct = expr::variant_field(&tier, "Custom", "pct", |t| match t {
        Tier::Custom { pct } => pct,
        Tier::Gold => unreachable!(),
    });
    assert_eq!(eval(&pct, &custom), Some(json!(15)));
    assert_eq!(expr::unit_variant::<Tagged>("Held").template(), json!({"kind": "held"}));
}

#[test]
fn objects_and_outputs_are_templates_or_one_expression() {
    let o = var();
    let id = expr::field(&o, "order_id", |o| &o.order_id);
    let array: Expr<Vec<Value>> = expr::array(vec![expr::any(&id), expr::lit(json!(1))]);
    assert_eq!(array.output_template(), json!("{% [$order.orderId, 1] %}"));
    assert_eq!(eval(&array, &order()), Some(json!(["o-1", 1])));
}
