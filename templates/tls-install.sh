#!/usr/bin/env bash
# Install a certificate and its key for an app's HTTPS program (certbot's deploy hook; the provided pair)
#
# nginx opens the certificate and the key separately at each handshake, so
# files renamed over the old ones, microseconds apart, can still be read as
# the certificate of one pair and the key of the other when the key changes
# (a provided pair): a failed handshake. Each pair gets a directory of its
# own instead, and the `live` link is renamed over the old one; the HTTPS
# program resolves the link once per handshake (tls-live.js), so both files
# come from one pair. The previous pair stays (a handshake may have resolved
# it just now); older ones go.
# Inputs: APP, TLS_DIR; SOURCE_DIR (a directory with privkey.pem and fullchain.pem) or, from
# certbot, RENEWED_LINEAGE.
set -euo pipefail
: "${APP:?}" "${TLS_DIR:?}"
if [[ -z ${SOURCE_DIR:-} ]]; then
  SOURCE_DIR=${RENEWED_LINEAGE:?}
  # certbot runs every deploy hook for every renewed certificate: only this app's is ours.
  [[ $SOURCE_DIR == */live/"$APP" ]] || exit 0
fi
pairs=$TLS_DIR/pairs
install -d -m 750 -g www-data "$TLS_DIR" "$pairs"

# Created 0700 by mktemp: nothing is readable before it is complete.
new=$(mktemp -d "$pairs/XXXXXXXX")
install -m 640 -o root -g www-data "$SOURCE_DIR/privkey.pem" "$new/privkey.pem"
install -m 644 -o root -g www-data "$SOURCE_DIR/fullchain.pem" "$new/fullchain.pem"
chgrp www-data "$new"
chmod 750 "$new"

previous=$(readlink "$TLS_DIR/live" || true)
ln -sfn "pairs/${new##*/}" "$TLS_DIR/.live.new"
mv -T "$TLS_DIR/.live.new" "$TLS_DIR/live"
# The names the deploy's checks read (and an HTTPS program of an earlier version, until replaced).
for f in privkey.pem fullchain.pem; do
  [[ -L $TLS_DIR/$f ]] && continue
  ln -sfn "live/$f" "$TLS_DIR/.$f.new"
  mv -T "$TLS_DIR/.$f.new" "$TLS_DIR/$f"
done
for d in "$pairs"/*; do
  [[ $d == "$new" || pairs/${d##*/} == "$previous" ]] || rm -rf "$d"
done
