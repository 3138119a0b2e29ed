//! Numeric functions: the aggregates `$sum`, `$count`, `$max`, `$min`,
//! `$average`, and `$number`, `$floor`, `$ceil`, `$abs`, `$round` (banker's),
//! `$sqrt`, `$power`, `$random`. Owns the JavaScript rules of `Number(string)`;
//! number formatting itself lives in [`crate::number`].

use super::*;

pub(super) fn f_sum<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(a) = arg(&args, 0) else { return Ok(None) };
    Ok(num(a.array_iter().map(|v| v.as_num().unwrap_or(0.0)).sum()))
}

pub(super) fn f_count<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(num(arg(&args, 0).and_then(Val::array_len).unwrap_or(0) as f64))
}

pub(super) fn f_max<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(extremum(&args, f64::NEG_INFINITY, f64::max))
}

pub(super) fn f_min<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(extremum(&args, f64::INFINITY, f64::min))
}

/// `$max`/`$min`: nothing for nothing or an empty array; NaN as soon as an item is no number.
pub(super) fn extremum<'a>(args: &[V<'a>], start: f64, pick: fn(f64, f64) -> f64) -> V<'a> {
    let a = arg(args, 0)?;
    if a.array_len() == Some(0) {
        return None;
    }
    num(a
        .array_iter()
        .map(|v| v.as_num().unwrap_or(f64::NAN))
        .fold(start, |m, x| if x.is_nan() || m.is_nan() { f64::NAN } else { pick(m, x) }))
}

pub(super) fn f_average<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(a) = arg(&args, 0) else { return Ok(None) };
    let n = a.array_len().unwrap_or(0);
    if n == 0 {
        return Ok(None);
    }
    let total: f64 = a.array_iter().map(|v| v.as_num().unwrap_or(0.0)).sum();
    Ok(num(total / n as f64))
}

pub(super) fn js_number_from_prefixed(s: &str) -> f64 {
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

pub(super) fn prefixed_number_regex_matches(s: &str) -> bool {
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

pub(super) fn is_decimal_number_string(s: &str) -> bool {
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

pub(super) fn f_number<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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

pub(super) fn f_floor<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(num_arg(&args, 0).map(|n| Val::Num(n.floor())))
}

pub(super) fn f_ceil<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(num_arg(&args, 0).map(|n| Val::Num(n.ceil())))
}

pub(super) fn f_abs<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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

pub(super) fn f_round<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(n) = num_arg(&args, 0) else { return Ok(None) };
    Ok(num(round_half_even(n, num_arg(&args, 1).unwrap_or(0.0))))
}

pub(super) fn f_sqrt<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(n) = num_arg(&args, 0) else { return Ok(None) };
    if n < 0.0 {
        return Err(Error::new("D3060").with_value(js_number_to_string(n)).with_index(1));
    }
    Ok(num(n.sqrt()))
}

pub(super) fn f_power<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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

pub(super) fn f_random<'a>(ev: &Evaluator<'a>, _: &Call<'_, 'a>, _: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(num(ev.env.host().random()))
}
