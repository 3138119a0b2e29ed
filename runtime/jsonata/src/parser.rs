//! Tokenizer and Pratt parser, following jsonata-js 2.0.6 (`parser.js`) token for
//! token: the same binding powers, the same infix/prefix decisions for `/`
//! (division or regex), the same error codes and positions.
//!
//! The parser produces a raw tree ([`PNode`]); [`crate::ast`] then flattens paths
//! and attaches predicates, groups and bindings to steps, as jsonata-js's
//! `processAST` does.

use crate::error::{Error, Result};

/// Maximum nesting of the raw syntax tree; deeper expressions are rejected
/// (`U1001`) instead of overflowing the stack.
const MAX_PARSE_DEPTH: usize = 1000;

/// Native stack budget of the parser and the post-parse stage.
pub(crate) const PARSE_STACK: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Op(&'static str),
    Name(String),
    Var(String),
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    Regex { pattern: String, flags: String },
    End,
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub tok: Tok,
    /// Character offset just past the token (jsonata-js's convention).
    pub pos: usize,
}

impl Token {
    fn id(&self) -> &'static str {
        match &self.tok {
            Tok::Op(op) => op,
            Tok::Name(_) | Tok::Var(_) => "(name)",
            Tok::Str(_) | Tok::Num(_) | Tok::Bool(_) | Tok::Null => "(literal)",
            Tok::Regex { .. } => "(regex)",
            Tok::End => "(end)",
        }
    }

    /// The token's value as jsonata-js puts it in `err.token`, and whether it is
    /// already JSON (numbers, booleans, null).
    fn value(&self) -> (String, bool) {
        match &self.tok {
            Tok::Op(op) => ((*op).to_string(), false),
            Tok::Name(s) | Tok::Var(s) | Tok::Str(s) => (s.clone(), false),
            Tok::Num(n) => (crate::number::js_number_to_string(*n), true),
            Tok::Bool(b) => (b.to_string(), true),
            Tok::Null => ("null".into(), true),
            Tok::Regex { .. } => ("{}".into(), true),
            Tok::End => ("(end)".into(), false),
        }
    }
}

const OPERATORS: &[&str] = &[
    ".", "[", "]", "{", "}", "(", ")", ",", "@", "#", ";", ":", "?", "+", "-", "*", "/", "%", "|", "=", "<", ">", "^",
    "&", "!", "~",
];

fn single_op(c: char) -> Option<&'static str> {
    let mut buf = [0u8; 4];
    let s = c.encode_utf8(&mut buf);
    OPERATORS.iter().copied().find(|op| *op == s)
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{b}')
}

/// Whether `c` ends a name or variable token.
pub(crate) fn ends_name(c: char) -> bool {
    is_ws(c) || single_op(c).is_some()
}

pub(crate) struct Lexer {
    src: Vec<char>,
    pos: usize,
}

impl Lexer {
    pub(crate) fn new(src: &str) -> Self {
        Lexer { src: src.chars().collect(), pos: 0 }
    }

    fn at(&self, i: usize) -> Option<char> {
        self.src.get(i).copied()
    }

    fn tok(&self, tok: Tok) -> Token {
        Token { tok, pos: self.pos }
    }

    pub(crate) fn len(&self) -> usize {
        self.src.len()
    }

    /// Returns the next token; `infix` is true when the previous token ended an
    /// operand, in which case `/` is division rather than the start of a regex.
    pub(crate) fn next(&mut self, infix: bool) -> Result<Token> {
        loop {
            if self.pos >= self.src.len() {
                return Ok(self.tok(Tok::End));
            }
            while self.at(self.pos).is_some_and(is_ws) {
                self.pos += 1;
            }
            if self.at(self.pos) == Some('/') && self.at(self.pos + 1) == Some('*') {
                let start = self.pos;
                self.pos += 2;
                loop {
                    if self.pos >= self.src.len() {
                        return Err(Error::at("S0106", start));
                    }
                    if self.at(self.pos) == Some('*') && self.at(self.pos + 1) == Some('/') {
                        break;
                    }
                    self.pos += 1;
                }
                self.pos += 2;
                continue;
            }
            break;
        }
        let Some(c) = self.at(self.pos) else {
            return Ok(self.tok(Tok::End));
        };
        if !infix && c == '/' {
            self.pos += 1;
            return self.scan_regex();
        }
        let next = self.at(self.pos + 1);
        let double = match (c, next) {
            ('.', Some('.')) => Some(".."),
            (':', Some('=')) => Some(":="),
            ('!', Some('=')) => Some("!="),
            ('>', Some('=')) => Some(">="),
            ('<', Some('=')) => Some("<="),
            ('*', Some('*')) => Some("**"),
            ('~', Some('>')) => Some("~>"),
            _ => None,
        };
        if let Some(op) = double {
            self.pos += 2;
            return Ok(self.tok(Tok::Op(op)));
        }
        if let Some(op) = single_op(c) {
            self.pos += 1;
            return Ok(self.tok(Tok::Op(op)));
        }
        if c == '"' || c == '\'' {
            return self.scan_string(c);
        }
        if c.is_ascii_digit() {
            return self.scan_number();
        }
        if c == '`' {
            self.pos += 1;
            let start = self.pos;
            while let Some(ch) = self.at(self.pos) {
                if ch == '`' {
                    let name: String = self.src[start..self.pos].iter().collect();
                    self.pos += 1;
                    return Ok(self.tok(Tok::Name(name)));
                }
                self.pos += 1;
            }
            self.pos = self.src.len();
            return Err(Error::at("S0105", self.pos));
        }
        // names and variables
        let start = self.pos;
        let mut i = start;
        while let Some(ch) = self.at(i) {
            if is_ws(ch) || single_op(ch).is_some() {
                break;
            }
            i += 1;
        }
        self.pos = i;
        if c == '$' {
            let name: String = self.src[start + 1..i].iter().collect();
            return Ok(self.tok(Tok::Var(name)));
        }
        let name: String = self.src[start..i].iter().collect();
        Ok(self.tok(match name.as_str() {
            "or" => Tok::Op("or"),
            "in" => Tok::Op("in"),
            "and" => Tok::Op("and"),
            "true" => Tok::Bool(true),
            "false" => Tok::Bool(false),
            "null" => Tok::Null,
            "" => Tok::End,
            _ => Tok::Name(name),
        }))
    }

    fn scan_string(&mut self, quote: char) -> Result<Token> {
        self.pos += 1;
        let mut out = String::new();
        let mut pending_high: Option<u16> = None;
        let flush = |out: &mut String, pending: &mut Option<u16>| {
            if pending.take().is_some() {
                out.push('\u{fffd}');
            }
        };
        while let Some(c) = self.at(self.pos) {
            if c == '\\' {
                self.pos += 1;
                let e = self.at(self.pos);
                let simple = match e {
                    Some('"') => Some('"'),
                    Some('\\') => Some('\\'),
                    Some('/') => Some('/'),
                    Some('b') => Some('\u{8}'),
                    Some('f') => Some('\u{c}'),
                    Some('n') => Some('\n'),
                    Some('r') => Some('\r'),
                    Some('t') => Some('\t'),
                    _ => None,
                };
                if let Some(ch) = simple {
                    flush(&mut out, &mut pending_high);
                    out.push(ch);
                } else if e == Some('u') {
                    let hex: String = (1..=4).filter_map(|k| self.at(self.pos + k)).collect();
                    if hex.len() == 4 && hex.chars().all(|h| h.is_ascii_hexdigit()) {
                        let unit = u16::from_str_radix(&hex, 16).unwrap_or(0xfffd);
                        self.pos += 4;
                        if (0xd800..0xdc00).contains(&unit) {
                            flush(&mut out, &mut pending_high);
                            pending_high = Some(unit);
                        } else if (0xdc00..0xe000).contains(&unit) {
                            match pending_high.take() {
                                Some(high) => {
                                    let cp = 0x10000 + ((u32::from(high) - 0xd800) << 10) + (u32::from(unit) - 0xdc00);
                                    out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
                                }
                                None => out.push('\u{fffd}'),
                            }
                        } else {
                            flush(&mut out, &mut pending_high);
                            out.push(char::from_u32(u32::from(unit)).unwrap_or('\u{fffd}'));
                        }
                    } else {
                        return Err(Error::at("S0104", self.pos));
                    }
                } else {
                    let token = e.map(String::from).unwrap_or_default();
                    return Err(Error::at("S0103", self.pos).with_token(token));
                }
            } else if c == quote {
                flush(&mut out, &mut pending_high);
                self.pos += 1;
                return Ok(self.tok(Tok::Str(out)));
            } else {
                flush(&mut out, &mut pending_high);
                out.push(c);
            }
            self.pos += 1;
        }
        Err(Error::at("S0101", self.pos))
    }

    fn scan_number(&mut self) -> Result<Token> {
        // ^(0|([1-9][0-9]*))(\.[0-9]+)?([Ee][-+]?[0-9]+)?
        let start = self.pos;
        let mut i = start;
        let digit = |i: usize| self.at(i).is_some_and(|c| c.is_ascii_digit());
        if self.at(i) == Some('0') {
            i += 1;
        } else {
            while digit(i) {
                i += 1;
            }
        }
        if self.at(i) == Some('.') && digit(i + 1) {
            i += 1;
            while digit(i) {
                i += 1;
            }
        }
        if matches!(self.at(i), Some('e' | 'E')) {
            let mut j = i + 1;
            if matches!(self.at(j), Some('+' | '-')) {
                j += 1;
            }
            if digit(j) {
                while digit(j) {
                    j += 1;
                }
                i = j;
            }
        }
        let text: String = self.src[start..i].iter().collect();
        let n: f64 = text.parse().unwrap_or(f64::NAN);
        if n.is_finite() {
            self.pos = i;
            Ok(self.tok(Tok::Num(n)))
        } else {
            Err(Error::at("S0102", self.pos).with_token(text))
        }
    }

    fn scan_regex(&mut self) -> Result<Token> {
        let start = self.pos;
        let mut depth: i32 = 0;
        while self.pos < self.src.len() {
            let c = self.src[self.pos];
            if c == '/' && depth == 0 {
                let mut backslashes = 0;
                while self.pos > backslashes && self.src[self.pos - backslashes - 1] == '\\' {
                    backslashes += 1;
                }
                if backslashes % 2 == 0 {
                    let pattern: String = self.src[start..self.pos].iter().collect();
                    if pattern.is_empty() {
                        return Err(Error::at("S0301", self.pos));
                    }
                    self.pos += 1;
                    let fstart = self.pos;
                    while matches!(self.at(self.pos), Some('i' | 'm')) {
                        self.pos += 1;
                    }
                    let flags: String = self.src[fstart..self.pos].iter().collect();
                    return Ok(self.tok(Tok::Regex { pattern, flags }));
                }
            }
            let prev_backslash = self.pos > 0 && self.src[self.pos - 1] == '\\';
            if matches!(c, '(' | '[' | '{') && !prev_backslash {
                depth += 1;
            }
            if matches!(c, ')' | ']' | '}') && !prev_backslash {
                depth -= 1;
            }
            self.pos += 1;
        }
        Err(Error::at("S0302", self.pos))
    }
}

/// A node of the raw syntax tree.
#[derive(Debug)]
pub(crate) struct PNode {
    pub kind: PKind,
    pub pos: usize,
    pub keep_array: bool,
}

#[derive(Debug)]
pub(crate) enum PKind {
    Name(String),
    Var(String),
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    Regex {
        pattern: String,
        flags: String,
    },
    /// An operator token used as an operand (`and`, `or`, `in` as field names;
    /// `?` as a partial-application placeholder; anything else is an error).
    Op(&'static str),
    End,
    Binary {
        op: &'static str,
        lhs: Box<PNode>,
        rhs: Box<PNode>,
    },
    Predicate {
        lhs: Box<PNode>,
        rhs: Box<PNode>,
    },
    GroupBy {
        lhs: Box<PNode>,
        pairs: Vec<(PNode, PNode)>,
    },
    OrderBy {
        lhs: Box<PNode>,
        terms: Vec<(bool, PNode)>,
    },
    Bind {
        lhs: Box<PNode>,
        rhs: Box<PNode>,
    },
    Focus {
        lhs: Box<PNode>,
        rhs: Box<PNode>,
    },
    IndexBind {
        lhs: Box<PNode>,
        rhs: Box<PNode>,
    },
    Neg(Box<PNode>),
    Array(Vec<PNode>),
    Object(Vec<(PNode, PNode)>),
    Wildcard,
    Descendant,
    Parent,
    Call {
        procedure: Box<PNode>,
        args: Vec<PNode>,
        partial: bool,
    },
    Lambda {
        params: Vec<String>,
        signature: Option<crate::signature::Signature>,
        body: Box<PNode>,
    },
    Cond {
        cond: Box<PNode>,
        then: Box<PNode>,
        els: Option<Box<PNode>>,
    },
    Block(Vec<PNode>),
    Transform {
        pattern: Box<PNode>,
        update: Box<PNode>,
        delete: Option<Box<PNode>>,
    },
}

impl PNode {
    fn new(kind: PKind, pos: usize) -> Self {
        PNode { kind, pos, keep_array: false }
    }
}

fn lbp(id: &str) -> u32 {
    match id {
        "." => 75,
        "[" | "(" | "@" | "#" => 80,
        "{" => 70,
        "?" => 20,
        "+" | "-" | "&" => 50,
        "*" | "/" | "%" => 60,
        "=" | "<" | ">" | "^" | "!=" | "<=" | ">=" | "~>" | "in" => 40,
        ":=" => 10,
        "and" => 30,
        "or" => 25,
        _ => 0,
    }
}

/// Operators that have a symbol-table entry in jsonata-js; any other operator
/// token (`!`, `~`) is an unknown operator (`S0204`).
fn known_operator(op: &str) -> bool {
    !matches!(op, "!" | "~")
}

pub(crate) struct Parser {
    lexer: Lexer,
    node: Token,
    depth: usize,
    stack: crate::error::StackGuard,
}

impl Parser {
    pub(crate) fn parse(src: &str, max_stack: usize) -> Result<PNode> {
        let mut p = Parser {
            lexer: Lexer::new(src),
            node: Token { tok: Tok::End, pos: 0 },
            depth: 0,
            stack: crate::error::StackGuard::new(max_stack),
        };
        p.advance(None, false)?;
        let expr = p.expression(0)?;
        if p.node.tok != Tok::End {
            let (value, is_json) = p.node.value();
            let err = Error::at("S0201", p.node.pos);
            return Err(if is_json { err.with_json_token(value) } else { err.with_token(value) });
        }
        Ok(expr)
    }

    fn id(&self) -> &'static str {
        self.node.id()
    }

    fn advance(&mut self, expect: Option<&'static str>, infix: bool) -> Result<Token> {
        if let Some(id) = expect
            && self.id() != id
        {
            let code = if self.node.tok == Tok::End { "S0203" } else { "S0202" };
            let (value, is_json) = self.node.value();
            let err = Error::at(code, self.node.pos).with_value(crate::value::js_quote(id));
            return Err(if is_json { err.with_json_token(value) } else { err.with_token(value) });
        }
        let mut next = self.lexer.next(infix)?;
        if next.tok == Tok::End {
            next.pos = self.lexer.len();
        }
        if let Tok::Op(op) = next.tok
            && !known_operator(op)
        {
            return Err(Error::at("S0204", next.pos).with_token(op));
        }
        self.node = next.clone();
        Ok(next)
    }

    fn expression(&mut self, rbp: u32) -> Result<PNode> {
        self.depth += 1;
        if self.depth > MAX_PARSE_DEPTH {
            return Err(crate::error::stack_overflow().with_position(self.node.pos));
        }
        if self.stack.exceeded() {
            return Err(crate::error::stack_exhausted().with_position(self.node.pos));
        }
        let t = self.node.clone();
        self.advance(None, true)?;
        let mut left = self.nud(t)?;
        while rbp < lbp(self.id()) {
            let t = self.node.clone();
            self.advance(None, false)?;
            left = self.led(t, left)?;
        }
        self.depth -= 1;
        Ok(left)
    }

    fn nud(&mut self, t: Token) -> Result<PNode> {
        let pos = t.pos;
        let kind = match t.tok {
            Tok::Name(s) => PKind::Name(s),
            Tok::Var(s) => PKind::Var(s),
            Tok::Str(s) => PKind::Str(s),
            Tok::Num(n) => PKind::Num(n),
            Tok::Bool(b) => PKind::Bool(b),
            Tok::Null => PKind::Null,
            Tok::Regex { pattern, flags } => PKind::Regex { pattern, flags },
            Tok::End => PKind::End,
            Tok::Op(op) => match op {
                "and" | "or" | "in" => PKind::Op(op),
                "-" => PKind::Neg(Box::new(self.expression(70)?)),
                "*" => PKind::Wildcard,
                "**" => PKind::Descendant,
                "%" => PKind::Parent,
                "(" => {
                    let mut exprs = Vec::new();
                    while self.id() != ")" {
                        exprs.push(self.expression(0)?);
                        if self.id() != ";" {
                            break;
                        }
                        self.advance(Some(";"), false)?;
                    }
                    self.advance(Some(")"), true)?;
                    PKind::Block(exprs)
                }
                "[" => {
                    let mut items = Vec::new();
                    if self.id() != "]" {
                        loop {
                            let mut item = self.expression(0)?;
                            if self.id() == ".." {
                                let rpos = self.node.pos;
                                self.advance(Some(".."), false)?;
                                let rhs = self.expression(0)?;
                                item = PNode::new(
                                    PKind::Binary { op: "..", lhs: Box::new(item), rhs: Box::new(rhs) },
                                    rpos,
                                );
                            }
                            items.push(item);
                            if self.id() != "," {
                                break;
                            }
                            self.advance(Some(","), false)?;
                        }
                    }
                    self.advance(Some("]"), true)?;
                    PKind::Array(items)
                }
                "{" => PKind::Object(self.object_pairs()?),
                "|" => {
                    let pattern = self.expression(0)?;
                    self.advance(Some("|"), false)?;
                    let update = self.expression(0)?;
                    let delete = if self.id() == "," {
                        self.advance(Some(","), false)?;
                        Some(Box::new(self.expression(0)?))
                    } else {
                        None
                    };
                    self.advance(Some("|"), false)?;
                    PKind::Transform { pattern: Box::new(pattern), update: Box::new(update), delete }
                }
                _ => return Err(Error::at("S0211", pos).with_token(op)),
            },
        };
        Ok(PNode::new(kind, pos))
    }

    fn object_pairs(&mut self) -> Result<Vec<(PNode, PNode)>> {
        let mut pairs = Vec::new();
        if self.id() != "}" {
            loop {
                let k = self.expression(0)?;
                self.advance(Some(":"), false)?;
                let v = self.expression(0)?;
                pairs.push((k, v));
                if self.id() != "," {
                    break;
                }
                self.advance(Some(","), false)?;
            }
        }
        self.advance(Some("}"), true)?;
        Ok(pairs)
    }

    fn led(&mut self, t: Token, left: PNode) -> Result<PNode> {
        let pos = t.pos;
        let Tok::Op(op) = t.tok else {
            // only operators have a left binding power
            return Err(Error::at("S0201", pos));
        };
        let kind = match op {
            "(" => return self.call(pos, left),
            "[" => {
                if self.id() == "]" {
                    let mut left = left;
                    {
                        let mut step = &mut left;
                        while let PKind::Predicate { lhs, .. } = &mut step.kind {
                            step = lhs;
                        }
                        step.keep_array = true;
                    }
                    self.advance(Some("]"), false)?;
                    return Ok(left);
                }
                let rhs = self.expression(0)?;
                self.advance(Some("]"), true)?;
                PKind::Predicate { lhs: Box::new(left), rhs: Box::new(rhs) }
            }
            "^" => {
                self.advance(Some("("), false)?;
                let mut terms = Vec::new();
                loop {
                    let mut descending = false;
                    if self.id() == "<" {
                        self.advance(Some("<"), false)?;
                    } else if self.id() == ">" {
                        descending = true;
                        self.advance(Some(">"), false)?;
                    }
                    let e = self.expression(0)?;
                    terms.push((descending, e));
                    if self.id() != "," {
                        break;
                    }
                    self.advance(Some(","), false)?;
                }
                self.advance(Some(")"), false)?;
                PKind::OrderBy { lhs: Box::new(left), terms }
            }
            "{" => PKind::GroupBy { lhs: Box::new(left), pairs: self.object_pairs()? },
            ":=" => {
                if !matches!(left.kind, PKind::Var(_)) {
                    let (tok, _) = pnode_token(&left);
                    return Err(Error::at("S0212", left.pos).with_token(tok));
                }
                let rhs = self.expression(9)?;
                PKind::Bind { lhs: Box::new(left), rhs: Box::new(rhs) }
            }
            "@" | "#" => {
                let rhs = self.expression(80)?;
                if !matches!(rhs.kind, PKind::Var(_)) {
                    return Err(Error::at("S0214", rhs.pos).with_token(op));
                }
                if op == "@" {
                    PKind::Focus { lhs: Box::new(left), rhs: Box::new(rhs) }
                } else {
                    PKind::IndexBind { lhs: Box::new(left), rhs: Box::new(rhs) }
                }
            }
            "?" => {
                let then = self.expression(0)?;
                let els = if self.id() == ":" {
                    self.advance(Some(":"), false)?;
                    Some(Box::new(self.expression(0)?))
                } else {
                    None
                };
                PKind::Cond { cond: Box::new(left), then: Box::new(then), els }
            }
            _ => {
                let rhs = self.expression(lbp(op))?;
                PKind::Binary { op, lhs: Box::new(left), rhs: Box::new(rhs) }
            }
        };
        Ok(PNode::new(kind, pos))
    }

    fn call(&mut self, pos: usize, left: PNode) -> Result<PNode> {
        let mut args = Vec::new();
        let mut partial = false;
        if self.id() != ")" {
            loop {
                if self.node.tok == Tok::Op("?") {
                    partial = true;
                    args.push(PNode::new(PKind::Op("?"), self.node.pos));
                    self.advance(Some("?"), false)?;
                } else {
                    args.push(self.expression(0)?);
                }
                if self.id() != "," {
                    break;
                }
                self.advance(Some(","), false)?;
            }
        }
        self.advance(Some(")"), true)?;
        let is_lambda = matches!(&left.kind, PKind::Name(n) if n == "function" || n == "\u{3bb}");
        if !is_lambda {
            return Ok(PNode::new(PKind::Call { procedure: Box::new(left), args, partial }, pos));
        }
        let mut params = Vec::with_capacity(args.len());
        for (i, arg) in args.into_iter().enumerate() {
            match arg.kind {
                PKind::Var(name) => params.push(name),
                _ => {
                    let (tok, is_json) = pnode_token(&arg);
                    let err = Error::at("S0208", arg.pos).with_value((i + 1).to_string());
                    return Err(if is_json { err.with_json_token(tok) } else { err.with_token(tok) });
                }
            }
        }
        let mut signature = None;
        if self.id() == "<" {
            let sig_pos = self.node.pos;
            let mut depth = 1;
            let mut sig = String::from("<");
            while depth > 0 && self.id() != "{" && self.id() != "(end)" {
                let tok = self.advance(None, false)?;
                if tok.id() == ">" {
                    depth -= 1;
                } else if tok.id() == "<" {
                    depth += 1;
                }
                sig.push_str(&tok.value().0);
            }
            self.advance(Some(">"), false)?;
            signature = Some(
                crate::signature::Signature::parse(&sig).map_err(|(code, offset)| Error::at(code, sig_pos + offset))?,
            );
        }
        self.advance(Some("{"), false)?;
        let body = self.expression(0)?;
        self.advance(Some("}"), false)?;
        Ok(PNode::new(PKind::Lambda { params, signature, body: Box::new(body) }, pos))
    }
}

/// The `value` jsonata-js would report for a raw node in an error.
pub(crate) fn pnode_token(node: &PNode) -> (String, bool) {
    match &node.kind {
        PKind::Name(s) | PKind::Var(s) | PKind::Str(s) => (s.clone(), false),
        PKind::Num(n) => (crate::number::js_number_to_string(*n), true),
        PKind::Bool(b) => (b.to_string(), true),
        PKind::Null => ("null".into(), true),
        PKind::Op(op) => ((*op).to_string(), false),
        PKind::Binary { op, .. } => ((*op).to_string(), false),
        PKind::Predicate { .. } => ("[".into(), false),
        PKind::GroupBy { .. } | PKind::Object(_) => ("{".into(), false),
        PKind::OrderBy { .. } => ("^".into(), false),
        PKind::Bind { .. } => (":=".into(), false),
        PKind::Focus { .. } => ("@".into(), false),
        PKind::IndexBind { .. } => ("#".into(), false),
        PKind::Neg(_) => ("-".into(), false),
        PKind::Array(_) => ("[".into(), false),
        PKind::Wildcard => ("*".into(), false),
        PKind::Descendant => ("**".into(), false),
        PKind::Parent => ("%".into(), false),
        PKind::Call { .. } | PKind::Lambda { .. } | PKind::Block(_) => ("(".into(), false),
        PKind::Cond { .. } => ("?".into(), false),
        PKind::Transform { .. } => ("|".into(), false),
        PKind::Regex { .. } => ("{}".into(), true),
        PKind::End => ("(end)".into(), false),
    }
}
