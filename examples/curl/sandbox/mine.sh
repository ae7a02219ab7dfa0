#!/usr/bin/env bash
# sandbox::mine: mine blocks on the sandbox's regtest chain (only mmln sandbox routes it), e.g.
# to confirm a channel open or close deeper, or to let a force-close's delay pass.
# Usage: mine.sh [BLOCKS]
#   BLOCKS  how many (default 1, at most 1000)

set -euo pipefail
source "$(dirname "$0")/../_lib.sh"

mmrpc sandbox::mine "$(json_obj \
    blocks "$(json_uint "${1-}" BLOCKS)")"
