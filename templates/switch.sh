#!/usr/bin/env bash
# Switch traffic to the new release
#
# nginx's upstream names a stable symlink and resolves it for every new
# upstream connection, so renaming a new link over it moves the next request
# to the new release: no nginx reload, so no keep-alive client is reset.
# The public files (static, media) move first: the release's tree also holds the files of the
# releases before it, so pages either one renders find their assets throughout.
# `current` points at the release for people.
# Inputs: APP, SOCKET, RELEASE_DIR; the app's places LIVE_RELEASE_SOCKET, CURRENT_RELEASE,
# PUBLIC_DIR, PUBLIC_TREES_DIR.
set -euo pipefail
: "${SOCKET:?}" "${RELEASE_DIR:?}" "${LIVE_RELEASE_SOCKET:?}" "${CURRENT_RELEASE:?}"
: "${PUBLIC_DIR:?}" "${PUBLIC_TREES_DIR:?}"

take_host_lock
[[ -S $SOCKET ]] || { echo "socket $SOCKET does not exist: is the release's gunicorn running?" >&2; exit 1; }
tree=$PUBLIC_TREES_DIR/$(basename "$RELEASE_DIR")
[[ -L $tree ]] || { echo "no public tree $tree: was the release built?" >&2; exit 1; }
replace_link "$tree" "$PUBLIC_DIR"
replace_link "$SOCKET" "$LIVE_RELEASE_SOCKET"
replace_link "$RELEASE_DIR" "$CURRENT_RELEASE"
echo "traffic now goes to $(basename "$RELEASE_DIR")" >&2
