# shellcheck shell=bash
# Shared by every host script: rendered after the script's inputs, before its body.
# Inputs: APP (the app's short name), STEP (the script's title), LOCK_DIR, BIN_DIR (every
# script gets the app's places: src/host/hostFacts.ts); LOCK_WAIT (seconds, set by the provider).
: "${APP:?}" "${STEP:?}" "${LOCK_DIR:?}" "${BIN_DIR:?}"

# One state-changing step per app on this host at a time: steps that Pulumi
# runs in parallel, a second stack or machine deploying the same app, and a
# script orphaned by a dropped SSH connection all wait here instead of racing.
# The lock is held until the script exits; daemons started meanwhile must not
# inherit it (see start_service).
# In a directory only root may enter: nobody else can hold or replace it.
# Steps that only stop programs ("shared") hold it together: the old programs of a deploy stop
# in parallel, each waiting for its own requests in flight, never beside a step that changes more
# (program-stop.sh keeps two stops of one program apart).
LOCK_FILE=$LOCK_DIR/$APP.lock
take_host_lock() { # [shared]
  local mode=-x holder=$STEP
  if [[ ${1:-} == shared ]]; then mode=-s holder="stopping old programs"; fi
  install -d -m 700 "$LOCK_DIR"
  exec 8<>"$LOCK_FILE"
  if ! flock -n "$mode" 8; then
    echo "waiting for the host lock of $APP, held by: $(cat "$LOCK_FILE" 2>/dev/null)" >&2
    if ! flock -w "${LOCK_WAIT:?}" "$mode" 8; then
      echo "gave up after ${LOCK_WAIT}s waiting for the host lock of $APP ($LOCK_FILE), held by: $(cat "$LOCK_FILE" 2>/dev/null)" >&2
      exit 75
    fi
  fi
  printf '%s (pid %s, since %s)\n' "$holder" "$$" "$(date -u +%FT%TZ)" >"$LOCK_FILE"
}

# Service control on systemd hosts (a droplet) and on hosts without it (the sandbox).
has_systemd() { [[ -d /run/systemd/system ]]; }

# Started now and at every boot. The lock's descriptor is closed for the daemon.
start_service() { # NAME
  if has_systemd; then
    systemctl enable --now "$1" >/dev/null 8>&-
  else
    update-rc.d "$1" enable >/dev/null 2>&1 || true
    service "$1" status >/dev/null 2>&1 || service "$1" start >/dev/null 8>&-
  fi
}

reload_service() { # NAME
  if has_systemd; then systemctl reload "$1" 8>&-; else service "$1" reload >/dev/null 8>&-; fi
}

restart_service() { # NAME
  if has_systemd; then systemctl restart "$1" 8>&-; else service "$1" restart >/dev/null 8>&-; fi
}

# templates/migrate.py, for the scripts that migrate (input MIGRATE_PY): root's, readable by the app.
MIGRATE_PY_FILE=$BIN_DIR/migrate.py
install_migrate_py() {
  install_file "${MIGRATE_PY:?}" "$MIGRATE_PY_FILE" 644
}

# Points LINK at TARGET by renaming a new link over it: whoever resolves LINK sees the old
# target or the new one, never none.
replace_link() { # TARGET LINK
  ln -sfn "$1" "$2.new"
  mv -T "$2.new" "$2"
}

# Writes CONTENT to FILE beside it, then renames it into place: a reader never sees half of it.
install_file() { # CONTENT FILE [MODE]
  printf '%s\n' "$1" >"$2.new"
  [[ -z ${3:-} ]] || chmod "$3" "$2.new"
  mv -f "$2.new" "$2"
}

# rclone on database.backupCopy's storage, its config (key included) root's alone; bounded, so an
# unreachable endpoint fails a backup in about a minute instead of holding the backup lock.
copy_store() {
  rclone --config "$BACKUP_COPY_CONFIG" --contimeout 10s --timeout 60s --retries 2 --low-level-retries 3 "$@"
}

# Backups and restores of the app's database, one at a time (templates/backup.sh, restore.sh).
take_backup_lock() {
  exec 7>"$BACKUPS_DIR/.lock"
  flock -w 600 7 || { echo "another backup or restore of $APP is still running" >&2; exit 75; }
}

# One line for the `pulumi up` output while the step runs: HostCommand shows lines with this mark
# as they come (and keeps them, unmarked, in a failed step's output).
progress() { echo "::progress:: $*" >&2; }

# supervisord's programs (templates/supervisor.py, input SUPERVISOR_PY): state, start, remove.
# Isolated (-I): run as root from the login's home, Python must not import from there.
supervisor() { python3 -I -c "$SUPERVISOR_PY" "$@"; }

# Stop a supervisor program gracefully and remove it, with its files. supervisor sends TERM to
# the whole process group and waits up to the program's stopwaitsecs: gunicorn finishes the
# requests in flight, a worker its current loop. The config file goes last, so a stop that
# failed leaves the program known (and returns 1); a retry finds it again. Removing an absent
# program is no error.
remove_program() { # PROGRAM [DIR]
  if [[ $(supervisor state "$1" 2>/dev/null) != ABSENT ]]; then
    progress "stopping $1 (requests in flight finish first)"
    if ! supervisor remove "$1" >&2; then
      echo "could not stop $1: $(supervisor state "$1" 2>&1)" >&2
      return 1
    fi
  fi
  rm -f "/etc/supervisor/conf.d/$1.conf" "/etc/supervisor/conf.d/.$1.healthy" "/etc/supervisor/conf.d/.$1.owner"
  [[ -z ${2:-} ]] || rm -rf "$2"
}

# The app's programs: those supervisord knows, and those with only a config file (a step killed
# before supervisord was told of it left it; supervisord would start it at its next start).
app_programs() {
  local conf
  supervisorctl avail 2>/dev/null | awk -v app="$APP" 'index($1, app "-") == 1 {print $1}'
  for conf in "/etc/supervisor/conf.d/$APP"-*.conf; do
    if [[ -e $conf ]]; then basename "$conf" .conf; fi
  done
}

# Removes (see remove_program) every program of the app whose name matches PATTERN, a bash
# regex (hostFacts.ts makes them), but those named in KEEP; WHY goes to the log.
remove_programs_matching() { # PATTERN KEEP WHY
  local program
  for program in $(app_programs | sort -u); do
    [[ $program =~ $1 && " $2 " != *" $program "* ]] || continue
    echo "stopping $program: $3" >&2
    remove_program "$program"
  done
}
