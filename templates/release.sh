#!/usr/bin/env bash
# Build the release: code, venv, settings, management commands
#
# A release lives in /srv/APP/releases/ID and is never changed once complete,
# so a running process can keep using it. Its venv is shared with every
# release that has the same requirements (and interpreter): a code-only change
# reuses it instead of reinstalling. Re-running for a complete release only
# rewrites its settings and runs the management commands again.
# Inputs: APP, RELEASE_ID, RELEASE_DIR, VENV_DIR, PYTHON, ARCHIVE (uploaded
# tarball), MANAGE (one manage.py command per line), MIGRATE_PY (templates/migrate.py),
# LINTER (its tool's pinned requirements, with hashes), AFTER_SWITCH, ALLOW_UNSAFE, WAYS_FORWARD;
# the app's places CACHE_DIR, TOOLS_DIR, LIVE_RELEASE_SOCKET, RELEASE_EXEC.
# stdin: the release's settings as an env file (holds secrets).
set -euo pipefail
: "${RELEASE_ID:?}" "${RELEASE_DIR:?}" "${VENV_DIR:?}" "${PYTHON:?}" "${ARCHIVE:?}" "${MANAGE?}"
: "${MIGRATE_PY:?}" "${LINTER:?}" "${AFTER_SWITCH?}" "${ALLOW_UNSAFE?}" "${WAYS_FORWARD:?}"
: "${CACHE_DIR:?}" "${TOOLS_DIR:?}" "${LIVE_RELEASE_SOCKET:?}" "${RELEASE_EXEC:?}"

log() { echo "release $RELEASE_ID: $*" >&2; }

unpack() {
  local partial=$RELEASE_DIR.partial
  rm -rf "$partial"
  install -d -m 755 "$partial"
  tar -xzf "$ARCHIVE" -C "$partial" --no-same-owner
  [[ -f $partial/manage.py ]] || { log "manage.py not found at the top of the source"; exit 1; }
  [[ -f $partial/requirements.txt ]] || { log "requirements.txt not found at the top of the source"; exit 1; }
  ln -sfn "$VENV_DIR" "$partial/venv"
  mv -T "$partial" "$RELEASE_DIR"
}

build_venv() {
  if [[ -f $VENV_DIR/.complete ]]; then
    log "reusing venv $(basename "$VENV_DIR")"
    return
  fi
  log "building venv $(basename "$VENV_DIR")"
  # Built under its final path (a venv's scripts name it), but as a .partial
  # that is renamed into place only once complete: a venv directory that
  # exists is whole. A run killed halfway leaves only the .partial, which the
  # next run (or prune) removes.
  local partial=$VENV_DIR.partial
  rm -rf "$partial" "$VENV_DIR"
  "$PYTHON" -m venv "$partial" </dev/null
  # Quiet, without a progress bar (long output lines hurt the SSH channel),
  # and without stdin: it holds the settings, and pip must never prompt.
  "$partial/bin/pip" install -q --no-input --progress-bar off --cache-dir "$CACHE_DIR/pip" \
    -r "$RELEASE_DIR/requirements.txt" </dev/null >"$VENV_DIR.log" 2>&1 || {
    tail -n 30 "$VENV_DIR.log" >&2
    log "pip install failed"
    exit 1
  }
  cp "$RELEASE_DIR/requirements.txt" "$partial/.requirements.txt"
  # The venv's files carry its path (#! lines, activate scripts, editable installs' .pth and
  # .egg-link files): rewrite it to the final one in every text file.
  grep -rlIF -- "$partial" "$partial" | xargs -r sed -i "s|$partial|$VENV_DIR|g"
  touch "$partial/.complete"
  mv -T "$partial" "$VENV_DIR"
}

write_settings() {
  # Readable by the app user alone; written beside, then renamed into place.
  (umask 077 && cat >"$RELEASE_DIR/.env.new")
  chown "$APP:$APP" "$RELEASE_DIR/.env.new"
  chmod 400 "$RELEASE_DIR/.env.new"
  mv -f "$RELEASE_DIR/.env.new" "$RELEASE_DIR/.env"
}

# The migration checker's tool directory, outside the app's venv (the app's requirements
# stay its own): pinned by hash, installed once per interpreter and pin set. Sets LINTER_DIR.
install_linter() {
  local digest
  digest=$(printf '%s\n%s\n' "$PYTHON" "$LINTER" | sha256sum | cut -c1-12)
  LINTER_DIR=$TOOLS_DIR/migration-linter-$digest
  [[ -f $LINTER_DIR/.complete ]] && return
  rm -rf "$LINTER_DIR.partial"
  install -d -m 755 "$LINTER_DIR.partial"
  printf '%s\n' "$LINTER" >"$LINTER_DIR.partial/requirements.txt"
  "$VENV_DIR/bin/pip" install -q --no-input --progress-bar off --no-deps --require-hashes \
    --cache-dir "$CACHE_DIR/pip" --target "$LINTER_DIR.partial" -r "$LINTER_DIR.partial/requirements.txt" </dev/null >&2 ||
    { log "could not install the migration checker (django-migration-linter)"; exit 1; }
  touch "$LINTER_DIR.partial/.complete"
  rm -rf "$LINTER_DIR"
  mv -T "$LINTER_DIR.partial" "$LINTER_DIR"
}

# migrate runs checked, and only the migrations that belong before the switch (templates/migrate.py).
migrate_before_switch() {
  local serving=0
  install_linter
  install_migrate_py
  [[ -S $LIVE_RELEASE_SOCKET ]] && serving=1
  log "manage.py migrate (before the switch)"
  local rc=0
  runuser -u "$APP" -- env AFTER_SWITCH="$AFTER_SWITCH" ALLOW_UNSAFE="$ALLOW_UNSAFE" WAYS_FORWARD="$WAYS_FORWARD" \
    LINTER_PATH="$LINTER_DIR" SERVING=$serving \
    "$RELEASE_EXEC" "$RELEASE_DIR" python "$MIGRATE_PY_FILE" before </dev/null >&2 || rc=$?
  case $rc in
    0) ;;
    3) log "refused before migrating"; exit 3 ;;
    *) log "manage.py migrate failed"; exit 1 ;;
  esac
}

run_manage() {
  local cmd
  while IFS= read -r cmd; do
    [[ -n $cmd ]] || continue
    if [[ $cmd =~ ^migrate([[:space:]]|$) ]]; then
      migrate_before_switch
      continue
    fi
    log "manage.py $cmd"
    # Word splitting of $cmd is wanted: it is one command line from config.
    # stdin is the rest of the list: a command that reads it must get nothing.
    # shellcheck disable=SC2086
    runuser -u "$APP" -- "$RELEASE_EXEC" "$RELEASE_DIR" python manage.py $cmd </dev/null >&2 ||
      { log "manage.py $cmd failed"; exit 1; }
  done <<<"$MANAGE"
}

main() {
  take_host_lock
  if [[ ! -f $RELEASE_DIR/.complete ]]; then
    rm -rf "$RELEASE_DIR"
    unpack
    build_venv
  else
    log "already on the host"
    # Its venv may have been removed since (drift): build it again.
    build_venv
  fi
  # The upload stays until prune removes it (after an hour): a retry may
  # have uploaded it again while an interrupted run still held the lock.
  write_settings
  if [[ ! -f $RELEASE_DIR/.complete ]]; then
    install -d -m 755 -o "$APP" -g "$APP" "$RELEASE_DIR/static"
  fi
  run_manage
  touch "$RELEASE_DIR/.complete"
  log "ready"
}

main "$@"
