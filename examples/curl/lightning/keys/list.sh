#!/usr/bin/env bash
# lightning::keys::list: every access key, revoked and expired ones too (admin only); never a token.
# Usage: list.sh

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

mmrpc lightning::keys::list "$(json_obj coin "$(coin_json)")"
