//! `$eval` (a separate evaluation of a string, seeing the `Env` bindings) and
//! `$clone`.

use super::*;

pub(super) fn f_eval<'a>(ev: &Evaluator<'a>, c: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
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

pub(super) fn f_clone<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    match arg(&args, 0) {
        None => Ok(None),
        Some(v) => Ok(Some(deep_clone(v)?)),
    }
}
