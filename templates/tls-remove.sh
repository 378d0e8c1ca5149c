#!/usr/bin/env bash
# Remove the site's certificate and its renewal (HTTPS turned off)
# Inputs: APP.
set -euo pipefail
rm -f "/etc/letsencrypt/renewal-hooks/deploy/$APP.sh"
if command -v certbot >/dev/null && [[ -e /etc/letsencrypt/renewal/$APP.conf ]]; then
  certbot delete --non-interactive --cert-name "$APP" >/dev/null 2>&1 || true
fi
rm -rf "$TLS_DIR"
if [[ -e /usr/local/share/ca-certificates/$APP-acme.crt ]]; then
  rm -f "/usr/local/share/ca-certificates/$APP-acme.crt"
  update-ca-certificates --fresh >/dev/null
fi
