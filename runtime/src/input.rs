//! The execution input a workflow accepts: the required fields and JSON types of its input
//! type's JSON Schema, as a list of [`Check`]s.
//!
//! Step Functions starts an execution with any JSON; the Rust workflow decodes its input into
//! its type first. So that the state machine that ships behaves as the Rust that was tested,
//! both apply the same checks, in the same order, and fail alike: the state machine's first
//! states (`Check input`, a Choice, and `Invalid input`, a Fail raising `InvalidInput`) evaluate
//! them in JSONata ([`crate::expr::input_problem`]); a native run from JSON (`invoke`) applies
//! them with [`problem`] before decoding. The cause names the field, in one wording for both.
//!
//! What the checks cover: each required field's presence, each field's JSON type (`integer`
//! meaning a number without a fraction), the bounds the schema gives numbers (an unsigned
//! integer's `minimum: 0`, a `u8`'s `maximum: 255`), a unit-variant enum's names, recursively
//! through nested objects. What they leave to decoding: array elements, maps' values, and
//! values described by `oneOf`/`anyOf` (tagged enums, untagged unions) other than an `Option`.

use serde_json::Value;

/// How deep the checks follow nested objects.
const MAX_DEPTH: usize = 8;

/// One check of the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// The field's path from the input, as JSON keys.
    pub path: Vec<String>,
    /// What it checks.
    pub kind: Kind,
}

/// What a [`Check`] requires of the field.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// The field is present (its parent being an object).
    Present,
    /// The field, where present, is one of these.
    Valid(Expected),
}

/// The values a field may hold.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Expected {
    /// JSON Schema type names: `string`, `integer`, `number`, `boolean`, `array`, `object`,
    /// `null`.
    pub types: Vec<String>,
    /// For strings: the only values allowed (a unit-variant enum's names).
    pub one_of: Option<Vec<String>>,
    /// For numbers: inclusive bounds.
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    /// For arrays: what each element must be.
    pub items: Option<Box<Expected>>,
}

impl Check {
    /// The cause an input failing this check gets, natively and in the state machine.
    pub fn message(&self) -> String {
        let at = |parent: &[String]| {
            if parent.is_empty() {
                "invalid input".to_owned()
            } else {
                format!("invalid input at `{}`", parent.join("."))
            }
        };
        match &self.kind {
            Kind::Present => {
                let (field, parent) = self.path.split_last().expect("a present field has a name");
                format!("{}: missing field `{field}`", at(parent))
            }
            Kind::Valid(expected) => format!("{}: expected {}", at(&self.path), expected.describe()),
        }
    }
}

impl Expected {
    fn describe(&self) -> String {
        let mut kinds: Vec<String> = self
            .types
            .iter()
            .filter(|t| *t != "null")
            .map(|t| match t.as_str() {
                "string" => match &self.one_of {
                    Some(names) => {
                        let names: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
                        format!("one of {}", names.join(", "))
                    }
                    None => "a string".to_owned(),
                },
                "integer" | "number" => {
                    let noun = if t == "integer" { "an integer" } else { "a number" };
                    match (self.minimum, self.maximum) {
                        (Some(lo), Some(hi)) => format!("{noun} from {lo} to {hi}"),
                        (Some(lo), None) => format!("{noun} ≥ {lo}"),
                        (None, Some(hi)) => format!("{noun} ≤ {hi}"),
                        (None, None) => noun.to_owned(),
                    }
                }
                "boolean" => "a boolean".to_owned(),
                "array" => match &self.items {
                    Some(items) => format!("an array whose elements are each {}", items.describe()),
                    None => "an array".to_owned(),
                },
                "object" => "an object".to_owned(),
                other => other.to_owned(),
            })
            .collect();
        if self.types.iter().any(|t| t == "null") {
            kinds.push("null".to_owned());
        }
        kinds.join(" or ")
    }

    /// Whether `value` is one of these.
    fn admits(&self, value: &Value) -> bool {
        let in_bounds = |n: f64| self.minimum.is_none_or(|lo| n >= lo) && self.maximum.is_none_or(|hi| n <= hi);
        self.types.iter().any(|t| match (t.as_str(), value) {
            ("null", Value::Null) | ("boolean", Value::Bool(_)) => true,
            ("array", Value::Array(elements)) => {
                self.items.as_ref().is_none_or(|e| elements.iter().all(|v| e.admits(v)))
            }
            ("object", Value::Object(_)) => true,
            ("string", Value::String(s)) => self.one_of.as_ref().is_none_or(|names| names.contains(s)),
            ("number", Value::Number(n)) => n.as_f64().is_some_and(in_bounds),
            ("integer", Value::Number(n)) => n.as_f64().is_some_and(|f| f.fract() == 0.0 && in_bounds(f)),
            _ => false,
        })
    }
}

/// The checks of input type `T`, from its JSON Schema, in the order of its fields.
pub fn checks<T: schemars::JsonSchema>() -> Vec<Check> {
    let schema = schemars::schema_for!(T);
    let root = schema.as_value();
    let mut checks = Vec::new();
    // The input itself: an object, for a struct.
    if let Some(expected) = expected(root, resolve(root, root), false) {
        checks.push(Check { path: Vec::new(), kind: Kind::Valid(expected) });
    }
    object_checks(root, root, &mut Vec::new(), &mut checks);
    checks
}

/// `schema` with its `$ref` (into `#/$defs/`) followed.
fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    let mut schema = schema;
    for _ in 0..MAX_DEPTH {
        let Some(target) = schema.get("$ref").and_then(Value::as_str) else { break };
        match target.strip_prefix("#/").map(|p| p.split('/').fold(Some(root), |v, k| v?.get(k))) {
            Some(Some(found)) => schema = found,
            _ => break,
        }
    }
    schema
}

/// The schema an `Option` wraps (`anyOf: [T, {type: null}]`), and that it admits null.
fn unwrap_nullable<'a>(root: &'a Value, schema: &'a Value) -> (&'a Value, bool) {
    let schema = resolve(root, schema);
    if let Some(Value::Array(options)) = schema.get("anyOf").or_else(|| schema.get("oneOf")) {
        let is_null = |s: &Value| s.get("type").and_then(Value::as_str) == Some("null");
        if options.len() == 2 && options.iter().any(is_null) {
            let inner = options.iter().find(|s| !is_null(s)).expect("one non-null option");
            return (resolve(root, inner), true);
        }
    }
    (schema, false)
}

/// The bounds of an integer `format` schemars writes without `minimum`/`maximum` (up to 32
/// bits: wider types reach past the integers a double holds, and decoding bounds those).
fn format_bounds(format: &str) -> (Option<f64>, Option<f64>) {
    let bits = |name: &str, prefix: &str| name.strip_prefix(prefix).and_then(|b| b.parse::<i32>().ok());
    if let Some(b) = bits(format, "uint").filter(|b| *b <= 32) {
        (Some(0.0), Some(2f64.powi(b) - 1.0))
    } else if let Some(b) = bits(format, "int").filter(|b| *b <= 32) {
        (Some(-(2f64.powi(b - 1))), Some(2f64.powi(b - 1) - 1.0))
    } else {
        (None, None)
    }
}

/// The values `schema` allows, if it says plainly (a `type`).
fn expected(root: &Value, schema: &Value, nullable: bool) -> Option<Expected> {
    let mut types: Vec<String> = match schema.get("type")? {
        Value::String(t) => vec![t.clone()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => return None,
    };
    if nullable && !types.iter().any(|t| t == "null") {
        types.push("null".to_owned());
    }
    let one_of = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|names| names.iter().map(|n| n.as_str().map(str::to_owned)).collect::<Option<Vec<String>>>());
    let (min, max) = schema.get("format").and_then(Value::as_str).map_or((None, None), format_bounds);
    // An array's elements, when they are plain values (not objects, whose fields decoding checks).
    let items = schema.get("items").and_then(|items| {
        let (inner, nullable) = unwrap_nullable(root, items);
        expected(root, inner, nullable).filter(|e| !e.types.iter().any(|t| t == "object")).map(Box::new)
    });
    Some(Expected {
        types,
        one_of,
        minimum: schema.get("minimum").and_then(Value::as_f64).or(min),
        maximum: schema.get("maximum").and_then(Value::as_f64).or(max),
        items,
    })
}

fn object_checks(root: &Value, schema: &Value, path: &mut Vec<String>, out: &mut Vec<Check>) {
    if path.len() >= MAX_DEPTH {
        return;
    }
    let schema = resolve(root, schema);
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else { return };
    let required: Vec<&str> =
        schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    for (name, field) in properties {
        path.push(name.clone());
        if required.contains(&name.as_str()) {
            out.push(Check { path: path.clone(), kind: Kind::Present });
        }
        let (inner, nullable) = unwrap_nullable(root, field);
        if let Some(expected) = expected(root, inner, nullable) {
            let is_object = expected.types.iter().any(|t| t == "object");
            out.push(Check { path: path.clone(), kind: Kind::Valid(expected) });
            if is_object {
                object_checks(root, inner, path, out);
            }
        }
        path.pop();
    }
}

/// The state names of the input check.
pub const CHECK_STATE: &str = "Check input";
/// The `Fail` state of a bad input.
pub const INVALID_STATE: &str = "Invalid input";

/// `machine` with the checks of its input type `I` as its first states: `Check input`, a
/// Choice going to `Invalid input` (a Fail raising `InvalidInput` with the problem as cause)
/// when a check fails, else to the machine's own first state. An input type without checks
/// (`serde_json::Value`) leaves the machine as it is.
pub fn checking_input<I: schemars::JsonSchema>(mut machine: crate::asl::StateMachine) -> crate::asl::StateMachine {
    use crate::asl::{Choice, ChoiceRule, Fail, State, States};
    let checks = checks::<I>();
    if checks.is_empty() {
        return machine;
    }
    let problem = crate::expr::input_problem(&checks);
    let check = Choice {
        comment: None,
        choices: vec![ChoiceRule {
            condition: format!("{{% $exists({}) %}}", problem.source()),
            next: INVALID_STATE.to_owned(),
            assign: Default::default(),
        }],
        default: Some(std::mem::replace(&mut machine.start_at, CHECK_STATE.to_owned())),
        assign: Default::default(),
    };
    let invalid = Fail {
        comment: None,
        error: Some(crate::error::FunctionError::INVALID_INPUT.to_owned()),
        cause: Some(problem.template_string()),
    };
    let mut states =
        States(vec![(CHECK_STATE.to_owned(), State::Choice(check)), (INVALID_STATE.to_owned(), State::Fail(invalid))]);
    states.0.append(&mut machine.states.0);
    machine.states = states;
    machine
}

/// The first check `input` fails, as its message: what a native run from JSON reports as
/// `InvalidInput` before decoding, as the state machine's `Invalid input` state does.
pub fn problem(checks: &[Check], input: &Value) -> Option<String> {
    checks.iter().find(|check| !passes(check, input)).map(Check::message)
}

fn passes(check: &Check, input: &Value) -> bool {
    let Some((field, parents)) = check.path.split_last() else {
        return match &check.kind {
            Kind::Valid(expected) => expected.admits(input),
            Kind::Present => true,
        };
    };
    // Checks apply within objects only: a parent of another type fails its own check.
    let Some(Value::Object(parent)) = parents.iter().try_fold(input, |v, k| v.get(k)) else { return true };
    match (&check.kind, parent.get(field)) {
        (Kind::Present, value) => value.is_some(),
        (Kind::Valid(_), None) => true,
        (Kind::Valid(expected), Some(value)) => expected.admits(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(serde::Deserialize, schemars::JsonSchema)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code, reason = "only the schema is read")]
    struct Order {
        order_id: String,
        total_cents: u64,
        small: u8,
        note: Option<String>,
        customer: Customer,
        gift: Option<Customer>,
        items: Vec<String>,
        tier: Tier,
    }

    #[derive(serde::Deserialize, schemars::JsonSchema)]
    #[allow(dead_code, reason = "only the schema is read")]
    struct Customer {
        email: String,
    }

    #[derive(serde::Deserialize, schemars::JsonSchema)]
    #[allow(dead_code, reason = "only the schema is read")]
    enum Tier {
        Gold,
        Silver,
    }

    fn order() -> Value {
        json!({"orderId": "o-1", "totalCents": 5, "small": 7, "customer": {"email": "a@b"}, "items": [], "tier": "Gold"})
    }

    fn problem_of(change: impl FnOnce(&mut Value)) -> Option<String> {
        let mut input = order();
        change(&mut input);
        problem(&checks::<Order>(), &input)
    }

    #[test]
    fn a_good_input_passes_and_each_mistake_is_named() {
        assert_eq!(problem_of(|_| {}), None);
        assert_eq!(problem_of(|o| o["note"] = json!(null)), None);
        assert_eq!(problem_of(|o| o["gift"] = json!({"email": "c@d"})), None);
        let cases: [(fn(&mut Value), &str); 9] = [
            (|o| drop(o.as_object_mut().unwrap().remove("orderId")), "invalid input: missing field `orderId`"),
            (|o| o["totalCents"] = json!("5"), "invalid input at `totalCents`: expected an integer ≥ 0"),
            (|o| o["totalCents"] = json!(-1), "invalid input at `totalCents`: expected an integer ≥ 0"),
            (|o| o["totalCents"] = json!(1.5), "invalid input at `totalCents`: expected an integer ≥ 0"),
            (|o| o["small"] = json!(256), "invalid input at `small`: expected an integer from 0 to 255"),
            (|o| o["customer"] = json!({}), "invalid input at `customer`: missing field `email`"),
            (|o| o["gift"] = json!({"email": 1}), "invalid input at `gift.email`: expected a string"),
            (|o| o["note"] = json!(3), "invalid input at `note`: expected a string or null"),
            (|o| o["tier"] = json!("Bronze"), "invalid input at `tier`: expected one of \"Gold\", \"Silver\""),
        ];
        for (change, message) in cases {
            assert_eq!(problem_of(change).as_deref(), Some(message));
        }
        assert_eq!(problem(&checks::<Order>(), &json!(3)).as_deref(), Some("invalid input: expected an object"));
        assert_eq!(
            problem(&checks::<u8>(), &json!(300)).as_deref(),
            Some("invalid input: expected an integer from 0 to 255")
        );
    }
}
