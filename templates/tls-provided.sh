#!/usr/bin/env bash
# Install the site's certificate given in site.tls.certificate, with its key from stdin
#
# The HTTPS program reads both files at each handshake, so a new pair needs no
# reload. Unlike an ACME renewal (same key), a new pair changes the key too:
# both files are written beside their places first, then renamed over them by
# one process, microseconds apart, so a handshake all but never reads the
# certificate of one pair and the key of the other. An ACME lineage of the app
# (the site was on mode acme) goes after: certbot's renewal must never write
# over the pair. Prints the certificate's fingerprint, then its expiry.
# Inputs: APP, CERTIFICATE (PEM, the site's certificate first). stdin: its private key (PEM).
set -euo pipefail
: "${CERTIFICATE:?}" "${TLS_DIR:?}"

# Written with its final owner and mode before any content: the key is never readable by others.
stage() { # CONTENT FILE MODE
  install -m "$3" -o root -g www-data /dev/null "$2"
  printf '%s\n' "$1" >"$2"
}

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
  install -d -m 750 -g www-data "$TLS_DIR"
  local new_key=$TLS_DIR/.privkey.pem.new new_chain=$TLS_DIR/.fullchain.pem.new
  stage "$key" "$new_key" 640
  stage "$CERTIFICATE" "$new_chain" 644
  # The deploy checked the pair; a program using the component directly may not have.
  if [[ $(public_key <"$new_key") != "$(openssl x509 -noout -pubkey <"$new_chain")" ]]; then
    rm -f "$new_key" "$new_chain"
    echo "the private key does not match the certificate; nothing was installed" >&2
    exit 1
  fi
  perl -e 'rename($ARGV[0], $ARGV[1]) && rename($ARGV[2], $ARGV[3]) or die "rename: $!\n"' \
    "$new_key" "$TLS_DIR/privkey.pem" "$new_chain" "$TLS_DIR/fullchain.pem"
  forget_acme
  openssl x509 -in "$TLS_DIR/fullchain.pem" -noout -fingerprint -sha256
  openssl x509 -in "$TLS_DIR/fullchain.pem" -noout -enddate | sed 's/^notAfter=//'
}

main "$@"
