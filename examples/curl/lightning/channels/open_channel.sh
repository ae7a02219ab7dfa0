#!/usr/bin/env bash
# lightning::channels::open_channel: open a channel to a node, funded from this node's wallet.
# Usage: open_channel.sh [OPTIONS] NODE_ADDRESS [AMOUNT_BTC] [PUSH_MSAT]
#   NODE_ADDRESS  pubkey@host:port (sandbox peers: see the banner of mmln sandbox)
#   AMOUNT_BTC    channel size in BTC, e.g. 0.001 (default), or "max" for the whole wallet
#   PUSH_MSAT     msat given to the other side at opening (default none)
# Options:
#   --channel-options=JSON  e.g. '{"proportional_fee_in_millionths_sats":100,"base_fee_msat":1000}'
#   --channel-configs=JSON  KDF's channel configs, e.g. '{"our_htlc_minimum_msat":1000}'
# Returns the channel uuid; it is usable once its funding transaction confirms (the sandbox
# mines within a second; sandbox/mine.sh mines more).

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

options="" configs=""
positional=()
for arg in "$@"; do
    case "$arg" in
        --channel-options=*) options="${arg#*=}" ;;
        --channel-configs=*) configs="${arg#*=}" ;;
        --*) die "unknown option $arg (see --help)" ;;
        *) positional+=("$arg") ;;
    esac
done
((${#positional[@]} >= 1)) || usage 2
node_address="${positional[0]}"
amount_btc="${positional[1]:-0.001}"
push_msat="${positional[2]:-}"

if [[ "$amount_btc" == max ]]; then
    amount='{"type":"Max"}'
else
    [[ "$amount_btc" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "AMOUNT_BTC must be a decimal like 0.001 or max"
    amount="{\"type\":\"Exact\",\"value\":$amount_btc}"
fi

mmrpc lightning::channels::open_channel "$(json_obj \
    coin "$(coin_json)" \
    node_address "$(json_str "$node_address")" \
    amount "$amount" \
    push_msat "$(json_uint "$push_msat" PUSH_MSAT)" \
    channel_options "$options" \
    channel_configs "$configs")"
