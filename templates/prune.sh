#!/usr/bin/env bash
# Prune old releases
#
# Keeps the KEEP most recently deployed releases, and never removes one that
# a supervisor program or the `current` link still uses, whatever its age.
# A kept release that nothing uses (but the newest) loses its settings (.env: secrets, perhaps rotated
# since); a return to it writes them again. Then removes the logs of removed releases and
# the venvs no release links to.
# The public trees of removed releases go too (hard links: the files of kept releases stay);
# the shared dirs (uploads) are never touched.
# Inputs: APP, KEEP; the app's places RELEASES_DIR, VENVS_DIR, UPLOADS_DIR, LOG_DIR, CURRENT_RELEASE,
# PUBLIC_TREES_DIR.
set -euo pipefail
: "${KEEP:?}" "${RELEASES_DIR:?}" "${VENVS_DIR:?}" "${UPLOADS_DIR:?}" "${LOG_DIR:?}" "${CURRENT_RELEASE:?}"
: "${PUBLIC_TREES_DIR:?}"

in_use() { # RELEASE_DIR
  [[ $(readlink -f "$CURRENT_RELEASE" 2>/dev/null) == "$1" ]] && return 0
  grep -qsF "$1" /etc/supervisor/conf.d/"$APP"-*.conf
}

# A tree is kept while its release's link (PUBLIC_TREES_DIR/ID) points at it; the link is kept
# while its release is. The live tree is the live release's: never removed.
prune_public_trees() {
  local entry
  local -A linked=()
  for entry in "$PUBLIC_TREES_DIR"/*; do
    [[ -L $entry ]] || continue
    if [[ -d $RELEASES_DIR/${entry##*/} ]]; then linked[$(readlink "$entry")]=1; else rm -f "$entry"; fi
  done
  for entry in "$PUBLIC_TREES_DIR"/*; do
    [[ -d $entry && ! -L $entry && -z ${linked[$entry]:-} ]] || continue
    rm -rf "$entry"
  done
}

main() {
  take_host_lock
  local n=0 dir venv
  # Newest first by the time each release was last deployed.
  while IFS= read -r dir; do
    dir=${dir%/.complete}
    n=$((n + 1))
    in_use "$dir" && continue
    if ((n > KEEP)); then
      echo "removing release $(basename "$dir")" >&2
      rm -rf "$dir"
    elif ((n > 1)); then
      # Not the newest: that one may be the release Pulumi's state holds, its program yet to start.
      rm -f "$dir/.env"
    fi
  done < <(ls -1t "$RELEASES_DIR"/*/.complete 2>/dev/null)
  # What a killed build left half-made.
  rm -rf "$RELEASES_DIR"/*.partial "$VENVS_DIR"/*.partial
  # Uploads that no release build consumed (a deploy that failed before it).
  find "$UPLOADS_DIR" -type f -mmin +60 -delete 2>/dev/null || true
  # Logs of programs that are gone and whose release is gone:
  # /var/log/APP/APP-ROLE-RELEASE-VARIANT.log* (the site program's: APP-site-VARIANT.log*)
  local log program id
  for log in "$LOG_DIR/$APP"-*.log*; do
    [[ -e $log ]] || continue
    program=${log##*/}
    program=${program%%.log*}
    [[ ! -e /etc/supervisor/conf.d/$program.conf ]] || continue
    id=${program%-*}
    id=${id##*-}
    [[ -d $RELEASES_DIR/$id ]] || rm -f "$log"
  done
  prune_public_trees
  for venv in "$VENVS_DIR"/*/; do
    venv=${venv%/}
    [[ -d $venv ]] || continue
    if ! find "$RELEASES_DIR" -mindepth 2 -maxdepth 2 -name venv -lname "$venv" | grep -q .; then
      echo "removing venv $(basename "$venv")" >&2
      rm -rf "$venv" "$venv.log"
    fi
  done
}

main "$@"
