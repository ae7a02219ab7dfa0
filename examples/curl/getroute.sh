#!/usr/bin/env bash
# getroute: Core Lightning's getroute, a route from this node that sendpay takes as it is.
# Usage: getroute.sh NODE_ID AMOUNT_MSAT [CLTV] [MAXHOPS]
#   NODE_ID      the destination's node id (66 hex characters)
#   AMOUNT_MSAT  what the destination should get: msat, or CLN's forms (1000msat, 1sat, 0.001btc)
#   CLTV         the final CLTV delta the destination asks for (default 9; an invoice's min_final_cltv_expiry)
#   MAXHOPS      at most this many hops
# Example: getroute.sh 02...c3 50000 18 | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["result"]["route"]))'

set -euo pipefail
source "$(dirname "$0")/_lib.sh"

(($# >= 2)) || usage 2
id="$1"
amount="$2"
cltv="${3-}"
maxhops="${4-}"
if [[ "$amount" =~ ^[0-9]+$ ]]; then amount_json="$amount"; else amount_json="$(json_str "$amount")"; fi

mmrpc getroute "$(json_obj \
    id "$(json_str "$id")" \
    amount_msat "$amount_json" \
    riskfactor 10 \
    cltv "$(json_uint "$cltv" CLTV)" \
    maxhops "$(json_uint "$maxhops" MAXHOPS)")"
