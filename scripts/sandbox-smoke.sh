#!/usr/bin/env bash
# Smoke test of `mmln sandbox` as a user meets it: start it in the background, wait for the
# ready line, run the banner's four curl commands exactly as printed (peer1's invoice paid by
# the user's node; a keysend with a bLIP-10 record; the payment list; peer1's BOLT 12 offer paid
# by the user's node), check the payments
# succeeded on both sides, then Ctrl-C it and check it exits 0. Every wait is bounded; on any failure the sandbox is killed and its output shown.
#
# Then the JSON-RPC 2.0 surface: get_info over HTTP POST /jsonrpc with a Bearer token, the event
# feed over a WebSocket subscription (examples/event_feed.py), and, when
# PYLN_PYTHON names a Python that has pyln-client installed, examples/pyln_client.py (and
# examples/sendpay_pyln.py, Core Lightning's sendpay methods) over the
# unix sockets (get_info and a payment from the user's node to peer1).
#
# Usage: scripts/sandbox-smoke.sh [path/to/mmln]
#   default binary: $CARGO_TARGET_DIR/debug/mmln, else target/debug/mmln (build it first).
# Needs: bash, curl, sed, grep; optional PYLN_PYTHON.
set -euo pipefail

MMLN="${1:-${CARGO_TARGET_DIR:-target}/debug/mmln}"
PASSWORD='Sm0ke:Sandbox-Run'
READY_TIMEOUT=90     # seconds until the ready line
PAYMENT_TIMEOUT=30   # seconds until both sides show the payment succeeded
STOP_TIMEOUT=30      # seconds until the process exits after SIGINT

[ -x "$MMLN" ] || { echo "sandbox-smoke: no mmln binary at $MMLN (cargo build first)" >&2; exit 2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/mmln-sandbox-smoke.XXXXXX")"
OUT="$WORK/stdout"
ERR="$WORK/stderr"
PID=""
: >"$OUT"

cleanup() {
  local status=$?
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -KILL "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ]; then
    echo "--- sandbox stdout ---" >&2; cat "$OUT" >&2 2>/dev/null || true
    echo "--- sandbox stderr (last 40 lines) ---" >&2; tail -n 40 "$ERR" >&2 2>/dev/null || true
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT

fail() { echo "sandbox-smoke: FAIL: $*" >&2; exit 1; }

# Ephemeral RPC ports so a real sandbox on 7783 is not disturbed; the banner says which.
"$MMLN" sandbox --rpc-password "$PASSWORD" --data-dir "$WORK/data" \
  --rpcport 0 --peer1-rpcport 0 --peer2-rpcport 0 >"$OUT" 2>"$ERR" &
PID=$!

deadline=$((SECONDS + READY_TIMEOUT))
until grep -q '^mmln sandbox ready' "$OUT" && grep -q '^Ctrl-C stops the sandbox' "$OUT"; do
  kill -0 "$PID" 2>/dev/null || fail "mmln sandbox exited before it was ready"
  [ "$SECONDS" -lt "$deadline" ] || fail "no ready line within ${READY_TIMEOUT}s"
  sleep 0.2
done
echo "sandbox-smoke: $(grep '^mmln sandbox ready' "$OUT")"

rpc_url() { # the RPC URL of "your node" / "peer1" from the banner
  sed -nE "s/^  $1 +rpc (http:\/\/[0-9.:]+) .*/\1/p" "$OUT" | head -n 1
}
USER_URL="$(rpc_url 'your node')"
PEER1_URL="$(rpc_url 'peer1')"
[ -n "$USER_URL" ] && [ -n "$PEER1_URL" ] || fail "no RPC URLs in the banner"

banner_command() { # the command under "# $1." in the banner, as printed
  grep -A1 "^  # $1\\." "$OUT" | tail -n 1
}
hash_of() { printf '%s' "$1" | sed -nE 's/.*"payment_hash": *"([0-9a-f]{64})".*/\1/p'; }
status_on() { # the status of payment $2 on the daemon at $1
  curl -s --max-time 10 "$1" --data \
    "{\"mmrpc\":\"2.0\",\"userpass\":\"$PASSWORD\",\"method\":\"lightning::payments::get_payment_details\",\"params\":{\"coin\":\"tBTC-lightning\",\"payment_hash\":\"$2\"}}" |
    sed -nE 's/.*"status": *"([a-z]+)".*/\1/p'
}
wait_succeeded() { # payment $1 succeeded on every daemon URL after it
  local hash="$1"; shift
  local deadline=$((SECONDS + PAYMENT_TIMEOUT)) url
  for url in "$@"; do
    until [ "$(status_on "$url" "$hash")" = succeeded ]; do
      [ "$SECONDS" -lt "$deadline" ] ||
        fail "payment $hash not succeeded on $url within ${PAYMENT_TIMEOUT}s (status: $(status_on "$url" "$hash"))"
      sleep 0.2
    done
  done
}

# 1. peer1's invoice, paid by the user's node.
PAY_COMMAND="$(banner_command 1)"
[ -n "$PAY_COMMAND" ] || fail "no invoice+pay command in the banner"
PAY_ANSWER="$(timeout 60 bash -c "$PAY_COMMAND")" || fail "the invoice+pay command failed: $PAY_ANSWER"
HASH="$(hash_of "$PAY_ANSWER")"
[ -n "$HASH" ] || fail "send_payment did not answer a payment_hash: $PAY_ANSWER"
wait_succeeded "$HASH" "$USER_URL" "$PEER1_URL"
echo "sandbox-smoke: invoice $HASH paid, succeeded on the user's node and on peer1"

# 2. keysend with a bLIP-10 record, and 3. the list showing it decoded.
KEYSEND_ANSWER="$(timeout 60 bash -c "$(banner_command 2)")" || fail "the keysend command failed: $KEYSEND_ANSWER"
KEYSEND_HASH="$(hash_of "$KEYSEND_ANSWER")"
[ -n "$KEYSEND_HASH" ] || fail "keysend did not answer a payment_hash: $KEYSEND_ANSWER"
wait_succeeded "$KEYSEND_HASH" "$USER_URL" "$PEER1_URL"
LIST_ANSWER="$(timeout 30 bash -c "$(banner_command 3)")" || fail "the list command failed: $LIST_ANSWER"
printf '%s' "$LIST_ANSWER" | grep -q '"name": *"podcast_metadata"' ||
  fail "the payment list does not show the bLIP-10 record: $LIST_ANSWER"
echo "sandbox-smoke: keysend $KEYSEND_HASH with its bLIP-10 record listed"

# 4. peer1's BOLT 12 offer, paid by the user's node (blinded paths over the announced channels).
OFFER_ANSWER="$(timeout 90 bash -c "$(banner_command 4)")" || fail "the offer command failed: $OFFER_ANSWER"
OFFER_HASH="$(hash_of "$OFFER_ANSWER")"
[ -n "$OFFER_HASH" ] || fail "paying the offer did not answer a payment_hash: $OFFER_ANSWER"
wait_succeeded "$OFFER_HASH" "$USER_URL" "$PEER1_URL"
echo "sandbox-smoke: BOLT 12 offer paid ($OFFER_HASH), succeeded on the user's node and on peer1"

# JSON-RPC 2.0 on the same port, at /jsonrpc.
JSONRPC_ANSWER="$(curl -s --max-time 30 "$USER_URL/jsonrpc" \
  -H "Authorization: Bearer $PASSWORD" -H 'Content-Type: application/json' \
  --data '{"jsonrpc":"2.0","method":"lightning::nodes::get_info","id":1}')" ||
  fail "POST /jsonrpc failed"
printf '%s' "$JSONRPC_ANSWER" | grep -q '"node_id"' || fail "JSON-RPC get_info: $JSONRPC_ANSWER"
echo "sandbox-smoke: JSON-RPC get_info over HTTP answered"

# The same over HTTP, WebSocket and the unix socket, with Python's standard library only.
if command -v python3 >/dev/null 2>&1; then
  USER_PORT="${USER_URL##*:}"
  MMLN_USERPASS="$PASSWORD" MMLN_PORT="$USER_PORT" timeout 60 python3 \
    "$(dirname "$0")/../examples/jsonrpc_stdlib.py" "$WORK/data/user/lightning-rpc" ||
    fail "examples/jsonrpc_stdlib.py failed"
  echo "sandbox-smoke: JSON-RPC get_info agrees over HTTP, WebSocket and the unix socket"
  FEED="$(MMLN_USERPASS="$PASSWORD" MMLN_PORT="$USER_PORT" timeout 60 python3 \
    "$(dirname "$0")/../examples/event_feed.py" --from 0 --kinds payment_succeeded --count 2)" ||
    fail "examples/event_feed.py failed: $FEED"
  for hash in "$HASH" "$KEYSEND_HASH"; do
    printf '%s' "$FEED" | grep -q "\"subject\": \"$hash\"" ||
      fail "examples/event_feed.py did not print the success of $hash: $FEED"
  done
  echo "sandbox-smoke: examples/event_feed.py followed both payments over a WebSocket subscription"
fi

if [ -n "${PYLN_PYTHON:-}" ]; then
  USER_SOCKET="$WORK/data/user/lightning-rpc"
  PEER1_SOCKET="$WORK/data/peer1/lightning-rpc"
  [ -S "$USER_SOCKET" ] && [ -S "$PEER1_SOCKET" ] || fail "no JSON-RPC sockets in $WORK/data"
  timeout 120 "$PYLN_PYTHON" "$(dirname "$0")/../examples/pyln_client.py" "$USER_SOCKET" "$PEER1_SOCKET" ||
    fail "examples/pyln_client.py failed"
  echo "sandbox-smoke: pyln-client get_info and payment over the unix socket"
  timeout 120 "$PYLN_PYTHON" "$(dirname "$0")/../examples/sendpay_pyln.py" "$USER_SOCKET" "$PEER1_SOCKET" ||
    fail "examples/sendpay_pyln.py failed"
  echo "sandbox-smoke: pyln-client getroute, sendpay, waitsendpay, listsendpays over the unix socket"
fi

kill -INT "$PID"
deadline=$((SECONDS + STOP_TIMEOUT))
while kill -0 "$PID" 2>/dev/null; do
  [ "$SECONDS" -lt "$deadline" ] || fail "still running ${STOP_TIMEOUT}s after SIGINT"
  sleep 0.2
done
set +e
wait "$PID"
EXIT_STATUS=$?
set -e
PID=""
[ "$EXIT_STATUS" -eq 0 ] || fail "mmln sandbox exited with status $EXIT_STATUS after SIGINT"
grep -q '^sandbox stopped' "$OUT" || fail "no 'sandbox stopped' line"
[ ! -e "$WORK/data/user/lightning-rpc" ] || fail "the JSON-RPC socket was not removed at shutdown"
echo "sandbox-smoke: OK (clean stop, exit 0)"
