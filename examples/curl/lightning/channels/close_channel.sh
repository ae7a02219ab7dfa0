#!/usr/bin/env bash
# lightning::channels::close_channel: close a channel, cooperatively or by force.
# Usage: close_channel.sh UUID [FORCE_CLOSE]
#   UUID         the channel's uuid (open_channel or list_open_channels_by_filter gives it)
#   FORCE_CLOSE  true to broadcast our latest commitment without the peer (default false)

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

(($# >= 1)) || usage 2

mmrpc lightning::channels::close_channel "$(json_obj \
    coin "$(coin_json)" \
    uuid "$(json_str "$1")" \
    force_close "$(json_bool "${2-}" FORCE_CLOSE)")"
