#!/usr/bin/env bash
# listsendpays: Core Lightning's listsendpays, the sendpay parts, optionally paged by index.
# Usage: listsendpays.sh [PAYMENT_HASH] [STATUS] [INDEX START LIMIT]
#   PAYMENT_HASH  only this payment ("" for all)
#   STATUS        pending, complete or failed ("" for all)
#   INDEX         created or updated: page by that monotonic index, from START, LIMIT at most
# Example: listsendpays.sh "" "" updated 1 100

set -euo pipefail
source "$(dirname "$0")/_lib.sh"

hash="${1-}"
status="${2-}"
index="${3-}"
start="${4-}"
limit="${5-}"

mmrpc listsendpays "$(json_obj \
    payment_hash "$([[ -n "$hash" ]] && json_str "$hash")" \
    status "$([[ -n "$status" ]] && json_str "$status")" \
    index "$([[ -n "$index" ]] && json_str "$index")" \
    start "$(json_uint "$start" START)" \
    limit "$(json_uint "$limit" LIMIT)")"
