#!/usr/bin/env bash
# lightning::nodes::list_trusted_nodes: the nodes trusted for zero-confirmation channels.
# Usage: list_trusted_nodes.sh

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

mmrpc lightning::nodes::list_trusted_nodes "$(json_obj coin "$(coin_json)")"
