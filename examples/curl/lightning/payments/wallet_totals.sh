#!/usr/bin/env bash
# lightning::payments::wallet_totals: received and sent sums of one sub-wallet (keysends routed by record).
# Usage: wallet_totals.sh WALLET_ID [FROM_TIMESTAMP] [TO_TIMESTAMP]
#   WALLET_ID       e.g. wal_JReJMmtQCxsFx3 (record 112111100 or 696969 of received keysends)
#   FROM_TIMESTAMP  unix seconds, inclusive, on created_at (default: the beginning)
#   TO_TIMESTAMP    unix seconds, inclusive (default: now)

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

(($# >= 1)) || usage 2
wallet="$1"
from="${2-}"
to="${3-}"

mmrpc lightning::payments::wallet_totals "$(json_obj \
    coin "$(coin_json)" \
    wallet_id "$(json_str "$wallet")" \
    from_timestamp "$(json_uint "$from" FROM_TIMESTAMP)" \
    to_timestamp "$(json_uint "$to" TO_TIMESTAMP)")"
