#!/usr/bin/env bash
# lightning::nodes::add_trusted_node: trust a node: it may then open zero-confirmation channels to us.
# Usage: add_trusted_node.sh NODE_ID
#   NODE_ID  the node's public key, 66 hex characters

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

(($# >= 1)) || usage 2

mmrpc lightning::nodes::add_trusted_node "$(json_obj \
    coin "$(coin_json)" \
    node_id "$(json_str "$1")")"
