#!/usr/bin/env bash
# Remove the nginx site and reload nginx
# Inputs: APP.
set -euo pipefail

take_host_lock
rm -f "/etc/nginx/sites-enabled/$APP.conf" "/etc/nginx/sites-available/$APP.conf" "/etc/nginx/sites-available/.$APP.conf.loaded"
nginx -t -q
reload_service nginx
