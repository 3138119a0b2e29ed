//! Load benchmark of the local executor: `checkout_load [N] [--seed S]` runs N (default
//! 10,000) concurrent executions of the checkout saga, parked on callbacks then completed in
//! random order (see `stepcraft_tests::load`), checks every one, and prints the figures,
//! memory included. Run by `tests/bench/load.sh`, in release.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let seed: u64 = args.iter().position(|a| a == "--seed").and_then(|i| args.get(i + 1)?.parse().ok()).unwrap_or(1);
    let report = stepcraft_tests::load::checkout_saga(n, seed);
    println!("{report}");
}
