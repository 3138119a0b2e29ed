//! `$formatNumber` (XPath F&O 3.1 `fn:format-number` pictures), following
//! jsonata-js 2.0.6 step for step, quirks included.

use crate::error::{Error, Result};
use crate::number::to_fixed;

struct Props {
    decimal: char,
    grouping: char,
    exponent: char,
    minus: String,
    percent: char,
    per_mille: char,
    zero: char,
    digit: char,
    pattern: String,
}

struct Parts {
    prefix: Vec<char>,
    suffix: Vec<char>,
    active: Vec<char>,
    mantissa: Vec<char>,
    exponent: Option<Vec<char>>,
    integer: Vec<char>,
    fractional: Vec<char>,
    sub: Vec<char>,
}

#[derive(Clone)]
struct Analysis {
    int_grouping: Vec<usize>,
    regular: usize,
    min_int: usize,
    scaling: i32,
    prefix: Vec<char>,
    frac_grouping: Vec<usize>,
    min_frac: usize,
    max_frac: usize,
    min_exp: usize,
    suffix: Vec<char>,
    picture: Vec<char>,
}

fn index_of(hay: &[char], c: char, from: usize) -> Option<usize> {
    hay.iter().skip(from).position(|&x| x == c).map(|p| p + from)
}

fn last_index_of(hay: &[char], c: char) -> Option<usize> {
    hay.iter().rposition(|&x| x == c)
}

/// JavaScript `String.prototype.slice` on characters.
fn slice(s: &[char], start: isize, end: Option<isize>) -> Vec<char> {
    let len = s.len() as isize;
    let norm = |i: isize| if i < 0 { (len + i).max(0) } else { i.min(len) };
    let a = norm(start);
    let b = end.map(norm).unwrap_or(len);
    if a >= b { Vec::new() } else { s[a as usize..b as usize].to_vec() }
}

fn first_char(s: &str, default: char) -> char {
    s.chars().next().unwrap_or(default)
}

pub(crate) fn format_number(value: f64, picture: &str, options: &[(String, String)]) -> Result<String> {
    let mut props = Props {
        decimal: '.',
        grouping: ',',
        exponent: 'e',
        minus: "-".into(),
        percent: '%',
        per_mille: '\u{2030}',
        zero: '0',
        digit: '#',
        pattern: ";".into(),
    };
    for (k, v) in options {
        match k.as_str() {
            "decimal-separator" => props.decimal = first_char(v, '.'),
            "grouping-separator" => props.grouping = first_char(v, ','),
            "exponent-separator" => props.exponent = first_char(v, 'e'),
            "minus-sign" => props.minus = v.clone(),
            "percent" => props.percent = first_char(v, '%'),
            "per-mille" => props.per_mille = first_char(v, '\u{2030}'),
            "zero-digit" => props.zero = first_char(v, '0'),
            "digit" => props.digit = first_char(v, '#'),
            "pattern-separator" => props.pattern = v.clone(),
            _ => {}
        }
    }
    let family: Vec<char> = (0..10).filter_map(|i| char::from_u32(props.zero as u32 + i)).collect();
    let is_family = |c: char| family.contains(&c);
    let pattern_sep = first_char(&props.pattern, ';');
    let is_active = |c: char| {
        is_family(c)
            || c == props.decimal
            || c == props.exponent
            || c == props.grouping
            || c == props.digit
            || c == pattern_sep
    };

    let sub_pictures: Vec<&str> = if props.pattern.is_empty() {
        picture.chars().map(|_| "").collect()
    } else {
        picture.split(&*props.pattern).collect()
    };
    if sub_pictures.len() > 2 {
        return Err(Error::new("D3080"));
    }

    let split_parts = |sub: &str| -> Result<Parts> {
        let sub: Vec<char> = sub.chars().collect();
        let prefix_end = sub.iter().position(|&c| is_active(c) && c != props.exponent);
        let suffix_start = sub.iter().rposition(|&c| is_active(c) && c != props.exponent);
        let (Some(pe), Some(ss)) = (prefix_end, suffix_start) else {
            return Err(Error::new("D3085"));
        };
        let prefix = sub[..pe].to_vec();
        let suffix = sub[ss + 1..].to_vec();
        let active = sub[prefix.len()..sub.len() - suffix.len()].to_vec();
        let exp_pos = index_of(&sub, props.exponent, prefix.len());
        let (mantissa, exponent) = match exp_pos {
            Some(p) if p <= sub.len() - suffix.len() => {
                (slice(&active, 0, Some(p as isize)), Some(slice(&active, p as isize + 1, None)))
            }
            _ => (active.clone(), None),
        };
        let (integer, fractional) = match index_of(&mantissa, props.decimal, 0) {
            None => (mantissa.clone(), suffix.clone()),
            Some(d) => (mantissa[..d].to_vec(), mantissa[d + 1..].to_vec()),
        };
        Ok(Parts { prefix, suffix, active, mantissa, exponent, integer, fractional, sub })
    };

    let validate = |p: &Parts| -> Result<()> {
        let mut error = None;
        let sub = &p.sub;
        let decimal_pos = index_of(sub, props.decimal, 0);
        if decimal_pos != last_index_of(sub, props.decimal) {
            error = Some("D3081");
        }
        if index_of(sub, props.percent, 0) != last_index_of(sub, props.percent) {
            error = Some("D3082");
        }
        if index_of(sub, props.per_mille, 0) != last_index_of(sub, props.per_mille) {
            error = Some("D3083");
        }
        if sub.contains(&props.percent) && sub.contains(&props.per_mille) {
            error = Some("D3084");
        }
        if !p.mantissa.iter().any(|&c| is_family(c) || c == props.digit) {
            error = Some("D3085");
        }
        if p.active.iter().any(|&c| !is_active(c)) {
            error = Some("D3086");
        }
        match decimal_pos {
            Some(d) => {
                let before = if d > 0 { sub.get(d - 1) } else { None };
                if before == Some(&props.grouping) || sub.get(d + 1) == Some(&props.grouping) {
                    error = Some("D3087");
                }
            }
            None => {
                if p.integer.last() == Some(&props.grouping) {
                    error = Some("D3088");
                }
            }
        }
        if sub.windows(2).any(|w| w[0] == props.grouping && w[1] == props.grouping) {
            error = Some("D3089");
        }
        if let Some(od) = index_of(&p.integer, props.digit, 0)
            && p.integer[..od].iter().any(|&c| is_family(c))
        {
            error = Some("D3090");
        }
        if let Some(od) = last_index_of(&p.fractional, props.digit)
            && p.fractional[od..].iter().any(|&c| is_family(c))
        {
            error = Some("D3091");
        }
        if let Some(exp) = &p.exponent {
            if !exp.is_empty() && (sub.contains(&props.percent) || sub.contains(&props.per_mille)) {
                error = Some("D3092");
            }
            if exp.is_empty() || exp.iter().any(|&c| !is_family(c)) {
                error = Some("D3093");
            }
        }
        match error {
            Some(code) => Err(Error::new(code)),
            None => Ok(()),
        }
    };

    let analyse = |p: &Parts| -> Analysis {
        let grouping_positions = |part: &[char], to_left: bool| -> Vec<usize> {
            let mut positions = Vec::new();
            let mut gp = index_of(part, props.grouping, 0);
            while let Some(g) = gp {
                let range = if to_left { &part[..g] } else { &part[g..] };
                positions.push(range.iter().filter(|&&c| is_family(c) || c == props.digit).count());
                gp = index_of(&p.integer, props.grouping, g + 1);
            }
            positions
        };
        let int_grouping = grouping_positions(&p.integer, false);
        let regular = {
            if int_grouping.is_empty() {
                0
            } else {
                let factor = int_grouping.iter().copied().reduce(gcd).unwrap_or(0);
                if (1..=int_grouping.len()).all(|i| int_grouping.contains(&(i * factor))) { factor } else { 0 }
            }
        };
        let frac_grouping = grouping_positions(&p.fractional, true);
        let mut min_int = p.integer.iter().filter(|&&c| is_family(c)).count();
        let scaling = min_int as i32;
        let mut min_frac = p.fractional.iter().filter(|&&c| is_family(c)).count();
        let mut max_frac = p.fractional.iter().filter(|&&c| is_family(c) || c == props.digit).count();
        let exponent_present = p.exponent.is_some();
        if min_int == 0 && max_frac == 0 {
            if exponent_present {
                min_frac = 1;
                max_frac = 1;
            } else {
                min_int = 1;
            }
        }
        if exponent_present && min_int == 0 && p.integer.contains(&props.digit) {
            min_int = 1;
        }
        if min_int == 0 && min_frac == 0 {
            min_frac = 1;
        }
        let min_exp = p.exponent.as_ref().map(|e| e.iter().filter(|&&c| is_family(c)).count()).unwrap_or(0);
        Analysis {
            int_grouping,
            regular,
            min_int,
            scaling,
            prefix: p.prefix.clone(),
            frac_grouping,
            min_frac,
            max_frac,
            min_exp,
            suffix: p.suffix.clone(),
            picture: p.sub.clone(),
        }
    };

    let parts = sub_pictures.iter().map(|s| split_parts(s)).collect::<Result<Vec<_>>>()?;
    for p in &parts {
        validate(p)?;
    }
    let mut variables: Vec<Analysis> = parts.iter().map(analyse).collect();
    if variables.len() == 1 {
        let mut neg = variables[0].clone();
        let mut prefix: Vec<char> = props.minus.chars().collect();
        prefix.extend(neg.prefix.iter());
        neg.prefix = prefix;
        variables.push(neg);
    }
    let pic = if value >= 0.0 { &variables[0] } else { &variables[1] };
    let adjusted = if pic.picture.contains(&props.percent) {
        value * 100.0
    } else if pic.picture.contains(&props.per_mille) {
        value * 1000.0
    } else {
        value
    };
    let (mantissa, exponent) = if pic.min_exp == 0 {
        (adjusted, None)
    } else {
        let max_m = 10f64.powi(pic.scaling);
        let min_m = 10f64.powi(pic.scaling - 1);
        let mut m = adjusted;
        let mut e = 0i32;
        let mut guard = 0;
        while m < min_m {
            m *= 10.0;
            e -= 1;
            guard += 1;
            if guard > 1100 {
                return Err(Error::unsupported("$formatNumber with an exponent picture on this value"));
            }
        }
        while m > max_m {
            m /= 10.0;
            e += 1;
            guard += 1;
            if guard > 1100 {
                return Err(Error::unsupported("$formatNumber with an exponent picture on this value"));
            }
        }
        (m, Some(e))
    };
    let rounded = crate::functions::round_half_even(mantissa, pic.max_frac as f64);
    let make_string = |v: f64, dp: usize| -> Vec<char> {
        let s = to_fixed(v.abs(), dp);
        if props.zero != '0' {
            s.chars().map(|c| if c.is_ascii_digit() { family[(c as u8 - b'0') as usize] } else { c }).collect()
        } else {
            s.chars().collect()
        }
    };
    let mut sv = make_string(rounded, pic.max_frac);
    match index_of(&sv, '.', 0) {
        None => sv.push(props.decimal),
        Some(i) => sv[i] = props.decimal,
    }
    while sv.first() == Some(&props.zero) {
        sv.remove(0);
    }
    while sv.last() == Some(&props.zero) {
        sv.pop();
    }
    let mut dpos = index_of(&sv, props.decimal, 0).unwrap_or(sv.len()) as isize;
    let pad_left = pic.min_int as isize - dpos;
    let pad_right = pic.min_frac as isize - (sv.len() as isize - dpos - 1);
    if pad_left > 0 {
        let mut z = vec![props.zero; pad_left as usize];
        z.extend(sv);
        sv = z;
    }
    if pad_right > 0 {
        sv.extend(std::iter::repeat_n(props.zero, pad_right as usize));
    }
    dpos = index_of(&sv, props.decimal, 0).map(|i| i as isize).unwrap_or(-1);
    let insert = |sv: &[char], at: isize, c: char| -> Vec<char> {
        let mut out = slice(sv, 0, Some(at));
        out.push(c);
        out.extend(slice(sv, at, None));
        out
    };
    if pic.regular > 0 {
        let group_count = ((dpos - 1) as f64 / pic.regular as f64).floor() as isize;
        for group in 1..=group_count.max(0) {
            sv = insert(&sv, dpos - group * pic.regular as isize, props.grouping);
        }
    } else {
        for pos in &pic.int_grouping {
            sv = insert(&sv, dpos - *pos as isize, props.grouping);
            dpos += 1;
        }
    }
    dpos = index_of(&sv, props.decimal, 0).map(|i| i as isize).unwrap_or(-1);
    for pos in &pic.frac_grouping {
        sv = insert(&sv, *pos as isize + dpos + 1, props.grouping);
    }
    dpos = index_of(&sv, props.decimal, 0).map(|i| i as isize).unwrap_or(-1);
    if !pic.picture.contains(&props.decimal) || dpos == sv.len() as isize - 1 {
        sv.pop();
    }
    let mut out: String = pic.prefix.iter().collect();
    out.extend(sv.iter());
    if let Some(e) = exponent {
        let mut se = make_string(f64::from(e), 0);
        let pad = pic.min_exp as isize - se.len() as isize;
        if pad > 0 {
            let mut z = vec![props.zero; pad as usize];
            z.extend(se);
            se = z;
        }
        out.push(props.exponent);
        if e < 0 {
            out.push_str(&props.minus);
        }
        out.extend(se.iter());
    }
    out.extend(pic.suffix.iter());
    Ok(out)
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_pictures() {
        assert_eq!(format_number(12345.6, "#,###.00", &[]).unwrap(), "12,345.60");
        assert_eq!(format_number(0.14, "01%", &[]).unwrap(), "14%");
        assert_eq!(format_number(-6.0, "000", &[]).unwrap(), "-006");
        assert_eq!(format_number(1234.5678, "00.000e0", &[]).unwrap(), "12.346e2");
    }
}
