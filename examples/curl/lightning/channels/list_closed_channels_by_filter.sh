#!/usr/bin/env bash
# lightning::channels::list_closed_channels_by_filter: closed channels, one page at a time.
# Usage: list_closed_channels_by_filter.sh [LIMIT] [PAGE] [FILTER_JSON]
#   LIMIT        page size (default 10)
#   PAGE         a page number (default 1), or a channel uuid to start just after it (FromId)
#   FILTER_JSON  e.g. '{"is_outbound":false}'

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

limit="${1-10}"
page="${2-1}"
filter="${3-}"

mmrpc lightning::channels::list_closed_channels_by_filter "$(json_obj \
    coin "$(coin_json)" \
    filter "$filter" \
    limit "$(json_uint "$limit" LIMIT)" \
    paging_options "$(paging_json "$page")")"
