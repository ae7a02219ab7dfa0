#!/usr/bin/env bash
# Resident memory of one idle `mmln run` daemon (the persistence issue's "idle RSS per node"):
# starts `mmln chain` and one daemon on a fresh data dir, waits until it answers RPC, lets it
# idle, then prints VmRSS and VmHWM (peak) of the daemon's process.
#
#   scripts/idle-rss.sh                    # release build, 30 s idle
#   IDLE_SECS=120 MMLN_BIN=/path/to/mmln scripts/idle-rss.sh
set -euo pipefail
cd "$(dirname "$0")/.."

idle=${IDLE_SECS:-30}
bin=${MMLN_BIN:-}
if [ -z "$bin" ]; then
    cargo build --release --quiet --bin mmln
    bin=${CARGO_TARGET_DIR:-target}/release/mmln
fi
dir=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
chain_port=$(free_port)
rpc_port=$(free_port)
p2p_port=$(free_port)
password="idle-rss-Passw0rd!"

"$bin" chain --bind "127.0.0.1:$chain_port" --rpc-password chainpw --fee-rate 2 >"$dir/chain.log" 2>&1 &
chain_pid=$!
cleanup() {
    kill "${node_pid:-}" "$chain_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
sleep 1

MMLN_DATA_DIR="$dir/node" MMLN_RPC_PASSWORD="$password" MMLN_RPCPORT="$rpc_port" \
    MMLN_P2P_LISTEN="127.0.0.1:$p2p_port" MMLN_NETWORK=regtest \
    MMLN_BITCOIND_RPC_URL="http://127.0.0.1:$chain_port" MMLN_BITCOIND_RPC_USER=mmln \
    MMLN_BITCOIND_RPC_PASSWORD=chainpw MMLN_LOG_LEVEL=warn \
    "$bin" run >"$dir/node.log" 2>&1 &
node_pid=$!

up=
for _ in $(seq 1 120); do
    # Any mmrpc answer means the daemon has started (its RPC server is the last step).
    if curl -s "http://127.0.0.1:$rpc_port" -d "{\"userpass\":\"$password\",\"mmrpc\":\"2.0\",\"method\":\"version\"}" 2>/dev/null | grep -q mmrpc; then
        up=1
        break
    fi
    sleep 0.5
done
if [ -z "$up" ]; then
    echo "the daemon did not answer RPC; its log:" >&2
    cat "$dir/node.log" >&2
    exit 1
fi
echo "daemon up; idling ${idle}s" >&2
sleep "$idle"
grep -E '^(VmRSS|VmHWM)' "/proc/$node_pid/status"
