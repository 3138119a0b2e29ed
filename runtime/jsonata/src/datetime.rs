//! Date/time and integer pictures (XPath F&O 3.1 `format-dateTime`,
//! `format-integer`), as jsonata-js 2.0.6 implements them: `$fromMillis`,
//! `$toMillis`, `$now`, `$formatInteger`, `$parseInteger`. All dates are
//! proleptic Gregorian, UTC unless a timezone offset is given.

use crate::error::{Error, Result};
use crate::number::js_number_to_string;

const FEW: [&str; 20] = [
    "Zero",
    "One",
    "Two",
    "Three",
    "Four",
    "Five",
    "Six",
    "Seven",
    "Eight",
    "Nine",
    "Ten",
    "Eleven",
    "Twelve",
    "Thirteen",
    "Fourteen",
    "Fifteen",
    "Sixteen",
    "Seventeen",
    "Eighteen",
    "Nineteen",
];
const ORDINALS: [&str; 20] = [
    "Zeroth",
    "First",
    "Second",
    "Third",
    "Fourth",
    "Fifth",
    "Sixth",
    "Seventh",
    "Eighth",
    "Ninth",
    "Tenth",
    "Eleventh",
    "Twelfth",
    "Thirteenth",
    "Fourteenth",
    "Fifteenth",
    "Sixteenth",
    "Seventeenth",
    "Eighteenth",
    "Nineteenth",
];
const DECADES: [&str; 9] = ["Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety", "Hundred"];
const MAGNITUDES: [&str; 4] = ["Thousand", "Million", "Billion", "Trillion"];
const DAYS: [&str; 8] = ["", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MILLIS_IN_DAY: f64 = 86_400_000.0;

fn number_to_words(value: f64, ordinal: bool) -> String {
    fn lookup(num: f64, prev: bool, ord: bool) -> String {
        let mut words;
        if num <= 19.0 {
            let n = num.max(0.0) as usize;
            words = format!("{}{}", if prev { " and " } else { "" }, if ord { ORDINALS[n] } else { FEW[n] });
        } else if num < 100.0 {
            let tens = (num / 10.0).floor() as usize;
            let remainder = num % 10.0;
            words = format!("{}{}", if prev { " and " } else { "" }, DECADES[tens - 2]);
            if remainder > 0.0 {
                words = format!("{words}-{}", lookup(remainder, false, ord));
            } else if ord {
                words = format!("{}ieth", &words[..words.len() - 1]);
            }
        } else if num < 1000.0 {
            let hundreds = (num / 100.0).floor() as usize;
            let remainder = num % 100.0;
            words = format!("{}{} Hundred", if prev { ", " } else { "" }, FEW[hundreds.min(19)]);
            if remainder > 0.0 {
                words.push_str(&lookup(remainder, true, ord));
            } else if ord {
                words.push_str("th");
            }
        } else {
            let mut mag = (num.log10() / 3.0).floor() as usize;
            if mag > MAGNITUDES.len() {
                mag = MAGNITUDES.len();
            }
            let factor = 10f64.powi(mag as i32 * 3);
            let mant = (num / factor).floor();
            let remainder = num - mant * factor;
            words = format!(
                "{}{} {}",
                if prev { ", " } else { "" },
                lookup(mant, false, false),
                MAGNITUDES[mag.saturating_sub(1)]
            );
            if remainder > 0.0 {
                words.push_str(&lookup(remainder, true, ord));
            } else if ord {
                words.push_str("th");
            }
        }
        words
    }
    lookup(value, false, ordinal)
}

fn word_value(word: &str) -> Option<f64> {
    for (i, w) in FEW.iter().enumerate() {
        if w.eq_ignore_ascii_case(word) {
            return Some(i as f64);
        }
    }
    for (i, w) in ORDINALS.iter().enumerate() {
        if w.eq_ignore_ascii_case(word) {
            return Some(i as f64);
        }
    }
    for (i, w) in DECADES.iter().enumerate() {
        let lw = w.to_lowercase();
        let ieth = format!("{}ieth", &lw[..lw.len() - 1]);
        if lw == word || ieth == word {
            return Some(((i + 2) * 10) as f64);
        }
    }
    if word == "hundredth" {
        return Some(100.0);
    }
    for (i, w) in MAGNITUDES.iter().enumerate() {
        let lw = w.to_lowercase();
        if lw == word || format!("{lw}th") == word {
            return Some(10f64.powi((i as i32 + 1) * 3));
        }
    }
    None
}

fn words_to_number(text: &str) -> f64 {
    // split on /,\s|\sand\s|[\s\\-]/
    let mut parts = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == ',' && chars.get(i + 1).is_some_and(|c| c.is_whitespace()) {
            parts.push(std::mem::take(&mut cur));
            i += 2;
            continue;
        }
        if c.is_whitespace()
            && chars.get(i + 1..i + 4).is_some_and(|w| w.iter().collect::<String>() == "and")
            && chars.get(i + 4).is_some_and(|c| c.is_whitespace())
        {
            parts.push(std::mem::take(&mut cur));
            i += 5;
            continue;
        }
        if c.is_whitespace() || c == '\\' || c == '-' {
            parts.push(std::mem::take(&mut cur));
            i += 1;
            continue;
        }
        cur.push(c);
        i += 1;
    }
    parts.push(cur);
    let mut segs: Vec<f64> = vec![0.0];
    for part in parts {
        let value = word_value(&part).unwrap_or(f64::NAN);
        if value < 100.0 {
            let mut top = segs.pop().unwrap_or(0.0);
            if top >= 1000.0 {
                segs.push(top);
                top = 0.0;
            }
            segs.push(top + value);
        } else {
            let top = segs.pop().unwrap_or(0.0);
            segs.push(top * value);
        }
    }
    segs.iter().sum()
}

const ROMAN: [(f64, &str); 13] = [
    (1000.0, "m"),
    (900.0, "cm"),
    (500.0, "d"),
    (400.0, "cd"),
    (100.0, "c"),
    (90.0, "xc"),
    (50.0, "l"),
    (40.0, "xl"),
    (10.0, "x"),
    (9.0, "ix"),
    (5.0, "v"),
    (4.0, "iv"),
    (1.0, "i"),
];

fn decimal_to_roman(mut value: f64) -> String {
    let mut out = String::new();
    'outer: loop {
        for (n, s) in ROMAN {
            if value >= n {
                out.push_str(s);
                value -= n;
                continue 'outer;
            }
        }
        return out;
    }
}

fn roman_to_decimal(roman: &str) -> f64 {
    let mut decimal = 0.0;
    let mut max = 1.0;
    for c in roman.chars().rev() {
        let value = match c {
            'M' => 1000.0,
            'D' => 500.0,
            'C' => 100.0,
            'L' => 50.0,
            'X' => 10.0,
            'V' => 5.0,
            'I' => 1.0,
            _ => f64::NAN,
        };
        if value < max {
            decimal -= value;
        } else {
            max = value;
            decimal += value;
        }
    }
    decimal
}

fn decimal_to_letters(mut value: f64, a: char) -> String {
    let mut letters = Vec::new();
    while value > 0.0 {
        let code = ((value - 1.0) % 26.0) as u32 + a as u32;
        letters.push(char::from_u32(code).unwrap_or('?'));
        value = ((value - 1.0) / 26.0).floor();
    }
    letters.iter().rev().collect()
}

fn letters_to_decimal(letters: &str, a: char) -> f64 {
    let units: Vec<u16> = letters.encode_utf16().collect();
    let mut decimal = 0.0;
    for (i, u) in units.iter().rev().enumerate() {
        decimal += (f64::from(*u) - f64::from(a as u32) + 1.0) * 26f64.powi(i as i32);
    }
    decimal
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Primary {
    Decimal,
    Letters,
    Roman,
    Words,
    Sequence,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Case {
    Upper,
    Lower,
    Title,
}

#[derive(Debug, Clone)]
struct IntegerFormat {
    primary: Primary,
    case: Case,
    ordinal: bool,
    zero_code: u32,
    mandatory_digits: usize,
    optional_digits: usize,
    /// Regular grouping: (interval, separator).
    regular: Option<(usize, char)>,
    /// Irregular grouping separators, right to left: (position, separator).
    separators: Vec<(usize, char)>,
    token: String,
    n: Option<i64>,
}

const DECIMAL_GROUPS: [u32; 37] = [
    0x30, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0DE6,
    0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40,
    0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
];

fn analyse_integer_picture(picture: &str) -> Result<IntegerFormat> {
    let mut format = IntegerFormat {
        primary: Primary::Decimal,
        case: Case::Lower,
        ordinal: false,
        zero_code: 0x30,
        mandatory_digits: 0,
        optional_digits: 0,
        regular: None,
        separators: Vec::new(),
        token: String::new(),
        n: None,
    };
    let primary_format = match picture.rfind(';') {
        None => picture,
        Some(i) => {
            if picture[i + 1..].starts_with('o') {
                format.ordinal = true;
            }
            &picture[..i]
        }
    };
    match primary_format {
        "A" => {
            format.case = Case::Upper;
            format.primary = Primary::Letters;
        }
        "a" => format.primary = Primary::Letters,
        "I" => {
            format.case = Case::Upper;
            format.primary = Primary::Roman;
        }
        "i" => format.primary = Primary::Roman,
        "W" => {
            format.case = Case::Upper;
            format.primary = Primary::Words;
        }
        "Ww" => {
            format.case = Case::Title;
            format.primary = Primary::Words;
        }
        "w" => format.primary = Primary::Words,
        _ => {
            let mut zero_code: Option<u32> = None;
            let mut mandatory = 0;
            let mut optional = 0;
            let mut separators: Vec<(usize, char)> = Vec::new();
            let mut separator_position = 0;
            for c in primary_format.chars().rev() {
                let cp = c as u32;
                let group = DECIMAL_GROUPS.iter().find(|&&g| cp >= g && cp <= g + 9);
                if let Some(&g) = group {
                    mandatory += 1;
                    separator_position += 1;
                    match zero_code {
                        None => zero_code = Some(g),
                        Some(z) if z != g => return Err(Error::new("D3131")),
                        _ => {}
                    }
                } else if c == '#' {
                    separator_position += 1;
                    optional += 1;
                } else {
                    separators.push((separator_position, c));
                }
            }
            if mandatory > 0 {
                format.primary = Primary::Decimal;
                format.zero_code = zero_code.unwrap_or(0x30);
                format.mandatory_digits = mandatory;
                format.optional_digits = optional;
                let regular = regular_repeat(&separators);
                if regular > 0 {
                    format.regular = Some((regular, separators[0].1));
                } else {
                    format.separators = separators;
                }
            } else {
                format.primary = Primary::Sequence;
                format.token = primary_format.to_string();
            }
        }
    }
    Ok(format)
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn regular_repeat(separators: &[(usize, char)]) -> usize {
    let Some(first) = separators.first() else { return 0 };
    if separators.iter().any(|s| s.1 != first.1) {
        return 0;
    }
    let indexes: Vec<usize> = separators.iter().map(|s| s.0).collect();
    let factor = indexes.iter().copied().reduce(gcd).unwrap_or(0);
    for index in 1..=indexes.len() {
        if !indexes.contains(&(index * factor)) {
            return 0;
        }
    }
    factor
}

fn insert_at(s: &mut Vec<char>, pos: isize, c: char) {
    let pos = pos.clamp(0, s.len() as isize) as usize;
    s.insert(pos, c);
}

fn format_integer_with(value: f64, format: &IntegerFormat) -> Result<String> {
    let negative = value < 0.0;
    let value = value.abs();
    let mut out = match format.primary {
        Primary::Letters => decimal_to_letters(value, if format.case == Case::Upper { 'A' } else { 'a' }),
        Primary::Roman => {
            if value >= 1e7 {
                return Err(Error::unsupported("roman numerals for values of 10000000 or more"));
            }
            let r = decimal_to_roman(value);
            if format.case == Case::Upper { r.to_uppercase() } else { r }
        }
        Primary::Words => {
            let w = number_to_words(value, format.ordinal);
            match format.case {
                Case::Upper => w.to_uppercase(),
                Case::Lower => w.to_lowercase(),
                Case::Title => w,
            }
        }
        Primary::Decimal => {
            let mut digits: Vec<char> = js_number_to_string(value).chars().collect();
            while digits.len() < format.mandatory_digits {
                digits.insert(0, '0');
            }
            if format.zero_code != 0x30 {
                digits = digits
                    .into_iter()
                    .map(|c| char::from_u32(c as u32 + format.zero_code - 0x30).unwrap_or(c))
                    .collect();
            }
            if let Some((interval, sep)) = format.regular {
                let n = (digits.len().saturating_sub(1)) / interval;
                for ii in (1..=n).rev() {
                    let pos = digits.len() as isize - (ii * interval) as isize;
                    insert_at(&mut digits, pos, sep);
                }
            } else {
                for (position, sep) in format.separators.iter().rev() {
                    let pos = digits.len() as isize - *position as isize;
                    insert_at(&mut digits, pos, *sep);
                }
            }
            let mut s: String = digits.iter().collect();
            if format.ordinal {
                let last = digits.last().copied().unwrap_or('0');
                let second_last = if digits.len() > 1 { Some(digits[digits.len() - 2]) } else { None };
                let suffix = match last {
                    '1' => "st",
                    '2' => "nd",
                    '3' => "rd",
                    _ => "th",
                };
                let suffix = if second_last == Some('1') { "th" } else { suffix };
                s.push_str(suffix);
            }
            s
        }
        Primary::Sequence => {
            return Err(Error::new("D3130").with_value(crate::value::js_quote(&format.token)));
        }
    };
    if negative {
        out.insert(0, '-');
    }
    Ok(out)
}

/// `$formatInteger(value, picture)`.
pub(crate) fn format_integer(value: f64, picture: &str) -> Result<String> {
    let format = analyse_integer_picture(picture)?;
    format_integer_with(value.floor(), &format)
}

/// `$parseInteger(value, picture)`.
pub(crate) fn parse_integer(value: &str, picture: &str) -> Result<Option<f64>> {
    let format = analyse_integer_picture(picture)?;
    let matcher = integer_matcher(&format)?;
    Ok(Some((matcher.parse)(&format, value)))
}

/// `Date.UTC(year, month0, day, h, m, s, ms)` (with JavaScript's overflow rules).
fn date_utc(year: f64, month0: f64, day: f64, h: f64, mi: f64, s: f64, ms: f64) -> f64 {
    if [year, month0, day, h, mi, s, ms].iter().any(|v| !v.is_finite()) {
        return f64::NAN;
    }
    let y = year.trunc() + (month0.trunc() / 12.0).floor();
    let m = month0.trunc().rem_euclid(12.0);
    let days = crate::civil::days_from_civil(y as i64, m as u32 + 1, 1) as f64 + day.trunc() - 1.0;
    let t = days * MILLIS_IN_DAY + h.trunc() * 3_600_000.0 + mi.trunc() * 60_000.0 + s.trunc() * 1000.0 + ms.trunc();
    if t.abs() > 8.64e15 { f64::NAN } else { t }
}

/// A UTC instant broken into calendar fields (JavaScript `Date` getters).
#[derive(Debug, Clone, Copy)]
struct DateParts {
    millis: f64,
    year: i64,
    month0: i64,
    day: i64,
    weekday: i64,
    hours: i64,
    minutes: i64,
    seconds: i64,
    ms: i64,
}

fn date_parts(millis: f64) -> Option<DateParts> {
    if !millis.is_finite() || millis.abs() > 8.64e15 {
        return None;
    }
    let days = (millis / MILLIS_IN_DAY).floor();
    let in_day = millis - days * MILLIS_IN_DAY;
    let (y, m, d) = crate::civil::civil_from_days(days as i64);
    let (m, d) = (i64::from(m), i64::from(d));
    let in_day = in_day as i64;
    Some(DateParts {
        millis,
        year: y,
        month0: m - 1,
        day: d,
        weekday: (days as i64 + 4).rem_euclid(7),
        hours: in_day / 3_600_000,
        minutes: in_day / 60_000 % 60,
        seconds: in_day / 1000 % 60,
        ms: in_day % 1000,
    })
}

fn start_of_first_week(year: i64, month0: i64) -> f64 {
    let jan1 = date_utc(year as f64, month0 as f64, 1.0, 0.0, 0.0, 0.0, 0.0);
    let mut day = date_parts(jan1).map(|p| p.weekday).unwrap_or(0);
    if day == 0 {
        day = 7;
    }
    if day > 4 { jan1 + (8 - day) as f64 * MILLIS_IN_DAY } else { jan1 - (day - 1) as f64 * MILLIS_IN_DAY }
}

fn next_month(y: i64, m: i64) -> (i64, i64) {
    if m == 11 { (y + 1, 0) } else { (y, m + 1) }
}

fn previous_month(y: i64, m: i64) -> (i64, i64) {
    if m == 0 { (y - 1, 11) } else { (y, m - 1) }
}

fn delta_weeks(start: f64, end: f64) -> f64 {
    (end - start) / (MILLIS_IN_DAY * 7.0) + 1.0
}

#[derive(Debug, Clone)]
enum Fragment {
    Num(f64),
    Str(String),
    None,
}

fn fragment(date: &DateParts, component: char) -> Fragment {
    let n = |v: i64| Fragment::Num(v as f64);
    match component {
        'Y' => n(date.year),
        'M' => n(date.month0 + 1),
        'D' => n(date.day),
        'd' => {
            let today = date_utc(date.year as f64, date.month0 as f64, date.day as f64, 0.0, 0.0, 0.0, 0.0);
            let first = date_utc(date.year as f64, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0);
            Fragment::Num((today - first) / MILLIS_IN_DAY + 1.0)
        }
        'F' => n(if date.weekday == 0 { 7 } else { date.weekday }),
        'W' => {
            let start1 = start_of_first_week(date.year, 0);
            let today = date_utc(date.year as f64, date.month0 as f64, date.day as f64, 0.0, 0.0, 0.0, 0.0);
            let mut week = delta_weeks(start1, today);
            if week > 52.0 {
                let following = start_of_first_week(date.year + 1, 0);
                if today >= following {
                    week = 1.0;
                }
            } else if week < 1.0 {
                let previous = start_of_first_week(date.year - 1, 0);
                week = delta_weeks(previous, today);
            }
            Fragment::Num(week.floor())
        }
        'w' => {
            let start1 = start_of_first_week(date.year, date.month0);
            let today = date_utc(date.year as f64, date.month0 as f64, date.day as f64, 0.0, 0.0, 0.0, 0.0);
            let mut week = delta_weeks(start1, today);
            if week > 4.0 {
                let (ny, nm) = next_month(date.year, date.month0);
                if today >= start_of_first_week(ny, nm) {
                    week = 1.0;
                }
            } else if week < 1.0 {
                let (py, pm) = previous_month(date.year, date.month0);
                week = delta_weeks(start_of_first_week(py, pm), today);
            }
            Fragment::Num(week.floor())
        }
        'X' => {
            let start = start_of_first_week(date.year, 0);
            let end = start_of_first_week(date.year + 1, 0);
            let now = date.millis;
            n(if now < start {
                date.year - 1
            } else if now >= end {
                date.year + 1
            } else {
                date.year
            })
        }
        'x' => {
            let start = start_of_first_week(date.year, date.month0);
            let (ny, nm) = next_month(date.year, date.month0);
            let end = start_of_first_week(ny, nm);
            let now = date.millis;
            n(if now < start {
                previous_month(date.year, date.month0).1 + 1
            } else if now >= end {
                nm + 1
            } else {
                date.month0 + 1
            })
        }
        'H' => n(date.hours),
        'h' => {
            let h = date.hours % 12;
            n(if h == 0 { 12 } else { h })
        }
        'P' => Fragment::Str(if date.hours >= 12 { "pm" } else { "am" }.into()),
        'm' => n(date.minutes),
        's' => n(date.seconds),
        'f' => n(date.ms),
        'C' | 'E' => Fragment::Str("ISO".into()),
        _ => Fragment::None,
    }
}

#[derive(Debug, Clone)]
struct Width {
    min: Option<f64>,
    max: Option<f64>,
}

#[derive(Debug, Clone)]
struct Marker {
    component: char,
    width: Option<Width>,
    presentation1: String,
    presentation2: Option<char>,
    names: Option<Case>,
    integer_format: Option<IntegerFormat>,
    n: i64,
}

#[derive(Debug, Clone)]
enum Part {
    Literal(String),
    Marker(Box<Marker>),
}

fn default_presentation(component: char) -> Option<&'static str> {
    Some(match component {
        'Y' | 'M' | 'D' | 'd' | 'W' | 'w' | 'X' | 'x' | 'H' | 'h' | 'f' => "1",
        'F' | 'P' | 'C' | 'E' => "n",
        'm' | 's' => "01",
        'Z' | 'z' => "01:01",
        _ => return None,
    })
}

/// JavaScript `parseInt` of a width modifier.
fn parse_int_prefix(s: &str) -> f64 {
    let t = s.trim_start();
    let (neg, digits) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let d: String = digits.chars().take_while(char::is_ascii_digit).collect();
    match d.parse::<f64>() {
        Ok(v) => {
            if neg {
                -v
            } else {
                v
            }
        }
        Err(_) => f64::NAN,
    }
}

fn analyse_datetime_picture(picture: &str) -> Result<Vec<Part>> {
    let chars: Vec<char> = picture.chars().collect();
    let mut spec = Vec::new();
    let add_literal = |spec: &mut Vec<Part>, start: usize, end: usize| {
        if end > start {
            let lit: String = chars[start..end].iter().collect();
            spec.push(Part::Literal(lit.replace("]]", "]")));
        }
    };
    let (mut start, mut pos) = (0, 0);
    while pos < chars.len() {
        if chars[pos] == '[' {
            if chars.get(pos + 1) == Some(&'[') {
                add_literal(&mut spec, start, pos);
                spec.push(Part::Literal("[".into()));
                pos += 2;
                start = pos;
                continue;
            }
            add_literal(&mut spec, start, pos);
            start = pos;
            let Some(close) = chars[start..].iter().position(|&c| c == ']').map(|i| i + start) else {
                return Err(Error::new("D3135"));
            };
            pos = close;
            let marker: String = chars[start + 1..pos].iter().filter(|c| !c.is_whitespace()).collect();
            let component = marker.chars().next().unwrap_or('\0');
            let mut width = None;
            let pres_mod: String;
            if let Some(comma) = marker.rfind(',') {
                let width_mod = &marker[comma + 1..];
                let parse_width = |w: Option<&str>| -> Option<f64> {
                    match w {
                        None | Some("*") => None,
                        Some(w) => Some(parse_int_prefix(w)),
                    }
                };
                let (min, max) = match width_mod.find('-') {
                    None => (Some(width_mod), None),
                    Some(d) => (Some(&width_mod[..d]), Some(&width_mod[d + 1..])),
                };
                width = Some(Width { min: parse_width(min), max: parse_width(max) });
                pres_mod = marker[component.len_utf8().min(comma)..comma].to_string();
            } else {
                pres_mod = marker.get(component.len_utf8()..).unwrap_or("").to_string();
            }
            let mut presentation2 = None;
            let presentation1: Option<String> = if pres_mod.chars().count() == 1 {
                Some(pres_mod.clone())
            } else if pres_mod.chars().count() > 1 {
                let last = pres_mod.chars().last().unwrap_or(' ');
                if "atco".contains(last) {
                    presentation2 = Some(last);
                    Some(pres_mod[..pres_mod.len() - last.len_utf8()].to_string())
                } else {
                    Some(pres_mod.clone())
                }
            } else {
                default_presentation(component).map(str::to_string)
            };
            let Some(presentation1) = presentation1 else {
                return Err(Error::new("D3132").with_value(crate::value::js_quote(&component.to_string())));
            };
            let mut def = Marker {
                component,
                width,
                presentation1: presentation1.clone(),
                presentation2,
                names: None,
                integer_format: None,
                n: -1,
            };
            let mut p1 = presentation1.chars();
            let first = p1.next();
            if first == Some('n') {
                def.names = Some(Case::Lower);
            } else if first == Some('N') {
                def.names = Some(if p1.next() == Some('n') { Case::Title } else { Case::Upper });
            } else if "YMDdFWwXxHhmsf".contains(component) {
                let mut pattern = presentation1.clone();
                if let Some(p2) = presentation2 {
                    pattern.push(';');
                    pattern.push(p2);
                }
                let mut fmt = analyse_integer_picture(&pattern)?;
                if let Some(w) = &def.width
                    && let Some(min) = w.min
                    && (fmt.mandatory_digits as f64) < min
                {
                    fmt.mandatory_digits = min.max(0.0) as usize;
                }
                if "YMD".contains(component) {
                    def.n = -1;
                    if let Some(w) = &def.width
                        && let Some(max) = w.max
                    {
                        def.n = max as i64;
                        fmt.mandatory_digits = max.max(0.0) as usize;
                    } else {
                        let w = fmt.mandatory_digits + fmt.optional_digits;
                        if w >= 2 {
                            def.n = w as i64;
                        }
                    }
                }
                def.integer_format = Some(fmt);
            }
            if component == 'Z' || component == 'z' {
                def.integer_format = Some(analyse_integer_picture(&def.presentation1)?);
            }
            spec.push(Part::Marker(Box::new(def)));
            start = pos + 1;
        }
        pos += 1;
    }
    add_literal(&mut spec, start, pos.min(chars.len()));
    Ok(spec)
}

const ISO_PICTURE: &str = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]";

fn format_component(date: &DateParts, m: &Marker, offset_hours: f64, offset_minutes: f64) -> Result<String> {
    let value = fragment(date, m.component);
    let c = m.component;
    if "YMDdFWwXxHhms".contains(c) {
        let mut num = match value {
            Fragment::Num(n) => n,
            _ => f64::NAN,
        };
        if c == 'Y' && m.n != -1 {
            num %= 10f64.powi(m.n as i32);
        }
        if let Some(names) = m.names {
            let mut name = if c == 'M' || c == 'x' {
                MONTHS.get((num as usize).wrapping_sub(1)).copied().unwrap_or("undefined").to_string()
            } else if c == 'F' {
                DAYS.get(num as usize).copied().unwrap_or("undefined").to_string()
            } else {
                return Err(Error::new("D3133").with_value(crate::value::js_quote(&c.to_string())));
            };
            match names {
                Case::Upper => name = name.to_uppercase(),
                Case::Lower => name = name.to_lowercase(),
                Case::Title => {}
            }
            if let Some(w) = &m.width
                && let Some(max) = w.max
                && (name.chars().count() as f64) > max
            {
                name = name.chars().take(max.max(0.0) as usize).collect();
            }
            return Ok(name);
        }
        let fmt = m.integer_format.as_ref().ok_or_else(|| Error::new("D3132"))?;
        return format_integer_with(num, fmt);
    }
    if c == 'f' {
        let num = match value {
            Fragment::Num(n) => n,
            _ => f64::NAN,
        };
        let fmt = m.integer_format.as_ref().ok_or_else(|| Error::new("D3132"))?;
        return format_integer_with(num, fmt);
    }
    if c == 'Z' || c == 'z' {
        let offset = offset_hours * 100.0 + offset_minutes;
        let fmt = m.integer_format.as_ref().ok_or_else(|| Error::new("D3132"))?;
        let mut s = if fmt.regular.is_some() {
            format_integer_with(offset, fmt)?
        } else {
            let digits = fmt.mandatory_digits;
            if digits == 1 || digits == 2 {
                let mut s = format_integer_with(offset_hours, fmt)?;
                if offset_minutes != 0.0 {
                    s.push(':');
                    s.push_str(&format_integer(offset_minutes, "00")?);
                }
                s
            } else if digits == 3 || digits == 4 {
                format_integer_with(offset, fmt)?
            } else {
                return Err(Error::new("D3134").with_value(digits.to_string()));
            }
        };
        if offset >= 0.0 {
            s.insert(0, '+');
        }
        if c == 'z' {
            s.insert_str(0, "GMT");
        }
        if offset == 0.0 && m.presentation2 == Some('t') {
            s = "Z".into();
        }
        return Ok(s);
    }
    Ok(match value {
        Fragment::Str(s) => {
            if c == 'P' && m.names == Some(Case::Upper) {
                s.to_uppercase()
            } else {
                s
            }
        }
        Fragment::Num(n) => js_number_to_string(n),
        Fragment::None => "undefined".into(),
    })
}

/// `$fromMillis(millis, picture, timezone)`.
pub(crate) fn from_millis(millis: f64, picture: Option<&str>, timezone: Option<&str>) -> Result<String> {
    let (mut offset_hours, mut offset_minutes) = (0.0, 0.0);
    if let Some(tz) = timezone {
        let offset = parse_int_prefix(tz);
        offset_hours = (offset / 100.0).floor();
        offset_minutes = offset % 100.0;
    }
    let spec = analyse_datetime_picture(picture.unwrap_or(ISO_PICTURE))?;
    let offset_millis = (60.0 * offset_hours + offset_minutes) * 60.0 * 1000.0;
    let Some(date) = date_parts(millis + offset_millis) else {
        return Err(Error::unsupported("formatting an invalid or out-of-range date"));
    };
    let mut out = String::new();
    for part in &spec {
        match part {
            Part::Literal(s) => out.push_str(s),
            Part::Marker(m) => out.push_str(&format_component(&date, m, offset_hours, offset_minutes)?),
        }
    }
    Ok(out)
}

// ----- parsing -----

type ParseFn = fn(&IntegerFormat, &str) -> f64;

struct IntMatcher {
    regex: String,
    parse: ParseFn,
}

fn parse_decimal(format: &IntegerFormat, value: &str) -> f64 {
    let mut digits = value.to_string();
    if format.ordinal {
        let n = digits.chars().count();
        digits = digits.chars().take(n.saturating_sub(2)).collect();
    }
    if format.regular.is_some() {
        digits = digits.replace(',', "");
    } else {
        for (_, sep) in &format.separators {
            digits = digits.replace(*sep, "");
        }
    }
    if format.zero_code != 0x30 {
        digits = digits
            .chars()
            .map(|c| char::from_u32((c as u32).wrapping_sub(format.zero_code) + 0x30).unwrap_or(c))
            .collect();
    }
    parse_int_prefix(&digits)
}

fn integer_matcher(format: &IntegerFormat) -> Result<IntMatcher> {
    let upper = format.case == Case::Upper;
    let occurrences = match format.n {
        Some(n) if n > 0 => {
            if format.optional_digits == 0 {
                format!("{{{n}}}")
            } else {
                format!("{{{},{n}}}", n - format.optional_digits as i64)
            }
        }
        _ => "+".into(),
    };
    Ok(match format.primary {
        Primary::Letters => IntMatcher {
            regex: if upper { "[A-Z]+".into() } else { "[a-z]+".into() },
            parse: |f, v| letters_to_decimal(v, if f.case == Case::Upper { 'A' } else { 'a' }),
        },
        Primary::Roman => IntMatcher {
            regex: if upper { "[MDCLXVI]+".into() } else { "[mdclxvi]+".into() },
            parse: |f, v| roman_to_decimal(&if f.case == Case::Upper { v.to_string() } else { v.to_uppercase() }),
        },
        Primary::Words => {
            let mut words: Vec<String> = Vec::new();
            words.extend(FEW.iter().map(|w| w.to_lowercase()));
            words.extend(ORDINALS.iter().map(|w| w.to_lowercase()));
            for d in DECADES {
                let lw = d.to_lowercase();
                words.push(format!("{}ieth", &lw[..lw.len() - 1]));
                words.push(lw);
            }
            words.push("hundredth".into());
            for m in MAGNITUDES {
                let lw = m.to_lowercase();
                words.push(format!("{lw}th"));
                words.push(lw);
            }
            words.push("and".into());
            words.push("[\\-, ]".into());
            IntMatcher { regex: format!("(?:{})+", words.join("|")), parse: |_, v| words_to_number(&v.to_lowercase()) }
        }
        Primary::Decimal => {
            let mut regex = format!("[0-9]{occurrences}");
            if format.ordinal {
                regex.push_str("(?:th|st|nd|rd)");
            }
            IntMatcher { regex, parse: parse_decimal }
        }
        Primary::Sequence => {
            return Err(Error::new("D3130").with_value(crate::value::js_quote(&format.token)));
        }
    })
}

enum PartParse {
    Int(IntegerFormat, ParseFn),
    Names(Vec<(String, f64)>),
    Zone { separator: Option<char>, gmt: bool },
    Literal,
}

/// `$toMillis(timestamp, picture)`; `now` supplies the defaults for leading
/// components the picture leaves out.
pub(crate) fn to_millis(timestamp: &str, picture: Option<&str>, now: f64) -> Result<Option<f64>> {
    match picture {
        None => {
            if !iso8601_shape(timestamp) {
                return Err(Error::new("D3110").with_value(crate::value::js_quote(timestamp)));
            }
            Ok(Some(parse_iso(timestamp)))
        }
        Some(p) => parse_datetime(timestamp, p, now),
    }
}

/// jsonata-js's `iso8601regex`:
/// `^\d{4}(-[01]\d)*(-[0-3]\d)*(T[0-2]\d:[0-5]\d:[0-5]\d)*(\.\d+)?([+-][0-2]\d:?[0-5]\d|Z)?$`
fn iso8601_shape(s: &str) -> bool {
    static RE: std::sync::OnceLock<regex_lite::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex_lite::Regex::new(
            r"^[0-9]{4}(-[01][0-9])*(-[0-3][0-9])*(T[0-2][0-9]:[0-5][0-9]:[0-5][0-9])*(\.[0-9]+)?([+-][0-2][0-9]:?[0-5][0-9]|Z)?$",
        )
        .expect("valid regex")
    })
    .is_match(s)
}

/// `Date.parse` of the ISO 8601 forms (date-only and date-time; a missing
/// offset is taken as UTC). Returns NaN for what V8 would reject.
fn parse_iso(s: &str) -> f64 {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<f64> {
        let t = s.get(from..from + len)?;
        if t.bytes().all(|c| c.is_ascii_digit()) { t.parse().ok() } else { None }
    };
    let Some(year) = num(0, 4) else { return f64::NAN };
    let mut i = 4;
    let (mut month, mut day) = (1.0, 1.0);
    if b.get(i) == Some(&b'-') {
        let Some(m) = num(i + 1, 2) else { return f64::NAN };
        month = m;
        i += 3;
        if b.get(i) == Some(&b'-') {
            let Some(d) = num(i + 1, 2) else { return f64::NAN };
            day = d;
            i += 3;
        }
    }
    let (mut h, mut mi, mut sec, mut ms) = (0.0, 0.0, 0.0, 0.0);
    let mut offset_min = 0.0;
    if b.get(i) == Some(&b'T') {
        let (Some(hh), Some(mm), Some(ss)) = (num(i + 1, 2), num(i + 4, 2), num(i + 7, 2)) else {
            return f64::NAN;
        };
        if b.get(i + 3) != Some(&b':') || b.get(i + 6) != Some(&b':') {
            return f64::NAN;
        }
        h = hh;
        mi = mm;
        sec = ss;
        i += 9;
        if b.get(i) == Some(&b'.') {
            let frac: String = s[i + 1..].chars().take_while(char::is_ascii_digit).collect();
            if frac.is_empty() {
                return f64::NAN;
            }
            let three: String = frac.chars().chain("000".chars()).take(3).collect();
            ms = three.parse().unwrap_or(0.0);
            i += 1 + frac.len();
        }
        match b.get(i) {
            None => {}
            Some(b'Z') => i += 1,
            Some(&sign @ (b'+' | b'-')) => {
                let Some(oh) = num(i + 1, 2) else { return f64::NAN };
                let om = if b.get(i + 3) == Some(&b':') { num(i + 4, 2) } else { num(i + 3, 2) };
                let Some(om) = om else { return f64::NAN };
                i += if b.get(i + 3) == Some(&b':') { 6 } else { 5 };
                offset_min = (oh * 60.0 + om) * if sign == b'-' { -1.0 } else { 1.0 };
            }
            _ => return f64::NAN,
        }
    } else if i < b.len() {
        return f64::NAN;
    }
    if i != b.len() {
        return f64::NAN;
    }
    let days_in_month = |y: f64, m: f64| -> f64 {
        match m as u32 {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31.0,
            4 | 6 | 9 | 11 => 30.0,
            _ => {
                let y = y as i64;
                if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 { 29.0 } else { 28.0 }
            }
        }
    };
    if !(1.0..=12.0).contains(&month) || day < 1.0 || day > days_in_month(year, month) {
        return f64::NAN;
    }
    if h > 24.0 || mi > 59.0 || sec > 59.0 || (h == 24.0 && (mi > 0.0 || sec > 0.0 || ms > 0.0)) {
        return f64::NAN;
    }
    date_utc(year, month - 1.0, day, h, mi, sec, ms) - offset_min * 60_000.0
}

fn parse_datetime(timestamp: &str, picture: &str, now: f64) -> Result<Option<f64>> {
    let spec = analyse_datetime_picture(picture)?;
    let mut regex = String::from("(?i)^");
    let mut parts: Vec<(char, PartParse)> = Vec::new();
    for part in &spec {
        match part {
            Part::Literal(lit) => {
                regex.push('(');
                regex.push_str(&regex_lite::escape(lit));
                regex.push(')');
                parts.push(('\0', PartParse::Literal));
            }
            Part::Marker(m) if m.component == 'Z' || m.component == 'z' => {
                let fmt = m.integer_format.as_ref().ok_or_else(|| Error::new("D3132"))?;
                let separator = fmt.regular.map(|(_, c)| c);
                let mut r = String::new();
                if m.component == 'z' {
                    r.push_str("GMT");
                }
                r.push_str("[-+][0-9]+");
                if let Some(sep) = separator {
                    r.push_str(&regex_lite::escape(&sep.to_string()));
                    r.push_str("[0-9]+");
                }
                regex.push_str(&format!("({r})"));
                parts.push((m.component, PartParse::Zone { separator, gmt: m.component == 'z' }));
            }
            Part::Marker(m) if m.integer_format.is_some() => {
                let mut fmt = m.integer_format.clone().unwrap_or_else(|| unreachable!());
                fmt.n = Some(m.n);
                let im = integer_matcher(&fmt)?;
                regex.push_str(&format!("({})", im.regex));
                parts.push((m.component, PartParse::Int(fmt, im.parse)));
            }
            Part::Marker(m) => {
                let mut lookup: Vec<(String, f64)> = Vec::new();
                let max = m.width.as_ref().and_then(|w| w.max).filter(|x| *x != 0.0 && !x.is_nan());
                let cut = |name: &str| -> String {
                    match max {
                        Some(mx) => name.chars().take(mx.max(0.0) as usize).collect(),
                        None => name.to_string(),
                    }
                };
                match m.component {
                    'M' | 'x' => {
                        for (i, name) in MONTHS.iter().enumerate() {
                            lookup.push((cut(name), (i + 1) as f64));
                        }
                    }
                    'F' => {
                        for (i, name) in DAYS.iter().enumerate().skip(1) {
                            lookup.push((cut(name), i as f64));
                        }
                    }
                    'P' => {
                        lookup = vec![("am".into(), 0.0), ("AM".into(), 0.0), ("pm".into(), 1.0), ("PM".into(), 1.0)];
                    }
                    c => return Err(Error::new("D3133").with_value(crate::value::js_quote(&c.to_string()))),
                }
                regex.push_str("([a-zA-Z]+)");
                parts.push((m.component, PartParse::Names(lookup)));
            }
        }
    }
    regex.push('$');
    let re = regex_lite::Regex::new(&regex)
        .map_err(|_| Error::unsupported(format!("the date/time picture {}", crate::value::js_quote(picture))))?;
    let Some(caps) = re.captures(timestamp) else {
        return Ok(None);
    };
    let mut components: std::collections::HashMap<char, f64> = std::collections::HashMap::new();
    let mut has_undefined_name = std::collections::HashSet::new();
    for (i, (component, how)) in parts.iter().enumerate() {
        let text = caps.get(i + 1).map(|m| m.as_str()).unwrap_or("");
        let value = match how {
            PartParse::Literal => continue,
            PartParse::Int(fmt, parse) => parse(fmt, text),
            PartParse::Names(lookup) => match lookup.iter().find(|(n, _)| n == text) {
                Some((_, v)) => *v,
                None => {
                    has_undefined_name.insert(*component);
                    continue;
                }
            },
            PartParse::Zone { separator, gmt } => {
                let v = if *gmt { &text[3.min(text.len())..] } else { text };
                let (oh, om) = match separator {
                    Some(sep) => {
                        let at = v.find(*sep).unwrap_or(v.len());
                        (parse_int_prefix(&v[..at]), parse_int_prefix(v.get(at + sep.len_utf8()..).unwrap_or("")))
                    }
                    None => {
                        let numdigits = v.chars().count().saturating_sub(1);
                        if numdigits <= 2 {
                            (parse_int_prefix(v), 0.0)
                        } else {
                            (parse_int_prefix(&v[..3.min(v.len())]), parse_int_prefix(&v[3.min(v.len())..]))
                        }
                    }
                };
                oh * 60.0 + om
            }
        };
        components.insert(*component, value);
    }
    let _ = has_undefined_name;
    if components.is_empty() {
        return Ok(None);
    }
    let has = |c: char| components.contains_key(&c);
    let mask_of = |letters: &str| -> u32 { letters.chars().fold(0, |m, c| (m << 1) | u32::from(has(c))) };
    let is_type = |t: u32, mask: u32| (!t & mask) == 0 && (t & mask) != 0;
    let dmask = mask_of("YXMxWwdD");
    let date_a = is_type(161, dmask);
    let date_b = !date_a && is_type(130, dmask);
    let date_c = is_type(84, dmask);
    let date_d = !date_c && is_type(72, dmask);
    let tmask = mask_of("PHhmsf");
    let time_a = is_type(23, tmask);
    let time_b = !time_a && is_type(47, tmask);
    let date_comps = if date_b {
        "YD"
    } else if date_c {
        "XxwF"
    } else if date_d {
        "XWF"
    } else {
        "YMD"
    };
    let time_comps = if time_b { "Phmsf" } else { "Hmsf" };
    let now_parts = date_parts(now);
    let mut start_specified = false;
    let mut end_specified = false;
    for part in date_comps.chars().chain(time_comps.chars()) {
        if let std::collections::hash_map::Entry::Vacant(slot) = components.entry(part) {
            if start_specified {
                slot.insert(if "MDd".contains(part) { 1.0 } else { 0.0 });
                end_specified = true;
            } else {
                let v = match now_parts.map(|p| fragment(&p, part)) {
                    Some(Fragment::Num(n)) => n,
                    _ => f64::NAN,
                };
                slot.insert(v);
            }
        } else {
            start_specified = true;
            if end_specified {
                return Err(Error::new("D3136"));
            }
        }
    }
    let get = |c: char| components.get(&c).copied().unwrap_or(f64::NAN);
    let mut month0 = if get('M') > 0.0 { get('M') - 1.0 } else { 0.0 };
    let mut day = get('D');
    if date_b {
        let first = date_utc(get('Y'), 0.0, 1.0, 0.0, 0.0, 0.0, 0.0);
        let derived = first + (get('d') - 1.0) * MILLIS_IN_DAY;
        if let Some(p) = date_parts(derived) {
            month0 = p.month0 as f64;
            day = p.day as f64;
        }
    }
    if date_c || date_d {
        return Err(Error::new("D3136"));
    }
    let mut hours = get('H');
    if time_b {
        hours = if get('h') == 12.0 { 0.0 } else { get('h') };
        if get('P') == 1.0 {
            hours += 12.0;
        }
    }
    let mut millis = date_utc(get('Y'), month0, day, hours, get('m'), get('s'), get('f'));
    let zone = components.get(&'Z').or(components.get(&'z')).copied().unwrap_or(0.0);
    if zone != 0.0 && !zone.is_nan() {
        millis -= zone * 60.0 * 1000.0;
    }
    Ok(Some(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(number_to_words(2018.0, false), "Two Thousand and Eighteen");
        assert_eq!(number_to_words(23.0, true), "Twenty-Third");
        assert_eq!(words_to_number("two thousand and eighteen"), 2018.0);
    }

    #[test]
    fn iso_round_trip() {
        assert_eq!(from_millis(1521801216617.0, None, None).unwrap(), "2018-03-23T10:33:36.617Z");
        assert_eq!(parse_iso("2018-03-23T10:33:36.617Z"), 1521801216617.0);
        assert_eq!(parse_iso("1970-01-01"), 0.0);
        assert!(parse_iso("2018-13-01").is_nan());
    }

    #[test]
    fn integers() {
        assert_eq!(format_integer(1234567.0, "#,##0").unwrap(), "1,234,567");
        assert_eq!(format_integer(12.0, "w").unwrap(), "twelve");
        assert_eq!(format_integer(1999.0, "I").unwrap(), "MCMXCIX");
        assert_eq!(parse_integer("MCMXCIX", "I").unwrap(), Some(1999.0));
    }
}
