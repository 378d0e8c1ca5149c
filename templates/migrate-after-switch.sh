#!/usr/bin/env bash
# Apply the migrations that wait for the switch (app.migrations.afterSwitch)
#
# Runs once the new release serves and its jobs run. When any such migration
# is still pending, every older web and job program of the app is stopped
# first (gracefully: requests in flight finish), so no code that needs the old
# schema runs when it changes; then migrate applies the rest. Nothing pending:
# nothing stopped, nothing changed.
# Inputs: APP, RELEASE_DIR, LIVE (the new release's web and job programs),
# MIGRATE_PY (templates/migrate.py), AFTER_SWITCH.
set -euo pipefail
: "${RELEASE_DIR:?}" "${LIVE:?}" "${MIGRATE_PY:?}" "${AFTER_SWITCH?}"

log() { echo "migrate after the switch: $*" >&2; }

in_release() { # migrate.py PHASE, as the app user in the new release
  runuser -u "$APP" -- env AFTER_SWITCH="$AFTER_SWITCH" "/srv/$APP/bin/release-exec" "$RELEASE_DIR" \
    python "/srv/$APP/bin/migrate.py" "$1" </dev/null
}

# Every program of the app is <app>-<web|job>-<release>-<digest>, but for the site's own nginx
# (<app>-site-<digest>), which never touches the database. App names have no "-".
stop_older_programs() {
  local conf program
  for conf in "/etc/supervisor/conf.d/$APP"-*.conf; do
    [[ -e $conf ]] || continue
    program=$(basename "$conf" .conf)
    [[ $program =~ ^$APP-site-[0-9a-f]{8}$ || " $LIVE " == *" $program "* ]] && continue
    log "stopping $program"
    remove_program "$program"
  done
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
  stop_older_programs
  in_release after >&2 || { log "manage.py migrate failed; the new release keeps serving"; exit 1; }
}

main "$@"
