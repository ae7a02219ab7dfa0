#!/usr/bin/env bash
# lightning::channels::update_channel: change a channel's forwarding fees and limits.
# Usage: update_channel.sh UUID [CHANNEL_OPTIONS_JSON]
#   CHANNEL_OPTIONS_JSON  default '{"proportional_fee_in_millionths_sats":200,"base_fee_msat":1000}';
#                         also cltv_expiry_delta, max_dust_htlc_exposure_msat,
#                         force_close_avoidance_max_fee_sats

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

(($# >= 1)) || usage 2
options="${2:-{\"proportional_fee_in_millionths_sats\":200,\"base_fee_msat\":1000\}}"

mmrpc lightning::channels::update_channel "$(json_obj \
    coin "$(coin_json)" \
    uuid "$(json_str "$1")" \
    channel_options "$options")"
