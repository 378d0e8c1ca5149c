#!/usr/bin/env bash
# Check that traffic still goes to the deployed release (pulumi refresh)
# Inputs: APP, SOCKET, RELEASE_DIR.
set -euo pipefail
: "${SOCKET:?}" "${RELEASE_DIR:?}"

root=/srv/$APP
[[ $(readlink "$root/run/current.sock") == "$SOCKET" ]] || { echo "$root/run/current.sock does not point at $SOCKET"; exit 1; }
[[ $(readlink "$root/current") == "$RELEASE_DIR" ]] || { echo "$root/current does not point at $RELEASE_DIR"; exit 1; }
