#!/usr/bin/env bash
# Check that HTTPS serves the installed certificate, then redirect plain HTTP to it
#
# The site program redirects plain HTTP only while HTTPS_FLAG exists (it
# checks per request: no reload), so nothing is redirected to an HTTPS that
# does not answer. Prints the certificate's expiry.
# Inputs: APP, NAME (a site name, sent as SNI), CONNECT (where HTTPS listens, "address:port"),
# INSTALLED (what the certificate step printed: a new certificate runs this again).
set -euo pipefail
: "${NAME:?}" "${CONNECT:?}" "${TLS_DIR:?}" "${HTTPS_FLAG:?}" "${INSTALLED?}"

fingerprint() { openssl x509 -noout -fingerprint -sha256; }

main() {
  local want served=""
  want=$(fingerprint <"$TLS_DIR/fullchain.pem")
  for _ in $(seq 1 20); do
    served=$(openssl s_client -connect "$CONNECT" -servername "$NAME" </dev/null 2>/dev/null | fingerprint 2>/dev/null) || true
    [[ $served != "$want" ]] || break
    sleep 0.5
  done
  if [[ $served != "$want" ]]; then
    echo "HTTPS on $CONNECT does not serve the installed certificate (${served:-no TLS answer}); plain HTTP is not redirected" >&2
    exit 1
  fi
  touch "$HTTPS_FLAG"
  openssl x509 -in "$TLS_DIR/fullchain.pem" -noout -enddate | sed 's/^notAfter=//'
}

main "$@"
