#!/usr/bin/env bash
# Day-2 command on the host
#
# Run by `npm run ops` (src/ops/cli.ts) over SSH, never by a deploy: OP names the command and the
# script's own arguments are its arguments. It only reads what deploys left on the host, except
# maintenance (a flag the site program checks per request) and backup/restore.
# Inputs: APP, OP, DATABASE (the local database's name, or empty), LOG_SINCE (log-since.py).
set -euo pipefail
: "${OP:?}" "${DATABASE?}" "${LOG_SINCE:?}"

die() {
  echo "$*" >&2
  exit 2
}

live_release_dir() { readlink -f "$CURRENT_RELEASE" 2>/dev/null || true; }

# The kept releases, newest first: id, live or not, when built, its venv and source.
releases() {
  local live dir id built venv source
  live=$(live_release_dir)
  printf '%-14s %-5s %-22s %-28s %s\n' RELEASE LIVE BUILT VENV SOURCE
  while IFS= read -r dir; do
    dir=${dir%/.complete}
    id=$(basename "$dir")
    built=$(date -u -d "@$(stat -c %Y "$dir/.complete")" '+%Y-%m-%d %H:%M UTC')
    venv=$(basename "$(readlink "$dir/venv" 2>/dev/null || echo -)")
    source=$(head -n 1 "$dir/.source" 2>/dev/null || echo -)
    printf '%-14s %-5s %-22s %-28s %s\n' "$id" "$([[ $dir == "$live" ]] && echo yes || echo "")" "$built" "$venv" "$source"
  done < <(ls -1t "$RELEASES_DIR"/*/.complete 2>/dev/null)
}

# The newest kept release that is not live.
previous() {
  local live dir
  live=$(live_release_dir)
  while IFS= read -r dir; do
    dir=${dir%/.complete}
    [[ $dir == "$live" ]] || { basename "$dir"; return; }
  done < <(ls -1t "$RELEASES_DIR"/*/.complete 2>/dev/null)
  die "no kept release other than the live one"
}

# The newest program of ROLE that runs the live release ("site": the live site program; "https":
# the HTTPS program, which runs no release).
live_program() { # ROLE
  local id conf
  if [[ $1 == site ]]; then
    basename "$(dirname "$(readlink "$SITE_DIR/live.sock")")"
    return
  fi
  if [[ $1 == https ]]; then
    # shellcheck disable=SC2012 # program names are ours: no odd characters
    conf=$(ls -1t /etc/supervisor/conf.d/"$APP"-https-*.conf 2>/dev/null | head -n 1)
    [[ -n $conf ]] || die "no HTTPS program on this host (site.tls)"
    basename "$conf" .conf
    return
  fi
  id=$(basename "$(live_release_dir)")
  # shellcheck disable=SC2012 # program names are ours: no odd characters
  conf=$(ls -1t /etc/supervisor/conf.d/"$APP-$1-$id"-*.conf 2>/dev/null | head -n 1)
  [[ -n $conf ]] || die "no $1 program runs the live release ($id); see: npm run ops -- releases"
  basename "$conf" .conf
}

# logs TARGET LINES FOLLOW GREP SINCE: a program's log (web, site, https or a job), or nginx's own.
# LINES: the last lines to show ("all": from the start); SINCE: epoch seconds or a time in the
# host's zone (templates/log-since.py), empty for no limit.
logs() {
  local target=$1 lines=$2 follow=$3 pattern=$4 since=$5 files
  if [[ $target == nginx ]]; then
    files=(/var/log/nginx/access.log /var/log/nginx/error.log)
  else
    files=("$LOG_DIR/$(live_program "$target").log")
  fi
  local tail_args=(-n "$lines")
  [[ $lines != all ]] || tail_args=(-n +1)
  [[ $follow == 1 ]] && tail_args+=(-F)
  ((${#files[@]} > 1)) || tail_args+=(-q)
  tail "${tail_args[@]}" "${files[@]}" | since_filter "$since" | grep_filter "$pattern"
}

since_filter() { # SINCE (empty: every line)
  if [[ -z $1 ]]; then cat; else python3 -u -c "$LOG_SINCE" "$1"; fi
}

grep_filter() { # REGEX (empty: every line)
  if [[ -z $1 ]]; then cat; else grep --line-buffered -E -- "$1" || true; fi
}

# manage.py ARGS in the live release, as the app, with its settings.
manage() {
  local live
  live=$(live_release_dir)
  [[ -n $live && -d $live ]] || die "no live release on this host yet"
  cd "$live"
  exec runuser -u "$APP" -- "$RELEASE_EXEC" "$live" python manage.py "$@"
}

# maintenance on (the page on stdin) | off
maintenance() {
  local live_conf
  live_conf=$SITE_DIR/$(live_program site)/nginx.conf
  grep -qF "$MAINTENANCE_FLAG" "$live_conf" 2>/dev/null ||
    die "the live site program predates maintenance mode: run pulumi up once, then try again"
  case ${1:-} in
    on)
      install -d -m 755 "$MAINTENANCE_DIR"
      install_file "$(cat)" "$MAINTENANCE_PAGE" 644
      touch "$MAINTENANCE_FLAG"
      echo "maintenance on: every request gets the page with 503 and Retry-After"
      ;;
    off)
      rm -f "$MAINTENANCE_FLAG"
      echo "maintenance off: the app serves again"
      ;;
    *) die "maintenance on|off" ;;
  esac
}

need_local_database() {
  [[ -n $DATABASE ]] || die "backups cover a local database (database.kind local); a managed one has DigitalOcean's own backups"
  [[ -x $BIN_DIR/backup ]] || die "no backup program on this host: run pulumi up with database.backupSchedule set (it is on by default)"
}

backup() {
  need_local_database
  case ${1:-} in
    now) "$BIN_DIR/backup" ;;
    list)
      printf '%-40s %12s  %s\n' ARCHIVE BYTES COPIED
      find "$BACKUPS_DIR" -maxdepth 1 -name '*.dump' -printf '%T@ %f %s\n' | sort -rn |
        while read -r _ name bytes; do
          copied=-
          [[ ! -e $BACKUPS_DIR/$name.copied ]] || copied=yes
          printf '%-40s %12s  %s\n' "$name" "$bytes" "$copied"
        done
      ;;
    *) die "backup now|list" ;;
  esac
}

restore() { # ARCHIVE: a name from `backup list`, or a path on the host
  need_local_database
  local archive=${1:-}
  [[ -n $archive ]] || die "restore ARCHIVE (a name from: npm run ops -- backup list)"
  [[ $archive == */* ]] || archive=$BACKUPS_DIR/$archive
  [[ -f $archive ]] || die "no archive $archive on the host (see: npm run ops -- backup list)"
  exec env ARCHIVE="$archive" "$BIN_DIR/restore"
}

case $OP in
  releases) releases ;;
  previous) previous ;;
  logs) logs "$@" ;;
  manage) manage "$@" ;;
  maintenance) maintenance "$@" ;;
  backup) backup "$@" ;;
  restore) restore "$@" ;;
  *) die "unknown operation $OP" ;;
esac
