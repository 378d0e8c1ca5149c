#!/usr/bin/env bash
# Stop the supervisor program gracefully and remove it
#
# supervisor sends TERM to the whole process group and waits up to the
# program's stopwaitsecs: gunicorn finishes the requests in flight, a worker
# its current loop. The config file goes last, so a stop that failed leaves
# the program known and the step fails; a retry finds it again. Removing an
# absent program is not an error.
# Inputs: APP, PROGRAM, DIR (the program's own files, or empty).
set -euo pipefail
: "${PROGRAM:?}" "${DIR?}"

conf_file=/etc/supervisor/conf.d/$PROGRAM.conf

# Known to supervisord in any state (status exits non-zero for STOPPED, EXITED, FATAL...).
known() {
  local out
  out=$(supervisorctl status "$PROGRAM" 2>&1 || true)
  [[ $out != *"no such process"* ]]
}

main() {
  take_host_lock
  if known; then
    supervisorctl stop "$PROGRAM" >&2 || true
    supervisorctl remove "$PROGRAM" >&2 || true
  fi
  if known; then
    echo "could not stop $PROGRAM: $(supervisorctl status "$PROGRAM" 2>&1)" >&2
    exit 1
  fi
  rm -f "$conf_file" "/etc/supervisor/conf.d/.$PROGRAM.healthy"
  [[ -z $DIR ]] || rm -rf "$DIR"
}

main "$@"
