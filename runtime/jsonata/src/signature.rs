//! Function signatures (`<s-nn?:s>`): parsing and argument validation, as in
//! jsonata-js's `signature.js`. jsonata-js compiles a signature into a regular
//! expression over one-letter type symbols and matches the symbols of the
//! supplied arguments against it; this module does the same matching with a
//! small backtracking matcher, so coercions (wrapping a value into an array,
//! substituting the context for a missing first argument) and the errors
//! `T0410`/`T0411`/`T0412` come out identical.

use crate::error::{Error, Result};
use crate::value::Val;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quant {
    One,
    Optional,
    Plus,
}

#[derive(Debug, Clone)]
struct Param {
    /// The symbols this parameter accepts (the regex character class).
    accepts: String,
    /// The parameter's type letter, or the choice group `(…)`.
    typ: String,
    quant: Quant,
    /// `-`: the context value is used when the argument is missing.
    context: bool,
    /// What the context value must match (the class before `-` made it optional).
    context_accepts: String,
    subtype: Option<String>,
}

/// A parsed function signature.
#[derive(Debug, Clone)]
pub struct Signature {
    params: Vec<Param>,
}

impl Signature {
    /// Parses a signature such as `<s-nn?:s>`; on error returns the jsonata code
    /// and the offset within the signature.
    pub(crate) fn parse(sig: &str) -> std::result::Result<Signature, (&'static str, usize)> {
        let chars: Vec<char> = sig.chars().collect();
        let mut params: Vec<Param> = Vec::new();
        let mut position = 1;
        while position < chars.len() {
            let symbol = chars[position];
            if symbol == ':' {
                break;
            }
            let simple = |accepts: &str, typ: char| Param {
                accepts: accepts.to_string(),
                typ: typ.to_string(),
                quant: Quant::One,
                context: false,
                context_accepts: String::new(),
                subtype: None,
            };
            match symbol {
                's' | 'n' | 'b' | 'l' | 'o' => {
                    params.push(simple(&format!("{symbol}m"), symbol));
                }
                'a' => params.push(simple("asnblfom", 'a')),
                'f' => params.push(simple("f", 'f')),
                'j' => params.push(simple("asnblom", 'j')),
                'x' => params.push(simple("asnblfom", 'x')),
                '-' => {
                    if let Some(p) = params.last_mut() {
                        p.context = true;
                        p.context_accepts = p.accepts.clone();
                        p.quant = Quant::Optional;
                    }
                }
                '?' => {
                    if let Some(p) = params.last_mut() {
                        p.quant = Quant::Optional;
                    }
                }
                '+' => {
                    if let Some(p) = params.last_mut() {
                        p.quant = Quant::Plus;
                    }
                }
                '(' => {
                    let end = find_closing(&chars, position, '(', ')');
                    let choice: String = chars[position + 1..end.min(chars.len())].iter().collect();
                    if choice.contains('<') {
                        return Err(("S0402", position));
                    }
                    let mut p = simple(&format!("{choice}m"), 'x');
                    p.typ = format!("({choice})");
                    params.push(p);
                    position = end;
                }
                '<' => {
                    let ok = params.last().is_some_and(|p| p.typ == "a" || p.typ == "f");
                    if !ok {
                        return Err(("S0401", position));
                    }
                    let end = find_closing(&chars, position, '<', '>');
                    let sub: String = chars[position + 1..end.min(chars.len())].iter().collect();
                    if let Some(p) = params.last_mut() {
                        p.subtype = Some(sub);
                    }
                    position = end;
                }
                _ => {}
            }
            position += 1;
        }
        Ok(Signature { params })
    }

    pub(crate) fn builtin(sig: &str) -> Signature {
        // builtin signatures are constants known to parse
        Signature::parse(sig).unwrap_or(Signature { params: Vec::new() })
    }

    /// Validates `args` (and fills in the context value where the signature allows),
    /// returning the arguments to pass to the function.
    pub(crate) fn validate<'a>(
        &self,
        args: Vec<Option<Val<'a>>>,
        context: Option<&Val<'a>>,
    ) -> Result<Vec<Option<Val<'a>>>> {
        let symbols: Vec<char> = args.iter().map(|a| symbol_of(a.as_ref())).collect();
        let Some(spans) = self.match_all(&symbols) else {
            return Err(self.validation_error(&args, &symbols));
        };
        let mut out = Vec::with_capacity(self.params.len());
        let mut arg_index = 0;
        let mut args = args;
        // each argument is taken at most once, in order
        let take =
            |i: usize, args: &mut Vec<Option<Val<'a>>>| -> Option<Val<'a>> { args.get_mut(i).and_then(Option::take) };
        for (param, (start, end)) in self.params.iter().zip(spans) {
            if start == end {
                if param.context {
                    let ctype = symbol_of(context);
                    if param.context_accepts.contains(ctype) {
                        out.push(context.cloned());
                    } else {
                        return Err(Error::new("T0411")
                            .with_index(arg_index + 1)
                            .with_value(crate::value::js_stringify_opt(context)));
                    }
                } else {
                    out.push(take(arg_index, &mut args));
                    arg_index += 1;
                }
                continue;
            }
            for &single in &symbols[start..end] {
                let arg = take(arg_index, &mut args);
                if param.typ == "a" {
                    if single == 'm' {
                        out.push(None);
                    } else {
                        let arg = arg.expect("a non-missing symbol has a value");
                        if let Some(sub) = &param.subtype {
                            let sub_first = sub.chars().next().unwrap_or(' ');
                            let ok = if single != 'a' {
                                // jsonata-js compares the whole match with the subtype
                                symbols[start..end].iter().collect::<String>() == *sub
                            } else {
                                match arg.array_len() {
                                    Some(0) | None => true,
                                    Some(_) => {
                                        let first = symbol_of(arg.array_get(0).as_ref());
                                        first == sub_first && arg.array_iter().all(|v| symbol_of(Some(&v)) == first)
                                    }
                                }
                            };
                            if !ok {
                                let type_name = match sub.as_str() {
                                    "a" => "arrays",
                                    "b" => "booleans",
                                    "f" => "functions",
                                    "n" => "numbers",
                                    "o" => "objects",
                                    "s" => "strings",
                                    _ => "undefined",
                                };
                                return Err(Error::new("T0412")
                                    .with_index(arg_index + 1)
                                    .with_value(crate::value::js_stringify(&arg))
                                    .with_extra(type_name));
                            }
                        }
                        if single != 'a' {
                            out.push(Some(Val::array(vec![arg])));
                        } else {
                            out.push(Some(arg));
                        }
                    }
                } else {
                    out.push(arg);
                }
                arg_index += 1;
            }
        }
        Ok(out)
    }

    fn match_all(&self, symbols: &[char]) -> Option<Vec<(usize, usize)>> {
        let mut spans = Vec::with_capacity(self.params.len());
        if self.match_from(0, 0, symbols, true, &mut spans) { Some(spans) } else { None }
    }

    /// Greedy backtracking match of `params[pi..]` against `symbols[si..]`; with
    /// `anchored` the whole input must be consumed.
    fn match_from(
        &self,
        pi: usize,
        si: usize,
        symbols: &[char],
        anchored: bool,
        spans: &mut Vec<(usize, usize)>,
    ) -> bool {
        self.match_params(&self.params[..], pi, si, symbols, anchored, spans)
    }

    fn match_params(
        &self,
        params: &[Param],
        pi: usize,
        si: usize,
        symbols: &[char],
        anchored: bool,
        spans: &mut Vec<(usize, usize)>,
    ) -> bool {
        if pi == params.len() {
            return !anchored || si == symbols.len();
        }
        let p = &params[pi];
        let mut n = 0;
        while si + n < symbols.len() && p.accepts.contains(symbols[si + n]) {
            n += 1;
            if p.quant != Quant::Plus {
                break;
            }
        }
        let min = if p.quant == Quant::One || p.quant == Quant::Plus { 1 } else { 0 };
        let mut take = n;
        loop {
            if take < min {
                return false;
            }
            spans.push((si, si + take));
            if self.match_params(params, pi + 1, si + take, symbols, anchored, spans) {
                return true;
            }
            spans.pop();
            if take == 0 {
                return false;
            }
            take -= 1;
        }
    }

    fn validation_error(&self, args: &[Option<Val<'_>>], symbols: &[char]) -> Error {
        let mut good_to = 0;
        for k in 1..=self.params.len() {
            let mut spans = Vec::new();
            if self.match_params(&self.params[..k], 0, 0, symbols, false, &mut spans) {
                good_to = spans.last().map(|s| s.1).unwrap_or(0);
            } else {
                break;
            }
        }
        let value =
            args.get(good_to).map(|a| crate::value::js_stringify_opt(a.as_ref())).unwrap_or_else(|| "undefined".into());
        Error::new("T0410").with_index(good_to + 1).with_value(value)
    }
}

fn find_closing(chars: &[char], start: usize, open: char, close: char) -> usize {
    let mut depth = 1;
    let mut position = start;
    while position < chars.len() {
        position += 1;
        match chars.get(position) {
            Some(&c) if c == close => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            Some(&c) if c == open => depth += 1,
            _ => {}
        }
    }
    position
}

/// The one-letter type symbol of a value (`m` for undefined).
pub(crate) fn symbol_of(v: Option<&Val<'_>>) -> char {
    match v {
        None => 'm',
        Some(v) => v.type_symbol(),
    }
}
