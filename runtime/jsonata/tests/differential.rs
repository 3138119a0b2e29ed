//! Differential test against the reference implementation: every expression
//! below is evaluated by jsonata 2.0.6 itself (node, `oracle/eval.js`) and by
//! this crate, and the results must agree — values, *undefined*, error codes
//! and error messages.
//!
//! Needs `node` and `oracle/node_modules` (run `oracle/install.sh`); without
//! them the test prints a notice and passes.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use stepcraft_jsonata::{Env, Expression};

/// Expressions evaluated against every input in [`inputs`].
const EXPRESSIONS: &[&str] = &[
    // paths and sequences
    "Account.Order.Product.Price",
    "Account.Order[0].Product[-1].`Product Name`",
    "Account.Order.Product[Price > 30].SKU",
    "Account.Order.Product.Price[0]",
    "(Account.Order.Product.Price)[0]",
    "Account.Order.Product[0]",
    "Account.Order[OrderID='order104'].Product.Quantity",
    "Account.*.OrderID",
    "**.Colour",
    "Account.Order.Product.Description.*",
    "Account.Order.Product{`Product Name`: Price}",
    "Account.Order{OrderID: $sum(Product.(Price * Quantity))}",
    "Account.Order.Product^(>Price).SKU",
    "Account.Order.Product^(Quantity, >Price).`Product Name`",
    "Account.Order#$i.{'i': $i, 'id': OrderID}",
    "Account.Order@$o.Product@$p.{'o': $o.OrderID, 'p': $p.SKU}",
    "Account.Order.Product.{'name': `Product Name`, 'order': %.OrderID}",
    "Account.Order.Product[%.OrderID='order103'].SKU",
    "Account.Order.Product.SKU[]",
    "Account.Order[0].OrderID[]",
    "Account.Order.Product.Price.$string()",
    "$.Account.`Account Name`",
    "$$.Account.Order[1].OrderID",
    "nothing.here",
    "nothing[0]",
    "[Account.Order.OrderID, 'x']",
    "[Account.Order.OrderID][1]",
    "[[1,2],[3,4]].$",
    "[1..5][$ % 2 = 1]",
    "[1..3].($ * 2)",
    "$count(Account.Order.Product)",
    // arithmetic and numbers
    "1 + 2 * 3 - 4 / 8",
    "10 % 3",
    "-7 % 3",
    "0.1 + 0.2",
    "1 / 3",
    "2 * 0.1 * 3",
    "1e21 + 1",
    "123456789012345678",
    "-0",
    "1 / 0",
    "$string(0.1 + 0.2)",
    "$string(1/3)",
    "$string(1e21)",
    "$string(1.5e-7)",
    "$string(123.456e10)",
    "$string(-0.0000001)",
    "$string([1.1, {'a': 2.000000000000001}])",
    "$string({'a': [1, 'two', true, null]}, true)",
    "$round(2.5)",
    "$round(3.5)",
    "$round(-2.5)",
    "$round(1.005, 2)",
    "$round(1234.5678, -2)",
    "$round(0.125, 2)",
    "$floor(-1.5)",
    "$ceil(-1.5)",
    "$abs(-3)",
    "$sqrt(2)",
    "$power(2, 0.5)",
    "$power(10, 400)",
    "$sqrt(-1)",
    "$number('0x1F')",
    "$number('1e3')",
    "$number('12abc')",
    "$number(true)",
    "$number('-0')",
    "$formatNumber(1234.5678, '#,##0.00')",
    "$formatNumber(0.125, '0.0%')",
    "$formatNumber(-42, '000')",
    "$formatNumber(12345.678, '#.###e0')",
    "$formatBase(255, 16)",
    "$formatBase(-10, 2)",
    "$formatInteger(1234, 'w')",
    "$formatInteger(42, '#,##0')",
    "$formatInteger(2023, 'I')",
    "$parseInteger('twelve thousand', 'w')",
    "$sum([1, 2.5, 3])",
    "$average([1, 2, 4])",
    "$max([3, 1, 2])",
    "$min([])",
    // strings
    "'Hello' & ' ' & 'World'",
    "'a' & 1 & true & null",
    "$uppercase('straße')",
    "$lowercase('ÀÉÎ')",
    "$length('héllo 😀')",
    "$substring('hello world', 3, 5)",
    "$substring('hello', -3)",
    "$substring('hello', -10, 3)",
    "$substringBefore('a-b-c', '-')",
    "$substringAfter('a-b-c', '-')",
    "$trim('  a \t b  ')",
    "$pad('x', 5, '#')",
    "$pad('x', -5)",
    "$contains('abc', 'b')",
    "$contains('abc', /B/i)",
    "$split('a,b,,c', ',')",
    "$split('a1b22c', /[0-9]+/)",
    "$split('abc', '', 2)",
    "$join(['a', 'b'], '-')",
    "$replace('hello world', 'o', '0')",
    "$replace('2024-01-15', /(\\d+)-(\\d+)-(\\d+)/, '$3/$2/$1')",
    "$replace('abc', /b/, function($m) { $uppercase($m.match) })",
    "$match('a1b22c333', /[0-9]+/)",
    "$match('abc', /(x)?b/)",
    "$base64encode('hello:world')",
    "$base64decode('aGVsbG86d29ybGQ=')",
    "$encodeUrlComponent('a b&c=d/é')",
    "$encodeUrl('https://x.com/a b?q=é')",
    "$decodeUrlComponent('a%20b%26')",
    "$string(true)",
    "$string(null)",
    "'abc' < 'abd'",
    "'B' < 'a'",
    "'10' < '9'",
    // booleans and comparison
    "1 = 1.0",
    "[1,2] = [1,2]",
    "{'a': 1} = {'a': 1}",
    "1 = '1'",
    "null = null",
    "1 < '2'",
    "true and 'x'",
    "false or []",
    "$boolean([0, false])",
    "$boolean({})",
    "$not('')",
    "$exists(nothing)",
    "3 in [1,2,3]",
    "'x' in 'x'",
    "nothing = nothing",
    "1 > nothing",
    "true ? 'y' : 'n'",
    "false ? 'y'",
    "[] ? 'y' : 'n'",
    // objects and arrays
    "$keys({'b': 1, 'a': 2, '1': 3})",
    "$keys([{'a': 1}, {'b': 2, 'a': 3}])",
    "$lookup({'a': 1}, 'a')",
    "$merge([{'a': 1}, {'b': 2}, {'a': 3}])",
    "$spread({'a': 1, 'b': 2})",
    "$each({'a': 1, 'b': 2}, function($v, $k) { $k & $v })",
    "$sift({'a': 1, 'b': 2}, function($v) { $v > 1 })",
    "$append([1], [2, 3])",
    "$append(1, 2)",
    "$reverse([1, 2, 3])",
    "$sort([3, 1, 2])",
    "$sort(['b', 'a', 'C'])",
    "$sort([{'n': 2}, {'n': 1}], function($a, $b) { $a.n > $b.n })",
    "$sort([1, 'a'])",
    "$distinct([1, 2, 1, [1], [1]])",
    "$zip([1, 2, 3], ['a', 'b'])",
    "$count([])",
    "$type(1)",
    "$type([])",
    "$type(function(){1})",
    "$type(nothing)",
    "{'a': 1, 'b': nothing}",
    "{'a': [1, 2]}.a[1]",
    "{1: 'x'}",
    "[{'k': 'a', 'v': 1}, {'k': 'a', 'v': 2}]{k: v}",
    "[{'k': 'a', 'v': 1}, {'k': 'b', 'v': 2}]{k: $sum(v)}",
    // functions and blocks
    "($x := 3; $y := $x * 2; $x + $y)",
    "($f := function($a, $b) { $a + $b }; $f(1, 2))",
    "($add := function($a, $b) { $a + $b }; $inc := $add(?, 1); $inc(41))",
    "$map([1, 2, 3], function($v, $i) { $v * $i })",
    "$filter([1, 2, 3, 4], function($v) { $v % 2 = 0 })",
    "$reduce([1, 2, 3, 4], function($acc, $v) { $acc + $v })",
    "$reduce([1, 2, 3], function($acc, $v) { $acc + $v }, 10)",
    "$single([1, 2, 3], function($v) { $v = 2 })",
    "$single([1, 2, 3], function($v) { $v > 1 })",
    "[1, 2, 3] ~> $map(function($v) { $v * 10 }) ~> $sum()",
    "($twice := function($f) { function($x) { $f($f($x)) } }; $twice(function($n) { $n + 3 })(1))",
    "($fact := function($n) { $n <= 1 ? 1 : $n * $fact($n - 1) }; $fact(20))",
    "($loop := function($n, $acc) { $n = 0 ? $acc : $loop($n - 1, $acc + 1) }; $loop(5000, 0))",
    "(function($x) { $x * 2 })(21)",
    "$string(function($x) { $x })",
    "$uppercase ~> $type()",
    "($f := $uppercase ~> $substring(?, 0, 2); $f('hello'))",
    "Account.Order.Product ~> |$|{'Total': Price * Quantity}, ['Description', 'SKU']|",
    "{'a': 1.10000000000000009} ~> |$|{'b': 2}|",
    "$assert(1 = 1, 'never')",
    "$assert(1 = 2, 'assertion text')",
    "$error('custom failure')",
    "$eval('1 + 1')",
    "$clone({'a': [1]})",
    // dates (fixed instants only)
    "$fromMillis(1700000000000)",
    "$fromMillis(1700000000000, '[Y0001]-[M01]-[D01] [H01]:[m01]')",
    "$fromMillis(1700000000000, '[FNn], [D1o] [MNn] [Y]', '+0530')",
    "$toMillis('2024-02-29T12:00:00Z')",
    "$toMillis('2024-02-29T12:00:00.5+01:00')",
    "$toMillis('2024-02-29')",
    "$toMillis('2024-13-01')",
    "$toMillis('not a date')",
    "$toMillis('23/03/2018', '[D01]/[M01]/[Y0001]')",
    // errors
    "1 + 'a'",
    "'a' - 1",
    "-'x'",
    "[1..'a']",
    "1 < [1]",
    "'a' < 1",
    "$foo()",
    "uppercase('x')",
    "$substring(1, 2)",
    "$sum(['a'])",
    "$lookup(1, 2)",
    "{[1]: 2}",
    "{'a': 1, 'a': 2}",
    "[1,2,3][",
    "(1 + 2",
    "{'a' 1}",
    "1 +",
    "'unterminated",
    "$x := ",
    "a.1",
    "/[/",
    "function($x, y) { 1 }",
    "$replace('a', '', 'b')",
    "$split('a', ',', -1)",
    "$formatBase(1, 40)",
    "$single([])",
    "$reduce([1], function($a) { $a })",
    "$number('abc')",
    "$power(-8, 1/3)",
    "[1..20000000]",
];

fn inputs() -> Vec<Option<Value>> {
    let account = json!({"Account": {"Account Name": "Firefly", "Order": [
        {"OrderID": "order103", "Product": [
            {"Product Name": "Bowler Hat", "ProductID": 858383, "SKU": "0406654608",
             "Description": {"Colour": "Purple", "Width": 300, "Height": 200, "Depth": 210, "Weight": 0.75},
             "Price": 34.45, "Quantity": 2},
            {"Product Name": "Trilby hat", "ProductID": 858236, "SKU": "0406634348",
             "Description": {"Colour": "Orange", "Width": 300, "Height": 200, "Depth": 210, "Weight": 0.6},
             "Price": 21.67, "Quantity": 1}]},
        {"OrderID": "order104", "Product": [
            {"Product Name": "Bowler Hat", "ProductID": 858383, "SKU": "040657863",
             "Description": {"Colour": "Purple", "Width": 300, "Height": 200, "Depth": 210, "Weight": 0.75},
             "Price": 34.45, "Quantity": 4},
            {"ProductID": 345664, "SKU": "0406654603", "Product Name": "Cloak",
             "Description": {"Colour": "Black", "Width": 30, "Height": 20, "Depth": 210, "Weight": 2},
             "Price": 107.99, "Quantity": 1}]}]}});
    vec![Some(account), Some(json!([1, 2, {"a": [3, 4]}])), None]
}

/// Step Functions-style expressions over `$states` and workflow variables.
const STATES_EXPRESSIONS: &[&str] = &[
    "$states.input",
    "$states.input.order.items[price > 10].name",
    "{'id': $states.input.order.id, 'total': $sum($states.input.order.items.(price * qty))}",
    "$states.input.order.items ~> $count()",
    "$states.result.Payload.status = 'OK' and $retries < 3",
    "$states.context.Execution.Name & '-' & $string($retries)",
    "$merge([$states.input.order, {'status': $states.result.Payload.status}])",
    "$states.input.missing",
    "$states.errorOutput.Cause ~> $substringAfter(': ')",
    "$states.input.order.items.{'sku': sku, 'line': price * qty}",
    "$exists($states.input.order.coupon) ? 0.1 : 0",
    "$states.input.order.items[0].price * $factor",
    "$count($states.input.order.items) > 1 ? 'many' : 'one'",
    "$states.input.order.items^(>price)[0].name",
    "$join($states.input.order.items.name, ', ')",
    "$string($states.input.order)",
    "$toMillis($states.context.Execution.StartTime)",
    "$fromMillis($toMillis($states.context.Execution.StartTime) + 3600000)",
];

fn states_env_values() -> (Value, Value, Value) {
    let states = json!({
        "input": {"order": {"id": "o-17", "items": [
            {"sku": "a", "name": "Apple", "price": 12.5, "qty": 2},
            {"sku": "b", "name": "Pear", "price": 4.25, "qty": 10}]}},
        "result": {"Payload": {"status": "OK"}},
        "errorOutput": {"Error": "States.TaskFailed", "Cause": "boom: disk full"},
        "context": {"Execution": {"Name": "exec-1", "StartTime": "2024-05-01T10:00:00.123Z"}}
    });
    (states, json!(2), json!(1.5))
}

/// Whether the reference implementation can run, installing it (pinned, `oracle/install.sh`)
/// first when node is there but the package is not.
fn node_available() -> bool {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("oracle");
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if node && !root.join("node_modules/jsonata/package.json").exists() {
        let installed = Command::new("bash").arg(root.join("install.sh")).status().is_ok_and(|s| s.success());
        assert!(installed, "oracle/install.sh failed: the reference jsonata 2.0.6 could not be installed");
    }
    node && root.join("node_modules/jsonata/package.json").exists()
}

fn run_oracle(cases: &[Value]) -> Vec<Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("oracle");
    let mut child = Command::new("node")
        .arg(root.join("eval.js"))
        .current_dir(&root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start node");
    let input = serde_json::to_vec(cases).expect("serialise cases");
    child.stdin.take().expect("stdin").write_all(&input).expect("write cases");
    let out = child.wait_with_output().expect("node output");
    assert!(out.status.success(), "oracle failed");
    serde_json::from_slice(&out.stdout).expect("oracle json")
}

fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((k, v), (l, w))| k == l && json_eq(v, w))
        }
        _ => a == b,
    }
}

fn compare(expected: &Value, got: &stepcraft_jsonata::Result<Option<Value>>) -> Result<(), String> {
    let ok = match (expected, got) {
        (e, Ok(Some(v))) if e.get("value").is_some() => json_eq(&e["value"], v),
        (e, Ok(None)) => e.get("undefined").is_some(),
        (e, Err(err)) if e.get("code").is_some() => {
            e["code"].as_str() == Some(err.code()) && e["message"].as_str() == Some(err.message().as_str())
        }
        (e, Err(err)) if e.get("func").is_some() => err.code() == "X1002",
        (e, Err(err)) if e.get("nonFinite").is_some() => err.code() == "D1001",
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        let got = match got {
            Ok(v) => format!("{v:?}"),
            Err(e) => format!("error {} {:?}", e.code(), e.message()),
        };
        Err(format!("reference {expected}, this crate {got}"))
    }
}

#[test]
fn agrees_with_jsonata_2_0_6() {
    if !node_available() {
        eprintln!("NOTICE: differential test skipped: node or oracle/node_modules missing (run oracle/install.sh)");
        return;
    }
    let mut cases = Vec::new();
    for input in inputs() {
        for expr in EXPRESSIONS {
            let mut c = json!({"expr": expr});
            if let Some(i) = &input {
                c["input"] = i.clone();
            }
            cases.push(c);
        }
    }
    let (states, retries, factor) = states_env_values();
    for expr in STATES_EXPRESSIONS {
        cases.push(json!({"expr": expr, "bindings": {"states": states, "retries": retries, "factor": factor}}));
    }
    let expected = run_oracle(&cases);
    assert_eq!(expected.len(), cases.len());
    let mut failures = Vec::new();
    for (case, exp) in cases.iter().zip(&expected) {
        let src = case["expr"].as_str().unwrap_or_default();
        let bindings = case.get("bindings").and_then(Value::as_object);
        let mut env = Env::new();
        if let Some(b) = bindings {
            for (k, v) in b {
                env.set(k, v);
            }
        }
        let got = Expression::parse(src).and_then(|e| e.evaluate_opt(case.get("input"), &env));
        if let Err(why) = compare(exp, &got) {
            failures
                .push(format!("{src:?} (input {}): {why}", case.get("input").map(|_| "given").unwrap_or("undefined")));
        }
    }
    for f in &failures {
        eprintln!("MISMATCH {f}");
    }
    eprintln!("differential: {} passed, {} failed", cases.len() - failures.len(), failures.len());
    assert!(failures.is_empty(), "{} mismatches with jsonata 2.0.6", failures.len());
}
