//! Parse stage, attributes: reads `#[activity(..)]`, `#[handler(..)]` and `#[stepcraft(..)]`
//! into typed values, checking each value against Step Functions' and Lambda's limits.
//!
//! Every option is read with [`parse_options`], which reports unknown keys (with the accepted
//! list and a suggestion) and duplicates (at the second occurrence) and goes on, so that one
//! expansion reports every mistake at once.

use crate::ctxt::Ctxt;
use crate::limits::{
    EXPRESS_MAX_SECONDS, LAMBDA_MAX_SECONDS, LAMBDA_MEMORY_MB, MAP_LABEL_FORBIDDEN, MAX_ATTEMPTS as MAX_ATTEMPTS_LIMIT,
    MAX_DELAY_SECONDS, MAX_MAP_LABEL, MAX_SECONDS,
};
use crate::symbol::*;
use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned as _;
use syn::{Expr, ExprLit, Lit, LitStr, Path};

/// The event types S3 can notify a function of
/// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html).
pub const S3_EVENT_TYPES: &[&str] = &[
    "s3:ObjectCreated:*",
    "s3:ObjectCreated:Put",
    "s3:ObjectCreated:Post",
    "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectRemoved:*",
    "s3:ObjectRemoved:Delete",
    "s3:ObjectRemoved:DeleteMarkerCreated",
    "s3:ObjectRestore:*",
    "s3:ObjectRestore:Post",
    "s3:ObjectRestore:Completed",
    "s3:ObjectRestore:Delete",
    "s3:ReducedRedundancyLostObject",
    "s3:Replication:*",
    "s3:Replication:OperationFailedReplication",
    "s3:Replication:OperationNotTracked",
    "s3:Replication:OperationMissedThreshold",
    "s3:Replication:OperationReplicatedAfterThreshold",
    "s3:LifecycleExpiration:*",
    "s3:LifecycleExpiration:Delete",
    "s3:LifecycleExpiration:DeleteMarkerCreated",
    "s3:LifecycleTransition",
    "s3:IntelligentTiering",
    "s3:ObjectTagging:*",
    "s3:ObjectTagging:Put",
    "s3:ObjectTagging:Delete",
    "s3:ObjectAcl:Put",
];

/// The error names Step Functions defines; no other name may start with `States.`.
pub const PREDEFINED_ERRORS: &[&str] = &[
    "States.ALL",
    "States.TaskFailed",
    "States.Timeout",
    "States.HeartbeatTimeout",
    "States.Permissions",
    "States.Runtime",
    "States.DataLimitExceeded",
    "States.ResultPathMatchFailure",
    "States.ParameterPathFailure",
    "States.IntrinsicFailure",
    "States.BranchFailed",
    "States.NoChoiceMatched",
    "States.ExceedToleratedFailureThreshold",
    "States.ItemReaderFailed",
    "States.ResultWriterFailed",
    "States.QueryEvaluationError",
];

/// A value with the span of the tokens it came from.
#[derive(Debug, Clone)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

/// `#[activity(..)]`.
#[derive(Default)]
pub struct ActivityAttrs {
    pub name: Option<Spanned<String>>,
    /// `callback = T`: the task waits for a callback with a `T`, completed with the task token.
    pub callback: Option<syn::Type>,
    pub retry: Vec<RetryAttr>,
    pub timeout: Option<Spanned<u64>>,
    pub heartbeat: Option<Spanned<u64>>,
    /// `memory = 512`: the function's memory in MB.
    pub memory: Option<u64>,
    pub krate: Option<Path>,
}

/// One `retry(..)` of an activity: a Step Functions retrier.
#[derive(Clone)]
pub struct RetryAttr {
    /// The `retry` keyword, for errors about the whole rule.
    pub span: Span,
    pub errors: Vec<ErrorRef>,
    pub interval: Option<u64>,
    pub max_attempts: Option<u64>,
    pub backoff_rate: Option<f64>,
    pub max_delay: Option<u64>,
    pub jitter: Option<bool>,
}

/// An error a retry rule names.
#[derive(Clone)]
pub enum ErrorRef {
    /// A variant of the activity's error type, by identifier: `GatewayDown`.
    Variant(syn::Ident),
    /// An error name as Step Functions sees it: `"Lambda.ServiceException"`, `"States.Timeout"`;
    /// checked at compile time against the names the called function can fail with.
    Name(LitStr),
    /// `other = "Vendor.Error"`: a name the compile-time check cannot see (another error type's,
    /// a name given to `SendTaskFailure`), taken as written.
    Other(LitStr),
}

/// `#[handler(..)]`.
#[derive(Default)]
pub struct HandlerAttrs {
    pub kind: HandlerKind,
    pub init: Option<Path>,
    /// `memory = 512`: the function's memory in MB.
    pub memory: Option<u64>,
    /// `timeout = "30s"`: the function's timeout in seconds.
    pub timeout: Option<u64>,
    pub krate: Option<Path>,
}

/// What a handler is triggered by.
#[derive(Default)]
pub enum HandlerKind {
    /// Any JSON event, invoked directly (or by a trigger the template declares itself).
    #[default]
    Json,
    /// An API Gateway HTTP API (`http(..)`) or a function URL (`http(url)`).
    Http { url: bool, cors: Option<CorsAttr> },
    /// SQS batches, one record at a time.
    Sqs(SqsAttr),
    /// S3 notifications: a JSON handler of `S3Event`.
    S3(S3Attr),
    /// An EventBridge rule: a JSON handler of `EventBridgeEvent<T>`.
    EventBridge(EventBridgeAttr),
}

/// `sqs(..)`: the event source mapping.
pub struct SqsAttr {
    pub batch_size: u64,
    pub window: Option<u64>,
    pub fifo: bool,
    pub max_receive: u64,
}

/// `s3(..)`: the bucket notification.
pub struct S3Attr {
    pub events: Vec<String>,
    pub prefix: Option<String>,
    pub suffix: Option<String>,
}

/// `eventbridge(..)`: the rule's event pattern.
pub struct EventBridgeAttr {
    pub source: Vec<String>,
    pub detail_type: Vec<String>,
}

/// `cors(..)` of an HTTP handler.
#[derive(Default)]
pub struct CorsAttr {
    pub origins: Vec<String>,
    pub methods: Vec<String>,
    pub headers: Vec<String>,
    pub expose: Vec<String>,
    pub max_age: Option<u64>,
    pub credentials: bool,
}

/// `#[stepcraft(..)]` on an error type or variant.
#[derive(Default)]
pub struct ErrorAttrs {
    pub name: Option<Spanned<String>>,
    pub status: Option<u16>,
    /// The variant has the name(s) of the one error it wraps.
    pub transparent: Option<Span>,
}

/// Reads a comma-separated option list, calling `on` for each accepted key.
///
/// `what` names the list in messages (`activity`, `retry`, …). Unknown and duplicate keys are
/// reported and their values skipped.
pub fn parse_options(
    cx: &Ctxt,
    what: &str,
    accepted: &[Symbol],
    tokens: TokenStream,
    mut on: impl FnMut(Symbol, &ParseNestedMeta<'_>) -> syn::Result<()>,
) -> Keys {
    let mut seen: Vec<String> = Vec::new();
    let mut unknown = false;
    let parser = syn::meta::parser(|meta| {
        let Some(key) = meta.path.get_ident() else {
            cx.error_spanned_by(&meta.path, format!("expected a `{what}` option, found a path"));
            return skip_value(&meta);
        };
        let key_str = key.to_string();
        let Some(symbol) = accepted.iter().copied().find(|s| key == s) else {
            if let Some((.., why)) =
                REFUSED_OPTIONS.iter().find(|(list, keys, _)| *list == what && keys.contains(&key_str.as_str()))
            {
                cx.error_spanned_by(key, format!("`{what}` has no option `{key_str}`: {why}"));
                unknown = true;
                return skip_value(&meta);
            }
            let names: Vec<&str> = accepted.iter().map(|s| s.0).collect();
            let hint = suggest(&key_str, &names).map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default();
            cx.error_spanned_by(
                key,
                format!("unknown `{what}` option `{key_str}`{hint}; supported options are: {}", names.join(", ")),
            );
            unknown = true;
            return skip_value(&meta);
        };
        if seen.contains(&key_str) && symbol != RETRY {
            cx.error_spanned_by(key, format!("duplicate `{what}` option `{key_str}`; give it once"));
            return skip_value(&meta);
        }
        seen.push(key_str);
        on(symbol, &meta)
    });
    let parsed = syn::parse::Parser::parse2(parser, tokens);
    if let Err(e) = parsed {
        cx.syn_error(e);
        unknown = true;
    }
    Keys { all_known: !unknown }
}

/// What [`parse_options`] found about the keys themselves.
#[derive(Clone, Copy)]
pub struct Keys {
    /// No key was unknown (a misspelt key may be the required one: a rule that a key is missing
    /// is then not checked, as it would repeat the error).
    pub all_known: bool,
}

/// Consumes whatever follows a key: `= value`, `(..)`, or nothing.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        content.parse::<TokenStream>()?;
    }
    Ok(())
}

/// The accepted name closest to a misspelt one, if it is close enough to be a typo.
fn suggest<'a>(word: &str, names: &[&'a str]) -> Option<&'a str> {
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let cur = row[j + 1];
                row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
                prev = cur;
            }
        }
        row[b.len()]
    }
    let common_prefix = |n: &str| word.chars().zip(n.chars()).take_while(|(a, b)| a == b).count();
    names
        .iter()
        .map(|n| (distance(word, n), *n))
        .filter(|(d, n)| *d <= (n.len() / 3).max(1) || common_prefix(n) >= 4)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

/// The value after `key =`, parsed as an expression, or an error if the key has none.
fn value_expr(cx: &Ctxt, meta: &ParseNestedMeta<'_>, key: Symbol, example: &str) -> syn::Result<Option<Expr>> {
    if meta.input.peek(syn::Token![=]) {
        return Ok(Some(meta.value()?.parse::<Expr>()?));
    }
    cx.error_spanned_by(&meta.path, format!("`{key}` expects a value, e.g. `{example}`"));
    skip_value(meta)?;
    Ok(None)
}

/// A key written alone (`fifo`), or an error if a value follows it.
fn flag(cx: &Ctxt, meta: &ParseNestedMeta<'_>, key: Symbol, example: &str) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) || meta.input.peek(syn::token::Paren) {
        cx.error_spanned_by(&meta.path, format!("`{key}` takes no value; write it alone, e.g. `{example}`"));
        skip_value(meta)?;
    }
    Ok(())
}

/// The tokens inside `key(..)`, or an error if the key is not followed by a list.
fn nested_tokens(
    cx: &Ctxt,
    meta: &ParseNestedMeta<'_>,
    key: Symbol,
    example: &str,
) -> syn::Result<Option<TokenStream>> {
    if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        return Ok(Some(content.parse()?));
    }
    cx.error_spanned_by(&meta.path, format!("`{key}` expects a list of options, e.g. `{example}`"));
    skip_value(meta)?;
    Ok(None)
}

fn lit(expr: &Expr) -> Option<&Lit> {
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => Some(lit),
        Expr::Group(group) => lit(&group.expr),
        _ => None,
    }
}

/// A string literal.
fn string(cx: &Ctxt, expr: &Expr, key: Symbol, example: &str) -> Option<LitStr> {
    match lit(expr) {
        Some(Lit::Str(s)) => Some(s.clone()),
        _ => {
            cx.error_spanned_by(expr, format!("`{key}` expects a string, e.g. `{example}`"));
            None
        }
    }
}

/// A whole number within `range`.
fn integer(cx: &Ctxt, expr: &Expr, key: Symbol, example: &str, range: std::ops::RangeInclusive<u64>) -> Option<u64> {
    let Some(Lit::Int(int)) = lit(expr) else {
        cx.error_spanned_by(expr, format!("`{key}` expects a whole number, e.g. `{example}`"));
        return None;
    };
    match int.base10_parse::<u64>() {
        Ok(n) if range.contains(&n) => Some(n),
        _ => {
            cx.error_spanned_by(
                expr,
                format!("`{key}` must be between {} and {}, e.g. `{example}`", range.start(), range.end()),
            );
            None
        }
    }
}

/// A boolean literal.
fn boolean(cx: &Ctxt, expr: &Expr, key: Symbol, example: &str) -> Option<bool> {
    match lit(expr) {
        Some(Lit::Bool(b)) => Some(b.value),
        _ => {
            cx.error_spanned_by(expr, format!("`{key}` expects `true` or `false`, e.g. `{example}`"));
            None
        }
    }
}

/// `["a", "b"]`: an array of string literals.
fn strings(cx: &Ctxt, expr: &Expr, key: Symbol, example: &str) -> Option<Vec<LitStr>> {
    let Expr::Array(array) = expr else {
        cx.error_spanned_by(expr, format!("`{key}` expects a list of strings, e.g. `{example}`"));
        return None;
    };
    let mut out = Vec::new();
    for element in &array.elems {
        match lit(element) {
            Some(Lit::Str(s)) => out.push(s.clone()),
            _ => cx.error_spanned_by(element, format!("`{key}` expects a list of strings, e.g. `{example}`")),
        }
    }
    Some(out)
}

/// A duration string, whole seconds in `range`: `"90s"`, `"5m"`, `"1h30m"`, `"2d"`.
fn duration(cx: &Ctxt, expr: &Expr, key: Symbol, example: &str, range: std::ops::RangeInclusive<u64>) -> Option<u64> {
    let s = string(cx, expr, key, example)?;
    match parse_duration(&s.value()) {
        Ok(seconds) if range.contains(&seconds) => Some(seconds),
        Ok(seconds) => {
            let bound = if seconds < *range.start() {
                format!("at least {}", format_seconds(*range.start()))
            } else {
                format!("at most {}", format_seconds(*range.end()))
            };
            cx.error_spanned_by(&s, format!("`{key}` must be {bound}, e.g. `{example}`"));
            None
        }
        Err(why) => {
            cx.error_spanned_by(&s, format!("`{key}` expects a duration string ({why}), e.g. `{example}`"));
            None
        }
    }
}

/// Parses `"1h30m"`-style durations into seconds.
pub fn parse_duration(text: &str) -> Result<u64, &'static str> {
    if text.is_empty() {
        return Err("the string is empty");
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    let mut rest = text.chars().peekable();
    let mut last_unit = u64::MAX;
    while let Some(c) = rest.next() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if digits.is_empty() {
            return Err("each unit needs a whole number before it");
        }
        let unit = match c {
            'd' => 86_400,
            'h' => 3_600,
            'm' if rest.peek() == Some(&'s') => return Err("durations are whole seconds"),
            'm' => 60,
            's' => 1,
            '.' | ',' => return Err("durations are whole numbers of `d`, `h`, `m` and `s`"),
            _ => return Err("units are `d`, `h`, `m` and `s`"),
        };
        if unit >= last_unit {
            return Err("give units once, largest first");
        }
        last_unit = unit;
        let n: u64 = digits.parse().map_err(|_| "the number is too large")?;
        total = n.checked_mul(unit).and_then(|v| v.checked_add(total)).ok_or("the duration is too long")?;
        digits.clear();
    }
    if !digits.is_empty() {
        return Err("a number needs a unit: `d`, `h`, `m` or `s`");
    }
    Ok(total)
}

/// Seconds as the shortest duration string: 90 → `"1m30s"`.
pub fn format_seconds(seconds: u64) -> String {
    let mut out = String::from("\"");
    let mut rest = seconds;
    for (unit, name) in [(86_400, 'd'), (3_600, 'h'), (60, 'm'), (1, 's')] {
        if rest >= unit {
            out.push_str(&(rest / unit).to_string());
            out.push(name);
            rest %= unit;
        }
    }
    if seconds == 0 {
        out.push_str("0s");
    }
    out.push('"');
    out
}

/// `crate = "path::to::stepcraft"`.
fn crate_path(cx: &Ctxt, expr: &Expr) -> Option<Path> {
    let s = string(cx, expr, CRATE, "crate = \"my_sdk::stepcraft\"")?;
    match s.parse::<Path>() {
        Ok(path) => Some(path),
        Err(_) => {
            cx.error_spanned_by(&s, "`crate` expects a path, e.g. `crate = \"my_sdk::stepcraft\"`");
            None
        }
    }
}

/// Names Lambda accepts as handler names and Step Functions as placeholders: 1–64 of
/// `A-Z a-z 0-9 _ -`.
fn function_name(cx: &Ctxt, expr: &Expr) -> Option<Spanned<String>> {
    let s = string(cx, expr, NAME, "name = \"charge_card\"")?;
    let value = s.value();
    let valid = !value.is_empty()
        && value.len() <= 64
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid {
        cx.error_spanned_by(&s, "`name` must be 1 to 64 letters, digits, `_` or `-`, e.g. `name = \"charge_card\"`");
        return None;
    }
    Some(Spanned { value, span: s.span() })
}

const ACTIVITY_OPTIONS: &[Symbol] = &[NAME, RETRY, TIMEOUT, HEARTBEAT, CALLBACK, MEMORY, CRATE];
const RETRY_OPTIONS: &[Symbol] = &[ERRORS, INTERVAL, MAX_ATTEMPTS, BACKOFF_RATE, MAX_DELAY, JITTER];

impl ActivityAttrs {
    /// Reads the arguments of `#[activity(..)]`.
    pub fn from_syn(cx: &Ctxt, args: TokenStream) -> Self {
        let mut attrs = ActivityAttrs::default();
        parse_options(cx, "activity", ACTIVITY_OPTIONS, args, |key, meta| {
            if key == RETRY {
                let example = "retry(errors = [GatewayDown], max_attempts = 3)";
                if let Some(tokens) = nested_tokens(cx, meta, key, example)? {
                    attrs.retry.push(RetryAttr::from_syn(cx, meta.path.span(), tokens));
                }
                return Ok(());
            }
            let example = match key {
                NAME => "name = \"charge_card\"",
                TIMEOUT => "timeout = \"30s\"",
                HEARTBEAT => "heartbeat = \"10s\"",
                CALLBACK => "callback = Decision",
                MEMORY => "memory = 512",
                _ => "crate = \"my_sdk::stepcraft\"",
            };
            let Some(expr) = value_expr(cx, meta, key, example)? else { return Ok(()) };
            let spanned = |value| Spanned { value, span: expr.span() };
            match key {
                NAME => attrs.name = function_name(cx, &expr),
                CALLBACK => attrs.callback = callback_type(cx, &expr),
                TIMEOUT => attrs.timeout = duration(cx, &expr, key, example, 1..=MAX_SECONDS).map(spanned),
                HEARTBEAT => attrs.heartbeat = duration(cx, &expr, key, example, 1..=MAX_SECONDS).map(spanned),
                MEMORY => attrs.memory = integer(cx, &expr, key, example, LAMBDA_MEMORY_MB),
                _ => attrs.krate = crate_path(cx, &expr),
            }
            Ok(())
        });
        attrs.check_lambda_timeout(cx);
        attrs.check_heartbeat(cx);
        check_retry_order(cx, &attrs.retry);
        attrs
    }

    // Lambda stops a function after 15 minutes; only a callback task, which waits for someone
    // else, may wait longer.
    fn check_lambda_timeout(&self, cx: &Ctxt) {
        if let Some(timeout) = &self.timeout
            && self.callback.is_none()
        {
            check_lambda_timeout(
                cx,
                timeout,
                "an activity runs as a Lambda function",
                "split the work into several activities, or wait for a callback (`callback = Output`)",
            );
        }
    }

    // Step Functions rejects a task whose HeartbeatSeconds is not below its TimeoutSeconds.
    fn check_heartbeat(&self, cx: &Ctxt) {
        if let (Some(heartbeat), Some(timeout)) = (&self.heartbeat, &self.timeout)
            && heartbeat.value >= timeout.value
        {
            cx.error_at(
                heartbeat.span,
                format!(
                    "`heartbeat` must be shorter than `timeout` ({}), e.g. `heartbeat = {}`",
                    format_seconds(timeout.value),
                    format_seconds((timeout.value / 3).max(1))
                ),
            );
        }
    }
}

// Lambda stops a function after 15 minutes.
fn check_lambda_timeout(cx: &Ctxt, timeout: &Spanned<u64>, what: &str, instead: &str) -> bool {
    if timeout.value <= LAMBDA_MAX_SECONDS {
        return true;
    }
    cx.error_at(
        timeout.span,
        format!("`timeout` must be at most \"15m\": {what}, and Lambda stops functions after 15 minutes; {instead}"),
    );
    false
}

/// `callback = Decision` (a path) or `callback = "Vec<Decision>"` (any type, as a string).
fn callback_type(cx: &Ctxt, expr: &Expr) -> Option<syn::Type> {
    match expr {
        Expr::Path(p) if p.qself.is_none() => {
            Some(syn::Type::Path(syn::TypePath { qself: None, path: p.path.clone() }))
        }
        _ => match lit(expr) {
            Some(Lit::Str(s)) => match s.parse::<syn::Type>() {
                Ok(ty) => Some(ty),
                Err(_) => {
                    cx.error_spanned_by(
                        s,
                        "`callback` expects the type of the callback's result, e.g. `callback = Decision`",
                    );
                    None
                }
            },
            _ => {
                cx.error_spanned_by(
                    expr,
                    "`callback` expects the type of the callback's result, e.g. `callback = Decision`",
                );
                None
            }
        },
    }
}

// `States.ALL` must be alone in its `ErrorEquals` and in the last retrier, or Step Functions
// rejects the definition.
fn check_retry_order(cx: &Ctxt, retry: &[RetryAttr]) {
    for (i, rule) in retry.iter().enumerate() {
        let all = rule.errors.iter().find_map(|e| match e {
            ErrorRef::Name(s) if s.value() == "States.ALL" => Some(s),
            _ => None,
        });
        if let Some(all) = all {
            if rule.errors.len() > 1 {
                cx.error_spanned_by(all, "`States.ALL` must be alone in `errors`; it already matches every error");
            } else if i + 1 < retry.len() {
                cx.error_spanned_by(
                    all,
                    "a `retry` for `States.ALL` must come last: the rules after it would never apply",
                );
            }
        }
    }
}

impl RetryAttr {
    fn from_syn(cx: &Ctxt, span: Span, tokens: TokenStream) -> Self {
        let mut rule = RetryAttr {
            span,
            errors: Vec::new(),
            interval: None,
            max_attempts: None,
            backoff_rate: None,
            max_delay: None,
            jitter: None,
        };
        let mut has_errors = false;
        let keys = parse_options(cx, "retry", RETRY_OPTIONS, tokens, |key, meta| {
            let example = match key {
                ERRORS => "retry(errors = [GatewayDown, \"Lambda.ServiceException\"])",
                INTERVAL => "retry(interval = \"5s\")",
                MAX_ATTEMPTS => "retry(max_attempts = 3)",
                BACKOFF_RATE => "retry(backoff_rate = 2.0)",
                MAX_DELAY => "retry(max_delay = \"1m\")",
                _ => "retry(jitter = \"full\")",
            };
            let Some(expr) = value_expr(cx, meta, key, example)? else { return Ok(()) };
            match key {
                ERRORS => {
                    has_errors = true;
                    rule.errors = error_refs(cx, &expr, example);
                }
                INTERVAL => rule.interval = duration(cx, &expr, key, example, 1..=MAX_SECONDS),
                MAX_ATTEMPTS => rule.max_attempts = integer(cx, &expr, key, example, 0..=MAX_ATTEMPTS_LIMIT),
                BACKOFF_RATE => rule.backoff_rate = backoff_rate(cx, &expr, example),
                MAX_DELAY => rule.max_delay = duration(cx, &expr, key, example, 1..=MAX_DELAY_SECONDS),
                _ => rule.jitter = jitter(cx, &expr, example),
            }
            Ok(())
        });
        if !has_errors && keys.all_known {
            cx.error_at(
                span,
                "`retry` needs `errors`, the errors to retry, e.g. `retry(errors = [GatewayDown], max_attempts = 3)`",
            );
        }
        rule
    }
}

fn error_refs(cx: &Ctxt, expr: &Expr, example: &str) -> Vec<ErrorRef> {
    let Expr::Array(array) = expr else {
        cx.error_spanned_by(expr, format!("`errors` expects a list of error variants or names, e.g. `{example}`"));
        return Vec::new();
    };
    if array.elems.is_empty() {
        cx.error_spanned_by(array, format!("`errors` must name at least one error, e.g. `{example}`"));
    }
    let mut out = Vec::new();
    for element in &array.elems {
        match element {
            Expr::Path(p) if p.qself.is_none() && p.path.get_ident().is_some() => {
                out.push(ErrorRef::Variant(p.path.get_ident().cloned().expect("checked")));
            }
            Expr::Assign(assign) if matches!(&*assign.left, Expr::Path(p) if p.path == OTHER) => {
                match lit(&assign.right) {
                    Some(Lit::Str(s)) => {
                        if check_error_name(cx, s) {
                            out.push(ErrorRef::Other(s.clone()));
                        }
                    }
                    _ => cx.error_spanned_by(
                        &assign.right,
                        "`other` names an error by its string, e.g. `errors = [other = \"Vendor.Timeout\"]`",
                    ),
                }
            }
            _ => match lit(element) {
                Some(Lit::Str(s)) => {
                    if check_error_name(cx, s) {
                        out.push(ErrorRef::Name(s.clone()));
                    }
                }
                _ => cx.error_spanned_by(
                    element,
                    format!(
                        "`errors` expects a variant of the activity's error type, an error name string, or \
                         `other = \"Name\"` for a name of another type, e.g. `{example}`"
                    ),
                ),
            },
        }
    }
    out
}

// Step Functions rejects definitions that name an unknown `States.*` error; other names are
// free-form but never empty.
fn check_error_name(cx: &Ctxt, name: &LitStr) -> bool {
    let value = name.value();
    if value.is_empty() {
        cx.error_spanned_by(name, "an error name cannot be empty");
        return false;
    }
    if value.starts_with("States.") && !PREDEFINED_ERRORS.contains(&value.as_str()) {
        let hint = suggest(&value, PREDEFINED_ERRORS).map(|s| format!("did you mean `{s}`? ")).unwrap_or_default();
        cx.error_spanned_by(
            name,
            format!(
                "`{value}` is not a Step Functions error; {hint}names starting with `States.` are reserved for: {}",
                PREDEFINED_ERRORS.join(", ")
            ),
        );
        return false;
    }
    true
}

fn backoff_rate(cx: &Ctxt, expr: &Expr, example: &str) -> Option<f64> {
    let value = match lit(expr) {
        Some(Lit::Float(f)) => f.base10_parse::<f64>().ok(),
        Some(Lit::Int(i)) => i.base10_parse::<u32>().ok().map(f64::from),
        _ => None,
    };
    match value {
        Some(v) if v.is_finite() && v >= 1.0 => Some(v),
        Some(_) => {
            cx.error_spanned_by(expr, format!("`backoff_rate` must be at least 1.0, e.g. `{example}`"));
            None
        }
        None => {
            cx.error_spanned_by(expr, format!("`backoff_rate` expects a number, e.g. `{example}`"));
            None
        }
    }
}

fn jitter(cx: &Ctxt, expr: &Expr, example: &str) -> Option<bool> {
    match lit(expr) {
        Some(Lit::Bool(b)) => Some(b.value),
        Some(Lit::Str(s)) if s.value().eq_ignore_ascii_case("full") => Some(true),
        Some(Lit::Str(s)) if s.value().eq_ignore_ascii_case("none") => Some(false),
        _ => {
            cx.error_spanned_by(expr, format!("`jitter` expects `\"full\"` or `\"none\"`, e.g. `{example}`"));
            None
        }
    }
}

const HANDLER_OPTIONS: &[Symbol] = &[INIT, HTTP, SQS, S3, EVENTBRIDGE, MEMORY, TIMEOUT, CRATE];
const TRIGGERS: &[Symbol] = &[HTTP, SQS, S3, EVENTBRIDGE];
const HTTP_OPTIONS: &[Symbol] = &[URL, CORS];
const CORS_OPTIONS: &[Symbol] = &[ORIGINS, METHODS, HEADERS, EXPOSE, MAX_AGE, CREDENTIALS];
const SQS_OPTIONS: &[Symbol] = &[BATCH_SIZE, WINDOW, FIFO, MAX_RECEIVE];
const S3_OPTIONS: &[Symbol] = &[EVENTS, PREFIX, SUFFIX];
const EVENTBRIDGE_OPTIONS: &[Symbol] = &[SOURCE, DETAIL_TYPE];
const HTTP_METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

impl HandlerAttrs {
    /// Reads the arguments of `#[handler(..)]`.
    pub fn from_syn(cx: &Ctxt, args: TokenStream) -> Self {
        let mut attrs = HandlerAttrs::default();
        let mut trigger: Option<Symbol> = None;
        parse_options(cx, "handler", HANDLER_OPTIONS, args, |key, meta| {
            if TRIGGERS.contains(&key) {
                if let Some(first) = trigger {
                    cx.error_spanned_by(
                        &meta.path,
                        format!(
                            "a handler is triggered by one kind of event, and this one already is by `{first}`; \
                             remove `{key}` (or put it on a handler of its own)"
                        ),
                    );
                    return skip_value(meta);
                }
                trigger = Some(key);
                let span = meta.path.span();
                let tokens = if meta.input.peek(syn::token::Paren) {
                    let content;
                    syn::parenthesized!(content in meta.input);
                    content.parse()?
                } else if meta.input.peek(syn::Token![=]) {
                    let example = match key {
                        HTTP => "http(cors(origins = [\"https://app.example.com\"]))",
                        SQS => "sqs(batch_size = 10)",
                        S3 => "s3(prefix = \"incoming/\")",
                        _ => "eventbridge(source = [\"shop.orders\"])",
                    };
                    cx.error_spanned_by(&meta.path, format!("`{key}` takes a list of options, e.g. `{example}`"));
                    return skip_value(meta);
                } else {
                    TokenStream::new()
                };
                attrs.kind = match key {
                    HTTP => http_trigger(cx, tokens),
                    SQS => HandlerKind::Sqs(SqsAttr::from_syn(cx, tokens)),
                    S3 => HandlerKind::S3(S3Attr::from_syn(cx, tokens)),
                    _ => HandlerKind::EventBridge(EventBridgeAttr::from_syn(cx, span, tokens)),
                };
                return Ok(());
            }
            let example = match key {
                INIT => "init = make_clients",
                MEMORY => "memory = 512",
                TIMEOUT => "timeout = \"30s\"",
                _ => "crate = \"my_sdk::stepcraft\"",
            };
            let Some(expr) = value_expr(cx, meta, key, example)? else { return Ok(()) };
            match key {
                INIT => match expr {
                    Expr::Path(p) if p.qself.is_none() => attrs.init = Some(p.path),
                    other => cx.error_spanned_by(
                        other,
                        "`init` expects the path of an `async fn() -> Result<State, E>`, e.g. `init = make_clients`",
                    ),
                },
                MEMORY => attrs.memory = integer(cx, &expr, key, example, LAMBDA_MEMORY_MB),
                TIMEOUT => {
                    attrs.timeout = duration(cx, &expr, key, example, 1..=MAX_SECONDS)
                        .map(|value| Spanned { value, span: expr.span() })
                        .filter(|timeout| {
                            check_lambda_timeout(
                                cx,
                                timeout,
                                "a handler runs as a Lambda function",
                                "write `timeout = \"15m\"` or less",
                            )
                        })
                        .map(|timeout| timeout.value)
                }
                _ => attrs.krate = crate_path(cx, &expr),
            }
            Ok(())
        });
        attrs
    }
}

/// `http`, `http(cors)`, `http(url, cors(..))`.
fn http_trigger(cx: &Ctxt, tokens: TokenStream) -> HandlerKind {
    let (mut url, mut cors) = (false, None);
    parse_options(cx, "http", HTTP_OPTIONS, tokens, |key, meta| {
        if key == URL {
            url = true;
            return flag(cx, meta, key, "http(url)");
        }
        cors = Some(if meta.input.peek(syn::token::Paren) {
            let content;
            syn::parenthesized!(content in meta.input);
            CorsAttr::from_syn(cx, meta.path.span(), content.parse()?)
        } else {
            CorsAttr::any_origin()
        });
        Ok(())
    });
    HandlerKind::Http { url, cors }
}

/// Lambda's bounds on an SQS event source mapping
/// (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html).
const SQS_MAX_BATCH: u64 = 10_000;
const SQS_FIFO_MAX_BATCH: u64 = 10;
const SQS_MAX_WINDOW_SECONDS: u64 = 300;
/// SQS's bounds on a redrive policy's `maxReceiveCount`.
const SQS_MAX_RECEIVE: std::ops::RangeInclusive<u64> = 1..=1_000;

impl SqsAttr {
    fn from_syn(cx: &Ctxt, tokens: TokenStream) -> Self {
        let mut batch_size: Option<Spanned<u64>> = None;
        let mut window: Option<Spanned<u64>> = None;
        let mut fifo = false;
        let mut max_receive = None;
        parse_options(cx, "sqs", SQS_OPTIONS, tokens, |key, meta| {
            if key == FIFO {
                fifo = true;
                return flag(cx, meta, key, "sqs(fifo)");
            }
            let example = match key {
                BATCH_SIZE => "sqs(batch_size = 10)",
                WINDOW => "sqs(window = \"5s\")",
                _ => "sqs(max_receive = 5)",
            };
            let Some(expr) = value_expr(cx, meta, key, example)? else { return Ok(()) };
            let spanned = |value| Spanned { value, span: expr.span() };
            match key {
                BATCH_SIZE => batch_size = integer(cx, &expr, key, example, 1..=SQS_MAX_BATCH).map(spanned),
                WINDOW => window = duration(cx, &expr, key, example, 0..=SQS_MAX_WINDOW_SECONDS).map(spanned),
                _ => max_receive = integer(cx, &expr, key, example, SQS_MAX_RECEIVE),
            }
            Ok(())
        });
        // Lambda's rules for the mapping: a FIFO queue delivers at most 10 messages a batch and
        // has no batching window; a batch of more than 10 needs a window of at least 1 second.
        if fifo {
            if let Some(size) = batch_size.as_ref().filter(|s| s.value > SQS_FIFO_MAX_BATCH) {
                cx.error_at(
                    size.span,
                    "a FIFO queue delivers at most 10 messages a batch (Lambda's limit); write `batch_size = 10` or less",
                );
            }
            if let Some(window) = &window {
                cx.error_at(window.span, "a FIFO queue has no batching window (Lambda's rule); remove `window`");
            }
        } else if let Some(size) = batch_size.as_ref().filter(|s| s.value > 10)
            && window.as_ref().is_none_or(|w| w.value < 1)
        {
            cx.error_at(
                size.span,
                format!(
                    "a `batch_size` over 10 needs a batching window of at least 1 second (Lambda's rule); \
                     add one, e.g. `sqs(batch_size = {}, window = \"5s\")`",
                    size.value
                ),
            );
        }
        SqsAttr {
            batch_size: batch_size.map_or(10, |s| s.value),
            window: window.map(|w| w.value),
            fifo,
            max_receive: max_receive.unwrap_or(5),
        }
    }
}

impl S3Attr {
    fn from_syn(cx: &Ctxt, tokens: TokenStream) -> Self {
        let mut attr = S3Attr { events: Vec::new(), prefix: None, suffix: None };
        let mut events = None;
        parse_options(cx, "s3", S3_OPTIONS, tokens, |key, meta| {
            let example = match key {
                EVENTS => "s3(events = [\"s3:ObjectCreated:*\"])",
                PREFIX => "s3(prefix = \"incoming/\")",
                _ => "s3(suffix = \".csv\")",
            };
            let Some(expr) = value_expr(cx, meta, key, example)? else { return Ok(()) };
            match key {
                EVENTS => {
                    let list = strings(cx, &expr, key, example).unwrap_or_default();
                    if list.is_empty() {
                        cx.error_spanned_by(
                            &expr,
                            format!("`events` must name at least one event type, e.g. `{example}`"),
                        );
                    }
                    events = Some(list.iter().filter(|event| s3_event_type(cx, event)).map(LitStr::value).collect());
                }
                _ => {
                    let Some(s) = string(cx, &expr, key, example) else { return Ok(()) };
                    if s.value().is_empty() {
                        cx.error_spanned_by(&s, format!("`{key}` cannot be empty; remove it to match every key"));
                    } else if key == PREFIX {
                        attr.prefix = Some(s.value());
                    } else {
                        attr.suffix = Some(s.value());
                    }
                }
            }
            Ok(())
        });
        attr.events = events.unwrap_or_else(|| vec!["s3:ObjectCreated:*".to_owned()]);
        attr
    }
}

// S3 rejects a notification configuration naming an event type it does not have.
fn s3_event_type(cx: &Ctxt, event: &LitStr) -> bool {
    let value = event.value();
    if S3_EVENT_TYPES.contains(&value.as_str()) {
        return true;
    }
    let hint = suggest(&value, S3_EVENT_TYPES).map(|s| format!("did you mean `{s}`? ")).unwrap_or_default();
    cx.error_spanned_by(
        event,
        format!("`{value}` is not an S3 event type; {hint}S3 notifies of: {}", S3_EVENT_TYPES.join(", ")),
    );
    false
}

impl EventBridgeAttr {
    fn from_syn(cx: &Ctxt, span: Span, tokens: TokenStream) -> Self {
        let mut attr = EventBridgeAttr { source: Vec::new(), detail_type: Vec::new() };
        let keys = parse_options(cx, "eventbridge", EVENTBRIDGE_OPTIONS, tokens, |key, meta| {
            let example = if key == SOURCE {
                "eventbridge(source = [\"shop.orders\"])"
            } else {
                "eventbridge(detail_type = [\"OrderShipped\"])"
            };
            let Some(expr) = value_expr(cx, meta, key, example)? else { return Ok(()) };
            let values: Vec<String> =
                strings(cx, &expr, key, example).unwrap_or_default().iter().map(LitStr::value).collect();
            // An empty list in an event pattern matches no event at all.
            if values.is_empty() {
                cx.error_spanned_by(&expr, format!("`{key}` must list at least one value, e.g. `{example}`"));
            }
            if key == SOURCE {
                attr.source = values;
            } else {
                attr.detail_type = values;
            }
            Ok(())
        });
        // A rule without a pattern would send the function every event of the bus.
        if attr.source.is_empty() && attr.detail_type.is_empty() && keys.all_known {
            cx.error_at(
                span,
                "`eventbridge` needs `source` or `detail_type` to select the events, \
                 e.g. `eventbridge(source = [\"shop.orders\"], detail_type = [\"OrderShipped\"])`",
            );
        }
        attr
    }
}

impl CorsAttr {
    fn any_origin() -> Self {
        CorsAttr { origins: vec!["*".into()], ..CorsAttr::default() }
    }

    fn from_syn(cx: &Ctxt, span: Span, tokens: TokenStream) -> Self {
        let mut cors = CorsAttr::default();
        let mut origins_span = None;
        let keys = parse_options(cx, "cors", CORS_OPTIONS, tokens, |key, meta| {
            let example = match key {
                ORIGINS => "cors(origins = [\"https://app.example.com\"])",
                METHODS => "cors(methods = [\"GET\", \"POST\"])",
                HEADERS => "cors(headers = [\"content-type\", \"authorization\"])",
                EXPOSE => "cors(expose = [\"x-request-id\"])",
                MAX_AGE => "cors(max_age = \"1h\")",
                _ => "cors(credentials = true)",
            };
            let Some(expr) = value_expr(cx, meta, key, example)? else { return Ok(()) };
            match key {
                ORIGINS => {
                    origins_span = Some(expr.span());
                    for origin in strings(cx, &expr, key, example).unwrap_or_default() {
                        if valid_origin(&origin.value()) {
                            cors.origins.push(origin.value());
                        } else {
                            cx.error_spanned_by(
                                &origin,
                                format!("`{}` is not an origin; write `\"*\"` or `scheme://host[:port]` with no path, e.g. `{example}`", origin.value()),
                            );
                        }
                    }
                }
                METHODS => {
                    for method in strings(cx, &expr, key, example).unwrap_or_default() {
                        let upper = method.value().to_ascii_uppercase();
                        if HTTP_METHODS.contains(&upper.as_str()) {
                            cors.methods.push(upper);
                        } else {
                            cx.error_spanned_by(
                                &method,
                                format!("`{}` is not an HTTP method; use {}", method.value(), HTTP_METHODS.join(", ")),
                            );
                        }
                    }
                }
                HEADERS => {
                    cors.headers = strings(cx, &expr, key, example)
                        .unwrap_or_default()
                        .iter()
                        .map(|s| s.value().to_ascii_lowercase())
                        .collect()
                }
                EXPOSE => {
                    cors.expose = strings(cx, &expr, key, example)
                        .unwrap_or_default()
                        .iter()
                        .map(|s| s.value().to_ascii_lowercase())
                        .collect()
                }
                MAX_AGE => cors.max_age = duration(cx, &expr, key, example, 0..=86_400),
                _ => cors.credentials = boolean(cx, &expr, key, example).unwrap_or(false),
            }
            Ok(())
        });
        if cors.origins.is_empty() && origins_span.is_none() && keys.all_known {
            cx.error_at(span, "`cors` needs `origins`, e.g. `cors(origins = [\"https://app.example.com\"])`, or write `cors` alone to allow any origin");
        }
        // Browsers refuse `Access-Control-Allow-Origin: *` with credentials, and reflecting any
        // origin instead would hand every site the user's cookies.
        if cors.credentials && cors.origins.iter().any(|o| o == "*") {
            cx.error_at(
                origins_span.unwrap_or(span),
                "`credentials = true` cannot be combined with `origins = [\"*\"]`: list the allowed origins, e.g. `origins = [\"https://app.example.com\"]`",
            );
        }
        cors
    }
}

fn valid_origin(origin: &str) -> bool {
    if origin == "*" {
        return true;
    }
    let Some((scheme, rest)) = origin.split_once("://") else { return false };
    matches!(scheme, "http" | "https")
        && !rest.is_empty()
        && !rest.contains('/')
        && rest.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

impl ErrorAttrs {
    /// Reads every `#[stepcraft(..)]` among `attrs`.
    pub fn from_syn(cx: &Ctxt, attrs: &[syn::Attribute]) -> Self {
        let mut out = ErrorAttrs::default();
        for attr in attrs.iter().filter(|a| *a.path() == STEPCRAFT) {
            let tokens = match &attr.meta {
                syn::Meta::List(list) => list.tokens.clone(),
                other => {
                    cx.error_spanned_by(other, "expected `#[stepcraft(name = \"…\")]` or `#[stepcraft(status = 404)]`");
                    continue;
                }
            };
            parse_options(cx, "stepcraft", &[NAME, STATUS, TRANSPARENT], tokens, |key, meta| {
                if key == TRANSPARENT {
                    out.transparent = Some(meta.path.span());
                    return Ok(());
                }
                let example =
                    if key == NAME { "#[stepcraft(name = \"CardDeclined\")]" } else { "#[stepcraft(status = 404)]" };
                let Some(expr) = value_expr(cx, meta, key, example)? else { return Ok(()) };
                if key == NAME {
                    if let Some(s) = string(cx, &expr, key, example) {
                        if check_error_name(cx, &s) && s.value().starts_with("States.") {
                            cx.error_spanned_by(&s, "names starting with `States.` are reserved for Step Functions' own errors; choose another name");
                        } else if !s.value().is_empty() {
                            out.name = Some(Spanned { value: s.value(), span: s.span() });
                        }
                    }
                } else {
                    out.status = integer(cx, &expr, key, example, 400..=599).map(|n| n as u16);
                }
                Ok(())
            });
        }
        out
    }
}

/// `#[workflow(..)]`.
#[derive(Default)]
pub struct WorkflowAttrs {
    pub name: Option<Spanned<String>>,
    pub timeout: Option<Spanned<u64>>,
    /// `express`: the state machine is of type EXPRESS.
    pub express: Option<Span>,
    pub comment: Option<String>,
    pub krate: Option<Path>,
}

/// `#[task(..)]` on a statement of a workflow: overrides of the called activity's defaults.
#[derive(Default, Clone)]
pub struct TaskAttrs {
    pub name: Option<Spanned<String>>,
    /// Replaces the activity's retry rules when given (`retry()` alone: none at all).
    pub retry: Option<Vec<RetryAttr>>,
    pub timeout: Option<Spanned<u64>>,
    pub heartbeat: Option<Spanned<u64>>,
}

/// `#[map(..)]` on a `for` loop of a workflow.
#[derive(Default)]
pub struct MapAttrs {
    pub name: Option<Spanned<String>>,
    pub max_concurrency: Option<u64>,
    /// `distributed`: a Distributed Map, each item a child execution of its own.
    pub distributed: Option<Span>,
    /// `execution = "express"`: the children are Express executions (else Standard).
    pub express_children: Option<Span>,
    /// `label = "Pack"`: the Map Run's label, in its ARN and its children's.
    pub label: Option<Spanned<String>>,
}

/// State machine names: 1–80 characters, none of the ones Step Functions forbids.
fn machine_name(cx: &Ctxt, expr: &Expr) -> Option<Spanned<String>> {
    let s = string(cx, expr, NAME, "name = \"Checkout\"")?;
    let value = s.value();
    let valid = !value.is_empty()
        && value.chars().count() <= 80
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid {
        cx.error_spanned_by(
            &s,
            "a state machine `name` must be 1 to 80 letters, digits, `_` or `-`, e.g. `name = \"Checkout\"`",
        );
        return None;
    }
    Some(Spanned { value, span: s.span() })
}

/// A state name given by the user: 1–80 characters.
fn state_name(cx: &Ctxt, expr: &Expr) -> Option<Spanned<String>> {
    let s = string(cx, expr, NAME, "name = \"Charge the card\"")?;
    let value = s.value();
    if value.trim().is_empty() {
        cx.error_spanned_by(&s, "a state `name` cannot be empty, e.g. `name = \"Charge the card\"`");
        return None;
    }
    if value.chars().count() > 80 {
        cx.error_spanned_by(
            &s,
            format!(
                "state names are at most 80 characters (Step Functions' limit); this one has {}",
                value.chars().count()
            ),
        );
        return None;
    }
    Some(Spanned { value, span: s.span() })
}

const WORKFLOW_OPTIONS: &[Symbol] = &[NAME, TIMEOUT, COMMENT, EXPRESS, CRATE];
const TASK_OPTIONS: &[Symbol] = &[NAME, RETRY, TIMEOUT, HEARTBEAT];
const MAP_OPTIONS: &[Symbol] = &[NAME, MAX_CONCURRENCY, DISTRIBUTED, EXECUTION, LABEL];

/// Options a user may look for that stepcraft does not offer, by list, with the reason and
/// what to write instead (reported in place of "unknown option").
const REFUSED_OPTIONS: &[(&str, &[&str], &str)] = &[(
    "map",
    &["tolerated_failures", "tolerated_failure_count", "tolerated_failure_percentage"],
    "a Distributed Map's tolerated failures have no meaning in Rust: the loop would go on past an \
     iteration's `?`, and the values it collects would hold errors; catch the error inside the loop \
     (`match step(item).await { Ok(v) => .., Err(_) => .. }`) to go on past it",
)];

impl WorkflowAttrs {
    /// Reads the arguments of `#[workflow(..)]`.
    pub fn from_syn(cx: &Ctxt, args: TokenStream) -> Self {
        let mut attrs = WorkflowAttrs::default();
        parse_options(cx, "workflow", WORKFLOW_OPTIONS, args, |key, meta| {
            if key == EXPRESS {
                attrs.express = Some(meta.path.span());
                return flag(cx, meta, key, "#[workflow(express)]");
            }
            let example = match key {
                NAME => "name = \"Checkout\"",
                TIMEOUT => "timeout = \"1h\"",
                COMMENT => "comment = \"Takes an order from payment to shipment\"",
                _ => "crate = \"my_sdk::stepcraft\"",
            };
            let Some(expr) = value_expr(cx, meta, key, example)? else { return Ok(()) };
            match key {
                NAME => attrs.name = machine_name(cx, &expr),
                TIMEOUT => {
                    attrs.timeout = duration(cx, &expr, key, example, 1..=MAX_SECONDS)
                        .map(|value| Spanned { value, span: expr.span() })
                }
                COMMENT => attrs.comment = string(cx, &expr, key, example).map(|s| s.value()),
                _ => attrs.krate = crate_path(cx, &expr),
            }
            Ok(())
        });
        // An express execution lasts at most 5 minutes (Step Functions' limit,
        // https://docs.aws.amazon.com/step-functions/latest/dg/express-limits.html).
        if attrs.express.is_some()
            && let Some(timeout) = attrs.timeout.as_ref().filter(|t| t.value > EXPRESS_MAX_SECONDS)
        {
            cx.error_at(
                timeout.span,
                "an express workflow runs for at most 5 minutes (Step Functions' limit); write `timeout = \"5m\"` \
                 or less, or remove `express` for a standard workflow, which may run for a year",
            );
        }
        attrs
    }
}

impl TaskAttrs {
    /// Reads the arguments of a `#[task(..)]` statement attribute.
    pub fn from_syn(cx: &Ctxt, attr: &syn::Attribute) -> Self {
        let mut attrs = TaskAttrs::default();
        let syn::Meta::List(list) = &attr.meta else {
            cx.error_spanned_by(attr, "expected `#[task(..)]` with options, e.g. `#[task(timeout = \"10s\")]`");
            return attrs;
        };
        parse_options(cx, "task", TASK_OPTIONS, list.tokens.clone(), |key, meta| {
            if key == RETRY {
                let example = "retry(errors = [GatewayDown], max_attempts = 3)";
                let retry = attrs.retry.get_or_insert_with(Vec::new);
                if let Some(tokens) = nested_tokens(cx, meta, key, example)?
                    && !tokens.is_empty()
                {
                    retry.push(RetryAttr::from_syn(cx, meta.path.span(), tokens));
                }
                return Ok(());
            }
            let example = match key {
                NAME => "name = \"Charge the card\"",
                TIMEOUT => "timeout = \"30s\"",
                _ => "heartbeat = \"10s\"",
            };
            let Some(expr) = value_expr(cx, meta, key, example)? else { return Ok(()) };
            let spanned = |value| Spanned { value, span: expr.span() };
            match key {
                NAME => attrs.name = state_name(cx, &expr),
                TIMEOUT => attrs.timeout = duration(cx, &expr, key, example, 1..=MAX_SECONDS).map(spanned),
                _ => attrs.heartbeat = duration(cx, &expr, key, example, 1..=MAX_SECONDS).map(spanned),
            }
            Ok(())
        });
        if let Some(retry) = &attrs.retry {
            check_retry_order(cx, retry);
        }
        if let (Some(heartbeat), Some(timeout)) = (&attrs.heartbeat, &attrs.timeout)
            && heartbeat.value >= timeout.value
        {
            cx.error_at(
                heartbeat.span,
                format!("`heartbeat` must be shorter than `timeout` ({})", format_seconds(timeout.value)),
            );
        }
        attrs
    }
}

impl MapAttrs {
    /// Reads the arguments of a `#[map(..)]` loop attribute.
    pub fn from_syn(cx: &Ctxt, attr: &syn::Attribute) -> Self {
        let mut attrs = MapAttrs::default();
        let syn::Meta::List(list) = &attr.meta else {
            cx.error_spanned_by(attr, "expected `#[map(..)]` with options, e.g. `#[map(max_concurrency = 5)]`");
            return attrs;
        };
        let mut execution: Option<Span> = None;
        let keys = parse_options(cx, "map", MAP_OPTIONS, list.tokens.clone(), |key, meta| {
            if key == DISTRIBUTED {
                attrs.distributed = Some(meta.path.span());
                return flag(cx, meta, key, "#[map(distributed)]");
            }
            let example = match key {
                NAME => "name = \"Pack each item\"",
                MAX_CONCURRENCY => "max_concurrency = 5",
                EXECUTION => "execution = \"express\"",
                _ => "label = \"PackItems\"",
            };
            let Some(expr) = value_expr(cx, meta, key, example)? else { return Ok(()) };
            match key {
                NAME => attrs.name = state_name(cx, &expr),
                MAX_CONCURRENCY => attrs.max_concurrency = integer(cx, &expr, key, example, 0..=10_000),
                EXECUTION => {
                    execution = Some(meta.path.span());
                    let s = string(cx, &expr, key, example);
                    match s.as_ref().map(LitStr::value).as_deref() {
                        Some("express") => attrs.express_children = Some(expr.span()),
                        Some("standard") | None => {}
                        Some(other) => cx.error_spanned_by(
                            &expr,
                            format!(
                                "`execution` is `\"standard\"` or `\"express\"` (the children's workflow type), \
                                 not `\"{other}\"`, e.g. `{example}`"
                            ),
                        ),
                    }
                }
                _ => attrs.label = map_label(cx, &expr),
            }
            Ok(())
        });
        // `ExecutionType` and `Label` belong to a Distributed Map only (a misspelt
        // `distributed` was reported already).
        if attrs.distributed.is_none() && keys.all_known {
            for (span, key) in [(execution, EXECUTION), (attrs.label.as_ref().map(|l| l.span), LABEL)] {
                if let Some(span) = span {
                    cx.error_at(
                        span,
                        format!(
                            "`{key}` is an option of a distributed map (its items are child executions); \
                             add `distributed`, e.g. `#[map(distributed, {key} = ..)]`"
                        ),
                    );
                }
            }
        }
        attrs
    }
}

/// A Distributed Map's `Label`: 1 to 40 characters, no whitespace, none of those Step
/// Functions forbids (it is part of the Map Run's ARN).
fn map_label(cx: &Ctxt, expr: &Expr) -> Option<Spanned<String>> {
    let s = string(cx, expr, LABEL, "label = \"PackItems\"")?;
    let value = s.value();
    let bad = |c: char| c.is_whitespace() || c.is_control() || MAP_LABEL_FORBIDDEN.contains(c);
    if value.is_empty() || value.chars().count() > MAX_MAP_LABEL || value.chars().any(bad) {
        cx.error_spanned_by(
            &s,
            format!(
                "a map `label` is 1 to {MAX_MAP_LABEL} characters without whitespace or any of \
                 {MAP_LABEL_FORBIDDEN} (Step Functions puts it in ARNs), e.g. `label = \"PackItems\"`"
            ),
        );
        return None;
    }
    Some(Spanned { value, span: s.span() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("1h30m"), Ok(5400));
        assert_eq!(parse_duration("2d"), Ok(172_800));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("500ms").is_err());
        assert!(parse_duration("1.5h").is_err());
        assert!(parse_duration("30m1h").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
        assert_eq!(format_seconds(5400), "\"1h30m\"");
        assert_eq!(format_seconds(900), "\"15m\"");
    }

    #[test]
    fn suggestions_catch_typos_only() {
        assert_eq!(suggest("max_attempt", &["max_attempts", "interval"]), Some("max_attempts"));
        assert_eq!(suggest("retries", &["name", "retry", "timeout"]), Some("retry"));
        assert_eq!(suggest("colour", &["name", "retry", "timeout"]), None);
    }

    #[test]
    fn retry_errors_are_variants_names_or_other_names() {
        let cx = Ctxt::new();
        let attrs =
            ActivityAttrs::from_syn(&cx, quote::quote!(retry(errors = [GatewayDown, "Busy", other = "Vendor.Down"])));
        cx.check().unwrap();
        let kinds: Vec<&str> = attrs.retry[0]
            .errors
            .iter()
            .map(|e| match e {
                ErrorRef::Variant(_) => "variant",
                ErrorRef::Name(_) => "name",
                ErrorRef::Other(_) => "other",
            })
            .collect();
        assert_eq!(kinds, ["variant", "name", "other"]);
        for (wrong, expected) in [
            (quote::quote!(retry(errors = [other = Busy])), "`other` names an error by its string"),
            (quote::quote!(retry(errors = [other = "States.Nope"])), "is not a Step Functions error"),
            (quote::quote!(retry(error = [Busy])), "unknown `retry` option `error`"),
        ] {
            let cx = Ctxt::new();
            ActivityAttrs::from_syn(&cx, wrong.clone());
            let errors: Vec<String> = cx.check().unwrap_err().into_iter().map(|e| e.to_string()).collect();
            // A misspelt `errors` is one error: the rule is not also said to need `errors`.
            assert_eq!(errors.len(), 1, "{wrong}: {errors:?}");
            assert!(errors[0].contains(expected), "{wrong}: {errors:?}");
        }
    }

    #[test]
    fn activity_attributes_are_read() {
        let cx = Ctxt::new();
        let attrs = ActivityAttrs::from_syn(
            &cx,
            quote::quote!(
                retry(
                    errors = [GatewayDown, "Lambda.ServiceException"],
                    interval = "2s",
                    max_attempts = 3,
                    backoff_rate = 2.0,
                    max_delay = "1m",
                    jitter = "full"
                ),
                timeout = "30s",
                heartbeat = "10s"
            ),
        );
        cx.check().unwrap();
        let rule = &attrs.retry[0];
        assert_eq!(rule.errors.len(), 2);
        assert_eq!(
            (rule.interval, rule.max_attempts, rule.max_delay, rule.jitter),
            (Some(2), Some(3), Some(60), Some(true))
        );
        assert_eq!(rule.backoff_rate, Some(2.0));
        assert_eq!(attrs.timeout.unwrap().value, 30);
        assert_eq!(attrs.heartbeat.unwrap().value, 10);
    }

    #[test]
    fn handler_triggers_are_read_with_their_defaults() {
        let cx = Ctxt::new();
        let attrs = HandlerAttrs::from_syn(&cx, quote::quote!(sqs, memory = 512, timeout = "30s"));
        let HandlerKind::Sqs(sqs) = &attrs.kind else { panic!("an sqs handler") };
        assert_eq!((sqs.batch_size, sqs.window, sqs.fifo, sqs.max_receive), (10, None, false, 5));
        assert_eq!((attrs.memory, attrs.timeout), (Some(512), Some(30)));
        let attrs = HandlerAttrs::from_syn(&cx, quote::quote!(sqs(batch_size = 100, window = "5s", max_receive = 3)));
        let HandlerKind::Sqs(sqs) = &attrs.kind else { panic!("an sqs handler") };
        assert_eq!((sqs.batch_size, sqs.window, sqs.max_receive), (100, Some(5), 3));
        let attrs = HandlerAttrs::from_syn(&cx, quote::quote!(s3(suffix = ".csv")));
        let HandlerKind::S3(s3) = &attrs.kind else { panic!("an s3 handler") };
        assert_eq!(
            (s3.events.as_slice(), s3.suffix.as_deref()),
            (&["s3:ObjectCreated:*".to_owned()][..], Some(".csv"))
        );
        let attrs = HandlerAttrs::from_syn(&cx, quote::quote!(http(url, cors)));
        assert!(matches!(attrs.kind, HandlerKind::Http { url: true, cors: Some(_) }));
        let attrs = HandlerAttrs::from_syn(&cx, quote::quote!(eventbridge(detail_type = ["OrderShipped"])));
        let HandlerKind::EventBridge(rule) = &attrs.kind else { panic!("an eventbridge handler") };
        assert!(rule.source.is_empty() && rule.detail_type == ["OrderShipped"]);
        cx.check().unwrap();
    }

    #[test]
    fn lambda_and_step_functions_limits_are_checked() {
        let errors = |attrs: TokenStream| {
            let cx = Ctxt::new();
            HandlerAttrs::from_syn(&cx, attrs);
            cx.check().err().map(|e| e.into_iter().count()).unwrap_or(0)
        };
        assert_eq!(errors(quote::quote!(memory = 127)), 1);
        assert_eq!(errors(quote::quote!(memory = 10240, timeout = "15m")), 0);
        assert_eq!(errors(quote::quote!(timeout = "15m1s")), 1);
        assert_eq!(errors(quote::quote!(sqs(batch_size = 11))), 1);
        assert_eq!(errors(quote::quote!(sqs(batch_size = 11, window = "1s"))), 0);
        assert_eq!(errors(quote::quote!(sqs(batch_size = 10001, window = "1s"))), 1);
        assert_eq!(errors(quote::quote!(sqs(fifo, batch_size = 11, window = "1s"))), 2);
        assert_eq!(errors(quote::quote!(sqs(window = "301s"))), 1);
        assert_eq!(errors(quote::quote!(sqs(max_receive = 0))), 1);
        assert_eq!(errors(quote::quote!(s3(events = ["s3:ObjectRemoved:*", "s3:Object:Created"]))), 1);
        assert_eq!(errors(quote::quote!(eventbridge(source = []))), 2);
        assert_eq!(errors(quote::quote!(http, sqs)), 1);
        let cx = Ctxt::new();
        let attrs = WorkflowAttrs::from_syn(&cx, quote::quote!(express, timeout = "5m"));
        assert!(attrs.express.is_some());
        WorkflowAttrs::from_syn(&cx, quote::quote!(timeout = "6m", express));
        assert_eq!(cx.check().unwrap_err().into_iter().count(), 1);
    }

    #[test]
    fn every_mistake_is_reported_at_once() {
        let cx = Ctxt::new();
        ActivityAttrs::from_syn(
            &cx,
            quote::quote!(retires = 3, timeout = "2h", timeout = "5s", retry(max_attempts = -1)),
        );
        let message = cx.check().unwrap_err().into_iter().map(|e| e.to_string()).collect::<Vec<_>>();
        assert_eq!(message.len(), 5, "{message:#?}");
    }
}
