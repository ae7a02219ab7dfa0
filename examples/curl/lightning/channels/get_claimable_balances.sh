#!/usr/bin/env bash
# lightning::channels::get_claimable_balances: funds of closed channels on their way back to the
# wallet, and with INCLUDE_OPEN true those of open channels too.
# Usage: get_claimable_balances.sh [INCLUDE_OPEN]
#   INCLUDE_OPEN  true or false (default: the daemon's, false)

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

mmrpc lightning::channels::get_claimable_balances "$(json_obj \
    coin "$(coin_json)" \
    include_open_channels_balances "$(json_bool "${1-}" INCLUDE_OPEN)")"
