#!/usr/bin/env bash
# Long fuzz run: every proptest target (tests/fuzz.rs and the filter -> SQL target in
# tests/ledger.rs) with many cases, in release mode. `cargo test` runs the same targets short.
#
#   scripts/fuzz.sh              # 20000 cases per target
#   scripts/fuzz.sh 200000       # more
#   PROPTEST_CASES=500 scripts/fuzz.sh
#
# A failure prints the minimal input proptest shrank it to: add it to tests/fuzz/regressions.rs
# (or next to the target in tests/ledger.rs) as a named test before fixing the bug.
set -euo pipefail
cd "$(dirname "$0")/.."

export PROPTEST_CASES="${1:-${PROPTEST_CASES:-20000}}"
echo "fuzzing with PROPTEST_CASES=$PROPTEST_CASES" >&2
cargo test --release --test fuzz -- --test-threads 2
cargo test --release --test ledger fuzz_ -- --test-threads 2
