#!/usr/bin/env bash
# Remove the database backup's schedule
#
# The archives stay in BACKUPS_DIR: they are the user's data. The copy's config (its key) goes.
# Inputs: APP.
set -euo pipefail

take_host_lock
rm -f "/etc/cron.d/$APP-backup" "$BIN_DIR/backup" "$BIN_DIR/restore" "$BACKUP_COPY_CONFIG"
