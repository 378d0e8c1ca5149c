#!/usr/bin/env bash
# Install the site's certificate given in site.tls.certificate, with its key from stdin
#
# The pair is staged in a private directory and checked, then installed by
# the same installer as an ACME certificate (tls-install.sh), which switches
# to a new pair with no handshake seeing half of each. An ACME lineage of the
# app (the site was on mode acme) goes after: certbot's renewal must never
# write over the pair. Prints the certificate's fingerprint, then its expiry.
# Inputs: APP, CERTIFICATE (PEM, the site's certificate first), INSTALL_PAIR (tls-install.sh).
# stdin: its private key (PEM).
set -euo pipefail
: "${CERTIFICATE:?}" "${TLS_DIR:?}" "${INSTALL_PAIR:?}"

public_key() { openssl pkey -pubout 2>/dev/null; }

# What tls-remove.sh does, but TLS_DIR stays: it holds the provided pair now.
forget_acme() {
  rm -f "/etc/letsencrypt/renewal-hooks/deploy/$APP.sh"
  if [[ -e /etc/letsencrypt/renewal/$APP.conf ]]; then
    if command -v certbot >/dev/null; then
      certbot delete --non-interactive --cert-name "$APP" >/dev/null 2>&1 || true
    fi
    rm -rf "/etc/letsencrypt/renewal/$APP.conf" "/etc/letsencrypt/live/$APP" "/etc/letsencrypt/archive/$APP"
  fi
  local ca=/usr/local/share/ca-certificates/$APP-acme.crt
  if [[ -e $ca ]]; then
    rm -f "$ca"
    update-ca-certificates --fresh >/dev/null
  fi
}

main() {
  local key
  key=$(cat)
  [[ $key == *"PRIVATE KEY-----"* ]] || { echo "no private key on stdin" >&2; exit 1; }
  # mktemp makes it 0700: the key is never readable by others. Global: the EXIT trap reads it.
  staged=$(mktemp -d)
  trap 'rm -rf "$staged"' EXIT
  printf '%s\n' "$key" >"$staged/privkey.pem"
  printf '%s\n' "$CERTIFICATE" >"$staged/fullchain.pem"
  # The deploy checked the pair; a program using the component directly may not have.
  if [[ $(public_key <"$staged/privkey.pem") != "$(openssl x509 -noout -pubkey <"$staged/fullchain.pem")" ]]; then
    echo "the private key does not match the certificate; nothing was installed" >&2
    exit 1
  fi
  APP=$APP TLS_DIR=$TLS_DIR SOURCE_DIR=$staged bash -c "$INSTALL_PAIR"
  forget_acme
  openssl x509 -in "$TLS_DIR/fullchain.pem" -noout -fingerprint -sha256
  openssl x509 -in "$TLS_DIR/fullchain.pem" -noout -enddate | sed 's/^notAfter=//'
}

main "$@"
