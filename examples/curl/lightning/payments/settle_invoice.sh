#!/usr/bin/env bash
# lightning::payments::settle_invoice: claims a held hold-invoice payment (mmln).
# Usage: settle_invoice.sh PREIMAGE
#   PREIMAGE  64 lowercase hex characters whose SHA-256 is the hold invoice's payment_hash

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

(($# >= 1)) || usage 2
preimage="$1"

mmrpc lightning::payments::settle_invoice "$(json_obj \
    coin "$(coin_json)" \
    preimage "$(json_str "$preimage")")"
