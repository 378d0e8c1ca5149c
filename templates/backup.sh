#!/usr/bin/env bash
# Back up the app's database
#
# Installed on the host as BIN_DIR/backup by backup-install.sh, run by cron (database.backupSchedule)
# and by `npm run ops -- backup now`. pg_dump's custom format (pg_restore reads it, table by table)
# into BACKUPS_DIR, root's alone; a dump is written beside and renamed into place, so an archive
# that exists is whole. The newest KEEP archives stay.
# Inputs: APP, DATABASE, KEEP.
set -euo pipefail
: "${DATABASE:?}" "${KEEP:?}"

install -d -m 700 "$BACKUPS_DIR"
cd /
name=$DATABASE-$(date -u +%Y%m%dT%H%M%SZ).dump
partial=$BACKUPS_DIR/.$name.partial
trap 'rm -f "$partial"' EXIT
(umask 077 && runuser -u postgres -- pg_dump -Fc "$DATABASE" >"$partial")
mv "$partial" "$BACKUPS_DIR/$name"
echo "$BACKUPS_DIR/$name ($(stat -c %s "$BACKUPS_DIR/$name") bytes)"
# shellcheck disable=SC2012 # names are ours: no odd characters
ls -1t "$BACKUPS_DIR"/*.dump | tail -n +$((KEEP + 1)) | xargs -r rm -f --
