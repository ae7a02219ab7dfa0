#!/usr/bin/env bash
# lightning::offers::list_offers: the BOLT 12 offers this node issued, newest first (mmln).
# Usage: list_offers.sh [--all]
#   --all   also list disabled offers

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

all=""
for arg in "$@"; do
    case "$arg" in
        --all) all="true" ;;
        *) die "unknown argument $arg (see --help)" ;;
    esac
done

mmrpc lightning::offers::list_offers "$(json_obj \
    coin "$(coin_json)" \
    include_disabled "$(json_bool "$all" --all)")"
