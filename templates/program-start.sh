#!/usr/bin/env bash
# Start the supervisor program beside the running ones and wait until it is healthy
#
# Adds one program as `supervisorctl update NAME` does (never `reload`, which
# restarts every program). A web program is healthy when its own unix socket
# answers the health check; a worker when supervisor reports it RUNNING. If it
# never gets healthy, the program is removed again and the step fails with
# the last response and the tail of the program's log: the release that was
# serving keeps serving. Running it again for a program that exists (a retry,
# or a repair after `pulumi refresh` found it stopped) starts it if needed and
# checks it again.
# Inputs: APP, PROGRAM, CONF, LOG, TIMEOUT; for a program checked over HTTP:
# SOCKET, CHECK_PATH, CHECK_HOST, EXPECT_STATUS (empty: any 2xx or 3xx), EXPECT_TEXT (may be empty);
# for a program with files of its own (the site program): DIR (created here,
# removed with the program), FILE and FILE_CONTENT (written first), optionally
# MODULE_FILE and MODULE_CONTENT (a file FILE loads), TEST (a
# command that must accept FILE before the program is added); for a singleton
# job: EXCLUSIVE, a regex matching the names of the job's programs (others are stopped first).
# RESOURCE_ID (the resource running this) becomes the program's owner: see program-stop.sh.
set -euo pipefail
: "${PROGRAM:?}" "${CONF:?}" "${LOG:?}" "${TIMEOUT:?}" "${RESOURCE_ID:?}"
SOCKET=${SOCKET:-}
DIR=${DIR:-}
EXCLUSIVE=${EXCLUSIVE:-}

conf_file=/etc/supervisor/conf.d/$PROGRAM.conf
# Written once the program first passed its check: from then on a failed
# re-check (a repair) fails the step but never removes the program.
healthy_mark=/etc/supervisor/conf.d/.$PROGRAM.healthy
body=$(mktemp)
last="no response yet"

check_web() {
  local status
  status=$(curl -sS --globoff --max-time 10 --unix-socket "$SOCKET" -H "Host: $CHECK_HOST" \
    -o "$body" -w '%{http_code}' "http://localhost$CHECK_PATH" 2>&1) || { last="connection failed: $status"; return 1; }
  last="HTTP $status: $(head -c 300 "$body" | tr '\n' ' ')"
  # Unset, a redirect passes (a real app's "/" often sends to a login page), a 4xx never does
  # (a 400 is ALLOWED_HOSTS refusing the site's name). curl does not follow the redirect.
  if [[ -n $EXPECT_STATUS ]]; then
    [[ $status == "$EXPECT_STATUS" ]] || return 1
  else
    [[ $status == [23][0-9][0-9] ]] || return 1
  fi
  [[ -z $EXPECT_TEXT ]] || grep -qF -- "$EXPECT_TEXT" "$body"
}

# supervisord says RUNNING only once the process has lived startsecs (the job's config, 1 s): a
# job that dies within it never gets there; one that dies later is supervisord's to restart.
check_worker() {
  last=$(supervisor state "$PROGRAM" 2>&1 || true)
  [[ $last == *RUNNING* ]]
}

healthy() {
  if [[ -n $SOCKET ]]; then check_web; else check_worker; fi
}

# A program that never got healthy goes again, quietly (give_up says why).
discard_unhealthy() {
  [[ ! -e $healthy_mark ]] || return 0
  remove_program "$PROGRAM" "$DIR" >/dev/null 2>&1 || true
}

# A singleton job never runs twice: any other program of the job (one a
# killed deploy left behind included) stops before this one starts.
stop_others() {
  [[ -z $EXCLUSIVE ]] || remove_programs_matching "$EXCLUSIVE" "$PROGRAM" "only one may run"
}

write_files() {
  [[ -n $DIR ]] || return 0
  install -d -m 755 "$DIR"
  [[ -z ${MODULE_FILE:-} ]] || install_file "$MODULE_CONTENT" "$MODULE_FILE"
  install_file "$FILE_CONTENT" "$FILE"
  local out
  if ! out=$(bash -c "$TEST" 2>&1); then
    echo "$out" >&2
    echo "$PROGRAM: $TEST rejected $FILE" >&2
    exit 1
  fi
}

# A run that ends before the program was healthy (failed, timed out, killed
# by a signal) leaves no config that supervisor would start at its next start.
on_exit() {
  rm -f "$body"
  discard_unhealthy
}

give_up() {
  {
    if [[ -n $SOCKET ]]; then
      echo "health check failed: GET $CHECK_PATH on $SOCKET did not answer ${EXPECT_STATUS:-2xx or 3xx}${EXPECT_TEXT:+ containing \"$EXPECT_TEXT\"} within ${TIMEOUT}s"
    else
      echo "$PROGRAM did not stay RUNNING within ${TIMEOUT}s"
    fi
    echo "last response: $last"
    echo "--- last lines of $LOG:"
    tail -n 25 "$LOG" 2>/dev/null || echo "(no log)"
  } >&2
  discard_unhealthy
  exit 1
}

main() {
  take_host_lock
  trap on_exit EXIT
  trap 'exit 143' TERM HUP INT
  stop_others
  write_files
  install_file "$CONF" "$conf_file"
  echo "$RESOURCE_ID" >"/etc/supervisor/conf.d/.$PROGRAM.owner"
  supervisor start "$PROGRAM" >&2
  local deadline=$((SECONDS + TIMEOUT))
  local started=$SECONDS next_note=$((SECONDS + 5))
  progress "$PROGRAM started; checking it (up to ${TIMEOUT}s)"
  until healthy; do
    ((SECONDS < deadline)) || give_up
    if ((SECONDS >= next_note)); then
      progress "$PROGRAM not healthy yet after $((SECONDS - started)) s: $last"
      next_note=$((SECONDS + 5))
    fi
    sleep 0.1
  done
  touch "$healthy_mark"
  progress "$PROGRAM healthy after $((SECONDS - started)) s: $last"
}

main "$@"
