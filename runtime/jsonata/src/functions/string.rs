//! String functions: `$string`, `$substring…`, `$pad`, `$trim`, `$contains`,
//! `$match`, `$replace`, `$split`, `$join`, and the picture formatters
//! `$formatNumber`, `$formatBase`, `$formatInteger`, `$parseInteger` (over
//! [`crate::format`]). Owns JavaScript's UTF-16 string indexing and the
//! `$replace` replacement syntax; may not touch the function table or values'
//! representation (`crate::value`).

use super::*;

pub(super) fn f_string<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(a) = arg(&args, 0) else { return Ok(None) };
    let pretty = matches!(arg(&args, 1), Some(Val::Bool(true)));
    if pretty && !matches!(a, Val::Str(_) | Val::Func(_)) {
        if let Val::Num(n) = a
            && !n.is_finite()
        {
            return Err(Error::new("D3001").with_value(js_stringify(a)));
        }
        return Ok(string(jsonata_stringify(a, true)?));
    }
    match a {
        Val::Str(_) => Ok(Some(a.clone())),
        _ => Ok(string(to_js_string(a)?)),
    }
}

/// `Array.prototype.slice(start, end)` index normalisation.
pub(super) fn slice_index(i: f64, len: usize) -> usize {
    let i = if i.is_nan() { 0.0 } else { i.trunc() };
    if i < 0.0 { (len as f64 + i).max(0.0) as usize } else { (i.min(len as f64)) as usize }
}

pub(super) fn f_substring<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(s) = str_arg(&args, 0) else { return Ok(None) };
    let chars: Vec<char> = s.chars().collect();
    let len = chars.len();
    let mut start = num_arg(&args, 1).unwrap_or(0.0);
    if len as f64 + start < 0.0 {
        start = 0.0;
    }
    let (from, to) = match num_arg(&args, 2) {
        Some(length) => {
            if length <= 0.0 {
                return Ok(string(""));
            }
            let end = if start >= 0.0 { start + length } else { len as f64 + start + length };
            (slice_index(start, len), slice_index(end, len))
        }
        None => (slice_index(start, len), len),
    };
    if from >= to {
        return Ok(string(""));
    }
    Ok(string(chars[from..to].iter().collect::<String>()))
}

pub(super) fn f_substring_before<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(s) = str_arg_val(&args, 0) else { return Ok(None) };
    let chars = str_arg(&args, 1).unwrap_or("undefined");
    Ok(Some(match s.find(chars) {
        Some(p) => Val::str(&s[..p]),
        None => Val::Str(s),
    }))
}

pub(super) fn f_substring_after<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(s) = str_arg_val(&args, 0) else { return Ok(None) };
    let chars = str_arg(&args, 1).unwrap_or("undefined");
    Ok(Some(match s.find(chars) {
        Some(p) => Val::str(&s[p + chars.len()..]),
        None => Val::Str(s),
    }))
}

pub(super) fn f_lowercase<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(str_arg(&args, 0).map(|s| Val::str(s.to_lowercase())))
}

pub(super) fn f_uppercase<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(str_arg(&args, 0).map(|s| Val::str(s.to_uppercase())))
}

pub(super) fn f_length<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(str_arg(&args, 0).map(|s| Val::Num(s.chars().count() as f64)))
}

pub(super) fn f_trim<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(s) = str_arg(&args, 0) else { return Ok(None) };
    let mut out = String::with_capacity(s.len());
    let mut in_ws = false;
    for c in s.chars() {
        if matches!(c, ' ' | '\t' | '\n' | '\r') {
            if !in_ws {
                out.push(' ');
            }
            in_ws = true;
        } else {
            out.push(c);
            in_ws = false;
        }
    }
    let out = out.strip_prefix(' ').unwrap_or(&out);
    let out = out.strip_suffix(' ').unwrap_or(out);
    Ok(string(out))
}

pub(super) fn f_pad<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(s) = str_arg(&args, 0) else { return Ok(None) };
    let width = num_arg(&args, 1).unwrap_or(f64::NAN);
    let pad_char = match str_arg(&args, 2) {
        Some(c) if !c.is_empty() => c,
        _ => " ",
    };
    let pad_len = width.abs() - s.chars().count() as f64;
    if pad_len.is_nan() || pad_len <= 0.0 {
        return Ok(string(s));
    }
    error::check_string_len(s.len() + pad_len as usize)?;
    let pad_len = pad_len.floor() as usize;
    let padding: String = pad_char.chars().cycle().take(pad_len * pad_char.chars().count().max(1)).collect();
    let padding: String = padding.chars().take(pad_len).collect();
    Ok(string(if width > 0.0 { format!("{s}{padding}") } else { format!("{padding}{s}") }))
}

/// One match produced by a matcher (a regex or a user-defined matcher function).
pub(super) struct MatchItem<'a> {
    matched: String,
    start_byte: usize,
    end_byte: usize,
    start_u16: usize,
    groups: Vec<V<'a>>,
    next: NextMatch<'a>,
}

pub(super) enum NextMatch<'a> {
    Regex { re: &'a JsRegex, s: Str<'a>, last_index: usize },
    Func(Option<Val<'a>>),
}

pub(super) fn regex_item<'a>(re: &'a JsRegex, s: &Str<'a>, from: usize) -> Option<MatchItem<'a>> {
    let m = re.find_at(s, from)?;
    Some(MatchItem {
        matched: s[m.start..m.end].to_string(),
        start_byte: m.start,
        end_byte: m.end,
        start_u16: byte_to_utf16(s, m.start),
        groups: m.groups.iter().map(|g| Some(g.map(|(a, b)| Val::str(&s[a..b])).unwrap_or(Val::Null))).collect(),
        next: NextMatch::Regex { re, s: s.clone(), last_index: m.end },
    })
}

pub(super) fn interpret_match<'a>(ev: &Evaluator<'a>, s: &str, res: V<'a>) -> Result<Option<MatchItem<'a>>> {
    let _ = ev;
    let Some(res) = res else { return Ok(None) };
    let start = res.field("start");
    let groups = res.field("groups");
    let next = res.field("next");
    let valid = matches!(start, Some(Val::Num(_)))
        || groups.as_ref().is_some_and(Val::is_array)
        || next.as_ref().is_some_and(Val::is_function);
    if !valid {
        return Err(Error::new("T1010"));
    }
    let matched = match res.field("match") {
        Some(Val::Str(m)) => m.to_string(),
        Some(other) => to_js_string(&other)?,
        None => String::new(),
    };
    let start_u16 = start.and_then(|v| v.as_num()).unwrap_or(0.0).max(0.0) as usize;
    let start_byte = utf16_to_byte(s, start_u16);
    let end_byte = match res.field("end") {
        Some(Val::Num(e)) => utf16_to_byte(s, e.max(0.0) as usize),
        _ => (start_byte + matched.len()).min(s.len()),
    };
    Ok(Some(MatchItem {
        matched,
        start_byte,
        end_byte,
        start_u16,
        groups: groups.map(|g| g.array_iter().map(Some).collect()).unwrap_or_default(),
        next: NextMatch::Func(next),
    }))
}

pub(super) fn first_match<'a>(
    ev: &Evaluator<'a>,
    matcher: &Val<'a>,
    s: &Str<'a>,
    frame: &Rc<Frame<'a>>,
) -> Result<Option<MatchItem<'a>>> {
    if let Val::Func(f) = matcher
        && let Func::Regex(re) = &**f
    {
        return Ok(regex_item(re, s, 0));
    }
    let res = ev.call_fn(matcher, vec![Some(Val::Str(s.clone()))], frame)?;
    interpret_match(ev, s, res)
}

pub(super) fn next_match<'a>(
    ev: &Evaluator<'a>,
    item: &MatchItem<'a>,
    s: &str,
    frame: &Rc<Frame<'a>>,
) -> Result<Option<MatchItem<'a>>> {
    match &item.next {
        NextMatch::Regex { re, s, last_index } => {
            if byte_to_utf16(s, *last_index) >= s.encode_utf16().count() {
                return Ok(None);
            }
            let next = regex_item(re, s, *last_index);
            if let Some(n) = &next
                && n.matched.is_empty()
            {
                return Err(Error::new("D1004").with_value(crate::value::js_quote(&re.source)));
            }
            Ok(next)
        }
        NextMatch::Func(Some(f)) => {
            let res = ev.call_fn(f, Vec::new(), frame)?;
            interpret_match(ev, s, res)
        }
        NextMatch::Func(None) => Err(Error::new("T1006")),
    }
}

/// Calls a regex literal directly: `/a/("banana")`.
pub(crate) fn regex_match_object<'a>(re: &'a JsRegex, s: Str<'a>, from: usize) -> Result<V<'a>> {
    let Some(m) = regex_item(re, &s, from) else { return Ok(None) };
    let mut o = Obj::with_capacity(4);
    o.insert(Str::B("match"), Val::str(m.matched));
    o.insert(Str::B("start"), Val::Num(m.start_u16 as f64));
    o.insert(Str::B("end"), Val::Num(byte_to_utf16(&s, m.end_byte) as f64));
    o.insert(Str::B("groups"), Val::array(m.groups.into_iter().map(|g| g.unwrap_or(Val::Null)).collect()));
    Ok(Some(Val::object(o)))
}

pub(super) fn f_contains<'a>(ev: &Evaluator<'a>, c: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(s) = str_arg_val(&args, 0) else { return Ok(None) };
    match arg(&args, 1) {
        Some(Val::Str(t)) => Ok(Some(Val::Bool(s.contains(&**t)))),
        Some(m) => Ok(Some(Val::Bool(first_match(ev, m, &s, c.frame)?.is_some()))),
        None => Ok(Some(Val::Bool(false))),
    }
}

pub(super) fn f_match<'a>(ev: &Evaluator<'a>, c: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(s) = str_arg_val(&args, 0) else { return Ok(None) };
    let limit = num_arg(&args, 2);
    if limit.is_some_and(|l| l < 0.0) {
        return Err(Error::new("D3040").with_value(js_number_to_string(limit.unwrap_or(0.0))).with_index(3));
    }
    let mut out = Vec::new();
    if limit.is_none_or(|l| l > 0.0) {
        let Some(m) = arg(&args, 1) else { return Ok(Some(Val::seq(out))) };
        let mut cur = first_match(ev, m, &s, c.frame)?;
        let mut count = 0.0;
        while let Some(item) = cur {
            if limit.is_some_and(|l| count >= l) {
                break;
            }
            let mut o = Obj::with_capacity(3);
            o.insert(Str::B("match"), Val::str(item.matched.clone()));
            o.insert(Str::B("index"), Val::Num(item.start_u16 as f64));
            o.insert(
                Str::B("groups"),
                Val::array(item.groups.iter().map(|g| g.clone().unwrap_or(Val::Null)).collect()),
            );
            out.push(Val::object(o));
            cur = next_match(ev, &item, &s, c.frame)?;
            count += 1.0;
        }
    }
    Ok(Some(Val::seq(out)))
}

/// Expands `$n` references in a replacement string (jsonata-js semantics).
pub(super) fn expand_replacement(replacement: &str, matched: &str, groups: &[V<'_>]) -> String {
    let mut out = String::new();
    let bytes = replacement.as_bytes();
    let mut position = 0;
    while let Some(off) = replacement[position..].find('$') {
        let index = position + off;
        out.push_str(&replacement[position..index]);
        position = index + 1;
        match bytes.get(position) {
            Some(b'$') => {
                out.push('$');
                position += 1;
            }
            Some(b'0') => {
                out.push_str(matched);
                position += 1;
            }
            _ => {
                let max_digits = if groups.is_empty() { 1 } else { (groups.len() as f64).log10().floor() as usize + 1 };
                let digits_of = |n: usize| -> Option<usize> {
                    let d: String = replacement[position..].chars().take(n).take_while(char::is_ascii_digit).collect();
                    d.parse().ok()
                };
                let mut idx = digits_of(max_digits);
                if max_digits > 1
                    && let Some(i) = idx
                    && i > groups.len()
                {
                    idx = digits_of(max_digits - 1);
                }
                match idx {
                    Some(i) => {
                        if !groups.is_empty()
                            && let Some(Some(g)) = groups.get(i.wrapping_sub(1))
                            && !matches!(g, Val::Null)
                            && let Val::Str(g) = g
                        {
                            out.push_str(g);
                        }
                        position += i.to_string().len();
                    }
                    None => out.push('$'),
                }
            }
        }
    }
    out.push_str(&replacement[position..]);
    out
}

pub(super) fn f_replace<'a>(ev: &Evaluator<'a>, c: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(s) = str_arg_val(&args, 0) else { return Ok(None) };
    if str_arg(&args, 1) == Some("") {
        return Err(Error::new("D3010").with_value("\"\"").with_index(2));
    }
    let limit = num_arg(&args, 3);
    if limit.is_some_and(|l| l < 0.0) {
        return Err(Error::new("D3011").with_value(js_number_to_string(limit.unwrap_or(0.0))).with_index(4));
    }
    if limit.is_some_and(|l| l <= 0.0) {
        return Ok(Some(Val::Str(s)));
    }
    let replacement = arg(&args, 2).cloned();
    let pattern = arg(&args, 1).cloned();
    let mut result = String::new();
    let mut position = 0;
    let mut count = 0.0;
    match &pattern {
        Some(Val::Str(p)) => {
            let rep = match &replacement {
                Some(Val::Str(r)) => r.to_string(),
                Some(other) => to_js_string(other)?,
                None => "undefined".into(),
            };
            while let Some(off) = s[position..].find(&**p) {
                if limit.is_some_and(|l| count >= l) {
                    break;
                }
                let index = position + off;
                result.push_str(&s[position..index]);
                result.push_str(&rep);
                error::check_string_len(result.len())?;
                position = index + p.len();
                count += 1.0;
            }
            result.push_str(&s[position..]);
        }
        Some(m) => {
            let mut cur = first_match(ev, m, &s, c.frame)?;
            if cur.is_none() {
                return Ok(Some(Val::Str(s)));
            }
            while let Some(item) = cur {
                if limit.is_some_and(|l| count >= l) {
                    break;
                }
                result.push_str(s.get(position..item.start_byte).unwrap_or(""));
                let replaced = match &replacement {
                    Some(Val::Str(r)) => expand_replacement(r, &item.matched, &item.groups),
                    Some(f @ Val::Func(_)) => {
                        let mut mo = Obj::with_capacity(4);
                        mo.insert(Str::B("match"), Val::str(item.matched.clone()));
                        mo.insert(Str::B("start"), Val::Num(item.start_u16 as f64));
                        mo.insert(Str::B("end"), Val::Num(byte_to_utf16(&s, item.end_byte) as f64));
                        mo.insert(
                            Str::B("groups"),
                            Val::array(item.groups.iter().map(|g| g.clone().unwrap_or(Val::Null)).collect()),
                        );
                        match ev.call_fn(f, vec![Some(Val::object(mo))], c.frame)? {
                            Some(Val::Str(r)) => r.to_string(),
                            other => {
                                return Err(
                                    Error::new("D3012").with_value(crate::value::js_stringify_opt(other.as_ref()))
                                );
                            }
                        }
                    }
                    _ => return Err(Error::new("D3012").with_value("undefined")),
                };
                result.push_str(&replaced);
                error::check_string_len(result.len())?;
                position = item.start_byte + item.matched.len();
                count += 1.0;
                cur = next_match(ev, &item, &s, c.frame)?;
            }
            result.push_str(s.get(position..).unwrap_or(""));
        }
        None => return Ok(Some(Val::Str(s))),
    }
    Ok(string(result))
}

pub(super) fn f_split<'a>(ev: &Evaluator<'a>, c: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(s) = str_arg_val(&args, 0) else { return Ok(None) };
    let limit = num_arg(&args, 2);
    if limit.is_some_and(|l| l < 0.0) {
        return Err(Error::new("D3020").with_value(js_number_to_string(limit.unwrap_or(0.0))).with_index(3));
    }
    let mut out: Vec<Val<'a>> = Vec::new();
    if limit.is_some_and(|l| l <= 0.0) {
        return Ok(Some(Val::array(out)));
    }
    let max = limit.map(|l| l.trunc() as usize);
    match arg(&args, 1) {
        Some(Val::Str(sep)) => {
            if sep.is_empty() {
                out = s.chars().map(|ch| Val::str(ch.to_string())).collect();
            } else {
                out = s.split(&**sep).map(Val::str).collect();
            }
            if let Some(m) = max {
                out.truncate(m);
            }
        }
        Some(m) => {
            let mut cur = first_match(ev, m, &s, c.frame)?;
            if cur.is_none() {
                out.push(Val::Str(s.clone()));
            } else {
                let mut start = 0;
                let mut count = 0;
                while let Some(item) = cur {
                    if max.is_some_and(|l| count >= l) {
                        break;
                    }
                    out.push(Val::str(s.get(start..item.start_byte).unwrap_or("")));
                    start = item.end_byte;
                    cur = next_match(ev, &item, &s, c.frame)?;
                    count += 1;
                }
                if max.is_none_or(|l| count < l) {
                    out.push(Val::str(s.get(start..).unwrap_or("")));
                }
            }
        }
        None => out.push(Val::Str(s)),
    }
    Ok(Some(Val::array(out)))
}

pub(super) fn f_join<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(a) = arg(&args, 0) else { return Ok(None) };
    let sep = str_arg(&args, 1).unwrap_or("");
    let parts: Vec<String> = a
        .array_iter()
        .map(|v| match v {
            Val::Str(s) => s.to_string(),
            other => to_js_string(&other).unwrap_or_default(),
        })
        .collect();
    let total: usize = parts.iter().map(String::len).sum::<usize>() + sep.len() * parts.len();
    error::check_string_len(total)?;
    Ok(string(parts.join(sep)))
}

pub(super) fn f_format_number<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(value) = num_arg(&args, 0) else { return Ok(None) };
    let picture = str_arg(&args, 1).unwrap_or("");
    let options: Vec<(String, String)> = match arg(&args, 2) {
        Some(o) => o
            .object_entries()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.as_str().map(str::to_string).unwrap_or_default()))
            .collect(),
        None => Vec::new(),
    };
    Ok(string(crate::format::format_number(value, picture, &options)?))
}

pub(super) fn f_format_base<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(value) = num_arg(&args, 0) else { return Ok(None) };
    let value = round_half_even(value, 0.0);
    let radix = match num_arg(&args, 1) {
        Some(r) => round_half_even(r, 0.0),
        None => 10.0,
    };
    if !(2.0..=36.0).contains(&radix) {
        return Err(Error::new("D3100").with_value(js_number_to_string(radix)));
    }
    Ok(string(to_radix(value, radix as u32)))
}

pub(super) fn f_format_integer<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(value) = num_arg(&args, 0) else { return Ok(None) };
    let picture = str_arg(&args, 1).unwrap_or("");
    Ok(string(crate::datetime::format_integer(value, picture)?))
}

pub(super) fn f_parse_integer<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(value) = str_arg(&args, 0) else { return Ok(None) };
    let picture = str_arg(&args, 1).unwrap_or("");
    Ok(crate::datetime::parse_integer(value, picture)?.map(Val::Num))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacement_expansion() {
        let g = vec![Some(Val::str("a")), Some(Val::str("b"))];
        assert_eq!(expand_replacement("$2$1", "ab", &g), "ba");
        assert_eq!(expand_replacement("$$", "ab", &g), "$");
        assert_eq!(expand_replacement("$0!", "ab", &g), "ab!");
        assert_eq!(expand_replacement("$x", "ab", &g), "$x");
    }
}
