#!/usr/bin/env bash
# lightning::offers::create_refund: a BOLT 12 refund (lnr1...) this node pays to whoever claims it (mmln).
# Usage: create_refund.sh [--expiry=SECS] [--fee-limit-msat=N] AMOUNT_MSAT DESCRIPTION
# The holder claims it with request_refund_payment.sh LNR on their node.

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

expiry="" fee_limit=""
positional=()
for arg in "$@"; do
    case "$arg" in
        --expiry=*) expiry="${arg#*=}" ;;
        --fee-limit-msat=*) fee_limit="${arg#*=}" ;;
        --*) die "unknown option $arg (see --help)" ;;
        *) positional+=("$arg") ;;
    esac
done
((${#positional[@]} >= 2)) || usage 2

mmrpc lightning::offers::create_refund "$(json_obj \
    coin "$(coin_json)" \
    amount_msat "$(json_uint "${positional[0]}" AMOUNT_MSAT)" \
    description "$(json_str "${positional[1]}")" \
    expiry "$(json_uint "$expiry" --expiry)" \
    fee_limit_msat "$(json_uint "$fee_limit" --fee-limit-msat)")"
