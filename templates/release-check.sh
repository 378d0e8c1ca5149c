#!/usr/bin/env bash
# Check that the release is still on the host (pulumi refresh)
# Inputs: APP, RELEASE_DIR.
set -euo pipefail
: "${RELEASE_DIR:?}"

[[ -f $RELEASE_DIR/.complete ]] || { echo "release $RELEASE_DIR is missing or incomplete"; exit 1; }
[[ -f $(readlink -f "$RELEASE_DIR/venv")/.complete ]] || { echo "the venv of $RELEASE_DIR is missing or incomplete"; exit 1; }
[[ -f $RELEASE_DIR/.env ]] || { echo "the settings (.env) of $RELEASE_DIR are missing"; exit 1; }
