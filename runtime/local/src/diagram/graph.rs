//! Reading a diagram from ASL: the states of each state set (the machine, every Parallel
//! branch, every Map item processor), their transitions with readable labels and their Retry
//! notes. Any definition is read, in either query language; only its shape matters, so a
//! definition the executor would reject still draws as long as its transitions resolve.

use serde_json::{Map, Value};

use super::DiagramError;
use super::text::{abbreviate, list_errors};

/// Longest edge label before it is abbreviated (the full text stays in the tooltip).
const MAX_LABEL: usize = 34;

/// A text shown shortened, with the full text kept for tooltips.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Text {
    pub short: String,
    pub full: String,
}

impl Text {
    fn new(full: String, max: usize) -> Text {
        Text { short: abbreviate(&full, max), full }
    }
}

/// What a transition is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EdgeKind {
    /// `Next` of a non-Choice state.
    Next,
    /// One rule of a Choice.
    Choice,
    /// A Choice's `Default`.
    Default,
    /// A `Catch` entry.
    Catch,
}

impl EdgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Next => "next",
            EdgeKind::Choice => "choice",
            EdgeKind::Default => "default",
            EdgeKind::Catch => "catch",
        }
    }
}

/// A transition between two states of the same set (indexes into [`Group::states`]).
#[derive(Debug, Clone)]
pub(crate) struct Edge {
    pub from: usize,
    pub to: usize,
    pub kind: EdgeKind,
    pub label: Option<Text>,
}

/// A nested state set of a Parallel (one per branch) or a Map (its item processor).
#[derive(Debug, Clone)]
pub(crate) struct Child {
    /// Generated id, unique in the diagram.
    pub id: String,
    pub label: String,
    pub group: Group,
}

/// A state.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// Generated id (`s0`, `s1`, …), unique in the diagram: names may hold any character.
    pub id: String,
    pub name: String,
    /// `Type` as written (`Task`, `Choice`, …).
    pub kind: String,
    /// A second line under the name: the type, and what it calls or waits for.
    pub detail: String,
    /// One note per retrier: `retry GatewayDown ×3`.
    pub retries: Vec<Text>,
    /// `End: true`, `Succeed` or `Fail`: the state ends its set.
    pub terminal: bool,
    pub children: Vec<Child>,
}

/// The states of one state set and their transitions.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub states: Vec<Node>,
    pub edges: Vec<Edge>,
    /// `StartAt`, when it names one of the states.
    pub start: Option<usize>,
}

/// Reads a state set (`{"StartAt": .., "States": {..}}`); `path` locates it in messages.
pub(crate) fn read_group(set: &Value, path: &str, ids: &mut usize) -> Result<Group, DiagramError> {
    let states = set
        .get("States")
        .and_then(Value::as_object)
        .ok_or_else(|| DiagramError(format!("{path} has no `States` object")))?;
    let start_at = set
        .get("StartAt")
        .and_then(Value::as_str)
        .ok_or_else(|| DiagramError(format!("{path} has no `StartAt` string")))?;
    let index = |name: &str, from: &str| {
        states.keys().position(|k| k == name).ok_or_else(|| {
            DiagramError(format!("{path}/States/{from} goes to `{name}`, which is not a state of the same set"))
        })
    };
    let mut nodes = Vec::with_capacity(states.len());
    let mut edges = Vec::new();
    for (i, (name, state)) in states.iter().enumerate() {
        let here = format!("{path}/States/{name}");
        let empty = Map::new();
        let s = state.as_object().unwrap_or(&empty);
        let kind = s.get("Type").and_then(Value::as_str).unwrap_or("?").to_string();
        let id = format!("s{ids}");
        *ids += 1;
        let mut children = Vec::new();
        match kind.as_str() {
            "Parallel" => {
                for (b, branch) in s.get("Branches").and_then(Value::as_array).into_iter().flatten().enumerate() {
                    let group = read_group(branch, &format!("{here}/Branches/{b}"), ids)?;
                    children.push(Child { id: format!("{id}_b{b}"), label: format!("branch {}", b + 1), group });
                }
            }
            "Map" => {
                let (processor, label) = match (s.get("ItemProcessor"), s.get("Iterator")) {
                    (Some(p), _) => (Some(("ItemProcessor", p)), "for each item"),
                    (None, Some(p)) => (Some(("Iterator", p)), "for each item (Iterator)"),
                    (None, None) => (None, ""),
                };
                if let Some((field, p)) = processor {
                    let group = read_group(p, &format!("{here}/{field}"), ids)?;
                    children.push(Child { id: format!("{id}_p"), label: label.to_string(), group });
                }
            }
            _ => {}
        }
        if kind == "Choice" {
            for rule in s.get("Choices").and_then(Value::as_array).into_iter().flatten() {
                if let Some(next) = rule.get("Next").and_then(Value::as_str) {
                    let text = choice_text(rule);
                    edges.push(Edge {
                        from: i,
                        to: index(next, name)?,
                        kind: EdgeKind::Choice,
                        label: Some(Text::new(text, MAX_LABEL)),
                    });
                }
            }
            if let Some(next) = s.get("Default").and_then(Value::as_str) {
                edges.push(Edge {
                    from: i,
                    to: index(next, name)?,
                    kind: EdgeKind::Default,
                    label: Some(Text::new("default".into(), MAX_LABEL)),
                });
            }
        } else if let Some(next) = s.get("Next").and_then(Value::as_str) {
            edges.push(Edge { from: i, to: index(next, name)?, kind: EdgeKind::Next, label: None });
        }
        for catcher in s.get("Catch").and_then(Value::as_array).into_iter().flatten() {
            if let Some(next) = catcher.get("Next").and_then(Value::as_str) {
                let errors = error_names(catcher);
                edges.push(Edge {
                    from: i,
                    to: index(next, name)?,
                    kind: EdgeKind::Catch,
                    label: Some(Text { short: list_errors(&errors, MAX_LABEL), full: errors.join(", ") }),
                });
            }
        }
        let retries = s.get("Retry").and_then(Value::as_array).into_iter().flatten().map(retry_note).collect();
        let terminal =
            s.get("End").and_then(Value::as_bool) == Some(true) || matches!(kind.as_str(), "Succeed" | "Fail");
        let detail = detail(&kind, name, s);
        nodes.push(Node { id, name: name.clone(), detail, kind, retries, terminal, children });
    }
    let start = states.keys().position(|k| k == start_at);
    Ok(Group { states: nodes, edges, start })
}

fn error_names(v: &Value) -> Vec<String> {
    v.get("ErrorEquals")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|e| e.as_str().map(str::to_string).unwrap_or_else(|| e.to_string()))
        .collect()
}

/// `retry GatewayDown ×3`, or `no retry X` for a retrier with `MaxAttempts: 0`.
fn retry_note(retrier: &Value) -> Text {
    let errors = error_names(retrier);
    // Step Functions' default is 3 attempts.
    let attempts = retrier.get("MaxAttempts").and_then(Value::as_u64).unwrap_or(3);
    let mut timing = Vec::new();
    if let Some(i) = retrier.get("IntervalSeconds").and_then(Value::as_f64) {
        timing.push(format!("every {}s", number(i)));
    }
    if let Some(b) = retrier.get("BackoffRate").and_then(Value::as_f64) {
        timing.push(format!("backoff {}", number(b)));
    }
    if let Some(m) = retrier.get("MaxDelaySeconds").and_then(Value::as_f64) {
        timing.push(format!("max {}s", number(m)));
    }
    if let Some(j) = retrier.get("JitterStrategy").and_then(Value::as_str) {
        timing.push(format!("jitter {j}"));
    }
    let timing = if timing.is_empty() { String::new() } else { format!(" ({})", timing.join(", ")) };
    if attempts == 0 {
        let full = format!("no retry on {}", errors.join(", "));
        return Text { short: format!("no retry {}", list_errors(&errors, 26)), full };
    }
    Text {
        short: format!("retry {} \u{d7}{attempts}", list_errors(&errors, 26)),
        full: format!("retry {} up to {attempts} times{timing}", errors.join(", ")),
    }
}

fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x}") }
}

/// The line under a state's name: its type and, where it says something the name does not,
/// what it calls or how long it waits.
fn detail(kind: &str, name: &str, s: &Map<String, Value>) -> String {
    match kind {
        "Task" => {
            let resource = s.get("Resource").and_then(Value::as_str).unwrap_or("");
            let function = s
                .get("Arguments")
                .or_else(|| s.get("Parameters"))
                .and_then(|a| a.get("FunctionName"))
                .and_then(Value::as_str);
            match resource_short(resource, function) {
                Some(r) if r != format!("λ {name}") => format!("Task · {r}"),
                _ => "Task".into(),
            }
        }
        "Wait" => match s.get("Seconds").and_then(Value::as_u64) {
            Some(secs) => format!("Wait · {}", duration(secs)),
            None if s.contains_key("Timestamp") || s.contains_key("TimestampPath") => "Wait · until a time".into(),
            None => "Wait".into(),
        },
        other => other.to_string(),
    }
}

/// `lambda ChargePayment`, `sqs:sendMessage`, `states:startExecution.sync:2`, …
fn resource_short(resource: &str, function: Option<&str>) -> Option<String> {
    let unplaceholder = |f: &str| f.strip_prefix("${").and_then(|f| f.strip_suffix('}')).unwrap_or(f).to_string();
    if let Some(rest) = resource.strip_prefix("arn:aws:states:::") {
        if rest.starts_with("lambda:invoke") {
            return function.map(|f| {
                let f = unplaceholder(f);
                let f = f.rsplit(':').next().unwrap_or(&f).to_string();
                format!("λ {f}")
            });
        }
        return Some(rest.to_string());
    }
    if let Some(i) = resource.find(":function:") {
        let name = resource[i + ":function:".len()..].split(':').next().unwrap_or("");
        return Some(format!("λ {name}"));
    }
    if resource.starts_with("${") {
        return Some(unplaceholder(resource));
    }
    resource.rsplit(':').next().filter(|r| !r.is_empty()).map(str::to_string)
}

fn duration(secs: u64) -> String {
    match secs {
        s if s >= 86_400 && s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s >= 3600 && s % 3600 == 0 => format!("{}h", s / 3600),
        s if s >= 60 && s % 60 == 0 => format!("{}min", s / 60),
        s => format!("{s}s"),
    }
}

/// A Choice rule as text: the JSONata `Condition`, or the JSONPath comparison rendered as an
/// expression (`$.total >= 100 && $.vip == true`).
pub(crate) fn choice_text(rule: &Value) -> String {
    if let Some(c) = rule.get("Condition") {
        return match c.as_str() {
            Some(c) => {
                let t = c.trim();
                t.strip_prefix("{%").and_then(|t| t.strip_suffix("%}")).unwrap_or(t).trim().to_string()
            }
            None => c.to_string(),
        };
    }
    path_rule(rule, true)
}

fn path_rule(rule: &Value, top: bool) -> String {
    let group = |items: &Value, op: &str| {
        let parts: Vec<String> = items.as_array().into_iter().flatten().map(|r| path_rule(r, false)).collect();
        let joined = parts.join(op);
        if top || parts.len() < 2 { joined } else { format!("({joined})") }
    };
    if let Some(a) = rule.get("And") {
        return group(a, " && ");
    }
    if let Some(o) = rule.get("Or") {
        return group(o, " || ");
    }
    if let Some(n) = rule.get("Not") {
        return format!("!({})", path_rule(n, true));
    }
    let variable = rule.get("Variable").and_then(Value::as_str).unwrap_or("?");
    let Some(obj) = rule.as_object() else { return rule.to_string() };
    for (key, value) in obj {
        if matches!(key.as_str(), "Variable" | "Next" | "Assign" | "Output" | "Comment") {
            continue;
        }
        if let Some(test) = key.strip_prefix("Is") {
            let is = value.as_bool().unwrap_or(true);
            return match test {
                "Present" => format!("{variable} {}", if is { "present" } else { "absent" }),
                _ => format!("{variable} is {}{}", if is { "" } else { "not " }, test.to_ascii_lowercase()),
            };
        }
        let (op, by_path) = match key.strip_suffix("Path") {
            Some(op) => (op, true),
            None => (key.as_str(), false),
        };
        let op = ["String", "Numeric", "Boolean", "Timestamp"].iter().find_map(|k| op.strip_prefix(k)).unwrap_or(op);
        let symbol = match op {
            "Equals" => "==",
            "LessThan" => "<",
            "GreaterThan" => ">",
            "LessThanEquals" => "<=",
            "GreaterThanEquals" => ">=",
            "Matches" => "matches",
            other => other,
        };
        let operand = match (by_path, value.as_str()) {
            (true, Some(p)) => p.to_string(),
            _ => value.to_string(),
        };
        return format!("{variable} {symbol} {operand}");
    }
    variable.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn jsonpath_rules_read_as_expressions() {
        let rule = json!({"And": [
            {"Variable": "$.total", "NumericGreaterThanEquals": 100},
            {"Or": [{"Variable": "$.tier", "StringEquals": "gold"}, {"Variable": "$.vip", "IsPresent": true}]},
            {"Not": {"Variable": "$.a", "NumericLessThanPath": "$.b"}}
        ], "Next": "X"});
        assert_eq!(choice_text(&rule), r#"$.total >= 100 && ($.tier == "gold" || $.vip present) && !($.a < $.b)"#);
        assert_eq!(choice_text(&json!({"Variable": "$.x", "IsNull": false})), "$.x is not null");
        assert_eq!(choice_text(&json!({"Condition": "{% $states.input.n > 2 %}"})), "$states.input.n > 2");
    }

    #[test]
    fn retry_notes_name_errors_and_attempts() {
        let r = retry_note(&json!({"ErrorEquals": ["GatewayDown"], "IntervalSeconds": 2, "MaxAttempts": 3}));
        assert_eq!(r.short, "retry GatewayDown \u{d7}3");
        assert_eq!(r.full, "retry GatewayDown up to 3 times (every 2s)");
        let lambda = json!({"ErrorEquals": ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException"]});
        assert_eq!(retry_note(&lambda).short, "retry 3 Lambda errors \u{d7}3");
    }

    #[test]
    fn unknown_targets_are_errors() {
        let e = read_group(&json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}), "", &mut 0)
            .unwrap_err();
        assert!(e.0.contains("goes to `B`"), "{e}");
    }
}
