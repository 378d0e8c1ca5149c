#!/usr/bin/env bash
# Check that the supervisor program still runs (pulumi refresh)
#
# Prints what is wrong and fails when the program is missing or not running,
# or (web) its socket is gone; `pulumi up` then starts it again.
# Inputs: APP, PROGRAM, SOCKET (empty for a worker).
set -euo pipefail
: "${PROGRAM:?}"

state=$(supervisor state "$PROGRAM" 2>&1 || true)
[[ $state == *RUNNING* ]] || { echo "$PROGRAM is not running: $state"; exit 1; }
[[ -z $SOCKET || -S $SOCKET ]] || { echo "$PROGRAM has no socket at $SOCKET"; exit 1; }
[[ -e /etc/supervisor/conf.d/$PROGRAM.conf ]] || { echo "$PROGRAM has no config file"; exit 1; }
