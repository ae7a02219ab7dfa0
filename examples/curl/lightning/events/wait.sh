#!/usr/bin/env bash
# lightning::events::wait: long-poll until an event at or after FROM_INDEX exists.
# Usage: wait.sh [FROM_INDEX] [TIMEOUT_SECS] [KINDS]
#   FROM_INDEX    the first event_index wanted (default 0)
#   TIMEOUT_SECS  give up after this long with no events (default 60, at most 600)
#   KINDS         comma-separated kinds or categories (default: every kind)
# An empty `events` means the timeout passed; call again with next_index.
# Follow the feed: i=0; while :; do i=$(wait.sh $i | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["next_index"])'); done

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

from="${1-0}"
timeout="${2-}"
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

MMLN_TIMEOUT="${MMLN_TIMEOUT:-660}"
mmrpc lightning::events::wait "$(json_obj \
    coin "$(coin_json)" \
    from_index "$(json_uint "$from" FROM_INDEX)" \
    timeout_secs "$(json_uint "$timeout" TIMEOUT_SECS)" \
    kinds "$kinds_json")"
