#!/usr/bin/env bash
# task::enable_lightning::status: the state of an activation task (InProgress, Ok or Error).
# Usage: status.sh TASK_ID
#   TASK_ID  what init.sh returned

set -euo pipefail
source "$(dirname "$0")/../../_lib.sh"

(($# >= 1)) || usage 2

mmrpc task::enable_lightning::status "$(json_obj \
    task_id "$(json_uint "$1" TASK_ID)")"
