#!/usr/bin/env bash
# Check that the site's certificate is installed and not expired (pulumi refresh)
# Inputs: APP.
set -euo pipefail
[[ -s $TLS_DIR/fullchain.pem && -s $TLS_DIR/privkey.pem ]] || { echo "no certificate in $TLS_DIR"; exit 1; }
openssl x509 -in "$TLS_DIR/fullchain.pem" -noout -checkend 0 >/dev/null || { echo "the certificate in $TLS_DIR has expired"; exit 1; }
