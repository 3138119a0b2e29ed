#!/usr/bin/env bash
# Throughput of stepcraft's local executor on a 5-state workflow with in-process activities,
# and of the third-party interpreter (moto, tests/asl-tools) on the same definition.
#
#   tests/bench/local.sh [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo=${CARGO:-cargo}
n=${1:-50000}
target_dir=$("$cargo" metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
"$cargo" build --release -p stepcraft-tests --bin local_bench
definition="$target_dir/loan.asl.json"
local_line=$("$target_dir/release/local_bench" "$n" --definition "$definition")
echo "$local_line"
tests/asl-tools/install.sh >/dev/null
mocks='{"score": {"return": {"applicant": "ada", "points": 52}}, "decide": {"return": {"applicant": "ada", "approved": true}}}'
other=$(tests/asl-tools/execute "$definition" --input '{"applicant":"ada","income":52000}' --mocks <(echo "$mocks") --repeat 200 --quiet-history 2>&1 >/dev/null | grep '^repeat:')
echo "third-party interpreter (moto): $other"
local_rate=$(echo "$local_line" | sed -n 's/.*= \([0-9]*\) executions\/s.*/\1/p')
other_rate=$(echo "$other" | sed -n 's/.*= \([0-9.]*\)\/s.*/\1/p')
python3 -c "print(f'ratio: stepcraft::local is {float($local_rate) / float($other_rate):.0f} times the third-party interpreter')"
