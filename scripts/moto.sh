#!/usr/bin/env bash
# Installs moto (an S3 and IAM server that checks request signatures) into a virtualenv from
# toolchain/moto/requirements.txt, every package pinned by hash, from PyPI, and prints the
# virtualenv's directory. Cached outside the repository, keyed by that file: later runs, and
# other clones, take no time. Used by the backup-copy test only.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
lock=$repo/toolchain/moto/requirements.txt
cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/django-zero-downtime/moto

log() { echo "moto: $*" >&2; }

main() {
  local dir
  mkdir -p "$cache_root"
  dir=$cache_root/$(sha256sum <"$lock" | cut -c1-16)
  # A virtualenv's scripts name its path, so it is built in place; .complete marks a whole one.
  if [[ ! -e $dir/.complete ]]; then
    log "installing moto from PyPI (first run only)"
    rm -rf "$dir"
    python3 -m venv "$dir" >&2
    "$dir/bin/pip" install -q --disable-pip-version-check --no-deps --require-hashes -r "$lock" >&2 ||
      { rm -rf "$dir"; log "error: pip install failed (see above)"; exit 1; }
    touch "$dir/.complete"
  fi
  echo "$dir"
}

main "$@"
