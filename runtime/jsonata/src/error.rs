//! The error type shared by the parser and the evaluator.
//!
//! Every error carries the jsonata-js error code (`S0201`, `T2001`, `D3001`, …) and
//! renders jsonata-js's message text for that code, with the same inserts
//! (`{{token}}`, `{{value}}`, …) filled in the same way, so that a caller can
//! reproduce the causes AWS Step Functions reports for `States.QueryEvaluationError`.
//!
//! Codes that jsonata-js does not define are used for conditions it reports
//! differently or not at all:
//!
//! | code | meaning |
//! | --- | --- |
//! | `U1001` | recursion depth or evaluation budget exceeded (the code jsonata-js's own test harness uses) |
//! | `X1001` | a feature this implementation does not support (named in the message) |
//! | `X1002` | the result holds a function, which has no JSON representation |
//! | `X1003` | a string or array would exceed this implementation's size limits (64 MiB strings, 16 Mi items) |
//! | `X2001` | a Step Functions function (`$partition`, `$range`, `$hash`, `$parse`, …) was given an invalid argument |

use std::fmt;

/// A parse or evaluation error, with the jsonata-js error code and message.
#[derive(Clone, PartialEq)]
pub struct Error(Box<ErrorData>);

#[derive(Clone, PartialEq)]
struct ErrorData {
    code: &'static str,
    position: Option<usize>,
    token: Option<String>,
    /// `token` is already rendered as JSON (a number, `true`, `null` literal token).
    token_is_json: bool,
    value: Option<String>,
    value2: Option<String>,
    extra: Option<String>,
    index: Option<usize>,
    /// Raised by the native stack guard (the evaluation may succeed with more stack).
    stack_exhausted: bool,
}

impl Error {
    pub(crate) fn new(code: &'static str) -> Self {
        Error(Box::new(ErrorData {
            code,
            position: None,
            token: None,
            token_is_json: false,
            value: None,
            value2: None,
            extra: None,
            index: None,
            stack_exhausted: false,
        }))
    }

    pub(crate) fn at(code: &'static str, position: usize) -> Self {
        Error::new(code).with_position(position)
    }

    pub(crate) fn with_position(mut self, position: usize) -> Self {
        self.0.position = Some(position);
        self
    }

    pub(crate) fn with_token(mut self, token: impl Into<String>) -> Self {
        self.0.token = Some(token.into());
        self
    }

    pub(crate) fn with_json_token(mut self, token: impl Into<String>) -> Self {
        self.0.token = Some(token.into());
        self.0.token_is_json = true;
        self
    }

    /// `value` must already be rendered as `JSON.stringify` would render it.
    pub(crate) fn with_value(mut self, value: impl Into<String>) -> Self {
        self.0.value = Some(value.into());
        self
    }

    pub(crate) fn with_value2(mut self, value: impl Into<String>) -> Self {
        self.0.value2 = Some(value.into());
        self
    }

    /// The free-text insert of `D3137`/`D3141` (`{{{message}}}`), `D3061`
    /// (`{{exp}}`), `D3140` (`{{{functionName}}}`), `T0412` (`{{type}}`) and `X…` codes.
    pub(crate) fn with_extra(mut self, extra: impl Into<String>) -> Self {
        self.0.extra = Some(extra.into());
        self
    }

    pub(crate) fn with_index(mut self, index: usize) -> Self {
        self.0.index = Some(index);
        self
    }

    pub(crate) fn set_position(&mut self, position: usize) {
        self.0.position = Some(position);
    }

    pub(crate) fn set_token_if_none(&mut self, token: &str) {
        if self.0.token.is_none() {
            self.0.token = Some(token.to_string());
            self.0.token_is_json = false;
        }
    }

    pub(crate) fn set_token(&mut self, token: &str) {
        self.0.token = Some(token.to_string());
        self.0.token_is_json = false;
    }

    pub(crate) fn is_stack_exhausted(&self) -> bool {
        self.0.stack_exhausted
    }

    pub(crate) fn unsupported(what: impl Into<String>) -> Self {
        Error::new("X1001").with_extra(what)
    }

    /// The jsonata-js error code, e.g. `"T2001"`.
    pub fn code(&self) -> &str {
        self.0.code
    }

    /// The character offset in the expression that jsonata-js associates with the
    /// error (for most errors, just past the offending token), if any.
    pub fn position(&self) -> Option<usize> {
        self.0.position
    }

    /// The operator or function name involved, if any (jsonata-js's `token`).
    pub fn token(&self) -> Option<&str> {
        self.0.token.as_deref()
    }

    /// Whether this is a syntax error (found while parsing, code `S…`).
    pub fn is_syntax_error(&self) -> bool {
        self.0.code.starts_with('S')
    }

    /// The message text jsonata-js produces for this error.
    pub fn message(&self) -> String {
        let template = template(self.0.code);
        render(template, self)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("code", &self.0.code)
            .field("position", &self.0.position)
            .field("token", &self.0.token)
            .field("message", &self.message())
            .finish()
    }
}

impl std::error::Error for Error {}

/// Renders `{{name}}` (JSON-stringified insert) and `{{{name}}}` (raw insert).
fn render(template: &str, err: &Error) -> String {
    let json_str = |s: &Option<String>| -> String {
        match s {
            Some(s) => crate::value::js_quote(s),
            None => "undefined".to_string(),
        }
    };
    let raw = |s: &Option<String>| -> String { s.clone().unwrap_or_else(|| "undefined".into()) };
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let triple = rest[start..].starts_with("{{{");
        let open = if triple { 3 } else { 2 };
        let after = &rest[start + open..];
        let close = if triple { "}}}" } else { "}}" };
        let Some(end) = after.find(close) else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = &after[..end];
        let text = match (name, triple) {
            ("token", false) if err.0.token_is_json => raw(&err.0.token),
            ("token", false) => json_str(&err.0.token),
            ("token", true) => raw(&err.0.token),
            ("value", false) => err.0.value.clone().unwrap_or_else(|| "undefined".into()),
            ("value", true) => raw(&err.0.value),
            ("value2", _) => err.0.value2.clone().unwrap_or_else(|| "undefined".into()),
            ("index", _) => err.0.index.map(|i| i.to_string()).unwrap_or_else(|| "undefined".into()),
            ("type", _) => json_str(&err.0.extra),
            ("exp", _) => err.0.extra.clone().unwrap_or_else(|| "undefined".into()),
            ("message", _) | ("functionName", _) | ("what", _) => raw(&err.0.extra),
            _ => String::new(),
        };
        out.push_str(&text);
        rest = &after[end + close.len()..];
    }
    out.push_str(rest);
    out
}

fn template(code: &str) -> &'static str {
    match code {
        "S0101" => "String literal must be terminated by a matching quote",
        "S0102" => "Number out of range: {{token}}",
        "S0103" => "Unsupported escape sequence: \\{{token}}",
        "S0104" => "The escape sequence \\u must be followed by 4 hex digits",
        "S0105" => "Quoted property name must be terminated with a backquote (`)",
        "S0106" => "Comment has no closing tag",
        "S0201" => "Syntax error: {{token}}",
        "S0202" => "Expected {{value}}, got {{token}}",
        "S0203" => "Expected {{value}} before end of expression",
        "S0204" => "Unknown operator: {{token}}",
        "S0205" => "Unexpected token: {{token}}",
        "S0206" => "Unknown expression type: {{token}}",
        "S0207" => "Unexpected end of expression",
        "S0208" => "Parameter {{value}} of function definition must be a variable name (start with $)",
        "S0209" => "A predicate cannot follow a grouping expression in a step",
        "S0210" => "Each step can only have one grouping expression",
        "S0211" => "The symbol {{token}} cannot be used as a unary operator",
        "S0212" => "The left side of := must be a variable name (start with $)",
        "S0213" => "The literal value {{value}} cannot be used as a step within a path expression",
        "S0214" => "The right side of {{token}} must be a variable name (start with $)",
        "S0215" => "A context variable binding must precede any predicates on a step",
        "S0216" => "A context variable binding must precede the 'order-by' clause on a step",
        "S0217" => "The object representing the 'parent' cannot be derived from this expression",
        "S0301" => "Empty regular expressions are not allowed",
        "S0302" => "No terminating / in regular expression",
        "S0402" => "Choice groups containing parameterized types are not supported",
        "S0401" => "Type parameters can only be applied to functions and arrays",
        "S0500" => "Attempted to evaluate an expression containing syntax error(s)",
        "T0410" => "Argument {{index}} of function {{token}} does not match function signature",
        "T0411" => "Context value is not a compatible type with argument {{index}} of function {{token}}",
        "T0412" => "Argument {{index}} of function {{token}} must be an array of {{type}}",
        "D1001" => "Number out of range: {{value}}",
        "D1002" => "Cannot negate a non-numeric value: {{value}}",
        "T1003" => "Key in object structure must evaluate to a string; got: {{value}}",
        "D1004" => "Regular expression matches zero length string",
        "T1005" => "Attempted to invoke a non-function. Did you mean ${{{token}}}?",
        "T1006" => "Attempted to invoke a non-function",
        "T1007" => "Attempted to partially apply a non-function. Did you mean ${{{token}}}?",
        "T1008" => "Attempted to partially apply a non-function",
        "D1009" => "Multiple key definitions evaluate to same key: {{value}}",
        "D1010" => "Attempted to access the Javascript object prototype",
        "T1010" => {
            "The matcher function argument passed to function {{token}} does not return the correct object structure"
        }
        "T2001" => "The left side of the {{token}} operator must evaluate to a number",
        "T2002" => "The right side of the {{token}} operator must evaluate to a number",
        "T2003" => "The left side of the range operator (..) must evaluate to an integer",
        "T2004" => "The right side of the range operator (..) must evaluate to an integer",
        "D2005" => "The left side of := must be a variable name (start with $)",
        "T2006" => "The right side of the function application operator ~> must be a function",
        "T2007" => "Type mismatch when comparing values {{value}} and {{value2}} in order-by clause",
        "T2008" => "The expressions within an order-by clause must evaluate to numeric or string values",
        "T2009" => {
            "The values {{value}} and {{value2}} either side of operator {{token}} must be of the same data type"
        }
        "T2010" => "The expressions either side of operator {{token}} must evaluate to numeric or string values",
        "T2011" => "The insert/update clause of the transform expression must evaluate to an object: {{value}}",
        "T2012" => {
            "The delete clause of the transform expression must evaluate to a string or array of strings: {{value}}"
        }
        "T2013" => {
            "The transform expression clones the input object using the $clone() function.  This has been overridden in the current scope by a non-function."
        }
        "D2014" => {
            "The size of the sequence allocated by the range operator (..) must not exceed 1e6.  Attempted to allocate {{value}}."
        }
        "D3001" => "Attempting to invoke string function on Infinity or NaN",
        "D3010" => "Second argument of replace function cannot be an empty string",
        "D3011" => "Fourth argument of replace function must evaluate to a positive number",
        "D3012" => "Attempted to replace a matched string with a non-string value",
        "D3020" => "Third argument of split function must evaluate to a positive number",
        "D3030" => "Unable to cast value to a number: {{value}}",
        "D3040" => "Third argument of match function must evaluate to a positive number",
        "D3050" => "The second argument of reduce function must be a function with at least two arguments",
        "D3060" => "The sqrt function cannot be applied to a negative number: {{value}}",
        "D3061" => {
            "The power function has resulted in a value that cannot be represented as a JSON number: base={{value}}, exponent={{exp}}"
        }
        "D3070" => {
            "The single argument form of the sort function can only be applied to an array of strings or an array of numbers.  Use the second argument to specify a comparison function"
        }
        "D3080" => "The picture string must only contain a maximum of two sub-pictures",
        "D3081" => "The sub-picture must not contain more than one instance of the 'decimal-separator' character",
        "D3082" => "The sub-picture must not contain more than one instance of the 'percent' character",
        "D3083" => "The sub-picture must not contain more than one instance of the 'per-mille' character",
        "D3084" => "The sub-picture must not contain both a 'percent' and a 'per-mille' character",
        "D3085" => {
            "The mantissa part of a sub-picture must contain at least one character that is either an 'optional digit character' or a member of the 'decimal digit family'"
        }
        "D3086" => {
            "The sub-picture must not contain a passive character that is preceded by an active character and that is followed by another active character"
        }
        "D3087" => {
            "The sub-picture must not contain a 'grouping-separator' character that appears adjacent to a 'decimal-separator' character"
        }
        "D3088" => "The sub-picture must not contain a 'grouping-separator' at the end of the integer part",
        "D3089" => "The sub-picture must not contain two adjacent instances of the 'grouping-separator' character",
        "D3090" => {
            "The integer part of the sub-picture must not contain a member of the 'decimal digit family' that is followed by an instance of the 'optional digit character'"
        }
        "D3091" => {
            "The fractional part of the sub-picture must not contain an instance of the 'optional digit character' that is followed by a member of the 'decimal digit family'"
        }
        "D3092" => {
            "A sub-picture that contains a 'percent' or 'per-mille' character must not contain a character treated as an 'exponent-separator'"
        }
        "D3093" => {
            "The exponent part of the sub-picture must comprise only of one or more characters that are members of the 'decimal digit family'"
        }
        "D3100" => "The radix of the formatBase function must be between 2 and 36.  It was given {{value}}",
        "D3110" => "The argument of the toMillis function must be an ISO 8601 formatted timestamp. Given {{value}}",
        "D3120" => "Syntax error in expression passed to function eval: {{value}}",
        "D3121" => "Dynamic error evaluating the expression passed to function eval: {{value}}",
        "D3130" => {
            "Formatting or parsing an integer as a sequence starting with {{value}} is not supported by this implementation"
        }
        "D3131" => "In a decimal digit pattern, all digits must be from the same decimal group",
        "D3132" => "Unknown component specifier {{value}} in date/time picture string",
        "D3133" => {
            "The 'name' modifier can only be applied to months and days in the date/time picture string, not {{value}}"
        }
        "D3134" => "The timezone integer format specifier cannot have more than four digits",
        "D3135" => "No matching closing bracket ']' in date/time picture string",
        "D3136" => "The date/time picture string is missing specifiers required to parse the timestamp",
        "D3137" => "{{{message}}}",
        "D3138" => "The $single() function expected exactly 1 matching result.  Instead it matched more.",
        "D3139" => "The $single() function expected exactly 1 matching result.  Instead it matched 0.",
        "D3140" => "Malformed URL passed to ${{{functionName}}}(): {{value}}",
        "D3141" => "{{{message}}}",
        "U1001" => "{{{message}}}",
        "X1001" => "Not supported by this JSONata implementation: {{{what}}}",
        "X1002" => "The expression returned a function, which has no JSON representation{{{message}}}",
        "X1003" => "{{{message}}}",
        "X2001" => "{{{message}}}",
        _ => "Unknown error",
    }
}

/// The native stack budget ran out.
pub(crate) fn stack_exhausted() -> Error {
    let mut e = stack_overflow();
    e.0.stack_exhausted = true;
    e
}

pub(crate) fn stack_overflow() -> Error {
    Error::new("U1001").with_extra(
        "Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive.",
    )
}

/// Longest string an evaluation may build, in bytes.
pub(crate) const MAX_STRING_BYTES: usize = 64 << 20;
/// Largest array an evaluation may build by appending.
pub(crate) const MAX_ARRAY_ITEMS: usize = 16 << 20;

/// Checks the size of a string about to be built.
pub(crate) fn check_string_len(bytes: usize) -> Result<()> {
    if bytes > MAX_STRING_BYTES {
        return Err(Error::new("X1003").with_extra(format!("The string would be longer than {MAX_STRING_BYTES} bytes")));
    }
    Ok(())
}

/// Checks the size of an array about to be built.
pub(crate) fn check_array_len(items: usize) -> Result<()> {
    if items > MAX_ARRAY_ITEMS {
        return Err(Error::new("X1003").with_extra(format!("The array would have more than {MAX_ARRAY_ITEMS} items")));
    }
    Ok(())
}

/// Values nested deeper than this cannot be serialised, compared or copied.
pub(crate) const MAX_NESTING: usize = 512;

pub(crate) fn too_deep() -> Error {
    Error::new("U1001")
        .with_extra(format!("Stack overflow error: the value is nested more than {MAX_NESTING} levels deep"))
}

pub(crate) fn timeout() -> Error {
    Error::new("U1001").with_extra("Expression evaluation timeout: Check for infinite loop")
}

pub(crate) fn sfn_arg(message: impl Into<String>) -> Error {
    Error::new("X2001").with_extra(message)
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Bounds native stack use: remembers the stack address where an evaluation
/// (or a parse) started and reports when the current frame is more than
/// `limit` bytes away from it. Taking the address of a local is safe code and
/// measures real stack use, whatever the build profile's frame sizes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StackGuard {
    base: usize,
    limit: usize,
}

impl StackGuard {
    #[inline(never)]
    pub(crate) fn new(limit: usize) -> Self {
        let marker = 0u8;
        StackGuard { base: std::ptr::addr_of!(marker) as usize, limit }
    }

    #[inline(always)]
    pub(crate) fn exceeded(&self) -> bool {
        let marker = 0u8;
        let here = std::ptr::addr_of!(marker) as usize;
        here.abs_diff(self.base) > self.limit
    }
}
