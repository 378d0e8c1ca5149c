#!/usr/bin/env bash
# Stop the supervisor program gracefully and remove it
#
# supervisor sends TERM to the whole process group and waits up to the
# program's stopwaitsecs: gunicorn finishes the requests in flight, a worker
# its current loop. Removing an absent program is not an error.
# Set by the renderer: PROGRAM.
# shellcheck disable=SC2154
set -euo pipefail

conf_file=/etc/supervisor/conf.d/$PROGRAM.conf
if [[ -e $conf_file ]]; then
  rm -f "$conf_file"
  supervisorctl update "$PROGRAM" >&2
fi
