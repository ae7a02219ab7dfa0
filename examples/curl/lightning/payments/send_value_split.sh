#!/usr/bin/env bash
# lightning::payments::send_value_split: pay a Podcasting 2.0 value block, one keysend per recipient.
# Usage: send_value_split.sh TOTAL_MSAT RECIPIENTS_JSON [IDEMPOTENCY_KEY] [RECORDS_JSON] [WAIT_SECS]
#   TOTAL_MSAT       what the listener pays in all, before splits
#   RECIPIENTS_JSON  e.g. '[{"name":"Host","destination":"02ab...","split":90},
#                          {"name":"App","destination":"03cd...","split":1,"fee":true}]'
#                    fee recipients take split% off the top; the rest is shared by split
#   IDEMPOTENCY_KEY  e.g. episode-45-minute-36; a retry with it re-pays only failed recipients
#   RECORDS_JSON     common custom records, e.g. '{"7629169":{"json":{"podcast":"P","action":"stream"}}}'
#   WAIT_SECS        wait up to this long for every recipient to be final (default 60)
# Example: send_value_split.sh 100000 "$(cat recipients.json)" minute-1

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

(($# >= 2)) || usage 2
total="$1"
recipients="$2"
key="${3-}"
records="${4-}"
wait_secs="${5-60}"

mmrpc lightning::payments::send_value_split "$(json_obj \
    coin "$(coin_json)" \
    total_msat "$(json_uint "$total" TOTAL_MSAT)" \
    recipients "$recipients" \
    custom_records "$records" \
    idempotency_key "$([[ -n "$key" ]] && json_str "$key")" \
    wait_timeout_secs "$(json_uint "$wait_secs" WAIT_SECS)")"
