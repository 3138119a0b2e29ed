#!/usr/bin/env bash
# Benchmarks stepcraft's generated Lambda glue against hand-written lambda_runtime code.
#
#   tests/bench/glue.sh [CANDIDATE BASELINE] [glue_bench options...]
#
# Without binary paths it builds, in release, `hello` (package hello, the stepcraft example)
# as the candidate and `hello_baseline` (package stepcraft-tests) as the baseline. With two
# paths it compares those (e.g. the baseline against itself, to see the noise floor). Then it
# runs glue_bench, which prints a table and writes JSON to $GLUE_BENCH_JSON (default
# <target>/glue-bench.json). Other arguments (--cold N, --warm N, --check, ...) go to glue_bench.
set -euo pipefail

cd "$(dirname "$0")/../.."
cargo=${CARGO:-cargo}

target_dir=$("$cargo" metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
release="$target_dir/release"

if [[ $# -ge 2 && $1 != --* && $2 != --* ]]; then
    candidate=$1 baseline=$2
    shift 2
    "$cargo" build --release -p stepcraft-tests --bin glue_bench
else
    "$cargo" build --release -p stepcraft-tests --bin glue_bench --bin hello_baseline
    "$cargo" build --release -p hello --bin hello
    candidate="$release/hello" baseline="$release/hello_baseline"
fi

json=${GLUE_BENCH_JSON:-$target_dir/glue-bench.json}
"$release/glue_bench" "$candidate" "$baseline" --json "$json" "$@"
echo "results written to $json"
