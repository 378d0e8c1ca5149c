#!/usr/bin/env bash
# Apply the migrations that wait for the switch (app.migrations.afterSwitch)
#
# Runs once the new release serves and its jobs run. When any such migration
# is still pending, every older web and job program of the app is stopped
# first (gracefully: requests in flight finish), so no code that needs the old
# schema runs when it changes; then migrate applies the rest. Nothing pending:
# nothing stopped, nothing changed.
# Inputs: APP, RELEASE_EXEC, RELEASE_DIR, LIVE (the new release's web and job programs),
# OLDER (a regex matching the names of the app's web and job programs, of any release),
# MIGRATE_PY (templates/migrate.py), AFTER_SWITCH.
set -euo pipefail
: "${RELEASE_EXEC:?}" "${RELEASE_DIR:?}" "${LIVE:?}" "${OLDER:?}" "${MIGRATE_PY:?}" "${AFTER_SWITCH?}"

log() { echo "migrate after the switch: $*" >&2; }

in_release() { # migrate.py PHASE, as the app user in the new release
  runuser -u "$APP" -- env AFTER_SWITCH="$AFTER_SWITCH" "$RELEASE_EXEC" "$RELEASE_DIR" \
    python "$MIGRATE_PY_FILE" "$1" </dev/null
}

main() {
  take_host_lock
  install_migrate_py
  local pending
  # Only its own lines: settings or manage.py may print too.
  pending=$(in_release pending | sed -n 's/^pending: //p')
  if [[ -z $pending ]]; then
    log "nothing pending"
    return
  fi
  # The site's own nginx never touches the database: it keeps running.
  remove_programs_matching "$OLDER" "$LIVE" "older than the release that migrates"
  in_release after >&2 || { log "manage.py migrate failed; the new release keeps serving"; exit 1; }
}

main "$@"
