//! Evaluations per second of typical Step Functions expressions (parse once,
//! evaluate many times). Run with
//! `cargo run --release -p stepcraft-jsonata --example jsonata_bench`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use stepcraft_jsonata::{Env, Expression};

fn main() {
    let states = json!({
        "input": {
            "d": "order-17",
            "order": {"id": "o-17", "items": (0..20).map(|i| json!({"sku": format!("s{i}"), "price": i as f64 * 1.25, "qty": i % 3 + 1})).collect::<Vec<_>>()},
            "status": "READY",
            "retries": 1
        },
        "result": {"Payload": {"statusCode": 200, "body": {"ok": true, "value": 42}}},
        "context": {"Execution": {"Name": "exec-1", "StartTime": "2024-05-01T10:00:00.123Z"}}
    });
    let x = json!({"b": [1, 2, 3]});
    let limit = json!(3);
    let env = Env::step_functions().bind("states", &states).bind("x", &x).bind("limit", &limit);

    let cases = [
        ("object of two paths", r#"{"a": $x.b, "c": $states.input.d}"#),
        ("variable", "$states.input"),
        ("Choice condition", "$states.input.status = 'READY' and $states.input.retries < $limit"),
        ("result selection", "$states.result.Payload.body.value"),
        ("string building", "$states.context.Execution.Name & '-' & $string($states.input.retries + 1)"),
        ("aggregate over items", "$sum($states.input.order.items.(price * qty))"),
        ("filter + map", "$states.input.order.items[price > 10].{'sku': sku, 'total': price * qty}"),
        (
            "Map ItemSelector",
            "{'index': $states.input.retries, 'item': $states.input.order.items[0], 'id': $states.input.order.id}",
        ),
        ("higher-order", "$map($states.input.order.items, function($i) { $i.price }) ~> $max()"),
    ];
    println!("{:<24} {:>14} {:>12}", "expression", "evals/s", "µs/eval");
    for (name, src) in cases {
        let e = Expression::parse(src).expect("parses");
        let (rate, per) = measure(|| black_box(e.evaluate_opt(None, &env).expect("evaluates")));
        println!("{name:<24} {rate:>14.0} {per:>12.2}");
    }
    let (rate, per) = measure(|| black_box(Expression::parse(r#"{"a": $x.b, "c": $states.input.d}"#).expect("parses")));
    println!("{:<24} {rate:>14.0} {per:>12.2}", "parse (object of two)");
}

fn measure<T>(mut f: impl FnMut() -> T) -> (f64, f64) {
    // warm up, then run for about half a second
    for _ in 0..1000 {
        black_box(f());
    }
    let mut n = 0u64;
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(500) {
        for _ in 0..100 {
            black_box(f());
        }
        n += 100;
    }
    let secs = start.elapsed().as_secs_f64();
    let _unused: Option<Value> = None;
    (n as f64 / secs, secs * 1e6 / n as f64)
}
