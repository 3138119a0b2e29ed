//! Encoding functions: `$base64encode`/`$base64decode` (over UTF-8, as
//! jsonata-js in Node does) and the four URI functions with JavaScript's
//! reserved sets and `URIError` cases. Kept by hand: the crates for these
//! (base64, percent-encoding) do not reproduce JavaScript's exact sets and
//! error cases, and each is a few lines.

use super::*;

pub(super) const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(super) fn f_base64encode<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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

pub(super) fn f_base64decode<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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

pub(super) fn uri_encode(s: &str, unreserved_extra: &str) -> String {
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

pub(super) fn uri_decode(s: &str, reserved: &str) -> Option<String> {
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

pub(super) fn f_encode_url_component<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(str_arg(&args, 0).map(|s| Val::str(uri_encode(s, ""))))
}

pub(super) fn f_encode_url<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(str_arg(&args, 0).map(|s| Val::str(uri_encode(s, ";,/?:@&=+$#"))))
}

pub(super) fn decode_with<'a>(args: &[V<'a>], reserved: &str, name: &str) -> Result<V<'a>> {
    let Some(s) = str_arg(args, 0) else { return Ok(None) };
    match uri_decode(s, reserved) {
        Some(d) => Ok(string(d)),
        None => Err(Error::new("D3140").with_value(crate::value::js_quote(s)).with_extra(name)),
    }
}

pub(super) fn f_decode_url_component<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    decode_with(&args, "", "decodeUrlComponent")
}

pub(super) fn f_decode_url<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    decode_with(&args, ";,/?:@&=+$#", "decodeUrl")
}
