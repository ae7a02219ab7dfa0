#!/usr/bin/env bash
# version: the daemon's version and when its RPC server started.
# Usage: version.sh

set -euo pipefail
source "$(dirname "$0")/_lib.sh"

mmrpc version
