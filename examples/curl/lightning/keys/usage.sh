#!/usr/bin/env bash
# lightning::keys::usage: what a key spent in its current budget period, and its payments (admin only).
# Usage: usage.sh ID
#   ID  the key's id, from create or list

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

(($# >= 1)) || usage 2

mmrpc lightning::keys::usage "$(json_obj \
    coin "$(coin_json)" \
    id "$(json_uint "$1" ID)")"
