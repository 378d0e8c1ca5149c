#!/usr/bin/env bash
# Stop the supervisor program gracefully and remove it
#
# See remove_program in prelude.sh. A program another resource has taken over
# stays: after a failed `up`, the old resource (pending delete) and the new one
# can define the same program, and only its owner may stop it.
# Inputs: APP, PROGRAM, DIR (the program's own files, or empty), RESOURCE_ID.
set -euo pipefail
: "${PROGRAM:?}" "${DIR?}" "${RESOURCE_ID:?}"

take_host_lock shared
# Stops share the host lock; two of the same program (a retry beside a stop orphaned by a dropped
# connection) still go one after the other. The lock files are empty and /run goes at boot.
install -d -m 700 "$LOCK_DIR/stops"
exec 9<>"$LOCK_DIR/stops/$PROGRAM.lock"
flock -w "${LOCK_WAIT:?}" 9 || { echo "gave up after ${LOCK_WAIT}s waiting for another stop of $PROGRAM" >&2; exit 75; }
owner=$(cat "/etc/supervisor/conf.d/.$PROGRAM.owner" 2>/dev/null || true)
if [[ -n $owner && $owner != "$RESOURCE_ID" ]]; then
  echo "$PROGRAM left running: it belongs to resource $owner now" >&2
  exit 0
fi
remove_program "$PROGRAM" "$DIR"
