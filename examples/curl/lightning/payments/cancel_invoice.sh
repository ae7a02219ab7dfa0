#!/usr/bin/env bash
# lightning::payments::cancel_invoice: cancels a hold invoice, failing back any held payment (mmln).
# Usage: cancel_invoice.sh PAYMENT_HASH
#   PAYMENT_HASH  64 lowercase hex characters, the hold invoice's payment_hash

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

(($# >= 1)) || usage 2
hash="$1"

mmrpc lightning::payments::cancel_invoice "$(json_obj \
    coin "$(coin_json)" \
    payment_hash "$(json_str "$hash")")"
