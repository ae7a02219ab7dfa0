#!/usr/bin/env bash
# lightning::keys::revoke: the key stops working at once, open subscriptions included (admin only).
# Usage: revoke.sh ID
#   ID  the key's id, from create or list

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

(($# >= 1)) || usage 2

mmrpc lightning::keys::revoke "$(json_obj \
    coin "$(coin_json)" \
    id "$(json_uint "$1" ID)")"
