//! The built-in function library of jsonata-js 2.0.6, and the functions Step
//! Functions adds (`$partition`, `$range`, `$hash`, `$random([seed])`, `$uuid`,
//! `$parse`).
//!
//! This module owns the table — each function's name, signature, arity and
//! implementation — and [`lookup`], which decides what `$name` is in which
//! mode; the argument helpers every family shares are here too. The families
//! live in rooms (`string`, `number`, `boolean`, `hof`, `array`, `encoding`,
//! `meta`, `time`, `sfn`): each implements its functions over
//! [`crate::value`] and may not add to the table or read the environment
//! beyond the host (clock, randomness) the evaluator hands it.

mod array;
mod boolean;
mod encoding;
mod hof;
mod meta;
mod number;
mod sfn;
mod string;
mod time;

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::OnceLock;

use serde_json::Value;

use crate::error::{self, Error, Result};
use crate::eval::{Call, Evaluator};
use crate::number::{js_number_to_string, js_round, to_radix};
use crate::regex::JsRegex;
use crate::signature::Signature;

pub(crate) use self::number::round_half_even;
pub(crate) use self::string::regex_match_object;
use self::{array::*, boolean::*, encoding::*, hof::*, meta::*, number::*, sfn::*, string::*, time::*};
use crate::value::{
    Frame, Func, Obj, SEQUENCE, Str, V, Val, append, boolean, deep_clone, deep_equal, is_array_of_numbers,
    is_array_of_strings, js_str_cmp, js_stringify, js_truthy, jsonata_stringify, lookup_field, merge_sort,
    to_js_string, truthy,
};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_functions_is_the_table() {
        let mut names: Vec<&str> = BUILTINS.iter().chain(&SFN_BUILTINS).map(|b| b.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(crate::BUILTIN_FUNCTIONS, names);
        for name in crate::BUILTIN_FUNCTIONS {
            assert!(lookup(name, false).is_some() || lookup(name, true).is_some(), "{name}");
        }
    }

    #[test]
    fn table_has_no_duplicates_except_random() {
        let mut names: Vec<&str> = BUILTINS.iter().map(|b| b.name).collect();
        names.sort_unstable();
        let dups: Vec<_> = names.windows(2).filter(|w| w[0] == w[1]).collect();
        assert_eq!(dups, vec![&["random", "random"]]);
    }
}
