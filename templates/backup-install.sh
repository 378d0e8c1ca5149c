#!/usr/bin/env bash
# Install the database backup and its schedule
#
# BIN_DIR/backup and BIN_DIR/restore (rendered backup.sh and restore.sh), root's alone, and a cron
# entry running the backup on SCHEDULE ("off": none). Archives are never removed here.
# Inputs: APP, BACKUP (the backup program), RESTORE (the restore program), SCHEDULE.
set -euo pipefail
: "${BACKUP:?}" "${RESTORE:?}" "${SCHEDULE:?}"

cron_file=/etc/cron.d/$APP-backup

take_host_lock
install -d -m 700 "$BACKUPS_DIR"
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
