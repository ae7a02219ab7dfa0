#!/usr/bin/env bash
# lightning::events::list: the node's event log from a cursor, oldest first.
# Usage: list.sh [FROM_INDEX] [LIMIT] [KINDS]
#   FROM_INDEX  the first event_index wanted (default 0: the oldest kept)
#   LIMIT       at most this many events (default 100, at most 1000)
#   KINDS       comma-separated kinds or categories, e.g. payment or
#               payment_succeeded,channel_closed (default: every kind)
# Continue with the answer's next_index as FROM_INDEX.

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

from="${1-0}"
limit="${2-}"
kinds="${3-}"

kinds_json=""
if [[ -n "$kinds" ]]; then
    kinds_json="["
    sep=""
    IFS=',' read -ra words <<<"$kinds"
    for w in "${words[@]}"; do
        kinds_json+="$sep$(json_str "$w")"
        sep=","
    done
    kinds_json+="]"
fi

mmrpc lightning::events::list "$(json_obj \
    coin "$(coin_json)" \
    from_index "$(json_uint "$from" FROM_INDEX)" \
    limit "$(json_uint "$limit" LIMIT)" \
    kinds "$kinds_json")"
