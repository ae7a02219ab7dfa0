#!/usr/bin/env bash
# sendpay: Core Lightning's sendpay, send along a route (as getroute gives it); answers at once.
# Usage: sendpay.sh ROUTE_JSON PAYMENT_HASH [PAYMENT_SECRET] [BOLT11] [PARTID AMOUNT_MSAT [GROUPID]]
#   ROUTE_JSON      the route array, e.g. the "route" of getroute.sh's result
#   PAYMENT_HASH    64 hex characters (the invoice's payment hash)
#   PAYMENT_SECRET  the invoice's payment secret (64 hex characters; required for multi-part)
#   BOLT11          the invoice, kept with the payment (listsendpays shows it)
#   PARTID          a multi-part payment's part number (1, 2, ...); needs AMOUNT_MSAT, the total
#   GROUPID         the parts' group (parts of one group are sent together once they add up)
# Then: waitsendpay.sh PAYMENT_HASH

set -euo pipefail
source "$(dirname "$0")/_lib.sh"

(($# >= 2)) || usage 2
route="$1"
hash="$2"
secret="${3-}"
bolt11="${4-}"
partid="${5-}"
amount="${6-}"
groupid="${7-}"
[[ "$route" == \[* ]] || die "ROUTE_JSON must be a JSON array of hops"

mmrpc sendpay "$(json_obj \
    route "$route" \
    payment_hash "$(json_str "$hash")" \
    payment_secret "$([[ -n "$secret" ]] && json_str "$secret")" \
    bolt11 "$([[ -n "$bolt11" ]] && json_str "$bolt11")" \
    partid "$(json_uint "$partid" PARTID)" \
    amount_msat "$(json_uint "$amount" AMOUNT_MSAT)" \
    groupid "$(json_uint "$groupid" GROUPID)")"
