#!/usr/bin/env bash
# lightning::offers::request_refund_payment: be paid a BOLT 12 refund someone created for us (mmln).
# Usage: request_refund_payment.sh REFUND
#   REFUND  the lnr1... string from create_refund on the paying node

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

(($# >= 1)) || usage 2

mmrpc lightning::offers::request_refund_payment "$(json_obj \
    coin "$(coin_json)" \
    refund "$(json_str "$1")")"
