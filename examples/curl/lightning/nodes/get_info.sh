#!/usr/bin/env bash
# lightning::nodes::get_info: the node at a glance: node id, network, chain tip, peers, channel
# counts, balances, listening addresses. Ask a sandbox peer for its node id with MMLN_PORT=7784.
# Usage: get_info.sh

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

mmrpc lightning::nodes::get_info "$(json_obj coin "$(coin_json)")"
