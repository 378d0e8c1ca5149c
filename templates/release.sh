#!/usr/bin/env bash
# Build the release: code, venv, settings, management commands
#
# A release lives in /srv/APP/releases/ID and is never changed once complete,
# so a running process can keep using it. Its venv is shared with every
# release that has the same requirements (and interpreter): a code-only change
# reuses it instead of reinstalling. Re-running for a complete release only
# rewrites its settings and runs the management commands again.
#
# Where static files and media go is asked of the release's own Django (STATIC_ROOT, STATIC_URL,
# MEDIA_ROOT, MEDIA_URL), never assumed. Each release gets a public tree: its collected static
# files merged over the kept releases' (so a page an older release rendered still finds its
# hashed assets after the switch) and a link to its shared media; the switch points nginx at it.
# Inputs: APP, RELEASE_ID, RELEASE_DIR, VENV_DIR, PYTHON, ARCHIVE (uploaded
# tarball), MANAGE (one manage.py command per line), MIGRATE_PY (templates/migrate.py),
# LINTER (its tool's pinned requirements, with hashes), AFTER_SWITCH, ALLOW_UNSAFE, WAYS_FORWARD,
# SHARED_DIRS (app.sharedDirs, one per line), FACTS_PY (templates/django-facts.py),
# SERVER_PACKAGES ("module requirement" per line: the server, added when requirements.txt lacks it),
# PIP_HINT_PY (templates/pip-hint.py), PINNED ("yes": app.release names a kept release, used as it
# is: nothing uploaded, built or run; VENV_DIR and ARCHIVE unused), SOURCE_LABEL (where the source
# came from, kept in the release's .source for `npm run ops -- releases`);
# the app's places RELEASES_DIR, CACHE_DIR, TOOLS_DIR, SHARED_DIR, PUBLIC_DIR, PUBLIC_TREES_DIR,
# CURRENT_RELEASE, LIVE_RELEASE_SOCKET, RELEASE_EXEC.
# stdin: the release's settings as an env file (holds secrets).
set -euo pipefail
: "${RELEASE_ID:?}" "${RELEASE_DIR:?}" "${VENV_DIR?}" "${PYTHON:?}" "${ARCHIVE:?}" "${MANAGE?}" "${PINNED?}" "${SOURCE_LABEL?}"
: "${MIGRATE_PY:?}" "${LINTER:?}" "${AFTER_SWITCH?}" "${ALLOW_UNSAFE?}" "${WAYS_FORWARD:?}"
: "${SHARED_DIRS?}" "${FACTS_PY:?}" "${SERVER_PACKAGES:?}" "${PIP_HINT_PY:?}" "${RELEASES_DIR:?}" "${SHARED_DIR:?}" "${PUBLIC_DIR:?}" "${PUBLIC_TREES_DIR:?}"
: "${CACHE_DIR:?}" "${TOOLS_DIR:?}" "${CURRENT_RELEASE:?}" "${LIVE_RELEASE_SOCKET:?}" "${RELEASE_EXEC:?}"

log() { progress "release $RELEASE_ID: $*"; }

unpack() {
  local partial=$RELEASE_DIR.partial
  rm -rf "$partial"
  install -d -m 755 "$partial"
  tar -xzf "$ARCHIVE" -C "$partial" --no-same-owner
  [[ -f $partial/manage.py ]] || { log "manage.py not found at the top of the source"; exit 1; }
  [[ -f $partial/requirements.txt ]] || { log "requirements.txt not found at the top of the source"; exit 1; }
  ln -sfn "$VENV_DIR" "$partial/venv"
  printf '%s\n' "$SOURCE_LABEL" >"$partial/.source"
  link_shared_dirs "$partial"
  mv -T "$partial" "$RELEASE_DIR"
}

# app.sharedDirs: directories that outlive releases (uploads), kept in SHARED_DIR, owned by the
# app, never pruned, and linked into every release where the app expects them.
link_shared_dirs() { # PARTIAL_RELEASE_DIR
  local dir
  while IFS= read -r dir; do
    [[ -n $dir ]] || continue
    mkdir -p "$(dirname "$SHARED_DIR/$dir")"
    install -d -m 755 -o "$APP" -g "$APP" "$SHARED_DIR/$dir"
    if [[ -e $1/$dir || -L $1/$dir ]]; then
      log "$dir in the source is replaced by the shared $SHARED_DIR/$dir"
      rm -rf "${1:?}/$dir"
    fi
    mkdir -p "$(dirname "$1/$dir")"
    ln -s "$SHARED_DIR/$dir" "$1/$dir"
  done <<<"$SHARED_DIRS"
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
  : >"$VENV_DIR.log"
  local started=$SECONDS
  log "pip install -r requirements.txt (log: $VENV_DIR.log)"
  pip_install -r "$RELEASE_DIR/requirements.txt"
  log "pip install done in $((SECONDS - started)) s"
  add_server_packages "$partial"
  cp "$RELEASE_DIR/requirements.txt" "$partial/.requirements.txt"
  # The venv's files carry its path (#! lines, activate scripts, editable installs' .pth and
  # .egg-link files): rewrite it to the final one in every text file.
  grep -rlIF -- "$partial" "$partial" | xargs -r sed -i "s|$partial|$VENV_DIR|g"
  touch "$partial/.complete"
  mv -T "$partial" "$VENV_DIR"
}

# gunicorn (and uvicorn's worker) are rarely in an app's requirements: add the pinned ones the
# venv lacks, and say so.
add_server_packages() { # VENV
  local module requirement missing=()
  while read -r module requirement; do
    [[ -n $module ]] || continue
    "$1/bin/python" -c "import $module" 2>/dev/null </dev/null || missing+=("$requirement")
  done <<<"$SERVER_PACKAGES"
  ((${#missing[@]} > 0)) || return 0
  log "requirements.txt lacks the server: adding ${missing[*]}"
  pip_install "${missing[@]}"
}

# pip install ARGS into the venv being built, without a progress bar (long output lines hurt the
# SSH channel) and without stdin (it holds the settings; pip must never prompt), into the venv's
# log: not quiet, so that on failure templates/pip-hint.py can say in a line which requirement
# failed and why (an interpreter too old for it, a system package its build needs), before the tail.
pip_install() {
  "$VENV_DIR.partial/bin/pip" install --no-input --progress-bar off --cache-dir "$CACHE_DIR/pip" "$@" \
    </dev/null >>"$VENV_DIR.log" 2>&1 && return
  local hint
  hint=$("$VENV_DIR.partial/bin/python" -I -c "$PIP_HINT_PY" "$VENV_DIR.log" 2>/dev/null) || hint=""
  [[ -z $hint ]] || log "$hint"
  tail -n 30 "$VENV_DIR.log" | cut -c1-400 >&2
  log "pip install failed"
  exit 1
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

collects_static() { grep -qE '^collectstatic([[:space:]]|$)' <<<"$MANAGE"; }

# A URL path nginx can serve files under ("/static/"), or nothing for a URL on another host.
url_path() { # URL
  [[ $1 =~ ^/[A-Za-z0-9._~%/+-]*$ && $1 != //* && $1 != */../* && $1 != / ]] && printf '%s' "$1"
  return 0
}

# Asks the release's Django where static files and media go (templates/django-facts.py), checks
# the answer, and keeps it in the release (.django-facts) for the public trees of later releases.
# Sets STATIC_DIR (empty when nginx serves none).
read_django_facts() {
  local out line static_root="" static_url="" media_root="" media_url="" static_path media_dir="" media_path=""
  install_file "$FACTS_PY" "$BIN_DIR/django-facts.py" 644
  out=$(runuser -u "$APP" -- "$RELEASE_EXEC" "$RELEASE_DIR" python manage.py shell -v 0 \
    -c "exec(open('$BIN_DIR/django-facts.py').read())" </dev/null) ||
    { log "could not load the app's settings (the error is above)"; exit 1; }
  while IFS= read -r line; do
    case $line in
      "DJANGOZD static_root="*) static_root=${line#*=} ;;
      "DJANGOZD static_url="*) static_url=${line#*=} ;;
      "DJANGOZD media_root="*) media_root=${line#*=} ;;
      "DJANGOZD media_url="*) media_url=${line#*=} ;;
      *) printf '%s\n' "$line" >&2 ;; # the app's own output
    esac
  done <<<"$out"

  STATIC_DIR=""
  static_path=$(url_path "$static_url")
  if [[ -n $static_root && $static_root == "$RELEASE_DIR"/* ]]; then
    STATIC_DIR=$static_root
  elif [[ -n $static_root ]] && collects_static; then
    log "STATIC_ROOT is $static_root, outside the release: each release collects its own static files, so that pages of the release before keep finding theirs; set STATIC_ROOT inside the project, like BASE_DIR / \"staticfiles\""
    exit 1
  fi
  if [[ -n $STATIC_DIR && -n $static_path ]]; then
    log "static files: $static_url from ${STATIC_DIR#"$RELEASE_DIR"/}/"
  elif [[ -n $static_url ]]; then
    log "static files: nginx serves none (STATIC_URL ${static_url:-unset}, STATIC_ROOT ${static_root:-unset})"
  fi

  if [[ -n $media_root ]]; then
    if [[ $media_root == "$SHARED_DIR"/* ]] && media_path=$(url_path "$media_url") && [[ -n $media_path ]]; then
      media_dir=$media_root
      log "media: $media_url from $media_dir"
    elif [[ $media_root == "$RELEASE_DIR"/* ]]; then
      log "warning: MEDIA_ROOT $media_root is inside the release: files uploaded there are lost with it; list its directory in app.sharedDirs"
    fi
  fi
  printf 'static_dir=%s\nstatic_path=%s\nmedia_dir=%s\nmedia_path=%s\n' \
    "$STATIC_DIR" "$static_path" "$media_dir" "$media_path" >"$RELEASE_DIR/.django-facts"
}

# collectstatic runs as the app: STATIC_ROOT, wherever it is in the release, must be the app's.
prepare_static_dir() {
  [[ -n $STATIC_DIR ]] || return 0
  install -d -m 755 "$STATIC_DIR"
  chown -R "$APP:$APP" "$STATIC_DIR"
}

fact() { # RELEASE_DIR NAME: a fact read_django_facts kept
  sed -n "s/^$2=//p" "$1/.django-facts" 2>/dev/null | head -n 1
}

# A release's collected static files into a public tree, as hard links under their URL path.
merge_static() { # RELEASE_DIR TREE
  local root path
  root=$(fact "$1" static_dir)
  path=$(fact "$1" static_path)
  # Releases built before facts were kept collected into static/, served at /static/.
  if [[ ! -f $1/.django-facts && -d $1/static ]]; then root=$1/static path=/static/; fi
  [[ -n $root && -n $path && -d $root ]] || return 0
  install -d -m 755 "$2/static$path"
  cp -al --remove-destination "$root/." "$2/static$path" ||
    log "warning: some static files of $(basename "$1") could not be merged"
}

# The files nginx serves for the release TARGET: its static files merged over those of the other
# kept releases (oldest first, so the target wins where names clash), and a link to its media.
# Built beside, then its link (PUBLIC_TREES_DIR/ID) renamed onto it; the switch points PUBLIC_DIR
# at that link.
build_public_tree() { # TARGET_RELEASE_DIR
  local id tree dir media_dir media_path
  id=$(basename "$1")
  tree=$PUBLIC_TREES_DIR/$id-$(date +%s%N)
  install -d -m 755 "$PUBLIC_TREES_DIR" "$tree.partial" "$tree.partial/static" "$tree.partial/media"
  while IFS= read -r dir; do
    dir=${dir%/.complete}
    [[ $dir == "$1" ]] || merge_static "$dir" "$tree.partial"
  done < <(ls -1tr "$RELEASES_DIR"/*/.complete 2>/dev/null)
  merge_static "$1" "$tree.partial"
  media_dir=$(fact "$1" media_dir)
  media_path=$(fact "$1" media_path)
  if [[ -n $media_dir && -n $media_path ]]; then
    mkdir -p "$(dirname "$tree.partial/media${media_path%/}")"
    ln -s "$media_dir" "$tree.partial/media${media_path%/}"
  fi
  mv -T "$tree.partial" "$tree"
  replace_link "$tree" "$PUBLIC_TREES_DIR/$id"
}

# nginx serves from PUBLIC_DIR: until the first switch (or on a host deployed before public
# trees), point it at the live release's tree, never at this one's: it is not live yet.
ensure_public_dir() {
  [[ -L $PUBLIC_DIR ]] && return 0
  local live
  live=$(readlink -f "$CURRENT_RELEASE" 2>/dev/null || true)
  if [[ -n $live && -d $live && $live != "$RELEASE_DIR" ]]; then
    build_public_tree "$live"
    replace_link "$PUBLIC_TREES_DIR/$(basename "$live")" "$PUBLIC_DIR"
  else
    replace_link "$PUBLIC_TREES_DIR/$RELEASE_ID" "$PUBLIC_DIR"
  fi
}

# app.release: a release kept from an earlier deploy, complete with its venv, static files and
# facts; only the settings are today's (a secret rotated since still applies).
use_pinned() {
  if [[ ! -f $RELEASE_DIR/.complete ]]; then
    local kept="" done_mark
    for done_mark in "$RELEASES_DIR"/*/.complete; do
      [[ -e $done_mark ]] && kept+=" $(basename "$(dirname "$done_mark")")"
    done
    log "app.release: $RELEASE_ID is not kept on this host; kept:${kept:- none} (npm run ops -- releases)"
    exit 1
  fi
  VENV_DIR=$(readlink -f "$RELEASE_DIR/venv")
  [[ -f $VENV_DIR/.complete ]] || { log "app.release: the venv of $RELEASE_ID is gone ($VENV_DIR)"; exit 1; }
  write_settings
  build_public_tree "$RELEASE_DIR"
  log "kept release, nothing built (app.release)"
}

main() {
  take_host_lock
  if [[ -n $PINNED ]]; then
    use_pinned
    return
  fi
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
  read_django_facts
  prepare_static_dir
  run_manage
  build_public_tree "$RELEASE_DIR"
  ensure_public_dir
  touch "$RELEASE_DIR/.complete"
  log "ready"
}

main "$@"
