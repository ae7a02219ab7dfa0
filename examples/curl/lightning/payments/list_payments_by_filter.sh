#!/usr/bin/env bash
# lightning::payments::list_payments_by_filter: payments, newest change first, one page at a time.
# Usage: list_payments_by_filter.sh [LIMIT] [PAGE] [FILTER_JSON]
#   LIMIT        page size (default 10)
#   PAGE         a page number (default 1), or a payment hash to start just after it (FromId)
#   FILTER_JSON  e.g. '{"status":"succeeded"}', '{"payment_type":{"type":"Inbound Payment"}}',
#                '{"description":"coffee","from_amount_msat":1000}'
# Example: list_payments_by_filter.sh 5 2 '{"status":"succeeded"}'

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

limit="${1-10}"
page="${2-1}"
filter="${3-}"

mmrpc lightning::payments::list_payments_by_filter "$(json_obj \
    coin "$(coin_json)" \
    filter "$filter" \
    limit "$(json_uint "$limit" LIMIT)" \
    paging_options "$(paging_json "$page")")"
