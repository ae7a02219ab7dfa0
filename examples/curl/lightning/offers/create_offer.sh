#!/usr/bin/env bash
# lightning::offers::create_offer: a BOLT 12 offer, a reusable lno1... payment code (mmln).
# Usage: create_offer.sh [OPTIONS] DESCRIPTION
# Options:
#   --amount-msat=N    price per item (default: the payer chooses the amount)
#   --quantity-max=N   items per payment: 0 any number, N at most N (default: one)
#   --expiry=SECS      seconds until the offer expires (default: never)
#   --issuer=TEXT      who issues it, shown to payers
# Pay it from another node: send_payment.sh LNO [--amount-msat=N] [--quantity=N]

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

amount="" quantity_max="" expiry="" issuer=""
positional=()
for arg in "$@"; do
    case "$arg" in
        --amount-msat=*) amount="${arg#*=}" ;;
        --quantity-max=*) quantity_max="${arg#*=}" ;;
        --expiry=*) expiry="${arg#*=}" ;;
        --issuer=*) issuer="${arg#*=}" ;;
        --*) die "unknown option $arg (see --help)" ;;
        *) positional+=("$arg") ;;
    esac
done
((${#positional[@]} >= 1)) || usage 2

issuer_json=""
[[ -z "$issuer" ]] || issuer_json="$(json_str "$issuer")"
mmrpc lightning::offers::create_offer "$(json_obj \
    coin "$(coin_json)" \
    description "$(json_str "${positional[0]}")" \
    amount_msat "$(json_uint "$amount" --amount-msat)" \
    quantity_max "$(json_uint "$quantity_max" --quantity-max)" \
    expiry "$(json_uint "$expiry" --expiry)" \
    issuer "$issuer_json")"
