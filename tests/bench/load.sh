#!/usr/bin/env bash
# Load and faults figures (RELIABILITY.md):
#
#   tests/bench/load.sh [N] [SEED]
#
# runs N (default 10,000) concurrent executions of the checkout saga in the local executor,
# parked on callbacks then completed in random order, in release, checking each one and printing
# the memory figures (`checkout_load`); then the Lambda glue's 1,000 invocations with a panic
# every tenth against the test Runtime API, printing the function's resident set before and after.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo=${CARGO:-cargo}
n=${1:-10000}
seed=${2:-1}
target_dir=$("$cargo" metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
"$cargo" build --release -p stepcraft-tests --bin checkout_load
"$target_dir/release/checkout_load" "$n" --seed "$seed"
"$cargo" test --release -p stepcraft-tests --test runtime_api a_thousand_invocations -- --nocapture 2>&1 |
    grep -E '^1000 invocations|test result'
