#!/usr/bin/env bash
# Remove the nginx site and reload nginx
# Set by the renderer: APP.
# shellcheck disable=SC2154
set -euo pipefail

rm -f "/etc/nginx/sites-enabled/$APP.conf" "/etc/nginx/sites-available/$APP.conf"
nginx -t -q
if [[ -d /run/systemd/system ]]; then systemctl reload nginx; else service nginx reload >/dev/null; fi
