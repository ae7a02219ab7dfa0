#!/usr/bin/env bash
# lightning::wallet::get_new_address: a fresh address of the node's on-chain wallet, to fund it.
# Usage: get_new_address.sh

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

mmrpc lightning::wallet::get_new_address "$(json_obj coin "$(coin_json)")"
