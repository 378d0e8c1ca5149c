#!/usr/bin/env bash
# Check that plain HTTP is redirected to HTTPS (pulumi refresh)
# Inputs: APP.
set -euo pipefail
[[ -e $HTTPS_FLAG ]] || { echo "$HTTPS_FLAG is missing: plain HTTP is not redirected"; exit 1; }
