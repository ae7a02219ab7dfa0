#!/usr/bin/env bash
# lightning::nodes::connect_to_node: connect to a Lightning node over TCP.
# Usage: connect_to_node.sh NODE_ADDRESS
#   NODE_ADDRESS  pubkey@host:port

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

(($# >= 1)) || usage 2

mmrpc lightning::nodes::connect_to_node "$(json_obj \
    coin "$(coin_json)" \
    node_address "$(json_str "$1")")"
