//! Parse stage, rule tables: what a workflow body may not do, as data — the calls that are not
//! deterministic, the names JSONata reserves, the number types a cast may name. The parser
//! rooms ask these tables; nothing here walks `syn` trees.

/// The functions of the JSONata engine Step Functions runs (`$name`), as the executor's engine
/// lists them in `stepcraft_jsonata::BUILTIN_FUNCTIONS`: a workflow variable of the same name
/// would hide the function. This crate cannot depend on the engine, so this is a copy;
/// `tests/tests/one_home.rs` asserts that the two agree.
pub const JSONATA_FUNCTIONS: &[&str] = &[
    "sum",
    "count",
    "max",
    "min",
    "average",
    "string",
    "substring",
    "substringBefore",
    "substringAfter",
    "lowercase",
    "uppercase",
    "length",
    "trim",
    "pad",
    "match",
    "contains",
    "replace",
    "split",
    "join",
    "formatNumber",
    "formatBase",
    "formatInteger",
    "parseInteger",
    "number",
    "floor",
    "ceil",
    "round",
    "abs",
    "sqrt",
    "power",
    "random",
    "boolean",
    "not",
    "map",
    "zip",
    "filter",
    "single",
    "reduce",
    "sift",
    "keys",
    "lookup",
    "append",
    "exists",
    "spread",
    "merge",
    "reverse",
    "each",
    "error",
    "assert",
    "type",
    "sort",
    "shuffle",
    "distinct",
    "encodeUrlComponent",
    "encodeUrl",
    "decodeUrlComponent",
    "decodeUrl",
    "base64encode",
    "base64decode",
    "eval",
    "toMillis",
    "fromMillis",
    "clone",
    "now",
    "millis",
    "partition",
    "range",
    "hash",
    "uuid",
    "parse",
];

/// Names a workflow variable must not take besides the functions: `$states` is Step Functions'
/// reserved variable; `q` has been kept from the first version of this table.
pub const RESERVED_NAMES: &[&str] = &["states", "q"];

/// Whether a workflow variable may not be named `name` in the state machine.
pub fn is_reserved(name: &str) -> bool {
    RESERVED_NAMES.contains(&name) || JSONATA_FUNCTIONS.contains(&name)
}

/// Functions and macros a workflow must not call, by what they do.
pub(super) fn nondeterministic(path: &str) -> Option<&'static str> {
    let last_two: Vec<&str> = path.rsplit("::").take(2).collect();
    let key = match last_two.as_slice() {
        [last, before] => format!("{before}::{last}"),
        [last] => (*last).to_owned(),
        _ => return None,
    };
    let what = match key.as_str() {
        "SystemTime::now"
        | "Instant::now"
        | "Utc::now"
        | "Local::now"
        | "OffsetDateTime::now_utc"
        | "Timestamp::now"
        | "Zoned::now" => "clock",
        "rand::random" | "rand::thread_rng" | "rand::rng" | "thread_rng" | "random" | "Uuid::new_v4"
        | "Uuid::now_v7" | "OsRng::default" => "random",
        "env::var" | "env::vars" | "env::var_os" | "env::args" | "env::current_dir" => "env",
        "tokio::spawn" | "task::spawn" | "thread::spawn" | "task::spawn_blocking" | "tokio::spawn_blocking" => "spawn",
        _ if key.starts_with("fs::")
            || key.starts_with("File::")
            || key.starts_with("TcpStream::")
            || key.starts_with("reqwest::")
            || key.starts_with("UdpSocket::")
            || key.starts_with("Command::") =>
        {
            "io"
        }
        _ => return None,
    };
    Some(what)
}

pub(super) fn nondeterminism_message(path: &str, what: &str) -> String {
    match what {
        "clock" => format!(
            "`{path}` reads the clock, and a workflow must be deterministic: a state machine cannot read it; \
             read the time in an activity, or pass it in the workflow's input"
        ),
        "random" => format!(
            "`{path}` is random, and a workflow must be deterministic; generate the value in an activity and use its result"
        ),
        "env" => format!(
            "`{path}` reads the environment of a process, and a state machine has none; \
             pass the value in the workflow's input or read it in an activity"
        ),
        "spawn" => format!(
            "`{path}` starts work the state machine cannot see; run work concurrently with \
             `try_join!(a(x), b(y))?` (a Parallel state), or spawn it inside an activity"
        ),
        _ => format!("`{path}` does I/O, which only activities can do; move it into an `#[activity]` and call that"),
    }
}

/// What a constructor of a plain value (`String::new()`, `u64::default()`) builds, by the last
/// two segments of its path.
pub(super) enum Plain {
    /// `""`
    EmptyString,
    /// `[]`
    EmptyArray,
    /// `0` of the number type named.
    Zero(&'static str),
    /// `false`
    False,
    /// `None`
    None,
    /// Refused, with the reason and what to write instead.
    Refused(String),
}

pub(super) fn plain_constructor(path: &str) -> Option<Plain> {
    let segments: Vec<&str> = path.rsplit("::").take(2).collect();
    let [function, ty] = segments.as_slice() else { return None };
    let plain = match (*ty, *function) {
        ("String", "new" | "default") => Plain::EmptyString,
        ("Vec", "new" | "default" | "with_capacity") => Plain::EmptyArray,
        ("bool", "default") => Plain::False,
        ("Option", "default") => Plain::None,
        (number, "default") if NUMBER_TYPES.contains(&number) => {
            Plain::Zero(NUMBER_TYPES.iter().find(|n| **n == number).expect("listed"))
        }
        ("HashMap" | "BTreeMap" | "HashSet" | "BTreeSet" | "IndexMap" | "VecDeque", "new" | "default") => {
            Plain::Refused(format!(
                "`{ty}::{function}()` cannot be built in a state machine: a workflow builds vectors (`Vec::new()`, \
                 `vec![..]`) and structs; build the collection in an activity"
            ))
        }
        ("Default", "default") => Plain::Refused(
            "`Default::default()` cannot be expressed here: the compiler of the state machine does not see which \
             type it builds; write the value itself (`0`, `false`, `String::new()`, `Vec::new()`, `None`, a struct \
             literal), or bind it with its type first (`let count: u64 = Default::default();`)"
                .to_owned(),
        ),
        (ty, "default") if ty.starts_with(char::is_uppercase) => Plain::Refused(format!(
            "`{ty}::default()` cannot be expressed: the state machine does not run `{ty}`'s `Default`; write the \
             value with every field (`{ty} {{ .. }}`), or build it in an activity"
        )),
        _ => return None,
    };
    Some(plain)
}

/// Why a workflow computes no `f32`: JSON numbers are doubles, and JSONata cannot round to
/// single precision as Rust does after every operation.
pub(super) const F32_MESSAGE: &str =
    "a state machine computes with `f64` only (JSON numbers are doubles, and JSONata cannot round to `f32`); use `f64`";

/// The refusal of a fallible number conversion: its error would have to be a workflow error.
pub(super) fn try_from_message(call: &str) -> String {
    format!(
        "`{call}` cannot be expressed: its error is not an error of this workflow; test the range with `if` \
         and convert with `as` (`if n <= 255 {{ let small = n as u8; … }}`), or convert in an activity"
    )
}

/// The number types a cast or a conversion may name.
const NUMBER_TYPES: &[&str] =
    &["u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32", "f64"];

pub(super) fn is_number_type(ident: &syn::Ident) -> bool {
    NUMBER_TYPES.contains(&ident.to_string().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_classified_by_their_last_two_segments() {
        assert_eq!(nondeterministic("std::time::SystemTime::now"), Some("clock"));
        assert_eq!(nondeterministic("rand::random"), Some("random"));
        assert_eq!(nondeterministic("std::fs::read"), Some("io"));
        assert_eq!(nondeterministic("charge"), None);
        assert!(nondeterminism_message("tokio::spawn", "spawn").contains("try_join!"));
    }

    #[test]
    fn functions_and_states_are_reserved() {
        assert!(is_reserved("states"));
        assert!(is_reserved("map"));
        assert!(is_reserved("formatNumber"));
        assert!(!is_reserved("order"));
    }
}
