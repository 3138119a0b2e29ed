//! Boolean functions: `$boolean`, `$not`, `$exists` (JSONata truthiness, not
//! JavaScript's).

use super::*;

/// Function arguments reach built-ins as native JavaScript functions, which are falsy.
pub(super) fn arg_truthy(v: &Val<'_>) -> bool {
    !v.is_function() && truthy(v)
}

pub(super) fn f_boolean<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(arg(&args, 0).map(|v| Val::Bool(arg_truthy(v))))
}

pub(super) fn f_not<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(arg(&args, 0).map(|v| Val::Bool(!arg_truthy(v))))
}

pub(super) fn f_exists<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(Some(Val::Bool(arg(&args, 0).is_some())))
}
