//! The built-in function library of jsonata-js 2.0.6, and the functions Step
//! Functions adds (`$partition`, `$range`, `$hash`, `$random([seed])`, `$uuid`,
//! `$parse`).

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::OnceLock;

use serde_json::Value;

use crate::error::{self, Error, Result};
use crate::eval::{
    Call, Evaluator, V, append, boolean, deep_clone, is_array_of_numbers, is_array_of_strings, js_str_cmp,
    lookup_field, merge_sort, to_js_string, truthy,
};
use crate::number::{js_number_to_string, js_round, to_radix};
use crate::regex::JsRegex;
use crate::signature::Signature;
use crate::value::{Frame, Func, Obj, SEQUENCE, Str, Val, deep_equal, js_stringify, jsonata_stringify};

pub(crate) type Impl = for<'a, 'c> fn(&Evaluator<'a>, &Call<'c, 'a>, Vec<V<'a>>) -> Result<V<'a>>;

/// A built-in function.
pub(crate) struct Builtin {
    pub name: &'static str,
    sig_src: &'static str,
    sig: OnceLock<Signature>,
    /// `Function.length` of the JavaScript implementation (what HOFs see).
    pub arity: usize,
    /// Declared parameters (used by partial application).
    pub param_count: usize,
    pub imp: Impl,
}

impl std::fmt::Debug for Builtin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "${}", self.name)
    }
}

impl Builtin {
    pub(crate) fn signature(&self) -> &Signature {
        self.sig.get_or_init(|| Signature::builtin(self.sig_src))
    }
}

const fn b(name: &'static str, sig_src: &'static str, arity: usize, param_count: usize, imp: Impl) -> Builtin {
    Builtin { name, sig_src, sig: OnceLock::new(), arity, param_count, imp }
}

static BUILTINS: [Builtin; 66] = [
    b("sum", "<a<n>:n>", 1, 1, f_sum),
    b("count", "<a:n>", 1, 1, f_count),
    b("max", "<a<n>:n>", 1, 1, f_max),
    b("min", "<a<n>:n>", 1, 1, f_min),
    b("average", "<a<n>:n>", 1, 1, f_average),
    b("string", "<x-b?:s>", 1, 2, f_string),
    b("substring", "<s-nn?:s>", 3, 3, f_substring),
    b("substringBefore", "<s-s:s>", 2, 2, f_substring_before),
    b("substringAfter", "<s-s:s>", 2, 2, f_substring_after),
    b("lowercase", "<s-:s>", 1, 1, f_lowercase),
    b("uppercase", "<s-:s>", 1, 1, f_uppercase),
    b("length", "<s-:n>", 1, 1, f_length),
    b("trim", "<s-:s>", 1, 1, f_trim),
    b("pad", "<s-ns?:s>", 3, 3, f_pad),
    b("match", "<s-f<s:o>n?:a<o>>", 3, 3, f_match),
    b("contains", "<s-(sf):b>", 2, 2, f_contains),
    b("replace", "<s-(sf)(sf)n?:s>", 4, 4, f_replace),
    b("split", "<s-(sf)n?:a<s>>", 3, 3, f_split),
    b("join", "<a<s>s?:s>", 2, 2, f_join),
    b("formatNumber", "<n-so?:s>", 3, 3, f_format_number),
    b("formatBase", "<n-n?:s>", 2, 2, f_format_base),
    b("formatInteger", "<n-s:s>", 2, 2, f_format_integer),
    b("parseInteger", "<s-s:n>", 2, 2, f_parse_integer),
    b("number", "<(nsb)-:n>", 1, 1, f_number),
    b("floor", "<n-:n>", 1, 1, f_floor),
    b("ceil", "<n-:n>", 1, 1, f_ceil),
    b("round", "<n-n?:n>", 2, 2, f_round),
    b("abs", "<n-:n>", 1, 1, f_abs),
    b("sqrt", "<n-:n>", 1, 1, f_sqrt),
    b("power", "<n-n:n>", 2, 2, f_power),
    b("random", "<:n>", 0, 0, f_random),
    b("boolean", "<x-:b>", 1, 1, f_boolean),
    b("not", "<x-:b>", 1, 1, f_not),
    b("map", "<af>", 2, 2, f_map),
    b("zip", "<a+>", 0, 0, f_zip),
    b("filter", "<af>", 2, 2, f_filter),
    b("single", "<af?>", 2, 2, f_single),
    b("reduce", "<afj?:j>", 3, 3, f_reduce),
    b("sift", "<o-f?:o>", 2, 2, f_sift),
    b("keys", "<x-:a<s>>", 1, 1, f_keys),
    b("lookup", "<x-s:x>", 2, 2, f_lookup),
    b("append", "<xx:a>", 2, 2, f_append),
    b("exists", "<x:b>", 1, 1, f_exists),
    b("spread", "<x-:a<o>>", 1, 1, f_spread),
    b("merge", "<a<o>:o>", 1, 1, f_merge),
    b("reverse", "<a:a>", 1, 1, f_reverse),
    b("each", "<o-f:a>", 2, 2, f_each),
    b("error", "<s?:x>", 1, 1, f_error),
    b("assert", "<bs?:x>", 2, 2, f_assert),
    b("type", "<x:s>", 1, 1, f_type),
    b("sort", "<af?:a>", 2, 2, f_sort),
    b("shuffle", "<a:a>", 1, 1, f_shuffle),
    b("distinct", "<x:x>", 1, 1, f_distinct),
    b("base64encode", "<s-:s>", 1, 1, f_base64encode),
    b("base64decode", "<s-:s>", 1, 1, f_base64decode),
    b("encodeUrlComponent", "<s-:s>", 1, 1, f_encode_url_component),
    b("encodeUrl", "<s-:s>", 1, 1, f_encode_url),
    b("decodeUrlComponent", "<s-:s>", 1, 1, f_decode_url_component),
    b("decodeUrl", "<s-:s>", 1, 1, f_decode_url),
    b("eval", "<sx?:x>", 2, 2, f_eval),
    b("toMillis", "<s-s?:n>", 2, 2, f_to_millis),
    b("fromMillis", "<n-s?s?:s>", 3, 3, f_from_millis),
    b("clone", "<(oa)-:o>", 1, 1, f_clone),
    b("now", "<s?s?:s>", 2, 2, f_now),
    b("millis", "<:n>", 0, 0, f_millis),
    b("random", "<n?:n>", 1, 1, f_sfn_random),
];

static SFN_BUILTINS: [Builtin; 5] = [
    b("partition", "<an:a>", 2, 2, f_partition),
    b("range", "<nnn?:a>", 3, 3, f_range),
    b("hash", "<ss:s>", 2, 2, f_hash),
    b("uuid", "<:s>", 0, 0, f_uuid),
    b("parse", "<s:x>", 1, 1, f_parse),
];

fn index() -> &'static HashMap<&'static str, usize> {
    static INDEX: OnceLock<HashMap<&'static str, usize>> = OnceLock::new();
    INDEX.get_or_init(|| {
        // the last entry is the Step Functions `$random`; plain `$random` wins here
        BUILTINS[..BUILTINS.len() - 1].iter().enumerate().map(|(i, b)| (b.name, i)).collect()
    })
}

/// The built-in bound to `$name`, if any.
pub(crate) fn lookup(name: &str, step_functions: bool) -> Option<&'static Builtin> {
    if step_functions {
        match name {
            "eval" => return None,
            "random" => return BUILTINS.last(),
            _ => {}
        }
        if let Some(b) = SFN_BUILTINS.iter().find(|b| b.name == name) {
            return Some(b);
        }
    }
    index().get(name).map(|&i| &BUILTINS[i])
}

// ----- argument helpers -----

fn arg<'x, 'a>(args: &'x [V<'a>], i: usize) -> Option<&'x Val<'a>> {
    args.get(i).and_then(Option::as_ref)
}

fn str_arg<'x>(args: &'x [V<'_>], i: usize) -> Option<&'x str> {
    match arg(args, i) {
        Some(Val::Str(s)) => Some(s),
        _ => None,
    }
}

fn str_arg_val<'a>(args: &[V<'a>], i: usize) -> Option<Str<'a>> {
    match arg(args, i) {
        Some(Val::Str(s)) => Some(s.clone()),
        _ => None,
    }
}

fn num_arg(args: &[V<'_>], i: usize) -> Option<f64> {
    match arg(args, i) {
        Some(Val::Num(n)) => Some(*n),
        _ => None,
    }
}

fn num<'a>(n: f64) -> V<'a> {
    Some(Val::Num(n))
}

fn string<'a>(s: impl Into<String>) -> V<'a> {
    Some(Val::str(s))
}

/// jsonata-js `hofFuncArgs`: passes index and array only if the function takes them.
fn hof_args<'a>(f: &Val<'a>, a1: Val<'a>, a2: Val<'a>, a3: &Val<'a>) -> Vec<V<'a>> {
    let arity = f.as_func().map(|f| f.arity()).unwrap_or(1);
    let mut out = vec![Some(a1)];
    if arity >= 2 {
        out.push(Some(a2));
    }
    if arity >= 3 {
        out.push(Some(a3.clone()));
    }
    out
}

/// Converts a UTF-16 offset into a byte offset of `s`.
pub(crate) fn utf16_to_byte(s: &str, units: usize) -> usize {
    let mut count = 0;
    for (i, c) in s.char_indices() {
        if count >= units {
            return i;
        }
        count += c.len_utf16();
    }
    s.len()
}

fn byte_to_utf16(s: &str, byte: usize) -> usize {
    s[..byte.min(s.len())].encode_utf16().count()
}

// ----- aggregation -----

fn f_sum<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(a) = arg(&args, 0) else { return Ok(None) };
    Ok(num(a.array_iter().map(|v| v.as_num().unwrap_or(0.0)).sum()))
}

fn f_count<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(num(arg(&args, 0).and_then(Val::array_len).unwrap_or(0) as f64))
}

fn f_max<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(extremum(&args, f64::NEG_INFINITY, f64::max))
}

fn f_min<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(extremum(&args, f64::INFINITY, f64::min))
}

/// `$max`/`$min`: nothing for nothing or an empty array; NaN as soon as an item is no number.
fn extremum<'a>(args: &[V<'a>], start: f64, pick: fn(f64, f64) -> f64) -> V<'a> {
    let a = arg(args, 0)?;
    if a.array_len() == Some(0) {
        return None;
    }
    num(a
        .array_iter()
        .map(|v| v.as_num().unwrap_or(f64::NAN))
        .fold(start, |m, x| if x.is_nan() || m.is_nan() { f64::NAN } else { pick(m, x) }))
}

fn f_average<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(a) = arg(&args, 0) else { return Ok(None) };
    let n = a.array_len().unwrap_or(0);
    if n == 0 {
        return Ok(None);
    }
    let total: f64 = a.array_iter().map(|v| v.as_num().unwrap_or(0.0)).sum();
    Ok(num(total / n as f64))
}

// ----- strings -----

fn f_string<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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
fn slice_index(i: f64, len: usize) -> usize {
    let i = if i.is_nan() { 0.0 } else { i.trunc() };
    if i < 0.0 { (len as f64 + i).max(0.0) as usize } else { (i.min(len as f64)) as usize }
}

fn f_substring<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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

fn f_substring_before<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(s) = str_arg_val(&args, 0) else { return Ok(None) };
    let chars = str_arg(&args, 1).unwrap_or("undefined");
    Ok(Some(match s.find(chars) {
        Some(p) => Val::str(&s[..p]),
        None => Val::Str(s),
    }))
}

fn f_substring_after<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(s) = str_arg_val(&args, 0) else { return Ok(None) };
    let chars = str_arg(&args, 1).unwrap_or("undefined");
    Ok(Some(match s.find(chars) {
        Some(p) => Val::str(&s[p + chars.len()..]),
        None => Val::Str(s),
    }))
}

fn f_lowercase<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(str_arg(&args, 0).map(|s| Val::str(s.to_lowercase())))
}

fn f_uppercase<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(str_arg(&args, 0).map(|s| Val::str(s.to_uppercase())))
}

fn f_length<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(str_arg(&args, 0).map(|s| Val::Num(s.chars().count() as f64)))
}

fn f_trim<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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

fn f_pad<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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
struct MatchItem<'a> {
    matched: String,
    start_byte: usize,
    end_byte: usize,
    start_u16: usize,
    groups: Vec<V<'a>>,
    next: NextMatch<'a>,
}

enum NextMatch<'a> {
    Regex { re: &'a JsRegex, s: Str<'a>, last_index: usize },
    Func(Option<Val<'a>>),
}

fn regex_item<'a>(re: &'a JsRegex, s: &Str<'a>, from: usize) -> Option<MatchItem<'a>> {
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

fn interpret_match<'a>(ev: &Evaluator<'a>, s: &str, res: V<'a>) -> Result<Option<MatchItem<'a>>> {
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

fn first_match<'a>(
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

fn next_match<'a>(
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

fn f_contains<'a>(ev: &Evaluator<'a>, c: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(s) = str_arg_val(&args, 0) else { return Ok(None) };
    match arg(&args, 1) {
        Some(Val::Str(t)) => Ok(Some(Val::Bool(s.contains(&**t)))),
        Some(m) => Ok(Some(Val::Bool(first_match(ev, m, &s, c.frame)?.is_some()))),
        None => Ok(Some(Val::Bool(false))),
    }
}

fn f_match<'a>(ev: &Evaluator<'a>, c: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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
fn expand_replacement(replacement: &str, matched: &str, groups: &[V<'_>]) -> String {
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

fn f_replace<'a>(ev: &Evaluator<'a>, c: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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

fn f_split<'a>(ev: &Evaluator<'a>, c: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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

fn f_join<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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

fn f_format_number<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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

fn f_format_base<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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

fn f_format_integer<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(value) = num_arg(&args, 0) else { return Ok(None) };
    let picture = str_arg(&args, 1).unwrap_or("");
    Ok(string(crate::datetime::format_integer(value, picture)?))
}

fn f_parse_integer<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(value) = str_arg(&args, 0) else { return Ok(None) };
    let picture = str_arg(&args, 1).unwrap_or("");
    Ok(crate::datetime::parse_integer(value, picture)?.map(Val::Num))
}

// ----- numbers -----

fn js_number_from_prefixed(s: &str) -> f64 {
    let (radix, digits) = match s.get(..2) {
        Some("0x" | "0X") => (16, &s[2..]),
        Some("0o" | "0O") => (8, &s[2..]),
        Some("0b" | "0B") => (2, &s[2..]),
        _ => return f64::NAN,
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return f64::NAN;
    }
    digits.chars().fold(0.0, |acc, c| acc * f64::from(radix) + f64::from(c.to_digit(radix).unwrap_or(0)))
}

fn prefixed_number_regex_matches(s: &str) -> bool {
    // /^(0[xX][0-9A-Fa-f]+)|(0[oO][0-7]+)|(0[bB][0-1]+)$/ — note the alternation
    let b = s.as_bytes();
    let hex_start = b.len() >= 3 && b[0] == b'0' && (b[1] == b'x' || b[1] == b'X') && b[2].is_ascii_hexdigit();
    if hex_start {
        return true;
    }
    let contains = |marker: [u8; 2], ok: fn(u8) -> bool| {
        (0..b.len().saturating_sub(2))
            .any(|i| b[i] == b'0' && (b[i + 1] == marker[0] || b[i + 1] == marker[1]) && ok(b[i + 2]))
    };
    let octal = contains([b'o', b'O'], |c| (b'0'..=b'7').contains(&c));
    let bin_end = {
        // (0[bB][0-1]+)$
        let mut i = b.len();
        while i > 0 && (b[i - 1] == b'0' || b[i - 1] == b'1') {
            i -= 1;
        }
        i < b.len() && i >= 2 && (b[i - 1] == b'b' || b[i - 1] == b'B') && b[i - 2] == b'0'
    };
    octal || bin_end
}

fn is_decimal_number_string(s: &str) -> bool {
    // ^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$
    let b = s.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i += 1;
    }
    let start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == start {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let fs = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == fs {
            return false;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let es = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == es {
            return false;
        }
    }
    i == b.len()
}

fn f_number<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(a) = arg(&args, 0) else { return Ok(None) };
    Ok(num(match a {
        Val::Num(n) => *n,
        Val::Str(s) if is_decimal_number_string(s) && s.parse::<f64>().is_ok_and(f64::is_finite) => {
            s.parse::<f64>().unwrap_or(f64::NAN)
        }
        Val::Str(s) if prefixed_number_regex_matches(s) => js_number_from_prefixed(s),
        Val::Bool(true) => 1.0,
        Val::Bool(false) => 0.0,
        other => {
            return Err(Error::new("D3030").with_value(js_stringify(other)).with_index(1));
        }
    }))
}

fn f_floor<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(num_arg(&args, 0).map(|n| Val::Num(n.floor())))
}

fn f_ceil<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(num_arg(&args, 0).map(|n| Val::Num(n.ceil())))
}

fn f_abs<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(num_arg(&args, 0).map(|n| Val::Num(n.abs())))
}

/// jsonata-js `round`: half to even, with the decimal shift done on the string form.
pub(crate) fn round_half_even(arg: f64, precision: f64) -> f64 {
    let shift = |x: f64, by: f64| -> f64 {
        let s = js_number_to_string(x);
        let (m, e) = match s.split_once('e') {
            Some((m, e)) => (m.to_string(), e.parse::<f64>().unwrap_or(0.0)),
            None => (s, 0.0),
        };
        format!("{m}e{}", js_number_to_string(e + by)).parse::<f64>().unwrap_or(f64::NAN)
    };
    let shifted = precision != 0.0 && !precision.is_nan();
    let mut x = arg;
    if shifted {
        x = shift(x, precision);
    }
    let mut result = js_round(x);
    let diff = result - x;
    if diff.abs() == 0.5 && (result % 2.0).abs() == 1.0 {
        result -= 1.0;
    }
    if shifted {
        result = shift(result, -precision);
    }
    if result == 0.0 {
        result = 0.0;
    }
    result
}

fn f_round<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(n) = num_arg(&args, 0) else { return Ok(None) };
    Ok(num(round_half_even(n, num_arg(&args, 1).unwrap_or(0.0))))
}

fn f_sqrt<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(n) = num_arg(&args, 0) else { return Ok(None) };
    if n < 0.0 {
        return Err(Error::new("D3060").with_value(js_number_to_string(n)).with_index(1));
    }
    Ok(num(n.sqrt()))
}

fn f_power<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(base) = num_arg(&args, 0) else { return Ok(None) };
    let exp = num_arg(&args, 1).unwrap_or(f64::NAN);
    let r = if exp.is_nan() || (base.abs() == 1.0 && exp.is_infinite()) { f64::NAN } else { base.powf(exp) };
    if !r.is_finite() {
        return Err(Error::new("D3061")
            .with_value(js_number_to_string(base))
            .with_extra(js_number_to_string(exp))
            .with_index(1));
    }
    Ok(num(r))
}

fn f_random<'a>(ev: &Evaluator<'a>, _: &Call<'_, 'a>, _: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(num(ev.env.host().random()))
}

fn f_sfn_random<'a>(ev: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    match num_arg(&args, 0) {
        Some(seed) => Ok(num(ev.env.host().seeded_random(seed.floor() as i64))),
        None => Ok(num(ev.env.host().random())),
    }
}

// ----- booleans -----

/// Function arguments reach built-ins as native JavaScript functions, which are falsy.
fn arg_truthy(v: &Val<'_>) -> bool {
    !v.is_function() && truthy(v)
}

fn f_boolean<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(arg(&args, 0).map(|v| Val::Bool(arg_truthy(v))))
}

fn f_not<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(arg(&args, 0).map(|v| Val::Bool(!arg_truthy(v))))
}

fn f_exists<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(Some(Val::Bool(arg(&args, 0).is_some())))
}

// ----- higher-order functions -----

fn f_map<'a>(ev: &Evaluator<'a>, c: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(arr) = arg(&args, 0) else { return Ok(None) };
    let Some(f) = arg(&args, 1) else { return Ok(None) };
    let mut out = Vec::new();
    for (i, item) in arr.array_iter().enumerate() {
        let a = hof_args(f, item, Val::Num(i as f64), arr);
        if let Some(r) = ev.call_fn(f, a, c.frame)? {
            out.push(r);
        }
    }
    Ok(Some(Val::seq(out)))
}

fn f_filter<'a>(ev: &Evaluator<'a>, c: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(arr) = arg(&args, 0) else { return Ok(None) };
    let Some(f) = arg(&args, 1) else { return Ok(None) };
    let mut out = Vec::new();
    for (i, item) in arr.array_iter().enumerate() {
        let a = hof_args(f, item.clone(), Val::Num(i as f64), arr);
        if boolean(&ev.call_fn(f, a, c.frame)?) == Some(true) {
            out.push(item);
        }
    }
    Ok(Some(Val::seq(out)))
}

fn f_single<'a>(ev: &Evaluator<'a>, c: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(arr) = arg(&args, 0) else { return Ok(None) };
    let f = arg(&args, 1);
    let mut found: V<'a> = None;
    for (i, item) in arr.array_iter().enumerate() {
        let positive = match f {
            Some(f) => {
                let a = hof_args(f, item.clone(), Val::Num(i as f64), arr);
                boolean(&ev.call_fn(f, a, c.frame)?) == Some(true)
            }
            None => true,
        };
        if positive {
            if found.is_some() {
                return Err(Error::new("D3138").with_index(i));
            }
            found = Some(item);
        }
    }
    match found {
        Some(v) => Ok(Some(v)),
        None => Err(Error::new("D3139")),
    }
}

fn f_zip<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let len = args.iter().map(|a| a.as_ref().and_then(Val::array_len).unwrap_or(0)).min().unwrap_or(0);
    let out = (0..len)
        .map(|i| {
            Val::array(args.iter().map(|a| a.as_ref().and_then(|a| a.array_get(i)).unwrap_or(Val::Null)).collect())
        })
        .collect();
    Ok(Some(Val::array(out)))
}

fn f_reduce<'a>(ev: &Evaluator<'a>, c: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(seq) = arg(&args, 0) else { return Ok(None) };
    let Some(f) = arg(&args, 1) else { return Ok(None) };
    let arity = f.as_func().map(|f| f.arity()).unwrap_or(0);
    if arity < 2 {
        return Err(Error::new("D3050").with_index(1));
    }
    let items: Vec<Val<'a>> = seq.array_iter().collect();
    let init = args.get(2).cloned().flatten();
    let (mut result, start) = if init.is_none() && !items.is_empty() { (Some(items[0].clone()), 1) } else { (init, 0) };
    for (index, item) in items.iter().enumerate().skip(start) {
        let mut a = vec![result, Some(item.clone())];
        if arity >= 3 {
            a.push(Some(Val::Num(index as f64)));
        }
        if arity >= 4 {
            a.push(Some(seq.clone()));
        }
        result = ev.call_fn(f, a, c.frame)?;
    }
    Ok(result)
}

fn f_sift<'a>(ev: &Evaluator<'a>, c: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(obj) = arg(&args, 0) else { return Ok(None) };
    let Some(f) = arg(&args, 1) else { return Ok(None) };
    let mut out = Obj::default();
    for (k, v) in obj.object_entries() {
        let a = hof_args(f, v.clone(), Val::Str(k.clone()), obj);
        if boolean(&ev.call_fn(f, a, c.frame)?) == Some(true) {
            out.insert(k, v);
        }
    }
    if out.len() == 0 {
        return Ok(None);
    }
    Ok(Some(Val::object(out)))
}

fn f_each<'a>(ev: &Evaluator<'a>, c: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let mut out = Vec::new();
    let Some(obj) = arg(&args, 0) else { return Ok(Some(Val::seq(out))) };
    let Some(f) = arg(&args, 1) else { return Ok(Some(Val::seq(out))) };
    for (k, v) in obj.object_entries() {
        let a = hof_args(f, v, Val::Str(k), obj);
        if let Some(r) = ev.call_fn(f, a, c.frame)? {
            out.push(r);
        }
    }
    Ok(Some(Val::seq(out)))
}

// ----- objects and arrays -----

fn keys_of<'a>(v: &Val<'a>, out: &mut Vec<Str<'a>>) {
    if v.is_array() {
        for item in v.array_iter() {
            let mut ks = Vec::new();
            keys_of(&item, &mut ks);
            for k in ks {
                if !out.iter().any(|e| **e == *k) {
                    out.push(k);
                }
            }
        }
    } else if v.is_object() {
        out.extend(v.object_entries().into_iter().map(|(k, _)| k));
    }
}

fn f_keys<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let mut ks = Vec::new();
    if let Some(a) = arg(&args, 0) {
        keys_of(a, &mut ks);
        if a.is_array() {
            // the merged keys are re-read from an object: JavaScript order
            let mut o = Obj::default();
            for k in &ks {
                o.insert(k.clone(), Val::Bool(true));
            }
            ks = Val::object(o).object_entries().into_iter().map(|(k, _)| k).collect();
        }
    }
    Ok(Some(Val::seq(ks.into_iter().map(Val::Str).collect())))
}

fn f_lookup<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let key = str_arg(&args, 1).unwrap_or("undefined");
    Ok(lookup_field(&args[0], key))
}

fn f_append<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, mut args: Vec<V<'a>>) -> Result<V<'a>> {
    let b = args.pop().flatten();
    let a = args.pop().flatten();
    let len = |v: &V<'a>| v.as_ref().map(|v| v.array_len().unwrap_or(1)).unwrap_or(0);
    error::check_array_len(len(&a) + len(&b))?;
    Ok(append(a, b))
}

fn spread<'a>(v: &Val<'a>) -> V<'a> {
    if v.is_array() {
        let mut result: V<'a> = Some(Val::seq(Vec::new()));
        for item in v.array_iter() {
            result = append(result, spread(&item));
        }
        result
    } else if v.is_object() {
        let out = v
            .object_entries()
            .into_iter()
            .map(|(k, x)| {
                let mut o = Obj::with_capacity(1);
                o.insert(k, x);
                Val::object(o)
            })
            .collect();
        Some(Val::seq(out))
    } else {
        Some(v.clone())
    }
}

fn f_spread<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    match arg(&args, 0) {
        None => Ok(Some(Val::seq(Vec::new()))),
        Some(v) => Ok(spread(v)),
    }
}

fn f_merge<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(a) = arg(&args, 0) else { return Ok(None) };
    let mut out = Obj::default();
    for o in a.array_iter() {
        for (k, v) in o.object_entries() {
            out.insert(k, v);
        }
    }
    Ok(Some(Val::object(out)))
}

fn f_reverse<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(a) = arg(&args, 0) else { return Ok(None) };
    if a.array_len().unwrap_or(0) <= 1 {
        return Ok(Some(a.clone()));
    }
    let mut items: Vec<Val<'a>> = a.array_iter().collect();
    items.reverse();
    Ok(Some(Val::array(items)))
}

fn f_error<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let msg = match str_arg(&args, 0) {
        Some(m) if !m.is_empty() => m.to_string(),
        _ => "$error() function evaluated".into(),
    };
    Err(Error::new("D3137").with_extra(msg))
}

fn f_assert<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    if !matches!(arg(&args, 0), Some(Val::Bool(true))) {
        let msg = match str_arg(&args, 1) {
            Some(m) if !m.is_empty() => m.to_string(),
            _ => "$assert() statement failed".into(),
        };
        return Err(Error::new("D3141").with_extra(msg));
    }
    Ok(None)
}

fn f_type<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(v) = arg(&args, 0) else { return Ok(None) };
    Ok(string(match v {
        Val::Null => "null",
        Val::Num(_) => "number",
        Val::Str(_) => "string",
        Val::Bool(_) => "boolean",
        Val::Func(_) => "function",
        _ if v.is_array() => "array",
        _ => "object",
    }))
}

fn f_sort<'a>(ev: &Evaluator<'a>, c: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(a) = arg(&args, 0) else { return Ok(None) };
    if a.array_len().unwrap_or(0) <= 1 {
        return Ok(Some(a.clone()));
    }
    let items: Vec<Val<'a>> = a.array_iter().collect();
    let sorted = match arg(&args, 1) {
        None => {
            let numbers = is_array_of_numbers(a)?;
            if !numbers && !is_array_of_strings(a) {
                return Err(Error::new("D3070").with_index(1));
            }
            merge_sort(items, &|x: &Val<'a>, y: &Val<'a>| {
                Ok(match (x, y) {
                    (Val::Num(p), Val::Num(q)) => p > q,
                    (Val::Str(p), Val::Str(q)) => js_str_cmp(p, q) == std::cmp::Ordering::Greater,
                    _ => false,
                })
            })?
        }
        Some(f) => {
            let f = f.clone();
            merge_sort(items, &|x: &Val<'a>, y: &Val<'a>| {
                let r = ev.call_fn(&f, vec![Some(x.clone()), Some(y.clone())], c.frame)?;
                Ok(r.as_ref().is_some_and(crate::eval::js_truthy))
            })?
        }
    };
    Ok(Some(Val::array(sorted)))
}

fn f_shuffle<'a>(ev: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(a) = arg(&args, 0) else { return Ok(None) };
    let n = a.array_len().unwrap_or(0);
    if n <= 1 {
        return Ok(Some(a.clone()));
    }
    let items: Vec<Val<'a>> = a.array_iter().collect();
    let mut result: Vec<Option<Val<'a>>> = vec![None; n];
    for (i, item) in items.into_iter().enumerate() {
        let j = ((ev.env.host().random() * (i + 1) as f64).floor() as usize).min(i);
        if i != j {
            result[i] = result[j].take();
        }
        result[j] = Some(item);
    }
    Ok(Some(Val::array(result.into_iter().flatten().collect())))
}

fn f_distinct<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(a) = arg(&args, 0) else { return Ok(None) };
    if !a.is_array() || a.array_len().unwrap_or(0) <= 1 {
        return Ok(Some(a.clone()));
    }
    let mut out: Vec<Val<'a>> = Vec::new();
    for item in a.array_iter() {
        if !out.iter().any(|x| deep_equal(x, &item)) {
            out.push(item);
        }
    }
    Ok(Some(if a.is_sequence() { Val::seq(out) } else { Val::array(out) }))
}

// ----- encoding -----

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn f_base64encode<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(s) = str_arg(&args, 0) else { return Ok(None) };
    // Buffer.from(str, 'binary'): one byte per UTF-16 code unit (low 8 bits)
    let bytes: Vec<u8> = s.encode_utf16().map(|u| (u & 0xff) as u8).collect();
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        out.push(B64[(n >> 18) as usize & 63] as char);
        out.push(B64[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 { B64[(n >> 6) as usize & 63] as char } else { '=' });
        out.push(if chunk.len() > 2 { B64[n as usize & 63] as char } else { '=' });
    }
    Ok(string(out))
}

fn f_base64decode<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(s) = str_arg(&args, 0) else { return Ok(None) };
    // Node's lenient decoder: skips characters outside the alphabet, stops at '='
    let mut bits: u32 = 0;
    let mut nbits = 0;
    let mut out = String::new();
    for c in s.chars() {
        let v = match c {
            'A'..='Z' => c as u32 - 'A' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 26,
            '0'..='9' => c as u32 - '0' as u32 + 52,
            '+' | '-' => 62,
            '/' | '_' => 63,
            '=' => break,
            _ => continue,
        };
        bits = (bits << 6) | v;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            let byte = (bits >> nbits) & 0xff;
            out.push(char::from_u32(byte).unwrap_or('\u{fffd}'));
        }
    }
    Ok(string(out))
}

fn uri_encode(s: &str, unreserved_extra: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || "-_.!~*'()".contains(c) || unreserved_extra.contains(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

fn uri_decode(s: &str, reserved: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let hexval = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    while i < bytes.len() {
        if bytes[i] != b'%' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let byte = |j: usize| -> Option<u8> {
            if *bytes.get(j)? != b'%' {
                return None;
            }
            Some(hexval(*bytes.get(j + 1)?)? * 16 + hexval(*bytes.get(j + 2)?)?)
        };
        let first = byte(i)?;
        if first < 0x80 {
            let c = first as char;
            if reserved.contains(c) {
                out.extend_from_slice(&bytes[i..i + 3]);
            } else {
                out.push(first);
            }
            i += 3;
            continue;
        }
        let n = match first {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => return None,
        };
        let mut seq = vec![first];
        for k in 1..n {
            let b = byte(i + 3 * k)?;
            if b & 0xC0 != 0x80 {
                return None;
            }
            seq.push(b);
        }
        std::str::from_utf8(&seq).ok()?;
        out.extend_from_slice(&seq);
        i += 3 * n;
    }
    String::from_utf8(out).ok()
}

fn f_encode_url_component<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(str_arg(&args, 0).map(|s| Val::str(uri_encode(s, ""))))
}

fn f_encode_url<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(str_arg(&args, 0).map(|s| Val::str(uri_encode(s, ";,/?:@&=+$#"))))
}

fn decode_with<'a>(args: &[V<'a>], reserved: &str, name: &str) -> Result<V<'a>> {
    let Some(s) = str_arg(args, 0) else { return Ok(None) };
    match uri_decode(s, reserved) {
        Some(d) => Ok(string(d)),
        None => Err(Error::new("D3140").with_value(crate::value::js_quote(s)).with_extra(name)),
    }
}

fn f_decode_url_component<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    decode_with(&args, "", "decodeUrlComponent")
}

fn f_decode_url<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    decode_with(&args, ";,/?:@&=+$#", "decodeUrl")
}

// ----- $eval, $clone -----

fn f_eval<'a>(ev: &Evaluator<'a>, c: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(src) = str_arg(&args, 0) else { return Ok(None) };
    let focus = match arg(&args, 1) {
        Some(f) => Some(f.clone()),
        None => c.input.clone(),
    };
    let expr = crate::Expression::parse(src)
        .map_err(|e| Error::new("D3120").with_value(crate::value::js_quote(&e.message())))?;
    // The parsed expression lives only for this call, so the result is
    // evaluated in a separate evaluation over an owned copy of the focus; the
    // caller's variables are visible through the environment's bindings only.
    let input = match &focus {
        Some(v) => match v {
            Val::Arr(a) if a.flags & crate::value::OUTER_WRAPPER != 0 => {
                a.items.first().map(Val::to_json).transpose()?
            }
            other => Some(other.to_json()?),
        },
        None => None,
    };
    let out = expr
        .evaluate_opt(input.as_ref(), ev.env)
        .map_err(|e| Error::new("D3121").with_value(crate::value::js_quote(&e.message())))?;
    Ok(out.map(Val::from_owned_json))
}

fn f_clone<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    match arg(&args, 0) {
        None => Ok(None),
        Some(v) => Ok(Some(deep_clone(v)?)),
    }
}

// ----- date and time -----

fn f_now<'a>(ev: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(string(crate::datetime::from_millis(ev.timestamp, str_arg(&args, 0), str_arg(&args, 1))?))
}

fn f_millis<'a>(ev: &Evaluator<'a>, _: &Call<'_, 'a>, _: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(num(ev.timestamp))
}

fn f_from_millis<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(ms) = num_arg(&args, 0) else { return Ok(None) };
    Ok(string(crate::datetime::from_millis(ms, str_arg(&args, 1), str_arg(&args, 2))?))
}

fn f_to_millis<'a>(ev: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(ts) = str_arg(&args, 0) else { return Ok(None) };
    Ok(crate::datetime::to_millis(ts, str_arg(&args, 1), ev.timestamp)?.map(Val::Num))
}

// ----- Step Functions -----

fn f_partition<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(a) = arg(&args, 0) else { return Ok(None) };
    let size = num_arg(&args, 1).map(f64::floor).unwrap_or(f64::NAN);
    if size.is_nan() || size < 1.0 {
        return Err(error::sfn_arg(format!(
            "The second argument of $partition must be a positive integer: {}",
            js_number_to_string(size)
        )));
    }
    let items: Vec<Val<'a>> = a.array_iter().collect();
    let size = size.min(items.len().max(1) as f64) as usize;
    let chunks = items.chunks(size).map(|c| Val::array(c.to_vec())).collect();
    Ok(Some(Val::array(chunks)))
}

fn f_range<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let (Some(start), Some(end)) = (num_arg(&args, 0), num_arg(&args, 1)) else {
        return Ok(None);
    };
    let (start, end) = (start.floor(), end.floor());
    let step = num_arg(&args, 2).map(f64::floor).unwrap_or(1.0);
    if step == 0.0 {
        return Err(error::sfn_arg("The third argument of $range (the step) must not be 0"));
    }
    let count = ((end - start) / step).floor() + 1.0;
    if count > 1e7 {
        return Err(error::sfn_arg(format!(
            "$range would generate {} values; at most 10000000 are allowed",
            js_number_to_string(count)
        )));
    }
    let count = count.max(0.0) as usize;
    let items = (0..count).map(|i| Val::Num(start + step * i as f64)).collect();
    Ok(Some(Val::array_with_flags(items, SEQUENCE)))
}

fn f_hash<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(s) = str_arg(&args, 0) else { return Ok(None) };
    let algorithm = str_arg(&args, 1).unwrap_or("");
    let bytes = s.as_bytes();
    let digest = match algorithm {
        "MD5" => crate::hash::md5(bytes),
        "SHA-1" => crate::hash::sha1(bytes),
        "SHA-256" => crate::hash::sha256(bytes),
        "SHA-384" => crate::hash::sha384(bytes),
        "SHA-512" => crate::hash::sha512(bytes),
        other => {
            return Err(error::sfn_arg(format!(
                "Unsupported hash algorithm {}; use one of MD5, SHA-1, SHA-256, SHA-384, SHA-512",
                crate::value::js_quote(other)
            )));
        }
    };
    Ok(string(digest))
}

fn f_uuid<'a>(ev: &Evaluator<'a>, _: &Call<'_, 'a>, _: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(string(ev.env.host().uuid()))
}

fn f_parse<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(s) = str_arg(&args, 0) else { return Ok(None) };
    match serde_json::from_str::<Value>(s) {
        Ok(v) => Ok(Some(Val::from_owned_json(v))),
        Err(e) => Err(error::sfn_arg(format!("The argument of $parse is not valid JSON: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_no_duplicates_except_random() {
        let mut names: Vec<&str> = BUILTINS.iter().map(|b| b.name).collect();
        names.sort_unstable();
        let dups: Vec<_> = names.windows(2).filter(|w| w[0] == w[1]).collect();
        assert_eq!(dups, vec![&["random", "random"]]);
    }

    #[test]
    fn replacement_expansion() {
        let g = vec![Some(Val::str("a")), Some(Val::str("b"))];
        assert_eq!(expand_replacement("$2$1", "ab", &g), "ba");
        assert_eq!(expand_replacement("$$", "ab", &g), "$");
        assert_eq!(expand_replacement("$0!", "ab", &g), "ab!");
        assert_eq!(expand_replacement("$x", "ab", &g), "$x");
    }
}
