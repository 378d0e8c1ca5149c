#!/usr/bin/env bash
# Check that the nginx site is installed and nginx runs (pulumi refresh)
# Inputs: APP, SITE (the rendered config).
set -euo pipefail
: "${SITE:?}"

site_file=/etc/nginx/sites-available/$APP.conf
[[ -f $site_file && $(cat "$site_file") == "$(printf '%s\n' "$SITE")" ]] || { echo "the nginx site $site_file is missing or was changed"; exit 1; }
[[ -L /etc/nginx/sites-enabled/$APP.conf ]] || { echo "the nginx site of $APP is not enabled"; exit 1; }
[[ $(cat "/etc/nginx/sites-available/.$APP.conf.loaded" 2>/dev/null) == "$(printf '%s\n' "$SITE" | sha256sum | cut -d' ' -f1)" ]] ||
  { echo "nginx has not loaded the site's current config"; exit 1; }
pid=$(cat /run/nginx.pid 2>/dev/null || true)
if [[ -z $pid ]] || ! kill -0 "$pid" 2>/dev/null; then echo "nginx is not running"; exit 1; fi
