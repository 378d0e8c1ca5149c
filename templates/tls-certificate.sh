#!/usr/bin/env bash
# Get the site's certificate from the ACME server and install it for the HTTPS program
#
# certbot answers HTTP-01 through the live site program, which serves ACME_DIR
# (webroot). The certificate keeps one private key across renewals
# (--reuse-key), so installing a renewed one is renaming one file, read at
# the next handshake: no reload. certbot's own timer (or cron) renews it; the
# deploy hook saved with it installs each renewal the same way. Run again
# with the same names, it keeps a certificate that is not due and installs it
# if missing. A failed order prints certbot's ACME error and changes nothing
# that serves: plain HTTP goes on.
# Inputs: APP, DOMAINS (space separated), EMAIL (may be empty), SERVER (ACME directory URL),
# DIRECTORY_CA (PEM, may be empty), HOOK (templates/tls-install.sh).
set -euo pipefail
: "${DOMAINS:?}" "${SERVER:?}" "${HOOK:?}" "${TLS_DIR:?}" "${ACME_DIR:?}"

hook=/etc/letsencrypt/renewal-hooks/deploy/$APP.sh

trust_directory_ca() {
  # Debian's certbot (python3-requests) trusts the system store: a private ACME server's CA goes there.
  local ca=/usr/local/share/ca-certificates/$APP-acme.crt
  if [[ -z $DIRECTORY_CA ]]; then
    [[ ! -e $ca ]] || { rm -f "$ca"; update-ca-certificates --fresh >/dev/null; }
    return
  fi
  [[ -e $ca && $(cat "$ca") == "$DIRECTORY_CA" ]] && return
  install -d -m 755 "$(dirname "$ca")"
  install_file "$DIRECTORY_CA" "$ca" 644
  update-ca-certificates >/dev/null
}

# The hook with its inputs set: certbot runs it without ours.
hook_script() {
  printf '#!/usr/bin/env bash\nAPP=%q\nTLS_DIR=%q\n' "$APP" "$TLS_DIR"
  printf '%s\n' "${HOOK#*$'\n'}"
}

main() {
  command -v certbot >/dev/null || { echo "certbot is missing (the bootstrap installs it with site.tls)" >&2; exit 1; }
  install -d -m 755 "$ACME_DIR"
  install -d -m 750 -g www-data "$TLS_DIR"
  install -d -m 755 "$(dirname "$hook")"
  install_file "$(hook_script)" "$hook" 755
  trust_directory_ca

  local names=() d account=(--register-unsafely-without-email) force=()
  # Another ACME server (staging to production, a new directoryUrl): a certificate from the
  # old one is not kept just because it is not due.
  local renewal=/etc/letsencrypt/renewal/$APP.conf
  if [[ -e $renewal ]] && ! grep -qxF "server = $SERVER" "$renewal"; then force=(--force-renewal); fi
  for d in $DOMAINS; do names+=(-d "$d"); done
  [[ -z $EMAIL ]] || account=(--email "$EMAIL")
  local out
  # --deploy-hook runs the hook after this issuance too; renewals run the one in renewal-hooks/deploy.
  if ! out=$(certbot certonly --non-interactive --agree-tos "${account[@]}" --server "$SERVER" \
    --cert-name "$APP" "${names[@]}" --webroot -w "$ACME_DIR" \
    --reuse-key --keep-until-expiring --expand "${force[@]}" 2>&1); then
    echo "$out" | grep -v '^Saving debug log' | tail -n 20 >&2
    echo "the ACME server did not issue a certificate for $DOMAINS (above: its error); plain HTTP still serves" >&2
    exit 1
  fi
  # Not due for renewal, no hook ran: install what certbot has (a first run after a lost TLS_DIR).
  RENEWED_LINEAGE=/etc/letsencrypt/live/$APP bash "$hook"
  openssl x509 -in "$TLS_DIR/fullchain.pem" -noout -enddate | sed 's/^notAfter=//'
}

main "$@"
