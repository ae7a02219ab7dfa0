#!/usr/bin/env bash
# lightning::wallet::my_balance: the on-chain wallet's balance (spendable and not yet), in BTC
# and in sats.
# Usage: my_balance.sh

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

mmrpc lightning::wallet::my_balance "$(json_obj coin "$(coin_json)")"
