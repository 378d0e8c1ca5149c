#!/usr/bin/env bash
# Check that the front door still goes to the deployed site program (pulumi refresh)
# Inputs: APP, SOCKET, LINK.
set -euo pipefail
: "${SOCKET:?}" "${LINK:?}"

[[ $(readlink "$LINK") == "$SOCKET" ]] || { echo "$LINK does not point at $SOCKET"; exit 1; }
