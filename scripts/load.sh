#!/usr/bin/env bash
# The long form of tests/faults/load.rs: `mmln bench load` with 1,000 concurrent clients
# (keep-alive HTTP, WebSocket, slow trickling bodies) on one daemon, mixed reads and keysends.
#
#   scripts/load.sh                          # 1,000 clients, 30 s, release build
#   CLIENTS=2000 SECS=60 scripts/load.sh
#   PROFILE=debug scripts/load.sh            # without a release build
#
# Prints the JSON report on stdout; the exit status is non-zero when a call went unanswered.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=${PROFILE:-release}
if [ "$profile" = release ]; then
  cargo build --release --quiet
  bin="${CARGO_TARGET_DIR:-target}/release/mmln"
else
  cargo build --quiet
  bin="${CARGO_TARGET_DIR:-target}/debug/mmln"
fi
exec "$bin" bench load --clients "${CLIENTS:-1000}" --secs "${SECS:-30}" \
  --body-timeout-secs "${BODY_TIMEOUT_SECS:-30}"
