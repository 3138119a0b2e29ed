//! Compile-time checks of the error names a retry rule writes as strings
//! (`retry(errors = ["GatewayDown"])`), for the code stepcraft-macros generates: a name the
//! called function cannot fail with compiles into a retrier that never matches, so it is a
//! compile error, with the closest name it may have meant. Not a public API.
//!
//! `#[derive(stepcraft::Error)]` gives each error type its [`NameTable`]; `#[activity]` and
//! `#[workflow]` say which error type a call of theirs fails with ([`RetryErrors`]); a
//! `const` item at the string runs [`check_retry_name`] while rustc compiles the crate.

use crate::callback::CallbackError;
use crate::error::FunctionError;

/// The stable names of an error type, known at compile time: its own, then the tables of the
/// errors its transparent variants wrap.
#[derive(Debug)]
pub struct NameTable {
    /// The type, as declared (`PaymentError`).
    pub ty: &'static str,
    /// The identifiers of its variants (none for a struct).
    pub variants: &'static [&'static str],
    /// The names of the variants (or of the struct).
    pub own: &'static [&'static str],
    /// The tables of the wrapped errors.
    pub wrapped: &'static [&'static NameTable],
}

impl NameTable {
    /// No names: an error whose names are chosen at run time (a callback's `SendTaskFailure`).
    pub const NONE: NameTable = NameTable { ty: "", variants: &[], own: &[], wrapped: &[] };
}

/// An error type whose names are known at compile time. Implemented by
/// `#[derive(stepcraft::Error)]`.
#[diagnostic::on_unimplemented(
    message = "the error names of `{Self}` are not known at compile time",
    note = "derive them with `#[derive(stepcraft::Error)]`, or write the name as `other = \"…\"` to skip the check"
)]
pub trait ErrorNames {
    /// The names.
    const NAMES: NameTable;
}

#[diagnostic::do_not_recommend]
impl ErrorNames for CallbackError {
    const NAMES: NameTable = NameTable::NONE;
}

#[diagnostic::do_not_recommend]
impl ErrorNames for std::convert::Infallible {
    const NAMES: NameTable = NameTable::NONE;
}

/// The error type whose variants `#[task(retry(errors = [Variant]))]` names on a call of
/// `Self`: the function's own error type. For a callback activity that is the error of its
/// Lambda function (the Task fails with it), not [`CallbackError`], whose names are chosen at
/// run time by whoever calls `SendTaskFailure`. Implemented by `#[activity]` and `#[workflow]`.
pub trait RetryErrors {
    /// The error type.
    type Error;
}

/// What the Lambda glue reports besides the function's own errors.
const GLUE_NAMES: &[&str] = &[FunctionError::INVALID_INPUT, FunctionError::PAYLOAD_TOO_LARGE, FunctionError::PANIC];

/// Fails the compilation (this is called in a `const` item) unless `name` is an error a call
/// of `owner` can fail with: a name of `table`, a name of the Lambda glue (`lambda`: the call
/// is a Lambda task), or one of Lambda's (`Lambda.…`) or Step Functions' (`States.…`, checked
/// when the attribute is read).
#[track_caller]
pub const fn check_retry_name(table: &NameTable, lambda: bool, owner: &str, name: &str) {
    if starts_with(name, "States.") || (lambda && starts_with(name, "Lambda.")) {
        return;
    }
    if contains(table, name) || (lambda && listed(GLUE_NAMES, name)) {
        return;
    }
    let mut message = Message::new();
    message.push("`").push(name).push("` is not an error `").push(owner).push("` can fail with");
    let guess = closest(table, name, ("", usize::MAX));
    let (guess, _) = if lambda { closest_listed(GLUE_NAMES, name, guess) } else { guess };
    if !guess.is_empty() {
        message.push(" (did you mean `").push(guess).push("`?)");
    }
    message.push("; its errors are ");
    let mut first = true;
    message.names(table, &mut first);
    if lambda {
        let mut i = 0;
        while i < GLUE_NAMES.len() {
            message.name(GLUE_NAMES[i], &mut first);
            i += 1;
        }
    }
    message.push(if first { "" } else { ", " });
    message.push(if lambda { "Lambda's `Lambda.*` and " } else { "" }).push("Step Functions' `States.*`");
    message
        .push("; to name an error the check cannot see (another type's, a `SendTaskFailure` name), write `other = \"");
    message.push(name).push("\"`");
    match core::str::from_utf8(message.text()) {
        Ok(text) => panic!("{}", text),
        Err(_) => panic!("an error name that a retry rule cannot match"),
    }
}

/// Fails the compilation (this is called in a `const` item) unless `variant` is a variant of
/// `table`'s type, the error type a call of `owner` fails with.
#[track_caller]
pub const fn check_retry_variant(table: &NameTable, owner: &str, variant: &str) {
    if listed(table.variants, variant) {
        return;
    }
    let mut message = Message::new();
    message.push("`").push(variant).push("` is not a variant of ");
    if table.ty.is_empty() {
        message.push("the error type of `").push(owner).push("`");
    } else {
        message.push("`").push(table.ty).push("`, the error type of `").push(owner).push("`");
    }
    let (guess, _) = closest_listed(table.variants, variant, ("", usize::MAX));
    if !guess.is_empty() {
        message.push(" (did you mean `").push(guess).push("`?)");
    }
    if table.variants.is_empty() {
        message.push("; it has no variants to name: write the error's name as a string");
    } else {
        message.push("; its variants are ");
        let mut first = true;
        let mut i = 0;
        while i < table.variants.len() {
            message.name(table.variants[i], &mut first);
            i += 1;
        }
    }
    match core::str::from_utf8(message.text()) {
        Ok(text) => panic!("{}", text),
        Err(_) => panic!("a variant that the error type does not have"),
    }
}

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn starts_with(text: &str, prefix: &str) -> bool {
    let (text, prefix) = (text.as_bytes(), prefix.as_bytes());
    if text.len() < prefix.len() {
        return false;
    }
    let mut i = 0;
    while i < prefix.len() {
        if text[i] != prefix[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn listed(names: &[&str], name: &str) -> bool {
    let mut i = 0;
    while i < names.len() {
        if same(names[i], name) {
            return true;
        }
        i += 1;
    }
    false
}

const fn contains(table: &NameTable, name: &str) -> bool {
    if listed(table.own, name) {
        return true;
    }
    let mut i = 0;
    while i < table.wrapped.len() {
        if contains(table.wrapped[i], name) {
            return true;
        }
        i += 1;
    }
    false
}

/// The longest name the edit distance is computed for; longer ones get no suggestion.
const MAX_GUESS: usize = 64;

/// The edit distance between `a` and `b` (bytes), or `usize::MAX` if either is too long.
const fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() > MAX_GUESS || b.len() > MAX_GUESS {
        return usize::MAX;
    }
    let mut previous = [0usize; MAX_GUESS + 1];
    let mut current = [0usize; MAX_GUESS + 1];
    let mut j = 0;
    while j <= b.len() {
        previous[j] = j;
        j += 1;
    }
    let mut i = 1;
    while i <= a.len() {
        current[0] = i;
        let mut j = 1;
        while j <= b.len() {
            let substitution = previous[j - 1] + if a[i - 1] == b[j - 1] { 0 } else { 1 };
            let deletion = previous[j] + 1;
            let insertion = current[j - 1] + 1;
            let mut best = substitution;
            if deletion < best {
                best = deletion;
            }
            if insertion < best {
                best = insertion;
            }
            current[j] = best;
            j += 1;
        }
        let mut k = 0;
        while k <= b.len() {
            previous[k] = current[k];
            k += 1;
        }
        i += 1;
    }
    previous[b.len()]
}

/// Whether `candidate` is close enough to `name` to be what was meant.
const fn close(name: &str, candidate: &str) -> usize {
    let d = distance(name, candidate);
    let limit = if name.len() / 3 > 1 { name.len() / 3 } else { 1 };
    if d <= limit { d } else { usize::MAX }
}

const fn closest_listed<'a>(names: &[&'a str], name: &str, best: (&'a str, usize)) -> (&'a str, usize) {
    let mut best = best;
    let mut i = 0;
    while i < names.len() {
        let d = close(name, names[i]);
        if d < best.1 {
            best = (names[i], d);
        }
        i += 1;
    }
    best
}

const fn closest(table: &NameTable, name: &str, best: (&'static str, usize)) -> (&'static str, usize) {
    let mut best = closest_listed(table.own, name, best);
    let mut i = 0;
    while i < table.wrapped.len() {
        best = closest(table.wrapped[i], name, best);
        i += 1;
    }
    best
}

/// The text of a compile-time message, cut at a whole piece when it would not fit.
struct Message {
    bytes: [u8; 2048],
    len: usize,
    full: bool,
}

impl Message {
    const fn new() -> Self {
        Message { bytes: [0; 2048], len: 0, full: false }
    }

    const fn push(&mut self, piece: &str) -> &mut Self {
        let piece = piece.as_bytes();
        if self.full || self.len + piece.len() + 3 > self.bytes.len() {
            if !self.full {
                self.full = true;
                let ellipsis = "…".as_bytes();
                let mut i = 0;
                while i < ellipsis.len() {
                    self.bytes[self.len] = ellipsis[i];
                    self.len += 1;
                    i += 1;
                }
            }
            return self;
        }
        let mut i = 0;
        while i < piece.len() {
            self.bytes[self.len] = piece[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    const fn name(&mut self, name: &str, first: &mut bool) {
        if !*first {
            self.push(", ");
        }
        *first = false;
        self.push("`").push(name).push("`");
    }

    const fn names(&mut self, table: &NameTable, first: &mut bool) {
        let mut i = 0;
        while i < table.own.len() {
            self.name(table.own[i], first);
            i += 1;
        }
        let mut i = 0;
        while i < table.wrapped.len() {
            self.names(table.wrapped[i], first);
            i += 1;
        }
    }

    const fn text(&self) -> &[u8] {
        self.bytes.split_at(self.len).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INNER: NameTable = NameTable { ty: "VendorError", variants: &["Down"], own: &["Vendor.Down"], wrapped: &[] };
    const TABLE: NameTable = NameTable {
        ty: "PaymentError",
        variants: &["Declined", "BackendDown", "Vendor"],
        own: &["Declined", "BackendDown"],
        wrapped: &[&INNER],
    };

    #[test]
    fn names_are_found_in_wrapped_tables_and_close_ones_suggested() {
        assert!(contains(&TABLE, "BackendDown"));
        assert!(contains(&TABLE, "Vendor.Down"));
        assert!(!contains(&TABLE, "BackendDwn"));
        assert_eq!(closest(&TABLE, "BackendDwn", ("", usize::MAX)).0, "BackendDown");
        assert_eq!(closest(&TABLE, "Vendor.Dow", ("", usize::MAX)).0, "Vendor.Down");
        assert_eq!(closest(&TABLE, "Unrelated", ("", usize::MAX)).0, "");
        assert_eq!(distance("kitten", "sitting"), 3);
    }

    #[test]
    fn the_message_names_the_guess_and_every_error() {
        let message = std::panic::catch_unwind(|| check_retry_name(&TABLE, true, "charge", "BackendDwn"))
            .expect_err("an unknown name");
        let text = message.downcast_ref::<String>().expect("a formatted message");
        assert!(text.starts_with("`BackendDwn` is not an error `charge` can fail with (did you mean `BackendDown`?)"));
        assert!(text.contains("`Declined`, `BackendDown`, `Vendor.Down`, `InvalidInput`"), "{text}");
        assert!(text.ends_with("write `other = \"BackendDwn\"`"), "{text}");
        check_retry_name(&TABLE, true, "charge", "Lambda.ServiceException");
        check_retry_name(&TABLE, false, "child", "States.Timeout");
        check_retry_name(&TABLE, true, "charge", "Panic");
        assert!(std::panic::catch_unwind(|| check_retry_name(&TABLE, false, "child", "Panic")).is_err());
    }

    #[test]
    fn variants_are_checked_against_the_identifiers() {
        check_retry_variant(&TABLE, "charge", "Vendor");
        let message = std::panic::catch_unwind(|| check_retry_variant(&TABLE, "charge", "BackendDwn"))
            .expect_err("an unknown variant");
        let text = message.downcast_ref::<String>().expect("a formatted message");
        assert_eq!(
            text,
            "`BackendDwn` is not a variant of `PaymentError`, the error type of `charge` (did you mean \
             `BackendDown`?); its variants are `Declined`, `BackendDown`, `Vendor`"
        );
    }
}
