#!/usr/bin/env bash
# Start the supervisor program beside the running ones and wait until it is healthy
#
# Adds one program with `supervisorctl update NAME` (never `reload`, which
# restarts every program). A web program is healthy when its own unix socket
# answers the health check; a worker when supervisor reports it RUNNING. If it
# never gets healthy, the program is removed again and the step fails with
# the last response and the tail of the program's log: the release that was
# serving keeps serving.
# Set by the renderer: PROGRAM, CONF, LOG, TIMEOUT, and for a web program:
# SOCKET, CHECK_PATH, CHECK_HOST, EXPECT_STATUS, EXPECT_TEXT (may be empty).
# shellcheck disable=SC2154
set -euo pipefail

conf_file=/etc/supervisor/conf.d/$PROGRAM.conf
body=$(mktemp)
trap 'rm -f "$body"' EXIT
last="no response yet"

check_web() {
  local status
  status=$(curl -sS --max-time 10 --unix-socket "$SOCKET" -H "Host: $CHECK_HOST" \
    -o "$body" -w '%{http_code}' "http://localhost$CHECK_PATH" 2>&1) || { last="connection failed: $status"; return 1; }
  last="HTTP $status: $(head -c 300 "$body" | tr '\n' ' ')"
  [[ $status == "$EXPECT_STATUS" ]] || return 1
  [[ -z $EXPECT_TEXT ]] || grep -qF -- "$EXPECT_TEXT" "$body"
}

check_worker() {
  local state
  state=$(supervisorctl status "$PROGRAM" 2>&1 || true)
  last=$state
  [[ $state == *RUNNING* ]]
}

healthy() {
  if [[ -n ${SOCKET:-} ]]; then check_web; else check_worker; fi
}

give_up() {
  {
    if [[ -n ${SOCKET:-} ]]; then
      echo "health check failed: GET $CHECK_PATH on $SOCKET did not answer $EXPECT_STATUS${EXPECT_TEXT:+ containing \"$EXPECT_TEXT\"} within ${TIMEOUT}s"
    else
      echo "$PROGRAM did not stay RUNNING within ${TIMEOUT}s"
    fi
    echo "last response: $last"
    echo "--- last lines of $LOG:"
    tail -n 25 "$LOG" 2>/dev/null || echo "(no log)"
  } >&2
  rm -f "$conf_file"
  supervisorctl update "$PROGRAM" >/dev/null || true
  exit 1
}

main() {
  printf '%s\n' "$CONF" >"$conf_file.new"
  mv -f "$conf_file.new" "$conf_file"
  supervisorctl update "$PROGRAM" >&2
  local deadline=$((SECONDS + TIMEOUT))
  # A worker must still be RUNNING after supervisor's startsecs, not just started.
  [[ -n ${SOCKET:-} ]] || sleep 2
  until healthy; do
    ((SECONDS < deadline)) || give_up
    sleep 0.5
  done
  echo "$PROGRAM healthy: $last" >&2
}

main "$@"
