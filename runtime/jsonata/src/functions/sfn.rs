//! The functions Step Functions adds to JSONata: `$partition`, `$range`,
//! `$hash`, `$random(seed)`, `$uuid`, `$parse`. Only these may depend on
//! Step Functions' documented (or recorded) behaviour; they are bound only in
//! [`Env::step_functions`](crate::Env::step_functions) mode.

use super::*;

pub(super) fn f_partition<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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

pub(super) fn f_range<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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

pub(super) fn f_hash<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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

pub(super) fn f_uuid<'a>(ev: &Evaluator<'a>, _: &Call<'_, 'a>, _: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(string(ev.env.host().uuid()))
}

pub(super) fn f_parse<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(s) = str_arg(&args, 0) else { return Ok(None) };
    match serde_json::from_str::<Value>(s) {
        Ok(v) => Ok(Some(Val::from_owned_json(v))),
        Err(e) => Err(error::sfn_arg(format!("The argument of $parse is not valid JSON: {e}"))),
    }
}

pub(super) fn f_sfn_random<'a>(ev: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    match num_arg(&args, 0) {
        Some(seed) => Ok(num(ev.env.host().seeded_random(seed.floor() as i64))),
        None => Ok(num(ev.env.host().random())),
    }
}
