#!/usr/bin/env bash
# The long form of the feeds ordering test: 1,000 keysends (or $1) from A to B while B's event
# log is followed by a WebSocket subscription (which disconnects and resumes mid-stream), a
# `lightning::events::wait` loop and a webhook receiver; each must see every event exactly once,
# in order. CI runs the same test with 240 payments.
set -euo pipefail
cd "$(dirname "$0")/.."
export MMLN_TEST_FEED_PAYMENTS="${1:-1000}"
start=$(date +%s)
cargo test --test feeds every_event_reaches -- --nocapture
echo "feeds-follow: ${MMLN_TEST_FEED_PAYMENTS} payments followed by subscription, wait and webhooks in $(( $(date +%s) - start )) s"
