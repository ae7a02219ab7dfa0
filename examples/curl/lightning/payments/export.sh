#!/usr/bin/env bash
# lightning::payments::export: filtered payments as CSV with decoded bLIP-10 columns (the result's csv field).
# Usage: export.sh [FILTER_JSON] [LIMIT]
#   FILTER_JSON  a list_payments_by_filter filter, e.g. '{"blip10.podcast":"Podcasting 2.0","has_message":true}'
#                or '{"wallet_id":"wal_JReJMmtQCxsFx3"}'
#   LIMIT        rows at most (default 10000, at most 100000)
# Example (the CSV alone, with jq): export.sh '{"blip10.action":"boost"}' | jq -r .result.csv > boosts.csv

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

filter="${1-}"
limit="${2-}"

mmrpc lightning::payments::export "$(json_obj \
    coin "$(coin_json)" \
    filter "$filter" \
    format '"csv"' \
    limit "$(json_uint "$limit" LIMIT)")"
