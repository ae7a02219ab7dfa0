#!/usr/bin/env bash
# lightning::offers::disable_offer: stop an offer of ours from being paid (mmln).
# Usage: disable_offer.sh OFFER_ID
#   OFFER_ID  64 hex characters, from create_offer or list_offers

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

(($# >= 1)) || usage 2

mmrpc lightning::offers::disable_offer "$(json_obj \
    coin "$(coin_json)" \
    offer_id "$(json_str "$1")")"
