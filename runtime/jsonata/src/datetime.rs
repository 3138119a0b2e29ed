//! Date/time and integer pictures: `$fromMillis`, `$toMillis`, `$now`,
//! `$formatInteger`, `$parseInteger`.

use crate::error::{Error, Result};

pub(crate) fn format_integer(value: f64, picture: &str) -> Result<String> {
    let _ = (value, picture);
    Err(Error::unsupported("$formatInteger"))
}

pub(crate) fn parse_integer(value: &str, picture: &str) -> Result<Option<f64>> {
    let _ = (value, picture);
    Err(Error::unsupported("$parseInteger"))
}

pub(crate) fn from_millis(ms: f64, picture: Option<&str>, tz: Option<&str>) -> Result<String> {
    let _ = (ms, picture, tz);
    Err(Error::unsupported("$fromMillis"))
}

pub(crate) fn to_millis(ts: &str, picture: Option<&str>, now: f64) -> Result<Option<f64>> {
    let _ = (ts, picture, now);
    Err(Error::unsupported("$toMillis"))
}
