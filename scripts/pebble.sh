#!/usr/bin/env bash
# Builds Pebble (Let's Encrypt's ACME test server) and pebble-challtestsrv at the versions pinned
# in toolchain/pebble/go.mod and go.sum, from the Go module proxy, and prints the directory that
# holds them and Pebble's module (its test certificates). Cached outside the repository, keyed
# by those two files: later runs, and other clones, take no time. Used by the HTTPS tests only.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mod=$repo/toolchain/pebble
cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/django-zero-downtime/pebble

log() { echo "pebble: $*" >&2; }
die() { log "error: $*"; exit 1; }

build() {
  local out=$1 tmp
  command -v go >/dev/null || die "Go is needed to build Pebble (install golang 1.24 or newer)"
  tmp=$(mktemp -d "$cache_root/.build.XXXXXX")
  log "building pebble and pebble-challtestsrv from the Go module proxy (first run only)"
  # -mod=readonly with the committed go.sum: every module is checked against its pinned hash.
  (cd "$mod" && GOFLAGS="-mod=readonly -buildvcs=false" GOSUMDB=off GOTOOLCHAIN=${GOTOOLCHAIN:-auto} \
    go build -trimpath -o "$tmp/" github.com/letsencrypt/pebble/v2/cmd/pebble \
    github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv &&
    cd "$mod" && GOFLAGS="-mod=readonly" go list -m -f '{{.Dir}}' github.com/letsencrypt/pebble/v2 >"$tmp/module-dir") >&2 ||
    { rm -rf "$tmp"; die "go build failed (see above)"; }
  mv -T "$tmp" "$out" 2>/dev/null || rm -rf "$tmp" # another run may have won the race
}

main() {
  local key dir
  mkdir -p "$cache_root"
  key=$(cat "$mod/go.mod" "$mod/go.sum" | sha256sum | cut -c1-16)
  dir=$cache_root/$key
  [[ -x $dir/pebble && -x $dir/pebble-challtestsrv && -s $dir/module-dir && -d $(cat "$dir/module-dir") ]] || {
    rm -rf "$dir"
    build "$dir"
  }
  echo "$dir"
}

main "$@"
