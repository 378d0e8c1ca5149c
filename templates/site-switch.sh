#!/usr/bin/env bash
# Switch the front door to the new site program
#
# The front door's upstream is a stable symlink, resolved for every new
# connection to it: renaming a new link over it moves the next request to the
# new site program, with no reload of the system nginx.
# Inputs: APP, SOCKET (the site program's socket), LINK (the front door's upstream).
set -euo pipefail
: "${SOCKET:?}" "${LINK:?}"

take_host_lock
[[ -S $SOCKET ]] || { echo "socket $SOCKET does not exist: is the site program running?" >&2; exit 1; }
replace_link "$SOCKET" "$LINK"
echo "the front door now goes to $(basename "$(dirname "$SOCKET")")" >&2
