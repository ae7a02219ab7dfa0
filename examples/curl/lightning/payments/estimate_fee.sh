#!/usr/bin/env bash
# lightning::payments::estimate_fee: the routing fee and hops of paying now, without paying.
# Usage: estimate_fee.sh INVOICE | estimate_fee.sh NODE_ID AMOUNT_MSAT
#   INVOICE      a BOLT 11 invoice (its amount is priced)
#   NODE_ID      a destination's node id, with AMOUNT_MSAT to deliver to it

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

(($# >= 1)) || usage 2
if (($# >= 2)); then
    params="$(json_obj coin "$(coin_json)" destination "$(json_str "$1")" \
        amount_msat "$(json_uint "$2" AMOUNT_MSAT)")"
else
    params="$(json_obj coin "$(coin_json)" invoice "$(json_str "$1")")"
fi

mmrpc lightning::payments::estimate_fee "$params"
