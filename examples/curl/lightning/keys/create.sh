#!/usr/bin/env bash
# lightning::keys::create: a new access key (admin only); the token is printed once, store it.
# Usage: create.sh LABEL SCOPE [MAX_PAYMENT_MSAT] [BUDGET_MSAT] [BUDGET_PERIOD] [EXPIRES_AT]
#   LABEL             what the key is for, e.g. "shop web server"
#   SCOPE             readonly, invoice or admin; or a comma-separated list of method names
#   MAX_PAYMENT_MSAT  largest single payment (amount plus fee limit)
#   BUDGET_MSAT       most spent per BUDGET_PERIOD (amount plus fees)
#   BUDGET_PERIOD     hour, day, week or month (a rolling window)
#   EXPIRES_AT        unix seconds after which the key stops working
# Example: create.sh "podcast app" lightning::payments::send_payment 100000 5000000 day

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

(($# >= 2)) || usage 2

scope="" methods=""
case "$2" in
    readonly | invoice | admin) scope="$(json_str "$2")" ;;
    *)
        IFS=',' read -ra names <<<"$2"
        methods="["
        sep=""
        for name in "${names[@]}"; do
            methods+="$sep$(json_str "$name")"
            sep=","
        done
        methods+="]"
        ;;
esac
period=""
[[ -n "${5-}" ]] && period="$(json_str "$5")"

mmrpc lightning::keys::create "$(json_obj \
    coin "$(coin_json)" \
    label "$(json_str "$1")" \
    scope "$scope" \
    methods "$methods" \
    max_payment_msat "$(json_uint "${3-}" MAX_PAYMENT_MSAT)" \
    budget_msat "$(json_uint "${4-}" BUDGET_MSAT)" \
    budget_period "$period" \
    expires_at "$(json_uint "${6-}" EXPIRES_AT)")"
