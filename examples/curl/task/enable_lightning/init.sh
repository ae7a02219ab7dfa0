#!/usr/bin/env bash
# task::enable_lightning::init: KDF's activation call. mmln's node is already running, so the
# task it starts is done at once; kept so KDF clients work unchanged.
# Usage: init.sh [NAME] [LISTENING_PORT]
#   NAME            the node's alias (default "mmln-example")
#   LISTENING_PORT  the P2P port (default: as configured)
# Then: status.sh TASK_ID

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

name="${1-mmln-example}"
listening_port="${2-}"

mmrpc task::enable_lightning::init "$(json_obj \
    ticker "$(coin_json)" \
    activation_params "$(json_obj \
        name "$(json_str "$name")" \
        listening_port "$(json_uint "$listening_port" LISTENING_PORT)")")"
