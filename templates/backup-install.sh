#!/usr/bin/env bash
# Install the database backup and its schedule
#
# BIN_DIR/backup and BIN_DIR/restore (rendered backup.sh and restore.sh), root's alone, a cron
# entry running the backup on SCHEDULE ("off": none), and, with database.backupCopy, rclone's
# config for the copy (the access key's secret from stdin, into a root-only file). Archives are
# never removed here.
# The copy's storage is listed once here, so a wrong key, endpoint or bucket fails the deploy
# rather than the night's backup.
# Inputs: APP, BACKUP (the backup program), RESTORE (the restore program), SCHEDULE; COPY_ENDPOINT,
# COPY_REGION, COPY_KEY_ID, COPY_TO, COPY_URL (empty: no copy). stdin: the copy's secret key.
set -euo pipefail
: "${BACKUP:?}" "${RESTORE:?}" "${SCHEDULE:?}" "${COPY_ENDPOINT?}" "${COPY_REGION?}" "${COPY_KEY_ID?}" "${COPY_TO?}" "${COPY_URL?}"

cron_file=/etc/cron.d/$APP-backup

# rclone reads the key from this file, never from a command line; written 0600 before any content.
write_copy_config() {
  if [[ -z $COPY_KEY_ID ]]; then
    rm -f "$BACKUP_COPY_CONFIG"
    return
  fi
  command -v rclone >/dev/null || { echo "rclone is not installed (the bootstrap installs it with database.backupCopy)" >&2; exit 1; }
  local secret
  secret=$(cat)
  [[ -n $secret ]] || { echo "no secret key for database.backupCopy on stdin" >&2; exit 1; }
  install -m 600 /dev/null "$BACKUP_COPY_CONFIG.new"
  printf '[copy]\ntype = s3\nprovider = Other\nendpoint = %s\nregion = %s\naccess_key_id = %s\nsecret_access_key = %s\nno_check_bucket = true\n' \
    "$COPY_ENDPOINT" "$COPY_REGION" "$COPY_KEY_ID" "$secret" >"$BACKUP_COPY_CONFIG.new"
  mv -f "$BACKUP_COPY_CONFIG.new" "$BACKUP_COPY_CONFIG"
  local out
  if ! out=$(copy_store lsf --max-depth 1 "$COPY_TO/" 2>&1); then
    printf '%s\n' "$out" | tail -n 5 >&2
    echo "database.backupCopy: $COPY_URL cannot be listed with accessKeyId $COPY_KEY_ID at $COPY_ENDPOINT (above: rclone's error); check the bucket, the endpoint and backupCopySecretKey" >&2
    exit 1
  fi
}

take_host_lock
install -d -m 700 "$BACKUPS_DIR"
write_copy_config
install_file "#!/usr/bin/env bash
$BACKUP" "$BIN_DIR/backup" 700
install_file "#!/usr/bin/env bash
$RESTORE" "$BIN_DIR/restore" 700
if [[ $SCHEDULE == off ]]; then
  rm -f "$cron_file"
  echo "backups: no schedule (npm run ops -- backup now)"
  exit 0
fi
command -v cron >/dev/null || { echo "cron is not installed (the bootstrap installs it)" >&2; exit 1; }
install_file "# Database backups of $APP (database.backupSchedule), written by the deploy.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
$SCHEDULE root $BIN_DIR/backup >>$LOG_DIR/backup.log 2>&1" "$cron_file" 644
start_service cron
echo "backups: $SCHEDULE into $BACKUPS_DIR"
