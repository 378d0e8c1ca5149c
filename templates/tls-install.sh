#!/usr/bin/env bash
# certbot deploy hook of an app: installs its new or renewed certificate.
#
# The HTTPS program reads these files at each handshake. Each is written
# beside its place and renamed over it, so a handshake reads a whole file;
# the key is the same as before (--reuse-key), so any pair read matches.
# Inputs: APP and TLS_DIR (set above this script by tls-certificate.sh), RENEWED_LINEAGE (certbot).
set -euo pipefail
: "${APP:?}" "${TLS_DIR:?}"
lineage=${RENEWED_LINEAGE:?}
# certbot runs every deploy hook for every renewed certificate: only this app's is ours.
[[ $lineage == */live/"$APP" ]] || exit 0
dir=$TLS_DIR

install_one() { # SOURCE NAME MODE
  cp "$1" "$dir/.$2.new"
  chown root:www-data "$dir/.$2.new"
  chmod "$3" "$dir/.$2.new"
  mv -f "$dir/.$2.new" "$dir/$2"
}

install_one "$lineage/privkey.pem" privkey.pem 640
install_one "$lineage/fullchain.pem" fullchain.pem 644
