#!/usr/bin/env bash
# Runs the benchmark program in release mode; JSON reports go to
# ${BENCH_OUT:-target/bench-results}/<mode>-<n>.json.
#
#   scripts/bench.sh                 # invoice, keysend and ledger, 3 runs each
#   scripts/bench.sh invoice 5       # five invoice runs
#   RUNS_ARGS="--workers 50" scripts/bench.sh keysend
#
# Quote the median of the runs: the machines are shared and noisy.
set -euo pipefail
cd "$(dirname "$0")/.."

modes=${1:-"invoice keysend ledger"}
runs=${2:-3}
out=${BENCH_OUT:-target/bench-results}
mkdir -p "$out"
cargo build --release --quiet
for mode in $modes; do
    for n in $(seq 1 "$runs"); do
        echo "== $mode run $n/$runs" >&2
        # shellcheck disable=SC2086
        cargo run --release --quiet -- bench "$mode" ${RUNS_ARGS:-} > "$out/$mode-$n.json"
    done
done
echo "reports in $out/" >&2
