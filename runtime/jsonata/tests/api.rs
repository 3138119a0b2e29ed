//! The public API and the Step Functions additions: templates, environments,
//! the host (clock and randomness), limits, errors, and the functions Step
//! Functions adds — including results recorded on real AWS
//! (`shared/conformance/aws-recorded`).

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};
use stepcraft_jsonata::{Env, Expression, Host, is_jsonata_template};

fn eval(src: &str, env: &Env<'_>) -> stepcraft_jsonata::Result<Option<Value>> {
    Expression::parse(src)?.evaluate_opt(None, env)
}

fn sfn(src: &str) -> stepcraft_jsonata::Result<Option<Value>> {
    eval(src, &Env::step_functions())
}

/// A deterministic host: a fixed clock and a counter-based generator.
struct FixedHost {
    now: i64,
    counter: AtomicU64,
}

impl Host for FixedHost {
    fn now_millis(&self) -> i64 {
        self.now
    }
    fn random(&self) -> f64 {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        (n % 10) as f64 / 10.0
    }
}

#[test]
fn templates() {
    assert_eq!(is_jsonata_template("{% $x %}"), Some(" $x "));
    assert_eq!(is_jsonata_template("{%$x%}"), Some("$x"));
    assert_eq!(is_jsonata_template("{% 1 %} "), None);
    assert_eq!(is_jsonata_template(" {% 1 %}"), None);
    assert_eq!(is_jsonata_template("{%}"), None);
    assert_eq!(is_jsonata_template("$states.input"), None);
}

#[test]
fn undefined_is_not_null() {
    let env = Env::new();
    let e = Expression::parse("a").unwrap();
    assert_eq!(e.evaluate(&json!({"a": null}), &env).unwrap(), Some(Value::Null));
    assert_eq!(e.evaluate(&json!({}), &env).unwrap(), None);
    assert_eq!(e.evaluate_opt(None, &env).unwrap(), None);
}

#[test]
fn bindings_and_states() {
    let states = json!({"input": {"a": [1, 2, 3]}, "context": {"Map": {"Item": {"Index": 4}}}});
    let x = json!({"b": "B"});
    let env = Env::step_functions().bind("states", &states).bind("x", &x);
    let e =
        Expression::parse(r#"{"a": $x.b, "c": $sum($states.input.a), "i": $states.context.Map.Item.Index}"#).unwrap();
    assert_eq!(e.evaluate_opt(None, &env).unwrap(), Some(json!({"a": "B", "c": 6, "i": 4})));
    // a later binding replaces an earlier one
    let y = json!(2);
    let env = env.bind("x", &y);
    assert_eq!(eval("$x * 2", &env).unwrap(), Some(json!(4)));
    // user bindings shadow built-ins, block variables shadow user bindings
    let s = json!("mine");
    let env = Env::new().bind("string", &s);
    assert_eq!(eval("$string", &env).unwrap(), Some(json!("mine")));
    assert_eq!(eval("($string := 1; $string)", &env).unwrap(), Some(json!(1)));
}

#[test]
fn expression_is_reusable_across_threads() {
    let e = std::sync::Arc::new(Expression::parse("$n * 2").unwrap());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let e = e.clone();
            std::thread::spawn(move || {
                let n = json!(i);
                let env = Env::new().bind("n", &n);
                e.evaluate_opt(None, &env).unwrap()
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(results, vec![Some(json!(0)), Some(json!(2)), Some(json!(4)), Some(json!(6))]);
}

#[test]
fn clock_and_randomness_come_from_the_host() {
    let host = FixedHost { now: 1_700_000_000_123, counter: AtomicU64::new(3) };
    let env = Env::step_functions().with_host(&host);
    assert_eq!(eval("$millis()", &env).unwrap(), Some(json!(1_700_000_000_123_i64)));
    assert_eq!(eval("$now()", &env).unwrap(), Some(json!("2023-11-14T22:13:20.123Z")));
    assert_eq!(eval("$now('[Y0001]-[M01]-[D01]')", &env).unwrap(), Some(json!("2023-11-14")));
    assert_eq!(
        eval("[$millis(), $millis()]", &env).unwrap(),
        Some(json!([1_700_000_000_123_i64, 1_700_000_000_123_i64]))
    );
    assert_eq!(eval("$random()", &env).unwrap(), Some(json!(0.3)));
    // $shuffle draws from the host too, and keeps the items
    let shuffled = eval("$shuffle([1, 2, 3, 4])", &env).unwrap().unwrap();
    let mut items: Vec<i64> = shuffled.as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    items.sort();
    assert_eq!(items, vec![1, 2, 3, 4]);
    // $toMillis with a picture defaults missing leading parts from the clock
    assert_eq!(
        eval("$toMillis('10:30', '[H01]:[m01]') ~> $fromMillis()", &env).unwrap(),
        Some(json!("2023-11-14T10:30:00.000Z"))
    );
}

#[test]
fn step_functions_random_and_uuid() {
    let host = FixedHost { now: 0, counter: AtomicU64::new(0) };
    let env = Env::step_functions().with_host(&host);
    // a seed always gives the same number, in [0, 1)
    let a = eval("$random(42)", &env).unwrap().unwrap();
    assert_eq!(eval("$random(42)", &env).unwrap().unwrap(), a);
    let a = a.as_f64().unwrap();
    assert!((0.0..1.0).contains(&a));
    assert_eq!(a, stepcraft_jsonata::java_random_next_double(42));
    let uuid = eval("$uuid()", &env).unwrap().unwrap();
    let uuid = uuid.as_str().unwrap();
    assert_eq!(uuid.len(), 36);
    assert_eq!(&uuid[14..15], "4");
    assert!(matches!(&uuid[19..20], "8" | "9" | "a" | "b"));
    // plain JSONata has neither $uuid nor a seeded $random
    assert_eq!(eval("$uuid()", &Env::new()).unwrap_err().code(), "T1006");
    assert_eq!(eval("$random(1)", &Env::new()).unwrap_err().code(), "T0410");
}

/// Results of `$partition`, `$range` and `$parse` recorded on AWS
/// (`array_jsonata.*`, `json_manipulation_jsonata.parse.*`).
#[test]
fn step_functions_functions_match_aws_recordings() {
    for (fst, snd, out) in [
        (json!([0]), 1, json!([[0]])),
        (json!([0]), 2, json!([[0]])),
        (json!([0, 1]), 1, json!([[0], [1]])),
        (json!([0, 1, 2]), 2, json!([[0, 1], [2]])),
        (json!([0, 1, 2, 3]), 3, json!([[0, 1, 2], [3]])),
        (json!([0, 1, 2, 3]), 5, json!([[0, 1, 2, 3]])),
    ] {
        let input = json!({"FunctionInput": {"fst": fst, "snd": snd}});
        let states = json!({"input": input});
        let env = Env::step_functions().bind("states", &states);
        let got = eval("$partition($states.input.FunctionInput.fst, $states.input.FunctionInput.snd)", &env);
        assert_eq!(got.unwrap(), Some(out));
    }
    for (a, b, c, out) in [
        (0, 9, 3, json!([0, 3, 6, 9])),
        (0, 10, 3, json!([0, 3, 6, 9])),
        (1, 9, 9, json!(1)),
        (1, 9, 2, json!([1, 3, 5, 7, 9])),
    ] {
        assert_eq!(sfn(&format!("$range({a}, {b}, {c})")).unwrap(), Some(out));
    }
    for (s, out) in [
        ("-0", json!(0)),
        ("1", json!(1)),
        ("1.1", json!(1.1)),
        ("true", json!(true)),
        (r#""HelloWorld""#, json!("HelloWorld")),
        (r#"[1, 2, "HelloWorld"]"#, json!([1, 2, "HelloWorld"])),
        (r#"{"Arg1": 1, "Arg2": []}"#, json!({"Arg1": 1, "Arg2": []})),
    ] {
        let v = json!(s);
        let env = Env::step_functions().bind("s", &v);
        assert_eq!(eval("$parse($s)", &env).unwrap(), Some(out), "$parse({s})");
    }
}

#[test]
fn step_functions_functions() {
    assert_eq!(sfn("$range(0, 10, 2)").unwrap(), Some(json!([0, 2, 4, 6, 8, 10])));
    assert_eq!(sfn("$range(5, 1, -2)").unwrap(), Some(json!([5, 3, 1])));
    assert_eq!(sfn("$range(1, 5, -1)").unwrap(), None);
    assert_eq!(sfn("$range(0, 1, 0)").unwrap_err().code(), "X2001");
    assert_eq!(sfn("$partition([1,2,3,4,5,6,7,8,9], 3)").unwrap(), Some(json!([[1, 2, 3], [4, 5, 6], [7, 8, 9]])));
    assert_eq!(sfn("$partition([], 3)").unwrap(), Some(json!([])));
    assert_eq!(sfn("$partition([1], 0)").unwrap_err().code(), "X2001");
    assert_eq!(
        sfn("$hash('a', 'SHA-256')").unwrap(),
        Some(json!("ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"))
    );
    assert_eq!(sfn("$hash('abc', 'MD5')").unwrap(), Some(json!("900150983cd24fb0d6963f7d28e17f72")));
    assert_eq!(sfn("$hash('abc', 'SHA-1')").unwrap(), Some(json!("a9993e364706816aba3e25717850c26c9cd0d89d")));
    assert_eq!(sfn("$hash('abc', 'SHA-384')").unwrap().unwrap().as_str().unwrap().len(), 96);
    assert_eq!(sfn("$hash('abc', 'SHA-512')").unwrap().unwrap().as_str().unwrap().len(), 128);
    assert_eq!(sfn("$hash('abc', 'sha256')").unwrap_err().code(), "X2001");
    assert_eq!(sfn("$parse('{\"a\": [1, {\"b\": null}]}').a[1]").unwrap(), Some(json!({"b": null})));
    assert_eq!(sfn("$parse('{oops')").unwrap_err().code(), "X2001");
    // $eval is not available in Step Functions
    assert_eq!(sfn("$eval('1')").unwrap_err().code(), "T1006");
    assert_eq!(eval("$eval('1 + 1')", &Env::new()).unwrap(), Some(json!(2)));
    // the Step Functions functions are not part of plain JSONata
    assert_eq!(eval("$partition([1], 1)", &Env::new()).unwrap_err().code(), "T1006");
}

/// Expressions and outcomes taken from the AWS recordings.
#[test]
fn aws_recorded_expressions() {
    let states =
        json!({"input": {"value": 25, "type": "Public", "str_value": "string literal", "result": {"done": false}}});
    let env = Env::step_functions().bind("states", &states);
    assert_eq!(eval("$states.input.value >= 20 and $states.input.value < 30", &env).unwrap(), Some(json!(true)));
    assert_eq!(eval("$not($states.input.type = 'Private')", &env).unwrap(), Some(json!(true)));
    assert_eq!(eval("$not($states.input.result.done)", &env).unwrap(), Some(json!(true)));
    assert_eq!(eval("$states.input.str_value = \"string literal\"", &env).unwrap(), Some(json!(true)));
    assert_eq!(eval("$number('2')", &env).unwrap(), Some(json!(2)));
    assert_eq!(eval("$contains('hello$world', /^hello\\$/)", &env).unwrap(), Some(json!(true)));
    assert_eq!(eval("$contains('hello$world', /^hello\\ /)", &env).unwrap(), Some(json!(false)));
    assert_eq!(eval("[1, 'two', 3]", &env).unwrap(), Some(json!([1, "two", 3])));
    assert_eq!(eval("{'foo': 'bar'}", &env).unwrap(), Some(json!({"foo": "bar"})));
    assert_eq!(eval("[]", &env).unwrap(), Some(json!([])));
    assert_eq!(eval("$doesNotExist", &env).unwrap(), None);
    assert_eq!(eval("$variable := 1", &env).unwrap(), Some(json!(1)));
    // AWS: "returned an unsupported result type"
    let err = eval("$fn := function($x){$x}", &env).unwrap_err();
    assert_eq!(err.code(), "X1002");
    assert_eq!(eval("{'f': function(){1}}", &env).unwrap_err().code(), "X1002");
}

#[test]
fn errors_carry_code_position_token_and_message() {
    let err = Expression::parse("1 +").unwrap_err();
    assert_eq!(err.code(), "S0207");
    assert!(err.is_syntax_error());
    assert_eq!(err.message(), "Unexpected end of expression");
    let err = eval("1 + 'a'", &Env::new()).unwrap_err();
    assert_eq!((err.code(), err.token(), err.position()), ("T2002", Some("+"), Some(3)));
    assert_eq!(err.message(), "The right side of the \"+\" operator must evaluate to a number");
    assert_eq!(err.to_string(), err.message());
    let err = eval("$substring('a', 'b')", &Env::new()).unwrap_err();
    assert_eq!(err.message(), "Argument 2 of function \"substring\" does not match function signature");
    let err = eval("uppercase('x')", &Env::new()).unwrap_err();
    assert_eq!(err.message(), "Attempted to invoke a non-function. Did you mean $uppercase?");
    let err = eval("$string(1/0)", &Env::new()).unwrap_err();
    assert_eq!(err.code(), "D3001");
    let err = eval("1/0", &Env::new()).unwrap_err();
    assert_eq!((err.code(), err.message().as_str()), ("D1001", "Number out of range: null"));
    let err = eval("/a(?=b)/", &Env::new()).unwrap_err();
    assert_eq!(err.code(), "X1001");
    assert!(err.message().contains("lookahead"));
}

#[test]
fn recursion_is_bounded_without_panicking() {
    // deep but finite recursion works (jsonata-js manages thousands of levels)
    let e = Expression::parse("($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(3000))").unwrap();
    assert_eq!(e.evaluate_opt(None, &Env::new()).unwrap(), Some(json!(3000)));
    // infinite recursion is an error, not a crash
    let e = Expression::parse("($f := function($n){ $n + $f($n) }; $f(1))").unwrap();
    assert_eq!(e.evaluate_opt(None, &Env::new().with_max_depth(5000)).unwrap_err().code(), "U1001");
    // tail calls run in constant stack; a step budget stops infinite loops
    let e = Expression::parse("($f := function($n){ $f($n + 1) }; $f(0))").unwrap();
    let err = e.evaluate_opt(None, &Env::new().with_max_steps(100_000)).unwrap_err();
    assert_eq!(err.code(), "U1001");
    assert!(err.message().contains("timeout"));
    // deeply nested source is rejected, not a stack overflow
    let src = "(".repeat(5000) + "1" + &")".repeat(5000);
    assert_eq!(Expression::parse(&src).unwrap_err().code(), "U1001");
    // a deeply nested value built without recursion is reported, not a crash
    let e = Expression::parse("$reduce([1..100000], function($acc, $x){ {'a': $acc} }, {})").unwrap();
    assert_eq!(e.evaluate_opt(None, &Env::new()).unwrap_err().code(), "U1001");
}

#[test]
fn runaway_sizes_are_errors() {
    let env = Env::new();
    for src in [
        "$reduce([1..40], function($a, $b){ $a & $a }, 'x')",
        "$append([1..10000000], [1..10000000])",
        "$pad('x', 1e12)",
        "$formatInteger(1e300, 'I')",
    ] {
        let code = eval(src, &env).unwrap_err().code().to_string();
        assert!(code == "X1003" || code == "X1001", "{src}: {code}");
    }
}

#[test]
fn no_panic_on_odd_input() {
    let sources = [
        "",
        " ",
        "$",
        "$$",
        "[",
        "]",
        "{",
        "}",
        "(",
        ")",
        "?",
        ":",
        "..",
        ".",
        "@",
        "#",
        "%",
        "**",
        "|",
        "||",
        "^(",
        "a[",
        "a{",
        "a.(",
        "function",
        "function(",
        "function($x){",
        "λ($x){$x}(1)",
        "$f(?)",
        "/",
        "//",
        "/a",
        "'\\u12",
        "\"\\q\"",
        "`abc",
        "/* x",
        "1..2",
        "[1..]",
        "{1}",
        "a@b",
        "a#1",
        "%.a",
        "$x:=",
        "~>",
        "a ~> b",
        "$$$$",
        "!",
        "~",
        "1e400",
        "[1,2,3][]",
        "a[[]]",
        "$sort",
        "|a|b|",
        "|a|b,c|",
        "#$i",
        "@$x",
    ];
    for src in sources {
        if let Ok(e) = Expression::parse(src) {
            let _ = e.evaluate(&json!({"a": [1, {"b": 2}]}), &Env::new().with_max_steps(1_000_000));
        }
    }
}
