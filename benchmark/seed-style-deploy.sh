#!/usr/bin/env bash
# The seed's Fabric deploy, for the benchmark only: a new directory, a fresh venv with gunicorn and
# a full `pip install -r requirements.txt`, collectstatic, compress, migrate, a new gunicorn on its
# own socket, polled until it answers. Generous to the seed: no fixed sleep, no supervisor, no nginx
# reload and no stop of the old program. It runs beside the stack's releases without touching them
# or the traffic, then cleans up. It reports each phase's time and the total on stderr.
# Args: APP SOURCE_RELEASE_DIR CACHE, where CACHE is "warm" (every wheel already on the server, as
# pip's cache holds them after earlier deploys: installed with --no-index from a wheelhouse that
# the first warm run fills, untimed) or "cold" (downloaded, no cache). The wheelhouse stands in
# for pip's cache because the package mirror here sends no caching headers, so pip's own cache
# stays empty; it is also the seed's best case: no index query at all.
set -euo pipefail

app=$1
source_release=$2
cache=$3
work=/srv/$app/seed-style-$$
sock=/srv/$app/run/seed-style-$$.sock

cleanup() {
  if [[ -f $work/gunicorn.pid ]]; then kill "$(cat "$work/gunicorn.pid")" 2>/dev/null || true; fi
  sleep 1
  rm -rf "$work" "$sock"
}

# Each phase's seconds go to stderr, for the benchmark's log.
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
started=$(now_ms)
phase_started=$started
phase() { # NAME: the phase that just ended
  local ms=$(($(now_ms) - phase_started))
  printf 'seed-style phase: %s %d.%01d s\n' "$1" $((ms / 1000)) $((ms % 1000 / 100)) >&2
  phase_started=$(now_ms)
}

manage() {
  runuser -u "$app" -- "/srv/$app/bin/release-exec" "$work" env STATIC_ROOT="$work/static" python manage.py "$@" >/dev/null
}

main() {
  trap cleanup EXIT
  local wheels=/root/.cache/seed-style-wheels
  case $cache in
    warm) pip_from=(--no-index --find-links "$wheels") ;;
    cold) pip_from=(--no-cache-dir) ;;
    *) echo "CACHE must be warm or cold, got $cache" >&2; exit 2 ;;
  esac
  mkdir -p "$work"
  # The code, as `svn export` gave it: the release's files without its venv or output.
  tar -C "$source_release" --exclude=./venv --exclude=./static --exclude=./.env -cf - . | tar -C "$work" -xf -
  cp "$source_release/.env" "$work/.env"
  phase code
  python3 -m venv "$work/venv"
  phase venv
  if [[ $cache == warm && ! -f $wheels/.complete ]]; then
    "$work/venv/bin/pip" wheel -q --progress-bar off -w "$wheels" gunicorn -r "$work/requirements.txt" >/dev/null
    touch "$wheels/.complete"
    phase "wheelhouse filled"
  fi
  "$work/venv/bin/pip" install -q --progress-bar off "${pip_from[@]}" -U gunicorn >/dev/null
  "$work/venv/bin/pip" install -q --progress-bar off "${pip_from[@]}" -r "$work/requirements.txt" >/dev/null
  phase "pip install"
  chown -R "$app:$app" "$work"
  manage collectstatic --noinput
  phase collectstatic
  manage compress
  phase compress
  manage migrate --noinput
  phase migrate
  runuser -u "$app" -- "/srv/$app/bin/release-exec" "$work" gunicorn --bind "unix:$sock" --pid "$work/gunicorn.pid" --workers 2 hc.wsgi:application 2>/dev/null &
  until curl -sf --unix-socket "$sock" -H "Host: localhost" http://localhost/about/ | grep -q "Monkey See Monkey Do"; do
    sleep 0.2
  done
  phase "gunicorn answers"
  # The deploy's time, without the cleanup that follows (it is the benchmark's, not the seed's).
  local ms=$(($(now_ms) - started))
  printf 'seed-style total: %d.%03d s\n' $((ms / 1000)) $((ms % 1000)) >&2
}

main "$@"
