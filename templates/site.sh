#!/usr/bin/env bash
# Install the nginx site and reload nginx
#
# The new config is moved into place only after `nginx -t` accepts it; a
# rejected config is rolled back before nginx ever loads it. Reload happens
# only when the site changed; an unchanged site still makes sure nginx runs.
# Inputs: APP, SITE (the rendered config).
set -euo pipefail
: "${SITE:?}"

site_file=/etc/nginx/sites-available/$APP.conf
enabled=/etc/nginx/sites-enabled/$APP.conf
# The digest of the config nginx last loaded: a run interrupted between the
# move and the reload leaves the file new but not loaded, and must reload.
loaded=/etc/nginx/sites-available/.$APP.conf.loaded
digest=$(printf '%s\n' "$SITE" | sha256sum | cut -d' ' -f1)

main() {
  take_host_lock
  if [[ -L $enabled ]] && [[ $(cat "$loaded" 2>/dev/null) == "$digest" ]] && [[ $(cat "$site_file") == "$(printf '%s\n' "$SITE")" ]]; then
    start_service nginx
    echo "nginx site unchanged" >&2
    return
  fi
  [[ -f $site_file ]] && cp -p "$site_file" "$site_file.previous"
  install_file "$SITE" "$site_file"
  ln -sfn "$site_file" "$enabled"
  if ! out=$(nginx -t 2>&1); then
    if [[ -f $site_file.previous ]]; then mv -f "$site_file.previous" "$site_file"; else rm -f "$site_file" "$enabled"; fi
    echo "nginx rejected the new site config; the running config is unchanged:" >&2
    echo "$out" >&2
    exit 1
  fi
  rm -f "$site_file.previous"
  start_service nginx
  reload_service nginx
  echo "$digest" >"$loaded"
  echo "nginx site installed and reloaded" >&2
}

main "$@"
