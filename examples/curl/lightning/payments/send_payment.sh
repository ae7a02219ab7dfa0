#!/usr/bin/env bash
# lightning::payments::send_payment: pay a BOLT 11 invoice, a BOLT 12 offer, or keysend to a node.
# Usage: send_payment.sh [OPTIONS] INVOICE
#        send_payment.sh [OPTIONS] OFFER                                 (lno1..., mmln)
#        send_payment.sh [OPTIONS] DESTINATION_PUBKEY [AMOUNT_IN_MSAT]   (keysend, default 10000)
# Options:
#   --amount-msat=N        amount for an invoice or offer without one (keysend: same as AMOUNT_IN_MSAT)
#   --quantity=N           offer: how many items (when the offer sells several)
#   --payer-note=TEXT      offer: a note shown to the offer's issuer
#   --expiry=BLOCKS        keysend final CLTV delta in blocks (at least 24; default the daemon's)
#   --custom-records=JSON  keysend onion records, keys >= 65536, e.g.
#                          '{"7629169":{"json":{"action":"boost","podcast":"Sandbox FM"}},"696969":"hello"}'
#                          (values: "text", {"text":..}, {"hex":..} or {"json":..})
#   --fee-limit-msat=N     most routing fee to pay (default: the daemon's)
#   --metadata=JSON        your own object, stored with the payment and returned with it
#   --wait=SECS            wait up to SECS for the payment to succeed or fail (default: return at once)
# Returns as soon as the payment is on its way; follow it with get_payment_details.sh.

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

amount="" expiry="" records="" fee_limit="" metadata="" wait="" quantity="" note=""
positional=()
for arg in "$@"; do
    case "$arg" in
        --amount-msat=*) amount="${arg#*=}" ;;
        --expiry=*) expiry="${arg#*=}" ;;
        --custom-records=*) records="${arg#*=}" ;;
        --fee-limit-msat=*) fee_limit="${arg#*=}" ;;
        --metadata=*) metadata="${arg#*=}" ;;
        --wait=*) wait="${arg#*=}" ;;
        --quantity=*) quantity="${arg#*=}" ;;
        --payer-note=*) note="${arg#*=}" ;;
        --*) die "unknown option $arg (see --help)" ;;
        *) positional+=("$arg") ;;
    esac
done
((${#positional[@]} >= 1)) || usage 2
target="${positional[0]}"

if [[ "$target" =~ ^(02|03)[0-9a-fA-F]{64}$ ]]; then
    amount="${positional[1]:-${amount:-10000}}"
    payment=$(json_obj \
        type '"keysend"' \
        destination "$(json_str "$target")" \
        amount_in_msat "$(json_uint "$amount" AMOUNT_IN_MSAT)" \
        expiry "$(json_uint "$expiry" --expiry)" \
        custom_records "$records" \
        fee_limit_msat "$(json_uint "$fee_limit" --fee-limit-msat)" \
        metadata "$metadata")
elif [[ "$target" =~ ^[lL][nN][oO]1 ]]; then
    [[ -z "$records" && -z "$expiry" ]] || die "--custom-records and --expiry are for keysend only"
    note_json=""
    [[ -z "$note" ]] || note_json="$(json_str "$note")"
    payment=$(json_obj \
        type '"offer"' \
        offer "$(json_str "$target")" \
        amount_in_msat "$(json_uint "$amount" --amount-msat)" \
        quantity "$(json_uint "$quantity" --quantity)" \
        payer_note "$note_json" \
        fee_limit_msat "$(json_uint "$fee_limit" --fee-limit-msat)" \
        metadata "$metadata")
else
    [[ -z "$records" && -z "$expiry" ]] || die "--custom-records and --expiry are for keysend only"
    payment=$(json_obj \
        type '"invoice"' \
        invoice "$(json_str "$target")" \
        amount_in_msat "$(json_uint "$amount" --amount-msat)" \
        fee_limit_msat "$(json_uint "$fee_limit" --fee-limit-msat)" \
        metadata "$metadata")
fi

mmrpc lightning::payments::send_payment "$(json_obj \
    coin "$(coin_json)" \
    payment "$payment" \
    wait_timeout_secs "$(json_uint "$wait" --wait)")"
