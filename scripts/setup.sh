#!/usr/bin/env bash
# Installs everything `npm run demo` and `npm test` need on this machine, and
# does nothing that is already done: Debian packages, the npm packages from
# the lockfile, and the Pulumi toolchain. (The sample app's PyPI packages are
# installed on the target host by each release.)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
debian_packages=(debootstrap shellcheck openssh-client git curl tar zstd)

log() { echo "setup: $*" >&2; }

install_debian_packages() {
  local missing=() p
  for p in "${debian_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return
  [[ $(id -u) == 0 ]] || { log "error: installing ${missing[*]} needs root"; exit 1; }
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

install_npm_packages() {
  # Only when the lockfile changed since the last install. `npm install`, not
  # `npm ci`: it installs the locked versions too, but doesn't refuse a lockfile
  # that lacks other platforms' optional binaries (a registry mirror may not
  # serve them, and then npm cannot record them).
  local stamp=$repo/node_modules/.package-lock.json
  if [[ -f $stamp && $stamp -nt $repo/package-lock.json ]]; then return; fi
  log "installing npm packages from package-lock.json"
  (cd "$repo" && npm install --no-audit --no-fund --loglevel=error >&2)
}

main() {
  install_debian_packages
  install_npm_packages
  bash "$repo/scripts/toolchain.sh" >/dev/null
}

main "$@"
