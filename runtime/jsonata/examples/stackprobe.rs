use serde_json::json;
use stepcraft_jsonata::{Env, Expression};
fn main() {
    let e = Expression::parse("($f := function($n){ $n = 0 ? 0 : 1 + $f($n-1) }; $f(n))").unwrap();
    for n in [10, 50, 100, 200, 400, 800, 1600, 3200] {
        let env = Env::new().with_max_stack(1 << 20);
        let r = e.evaluate(&json!({"n": n}), &env);
        println!("n={n}: {:?}", r.map_err(|e| e.code().to_string()));
    }
}
