//! `$formatNumber` (XPath F&O 3.1 `fn:format-number` pictures).

use crate::error::{Error, Result};

pub(crate) fn format_number(value: f64, picture: &str, options: &[(String, String)]) -> Result<String> {
    let _ = (value, picture, options);
    Err(Error::unsupported("$formatNumber"))
}
