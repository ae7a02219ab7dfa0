#!/usr/bin/env bash
# waitsendpay: Core Lightning's waitsendpay, wait until a sendpay is final.
# Usage: waitsendpay.sh PAYMENT_HASH [TIMEOUT] [PARTID] [GROUPID]
#   PAYMENT_HASH  64 hex characters
#   TIMEOUT       seconds (0 polls; mmln waits at most 600); still in flight then: error 200
#   PARTID        the part (default 0), GROUPID its group (default the latest)
# A failure answers 203 (the destination refused) or 204 (a hop failed) with erring_index,
# erring_node, erring_channel and erring_direction.

set -euo pipefail
source "$(dirname "$0")/_lib.sh"

(($# >= 1)) || usage 2
hash="$1"
timeout="${2-}"
partid="${3-}"
groupid="${4-}"

MMLN_TIMEOUT="${MMLN_TIMEOUT:-660}"
mmrpc waitsendpay "$(json_obj \
    payment_hash "$(json_str "$hash")" \
    timeout "$(json_uint "$timeout" TIMEOUT)" \
    partid "$(json_uint "$partid" PARTID)" \
    groupid "$(json_uint "$groupid" GROUPID)")"
