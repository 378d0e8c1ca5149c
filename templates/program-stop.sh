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
owner=$(cat "/etc/supervisor/conf.d/.$PROGRAM.owner" 2>/dev/null || true)
if [[ -n $owner && $owner != "$RESOURCE_ID" ]]; then
  echo "$PROGRAM left running: it belongs to resource $owner now" >&2
  exit 0
fi
remove_program "$PROGRAM" "$DIR"
