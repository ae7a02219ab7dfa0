#!/usr/bin/env bash
# The long form of tests/faults/chain.rs: the regtest chain under two `mmln run` daemons stops
# for a minute (by default) while they pay each other over their channel; chain calls must
# answer ChainUnavailable (503) meanwhile, and both nodes must catch up when it returns.
#
#   scripts/chain-outage.sh              # a 60 s outage
#   OUTAGE_SECS=300 scripts/chain-outage.sh
#
# Prints the test's result line and the wall time.
set -euo pipefail
cd "$(dirname "$0")/.."

export MMLN_CHAIN_OUTAGE_SECS=${OUTAGE_SECS:-60}
start=$(date +%s)
cargo test --test faults chain:: -- --nocapture 2>&1 | grep -E "chain outage:|test result|panicked|FAILED" || true
echo "outage=${MMLN_CHAIN_OUTAGE_SECS}s wall=$(( $(date +%s) - start ))s" >&2
