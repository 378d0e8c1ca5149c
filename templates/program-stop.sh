#!/usr/bin/env bash
# Stop the supervisor program gracefully and remove it
#
# See remove_program in prelude.sh.
# Inputs: APP, PROGRAM, DIR (the program's own files, or empty).
set -euo pipefail
: "${PROGRAM:?}" "${DIR?}"

take_host_lock
remove_program "$PROGRAM" "$DIR"
