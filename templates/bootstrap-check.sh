#!/usr/bin/env bash
# Check that the host's services run (pulumi refresh)
# Inputs: APP, DB_LOCAL (1 or 0), ROOT, RELEASE_EXEC.
set -euo pipefail
: "${DB_LOCAL:?}" "${ROOT:?}" "${RELEASE_EXEC:?}"

running() { # NAME PIDFILE
  local pid
  pid=$(cat "$2" 2>/dev/null || true)
  if [[ -z $pid ]] || ! kill -0 "$pid" 2>/dev/null; then echo "$1 is not running"; exit 1; fi
}
running nginx /run/nginx.pid
running supervisor /run/supervisord.pid
if [[ $DB_LOCAL == 1 ]]; then pg_isready -q || { echo "PostgreSQL is not running"; exit 1; }; fi
[[ -x $RELEASE_EXEC ]] || { echo "$ROOT is not set up"; exit 1; }
