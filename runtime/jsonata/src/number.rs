//! JavaScript number formatting: `Number.prototype.toString()`, `toPrecision`,
//! `toFixed` and `toString(radix)`, which jsonata-js's results depend on.

/// `Number.prototype.toString()` (ECMAScript `Number::toString`), by `ryu-js`.
///
/// Of the shortest digit strings that read back as `x`, ECMAScript takes the
/// one closest to `x`; Rust's `{:e}` does not always (`1658206780088562.2`
/// came out as `…562.3`, as 500 of 4 million random doubles did), `ryu-js`
/// does, as V8 does, and is about 4.6 times faster.
pub(crate) fn js_number_to_string(x: f64) -> String {
    ryu_js::Buffer::new().format(x).to_string()
}

/// Rounds the exact decimal expansion of `x` (finite, ≥ 0) to `sig` significant
/// digits, ties away from zero as ECMAScript's `toPrecision` requires. Returns
/// the digits and the decimal exponent `n` (`x ≈ 0.d1…dsig × 10^n`).
fn round_significant(x: f64, sig: usize) -> (String, i32) {
    if x == 0.0 {
        return ("0".repeat(sig), 1);
    }
    // 40 digits are enough to decide unless the tail looks like an exact tie.
    let wide = format!("{:.*e}", sig + 24, x);
    let (m, e) = wide.split_once('e').unwrap_or((&wide, "0"));
    let mut all: Vec<u8> = m.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
    let mut exp: i32 = e.parse().unwrap_or(0);
    let tail = &all[sig..];
    let round_up = if tail[0] > 5 {
        true
    } else if tail[0] < 5 {
        false
    } else if tail[1..].iter().any(|&d| d != 0) {
        true
    } else {
        // possibly an exact tie: look at the exact expansion
        let exact = format!("{:.*e}", 800, x);
        let (m, _) = exact.split_once('e').unwrap_or((&exact, "0"));
        let digits: Vec<u8> = m.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
        // tie (only zeros after the 5) rounds up; anything more also rounds up;
        // the exact value can only be below half if the wide rounding carried.
        digits.get(sig).copied().unwrap_or(0) >= 5
    };
    all.truncate(sig);
    if round_up {
        let mut i = sig;
        loop {
            if i == 0 {
                all.insert(0, 1);
                all.truncate(sig);
                exp += 1;
                break;
            }
            i -= 1;
            if all[i] == 9 {
                all[i] = 0;
            } else {
                all[i] += 1;
                break;
            }
        }
    }
    let digits: String = all.iter().map(|d| char::from(b'0' + d)).collect();
    (digits, exp + 1)
}

/// `Number(x.toPrecision(15))`: what `$string` and the JSON serialisation apply
/// to every number.
pub(crate) fn to_precision_15(x: f64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    let neg = x < 0.0;
    let (digits, n) = round_significant(x.abs(), 15);
    let s = format!("0.{digits}e{n}");
    let v: f64 = s.parse().unwrap_or(x.abs());
    if neg { -v } else { v }
}

/// `x.toFixed(dp)`: the nearest multiple of 10^-dp, ties away from zero.
pub(crate) fn to_fixed(x: f64, dp: usize) -> String {
    if !x.is_finite() || x.abs() >= 1e21 {
        return js_number_to_string(x);
    }
    let ax = x.abs();
    let wide = format!("{:.*}", dp + 30, ax);
    let (int_part, frac) = wide.split_once('.').unwrap_or((&wide, ""));
    let fb = frac.as_bytes();
    let up = match fb.get(dp) {
        None => false,
        Some(&d) if d > b'5' => true,
        Some(&d) if d < b'5' => false,
        Some(_) => {
            if fb[dp + 1..].iter().any(|&d| d != b'0') {
                true
            } else {
                let exact = format!("{:.*}", 1100, ax);
                let ef = exact.split_once('.').map(|(_, f)| f).unwrap_or("");
                ef.as_bytes().get(dp).is_some_and(|&d| d >= b'5')
            }
        }
    };
    let mut digits: Vec<u8> = int_part.bytes().chain(fb[..dp.min(fb.len())].iter().copied()).collect();
    if up {
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, b'1');
                break;
            }
            i -= 1;
            if digits[i] == b'9' {
                digits[i] = b'0';
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    let int_len = digits.len() - dp;
    let mut out = String::new();
    if x < 0.0 {
        out.push('-');
    }
    out.push_str(std::str::from_utf8(&digits[..int_len]).unwrap_or("0"));
    if dp > 0 {
        out.push('.');
        out.push_str(std::str::from_utf8(&digits[int_len..]).unwrap_or(""));
    }
    out
}

/// `Math.round` (ties towards +∞), preserving `-0`.
pub(crate) fn js_round(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let f = x.floor();
    let r = if x - f >= 0.5 { f + 1.0 } else { f };
    if r == 0.0 && (x < 0.0 || x.is_sign_negative()) { -0.0 } else { r }
}

/// `Number.prototype.toString(radix)` for integral values.
pub(crate) fn to_radix(x: f64, radix: u32) -> String {
    if !x.is_finite() {
        return js_number_to_string(x);
    }
    let neg = x < 0.0;
    let mut v = x.abs().trunc();
    if v == 0.0 {
        return "0".into();
    }
    let mut digits = Vec::new();
    let r = f64::from(radix);
    while v >= 1.0 {
        let d = (v % r) as u32;
        digits.push(std::char::from_digit(d, radix).unwrap_or('0'));
        v = (v / r).trunc();
    }
    if neg {
        digits.push('-');
    }
    digits.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_string_picks_the_closest_shortest_digits() {
        // as V8 prints them
        assert_eq!(js_number_to_string(1658206780088562.2), "1658206780088562.2");
        assert_eq!(js_number_to_string(233115890514796.12), "233115890514796.12");
        assert_eq!(js_number_to_string(-1052730259603333.2), "-1052730259603333.2");
        for (x, s) in
            [(0.0, "0"), (-0.0, "0"), (1e21, "1e+21"), (1e-7, "1e-7"), (123e-20, "1.23e-18"), (0.000001, "0.000001")]
        {
            assert_eq!(js_number_to_string(x), s);
        }
        assert_eq!(js_number_to_string(f64::NAN), "NaN");
        assert_eq!(js_number_to_string(f64::NEG_INFINITY), "-Infinity");
    }

    #[test]
    fn to_string_matches_javascript() {
        assert_eq!(js_number_to_string(1.0), "1");
        assert_eq!(js_number_to_string(-1.5), "-1.5");
        assert_eq!(js_number_to_string(1e21), "1e+21");
        assert_eq!(js_number_to_string(1e20), "100000000000000000000");
        assert_eq!(js_number_to_string(1.2345e-7), "1.2345e-7");
        assert_eq!(js_number_to_string(0.000001), "0.000001");
        assert_eq!(js_number_to_string(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(js_number_to_string(123.456), "123.456");
    }

    #[test]
    fn to_precision() {
        assert_eq!(to_precision_15(0.1 + 0.2), 0.3);
        assert_eq!(to_precision_15(100000000000000.5), 100000000000001.0);
        assert_eq!(to_precision_15(-100000000000000.5), -100000000000001.0);
        assert_eq!(to_precision_15(1.0), 1.0);
    }

    #[test]
    fn fixed() {
        assert_eq!(to_fixed(1.005, 2), "1.00");
        assert_eq!(to_fixed(1.5, 0), "2");
        assert_eq!(to_fixed(2.5, 0), "3");
        assert_eq!(to_fixed(0.5, 0), "1");
        assert_eq!(to_fixed(0.05, 1), "0.1");
        assert_eq!(to_fixed(1234.5678, 2), "1234.57");
        assert_eq!(to_fixed(0.0, 2), "0.00");
        assert_eq!(to_fixed(0.001, 2), "0.00");
        assert_eq!(to_fixed(12.0, 3), "12.000");
    }

    #[test]
    fn radix() {
        assert_eq!(to_radix(255.0, 16), "ff");
        assert_eq!(to_radix(-5.0, 2), "-101");
    }
}
