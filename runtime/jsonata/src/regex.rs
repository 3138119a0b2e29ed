//! Regular expression literals (`/…/im`).
//!
//! jsonata-js hands the pattern to JavaScript's `RegExp`. This module
//! translates the ECMAScript syntax into `regex-lite` syntax: `.` excludes all
//! JavaScript line terminators, `\s` is JavaScript's whitespace set, `\uXXXX`,
//! `\xHH`, `\cX` escapes, named groups, and the characters that are literal in
//! JavaScript but special to `regex-lite` (a `[` inside a class, an unbalanced
//! `{`). Lookaround assertions and backreferences have no `regex-lite`
//! equivalent; they are rejected at parse time with `X1001` naming the feature.
//! Case-insensitive matching of non-ASCII letters follows `regex-lite` (ASCII only).

use crate::error::{Error, Result};

const JS_WS: &str =
    "\\t\\n\\x0B\\x0C\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}";

/// A compiled regular expression literal.
#[derive(Debug)]
pub(crate) struct JsRegex {
    re: regex_lite::Regex,
    /// The JavaScript source of the pattern (without slashes), as `RegExp.source`.
    pub source: String,
}

/// One match: byte offsets into the searched string.
#[derive(Debug, Clone)]
pub(crate) struct Match {
    pub start: usize,
    pub end: usize,
    /// Capture groups 1..n (`None` when a group did not participate).
    pub groups: Vec<Option<(usize, usize)>>,
}

impl JsRegex {
    pub(crate) fn new(pattern: &str, flags: &str) -> Result<JsRegex> {
        let translated = translate(pattern)?;
        let mut prefix = String::new();
        if flags.contains('i') || flags.contains('m') {
            prefix.push_str("(?");
            if flags.contains('i') {
                prefix.push('i');
            }
            if flags.contains('m') {
                prefix.push('m');
            }
            prefix.push(')');
        }
        let re = regex_lite::Regex::new(&format!("{prefix}{translated}")).map_err(|e| {
            Error::unsupported(format!(
                "the regular expression /{pattern}/ ({})",
                e.to_string().lines().last().unwrap_or("invalid")
            ))
        })?;
        Ok(JsRegex { re, source: pattern.to_string() })
    }

    /// The first match starting at or after byte offset `from`.
    pub(crate) fn find_at(&self, s: &str, from: usize) -> Option<Match> {
        if from > s.len() {
            return None;
        }
        let caps = self.re.captures_at(s, from)?;
        let whole = caps.get(0)?;
        let groups = (1..caps.len()).map(|i| caps.get(i).map(|m| (m.start(), m.end()))).collect();
        Some(Match { start: whole.start(), end: whole.end(), groups })
    }
}

fn unsupported(what: &str) -> Error {
    Error::unsupported(format!("{what} in regular expressions"))
}

fn is_quantifier_brace(chars: &[char], i: usize) -> bool {
    // {n}, {n,}, {n,m}
    let mut j = i + 1;
    let mut digits = 0;
    while chars.get(j).is_some_and(char::is_ascii_digit) {
        j += 1;
        digits += 1;
    }
    if digits == 0 {
        return false;
    }
    if chars.get(j) == Some(&'}') {
        return true;
    }
    if chars.get(j) != Some(&',') {
        return false;
    }
    j += 1;
    while chars.get(j).is_some_and(char::is_ascii_digit) {
        j += 1;
    }
    chars.get(j) == Some(&'}')
}

fn hex_escape(out: &mut String, cp: u32) {
    out.push_str(&format!("\\x{{{cp:X}}}"));
}

/// Translates an escape sequence starting after the backslash at `chars[i]`;
/// returns the index after the escape.
fn escape(chars: &[char], mut i: usize, out: &mut String, in_class: bool) -> Result<usize> {
    let Some(&c) = chars.get(i) else {
        return Err(unsupported("a trailing backslash"));
    };
    i += 1;
    match c {
        'd' | 'D' | 'w' | 'W' => {
            out.push('\\');
            out.push(c);
        }
        'b' | 'B' => {
            if in_class {
                if c == 'b' {
                    out.push_str("\\x{8}");
                } else {
                    return Err(unsupported("`\\B` inside a character class"));
                }
            } else {
                out.push('\\');
                out.push(c);
            }
        }
        's' => {
            if in_class {
                out.push_str(JS_WS);
            } else {
                out.push('[');
                out.push_str(JS_WS);
                out.push(']');
            }
        }
        'S' => {
            if in_class {
                return Err(unsupported("`\\S` inside a character class"));
            }
            out.push_str("[^");
            out.push_str(JS_WS);
            out.push(']');
        }
        'n' => out.push_str("\\n"),
        'r' => out.push_str("\\r"),
        't' => out.push_str("\\t"),
        'f' => out.push_str("\\x{C}"),
        'v' => out.push_str("\\x{B}"),
        '0' if !chars.get(i).is_some_and(char::is_ascii_digit) => out.push_str("\\x{0}"),
        '1'..='9' => {
            if in_class {
                return Err(unsupported("octal escapes"));
            }
            return Err(unsupported("backreferences"));
        }
        'k' if chars.get(i) == Some(&'<') => return Err(unsupported("named backreferences")),
        'x' => {
            let hex: String = chars.iter().skip(i).take(2).collect();
            if hex.len() == 2 && hex.chars().all(|h| h.is_ascii_hexdigit()) {
                hex_escape(out, u32::from_str_radix(&hex, 16).unwrap_or(0));
                i += 2;
            } else {
                out.push('x');
            }
        }
        'u' => {
            let hex: String = chars.iter().skip(i).take(4).collect();
            if hex.len() == 4 && hex.chars().all(|h| h.is_ascii_hexdigit()) {
                let unit = u32::from_str_radix(&hex, 16).unwrap_or(0);
                i += 4;
                if (0xd800..0xdc00).contains(&unit) && chars.get(i) == Some(&'\\') && chars.get(i + 1) == Some(&'u') {
                    let low: String = chars.iter().skip(i + 2).take(4).collect();
                    if let Ok(lo) = u32::from_str_radix(&low, 16)
                        && (0xdc00..0xe000).contains(&lo)
                        && low.len() == 4
                    {
                        let cp = 0x10000 + ((unit - 0xd800) << 10) + (lo - 0xdc00);
                        hex_escape(out, cp);
                        return Ok(i + 6);
                    }
                }
                if (0xd800..0xe000).contains(&unit) {
                    return Err(unsupported("lone surrogate escapes"));
                }
                hex_escape(out, unit);
            } else {
                out.push('u');
            }
        }
        'c' => match chars.get(i) {
            Some(l) if l.is_ascii_alphabetic() => {
                hex_escape(out, (*l as u32) % 32);
                i += 1;
            }
            _ => out.push_str("\\\\c"),
        },
        c if c.is_ascii_alphanumeric() || c == '_' => {
            // identity escape of a letter: the letter itself
            out.push(c);
        }
        c => {
            literal(out, c);
        }
    }
    Ok(i)
}

/// Appends `c` as a literal character.
fn literal(out: &mut String, c: char) {
    if c.is_ascii_punctuation() || c == ' ' {
        if matches!(
            c,
            '\\' | '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$' | '#' | '&' | '-' | '~'
        ) {
            out.push('\\');
        }
        out.push(c);
    } else if c.is_control() || c.is_whitespace() {
        hex_escape(out, c as u32);
    } else {
        out.push(c);
    }
}

fn translate(pattern: &str) -> Result<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => i = escape(&chars, i + 1, &mut out, false)?,
            '.' => {
                out.push_str("[^\\n\\r\\x{2028}\\x{2029}]");
                i += 1;
            }
            '(' => {
                if chars.get(i + 1) == Some(&'?') {
                    match (chars.get(i + 2), chars.get(i + 3)) {
                        (Some(':'), _) => {
                            out.push_str("(?:");
                            i += 3;
                        }
                        (Some('=' | '!'), _) => return Err(unsupported("lookahead assertions")),
                        (Some('<'), Some('=' | '!')) => {
                            return Err(unsupported("lookbehind assertions"));
                        }
                        (Some('<'), _) => {
                            out.push_str("(?P<");
                            i += 3;
                        }
                        _ => return Err(unsupported("this group syntax")),
                    }
                } else {
                    out.push('(');
                    i += 1;
                }
            }
            '[' => {
                i += 1;
                let negated = chars.get(i) == Some(&'^');
                if negated {
                    i += 1;
                }
                if chars.get(i) == Some(&']') {
                    // `[]` never matches, `[^]` matches anything
                    out.push_str(if negated { "[\\x{0}-\\x{10FFFF}]" } else { "[^\\x{0}-\\x{10FFFF}]" });
                    i += 1;
                    continue;
                }
                out.push('[');
                if negated {
                    out.push('^');
                }
                let mut closed = false;
                while i < chars.len() {
                    let c = chars[i];
                    match c {
                        ']' => {
                            out.push(']');
                            i += 1;
                            closed = true;
                            break;
                        }
                        '\\' => i = escape(&chars, i + 1, &mut out, true)?,
                        '-' => {
                            out.push('-');
                            i += 1;
                        }
                        c => {
                            if matches!(c, '[' | '&' | '~' | '^') {
                                out.push('\\');
                                out.push(c);
                            } else {
                                literal(&mut out, c);
                            }
                            i += 1;
                        }
                    }
                }
                if !closed {
                    return Err(unsupported("an unterminated character class"));
                }
            }
            '{' => {
                if is_quantifier_brace(&chars, i) {
                    while i < chars.len() {
                        out.push(chars[i]);
                        i += 1;
                        if chars[i - 1] == '}' {
                            break;
                        }
                    }
                } else {
                    out.push_str("\\{");
                    i += 1;
                }
            }
            '}' => {
                out.push_str("\\}");
                i += 1;
            }
            '^' | '$' | '|' | '*' | '+' | '?' | ')' => {
                out.push(c);
                i += 1;
            }
            c => {
                literal(&mut out, c);
                i += 1;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_common_patterns() {
        for (p, s, m) in [
            ("a.c", "abc", true),
            ("a.c", "a\nc", false),
            ("^hello\\$", "hello$world", true),
            ("^hello\\ ", "hello$world", false),
            ("[a-z]+", "123abc", true),
            ("\\d{3}", "ab123", true),
            ("x{", "x{", true),
            ("[\\s]", "a b", true),
            ("\\/", "a/b", true),
            ("(?<year>\\d{4})", "in 2024", true),
            ("[[]", "[", true),
        ] {
            let re = JsRegex::new(p, "").unwrap_or_else(|e| panic!("{p}: {e}"));
            assert_eq!(re.find_at(s, 0).is_some(), m, "{p} on {s:?}");
        }
    }

    #[test]
    fn rejects_lookaround() {
        assert_eq!(JsRegex::new("a(?=b)", "").unwrap_err().code(), "X1001");
        assert_eq!(JsRegex::new("(a)\\1", "").unwrap_err().code(), "X1001");
    }
}
