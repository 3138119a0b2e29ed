//! JSONPath as Step Functions evaluates it (the Jayway dialect): parsed once when the
//! definition is checked, evaluated against the state input, the context object (`$$`)
//! or a workflow variable (`$name`).
//!
//! A *definite* path (only field names and indexes) selects one node or fails with
//! Jayway's message (`Missing property in path $['a']`, `No results for path: …`); an
//! *indefinite* one (wildcards, slices, deep scans, filters, unions) selects a list.
//!
//! Hand-written because no crate speaks this dialect: the JSONPath crates follow RFC
//! 9535 or Goessner's article, whose definite/indefinite results, error messages and
//! filter semantics differ from Jayway's, and Step Functions' causes quote Jayway's.
//! Filters' `=~` is a small subset of Java regular expressions (literal text, `.`,
//! `.*`, `^`, `$`), kept as it is: taking `regex-lite` would widen what matches.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt::{self, Write as _};

use serde_json::{Map, Value};

/// Where a path starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Root {
    /// `$`: the input.
    Input,
    /// `$$`: the context object.
    Context,
    /// `$name`: a workflow variable.
    Var(Box<str>),
}

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Field(Box<str>),
    Fields(Vec<Box<str>>),
    Index(i64),
    Indexes(Vec<i64>),
    Slice(Option<i64>, Option<i64>, Option<i64>),
    Wildcard,
    Scan(Option<Box<str>>),
    Filter(Box<Filter>),
}

#[derive(Debug, Clone, PartialEq)]
enum Filter {
    Or(Box<Filter>, Box<Filter>),
    And(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Cmp(Operand, CmpOp, Operand),
    Exists(Operand),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Regex,
    In,
    Nin,
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Current(Vec<Seg>),
    Root(Vec<Seg>),
    Lit(Value),
    Regex(Box<str>),
}

/// A parsed JSONPath.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath {
    root: Root,
    segs: Vec<Seg>,
    definite: bool,
    src: Box<str>,
}

/// Why a path selected nothing (Jayway's `PathNotFoundException` message).
#[derive(Debug, Clone, PartialEq)]
pub struct PathError(pub String);

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonPath {
    /// Parses `src`, which must start with `$`.
    pub fn parse(src: &str) -> Result<JsonPath, String> {
        let mut p = Parser { s: src.as_bytes(), src, i: 0 };
        let (root, segs) = p.path()?;
        if p.i != p.s.len() {
            return Err(format!("unexpected `{}` at offset {}", &src[p.i..], p.i));
        }
        let definite = segs.iter().all(|s| matches!(s, Seg::Field(_) | Seg::Index(_)));
        Ok(JsonPath { root, segs, definite, src: src.into() })
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.src
    }

    /// Where the path starts.
    pub fn root(&self) -> &Root {
        &self.root
    }

    /// `$` alone (or `$$`, `$var`): the whole root.
    pub fn is_root_only(&self) -> bool {
        self.segs.is_empty()
    }

    /// Whether the path selects at most one node.
    pub fn is_definite(&self) -> bool {
        self.definite
    }

    /// The segments of a definite path, for writing (`ResultPath`).
    pub(crate) fn reference_steps(&self) -> Option<Vec<Step<'_>>> {
        self.segs
            .iter()
            .map(|s| match s {
                Seg::Field(f) => Some(Step::Field(f)),
                Seg::Index(i) => Some(Step::Index(*i)),
                _ => None,
            })
            .collect()
    }

    /// Selects from `root`: one node for a definite path, an array of the matches
    /// otherwise.
    pub fn select<'v>(&self, root: &'v Value) -> Result<Cow<'v, Value>, PathError> {
        if self.definite {
            self.select_one(root).map(Cow::Borrowed)
        } else {
            let mut out = Vec::new();
            select_many(&self.segs, root, root, &mut out);
            Ok(Cow::Owned(Value::Array(out.into_iter().cloned().collect())))
        }
    }

    /// For a definite path, the node.
    pub fn select_one<'v>(&self, root: &'v Value) -> Result<&'v Value, PathError> {
        let mut cur = root;
        let n = self.segs.len();
        for (i, seg) in self.segs.iter().enumerate() {
            let leaf = i + 1 == n;
            let next = match seg {
                Seg::Field(f) => match cur {
                    Value::Object(m) => m.get(&**f),
                    _ => {
                        if leaf {
                            None
                        } else {
                            return Err(PathError(format!(
                                "Expected to find an object with property {} in path {} but found '{}'. This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider'.",
                                render_segs(&self.segs[i..=i]),
                                render_path(&self.segs[..i]),
                                java_type(cur)
                            )));
                        }
                    }
                },
                Seg::Index(idx) => match cur {
                    Value::Array(a) => index(a, *idx),
                    _ => None,
                },
                _ => unreachable!("definite paths hold fields and indexes only"),
            };
            match next {
                Some(v) => cur = v,
                None if leaf => {
                    return Err(PathError(format!("No results for path: {}", render_path(&self.segs))));
                }
                None => {
                    return Err(PathError(format!("Missing property in path {}", render_path(&self.segs[..=i]))));
                }
            }
        }
        Ok(cur)
    }
}

/// One step of a definite reference path.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Step<'a> {
    Field(&'a str),
    Index(i64),
}

fn index(a: &[Value], i: i64) -> Option<&Value> {
    let len = a.len() as i64;
    let j = if i < 0 { len + i } else { i };
    if j < 0 || j >= len { None } else { a.get(j as usize) }
}

fn java_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "java.lang.Boolean",
        Value::Number(n) if n.is_f64() => "java.lang.Double",
        Value::Number(_) => "java.lang.Integer",
        Value::String(_) => "java.lang.String",
        Value::Array(_) => "java.util.ArrayList",
        Value::Object(_) => "java.util.LinkedHashMap",
    }
}

fn select_many<'v>(segs: &[Seg], root: &'v Value, cur: &'v Value, out: &mut Vec<&'v Value>) {
    let Some((seg, rest)) = segs.split_first() else {
        out.push(cur);
        return;
    };
    match seg {
        Seg::Field(f) => {
            if let Some(v) = cur.as_object().and_then(|m| m.get(&**f)) {
                select_many(rest, root, v, out);
            }
        }
        Seg::Fields(fs) => {
            if let Value::Object(m) = cur {
                for f in fs {
                    if let Some(v) = m.get(&**f) {
                        select_many(rest, root, v, out);
                    }
                }
            }
        }
        Seg::Index(i) => {
            if let Some(v) = cur.as_array().and_then(|a| index(a, *i)) {
                select_many(rest, root, v, out);
            }
        }
        Seg::Indexes(is) => {
            if let Value::Array(a) = cur {
                for i in is {
                    if let Some(v) = index(a, *i) {
                        select_many(rest, root, v, out);
                    }
                }
            }
        }
        Seg::Slice(start, end, step) => {
            if let Value::Array(a) = cur {
                let len = a.len() as i64;
                let norm = |x: i64| if x < 0 { (len + x).max(0) } else { x.min(len) };
                let s = start.map(norm).unwrap_or(0);
                let e = end.map(norm).unwrap_or(len);
                let step = step.unwrap_or(1).max(1) as usize;
                if s < e {
                    for v in a[s as usize..e as usize].iter().step_by(step) {
                        select_many(rest, root, v, out);
                    }
                }
            }
        }
        Seg::Wildcard => match cur {
            Value::Array(a) => a.iter().for_each(|v| select_many(rest, root, v, out)),
            Value::Object(m) => m.values().for_each(|v| select_many(rest, root, v, out)),
            _ => {}
        },
        Seg::Scan(name) => scan(name.as_deref(), rest, root, cur, out),
        Seg::Filter(f) => match cur {
            Value::Array(a) => {
                for v in a {
                    if filter(f, root, v) {
                        select_many(rest, root, v, out);
                    }
                }
            }
            Value::Object(_) if filter(f, root, cur) => select_many(rest, root, cur, out),
            _ => {}
        },
    }
}

fn scan<'v>(name: Option<&str>, rest: &[Seg], root: &'v Value, cur: &'v Value, out: &mut Vec<&'v Value>) {
    match cur {
        Value::Object(m) => {
            match name {
                Some(n) => {
                    if let Some(v) = m.get(n) {
                        select_many(rest, root, v, out);
                    }
                }
                None => m.values().for_each(|v| select_many(rest, root, v, out)),
            }
            for v in m.values() {
                scan(name, rest, root, v, out);
            }
        }
        Value::Array(a) => {
            if name.is_none() {
                a.iter().for_each(|v| select_many(rest, root, v, out));
            }
            for v in a {
                scan(name, rest, root, v, out);
            }
        }
        _ => {}
    }
}

fn operand<'v>(op: &Operand, root: &'v Value, cur: &'v Value) -> Option<Cow<'v, Value>> {
    match op {
        Operand::Current(segs) | Operand::Root(segs) => {
            let base = if matches!(op, Operand::Current(_)) { cur } else { root };
            let definite = segs.iter().all(|s| matches!(s, Seg::Field(_) | Seg::Index(_)));
            let mut out = Vec::new();
            select_many(segs, root, base, &mut out);
            if definite {
                out.pop().map(Cow::Borrowed)
            } else {
                Some(Cow::Owned(Value::Array(out.into_iter().cloned().collect())))
            }
        }
        Operand::Lit(v) => Some(Cow::Owned(v.clone())),
        Operand::Regex(r) => Some(Cow::Owned(Value::String(r.to_string()))),
    }
}

fn filter(f: &Filter, root: &Value, cur: &Value) -> bool {
    match f {
        Filter::Or(a, b) => filter(a, root, cur) || filter(b, root, cur),
        Filter::And(a, b) => filter(a, root, cur) && filter(b, root, cur),
        Filter::Not(a) => !filter(a, root, cur),
        Filter::Exists(op) => match operand(op, root, cur) {
            Some(v) => !matches!(&*v, Value::Bool(false)),
            None => false,
        },
        Filter::Cmp(l, op, r) => {
            let (Some(a), Some(b)) = (operand(l, root, cur), operand(r, root, cur)) else {
                return matches!(op, CmpOp::Ne | CmpOp::Nin);
            };
            compare(&a, *op, &b)
        }
    }
}

fn compare(a: &Value, op: CmpOp, b: &Value) -> bool {
    let ord = |a: &Value, b: &Value| -> Option<Ordering> {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
            (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
            _ => None,
        }
    };
    match op {
        CmpOp::Eq => crate::value::json_eq(a, b),
        CmpOp::Ne => !crate::value::json_eq(a, b),
        CmpOp::Lt => ord(a, b) == Some(Ordering::Less),
        CmpOp::Le => matches!(ord(a, b), Some(Ordering::Less | Ordering::Equal)),
        CmpOp::Gt => ord(a, b) == Some(Ordering::Greater),
        CmpOp::Ge => matches!(ord(a, b), Some(Ordering::Greater | Ordering::Equal)),
        CmpOp::Regex => match (a, b) {
            (Value::String(s), Value::String(re)) => simple_regex_match(re, s),
            _ => false,
        },
        CmpOp::In => b.as_array().is_some_and(|xs| xs.iter().any(|x| crate::value::json_eq(a, x))),
        CmpOp::Nin => !b.as_array().is_some_and(|xs| xs.iter().any(|x| crate::value::json_eq(a, x))),
    }
}

/// `=~ /re/` in filters: only literal text with `.*`, `.`, `^`, `$` is supported.
fn simple_regex_match(re: &str, s: &str) -> bool {
    let (body, _) = re.rsplit_once('/').unwrap_or((re, ""));
    let body = body.strip_prefix('/').unwrap_or(body);
    let anchored_start = body.starts_with('^');
    let anchored_end = body.ends_with('$') && !body.ends_with("\\$");
    let core = body.trim_start_matches('^');
    let core = if anchored_end { &core[..core.len() - 1] } else { core };
    let pattern: Vec<char> = core.chars().collect();
    let text: Vec<char> = s.chars().collect();
    fn m(p: &[char], t: &[char], end: bool) -> bool {
        if p.is_empty() {
            return !end || t.is_empty();
        }
        if p.len() >= 2 && p[1] == '*' {
            let any = p[0] == '.';
            let mut i = 0;
            loop {
                if m(&p[2..], &t[i..], end) {
                    return true;
                }
                if i < t.len() && (any || t[i] == p[0]) {
                    i += 1;
                } else {
                    return false;
                }
            }
        }
        !t.is_empty() && (p[0] == '.' || p[0] == t[0]) && m(&p[1..], &t[1..], end)
    }
    if anchored_start {
        m(&pattern, &text, anchored_end)
    } else {
        (0..=text.len()).any(|i| m(&pattern, &text[i..], anchored_end))
    }
}

/// Jayway's rendering of a compiled path: `$['a'][0][*]`.
fn render_path(segs: &[Seg]) -> String {
    let mut s = String::from("$");
    s.push_str(&render_segs(segs));
    s
}

fn render_segs(segs: &[Seg]) -> String {
    let mut s = String::new();
    for seg in segs {
        match seg {
            Seg::Field(f) => {
                let _ = write!(s, "['{f}']");
            }
            Seg::Fields(fs) => {
                s.push('[');
                for (i, f) in fs.iter().enumerate() {
                    if i > 0 {
                        s.push(',');
                    }
                    let _ = write!(s, "'{f}'");
                }
                s.push(']');
            }
            Seg::Index(i) => {
                let _ = write!(s, "[{i}]");
            }
            Seg::Indexes(is) => {
                let parts: Vec<String> = is.iter().map(i64::to_string).collect();
                let _ = write!(s, "[{}]", parts.join(","));
            }
            Seg::Slice(a, b, _) => {
                let _ = write!(
                    s,
                    "[{}:{}]",
                    a.map(|x| x.to_string()).unwrap_or_default(),
                    b.map(|x| x.to_string()).unwrap_or_default()
                );
            }
            Seg::Wildcard => s.push_str("[*]"),
            Seg::Scan(Some(n)) => {
                let _ = write!(s, "..['{n}']");
            }
            Seg::Scan(None) => s.push_str("..[*]"),
            Seg::Filter(_) => s.push_str("[?]"),
        }
    }
    s
}

struct Parser<'s> {
    s: &'s [u8],
    src: &'s str,
    i: usize,
}

fn is_name_byte(b: u8) -> bool {
    !matches!(
        b,
        b'.' | b'[' | b']' | b' ' | b'(' | b')' | b',' | b'=' | b'!' | b'<' | b'>' | b'&' | b'|' | b'\'' | b'"'
    )
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn path(&mut self) -> Result<(Root, Vec<Seg>), String> {
        if !self.eat(b'$') {
            return Err("a path must start with `$`".into());
        }
        let root = if self.eat(b'$') {
            Root::Context
        } else if self.peek().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b >= 0x80) {
            let start = self.i;
            while self.peek().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80) {
                self.i += 1;
            }
            Root::Var(self.src[start..self.i].into())
        } else {
            Root::Input
        };
        let segs = self.segments()?;
        Ok((root, segs))
    }

    fn segments(&mut self) -> Result<Vec<Seg>, String> {
        let mut segs = Vec::new();
        loop {
            match self.peek() {
                Some(b'.') => {
                    self.i += 1;
                    if self.eat(b'.') {
                        if self.eat(b'*') {
                            segs.push(Seg::Scan(None));
                        } else if self.peek() == Some(b'[') {
                            let inner = self.bracket()?;
                            match inner {
                                Seg::Field(f) => segs.push(Seg::Scan(Some(f))),
                                Seg::Wildcard => segs.push(Seg::Scan(None)),
                                other => {
                                    segs.push(Seg::Scan(None));
                                    segs.push(other);
                                }
                            }
                        } else {
                            let name = self.name()?;
                            segs.push(Seg::Scan(Some(name)));
                        }
                    } else if self.eat(b'*') {
                        segs.push(Seg::Wildcard);
                    } else {
                        let name = self.name()?;
                        if self.peek() == Some(b'(') {
                            return Err(format!("path functions such as `{name}()` are not supported"));
                        }
                        segs.push(Seg::Field(name));
                    }
                }
                Some(b'[') => segs.push(self.bracket()?),
                _ => return Ok(segs),
            }
        }
    }

    fn name(&mut self) -> Result<Box<str>, String> {
        let start = self.i;
        while self.peek().is_some_and(is_name_byte) {
            self.i += 1;
        }
        if start == self.i {
            return Err(format!("expected a field name at offset {start}"));
        }
        Ok(self.src[start..self.i].into())
    }

    /// A quoted name in brackets. Only the quote character itself can be escaped;
    /// any other backslash is kept (Jayway leaves `\"` in `['a\"b']` as written).
    fn quoted(&mut self) -> Result<Box<str>, String> {
        let q = self.peek().ok_or("unterminated string")? as char;
        self.i += 1;
        let mut out = String::new();
        loop {
            let c = self.src[self.i..].chars().next().ok_or("unterminated string")?;
            self.i += c.len_utf8();
            if c == q {
                return Ok(out.into());
            }
            if c == '\\' && self.src[self.i..].starts_with(q) {
                out.push(q);
                self.i += 1;
            } else {
                out.push(c);
            }
        }
    }

    fn int(&mut self) -> Result<i64, String> {
        self.ws();
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
        self.src[start..self.i].parse().map_err(|_| format!("expected an integer at offset {start}"))
    }

    fn bracket(&mut self) -> Result<Seg, String> {
        self.i += 1; // [
        self.ws();
        let seg = match self.peek() {
            Some(b'*') => {
                self.i += 1;
                Seg::Wildcard
            }
            Some(b'\'' | b'"') => {
                let mut names = vec![self.quoted()?];
                self.ws();
                while self.eat(b',') {
                    self.ws();
                    names.push(self.quoted()?);
                    self.ws();
                }
                if names.len() == 1 { Seg::Field(names.pop().unwrap_or_default()) } else { Seg::Fields(names) }
            }
            Some(b'?') => {
                self.i += 1;
                self.ws();
                if !self.eat(b'(') {
                    return Err("expected `(` after `?`".into());
                }
                let f = self.filter_or()?;
                self.ws();
                if !self.eat(b')') {
                    return Err("expected `)` closing the filter".into());
                }
                Seg::Filter(Box::new(f))
            }
            Some(b':') => {
                self.i += 1;
                self.slice_rest(None)?
            }
            _ => {
                let first = self.int()?;
                self.ws();
                if self.eat(b':') {
                    self.slice_rest(Some(first))?
                } else if self.peek() == Some(b',') {
                    let mut is = vec![first];
                    while self.eat(b',') {
                        is.push(self.int()?);
                        self.ws();
                    }
                    Seg::Indexes(is)
                } else {
                    Seg::Index(first)
                }
            }
        };
        self.ws();
        if !self.eat(b']') {
            return Err(format!("expected `]` at offset {}", self.i));
        }
        Ok(seg)
    }

    fn slice_rest(&mut self, start: Option<i64>) -> Result<Seg, String> {
        self.ws();
        let end = if matches!(self.peek(), Some(b']' | b':')) { None } else { Some(self.int()?) };
        self.ws();
        let step = if self.eat(b':') {
            self.ws();
            if self.peek() == Some(b']') { None } else { Some(self.int()?) }
        } else {
            None
        };
        Ok(Seg::Slice(start, end, step))
    }

    fn filter_or(&mut self) -> Result<Filter, String> {
        let mut left = self.filter_and()?;
        loop {
            self.ws();
            if self.s[self.i..].starts_with(b"||") {
                self.i += 2;
                let right = self.filter_and()?;
                left = Filter::Or(Box::new(left), Box::new(right));
            } else {
                return Ok(left);
            }
        }
    }

    fn filter_and(&mut self) -> Result<Filter, String> {
        let mut left = self.filter_unary()?;
        loop {
            self.ws();
            if self.s[self.i..].starts_with(b"&&") {
                self.i += 2;
                let right = self.filter_unary()?;
                left = Filter::And(Box::new(left), Box::new(right));
            } else {
                return Ok(left);
            }
        }
    }

    fn filter_unary(&mut self) -> Result<Filter, String> {
        self.ws();
        if self.peek() == Some(b'!') && self.s.get(self.i + 1) != Some(&b'=') {
            self.i += 1;
            return Ok(Filter::Not(Box::new(self.filter_unary()?)));
        }
        if self.eat(b'(') {
            let f = self.filter_or()?;
            self.ws();
            if !self.eat(b')') {
                return Err("expected `)`".into());
            }
            return Ok(f);
        }
        let left = self.operand()?;
        self.ws();
        let rest = &self.s[self.i..];
        let (op, n) = if rest.starts_with(b"==") {
            (CmpOp::Eq, 2)
        } else if rest.starts_with(b"!=") {
            (CmpOp::Ne, 2)
        } else if rest.starts_with(b"<=") {
            (CmpOp::Le, 2)
        } else if rest.starts_with(b">=") {
            (CmpOp::Ge, 2)
        } else if rest.starts_with(b"=~") {
            (CmpOp::Regex, 2)
        } else if rest.starts_with(b"<") {
            (CmpOp::Lt, 1)
        } else if rest.starts_with(b">") {
            (CmpOp::Gt, 1)
        } else if rest.starts_with(b"nin ") {
            (CmpOp::Nin, 3)
        } else if rest.starts_with(b"in ") {
            (CmpOp::In, 2)
        } else {
            return Ok(Filter::Exists(left));
        };
        self.i += n;
        self.ws();
        let right = self.operand()?;
        Ok(Filter::Cmp(left, op, right))
    }

    fn operand(&mut self) -> Result<Operand, String> {
        self.ws();
        match self.peek() {
            Some(b'@') => {
                self.i += 1;
                Ok(Operand::Current(self.segments()?))
            }
            Some(b'$') => {
                self.i += 1;
                Ok(Operand::Root(self.segments()?))
            }
            Some(b'\'' | b'"') => Ok(Operand::Lit(Value::String(self.quoted()?.into()))),
            Some(b'/') => {
                let start = self.i;
                self.i += 1;
                while let Some(b) = self.peek() {
                    self.i += 1;
                    if b == b'\\' {
                        self.i += 1;
                    } else if b == b'/' {
                        break;
                    }
                }
                while self.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
                    self.i += 1;
                }
                Ok(Operand::Regex(self.src[start..self.i].into()))
            }
            Some(b'[') => {
                let start = self.i;
                let mut depth = 0;
                while let Some(b) = self.peek() {
                    self.i += 1;
                    if b == b'[' {
                        depth += 1;
                    } else if b == b']' {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                }
                let text = self.src[start..self.i].replace('\'', "\"");
                serde_json::from_str(&text).map(Operand::Lit).map_err(|e| format!("bad array literal: {e}"))
            }
            _ => {
                let start = self.i;
                while self.peek().is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.')) {
                    self.i += 1;
                }
                let word = &self.src[start..self.i];
                serde_json::from_str::<Value>(word)
                    .map(Operand::Lit)
                    .map_err(|_| format!("unexpected `{word}` in a filter expression"))
            }
        }
    }
}

/// Writes `value` at a reference path inside `target`, creating objects on the way
/// (`ResultPath`). Fails when the path crosses a non-object.
pub(crate) fn write_at(target: &mut Value, steps: &[Step<'_>], value: Value) -> Result<(), ()> {
    let Some((last, init)) = steps.split_last() else {
        *target = value;
        return Ok(());
    };
    let mut cur = target;
    for step in init {
        cur = match step {
            Step::Field(f) => {
                let Value::Object(m) = cur else { return Err(()) };
                m.entry(f.to_string()).or_insert_with(|| Value::Object(Map::new()))
            }
            Step::Index(i) => {
                let Value::Array(a) = cur else { return Err(()) };
                let len = a.len() as i64;
                let j = if *i < 0 { len + i } else { *i };
                if j < 0 || j >= len {
                    return Err(());
                }
                &mut a[j as usize]
            }
        };
    }
    match last {
        Step::Field(f) => {
            let Value::Object(m) = cur else { return Err(()) };
            m.insert(f.to_string(), value);
        }
        Step::Index(i) => {
            let Value::Array(a) = cur else { return Err(()) };
            let len = a.len() as i64;
            let j = if *i < 0 { len + i } else { *i };
            if j < 0 || j >= len {
                return Err(());
            }
            a[j as usize] = value;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sel(p: &str, v: &Value) -> Result<Value, PathError> {
        JsonPath::parse(p).unwrap().select(v).map(Cow::into_owned)
    }

    #[test]
    fn definite_paths() {
        let v = json!({"a": {"b": [1, 2, {"c": 3}]}});
        assert_eq!(sel("$.a.b[2].c", &v).unwrap(), json!(3));
        assert_eq!(sel("$['a']['b'][-1]", &v).unwrap(), json!({"c": 3}));
        assert_eq!(sel("$", &v).unwrap(), v);
    }

    #[test]
    fn jayway_messages() {
        let v = json!({"a": 1});
        assert_eq!(sel("$.x", &v).unwrap_err().0, "No results for path: $['x']");
        assert_eq!(sel("$.no.such.path", &v).unwrap_err().0, "Missing property in path $['no']");
    }

    #[test]
    fn indefinite_paths() {
        let v = json!({"items": [{"v": 1}, {"v": 2}, {"v": 3}], "users": [{"status": 0, "n": "a"}, {"status": 1, "n": "b"}]});
        assert_eq!(sel("$.items[*].v", &v).unwrap(), json!([1, 2, 3]));
        assert_eq!(sel("$.items[1:].v", &v).unwrap(), json!([2, 3]));
        assert_eq!(sel("$.items[:1]", &v).unwrap(), json!([{"v": 1}]));
        assert_eq!(sel("$..v", &v).unwrap(), json!([1, 2, 3]));
        assert_eq!(sel("$.users[?(@.status == 0)].n", &v).unwrap(), json!(["a"]));
        assert_eq!(sel("$[*]", &json!({})).unwrap(), json!([]));
        assert_eq!(sel("$.items[0,2].v", &v).unwrap(), json!([1, 3]));
    }

    #[test]
    fn roots() {
        assert_eq!(JsonPath::parse("$$.Execution.Id").unwrap().root, Root::Context);
        assert_eq!(JsonPath::parse("$x.y").unwrap().root, Root::Var("x".into()));
        assert_eq!(JsonPath::parse("$['Test\\\"\"Name\"']").unwrap().segs.len(), 1);
    }

    #[test]
    fn writes() {
        let mut v = json!({"a": 1});
        write_at(&mut v, &[Step::Field("b"), Step::Field("c")], json!(2)).unwrap();
        assert_eq!(v, json!({"a": 1, "b": {"c": 2}}));
        let mut s = json!("x");
        assert!(write_at(&mut s, &[Step::Field("b")], json!(2)).is_err());
    }
}
