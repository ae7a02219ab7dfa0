#!/usr/bin/env bash
# lightning::events::list_webhook_deliveries: each webhook delivery owed and every attempt.
# Usage: list_webhook_deliveries.sh [FROM_EVENT_INDEX] [LIMIT]
#   FROM_EVENT_INDEX  deliveries of events at or after this index (default 0)
#   LIMIT             at most this many deliveries (default 100)

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

from="${1-0}"
limit="${2-}"

mmrpc lightning::events::list_webhook_deliveries "$(json_obj \
    coin "$(coin_json)" \
    from_event_index "$(json_uint "$from" FROM_EVENT_INDEX)" \
    limit "$(json_uint "$limit" LIMIT)")"
