#!/usr/bin/env bash
# Makes the Pulumi CLI, its Node.js language host and its Node.js dynamic
# provider plugin available and prints the directory that holds them (for PATH).
#
# An installed `pulumi` (with its language host beside it or on PATH) is used
# as is. Otherwise both are built from the Go module proxy at the versions
# pinned in toolchain/go.mod and go.sum, and cached outside the repository,
# keyed by those two files, so later runs (and other clones) take no time.
# TOOLCHAIN_IGNORE_INSTALLED=1 builds (or uses the cached build) even when a
# `pulumi` is installed, e.g. to measure or test the build itself.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/django-zero-downtime/toolchain
cli_pkg=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
host_pkg=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3

log() { echo "toolchain: $*" >&2; }
die() { log "error: $*"; exit 1; }

installed_dir() {
  local cli dir
  cli=$(command -v pulumi 2>/dev/null) || return 1
  dir=$(dirname "$(readlink -f "$cli")")
  [[ -x $dir/pulumi-language-nodejs ]] || command -v pulumi-language-nodejs >/dev/null || return 1
  echo "$dir"
}

cli_version() {
  # The CLI's version is that of the pkg module it is built from.
  awk '$1 == "github.com/pulumi/pulumi/pkg/v3" { print $2 }' "$repo/toolchain/go.mod"
}

build() {
  local out=$1 tmp version
  command -v go >/dev/null || die "Go is needed to build the Pulumi CLI (install golang 1.24 or newer, or the Pulumi CLI itself)"
  version=$(cli_version)
  [[ -n $version ]] || die "toolchain/go.mod does not pin github.com/pulumi/pulumi/pkg/v3"
  tmp=$(mktemp -d "$cache_root/.build.XXXXXX")
  log "building pulumi $version and pulumi-language-nodejs from the Go module proxy (first run only; a few minutes)"
  # -mod=readonly with the committed go.sum: every module is checked against
  # its pinned hash; the checksum database itself is not reachable from here.
  (cd "$repo/toolchain" &&
    GOFLAGS="-mod=readonly -buildvcs=false" GOSUMDB=off GOTOOLCHAIN=${GOTOOLCHAIN:-auto} \
      go build -trimpath \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
      -o "$tmp/" "$cli_pkg" "$host_pkg") >&2 || { rm -rf "$tmp"; die "go build failed (see above)"; }
  mv -T "$tmp" "$out" 2>/dev/null || rm -rf "$tmp" # another run may have won the race
}

install_dynamic_provider_shim() {
  # The engine runs Node.js dynamic providers (this program's HostCommand)
  # through this plugin; official releases ship it beside the CLI. It finds
  # the SDK from the project directory it runs in.
  local shim=$1/pulumi-resource-pulumi-nodejs
  [[ -x $shim ]] && return
  cat >"$shim.new" <<'SHIM'
#!/bin/sh
exec node "$(node -p "require.resolve('@pulumi/pulumi/cmd/dynamic-provider')")" "$@"
SHIM
  chmod 755 "$shim.new"
  mv -f "$shim.new" "$shim"
}

main() {
  local dir key
  if [[ ${TOOLCHAIN_IGNORE_INSTALLED:-} != 1 ]] && dir=$(installed_dir); then
    echo "$dir"
    return
  fi
  mkdir -p "$cache_root"
  key=$(cat "$repo/toolchain/go.mod" "$repo/toolchain/go.sum" | sha256sum | cut -c1-16)
  dir=$cache_root/$key
  [[ -x $dir/pulumi && -x $dir/pulumi-language-nodejs ]] || build "$dir"
  install_dynamic_provider_shim "$dir"
  echo "$dir"
}

main "$@"
