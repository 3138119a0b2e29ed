//! Higher-order functions: `$map`, `$filter`, `$single`, `$zip`, `$reduce`,
//! `$sift`, `$each`. They call back into the evaluator ([`Evaluator::apply`])
//! and pass the arity-dependent extra arguments jsonata-js passes; they may
//! not evaluate syntax themselves.

use super::*;

pub(super) fn f_map<'a>(ev: &Evaluator<'a>, c: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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

pub(super) fn f_filter<'a>(ev: &Evaluator<'a>, c: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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

pub(super) fn f_single<'a>(ev: &Evaluator<'a>, c: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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

pub(super) fn f_zip<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let len = args.iter().map(|a| a.as_ref().and_then(Val::array_len).unwrap_or(0)).min().unwrap_or(0);
    let out = (0..len)
        .map(|i| {
            Val::array(args.iter().map(|a| a.as_ref().and_then(|a| a.array_get(i)).unwrap_or(Val::Null)).collect())
        })
        .collect();
    Ok(Some(Val::array(out)))
}

pub(super) fn f_reduce<'a>(ev: &Evaluator<'a>, c: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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

pub(super) fn f_sift<'a>(ev: &Evaluator<'a>, c: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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

pub(super) fn f_each<'a>(ev: &Evaluator<'a>, c: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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
