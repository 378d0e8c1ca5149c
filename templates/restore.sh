#!/usr/bin/env bash
# Restore the app's database from an archive
#
# Installed on the host as BIN_DIR/restore by backup-install.sh; run by `npm run ops -- restore`.
# The archive goes into a fresh database first, while the site serves from the live one. Then,
# in maintenance (every request gets the maintenance page: no request sees a half-switched
# database), the live database is renamed aside (kept, as DATABASE_before_TIME) and the fresh
# one takes its name. Any failure before the rename leaves the live database serving.
# After the swap the live release's gunicorn reloads its workers gracefully (HUP) and its jobs
# restart, so no process keeps a connection to the database that was renamed aside.
# Inputs: APP, DATABASE, DEFAULT_PAGE (the maintenance page when none is set); ARCHIVE (env).
set -euo pipefail
: "${DATABASE:?}" "${DEFAULT_PAGE:?}" "${ARCHIVE:?}"
# Run by hand, not by a deploy: how long to wait for a deploy holding the host lock.
LOCK_WAIT=${LOCK_WAIT:-600}

stamp=$(date -u +%Y%m%d%H%M%S)
fresh=${DATABASE}_restore_$stamp
before=${DATABASE}_before_$stamp
cd /

sql() { runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qAt -d postgres -c "$1"; }

restore_fresh() {
  local owner
  owner=$(sql "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '$DATABASE'")
  [[ -n $owner ]] || { echo "no database $DATABASE on this host" >&2; exit 1; }
  progress "restoring $(basename "$ARCHIVE") into $fresh"
  runuser -u postgres -- createdb -O "$owner" "$fresh"
  if ! runuser -u postgres -- pg_restore --no-owner --role="$owner" --exit-on-error -d "$fresh" <"$ARCHIVE"; then
    sql "DROP DATABASE IF EXISTS $fresh" || true
    echo "pg_restore failed: the live database is untouched" >&2
    exit 1
  fi
}

maintenance_was_on=0
maintenance_on() {
  if [[ -e $MAINTENANCE_FLAG ]]; then maintenance_was_on=1; return; fi
  install -d -m 755 "$MAINTENANCE_DIR"
  [[ -f $MAINTENANCE_PAGE ]] || install_file "$DEFAULT_PAGE" "$MAINTENANCE_PAGE" 644
  touch "$MAINTENANCE_FLAG"
}
maintenance_off() {
  ((maintenance_was_on)) || rm -f "$MAINTENANCE_FLAG"
}

# Requests in flight finish: no backend busy (running a query or inside a transaction) for a
# whole second, up to 30 s; then the last connections go.
close_connections() {
  local deadline=$((SECONDS + 30)) quiet=0
  while ((quiet < 5 && SECONDS < deadline)); do
    if [[ $(sql "SELECT count(*) FROM pg_stat_activity WHERE datname = '$DATABASE' AND state <> 'idle' AND pid <> pg_backend_pid()") == 0 ]]; then
      quiet=$((quiet + 1))
    else
      quiet=0
    fi
    sleep 0.2
  done
  sql "ALTER DATABASE $DATABASE ALLOW_CONNECTIONS false"
  sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$DATABASE' AND pid <> pg_backend_pid()" >/dev/null
}

db_exists() { [[ $(sql "SELECT 1 FROM pg_database WHERE datname = '$1'") == 1 ]]; }

# Whatever failed, the live data keeps its name and takes connections again.
on_failure() {
  if ! db_exists "$DATABASE" && db_exists "$before"; then
    sql "ALTER DATABASE $before RENAME TO $DATABASE" || true
  fi
  sql "ALTER DATABASE $DATABASE ALLOW_CONNECTIONS true" >/dev/null 2>&1 || true
  maintenance_off
}

# The live release's programs reconnect: gunicorn replaces its workers gracefully, jobs restart.
reconnect_programs() {
  local live program
  live=$(basename "$(readlink -f "$CURRENT_RELEASE")")
  for program in $(app_programs | sort -u); do
    case $program in
      "$APP-web-$live-"*) supervisorctl signal HUP "$program" >/dev/null || true ;;
      "$APP-"*"-$live-"*) supervisorctl restart "$program" >/dev/null || true ;;
    esac
  done
}

main() {
  take_host_lock
  take_backup_lock
  restore_fresh
  local started=$SECONDS
  maintenance_on
  # From here a lost SSH session must not stop the swap halfway.
  trap '' HUP INT PIPE
  trap on_failure EXIT
  close_connections
  sql "ALTER DATABASE $DATABASE RENAME TO $before"
  sql "ALTER DATABASE $fresh RENAME TO $DATABASE"
  sql "ALTER DATABASE $before ALLOW_CONNECTIONS true"
  trap - EXIT
  reconnect_programs
  maintenance_off
  echo "restored $(basename "$ARCHIVE") into $DATABASE; in maintenance $((SECONDS - started)) s"
  echo "the database before is kept as $before (drop it when done: runuser -u postgres -- dropdb $before)"
}

main "$@"
