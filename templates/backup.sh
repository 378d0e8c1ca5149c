#!/usr/bin/env bash
# Back up the app's database
#
# Installed on the host as BIN_DIR/backup by backup-install.sh, run by cron (database.backupSchedule)
# and by `npm run ops -- backup now`. pg_dump's custom format (pg_restore reads it, table by table)
# into BACKUPS_DIR, root's alone; a dump is written beside and renamed into place, so an archive
# that exists is whole. The newest KEEP archives stay. With database.backupCopy the new archive
# is then copied to COPY_TO (rclone; its config, key included, is root's alone); a failed copy
# fails the backup, saying so, and the archive stays on the host for the next backup to copy.
# Inputs: APP, DATABASE, KEEP, COPY_TO (rclone's "copy:bucket/prefix", or empty), COPY_URL (the setting).
set -euo pipefail
: "${DATABASE:?}" "${KEEP:?}" "${COPY_TO?}" "${COPY_URL?}"

install -d -m 700 "$BACKUPS_DIR"
take_backup_lock
cd /
# A full disk would stop PostgreSQL itself: refuse unless the database's size is free twice over.
need_kb=$(($(runuser -u postgres -- psql -qAt -d postgres -c "SELECT pg_database_size('$DATABASE')") * 2 / 1024))
free_kb=$(df -Pk "$BACKUPS_DIR" | awk 'NR == 2 {print $4}')
if ((free_kb < need_kb)); then
  echo "backup refused: ${free_kb} KiB free on the disk of $BACKUPS_DIR, want ${need_kb} (twice the database)" >&2
  exit 1
fi
name=$DATABASE-$(date -u +%Y%m%dT%H%M%SZ).dump
partial=$BACKUPS_DIR/.$name.partial
trap 'rm -f "$partial"' EXIT
(umask 077 && runuser -u postgres -- pg_dump -Fc "$DATABASE" >"$partial")
mv "$partial" "$BACKUPS_DIR/$name"
echo "$BACKUPS_DIR/$name ($(stat -c %s "$BACKUPS_DIR/$name") bytes)"
# shellcheck disable=SC2012 # names are ours: no odd characters
for old in $(ls -1t "$BACKUPS_DIR/$DATABASE"-*.dump | tail -n +$((KEEP + 1))); do
  rm -f -- "$old" "$old.copied"
done
[[ -n $COPY_TO ]] || exit 0

# Every archive not copied yet goes, oldest first: one a failed night left behind too. A copied
# archive is marked (NAME.copied), so copies the bucket has expired are not sent again.
failed=0
for archive in "$BACKUPS_DIR/$DATABASE"-*.dump; do # named by time: oldest first
  [[ -e $archive && ! -e $archive.copied ]] || continue
  if out=$(copy_store copyto "$archive" "$COPY_TO/${archive##*/}" 2>&1); then
    touch "$archive.copied"
    echo "copied to s3://${COPY_TO#copy:}/${archive##*/}"
  else
    printf '%s\n' "$out" | tail -n 5 >&2
    echo "the copy of ${archive##*/} to $COPY_URL failed (above: rclone's error); it stays on the host, and the next backup tries again" >&2
    failed=1
  fi
done
exit "$failed"
