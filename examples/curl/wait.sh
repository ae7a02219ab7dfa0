#!/usr/bin/env bash
# wait: Core Lightning's wait, for clients written for CLN.
# Usage: wait.sh SUBSYSTEM INDEXNAME NEXTVALUE [TIMEOUT_SECS]
#   SUBSYSTEM     invoices (payments to this node) or sendpays (payments it sent)
#   INDEXNAME     created, updated or deleted
#   NEXTVALUE     return once the index reaches this value (0: the current value at once)
#   TIMEOUT_SECS  mmln: give up after this long (default 600, at most 600)
# Example: wait.sh invoices created 0

set -euo pipefail
source "$(dirname "$0")/_lib.sh"

subsystem="${1-invoices}"
indexname="${2-created}"
nextvalue="${3-0}"
timeout="${4-}"

MMLN_TIMEOUT="${MMLN_TIMEOUT:-660}"
mmrpc wait "$(json_obj \
    subsystem "$(json_str "$subsystem")" \
    indexname "$(json_str "$indexname")" \
    nextvalue "$(json_uint "$nextvalue" NEXTVALUE)" \
    timeout_secs "$(json_uint "$timeout" TIMEOUT_SECS)")"
