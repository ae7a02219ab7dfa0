#!/usr/bin/env bash
# lightning::channels::get_channel_details: one channel, open or closed, by uuid.
# Usage: get_channel_details.sh UUID

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

(($# >= 1)) || usage 2

mmrpc lightning::channels::get_channel_details "$(json_obj \
    coin "$(coin_json)" \
    uuid "$(json_str "$1")")"
