#!/usr/bin/env bash
# lightning::payments::generate_invoice: a BOLT 11 invoice others can pay to this node.
# Usage: generate_invoice.sh [DESCRIPTION] [AMOUNT_IN_MSAT] [EXPIRY_SECS] [PAYMENT_HASH]
#   DESCRIPTION     what the payment is for (default "mmln example invoice")
#   AMOUNT_IN_MSAT  default 10000; pass "" for an invoice the payer chooses the amount of
#   EXPIRY_SECS     seconds until it expires (default: the daemon's, 3600)
#   PAYMENT_HASH    mmln: 64 hex characters; makes a hold invoice for this hash, settled later
#                   with settle_invoice.sh PREIMAGE or canceled with cancel_invoice.sh

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

description="${1-mmln example invoice}"
amount="${2-10000}"
expiry="${3-}"
payment_hash="${4-}"

mmrpc lightning::payments::generate_invoice "$(json_obj \
    coin "$(coin_json)" \
    description "$(json_str "$description")" \
    amount_in_msat "$(json_uint "$amount" AMOUNT_IN_MSAT)" \
    expiry "$(json_uint "$expiry" EXPIRY_SECS)" \
    payment_hash "${payment_hash:+$(json_str "$payment_hash")}")"
