#!/usr/bin/env bash
# lightning::wallet::send_to_address: pay an on-chain address from the node's wallet and
# broadcast at once; returns the txid.
# Usage: send_to_address.sh ADDRESS [AMOUNT_BTC] [FEE_RATE_SAT_PER_VB]
#   ADDRESS              e.g. one from get_new_address.sh run against a sandbox peer (MMLN_PORT=7784)
#   AMOUNT_BTC           e.g. 0.0001 (default), or "max" to empty the wallet
#   FEE_RATE_SAT_PER_VB  default: the chain's estimate

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

(($# >= 1)) || usage 2
address="$1"
amount_btc="${2:-0.0001}"
fee_rate="${3-}"

if [[ "$amount_btc" == max ]]; then
    amount='{"type":"Max"}'
else
    [[ "$amount_btc" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "AMOUNT_BTC must be a decimal like 0.0001 or max"
    amount="{\"type\":\"Exact\",\"value\":$amount_btc}"
fi

mmrpc lightning::wallet::send_to_address "$(json_obj \
    coin "$(coin_json)" \
    address "$(json_str "$address")" \
    amount "$amount" \
    fee_rate_sat_per_vb "$(json_uint "$fee_rate" FEE_RATE_SAT_PER_VB)")"
