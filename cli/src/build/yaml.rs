//! A YAML writer for CloudFormation templates: block style, CloudFormation's short-form
//! intrinsic tags (`!Ref`, `!GetAtt`, `!Sub`) and comments, with keys in insertion order so
//! the same bundle always gives the same bytes.
//!
//! Only writing is needed (the template is generated, never read back by stepcraft), and the
//! YAML crates either do not write tags and comments or are unmaintained, so this is the
//! ~100 lines of it that a template uses.

use std::fmt::Write;

/// A YAML node.
#[derive(Debug, Clone, PartialEq)]
pub enum Yaml {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    Seq(Vec<Yaml>),
    /// A mapping, in insertion order.
    Map(Vec<(String, Yaml)>),
    /// A CloudFormation short-form intrinsic function: `!Ref Name`, `!GetAtt Name.Arn`,
    /// `!Sub "..."` (the tag without `!`, its scalar argument).
    Tag(&'static str, String),
    /// A node preceded by a comment line (in a sequence or as a mapping value).
    Commented(String, Box<Yaml>),
}

impl Yaml {
    pub fn str(s: impl Into<String>) -> Yaml {
        Yaml::Str(s.into())
    }

    /// `!Ref name`.
    pub fn reference(name: impl Into<String>) -> Yaml {
        Yaml::Tag("Ref", name.into())
    }

    /// `!GetAtt resource.attribute`.
    pub fn get_att(resource: &str, attribute: &str) -> Yaml {
        Yaml::Tag("GetAtt", format!("{resource}.{attribute}"))
    }

    /// `!Sub "template"`.
    pub fn sub(template: impl Into<String>) -> Yaml {
        Yaml::Tag("Sub", template.into())
    }

    pub fn seq(items: impl IntoIterator<Item = Yaml>) -> Yaml {
        Yaml::Seq(items.into_iter().collect())
    }

    /// A sequence of strings.
    pub fn strs<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Yaml {
        Yaml::Seq(items.into_iter().map(|s| Yaml::str(s.as_ref())).collect())
    }

    pub fn commented(comment: impl Into<String>, node: Yaml) -> Yaml {
        Yaml::Commented(comment.into(), Box::new(node))
    }

    /// The JSON value as YAML (for event patterns and the like).
    pub fn from_json(value: &serde_json::Value) -> Yaml {
        use serde_json::Value;
        match value {
            Value::Null => Yaml::Null,
            Value::Bool(b) => Yaml::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Yaml::Int(i),
                None => Yaml::Str(n.to_string()),
            },
            Value::String(s) => Yaml::str(s),
            Value::Array(items) => Yaml::seq(items.iter().map(Yaml::from_json)),
            Value::Object(map) => Yaml::Map(map.iter().map(|(k, v)| (k.clone(), Yaml::from_json(v))).collect()),
        }
    }

    /// The document, ending in a newline.
    pub fn to_document(&self) -> String {
        let mut out = String::new();
        match self {
            Yaml::Map(entries) if !entries.is_empty() => write_map(&mut out, entries, 0),
            Yaml::Seq(items) if !items.is_empty() => write_seq(&mut out, items, 0),
            other => {
                write_inline(&mut out, other);
                out.push('\n');
            }
        }
        out
    }
}

/// A builder of mappings that reads like the template it writes.
#[derive(Debug, Default)]
pub struct Map(Vec<(String, Yaml)>);

impl Map {
    pub fn new() -> Map {
        Map(Vec::new())
    }

    pub fn with(mut self, key: impl Into<String>, value: impl Into<Yaml>) -> Map {
        self.0.push((key.into(), value.into()));
        self
    }

    /// Adds the entry when there is a value.
    pub fn with_opt(self, key: impl Into<String>, value: Option<impl Into<Yaml>>) -> Map {
        match value {
            Some(value) => self.with(key, value),
            None => self,
        }
    }

    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Yaml>) {
        self.0.push((key.into(), value.into()));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Map> for Yaml {
    fn from(map: Map) -> Yaml {
        Yaml::Map(map.0)
    }
}

impl From<&str> for Yaml {
    fn from(s: &str) -> Yaml {
        Yaml::str(s)
    }
}

impl From<String> for Yaml {
    fn from(s: String) -> Yaml {
        Yaml::Str(s)
    }
}

impl From<bool> for Yaml {
    fn from(b: bool) -> Yaml {
        Yaml::Bool(b)
    }
}

impl From<u32> for Yaml {
    fn from(n: u32) -> Yaml {
        Yaml::Int(n.into())
    }
}

impl From<u64> for Yaml {
    fn from(n: u64) -> Yaml {
        Yaml::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<Vec<Yaml>> for Yaml {
    fn from(items: Vec<Yaml>) -> Yaml {
        Yaml::Seq(items)
    }
}

/// Whether a node is written on the line of its key (`Key: value`) rather than below it.
fn is_inline(node: &Yaml) -> bool {
    match node {
        Yaml::Seq(items) => items.is_empty(),
        Yaml::Map(entries) => entries.is_empty(),
        Yaml::Commented(..) => false,
        _ => true,
    }
}

fn indent(out: &mut String, level: usize) {
    out.extend(std::iter::repeat_n(' ', level * 2));
}

fn write_map(out: &mut String, entries: &[(String, Yaml)], level: usize) {
    for (key, value) in entries {
        let (comment, value) = match value {
            Yaml::Commented(comment, value) => (Some(comment), &**value),
            value => (None, value),
        };
        if let Some(comment) = comment {
            write_comment(out, comment, level);
        }
        indent(out, level);
        write_scalar(out, key);
        out.push(':');
        write_value(out, value, level);
    }
}

fn write_seq(out: &mut String, items: &[Yaml], level: usize) {
    for item in items {
        let (comment, item) = match item {
            Yaml::Commented(comment, item) => (Some(comment), &**item),
            item => (None, item),
        };
        if let Some(comment) = comment {
            write_comment(out, comment, level);
        }
        indent(out, level);
        out.push('-');
        match item {
            // `- Key: value` with the rest of the mapping aligned under `Key`.
            Yaml::Map(entries) if !entries.is_empty() => {
                let mut nested = String::new();
                write_map(&mut nested, entries, level + 1);
                out.push(' ');
                out.push_str(nested.trim_start());
            }
            item => write_value(out, item, level),
        }
    }
}

/// A value after `key:` or `-`: on the same line if scalar, below it otherwise.
fn write_value(out: &mut String, value: &Yaml, level: usize) {
    if is_inline(value) {
        out.push(' ');
        write_inline(out, value);
        out.push('\n');
        return;
    }
    out.push('\n');
    match value {
        Yaml::Map(entries) => write_map(out, entries, level + 1),
        Yaml::Seq(items) => write_seq(out, items, level + 1),
        Yaml::Commented(comment, value) => {
            write_comment(out, comment, level + 1);
            indent(out, level + 1);
            write_inline(out, value);
            out.push('\n');
        }
        _ => unreachable!("inline nodes are written above"),
    }
}

fn write_comment(out: &mut String, comment: &str, level: usize) {
    for line in comment.lines() {
        indent(out, level);
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
}

fn write_inline(out: &mut String, node: &Yaml) {
    match node {
        Yaml::Null => out.push_str("null"),
        Yaml::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Yaml::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Yaml::Str(s) => write_scalar(out, s),
        Yaml::Seq(_) => out.push_str("[]"),
        Yaml::Map(_) => out.push_str("{}"),
        Yaml::Tag(tag, argument) => {
            out.push('!');
            out.push_str(tag);
            out.push(' ');
            write_scalar(out, argument);
        }
        Yaml::Commented(_, node) => write_inline(out, node),
    }
}

/// A string, plain when YAML reads it back as the same string, double-quoted (with JSON's
/// escapes, which YAML's double-quoted style shares) otherwise.
fn write_scalar(out: &mut String, s: &str) {
    if is_plain(s) {
        out.push_str(s);
    } else {
        out.push_str(&serde_json::Value::String(s.to_owned()).to_string());
    }
}

/// Conservative: letters, digits and `_ - . / :` (no `: `, no leading indicator), and not a
/// word YAML would read as another type.
fn is_plain(s: &str) -> bool {
    const WORDS: &[&str] = &["true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"];
    let Some(first) = s.chars().next() else { return false };
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ':');
    first.is_ascii_alphabetic()
        && s.chars().all(allowed)
        && !s.ends_with(':')
        && !s.contains(": ")
        && !WORDS.contains(&s.to_ascii_lowercase().as_str())
        && s.parse::<f64>().is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_blocks_tags_and_comments() {
        let doc: Yaml = Map::new()
            .with("Transform", "AWS::Serverless-2016-10-31")
            .with(
                "Resources",
                Map::new().with(
                    "Fn",
                    Map::new()
                        .with("Type", "AWS::Serverless::Function")
                        .with("Timeout", 30u32)
                        .with("Empty", Yaml::Seq(vec![]))
                        .with("Role", Yaml::get_att("FnRole", "Arn"))
                        .with(
                            "Statement",
                            Yaml::seq([
                                Map::new().with("Effect", "Allow").with("Resource", Yaml::reference("Queue")).into(),
                                Yaml::commented(
                                    "X-Ray has no resource-level permissions",
                                    Map::new().with("Resource", "*").into(),
                                ),
                            ]),
                        ),
                ),
            )
            .into();
        let expected = "\
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Timeout: 30
    Empty: []
    Role: !GetAtt FnRole.Arn
    Statement:
      - Effect: Allow
        Resource: !Ref Queue
      # X-Ray has no resource-level permissions
      - Resource: \"*\"
";
        assert_eq!(doc.to_document(), expected);
    }

    #[test]
    fn quotes_what_yaml_would_misread() {
        let quoted = |s: &str| {
            let mut out = String::new();
            write_scalar(&mut out, s);
            out
        };
        assert_eq!(quoted("provided.al2023"), "provided.al2023");
        assert_eq!(quoted("s3:ObjectCreated:*"), "\"s3:ObjectCreated:*\"");
        assert_eq!(quoted("2010-09-09"), "\"2010-09-09\"");
        assert_eq!(quoted("true"), "\"true\"");
        assert_eq!(quoted("No"), "\"No\"");
        assert_eq!(quoted("1e3"), "\"1e3\"");
        assert_eq!(quoted(""), "\"\"");
        assert_eq!(quoted("a: b"), "\"a: b\"");
        assert_eq!(quoted("/aws/lambda"), "\"/aws/lambda\"");
        assert_eq!(quoted("line\nbreak \"q\""), "\"line\\nbreak \\\"q\\\"\"");
        assert_eq!(quoted("${AWS::StackName}-x"), "\"${AWS::StackName}-x\"");
    }
}
