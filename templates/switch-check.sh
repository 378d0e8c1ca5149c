#!/usr/bin/env bash
# Check that traffic still goes to the deployed release (pulumi refresh)
# Inputs: APP, SOCKET, RELEASE_DIR; the app's places LIVE_RELEASE_SOCKET, CURRENT_RELEASE,
# PUBLIC_DIR, PUBLIC_TREES_DIR.
set -euo pipefail
: "${SOCKET:?}" "${RELEASE_DIR:?}" "${LIVE_RELEASE_SOCKET:?}" "${CURRENT_RELEASE:?}"
: "${PUBLIC_DIR:?}" "${PUBLIC_TREES_DIR:?}"

[[ $(readlink "$LIVE_RELEASE_SOCKET") == "$SOCKET" ]] || { echo "$LIVE_RELEASE_SOCKET does not point at $SOCKET"; exit 1; }
[[ $(readlink "$CURRENT_RELEASE") == "$RELEASE_DIR" ]] || { echo "$CURRENT_RELEASE does not point at $RELEASE_DIR"; exit 1; }
tree=$PUBLIC_TREES_DIR/$(basename "$RELEASE_DIR")
[[ $(readlink "$PUBLIC_DIR") == "$tree" && -d $tree/ ]] || { echo "$PUBLIC_DIR does not point at $tree"; exit 1; }
