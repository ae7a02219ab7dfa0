#!/usr/bin/env bash
# The long form of tests/crash.rs: two `mmln run` processes paying each other in bursts while
# they are SIGKILLed in turn and restarted, then every ledger, channel and balance is checked.
#
#   scripts/crash-storm.sh              # 50 kills, bursts of 40 payments each way
#   KILLS=100 BURST=60 scripts/crash-storm.sh
#
# Prints the test's summary line (kills, payments accepted and succeeded) and the wall time.
set -euo pipefail
cd "$(dirname "$0")/.."

export MMLN_CRASH_KILLS=${KILLS:-50}
export MMLN_CRASH_BURST=${BURST:-40}
start=$(date +%s)
cargo test --test crash -- --nocapture 2>&1 | grep -E "crash test:|test result|panicked|FAILED" || true
echo "kills=$MMLN_CRASH_KILLS burst=$MMLN_CRASH_BURST wall=$(( $(date +%s) - start ))s" >&2
