#!/usr/bin/env bash
# lightning::payments::get_payment_details: one payment (sent or received) by its hash.
# Usage: get_payment_details.sh PAYMENT_HASH
#   PAYMENT_HASH  64 lowercase hex characters, as send_payment or generate_invoice returned it

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

(($# >= 1)) || usage 2
hash="$1"

mmrpc lightning::payments::get_payment_details "$(json_obj \
    coin "$(coin_json)" \
    payment_hash "$(json_str "$hash")")"
