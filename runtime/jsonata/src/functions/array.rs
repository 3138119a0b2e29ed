//! Object and array functions: `$keys`, `$lookup`, `$append`, `$spread`,
//! `$merge`, `$reverse`, `$sort`, `$shuffle`, `$distinct`, and `$error`,
//! `$assert`, `$type`. Owns JavaScript's key order and sort stability as
//! jsonata-js sees them.

use super::*;

pub(super) fn keys_of<'a>(v: &Val<'a>, out: &mut Vec<Str<'a>>) {
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

pub(super) fn f_keys<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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

pub(super) fn f_lookup<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let key = str_arg(&args, 1).unwrap_or("undefined");
    Ok(lookup_field(&args[0], key))
}

pub(super) fn f_append<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, mut args: Vec<V<'a>>) -> Result<V<'a>> {
    let b = args.pop().flatten();
    let a = args.pop().flatten();
    let len = |v: &V<'a>| v.as_ref().map(|v| v.array_len().unwrap_or(1)).unwrap_or(0);
    error::check_array_len(len(&a) + len(&b))?;
    Ok(append(a, b))
}

pub(super) fn spread<'a>(v: &Val<'a>) -> V<'a> {
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

pub(super) fn f_spread<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    match arg(&args, 0) {
        None => Ok(Some(Val::seq(Vec::new()))),
        Some(v) => Ok(spread(v)),
    }
}

pub(super) fn f_merge<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(a) = arg(&args, 0) else { return Ok(None) };
    let mut out = Obj::default();
    for o in a.array_iter() {
        for (k, v) in o.object_entries() {
            out.insert(k, v);
        }
    }
    Ok(Some(Val::object(out)))
}

pub(super) fn f_reverse<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(a) = arg(&args, 0) else { return Ok(None) };
    if a.array_len().unwrap_or(0) <= 1 {
        return Ok(Some(a.clone()));
    }
    let mut items: Vec<Val<'a>> = a.array_iter().collect();
    items.reverse();
    Ok(Some(Val::array(items)))
}

pub(super) fn f_error<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let msg = match str_arg(&args, 0) {
        Some(m) if !m.is_empty() => m.to_string(),
        _ => "$error() function evaluated".into(),
    };
    Err(Error::new("D3137").with_extra(msg))
}

pub(super) fn f_assert<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    if !matches!(arg(&args, 0), Some(Val::Bool(true))) {
        let msg = match str_arg(&args, 1) {
            Some(m) if !m.is_empty() => m.to_string(),
            _ => "$assert() statement failed".into(),
        };
        return Err(Error::new("D3141").with_extra(msg));
    }
    Ok(None)
}

pub(super) fn f_type<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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

pub(super) fn f_sort<'a>(ev: &Evaluator<'a>, c: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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
                Ok(r.as_ref().is_some_and(js_truthy))
            })?
        }
    };
    Ok(Some(Val::array(sorted)))
}

pub(super) fn f_shuffle<'a>(ev: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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

pub(super) fn f_distinct<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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
