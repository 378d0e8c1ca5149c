#!/usr/bin/env bash
# Check that the front door still goes to the deployed site program (pulumi refresh)
# Inputs: APP, SOCKET.
set -euo pipefail
: "${SOCKET:?}"

[[ $(readlink "/srv/$APP/run/site.sock") == "$SOCKET" ]] || { echo "/srv/$APP/run/site.sock does not point at $SOCKET"; exit 1; }
