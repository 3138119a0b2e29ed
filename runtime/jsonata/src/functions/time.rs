//! Date and time functions: `$now`, `$millis`, `$fromMillis`, `$toMillis`,
//! thin wrappers over [`crate::datetime`], which owns the pictures and the
//! calendar. The clock is the host's, read once per evaluation.

use super::*;

pub(super) fn f_now<'a>(ev: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(string(crate::datetime::from_millis(ev.timestamp, str_arg(&args, 0), str_arg(&args, 1))?))
}

pub(super) fn f_millis<'a>(ev: &Evaluator<'a>, _: &Call<'_, 'a>, _: Vec<V<'a>>) -> Result<V<'a>> {
    Ok(num(ev.timestamp))
}

pub(super) fn f_from_millis<'a>(_: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(ms) = num_arg(&args, 0) else { return Ok(None) };
    Ok(string(crate::datetime::from_millis(ms, str_arg(&args, 1), str_arg(&args, 2))?))
}

pub(super) fn f_to_millis<'a>(ev: &Evaluator<'a>, _: &Call<'_, 'a>, args: Vec<V<'a>>) -> Result<V<'a>> {
    let Some(ts) = str_arg(&args, 0) else { return Ok(None) };
    Ok(crate::datetime::to_millis(ts, str_arg(&args, 1), ev.timestamp)?.map(Val::Num))
}
