#!/usr/bin/env bash
# Runs a command inside a release: its directory, its venv, its settings.
# Usage: release-exec RELEASE_DIR COMMAND [ARG...]; run as the app user (it
# alone can read the release's .env).
set -euo pipefail
release_dir=$1
shift
cd "$release_dir"
set -a
# shellcheck disable=SC1091
. ./.env
set +a
export PATH="$release_dir/venv/bin:$PATH"
exec "$@"
